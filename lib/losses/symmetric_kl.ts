/**
 * The bidirectional KL consistency loss of R-Drop and the paper (Eq. 11):
 * `½(KL(P1‖P2) + KL(P2‖P1))` between the softmax outputs of two dropout passes.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "../types.ts";
import { checkLogitPair, klPerPosition, logProbs, maskedMean } from "./_reduce.ts";
import { stopGradient } from "./stop_gradient.ts";

/** Options of {@linkcode symmetricKl}. */
export interface SymmetricKlOptions {
  /**
   * True: pass 2 is a constant target (the paper back-propagates one branch; pass 2's backward is
   * never run). False: gradients flow through both passes (the original R-Drop).
   */
  readonly stopGradientSecond: boolean;
  /** `(B, T)` for logits `(B, T, C)`: the mean runs over the tokens the mask counts. */
  readonly mask?: Tensor;
}

/**
 * `½(KL(P1‖P2) + KL(P2‖P1))` with `Pi = softmax(logits_i)` over the last axis, KL summed over
 * classes and averaged over positions (examples, or tokens the mask counts).
 *
 * @param logits1 Pass 1 `(..., C)`, float32.
 * @param logits2 Pass 2, same shape.
 * @param options Whether pass 2 is a constant, and a mask.
 * @returns A scalar ≥ 0, zero exactly when the two distributions agree.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { symmetricKl } from "@loradrop/core";
 * import { assert, assertAlmostEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const p = tf.tensor2d([[2, 0, -1]]), q = tf.tensor2d([[0, 1, 0]]);
 * const same = symmetricKl(p, p, { stopGradientSecond: true });
 * const diff = symmetricKl(p, q, { stopGradientSecond: true });
 * assertAlmostEquals(same.dataSync()[0]!, 0, 1e-7);
 * assert(diff.dataSync()[0]! > 0);
 * tf.dispose([p, q, same, diff]);
 * ```
 */
export function symmetricKl(logits1: Tensor, logits2: Tensor, options: SymmetricKlOptions): Tensor {
  const caller = "symmetricKl";
  const stop = options?.stopGradientSecond;
  checkLogitPair(logits1, logits2, ["logits1", "logits2"], stop, options?.mask, caller);
  return tf.tidy(() => {
    const second = options.stopGradientSecond ? stopGradient(logits2) : logits2;
    const log1 = logProbs(logits1), log2 = logProbs(second); // (..., C)
    const perPosition = tf.mul(tf.add(klPerPosition(log1, log2), klPerPosition(log2, log1)), 0.5); // (...)
    return maskedMean(perPosition, options.mask);
  });
}
