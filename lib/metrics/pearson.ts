/**
 * Pearson correlation.
 *
 * @module
 */
import { checkPair } from "./_validate.ts";
import { pearsonOf } from "./_correlation.ts";

/**
 * Pearson's correlation coefficient (STS-B's metric).
 *
 * Constant inputs have no defined correlation (scipy returns nan). Here constant
 * `references` are an error (a degenerate evaluation set), while constant `predictions`
 * (a collapsed model) score 0, the value of "no linear association", so that an evaluation
 * inside a training loop does not crash.
 *
 * @param predictions Predicted values (finite).
 * @param references Reference values, same length, non-empty, not all equal.
 * @returns The coefficient in [−1, 1].
 * @example
 * ```ts
 * import { pearson } from "@loradrop/core/metrics";
 * import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
 * assertAlmostEquals(pearson([1, 2, 3], [2, 4, 6]), 1);
 * assertAlmostEquals(pearson([1, 2, 3], [3, 2, 1]), -1);
 * assertEquals(pearson([5, 5, 5], [1, 2, 3]), 0);
 * assertThrows(() => pearson([1, 2, 3], [4, 4, 4]), RangeError);
 * ```
 */
export function pearson(predictions: ArrayLike<number>, references: ArrayLike<number>): number {
  const [p, r] = checkPair("pearson", predictions, references);
  return pearsonOf("pearson", p, r);
}
