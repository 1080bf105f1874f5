/**
 * A stop-gradient that cuts the tape: the value of `x`, as a constant for `tf.grad`.
 *
 * tfjs has no `stopGradient`. A custom gradient returning zeros would still back-propagate through
 * everything that produced `x` (multiplying by zero); this one records a node with no inputs, so
 * the pass that produced `x` is not on any gradient path and its backward pass is never run —
 * PyTorch's `.detach()`, the paper's single back-propagated branch.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "../types.ts";

/**
 * The value of `x` as a constant: gradients do not flow into `x` nor into what produced it.
 *
 * @param x Any tensor.
 * @returns A new tensor with the same values (the caller disposes it, or a `tf.tidy` does).
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { stopGradient } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const x = tf.tensor1d([1, 2]);
 * // d/dx Σ x·sg(x) = sg(x) = x, not 2x.
 * const g = tf.grad((v) => tf.sum(tf.mul(v, stopGradient(v))))(x);
 * assertEquals(Array.from(g.dataSync()), [1, 2]);
 * tf.dispose([x, g]);
 * ```
 */
export function stopGradient<T extends Tensor>(x: T): T {
  if (!(x instanceof tf.Tensor)) {
    throw new TypeError(`Cannot stop the gradient: expected a tensor, received ${typeof x}`);
  }
  // A custom-gradient op with no tensor inputs: its output is not connected to x on the tape.
  const constant = tf.customGrad(() => ({ value: tf.clone(x), gradFunc: () => [] }));
  return constant() as T;
}
