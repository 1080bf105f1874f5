/**
 * A batched matrix product for attention (`(..., M, K)·(..., K, N)`) whose gradient is computed
 * only for the operands being differentiated, plus the transposed products of gradients
 * (`aᵀ·b`, `a·bᵀ`). tfjs's own BatchMatMul gradient uses the `transposeA`/`transposeB` flags,
 * which the wasm backend runs 10-20x slower (measured in BENCHMARKS.md): on wasm, `Aᵀ` is read through strides
 * and `Bᵀ` is materialised; elsewhere the backend's flags are used. The 2-D weight products use
 * `linearMatMul`.
 *
 * On the wasm backend the product runs in loradrop's SIMD kernel (`lib/kernels/`) instead of
 * tfjs-backend-wasm's scalar fallback for batched right operands (~2 GFLOP/s); elsewhere it
 * forwards to the backend's BatchMatMul.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "../types.ts";
import { wasmBatchMatMulInfo, wasmBatchMatMulSupports } from "../kernels/wasm_batch_matmul.ts";
import { ensureForwardingKernel, type ForwardingKernelSpec } from "../kernels/forwarding_kernel.ts";
import { MAT_MUL_TRANSPOSED_B_KERNEL } from "../kernels/wasm_transposed_weights.ts";

/** The kernel name under which {@linkcode batchMatMul} is registered (attr `transposeA`). */
export const BATCH_MAT_MUL_KERNEL = "LoradropBatchMatMul";

function swapLast(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1]!, perm[n - 2]!];
  return tf.transpose(x, perm); // (..., N, M)
}

/**
 * `x · yᵀ` over the last two axes, first-order only (for gradients). wasm runs transposed
 * operands 10-20x slower, so there the transpose is explicit; other backends (tfjs-node's
 * TensorFlow above all) take the flag natively and an explicit transpose would be a wasted copy.
 */
function timesTransposed(x: Tensor, y: Tensor): Tensor {
  return tf.getBackend() === "wasm" ? product(x, swapLast(y), false) : tf.matMul(x, y, false, true);
}

const SPEC: ForwardingKernelSpec = {
  kernelName: BATCH_MAT_MUL_KERNEL,
  target: tf.BatchMatMul,
  kernel: (backendName, fallback) => ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const transposeA = (attrs as { transposeA: boolean }).transposeA;
    if (backendName === "wasm" && wasmBatchMatMulSupports(a.shape, b.shape, transposeA)) {
      return wasmBatchMatMulInfo(backend, a, b, transposeA);
    }
    return fallback.kernelFunc({
      inputs: { a, b },
      backend,
      attrs: { transposeA, transposeB: false },
    });
  },
  gradient: {
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [Tensor, Tensor];
      const g = dy as Tensor;
      // Each closure runs only when that input is on the path being differentiated.
      if ((attrs as { transposeA: boolean }).transposeA) {
        // C = Aᵀ·B with A (..., K, M): dA = B·dCᵀ, dB = A·dC
        return {
          a: () => timesTransposed(b, g),
          b: () => product(a, g, false),
        };
      }
      // C = A·B: dA = dC·Bᵀ, dB = Aᵀ·dC (Aᵀ read through strides on wasm)
      return {
        a: () => timesTransposed(g, b),
        b: () => product(a, g, true),
      };
    },
  },
};

function product(a: Tensor, b: Tensor, transposeA: boolean): Tensor {
  ensureForwardingKernel(SPEC);
  return tf.engine().runKernel(
    BATCH_MAT_MUL_KERNEL,
    { a, b },
    { transposeA } as unknown as tf.NamedAttrMap,
  ) as Tensor;
}

/**
 * `aᵀ · b` for matrices (`(K, M)ᵀ·(K, N)`), not differentiable: the weight gradient of a linear
 * layer (`xᵀ·dY`). On wasm the SIMD kernel reads `aᵀ` through strides instead of materialising
 * the transpose (and instead of XNNPACK repacking `dY` as weights for a product with few rows);
 * elsewhere the backend's `transposeA` flag is used.
 *
 * @param a The left matrix `(K, M)`, read transposed.
 * @param b The right matrix `(K, N)`.
 * @returns The product `(M, N)`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { matMulTransposedA } from "@loradrop/core/models";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "wasm" });
 * const a = tf.tensor2d([[1], [2]]), b = tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 8]]);
 * assertEquals(matMulTransposedA(a, b).arraySync(), [[11, 14, 17, 20]]);
 * ```
 */
