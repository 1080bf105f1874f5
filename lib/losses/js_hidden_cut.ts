/**
 * HiddenCut's consistency loss as its released code computes it (not the paper's Eq. 12):
 * `js_div(p, q) = ½[kl_div(log p, m) + kl_div(log q, m)]`, `m = (p + q)/2`. PyTorch's
 * `kl_div(input, target)` is `Σ target·(log target − input) = KL(target‖exp(input))`, so each term
 * is `KL(m‖Pi)`: the loss is `½[KL(m‖P1) + KL(m‖P2)]`, the reversed-direction counterpart of the
 * Jensen-Shannon divergence ({@link jsDivergence} in `js_divergence.ts`). It is zero exactly when
 * the two distributions agree, symmetric, and unbounded (it grows like `−½ log Pi` where one pass
 * gives a class almost no probability that the other does).
 *
 * @module
 */
import type { Tensor } from "../types.ts";
import { mixtureDivergence } from "./_reduce.ts";
import type { JsDivergenceOptions } from "./js_divergence.ts";

/**
 * Options of {@linkcode jsHiddenCut}: a mask, and whether pass 2 is a constant (default false:
 * HiddenCut back-propagates both passes).
 */
export type JsHiddenCutOptions = JsDivergenceOptions;

/**
 * `½[KL(m‖P1) + KL(m‖P2)]`, `m = (P1 + P2)/2`, `Pi = softmax(logits_i)` over the last axis,
 * summed over classes and averaged over positions (HiddenCut's `reduction='batchmean'` on
 * `(B, C)` logits). Log-probabilities come from a stable log-softmax floored at −1e9, so the loss
 * stays finite where PyTorch's `p.log()` of an underflowed probability would give infinity.
 *
 * @param logits1 Pass 1 `(..., C)`.
 * @param logits2 Pass 2, same shape.
 * @param options A mask; whether pass 2 is a constant (default false).
 * @returns A scalar ≥ 0.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { jsHiddenCut } from "@loradrop/core";
 * import { assertAlmostEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * // P1 = (0.8, 0.2), P2 = (0.2, 0.8), m = (0.5, 0.5): KL(m‖P1) = KL(m‖P2) = ½ ln(0.25/0.16).
 * const a = tf.log(tf.tensor2d([[0.8, 0.2]])), b = tf.log(tf.tensor2d([[0.2, 0.8]]));
 * const loss = jsHiddenCut(a, b);
 * assertAlmostEquals(loss.dataSync()[0]!, 0.5 * Math.log(0.25 / 0.16), 1e-6);
 * tf.dispose([a, b, loss]);
 * ```
 */
export function jsHiddenCut(
  logits1: Tensor,
  logits2: Tensor,
  options: JsHiddenCutOptions = {},
): Tensor {
  return mixtureDivergence(logits1, logits2, options, "from-mixture", "jsHiddenCut");
}
