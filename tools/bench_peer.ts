/**
 * `deno task bench:peer`: loradrop's training step against the same model in PyTorch + PEFT on the
 * CPU, in one run.
 *
 * Runs `bench/model_bench.ts` (wasm, and tensorflow when tfjs-node loads; then wasm again with
 * `--wasm-threads` threads, 2 by default, 0 to skip, reported as `wasm-2T`) and then
 * `bench/peer/pytorch_step.py` with torch threads = 2 and = 1, and prints loradrop/PyTorch
 * step-time ratios with loradrop's performance targets: on wasm the baseline within 4× of PyTorch on both
 * cores and 2× of PyTorch on one thread, tensorflow within 1.5× of PyTorch on both cores,
 * HiddenKey⁻ ≤ 1.1× and HiddenKey ≤ 1.6× the baseline step.
 *
 * Python: `$LORADROP_PYTHON`, else a venv in `.cache/peer-venv` (created with
 * `pip install torch peft` from the configured index/wheelhouse when missing). Where torch or peft
 * cannot be had, the PyTorch half is skipped with a message (exit 0).
 *
 * ```sh
 * deno task bench:peer [--steps 20] [--warmup 3] [--backends wasm,tensorflow] [--methods a,b]
 *                      [--wasm-threads 2] [--json FILE]
 * ```
 *
 * @module
 */
import { run, tail } from "./_run.ts";
import {
  defineCommand,
  exitCodeFor,
  listFlag,
  numberFlag,
  parseCommandLine,
} from "../cli/_args.ts";
import { writeFileAtomic } from "../lib/train/atomic_file.ts";
import { BENCH_METHOD_LABELS } from "../bench/_step_setup.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
const VENV = `${ROOT}/.cache/peer-venv`;

interface LoradropRow {
  backend: string;
  method: string;
  medianMs: number;
  minMs: number;
  cpuMs: number;
  steps: number;
}

interface TorchRow {
  threads: number;
  method: string;
  median_ms: number;
  min_ms: number;
  cpu_ms: number;
  steps: number;
}

async function canImport(python: string): Promise<boolean> {
  return (await run([python, "-c", "import torch, peft"], { timeoutMs: 120_000 })).code === 0;
}

/** A python with torch and peft, or the reason there is none. */
async function findPython(log: (line: string) => void): Promise<string | { skip: string }> {
  const fromEnv = Deno.env.get("LORADROP_PYTHON");
  if (fromEnv) {
    return await canImport(fromEnv)
      ? fromEnv
      : { skip: `LORADROP_PYTHON=${fromEnv} cannot import torch and peft` };
  }
  const py = `${VENV}/bin/python`;
  if (await canImport(py)) return py;
  log(`* creating ${VENV} with torch and peft (pip, from the configured index/wheelhouse)`);
  const venv = await run(["python3", "-m", "venv", VENV]);
  if (venv.code !== 0) return { skip: `python3 -m venv failed: ${tail(venv.stderr, 2)}` };
  // --retries 0: an unreachable default index fails at once instead of backing off per package.
  const pip = await run([`${VENV}/bin/pip`, "install", "--retries", "0", "torch", "peft"], {
    timeoutMs: 30 * 60_000,
  });
  if (pip.code !== 0 || !(await canImport(py))) {
    return { skip: `pip install torch peft failed: ${tail(`${pip.stdout}\n${pip.stderr}`, 3)}` };
  }
  return py;
}

const PEER_COMMAND = defineCommand({
  command: "deno task bench:peer",
  usage: `Usage: deno task bench:peer [--steps 20] [--warmup 3] [--backends wasm,tensorflow]
                            [--methods a,b] [--wasm-threads 2] [--json FILE]
  loradrop's training step beside the same model in PyTorch + PEFT on the CPU.
  --methods         among ${Object.keys(BENCH_METHOD_LABELS).join(", ")}
  --wasm-threads N  a second wasm pass with N threads (0: none)`,
  flags: {
    steps: "string",
    warmup: "string",
    methods: "string",
    backends: "string",
    json: "string",
    "wasm-threads": "string",
  },
});

