/**
 * The paper's JS consistency loss (Eq. 12): `KL(P1 ‖ P̄)`, the training pass's distribution against
 * the inference (dropout-off) distribution of the same input, P̄ a constant target.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "../types.ts";
import { checkLogitPair, klPerPosition, logProbs, maskedMean } from "./_reduce.ts";
import { stopGradient } from "./stop_gradient.ts";

/** Options of {@linkcode jsToInference}. */
export interface JsToInferenceOptions {
  /** `(B, T)` for logits `(B, T, C)`: the mean runs over the tokens the mask counts. */
  readonly mask?: Tensor;
  /**
   * True (default, the paper): P̄ is a constant. False: gradients also flow into the inference pass
   * (a consistency plan with `branches: "both"`).
   */
  readonly stopGradientSecond?: boolean;
}

/**
 * `KL(P1 ‖ P̄)` with `P1 = softmax(logitsTrain)`, `P̄ = softmax(logitsInference)`, summed over
 * classes and averaged over positions.
 *
 * @param logitsTrain The training (dropout) pass `(..., C)`.
 * @param logitsInference The inference pass of the same input, same shape.
 * @param options A mask; whether P̄ is a constant (default true).
 * @returns A scalar ≥ 0.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { jsToInference } from "@loradrop/core";
 * import { assertAlmostEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const train = tf.tensor2d([[Math.log(3), 0]]); // P1 = (3/4, 1/4)
 * const infer = tf.tensor2d([[0, 0]]); // P̄ = (1/2, 1/2)
 * const loss = jsToInference(train, infer);
 * const expected = 0.75 * Math.log(1.5) + 0.25 * Math.log(0.5);
 * assertAlmostEquals(loss.dataSync()[0]!, expected, 1e-6);
 * tf.dispose([train, infer, loss]);
 * ```
 */
export function jsToInference(
  logitsTrain: Tensor,
  logitsInference: Tensor,
  options: JsToInferenceOptions = {},
): Tensor {
  const caller = "jsToInference";
  const stop = options.stopGradientSecond ?? true;
  const names = ["logitsTrain", "logitsInference"] as const;
  checkLogitPair(logitsTrain, logitsInference, names, stop, options.mask, caller);
  return tf.tidy(() => {
    const reference = stop ? stopGradient(logitsInference) : logitsInference;
    const perPosition = klPerPosition(logProbs(logitsTrain), logProbs(reference)); // (...)
    return maskedMean(perPosition, options.mask);
  });
}
