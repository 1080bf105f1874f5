/**
 * Classification accuracy.
 *
 * @module
 */
import { checkClasses, checkPair } from "./_validate.ts";

/**
 * The fraction of predictions equal to their reference class (SST-2, RTE, MRPC, QNLI).
 *
 * @param predictions Predicted class indices (non-negative integers).
 * @param references Reference class indices, same length, non-empty.
 * @returns The accuracy in [0, 1].
 * @example
 * ```ts
 * import { accuracy } from "@loradrop/core/metrics";
 * import { assertEquals } from "@std/assert";
 * assertEquals(accuracy([1, 0, 1, 1], [1, 1, 1, 0]), 0.5);
 * ```
 */
export function accuracy(predictions: ArrayLike<number>, references: ArrayLike<number>): number {
  const [p, r] = checkPair("accuracy", predictions, references);
  checkClasses("accuracy", "predictions", p);
  checkClasses("accuracy", "references", r);
  let correct = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === r[i]) correct++;
  return correct / p.length;
}
