/**
 * The mean squared error of a regression head.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "../types.ts";
import { checkMask, checkSameShape, maskedMean } from "./_reduce.ts";

/** Options of {@linkcode meanSquaredError}. */
export interface MeanSquaredErrorOptions {
  /** A mask over the leading axes (e.g. `(B, T)`); trailing axes are averaged per position. */
  readonly mask?: Tensor;
}

/**
 * `mean((pred − target)²)`, over the positions the mask counts when one is given.
 *
 * @param pred Predictions, float32.
 * @param target Targets of the same shape.
 * @param options An optional mask.
 * @returns A scalar.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { meanSquaredError } from "@loradrop/core";
 * import { assertAlmostEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const pred = tf.tensor1d([1, 2]), target = tf.tensor1d([0, 4]);
 * const loss = meanSquaredError(pred, target);
 * assertAlmostEquals(loss.dataSync()[0]!, 2.5);
 * tf.dispose([pred, target, loss]);
 * ```
 */
export function meanSquaredError(
  pred: Tensor,
  target: Tensor,
  options: MeanSquaredErrorOptions = {},
): Tensor {
  for (const [name, t] of [["pred", pred], ["target", target]] as const) {
    if (!(t instanceof tf.Tensor) || t.dtype !== "float32") {
      throw new TypeError(
        `Cannot compute meanSquaredError: ${name} must be a float32 tensor, received ${
          t instanceof tf.Tensor ? t.dtype : typeof t
        }`,
      );
    }
  }
  checkSameShape(pred, target, "pred and target", "meanSquaredError");
  checkMask(options.mask, pred.shape, "meanSquaredError");
  return tf.tidy(() => maskedMean(tf.squaredDifference(pred, target), options.mask));
}
