/**
 * The consistency loss for regression heads (and for the last layer's hidden states, the paper's
 * STS-B choice): the mean squared difference between two dropout passes.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "../types.ts";
import { checkMask, checkSameShape, checkStopFlag, maskedMean } from "./_reduce.ts";
import { stopGradient } from "./stop_gradient.ts";

/** Options of {@linkcode mseConsistency}. */
export interface MseConsistencyOptions {
  /** True: pass 2 is a constant target (one back-propagated branch). */
  readonly stopGradientSecond: boolean;
  /** A mask over the leading axes (e.g. `(B, T)` for hidden states `(B, T, D)`). */
  readonly mask?: Tensor;
}

/**
 * `mean((out1 − out2)²)`, trailing axes averaged per position, positions averaged (over those the
 * mask counts).
 *
 * @param out1 Pass 1, float32.
 * @param out2 Pass 2, same shape.
 * @param options Whether pass 2 is a constant, and a mask.
 * @returns A scalar ≥ 0.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { mseConsistency } from "@loradrop/core";
 * import { assertAlmostEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const a = tf.tensor1d([1, 2]), b = tf.tensor1d([1, 4]);
 * const loss = mseConsistency(a, b, { stopGradientSecond: true });
 * assertAlmostEquals(loss.dataSync()[0]!, 2);
 * tf.dispose([a, b, loss]);
 * ```
 */
export function mseConsistency(out1: Tensor, out2: Tensor, options: MseConsistencyOptions): Tensor {
  const caller = "mseConsistency";
  for (const [name, t] of [["out1", out1], ["out2", out2]] as const) {
    if (!(t instanceof tf.Tensor) || t.dtype !== "float32") {
      throw new TypeError(
        `Cannot compute ${caller}: ${name} must be a float32 tensor, received ${
          t instanceof tf.Tensor ? t.dtype : typeof t
        }`,
      );
    }
  }
  checkSameShape(out1, out2, "out1 and out2", caller);
  checkStopFlag(options?.stopGradientSecond, caller);
  checkMask(options.mask, out1.shape, caller);
  return tf.tidy(() => {
    const second = options.stopGradientSecond ? stopGradient(out2) : out2;
    return maskedMean(tf.squaredDifference(out1, second), options.mask);
  });
}
