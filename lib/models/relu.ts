/**
 * ReLU whose gradient reads the saved output: `dx = dy · sign(relu(x))` (`step` on wasm).
 *
 * tfjs's own ReLU gradient is `dy · step(x)`, and tfjs-node builds `step` from several TensorFlow
 * ops over the whole activation (a fill, a comparison, two selects and a NaN check: ~6 ms per FFN
 * activation of the default model, ~7% of a tfjs-node training step). `sign` of the output is one
 * op on every backend and equals `step(x)` exactly: 1 where `x > 0`, else 0.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "../types.ts";
import { ensureForwardingKernel, type ForwardingKernelSpec } from "../kernels/forwarding_kernel.ts";

/** The kernel name under which {@linkcode relu} is registered. */
export const RELU_KERNEL = "LoradropRelu";

const SPEC: ForwardingKernelSpec = {
  kernelName: RELU_KERNEL,
  target: tf.Relu,
  kernel: (_, backendRelu) => ({ inputs, backend }) => backendRelu.kernelFunc({ inputs, backend }),
  gradient: {
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved as [Tensor];
      // wasm's Step is vectorised and its Sign is not (1 ms vs 7 ms here); elsewhere Sign is one
      // op where Step may be several. On y = relu(x) ≥ 0 both are 1 where x > 0, else 0.
      const slope = () => tf.getBackend() === "wasm" ? tf.step(y) : tf.sign(y);
      return { x: () => tf.mul(dy as Tensor, slope()) };
    },
  },
};

/**
 * `max(x, 0)` element-wise, float32, differentiable (gradient 1 where `x > 0`, else 0).
 *
 * @param x Any float32 tensor.
 * @returns `relu(x)`, shaped like `x`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { relu } from "./relu.ts";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const x = tf.tensor1d([-1, 0, 2]);
 * assertEquals(Array.from(relu(x).dataSync()), [0, 0, 2]);
 * const g = tf.grad((v: tf.Tensor) => tf.sum(relu(v)))(x);
 * assertEquals(Array.from(g.dataSync()), [0, 0, 1]);
 * ```
 */
export function relu(x: Tensor): Tensor {
  if (x.dtype !== "float32") {
    throw new TypeError(`Cannot run relu: expected a float32 tensor, received ${x.dtype}`);
  }
  ensureForwardingKernel(SPEC);
  return tf.engine().runKernel(RELU_KERNEL, { x }, {}) as Tensor;
}
