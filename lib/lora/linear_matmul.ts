/**
 * A 2-D matrix product with lazy, wasm-aware gradients.
 *
 * TensorFlow.js's own matMul gradient multiplies with `transposeA`/`transposeB` flags, which the
 * wasm backend runs 10-20x slower than a plain product. This op is registered as its own kernel
 * (forwarding to the backend's `BatchMatMul`) whose gradients are `matMulTransposedB` (`dY·Wᵀ`,
 * with `Wᵀ` kept per weight on wasm) and `matMulTransposedA` (`xᵀ·dY`, read through strides on
 * wasm); other backends use the flags. Unlike `tf.customGrad`, whose gradient function computes
 * every input's gradient, a registered gradient is lazy per input: a frozen weight that is not
 * differentiated gets no weight-gradient product at all.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D } from "../types.ts";
import { matMulTransposedA, matMulTransposedB } from "../models/batch_matmul.ts";
import { ensureForwardingKernel, type ForwardingKernelSpec } from "../kernels/forwarding_kernel.ts";

/** The kernel name under which {@linkcode linearMatMul} is registered. */
export const LINEAR_MAT_MUL_KERNEL = "LoradropLinearMatMul";

const SPEC: ForwardingKernelSpec = {
  kernelName: LINEAR_MAT_MUL_KERNEL,
  target: tf.BatchMatMul,
  kernel: (_, batchMatMul) => ({ inputs, backend }) =>
    batchMatMul.kernelFunc({ inputs, backend, attrs: { transposeA: false, transposeB: false } }),
  gradient: {
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [Tensor2D, Tensor2D];
      const g = dy as Tensor2D;
      // Each closure runs only when that input is on the path being differentiated.
      return {
        a: () => matMulTransposedB(g, b) as Tensor2D, // (M, N)·(K, N)ᵀ → (M, K)
        b: () => matMulTransposedA(a, g) as Tensor2D, // (M, K)ᵀ·(M, N) → (K, N)
      };
    },
  },
};

/**
 * The product `a · b` of two float32 matrices, differentiable, with gradients that avoid
 * transposed operands on wasm and are computed only where they are asked for.
 *
 * @param a The left matrix `(M, K)`.
 * @param b The right matrix `(K, N)`.
 * @returns The product `(M, N)`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { linearMatMul } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const a = tf.tensor2d([[1, 2]]), b = tf.tensor2d([[3], [4]]);
 * assertEquals(linearMatMul(a, b).arraySync(), [[11]]);
 * const ga = tf.grad((x) => tf.sum(linearMatMul(x as tf.Tensor2D, b)))(a);
 * assertEquals(ga.arraySync(), [[3, 4]]);
 * ```
 */
export function linearMatMul(a: Tensor2D, b: Tensor2D): Tensor2D {
  if (!(a instanceof tf.Tensor) || !(b instanceof tf.Tensor)) {
    throw new TypeError(
      `Cannot run linearMatMul: expected two tensors, received ${typeof a} and ${typeof b}`,
    );
  }
  if (a.rank !== 2 || b.rank !== 2) {
    throw new RangeError(
      `Cannot run linearMatMul: expected two matrices, received shapes [${a.shape}] and [${b.shape}]`,
    );
  }
  if (a.shape[1] !== b.shape[0]) {
    throw new RangeError(
      `Cannot run linearMatMul: inner dimensions differ, received shapes [${a.shape}] and [${b.shape}]`,
    );
  }
  if (a.dtype !== "float32" || b.dtype !== "float32") {
    throw new TypeError(
      `Cannot run linearMatMul: expected float32 tensors, received ${a.dtype} and ${b.dtype}`,
    );
  }
  ensureForwardingKernel(SPEC);
  return tf.engine().runKernel(LINEAR_MAT_MUL_KERNEL, { a, b }, {}) as Tensor2D;
}
