/**
 * Summary statistics over seeds and the paired significance tests of the reproduction
 * (paper Table 8 names no test: loradrop reports a paired Student's t-test over seeds, pairing
 * runs that share a seed, and the exact Wilcoxon signed-rank test beside it).
 *
 * @module
 */
import ttest from "@stdlib/stats-ttest";
import wilcoxon from "@stdlib/stats-wilcoxon";

function checkValues(values: readonly number[], what: string): void {
  if (values.length === 0) {
    throw new RangeError(`Cannot compute ${what}: expected at least one value, received none`);
  }
  for (const v of values) {
    if (!Number.isFinite(v)) {
      throw new RangeError(`Cannot compute ${what}: values must be finite, received ${v}`);
    }
  }
}

/**
 * The median (mean of the two middle values for an even count).
 *
 * @param values Finite numbers, at least one.
 * @returns The median.
 * @example
 * ```ts
 * import { median } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(median([3, 1, 2, 10]), 2.5);
 * ```
 */
export function median(values: readonly number[]): number {
  checkValues(values, "a median");
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The mean.
 *
 * @param values Finite numbers, at least one.
 * @returns The arithmetic mean.
 * @example
 * ```ts
 * import { mean } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(mean([1, 2, 6]), 3);
 * ```
 */
export function mean(values: readonly number[]): number {
  checkValues(values, "a mean");
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * The sample standard deviation (n − 1 in the denominator); 0 for a single value.
 *
 * @param values Finite numbers, at least one.
 * @returns The sample standard deviation.
 * @example
 * ```ts
 * import { sampleStd } from "@loradrop/core/repro";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(sampleStd([1, 2, 3, 4]), 1.2909944, 1e-6);
 * ```
 */
export function sampleStd(values: readonly number[]): number {
  checkValues(values, "a standard deviation");
  if (values.length === 1) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

/** A paired comparison of two methods over the same seeds. */
export interface PairedComparison {
  /** Number of pairs. */
  n: number;
  /** Mean of a − b. */
  meanDifference: number;
  /** Two-sided p-value of the paired Student's t-test (NaN-free: 1 when every difference is 0). */
  tTestP: number;
  /** Two-sided p-value of the exact Wilcoxon signed-rank test (1 when every difference is 0). */
  wilcoxonP: number;
}

/**
 * Paired two-sided tests of `a` against `b` (same seeds in the same order).
 *
 * @param a The first method's metric per seed.
 * @param b The second method's metric per seed, paired with `a`.
 * @returns The comparison.
 * @example
 * ```ts
 * import { pairedComparison } from "@loradrop/core/repro";
 * import { assert } from "@std/assert";
 * const r = pairedComparison([0.9, 0.8, 0.85, 0.95], [0.8, 0.7, 0.8, 0.9]);
 * assert(r.tTestP < 0.05 && r.meanDifference > 0);
 * ```
 */
export function pairedComparison(
  a: readonly number[],
  b: readonly number[],
): PairedComparison {
  checkValues(a, "a paired comparison");
  checkValues(b, "a paired comparison");
  if (a.length !== b.length) {
    throw new RangeError(
      `Cannot compute a paired comparison: expected equal lengths, received ${a.length} and ${b.length}`,
    );
  }
  if (a.length < 2) {
    throw new RangeError(
      `Cannot compute a paired comparison: expected at least 2 pairs, received ${a.length}`,
    );
  }
  const diffs = a.map((v, i) => v - b[i]!);
  const meanDifference = mean(diffs);
  if (diffs.every((d) => d === 0)) {
    return { n: a.length, meanDifference, tTestP: 1, wilcoxonP: 1 };
  }
  let tTestP: number;
  if (diffs.every((d) => d === diffs[0])) {
    tTestP = 0; // zero variance, non-zero mean: the t statistic is infinite
  } else {
    tTestP = ttest([...a], [...b]).pValue;
  }
  const nonZero = diffs.filter((d) => d !== 0);
  // @stdlib doubles the one-sided exact p-value without capping it (1.25 for n = 3); scipy caps at 1.
  // One non-zero difference: W+ is 0 or 1 with probability ½ each, so the two-sided p is 1 (as
  // scipy's); @stdlib rejects fewer than two values.
  const wilcoxonP = nonZero.length < 2
    ? 1
    : Math.min(1, wilcoxon(nonZero, { zeroMethod: "wilcox" }).pValue);
  return { n: a.length, meanDifference, tTestP, wilcoxonP };
}
