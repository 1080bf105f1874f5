/**
 * Runs a grid of {@linkcode RunSpec}s: finished runs (by hash) are skipped, a shard `i/n` keeps
 * every n-th run, and `jobs > 1` spreads runs over worker processes that each load the model once
 * and take the next run from a shared queue.
 *
 * @module
 */
import { createCountProgress } from "../../train/progress.ts";
import type { RunSpec } from "../plan/run_spec.ts";
import { RunLockedError } from "./run_lock.ts";
import { runSpecHash, storedRunState } from "./store.ts";
import { workerPermissionFlags } from "./worker_permissions.ts";

/** Which part of a grid this machine runs: `index` of `count` (0-based). */
export interface Shard {
  /** 0-based shard index. */
  readonly index: number;
  /** Number of shards. */
  readonly count: number;
}

/**
 * Parses `i/n` (1-based on the command line, like Slurm array ids are usually written).
 *
 * @param text `"1/4"` … `"4/4"`.
 * @returns The shard, 0-based.
 * @example
 * ```ts
 * import { parseShard } from "@loradrop/core/repro";
 * import { assertEquals, assertThrows } from "@std/assert";
 * assertEquals(parseShard("2/4"), { index: 1, count: 4 });
 * assertThrows(() => parseShard("5/4"), RangeError, '"5/4"');
 * ```
 */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const i = m ? Number(m[1]) : NaN, n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i < 1 || i > n) {
    throw new RangeError(`Cannot parse shard: expected "i/n" with 1 <= i <= n, received "${text}"`);
  }
  return { index: i - 1, count: n };
}

/** A run with its identity. */
export interface PlannedRun {
  /** The spec. */
  readonly spec: RunSpec;
  /** Its hash (spec + backend). */
  readonly hash: string;
}

/** A run whose stored file is not a valid run: it runs again, and its file is replaced. */
export interface CorruptRun extends PlannedRun {
  /** The stored file. */
  readonly path: string;
  /** Why it is not a valid run. */
  readonly reason: string;
}

/**
 * Deduplicates specs by hash, keeps this shard's part (by position in hash order, so every
 * machine computes the same split) and reports which runs are already finished in `dir`. A
 * stored file that is not a valid run (see `storedRunState`) is not finished: the run is to do
 * again, and listed in `corrupt` with the reason.
 *
 * @param specs Specs, possibly repeated across experiments.
 * @param backend The backend (part of a run's identity).
 * @param dir The results folder.
 * @param shard This machine's shard (all by default).
 * @returns The runs to do, the ones already done, and the corrupt stored ones among those to do.
 * @example
 * ```ts
 * import { planGrid } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assert } from "@std/assert";
 * const specs = reproExperiments("smoke").flatMap((e) => e.runs);
 * const dir = await Deno.makeTempDir();
 * const a = await planGrid(specs, "wasm", dir, { index: 0, count: 2 });
 * const b = await planGrid(specs, "wasm", dir, { index: 1, count: 2 });
 * assert(a.todo.length + b.todo.length === new Set(specs.map((s) => JSON.stringify(s))).size);
 * ```
 */
export async function planGrid(
  specs: readonly RunSpec[],
  backend: string,
  dir: string,
  shard: Shard = { index: 0, count: 1 },
): Promise<{ todo: PlannedRun[]; done: PlannedRun[]; corrupt: CorruptRun[] }> {
  const byHash = new Map<string, RunSpec>();
  const firstIndex = new Map<string, number>();
  for (const [i, spec] of specs.entries()) {
    const hash = await runSpecHash(spec, backend);
    byHash.set(hash, spec);
    if (!firstIndex.has(hash)) firstIndex.set(hash, i);
  }
  const hashes = [...byHash.keys()].sort();
  const todo: PlannedRun[] = [], done: PlannedRun[] = [], corrupt: CorruptRun[] = [];
  for (let i = 0; i < hashes.length; i++) {
    if (i % shard.count !== shard.index) continue;
    const hash = hashes[i]!;
    const run = { spec: byHash.get(hash)!, hash };
    const found = await storedRunState(dir, hash);
    (found.state === "finished" ? done : todo).push(run);
    if (found.state === "corrupt") corrupt.push({ ...run, path: found.path, reason: found.reason });
  }
  // Seed by seed, so that a grid stopped early leaves every method's runs of the first seeds
  // (complete pairs); within a seed, in the order the specs came (the experiments' priority).
  todo.sort((a, b) =>
    a.spec.seed - b.spec.seed || firstIndex.get(a.hash)! - firstIndex.get(b.hash)!
  );
  return { todo, done, corrupt };
}

/** Outcome of {@linkcode runGrid}. */
export interface GridOutcome {
  /** Runs finished now. */
  readonly finished: readonly string[];
  /** Runs that failed, with their error messages. */
  readonly failed: readonly {
    readonly hash: string;
    readonly spec: RunSpec;
    readonly error: string;
  }[];
  /** Runs skipped because another live process holds their lock, with who holds it. */
  readonly busy: readonly {
    readonly hash: string;
    readonly spec: RunSpec;
    readonly holder: string;
  }[];
}

