/**
 * HiddenCut's original consistency loss (its code, not the paper's Eq. 12): the Jensen-Shannon
 * divergence with `m = (P1 + P2)/2`.
 *
 * Notation: HiddenCut's PyTorch code writes it as `½[kl_div(log m, P1) + kl_div(log m, P2)]`, which
 * reads like `KL(m‖Pi)` ("reversed form") but computes `Σ Pi·(log Pi − log m) = KL(Pi‖m)`: PyTorch's
 * `kl_div(input, target)` is `KL(target‖exp(input))`. So the loss is the true JS divergence
 * `½[KL(P1‖m) + KL(P2‖m)]`, bounded by ln 2 (the literal `KL(m‖Pi)` would be unbounded).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "../types.ts";
import {
  checkLogits,
  checkMask,
  checkSameShape,
  checkStopFlag,
  klPerPosition,
  LOG_PROB_FLOOR,
  logProbs,
  maskedMean,
} from "./_reduce.ts";
import { stopGradient } from "./stop_gradient.ts";

/** Options of {@linkcode jsHiddenCut}. */
export interface JsHiddenCutOptions {
  /** `(B, T)` for logits `(B, T, C)`: the mean runs over the tokens the mask counts. */
  readonly mask?: Tensor;
  /** True: pass 2 is a constant. Default false (HiddenCut back-propagates both passes). */
  readonly stopGradientSecond?: boolean;
}

/**
 * The Jensen-Shannon divergence `½[KL(P1‖m) + KL(P2‖m)]`, `m = (P1 + P2)/2`,
 * `Pi = softmax(logits_i)` (HiddenCut's `½[kl_div(log m, P1) + kl_div(log m, P2)]`), summed over
 * classes and averaged over positions; `log m` is a log-sum-exp of the two log-probabilities
 * (stable for extreme logits).
 *
 * @param logits1 Pass 1 `(..., C)`.
 * @param logits2 Pass 2, same shape.
 * @param options A mask; whether pass 2 is a constant (default false).
 * @returns A scalar in `[0, ln 2]`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { jsHiddenCut } from "./js_hidden_cut.ts";
 * import { assertAlmostEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * // Disjoint distributions: the JS divergence is ln 2.
 * const a = tf.tensor2d([[60, -60]]), b = tf.tensor2d([[-60, 60]]);
 * const loss = jsHiddenCut(a, b);
 * assertAlmostEquals(loss.dataSync()[0]!, Math.log(2), 1e-5);
 * tf.dispose([a, b, loss]);
 * ```
 */
export function jsHiddenCut(
  logits1: Tensor,
  logits2: Tensor,
  options: JsHiddenCutOptions = {},
): Tensor {
  const caller = "jsHiddenCut";
  checkLogits(logits1, "logits1", caller);
  checkLogits(logits2, "logits2", caller);
  checkSameShape(logits1, logits2, "logits1 and logits2", caller);
  const stop = options.stopGradientSecond ?? false;
  checkStopFlag(stop, caller);
  checkMask(options.mask, logits1.shape.slice(0, -1), caller);
  return tf.tidy(() => {
    const log1 = logProbs(logits1);
    const log2 = logProbs(stop ? stopGradient(logits2) : logits2); // (..., C)
    // log m = log((e^log1 + e^log2)/2) = hi + log1p(e^(lo − hi)) − ln 2
    const hi = tf.maximum(log1, log2), lo = tf.minimum(log1, log2);
    const logM = tf.maximum(
      tf.sub(tf.add(hi, tf.log1p(tf.exp(tf.sub(lo, hi)))), Math.LN2),
      LOG_PROB_FLOOR,
    );
    const perPosition = tf.mul(tf.add(klPerPosition(log1, logM), klPerPosition(log2, logM)), 0.5);
    return maskedMean(perPosition, options.mask);
  });
}
