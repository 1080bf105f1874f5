/**
 * The scaling benchmark of `deno task repro --jobs N` (`deno task bench:jobs`), for the
 * target "`--jobs 2` runs ≥ 1.8× as many runs per hour as `--jobs 1`". It runs the same grid
 * through the real CLI once per jobs count, each time as a subprocess
 * (`deno run -A cli/repro.ts run --preset P --out <fresh empty tmpdir> --jobs N`), and times
 * every line the CLI prints. Caching cannot help: every pass writes into its own new empty
 * folder, and a pass whose CLI reports any cached run is an error. Runs are counted twice: the
 * CLI's `done:` lines and the stored run files (`<out>/<preset>/runs/*.json`, one per finished
 * run, lib/repro/run/store.ts), which must agree.
 *
 * Phases of a pass (from the CLI's own lines): set-up (start → the `loradrop repro:` header, or
 * the `equivalence on real logits` line after it: backend, grid plan, and on shard 1 the model
 * load and the equivalence measurement), runs (→ the last `done:` line; this is what `--jobs`
 * parallelises, worker start-up and model loads included) and report
 * (→ `wrote … file(s)`; `writeReproReport` runs once, in the parent, for any jobs count).
 * Runs per hour are printed over the runs phase and over the whole wall time; the ratio that is
 * judged against the target is the runs phase's.
 *
 * ```sh
 * deno task bench:jobs [--preset smoke] [--jobs 1,2] [--runs N] [--target 1.8] [--keep]
 *                      [--json FILE]
 * ```
 * `--runs N` takes about N runs of the preset's grid (at least N) through the CLI's
 * `--shard 1/k`, k = ⌊grid size / N⌋; without it the whole grid runs. Under `deno bench` this
 * file does nothing.
 *
 * @module
 */
import { reproExperiments } from "../lib/repro/plan/experiments.ts";
import type { ReproPreset } from "../lib/repro/plan/run_spec.ts";
import { argsOrExit } from "./_cli.ts";
import { choiceFlag, defineCommand, numberFlag, parseCommandLine } from "../cli/_args.ts";
import { writeFileAtomic } from "../lib/train/atomic_file.ts";

/** A line the CLI printed, with when it arrived. */
export interface TimedLine {
  /** Milliseconds since the subprocess started. */
  readonly ms: number;
  /** The line, without its newline. */
  readonly text: string;
}

/** The phases of one pass, from the CLI's timed lines. */
export interface PassTimings {
  /** Runs the CLI planned (`N to run`). */
  readonly planned: number;
  /** Runs it found cached (must be 0 here). */
  readonly cached: number;
  /** `done:` lines. */
  readonly done: number;
  /** `FAILED:` lines. */
  readonly failed: number;
  /** Start → the grid starts (the header line, or the equivalence line after it), ms. */
  readonly setupMs: number;
  /** Start → the first finished run, ms. */
  readonly firstRunMs: number;
  /** Start → the last finished run, ms. */
  readonly lastRunMs: number;
  /** The runs phase: the grid's start → the last finished run, ms. */
  readonly runsMs: number;
  /** The last finished run → `wrote … file(s)`, ms (NaN when the line is missing). */
  readonly reportMs: number;
}

/**
 * Reads the phases of a `deno task repro` pass from its timed output lines (stderr and stdout).
 *
 * @param lines The CLI's output lines, in order of arrival, with arrival times.
 * @returns Planned, cached and finished runs and the phase times.
 * @example
 * ```ts
 * import { passTimings } from "./jobs_bench.ts";
 * import { assertEquals } from "@std/assert";
 * const t = passTimings([
 *   { ms: 2000, text: "loradrop repro: preset smoke, backend wasm, 0 run(s) cached, 2 to run with 2 job(s)" },
 *   { ms: 5000, text: "equivalence on real logits: forward max diff 1e-7" },
 *   { ms: 65000, text: "done: baseline on sentiment-low, seed 0" },
 *   { ms: 125000, text: "done: baseline on sentiment-low, seed 1" },
 *   { ms: 130000, text: "wrote 9 file(s): /tmp/x/smoke/report.html" },
 * ]);
 * assertEquals([t.planned, t.cached, t.done, t.setupMs, t.runsMs, t.reportMs], [2, 0, 2, 5000, 120000, 5000]);
 * ```
 */
