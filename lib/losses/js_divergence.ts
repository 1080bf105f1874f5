/**
 * The Jensen-Shannon divergence between the softmax outputs of two passes,
 * `½[KL(P1‖m) + KL(P2‖m)]` with `m = (P1 + P2)/2`: symmetric and bounded by ln 2. (HiddenCut's own
 * code computes a different quantity, `½[KL(m‖P1) + KL(m‖P2)]`: see `jsHiddenCut`.)
 *
 * @module
 */
import type { Tensor } from "../types.ts";
import { mixtureDivergence } from "./_reduce.ts";

/** Options of {@linkcode jsDivergence}. */
export interface JsDivergenceOptions {
  /** `(B, T)` for logits `(B, T, C)`: the mean runs over the tokens the mask counts. */
  readonly mask?: Tensor;
  /** True: pass 2 is a constant. Default false (both passes back-propagate). */
  readonly stopGradientSecond?: boolean;
}

/**
 * The Jensen-Shannon divergence `½[KL(P1‖m) + KL(P2‖m)]`, `m = (P1 + P2)/2`,
 * `Pi = softmax(logits_i)` over the last axis, summed over classes and averaged over positions;
 * `log m` is a log-sum-exp of the two log-probabilities (stable for extreme logits).
 *
 * @param logits1 Pass 1 `(..., C)`.
 * @param logits2 Pass 2, same shape.
 * @param options A mask; whether pass 2 is a constant (default false).
 * @returns A scalar in `[0, ln 2]`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { jsDivergence } from "@loradrop/core";
 * import { assertAlmostEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * // Disjoint distributions: the JS divergence is ln 2.
 * const a = tf.tensor2d([[60, -60]]), b = tf.tensor2d([[-60, 60]]);
 * const loss = jsDivergence(a, b);
 * assertAlmostEquals(loss.dataSync()[0]!, Math.log(2), 1e-5);
 * tf.dispose([a, b, loss]);
 * ```
 */
export function jsDivergence(
  logits1: Tensor,
  logits2: Tensor,
  options: JsDivergenceOptions = {},
): Tensor {
  return mixtureDivergence(logits1, logits2, options, "to-mixture", "jsDivergence");
}
