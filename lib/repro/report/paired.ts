/**
 * Inference on paired differences: the mean difference over pairs (task, seed) with its 95%
 * confidence interval, the paired t-test's p-value, and the smallest difference the pairs could
 * have detected. The unit of analysis is the pair: `d_i = score(A) − score(B)` on the same task
 * with the same seed (same initialisation, data order and dropout stream).
 *
 * - Interval: `d̄ ± t(1 − α/2, n − 1) · s_d / √n` (Student's t quantile from `@stdlib`).
 * - p-value: the two-sided paired Student's t-test (`@stdlib/stats-ttest`), so the interval
 *   excludes 0 exactly when `p < α`.
 * - Detectable difference at power `1 − β`: `(t(1 − α/2, n − 1) + t(1 − β, n − 1)) · s_d / √n`,
 *   the usual t-approximation of the power of a paired t-test.
 *
 * @module
 */
import tQuantileOf from "@stdlib/stats-base-dists-t-quantile";
import { mean, pairedComparison, sampleStd } from "./stats.ts";

/**
 * The quantile of Student's t distribution.
 *
 * @param p A probability in (0, 1).
 * @param df Degrees of freedom (> 0).
 * @returns The value below which a t(df) variable falls with probability `p`.
 * @example
 * ```ts
 * import { tQuantile } from "@loradrop/core/repro";
 * import { assertAlmostEquals, assertThrows } from "@std/assert";
 * assertAlmostEquals(tQuantile(0.975, 4), 2.776445, 1e-6);
 * assertThrows(() => tQuantile(0.975, 0), RangeError, "received 0");
 * ```
 */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) {
    throw new RangeError(`Cannot compute a t quantile: p must be in (0, 1), received ${p}`);
  }
  if (!(df > 0) || !Number.isFinite(df)) {
    throw new RangeError(`Cannot compute a t quantile: df must be > 0, received ${df}`);
  }
  return tQuantileOf(p, df);
}

/** The paired difference of two methods over n pairs. */
export interface PairedInterval {
  /** Number of pairs. */
  readonly n: number;
  /** Mean difference d̄ (A − B). */
  readonly mean: number;
  /** Standard deviation of the differences (n − 1 in the denominator). */
  readonly sd: number;
  /** The (1 − α) confidence interval of the mean difference. */
  readonly ci: readonly [number, number];
  /** Two-sided p-value of the paired t-test (1 when every difference is 0, 0 when all are equal and non-zero). */
  readonly p: number;
  /** Smallest true difference detectable with these pairs at α and 80% power, from `sd`. */
  readonly detectable80: number;
}

/**
 * Mean paired difference, its confidence interval, p-value and detectable difference.
 *
 * @param differences The paired differences `d_i` (at least two, finite).
 * @param alpha The two-sided level (default 0.05: a 95% interval).
 * @returns The summary.
 * @example
 * ```ts
 * import { pairedInterval } from "@loradrop/core/repro";
 * import { assert, assertAlmostEquals } from "@std/assert";
 * const r = pairedInterval([1, 2, 3]);
 * assertAlmostEquals(r.mean, 2, 1e-12);
 * assertAlmostEquals(r.ci[1] - r.mean, 4.302653 * 1 / Math.sqrt(3), 1e-5);
 * assert(r.ci[0] < 0 === r.p >= 0.05); // the interval excludes 0 exactly when p < 0.05
 * ```
 */
export function pairedInterval(
  differences: readonly number[],
  alpha = 0.05,
): PairedInterval {
  if (!(alpha > 0 && alpha < 1)) {
    throw new RangeError(
      `Cannot compute a paired difference: alpha must be in (0, 1), received ${alpha}`,
    );
  }
  if (differences.length < 2) {
    throw new RangeError(
      `Cannot compute a paired difference: expected at least 2 pairs, received ${differences.length}`,
    );
  }
  const n = differences.length;
  const m = mean(differences);
  const sd = sampleStd(differences);
  const se = sd / Math.sqrt(n);
  const tCrit = tQuantile(1 - alpha / 2, n - 1);
  const p = pairedComparison(differences, differences.map(() => 0)).tTestP;
  return {
    n,
    mean: m,
    sd,
    ci: [m - tCrit * se, m + tCrit * se],
    p,
    detectable80: (tCrit + tQuantile(0.8, n - 1)) * se,
  };
}

/**
 * Pairs needed to detect a true paired difference `delta` with standard deviation `sd` at a
 * two-sided α = 0.05 and 80% power (the t-approximation, solved for the smallest n).
 *
 * @param delta The difference to detect (> 0).
 * @param sd The standard deviation of the paired differences (≥ 0).
 * @returns The smallest n ≥ 2 whose detectable difference is ≤ `delta`.
 * @example
 * ```ts
 * import { pairsNeeded } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(pairsNeeded(1, 1.5), 20); // ≈ ((1.96 + 0.84) · 1.5 / 1)² ≈ 18, + the t correction
 * ```
 */
export function pairsNeeded(delta: number, sd: number): number {
  if (!(delta > 0) || !Number.isFinite(delta)) {
    throw new RangeError(`Cannot compute the pairs needed: delta must be > 0, received ${delta}`);
  }
  if (!(sd >= 0) || !Number.isFinite(sd)) {
    throw new RangeError(`Cannot compute the pairs needed: sd must be ≥ 0, received ${sd}`);
  }
  for (let n = 2; n < 1e6; n++) {
    if ((tQuantile(0.975, n - 1) + tQuantile(0.8, n - 1)) * sd / Math.sqrt(n) <= delta) return n;
  }
  throw new RangeError(
    `Cannot compute the pairs needed: more than a million pairs for delta ${delta}, sd ${sd}`,
  );
}

/**
 * Holm–Bonferroni adjusted p-values: sort the k p-values ascending, multiply the j-th smallest by
 * `k − j + 1`, make the sequence non-decreasing and cap it at 1. Rejecting where the adjusted
 * p-value is below α is Holm's step-down procedure at family-wise error α.
 *
 * @param pValues The raw p-values (each in [0, 1]).
 * @returns The adjusted p-values, in the input order.
 * @example
 * ```ts
 * import { holmAdjust } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(holmAdjust([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06]);
 * ```
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  for (const p of pValues) {
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(`Cannot adjust p-values: each must be in [0, 1], received ${p}`);
    }
  }
  const k = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const adjusted = new Array<number>(k);
  let running = 0;
  order.forEach(([p, i], j) => {
    running = Math.max(running, Math.min(1, (k - j) * p));
    adjusted[i] = running;
  });
  return adjusted;
}