export function passTimings(lines: readonly TimedLine[]): PassTimings {
  const header = lines.find((l) => l.text.startsWith("loradrop repro:"));
  const m = header && /(\d+) run\(s\) cached, (\d+) to run/.exec(header.text);
  if (!m) {
    throw new Error(
      `Cannot time the pass: expected the CLI's "loradrop repro: … N run(s) cached, M to run" line, received ${lines.length} line(s) without it`,
    );
  }
  const isEnd = (l: TimedLine) => l.text.startsWith("done:") || l.text.startsWith("FAILED:");
  const firstEnd = lines.findIndex(isEnd);
  const ends = lines.filter(isEnd);
  if (firstEnd < 0) {
    throw new Error(
      "Cannot time the pass: expected at least one done: or FAILED: line, received none",
    );
  }
  // The grid starts after the header, or after the equivalence measurement (shard 1 only).
  const equivalence = lines.find((l) => l.text.startsWith("equivalence on"));
  const setupMs = Math.max(header.ms, equivalence?.ms ?? 0);
  const lastRunMs = ends[ends.length - 1]!.ms;
  const wrote = lines.find((l) => /^wrote \d+ file\(s\)/.test(l.text));
  return {
    cached: Number(m[1]),
    planned: Number(m[2]),
    done: ends.filter((l) => l.text.startsWith("done:")).length,
    failed: ends.filter((l) => l.text.startsWith("FAILED:")).length,
    setupMs,
    firstRunMs: lines[firstEnd]!.ms,
    lastRunMs,
    runsMs: lastRunMs - setupMs,
    reportMs: wrote ? wrote.ms - lastRunMs : NaN,
  };
}

/** One measured pass. */
interface PassResult extends PassTimings {
  readonly jobs: number;
  readonly dir: string;
  readonly storedRuns: number;
  readonly wallMs: number;
  readonly runsPerHour: number;
  readonly wallRunsPerHour: number;
  /** The 1-minute load average before and after the pass (other load on the machine). */
  readonly load: readonly [number, number];
}

interface Args {
  preset: ReproPreset;
  jobs: number[];
  runs?: number | undefined;
  target: number;
  keep: boolean;
  json?: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const v = parseCommandLine(COMMAND, argv).values;
  return {
    preset: choiceFlag("preset", v.preset ?? "smoke", ["smoke", "quick", "full"]),
    jobs: (v.jobs ?? "1,2").split(",").map((n) =>
      numberFlag("jobs", n.trim(), { integer: true, min: 1 })!
    ),
    runs: numberFlag("runs", v.runs, { integer: true, min: 1 }),
    target: numberFlag("target", v.target, { fallback: 1.8, greaterThan: 0 }),
    keep: v.keep,
    json: v.json,
  };
}

/** Reads a byte stream as lines, timing each from `t0`. */
async function timedLines(
  stream: ReadableStream<Uint8Array>,
  t0: number,
  onLine: (line: TimedLine) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      onLine({ ms: performance.now() - t0, text: buffered.slice(0, nl) });
      buffered = buffered.slice(nl + 1);
    }
  }
  if (buffered.length > 0) onLine({ ms: performance.now() - t0, text: buffered });
}

