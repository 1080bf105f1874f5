/**
 * Matthews correlation coefficient.
 *
 * @module
 */
import { checkClasses, checkPair } from "./_validate.ts";

/**
 * The Matthews correlation coefficient (CoLA's metric), in its multi-class form
 * (Gorodkin 2004), which equals the usual binary formula for two classes:
 * `(c·s − Σ pₖtₖ) / √((s² − Σ pₖ²)(s² − Σ tₖ²))` with `c` correct, `s` samples, `pₖ`/`tₖ` the
 * predicted/true counts of class k. When the denominator is 0 (constant predictions or
 * references) this returns 0, as scikit-learn does.
 *
 * @param predictions Predicted class indices (non-negative integers).
 * @param references Reference class indices, same length, non-empty.
 * @returns The coefficient in [−1, 1].
 * @example
 * ```ts
 * import { matthewsCorrelation } from "@loradrop/core/metrics";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * assertEquals(matthewsCorrelation([1, 0, 1, 0], [1, 0, 1, 0]), 1);
 * assertEquals(matthewsCorrelation([1, 1, 1, 1], [1, 0, 1, 0]), 0);
 * // TP = 2, TN = 1, FP = 1, FN = 1 → (2·1 − 1·1) / √(3·3·2·2) = 1/6
 * assertAlmostEquals(matthewsCorrelation([1, 1, 1, 0, 0], [1, 1, 0, 1, 0]), 1 / 6);
 * ```
 */
export function matthewsCorrelation(
  predictions: ArrayLike<number>,
  references: ArrayLike<number>,
): number {
  const [p, r] = checkPair("matthews correlation", predictions, references);
  checkClasses("matthews correlation", "predictions", p);
  checkClasses("matthews correlation", "references", r);
  const predicted = new Map<number, number>();
  const actual = new Map<number, number>();
  let correct = 0;
  for (let i = 0; i < p.length; i++) {
    predicted.set(p[i]!, (predicted.get(p[i]!) ?? 0) + 1);
    actual.set(r[i]!, (actual.get(r[i]!) ?? 0) + 1);
    if (p[i] === r[i]) correct++;
  }
  const s = p.length;
  let pt = 0, pp = 0, tt = 0;
  for (const [k, count] of predicted) {
    pt += count * (actual.get(k) ?? 0);
    pp += count * count;
  }
  for (const count of actual.values()) tt += count * count;
  const denominator = Math.sqrt((s * s - pp) * (s * s - tt));
  if (denominator === 0) return 0;
  return Math.max(-1, Math.min(1, (correct * s - pt) / denominator));
}
