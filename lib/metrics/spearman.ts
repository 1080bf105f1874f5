/**
 * Spearman rank correlation.
 *
 * @module
 */
import { checkPair } from "./_validate.ts";
import { pearsonOf } from "./_correlation.ts";

/**
 * Ranks values from 1 to n; tied values share the average of their ranks
 * (scipy's `rankdata(method="average")`).
 *
 * @param values Finite numbers.
 * @returns Their ranks, in input order.
 * @example
 * ```ts
 * import { averageRanks } from "@loradrop/core/metrics";
 * import { assertEquals } from "@std/assert";
 * assertEquals(averageRanks([10, 20, 10, 30]), [1.5, 3, 1.5, 4]);
 * ```
 */
export function averageRanks(values: ArrayLike<number>): number[] {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(n);
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && values[order[end]!] === values[order[start]!]) end++;
    const rank = (start + 1 + end) / 2; // mean of ranks start+1 .. end
    for (let k = start; k < end; k++) ranks[order[k]!] = rank;
    start = end;
  }
  return ranks;
}

/**
 * Spearman's rank correlation: Pearson's r of the average ranks (ties share their mean rank).
 *
 * As for `pearson`: constant `references` are a RangeError, constant `predictions`
 * score 0 (scipy returns nan for both).
 *
 * @param predictions Predicted values (finite).
 * @param references Reference values, same length, non-empty, not all equal.
 * @returns The coefficient in [−1, 1].
 * @example
 * ```ts
 * import { spearman } from "@loradrop/core/metrics";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(spearman([1, 10, 100], [1, 2, 3]), 1);
 * assertAlmostEquals(spearman([3, 2, 1], [1, 2, 3]), -1);
 * ```
 */
export function spearman(predictions: ArrayLike<number>, references: ArrayLike<number>): number {
  const [p, r] = checkPair("spearman", predictions, references);
  return pearsonOf("spearman", averageRanks(p), averageRanks(r));
}