async function countStoredRuns(dir: string): Promise<number> {
  let n = 0;
  try {
    for await (const e of Deno.readDir(`${dir}/runs`)) {
      if (e.isFile && e.name.endsWith(".json")) n++;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return n;
}

async function runPass(
  args: Args,
  jobs: number,
  shard: string | undefined,
): Promise<PassResult> {
  const out = await Deno.makeTempDir({ prefix: `loradrop-jobs${jobs}-` });
  for await (const _ of Deno.readDir(out)) {
    throw new Error(`Cannot run the jobs bench: expected an empty output folder, received ${out}`);
  }
  const cli = new URL("../cli/repro.ts", import.meta.url).pathname;
  const cliArgs = ["run", "-A", cli, "run", "--preset", args.preset, "--out", out, "--jobs"];
  cliArgs.push(String(jobs), ...(shard === undefined ? [] : ["--shard", shard]));
  console.log(`\n$ deno ${cliArgs.join(" ")}`);
  const loadBefore = Deno.loadavg()[0]!;
  const t0 = performance.now();
  // Piped stdout/stderr: not a terminal, so the CLI prints a line per finished run (no bar).
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: TimedLine[] = [];
  const errors: string[] = [];
  await Promise.all([
    timedLines(child.stdout, t0, (l) => {
      lines.push(l);
      console.log(`  [${(l.ms / 1000).toFixed(1).padStart(6)} s] ${l.text}`);
    }),
    // The CLI's progress lines (header, done:, FAILED:) are on stderr, the file list on stdout.
    timedLines(child.stderr, t0, (l) => {
      errors.push(l.text);
      lines.push(l);
      console.log(`  [${(l.ms / 1000).toFixed(1).padStart(6)} s] ${l.text}`);
    }),
  ]);
  lines.sort((a, b) => a.ms - b.ms);
  const status = await child.status;
  const wallMs = performance.now() - t0;
  if (!status.success) {
    throw new Error(
      `Cannot run the jobs bench: the CLI exited with code ${status.code} (--jobs ${jobs}); ` +
        `its stderr:\n${errors.slice(-30).join("\n")}`,
    );
  }
  const t = passTimings(lines);
  const dir = `${out}/${args.preset}`;
  const storedRuns = await countStoredRuns(dir);
  if (t.cached !== 0) {
    throw new Error(
      `Cannot run the jobs bench: expected no cached runs in the fresh ${dir}, received ${t.cached}`,
    );
  }
  if (t.failed > 0 || t.done !== t.planned || storedRuns !== t.done) {
    throw new Error(
      `Cannot run the jobs bench: expected ${t.planned} finished run(s) (--jobs ${jobs}), ` +
        `received ${t.done} done, ${t.failed} failed, ${storedRuns} stored in ${dir}`,
    );
  }
  if (!args.keep) await Deno.remove(out, { recursive: true });
  return {
    ...t,
    jobs,
    dir,
    storedRuns,
    wallMs,
    runsPerHour: t.done / (t.runsMs / 3.6e6),
    wallRunsPerHour: t.done / (wallMs / 3.6e6),
    load: [loadBefore, Deno.loadavg()[0]!],
  };
}

function formatTable(rows: readonly PassResult[]): string {
  const s = (ms: number) => Number.isNaN(ms) ? "–" : (ms / 1000).toFixed(1);
  const lines = [
    "| jobs | runs (done = stored) | set-up s | first run s | last run s | runs phase s | report s | wall s | runs/h (runs phase) | runs/h (wall) | load before → after |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.jobs} | ${r.done} = ${r.storedRuns} | ${s(r.setupMs)} | ${s(r.firstRunMs)} | ${
        s(r.lastRunMs)
      } | ${s(r.runsMs)} | ${s(r.reportMs)} | ${s(r.wallMs)} | ${r.runsPerHour.toFixed(1)} | ${
        r.wallRunsPerHour.toFixed(1)
      } | ${r.load[0].toFixed(2)} → ${r.load[1].toFixed(2)} |`,
    );
  }
  return lines.join("\n");
}

const COMMAND = defineCommand({
  command: "deno task bench:jobs",
  usage: `Usage: deno task bench:jobs [--preset smoke] [--jobs 1,2] [--runs N] [--target 1.8]
                            [--json FILE] [--keep]
  Runs per hour of deno task repro --jobs N, each pass into a fresh empty folder.`,
  flags: {
    preset: "string",
    jobs: "string",
    runs: "string",
    target: "string",
    json: "string",
    keep: "boolean",
  },
});

if (import.meta.main) {
  const args = argsOrExit(parseArgs, COMMAND);
  const grid = new Set(
    reproExperiments(args.preset).flatMap((e) => e.runs).map((r) => JSON.stringify(r)),
  ).size;
  const k = args.runs === undefined ? 1 : Math.max(1, Math.floor(grid / args.runs));
  const shard = k > 1 ? `1/${k}` : undefined;
  console.log(
    `loradrop repro --jobs scaling: preset ${args.preset} (${grid} runs in the grid${
      shard ? `, shard ${shard} of it` : ""
    }), jobs ${args.jobs.join(" then ")}, each pass into a fresh empty folder; ` +
      `${navigator.hardwareConcurrency} logical CPUs, load average ${
        Deno.loadavg().map((x) => x.toFixed(2)).join(" ")
      }`,
  );
  const rows: PassResult[] = [];
  try {
    for (const jobs of args.jobs) rows.push(await runPass(args, jobs, shard));
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(1);
  }
  console.log("\n" + formatTable(rows));
  const one = rows.find((r) => r.jobs === 1);
  for (const r of rows) {
    if (!one || r === one) continue;
    const ratio = r.runsPerHour / one.runsPerHour;
    const wallRatio = r.wallRunsPerHour / one.wallRunsPerHour;
    console.log(
      `--jobs ${r.jobs} vs --jobs 1: ${ratio.toFixed(2)}× runs per hour over the runs phase ` +
        `(${wallRatio.toFixed(2)}× over the whole wall time, set-up and report included) → ${
          ratio >= args.target ? "target met" : "target missed"
        } (rule: runs-phase ratio ≥ ${args.target}×; ${r.done} run(s) per pass${
          r.done % r.jobs ? `, not a multiple of ${r.jobs}: the last run has no partner` : ""
        })`,
    );
  }
  if (args.json !== undefined) {
    await writeFileAtomic(
      args.json,
      JSON.stringify({ args, grid, shard, rows }, null, 2) + "\n",
    );
  }
}
