/**
 * Learning-rate schedules: linear warm-up then linear decay to zero (paper Table 6: warm-up
 * ratio 0.06, linear schedule; Table 7: 500 warm-up steps, linear schedule).
 *
 * The schedule follows the convention of the Hugging Face trainer the paper's runs used: the
 * rate of update `step` (0-based, the number of updates already applied) is
 * `peak · step / warmup` during warm-up and `peak · (total − step) / (total − warmup)` after it.
 *
 * @module
 */

/** Options of {@linkcode linearWarmupDecay}. */
export interface LinearScheduleOptions {
  /** The peak learning rate reached at the end of warm-up. */
  readonly peakLr: number;
  /** The total number of updates of the run. */
  readonly totalSteps: number;
  /** Warm-up length in updates (Table 7). Exclusive with `warmupRatio`. */
  readonly warmupSteps?: number;
  /** Warm-up length as a fraction of `totalSteps` (Table 6: 0.06), rounded up. */
  readonly warmupRatio?: number;
}

/**
 * The number of warm-up updates an options object asks for.
 *
 * @param options The schedule options.
 * @returns `warmupSteps`, or `ceil(warmupRatio · totalSteps)`, or 0.
 * @example
 * ```ts
 * import { resolveWarmupSteps } from "@loradrop/core/train";
 * import { assertEquals } from "@std/assert";
 * assertEquals(resolveWarmupSteps({ peakLr: 1e-3, totalSteps: 100, warmupRatio: 0.06 }), 6);
 * assertEquals(resolveWarmupSteps({ peakLr: 1e-3, totalSteps: 1000, warmupSteps: 500 }), 500);
 * ```
 */
export function resolveWarmupSteps(options: LinearScheduleOptions): number {
  const { totalSteps, warmupSteps, warmupRatio } = options;
  if (!Number.isInteger(totalSteps) || totalSteps < 1) {
    throw new RangeError(
      `Cannot build a learning-rate schedule: totalSteps must be a positive integer, received ${totalSteps}`,
    );
  }
  if (!Number.isFinite(options.peakLr) || options.peakLr < 0) {
    throw new RangeError(
      `Cannot build a learning-rate schedule: peakLr must be a finite number >= 0, received ${options.peakLr}`,
    );
  }
  if (warmupSteps !== undefined && warmupRatio !== undefined) {
    throw new TypeError(
      `Cannot build a learning-rate schedule: give warmupSteps or warmupRatio, not both (received ${warmupSteps} and ${warmupRatio})`,
    );
  }
  if (warmupSteps !== undefined) {
    if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
      throw new RangeError(
        `Cannot build a learning-rate schedule: warmupSteps must be a non-negative integer, received ${warmupSteps}`,
      );
    }
    return warmupSteps;
  }
  if (warmupRatio !== undefined) {
    if (!Number.isFinite(warmupRatio) || warmupRatio < 0 || warmupRatio > 1) {
      throw new RangeError(
        `Cannot build a learning-rate schedule: warmupRatio must be in [0, 1], received ${warmupRatio}`,
      );
    }
    return Math.ceil(warmupRatio * totalSteps);
  }
  return 0;
}

/**
 * The learning rate of update `step` under linear warm-up and linear decay to zero.
 *
 * @param step The 0-based update index (updates already applied), in `[0, totalSteps)`.
 * @param options Peak rate, total updates and warm-up.
 * @returns The learning rate for this update.
 * @example
 * ```ts
 * import { linearWarmupDecay } from "@loradrop/core/train";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * const options = { peakLr: 1e-3, totalSteps: 10, warmupSteps: 2 };
 * assertEquals(linearWarmupDecay(0, options), 0);
 * assertEquals(linearWarmupDecay(1, options), 5e-4);
 * assertEquals(linearWarmupDecay(2, options), 1e-3);
 * assertAlmostEquals(linearWarmupDecay(9, options), 1.25e-4);
 * ```
 */
export function linearWarmupDecay(step: number, options: LinearScheduleOptions): number {
  const warmup = resolveWarmupSteps(options);
  const { peakLr, totalSteps } = options;
  if (!Number.isInteger(step) || step < 0 || step >= totalSteps) {
    throw new RangeError(
      `Cannot compute the learning rate: step must be an integer in [0, ${totalSteps}), received ${step}`,
    );
  }
  if (step < warmup) return peakLr * step / warmup;
  return peakLr * Math.max(0, totalSteps - step) / Math.max(1, totalSteps - warmup);
}
