/**
 * A rough duration of a grid before it starts, so that the command line can say how long a
 * reproduction will take on the backend it chose. Per-step costs are the ones measured on the
 * 2-core reference machine for the offline presets' model (USE-lite, batch 16 × 32 tokens, an
 * evaluation every 25 steps included; BENCHMARKS.md), scaled by tokens per batch and by 1.5 for
 * the runs whose consistency loss takes a second forward pass.
 *
 * @module
 */
import type { RunSpec } from "./run_spec.ts";

/**
 * Seconds per training step of one worker process at batch 16 × 32 tokens, evaluation included,
 * per backend (wasm: one thread per worker; BENCHMARKS.md, "Reproduction grids").
 */
export const SECONDS_PER_STEP: Readonly<Record<string, number>> = {
  wasm: 0.49,
  tensorflow: 0.12,
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
    total += run.steps * perStep * size * (run.klWeight > 0 ? 1.5 : 1);
  }
  return total / Math.max(1, Math.min(jobs, cores));
}
