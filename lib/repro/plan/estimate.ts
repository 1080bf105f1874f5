/**
 * A rough duration of a grid before it starts, so that the command line can say how long a
 * reproduction will take on the backend it chose. Per-step costs are the ones measured on the
 * 2-core reference machine for the offline presets' model (USE-lite, batch 16 × 32 tokens, an
 * evaluation every 25 steps included; BENCHMARKS.md), scaled by tokens per batch and by 1.4 for
 * the runs whose consistency loss takes a second forward pass (measured 1.35-1.44×).
 *
 * @module
 */
import type { RunSpec } from "./run_spec.ts";

/** How much longer a step with a second forward pass (a consistency loss) takes. */
const KL_RUN_FACTOR = 1.4;

/**
 * Seconds per training step of one worker process at batch 16 × 32 tokens, evaluation included,
 * per backend, with as many workers as cores (wasm: one thread per worker). Measured on 2 idle
 * cores with the `quick` preset's runs (its seed-0 runs and `--only cost`: 150-step runs of
 * 48-59 s on tensorflow, 107-119 s on wasm; BENCHMARKS.md, "The calibrated quick preset").
 */
export const SECONDS_PER_STEP: Readonly<Record<string, number>> = {
  wasm: 0.74,
  tensorflow: 0.35,
  cpu: 12,
  webgpu: 3,
};

/**
 * The estimated wall time of a grid in seconds (runs sized by epochs count as unknown: 0).
 *
 * @param runs The runs still to do.
 * @param backend The backend.
 * @param jobs Worker processes sharing the runs (they run in parallel up to `cores`).
 * @param cores The machine's cores (default: this machine's).
 * @returns Seconds, or undefined for a backend without a measured cost.
 * @example
 * ```ts
 * import { estimateGridSeconds } from "./estimate.ts";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assert } from "@std/assert";
 * const runs = reproExperiments("quick").flatMap((e) => e.runs);
 * assert(estimateGridSeconds(runs, "wasm", 2)! > estimateGridSeconds(runs, "tensorflow", 2)!);
 * ```
 */
export function estimateGridSeconds(
  runs: readonly RunSpec[],
  backend: string,
  jobs: number,
  cores: number = navigator.hardwareConcurrency || 1,
): number | undefined {
  const perStep = SECONDS_PER_STEP[backend];
  if (perStep === undefined) return undefined;
  let total = 0;
  for (const run of runs) {
    const size = (run.batchSize * run.maxLength) / (16 * 32);
    total += run.steps * perStep * size * (run.klWeight > 0 ? KL_RUN_FACTOR : 1);
  }
  return total / Math.max(1, Math.min(jobs, cores));
}