/** Options of {@linkcode runGrid}. */
export interface RunGridOptions {
  /** The results folder. */
  readonly dir: string;
  /** The backend name. */
  readonly backend: string;
  /** Worker processes (1 = in this process). */
  readonly jobs: number;
  /** In-process execution (used when `jobs` is 1). */
  readonly executeInProcess?: (run: PlannedRun) => Promise<void>;
  /**
   * The worker process's entry point, needed when `jobs` > 1: a script that reads run specs on
   * stdin and executes them (the command line's `cli/repro_worker.ts`).
   */
  readonly workerScript?: string | URL;
  /** Draw a progress bar over the grid (default: when stderr is a terminal). */
  readonly progress?: boolean;
  /**
   * Called after every finished or failed run, and every run skipped because another process
   * holds it (`busy`, with the holder in `error`).
   */
  readonly onRunEnd?: (run: PlannedRun, error?: string, busy?: boolean) => void;
}

/**
 * Runs the planned runs, in this process (`jobs` 1) or over `jobs` worker processes
 * (`cli/repro_worker.ts`, with the permissions of `workerPermissionFlags`), each finished run
 * being stored by whoever ran it. A run another process holds (its lock) is skipped as `busy`.
 *
 * @param todo The runs to do (from {@linkcode planGrid}).
 * @param options Folder, backend, jobs.
 * @returns Which runs finished and which failed.
 * @example
 * ```ts
 * import { runGrid } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const out = await runGrid([], { dir: await Deno.makeTempDir(), backend: "cpu", jobs: 1, executeInProcess: async () => {} });
 * assertEquals(out.finished.length, 0);
 * ```
 */
export async function runGrid(
  todo: readonly PlannedRun[],
  options: RunGridOptions,
): Promise<GridOutcome> {
  if (!Number.isInteger(options.jobs) || options.jobs < 1) {
    throw new RangeError(
      `Cannot run the grid: jobs must be a positive integer, received ${options.jobs}`,
    );
  }
  const bar = createCountProgress(todo.length, "runs", options.progress);
  const finished: string[] = [];
  const failed: { hash: string; spec: RunSpec; error: string }[] = [];
  const busy: { hash: string; spec: RunSpec; holder: string }[] = [];
  const end = (run: PlannedRun, error?: string, isBusy = false) => {
    if (isBusy) busy.push({ hash: run.hash, spec: run.spec, holder: error ?? "another process" });
    else if (error === undefined) finished.push(run.hash);
    else failed.push({ hash: run.hash, spec: run.spec, error });
    bar.tick(failed.length);
    options.onRunEnd?.(run, error, isBusy);
  };
  try {
    if (options.jobs > 1 && todo.length > 1 && options.workerScript === undefined) {
      throw new TypeError(
        `Cannot run the grid: ${options.jobs} jobs need options.workerScript (the worker process's entry point), received none`,
      );
    }
    if (options.jobs === 1 || todo.length <= 1) {
      if (!options.executeInProcess) {
        throw new TypeError("Cannot run the grid in this process: executeInProcess is missing");
      }
      for (const run of todo) {
        try {
          await options.executeInProcess(run);
          end(run);
        } catch (error) {
          if (error instanceof RunLockedError) end(run, error.message, true);
          else end(run, (error as Error).stack ?? String(error));
        }
      }
    } else {
      const queue = [...todo];
      const workers = Array.from(
        { length: Math.min(options.jobs, todo.length) },
        () => runWorker(queue, options, end),
      );
      await Promise.all(workers);
    }
  } finally {
    bar.stop();
  }
  return { finished, failed, busy };
}

async function runWorker(
  queue: PlannedRun[],
  options: RunGridOptions,
  end: (run: PlannedRun, error?: string, busy?: boolean) => void,
): Promise<void> {
  const script = String(options.workerScript);
  const permissions = workerPermissionFlags({
    dir: options.dir,
    backend: options.backend,
    specs: queue.map((r) => r.spec),
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, script, "--results", options.dir, "--backend", options.backend],
    // Worker processes share the cores: each stays on one wasm thread.
    env: { LORADROP_WASM_THREADS: "" },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const send = (msg: unknown) => writer.write(encoder.encode(JSON.stringify(msg) + "\n"));
  let current: PlannedRun | undefined;
  let buffered = "";
  const decoder = new TextDecoder();
  try {
    for await (const chunk of child.stdout) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.startsWith("{")) continue; // stray output from libraries
        const msg = JSON.parse(line) as {
          ready?: boolean;
          finished?: string;
          failed?: string;
          busy?: string;
          error?: string;
        };
        if (msg.finished !== undefined && current) end(current);
        if (msg.failed !== undefined && current) end(current, msg.error ?? "unknown error");
        if (msg.busy !== undefined && current) end(current, msg.error ?? "another process", true);
        current = undefined;
        const answered = msg.finished ?? msg.failed ?? msg.busy;
        if (msg.ready || answered !== undefined) {
          const next = queue.shift();
          if (next) {
            current = next;
            await send({ run: next });
          } else {
            await send({ stop: true });
            await writer.close();
          }
        }
      }
    }
  } finally {
    const status = await child.status;
    if (current) end(current, `worker exited with code ${status.code} during the run`);
  }
}
