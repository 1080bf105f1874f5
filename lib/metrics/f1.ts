/**
 * Binary F1 score.
 *
 * @module
 */
import { checkBinary, checkPair } from "./_validate.ts";

/**
 * The binary F1 score with class 1 as the positive class (MRPC's second metric):
 * `2·TP / (2·TP + FP + FN)`. When there is no true and no predicted positive the score is
 * undefined; like scikit-learn's default (`zero_division=0`) this returns 0.
 *
 * @param predictions Predicted labels, each 0 or 1.
 * @param references Reference labels, each 0 or 1, same length, non-empty.
 * @returns The F1 score in [0, 1].
 * @example
 * ```ts
 * import { f1Score } from "@loradrop/core/metrics";
 * import { assertAlmostEquals } from "@std/assert";
 * // TP = 2, FP = 1, FN = 1 → 4 / 6
 * assertAlmostEquals(f1Score([1, 1, 1, 0, 0], [1, 1, 0, 1, 0]), 2 / 3);
 * ```
 */
export function f1Score(predictions: ArrayLike<number>, references: ArrayLike<number>): number {
  const [p, r] = checkPair("f1", predictions, references);
  checkBinary("f1", "predictions", p);
  checkBinary("f1", "references", r);
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 1 && r[i] === 1) tp++;
    else if (p[i] === 1) fp++;
    else if (r[i] === 1) fn++;
  }
  const denominator = 2 * tp + fp + fn;
  return denominator === 0 ? 0 : (2 * tp) / denominator;
}
