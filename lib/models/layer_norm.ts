/**
 * Layer normalisation over the last axis, as BERT, RoBERTa and tensor2tensor (USE-lite) compute it:
 * `(x − mean) · rsqrt(var + eps) · gamma + beta`, with the biased variance.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D } from "../types.ts";

/** The two learned vectors of a LayerNorm, each `(D)`. */
export interface LayerNormWeights {
  /** The scale `(D)`. */
  readonly gamma: Tensor1D;
  /** The shift `(D)`. */
  readonly beta: Tensor1D;
}

/**
 * Normalises `x` over its last axis.
 *
 * @param x The input `(..., D)`.
 * @param weights The scale and shift, each `(D)`.
 * @param eps The variance epsilon (BERT 1e-12, RoBERTa 1e-5, USE-lite 1e-6).
 * @returns A tensor shaped like `x`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { layerNorm } from "@loradrop/core/models";
 * import { assertAlmostEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const y = layerNorm(tf.tensor2d([[1, 2, 3]]), { gamma: tf.ones([3]), beta: tf.zeros([3]) }, 1e-6);
 * const v = y.dataSync();
 * assertAlmostEquals(v[0]!, -1.2247, 1e-3);
 * assertAlmostEquals(v[1]!, 0, 1e-6);
 * ```
 */
export function layerNorm(x: Tensor, weights: LayerNormWeights, eps: number): Tensor {
  const d = x.shape[x.shape.length - 1];
  if (weights.gamma.shape[0] !== d || weights.beta.shape[0] !== d) {
    throw new RangeError(
      `Cannot apply layerNorm: weights must have size ${d} (the input's last axis), received gamma ${
        JSON.stringify(weights.gamma.shape)
      } and beta ${JSON.stringify(weights.beta.shape)}`,
    );
  }
  if (!(eps > 0)) {
    throw new RangeError(`Cannot apply layerNorm: eps must be > 0, received ${eps}`);
  }
  return tf.tidy(() => {
    const axis = x.shape.length - 1;
    const mean = tf.mean(x, axis, true); // (..., 1)
    const centred = tf.sub(x, mean); // (..., D)
    const variance = tf.mean(tf.square(centred), axis, true); // (..., 1)
    const normed = tf.mul(centred, tf.rsqrt(tf.add(variance, eps))); // (..., D)
    return tf.add(tf.mul(normed, weights.gamma), weights.beta);
  });
}
