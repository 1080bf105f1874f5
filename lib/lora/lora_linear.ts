/**
 * The LoRA linear layer (Hu et al. 2021): `y = x·W + b + scale · drop(x)·A·B`, with dropout only
 * on the LoRA branch's input (loralib's `lora_dropout`, the framework's `lora-input` position).
 * Every product goes through {@linkcode linearMatMul} (fast gradients on wasm; a frozen `W` gets no
 * weight gradient unless it is differentiated).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { DropContext, DropOptions } from "../dropout/context.ts";
import { dropRepresentation } from "../dropout/drop_representation.ts";
import type { ResolvedDrop } from "../dropout/spec.ts";
import type { Tensor, Tensor2D } from "../types.ts";
import { linearMatMul } from "./linear_matmul.ts";
import type { LinearWeights, LoraWeights } from "./weights.ts";
import { checkAdapterShapes, checkLinearWeights, checkScale, flattenInput } from "./_checks.ts";

/** How a LoRA branch is applied. */
export interface LoraLinearOptions {
  /** The scale of the update, usually `loraScale(config)`. */
  readonly scale: number;
  /** The drop at the `lora-input` position (from `dropAt`), applied to the branch's input only. */
  readonly inputDrop?: ResolvedDrop;
  /** Extra inputs of the input drop (an explicit mask, the token mask for spans). */
  readonly inputDropOptions?: DropOptions;
}

/**
 * A dense layer with an optional LoRA branch:
 * `x·kernel + bias + scale · drop(x)·a·b`. Without an adapter (or with scale 0) it is the plain
 * dense layer. With `b` zero (a fresh adapter) the result equals the dense layer exactly.
 *
 * @param x The input `(..., in)`, float32.
 * @param base The frozen dense layer, kernel `(in, out)`.
 * @param adapter The adapter, `a` `(in, r)` and `b` `(r, out)`, or undefined.
 * @param options The scale, and the drop at `lora-input`.
 * @param ctx The training flag and the key of the input drop (identity when not training).
 * @returns The output `(..., out)`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { loraLinear } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const x = tf.tensor3d([[[1, 2]]]); // (1, 1, 2)
 * const base = { kernel: tf.tensor2d([[1, 0], [0, 1]]), bias: tf.tensor1d([0.5, 0]) };
 * const adapter = { a: tf.tensor2d([[1], [1]]), b: tf.tensor2d([[1, -1]]) };
 * const y = loraLinear(x, base, adapter, { scale: 2 }, { training: false });
 * assertEquals(y.arraySync(), [[[7.5, -4]]]);
 * tf.dispose([x, y, base.kernel, base.bias, adapter.a, adapter.b]);
 * ```
 */
export function loraLinear(
  x: Tensor,
  base: LinearWeights,
  adapter: LoraWeights | undefined,
  options: LoraLinearOptions,
  ctx: DropContext,
): Tensor {
  const caller = "run loraLinear";
  const [inDim, outDim] = checkLinearWeights(base, caller);
  if (adapter !== undefined) checkAdapterShapes(adapter, inDim, outDim, caller);
  checkScale(options?.scale, caller);
  return tf.tidy(() => {
    const { flat, lead } = flattenInput(x, inDim, caller);
    let y: Tensor2D = linearMatMul(flat, base.kernel); // (N, out)
    if (base.bias !== undefined) y = tf.add(y, base.bias);
    if (adapter !== undefined && options.scale !== 0) {
      // The drop sees the input in its own shape (column-token and span need (B, T, D)).
      const dropped = dropRepresentation(x, options.inputDrop, ctx, options.inputDropOptions);
      const h = dropped === x ? flat : tf.reshape(dropped, [-1, inDim]) as Tensor2D; // (N, in)
      const low = tf.mul(linearMatMul(h, adapter.a), options.scale) as Tensor2D; // (N, r)
      y = tf.add(y, linearMatMul(low, adapter.b)); // (N, out)
    }
    return x.rank === 2 ? y : tf.reshape(y, [...lead, outDim]); // (..., out)
  });
}
