/**
 * A batched matrix product for attention (`(..., M, K)·(..., K, N)`) whose gradient transposes
 * explicitly: tfjs's own BatchMatMul gradient uses the `transposeA`/`transposeB` flags, which the
 * wasm backend runs 10-20x slower (platform.md). The 2-D weight products use `linearMatMul`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "../types.ts";

function swapLast(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1]!, perm[n - 2]!];
  return tf.transpose(x, perm); // (..., N, M)
}

const product = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [Tensor, Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b), // (..., M, N)
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [sa, sb] = saved as [Tensor, Tensor];
      return [tf.matMul(dy, swapLast(sb)), tf.matMul(swapLast(sa), dy)];
    },
  };
});

/**
 * `a · b` over the last two axes, with equal leading (batch) axes, float32.
 *
 * @param a The left operand `(..., M, K)`, rank ≥ 3.
 * @param b The right operand `(..., K, N)`, same rank and batch axes.
 * @returns The product `(..., M, N)`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { batchMatMul } from "./batch_matmul.ts";
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
  return product(a, b) as Tensor;
}
