/**
 * The fastest backend that is set up, for command lines and notebooks: a backend asked for by
 * name (`LORADROP_BACKEND`, or the caller's `requested`) is used as asked or fails loudly; without
 * one, `tensorflow` (tfjs-node, ~4-5× wasm per training step on 2 cores, see BENCHMARKS.md) when
 * `deno task setup:native` has built it, else `wasm` — with one XNNPACK thread per core when this
 * process trains alone (`jobs` 1), one thread when it is one of several worker processes.
 * The library's {@linkcode initBackend} keeps its own default (`wasm`, one thread).
 *
 * @module
 */
import {
  type BackendInfo,
  type BackendName,
  initBackend,
  parseBackendName,
  tensorflowBackendInstalled,
} from "./backend.ts";
import { MAX_WASM_THREADS, readEnvWasmThreads } from "./backend_wasm_threads.ts";

/** What decides the choice (everything {@linkcode chooseFastestBackend} reads). */
export interface FastestBackendInput {
  /** A backend asked for by name (a `--backend` flag), if any. */
  readonly requested?: string | undefined;
  /** `LORADROP_BACKEND`, if set. */
  readonly envBackend?: string | undefined;
  /** `LORADROP_WASM_THREADS`, if set (checked). */
  readonly envWasmThreads?: number | undefined;
  /** Whether tfjs-node is set up ({@linkcode tensorflowBackendInstalled}). */
  readonly tensorflowInstalled: boolean | undefined;
  /** Logical cores. */
  readonly cores: number;
  /** Processes training at once on this machine (`--jobs`); 1 for a single process. */
  readonly jobs: number;
}

/** The choice: a backend, its thread count (wasm) and why, in words. */
export interface FastestBackendChoice {
  /** The backend to initialise. */
  readonly backend: BackendName;
  /** wasm only: XNNPACK threads (absent: tfjs's single-threaded build). */
  readonly threads?: number;
  /** Why this backend, for the start-up line. */
  readonly reason: string;
}

/**
 * Chooses the backend (a pure function of its input; see the module doc for the rule).
 *
 * @param input What was asked for and what is set up.
 * @returns The backend, threads and reason.
 * @example
 * ```ts
 * import { chooseFastestBackend } from "./backend_fastest.ts";
 * import { assertEquals } from "@std/assert";
 * const base = { tensorflowInstalled: false, cores: 2, jobs: 1 };
 * assertEquals(chooseFastestBackend({ ...base, tensorflowInstalled: true }).backend, "tensorflow");
 * assertEquals(chooseFastestBackend(base).threads, 2);
 * assertEquals(chooseFastestBackend({ ...base, jobs: 2 }).threads, undefined);
 * assertEquals(chooseFastestBackend({ ...base, requested: "cpu", tensorflowInstalled: true }).backend, "cpu");
 * ```
 */
export function chooseFastestBackend(input: FastestBackendInput): FastestBackendChoice {
  const named = input.requested ?? input.envBackend;
  if (named !== undefined) {
    const backend = parseBackendName(named);
    const by = input.requested !== undefined ? "--backend" : "LORADROP_BACKEND";
    return { backend, reason: `asked for by ${by}` };
  }
  if (input.tensorflowInstalled === true) {
    return {
      backend: "tensorflow",
      reason: "the fastest backend set up here (tfjs-node, about 4× wasm per training step)",
    };
  }
  const why = input.tensorflowInstalled === false
    ? "tensorflow is not set up (deno task setup:native builds it)"
    : "whether tensorflow is set up cannot be checked without read/env permission";
  if (input.envWasmThreads !== undefined) {
    return {
      backend: "wasm",
      threads: input.envWasmThreads,
      reason: `${why}; ${input.envWasmThreads} thread(s) from LORADROP_WASM_THREADS`,
    };
  }
  if (input.jobs === 1 && input.cores > 1) {
    const threads = Math.min(input.cores, MAX_WASM_THREADS);
    return { backend: "wasm", threads, reason: `${why}; ${threads} threads, one per core` };
  }
  return {
    backend: "wasm",
    reason: `${why}; one thread${input.jobs > 1 ? ` in each of ${input.jobs} processes` : ""}`,
  };
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env
  }
}

/** Options of {@linkcode initFastestBackend}. */
export interface InitFastestBackendOptions {
  /** A backend asked for by name (`--backend`); it is used or the call throws. */
  readonly requested?: string;
  /** Processes training at once (default 1). */
  readonly jobs?: number;
  /** Where the start-up line goes (default: stderr); `null` prints nothing. */
  readonly log?: ((line: string) => void) | null;
}

/**
 * Initialises the fastest backend that is set up (see the module doc) and says which one and why
 * on stderr. A backend asked for by name that fails to start throws; it never falls back.
 *
 * @param options `requested`, `jobs`, `log`.
 * @returns What is active, with the reason.
 * @example
 * ```ts
 * import { initFastestBackend } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * const info = await initFastestBackend({ requested: "cpu", log: null });
 * assertEquals(info.active, "cpu");
 * ```
 */
export async function initFastestBackend(
  options: InitFastestBackendOptions = {},
): Promise<BackendInfo & { reason: string }> {
  const choice = chooseFastestBackend({
    requested: options.requested,
    envBackend: env("LORADROP_BACKEND"),
    envWasmThreads: readEnvWasmThreads(),
    tensorflowInstalled: tensorflowBackendInstalled(),
    cores: navigator.hardwareConcurrency || 1,
    jobs: options.jobs ?? 1,
  });
  const info = await initBackend({
    backend: choice.backend,
    ...(choice.threads === undefined ? {} : { threads: choice.threads }),
  });
  const log = options.log === undefined ? (line: string) => console.error(line) : options.log;
  log?.(
    `loradrop: backend ${info.active}${
      info.threads === undefined ? "" : ` (${info.threads} threads)`
    }: ${choice.reason}`,
  );
  return { ...info, reason: choice.reason };
}