export function matMulTransposedA(a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[0] !== b.shape[0]) {
    throw new RangeError(
      `Cannot run matMulTransposedA: expected (K, M) and (K, N) matrices, received shapes [${a.shape}] and [${b.shape}]`,
    );
  }
  // The batched kernel picks the path: strides on wasm, the backend's transposeA flag elsewhere.
  return tf.tidy(() => {
    const a3 = tf.reshape(a, [1, ...a.shape]); // (1, K, M)
    const b3 = tf.reshape(b, [1, ...b.shape]); // (1, K, N)
    const c = product(a3, b3, true); // (1, M, N)
    return tf.reshape(c, [a.shape[1]!, b.shape[1]!]); // (M, N)
  });
}

/**
 * `a · bᵀ` for matrices (`(M, K)·(N, K)ᵀ`), not differentiable: the input gradient of a linear
 * layer (`dY·Wᵀ`). On wasm, where transposed operands are 10-20x slower, `bᵀ` is materialised
 * once per weight buffer and kept, so XNNPACK also keeps its packed operator
 * (`lib/kernels/wasm_transposed_weights.ts`); elsewhere the backend's transpose flag is used.
 *
 * @param a The left matrix `(M, K)`.
 * @param b The right matrix `(N, K)`, read transposed.
 * @returns The product `(M, N)`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { matMulTransposedB } from "@loradrop/core/models";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const a = tf.tensor2d([[1, 2]]), b = tf.tensor2d([[3, 4], [5, 6]]);
 * assertEquals(matMulTransposedB(a, b).arraySync(), [[11, 17]]);
 * ```
 */
export function matMulTransposedB(a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[1]) {
    throw new RangeError(
      `Cannot run matMulTransposedB: expected (M, K) and (N, K) matrices, received shapes [${a.shape}] and [${b.shape}]`,
    );
  }
  return tf.tidy(() => {
    if (tf.getBackend() === "wasm") {
      // bᵀ kept per weight buffer, so XNNPACK reuses its packed operator (lib/kernels/).
      return tf.engine().runKernel(MAT_MUL_TRANSPOSED_B_KERNEL, { a, b }, {}) as Tensor; // (M, N)
    }
    return tf.matMul(a, b, false, true); // (M, K)·(N, K)ᵀ
  });
}

/**
 * `a · b` over the last two axes, with equal leading (batch) axes, float32.
 *
 * @param a The left operand `(..., M, K)`, rank ≥ 3.
 * @param b The right operand `(..., K, N)`, same rank and batch axes.
 * @returns The product `(..., M, N)`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { batchMatMul } from "@loradrop/core/models";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const a = tf.tensor3d([[[1, 2]]]), b = tf.tensor3d([[[3], [4]]]);
 * assertEquals(batchMatMul(a, b).arraySync(), [[[11]]]);
 * const [ga] = tf.grads((x: tf.Tensor) => tf.sum(batchMatMul(x, b)))([a]);
 * assertEquals(ga!.arraySync(), [[[3, 4]]]);
 * ```
 */
export function batchMatMul(a: Tensor, b: Tensor): Tensor {
  if (a.rank < 3 || a.rank !== b.rank) {
    throw new RangeError(
      `Cannot run batchMatMul: expected two tensors of the same rank >= 3, received shapes [${a.shape}] and [${b.shape}]`,
    );
  }
  const n = a.rank;
  for (let i = 0; i < n - 2; i++) {
    if (a.shape[i] !== b.shape[i]) {
      throw new RangeError(
        `Cannot run batchMatMul: batch axes differ, received shapes [${a.shape}] and [${b.shape}]`,
      );
    }
  }
  if (a.shape[n - 1] !== b.shape[n - 2]) {
    throw new RangeError(
      `Cannot run batchMatMul: inner dimensions differ, received shapes [${a.shape}] and [${b.shape}]`,
    );
  }
  if (a.dtype !== "float32" || b.dtype !== "float32") {
    throw new TypeError(
      `Cannot run batchMatMul: expected float32 tensors, received ${a.dtype} and ${b.dtype}`,
    );
  }
  return product(a, b, false);
}