if (import.meta.main) {
  let parsed;
  try {
    parsed = parseCommandLine(PEER_COMMAND, Deno.args);
    if (parsed.help) {
      console.log(PEER_COMMAND.usage);
      Deno.exit(0);
    }
    const v = parsed.values;
    parsed = {
      steps: String(numberFlag("steps", v.steps, { fallback: 20, integer: true, min: 1 })),
      warmup: String(numberFlag("warmup", v.warmup, { fallback: 3, integer: true, min: 0 })),
      methods: listFlag(
        "methods",
        v.methods ?? Object.keys(BENCH_METHOD_LABELS).join(","),
        Object.keys(BENCH_METHOD_LABELS),
      )
        .join(","),
      backendsFlag: v.backends,
      jsonOut: v.json,
      wasmThreads: numberFlag("wasm-threads", v["wasm-threads"], {
        fallback: 2,
        integer: true,
        min: 0,
      }),
    };
  } catch (error) {
    Deno.exit(exitCodeFor(PEER_COMMAND, error));
  }
  const { steps, warmup, methods, backendsFlag, jsonOut, wasmThreads } = parsed;
  // Both peers time the same methods, steps and warm-up.
  const sameSteps = ["--steps", steps, "--warmup", warmup, "--methods", methods];
  const log = console.log;

  // loradrop first (its own process: a clean heap, the same machine state as PyTorch's run).
  const benchLoradrop = async (backends: string, threads: number): Promise<LoradropRow[]> => {
    const tmp = await Deno.makeTempFile({ suffix: ".json" });
    log(
      `* loradrop: bench/model_bench.ts --backends ${backends} (${steps} steps after ${warmup} ` +
        `warm-up${threads > 1 ? `, LORADROP_WASM_THREADS=${threads}` : ""})`,
    );
    const lr = await run([
      Deno.execPath(),
      "run",
      "-A",
      `${ROOT}/bench/model_bench.ts`,
      "--backends",
      backends,
      ...sameSteps,
      "--json",
      tmp,
    ], {
      cwd: ROOT,
      env: { NO_COLOR: "1", ...(threads > 1 ? { LORADROP_WASM_THREADS: String(threads) } : {}) },
    });
    if (lr.code !== 0) {
      console.error(`bench:peer: loradrop's bench failed:\n${tail(lr.stderr, 10)}`);
      Deno.exit(1);
    }
    const rows = (JSON.parse(await Deno.readTextFile(tmp)) as { rows: LoradropRow[] }).rows;
    await Deno.remove(tmp);
    log(lr.stdout.trimEnd());
    return rows;
  };
  const lRows: LoradropRow[] = await benchLoradrop(
    backendsFlag ?? "wasm,tensorflow?", // tensorflow when it loads
    1,
  );
  // The multi-threaded wasm build (opt-in, its own process: the count is fixed per process).
  if (wasmThreads > 1 && (backendsFlag === undefined || backendsFlag.includes("wasm"))) {
    lRows.push(...await benchLoradrop("wasm", wasmThreads));
  }

  const python = await findPython(log);
  let tRows: TorchRow[] = [];
  let header: Record<string, unknown> = {};
  if (typeof python !== "string") {
    log(`PyTorch peer skipped: ${python.skip}`);
  } else {
    log(`* PyTorch + PEFT: bench/peer/pytorch_step.py (threads 2 and 1)`);
    const pr = await run([
      python,
      `${ROOT}/bench/peer/pytorch_step.py`,
      "--threads",
      "2,1",
      ...sameSteps,
    ], { cwd: ROOT, timeoutMs: 60 * 60_000 });
    const objs = pr.stdout.trim().split("\n").filter((l) => l.startsWith("{")).map((l) =>
      JSON.parse(l) as Record<string, unknown>
    );
    const skip = objs.find((o) => "skip" in o);
    if (skip) log(`PyTorch peer skipped: ${skip.skip}`);
    else if (pr.code !== 0) {
      console.error(`bench:peer: the PyTorch script failed:\n${tail(pr.stderr, 10)}`);
      Deno.exit(1);
    }
    header = objs.find((o) => o.header === true) ?? {};
    tRows = objs.filter((o) => "median_ms" in o) as unknown as TorchRow[];
  }

  const torchMs = (threads: number, method: string) =>
    tRows.find((r) => r.threads === threads && r.method === method)?.median_ms;
  const fmt = (v: number | undefined, digits = 1) => v === undefined ? "–" : v.toFixed(digits);
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : a / b;
  const backends = [...new Set(lRows.map((r) => r.backend))];
  log(
    `\nloradrop vs PyTorch ${header.torch ?? "?"} + PEFT ${header.peft ?? "?"}, ` +
      `same model shapes, batch 32×32, median ms/step of ${steps} steps after ${warmup} warm-up`,
  );
  const cols = backends.flatMap((b) => [`${b} ms`, `${b}/torch-2T`, `${b}/torch-1T`]);
  log(`| method | ${cols.join(" | ")} | torch 2T ms | torch 1T ms |`);
  log(`|---|${cols.map(() => "---|").join("")}---|---|`);
  const ratios: Record<string, Record<string, number | undefined>> = {};
  for (const method of methods.split(",")) {
    const cells: string[] = [];
    for (const b of backends) {
      const ms = lRows.find((r) => r.backend === b && r.method === method)?.medianMs;
      const r2 = ratio(ms, torchMs(2, method)), r1 = ratio(ms, torchMs(1, method));
      (ratios[b] ??= {})[`${method}/2`] = r2;
      ratios[b]![`${method}/1`] = r1;
      cells.push(fmt(ms), fmt(r2, 2), fmt(r1, 2));
    }
    log(
      `| ${BENCH_METHOD_LABELS[method] ?? method} | ${cells.join(" | ")} | ${
        fmt(torchMs(2, method))
      } | ${fmt(torchMs(1, method))} |`,
    );
  }
  // Process CPU time per step: other load on the machine disturbs it far less than wall time.
  // For single-threaded wasm against torch on one thread it is the fairer comparison.
  const torchCpu = (threads: number, method: string) =>
    tRows.find((r) => r.threads === threads && r.method === method)?.cpu_ms;
  log(`\nCPU time per step (ms, process user+system; multi-threaded runs sum their threads)`);
  const cpuCols = backends.flatMap((b) => [`${b} CPU ms`, `${b}/torch-1T`]);
  log(`| method | ${cpuCols.join(" | ")} | torch 2T CPU ms | torch 1T CPU ms |`);
  log(`|---|${cpuCols.map(() => "---|").join("")}---|---|`);
  for (const method of methods.split(",")) {
    const cells: string[] = [];
    for (const b of backends) {
      const c = lRows.find((r) => r.backend === b && r.method === method)?.cpuMs;
      const r1 = ratio(c, torchCpu(1, method));
      (ratios[b] ??= {})[`${method}/1cpu`] = r1;
      cells.push(fmt(c), fmt(r1, 2));
    }
    log(
      `| ${BENCH_METHOD_LABELS[method] ?? method} | ${cells.join(" | ")} | ${
        fmt(torchCpu(2, method))
      } | ${fmt(torchCpu(1, method))} |`,
    );
  }
  // The performance targets (BENCHMARKS.md).
  const checks: string[] = [];
  const mark = (ok: boolean | undefined) => ok === undefined ? "n/a" : ok ? "met" : "MISSED";
  const wasm = ratios["wasm"];
  if (wasm) {
    checks.push(
      `wasm baseline ≤ 4× torch (2 threads): ${fmt(wasm["baseline/2"], 2)}× ${
        mark(wasm["baseline/2"] === undefined ? undefined : wasm["baseline/2"]! <= 4)
      }`,
    );
    checks.push(
      `wasm baseline ≤ 2× torch (1 thread): ${fmt(wasm["baseline/1"], 2)}× ${
        mark(wasm["baseline/1"] === undefined ? undefined : wasm["baseline/1"]! <= 2)
      }`,
    );
    const c1 = wasm["baseline/1cpu"];
    checks.push(
      `wasm baseline ≤ 2× torch (1 thread), by CPU time: ${fmt(c1, 2)}× ${
        mark(c1 === undefined ? undefined : c1 <= 2)
      }`,
    );
  }
  const threaded = Object.keys(ratios).find((b) => /^wasm-\d+T$/.test(b));
  if (threaded !== undefined) {
    const r = ratios[threaded]!["baseline/2"];
    checks.push(
      `(beyond the targets, which are for single-threaded wasm) ${threaded} baseline vs torch ` +
        `(2 threads): ${fmt(r, 2)}× ${mark(r === undefined ? undefined : r <= 4)} against 4×`,
    );
  }
  const tfr = ratios["tensorflow"];
  if (tfr) {
    checks.push(
      `tensorflow baseline ≤ 1.5× torch (2 threads): ${fmt(tfr["baseline/2"], 2)}× ${
        mark(tfr["baseline/2"] === undefined ? undefined : tfr["baseline/2"]! <= 1.5)
      }`,
    );
  }
  for (const b of backends) {
    const row = (m: string) => lRows.find((r) => r.backend === b && r.method === m);
    for (const [m, limit] of [["hiddenKey-minus", 1.1], ["hiddenKey", 1.6]] as const) {
      const base = row("baseline"), it = row(m);
      if (it === undefined || base === undefined) continue;
      const wall = it.medianMs / base.medianMs, cpu = it.cpuMs / base.cpuMs;
      checks.push(
        `${b} ${BENCH_METHOD_LABELS[m]} ≤ ${limit}× baseline: ${wall.toFixed(2)}× ${
          mark(wall <= limit)
        }` +
          ` (by CPU time ${cpu.toFixed(2)}× ${mark(cpu <= limit)})`,
      );
    }
  }
  log("\nTargets:\n" + checks.map((c) => `- ${c}`).join("\n"));
  if (jsonOut) {
    await writeFileAtomic(
      jsonOut,
      JSON.stringify({ loradrop: lRows, torch: tRows, torchHeader: header, checks }, null, 2) +
        "\n",
    );
  }
}
