/**
 * Global-norm gradient clipping: when `‖g‖ = √(Σ ‖g_i‖²)` exceeds `maxNorm`, every gradient is
 * scaled by `maxNorm / (‖g‖ + 1e-6)` (PyTorch's `clip_grad_norm_` convention). Runs on device:
 * no read-back of the norm is needed.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { NamedTensors, Tensor } from "../types.ts";

/** What {@linkcode clipByGlobalNorm} returns. */
export interface ClippedGradients {
  /** The (possibly scaled) gradients, by the same names. */
  readonly grads: NamedTensors;
  /** The global norm before clipping, a scalar tensor. */
  readonly norm: Tensor;
}

/**
 * Scales a set of gradients so that their global norm is at most `maxNorm`.
 *
 * @param grads Gradients by name (not disposed; call inside `tf.tidy`).
 * @param maxNorm The largest allowed global norm (> 0), or `Infinity` for none (the norm is
 * still computed).
 * @returns New gradient tensors and the norm before clipping.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { clipByGlobalNorm } from "@loradrop/core/train";
 * import { assertAlmostEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * tf.tidy(() => {
 *   const { grads, norm } = clipByGlobalNorm({ a: tf.tensor1d([3]), b: tf.tensor1d([4]) }, 1);
 *   assertAlmostEquals(norm.dataSync()[0]!, 5, 1e-5);
 *   assertAlmostEquals(grads.a!.dataSync()[0]!, 0.6, 1e-5);
 *   assertAlmostEquals(grads.b!.dataSync()[0]!, 0.8, 1e-5);
 * });
 * ```
 */
export function clipByGlobalNorm(grads: NamedTensors, maxNorm: number): ClippedGradients {
  if (typeof maxNorm !== "number" || Number.isNaN(maxNorm) || maxNorm <= 0) {
    throw new RangeError(
      `Cannot clip gradients: maxNorm must be a number > 0 (or Infinity), received ${maxNorm}`,
    );
  }
  const names = Object.keys(grads);
  if (names.length === 0) {
    throw new TypeError("Cannot clip gradients: grads is empty");
  }
  const squares = names.map((n) => tf.sum(tf.square(grads[n]!)));
  const norm = tf.sqrt(tf.addN(squares));
  if (maxNorm === Infinity) return { grads: { ...grads }, norm };
  // min(1, maxNorm / (norm + 1e-6)): a no-op below the threshold.
  const scale = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
  const out: NamedTensors = {};
  for (const n of names) out[n] = tf.mul(grads[n]!, scale);
  return { grads: out, norm };
}
