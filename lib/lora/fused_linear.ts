/**
 * A fused projection (e.g. q|k|v in one `(in, 3·d)` kernel) with LoRA on chosen output slices,
 * like loralib's `MergedLinear(enable_lora=[True, False, True])`: one product for the base, one
 * for the concatenated `A`s, one small product per adapted slice.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { DropContext } from "../dropout/context.ts";
import { dropRepresentation } from "../dropout/drop_representation.ts";
import type { Tensor, Tensor2D } from "../types.ts";
import { linearMatMul } from "./linear_matmul.ts";
import type { LoraLinearOptions } from "./lora_linear.ts";
import type { LinearWeights, LoraWeights } from "./weights.ts";
import { checkAdapterShapes, checkLinearWeights, checkScale, flattenInput } from "./_checks.ts";

/** One output slice of a fused kernel and its optional adapter `a (in, r)`, `b (r, size)`. */
export interface FusedSlice {
  /** The slice's width in the kernel's output axis. */
  readonly size: number;
  /** The slice's adapter, if adapted. */
  readonly adapter?: LoraWeights;
}

/**
 * A fused dense layer `x·kernel + bias` whose output is the concatenation of `slices`, with
 * `scale · drop(x)·aᵢ·bᵢ` added to every adapted slice. One input drop (one mask) is shared by all
 * slices, as in loralib's MergedLinear; the result equals separate {@linkcode loraLinear} calls
 * on the kernel's column blocks with the same key.
 *
 * @param x The input `(..., in)`.
 * @param base The frozen fused layer, kernel `(in, Σ sizes)`, bias `(Σ sizes)`.
 * @param slices The slices in output order, e.g. `[{ size: d, adapter: q }, { size: d }, { size: d, adapter: v }]`.
 * @param options The scale, and the drop at `lora-input`.
 * @param ctx The training flag and the key of the input drop.
 * @returns The output `(..., Σ sizes)`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { loraFusedLinear } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const x = tf.tensor2d([[1, 2]]);
 * const base = { kernel: tf.tensor2d([[1, 0, 0], [0, 1, 0]]) };
 * const adapter = { a: tf.tensor2d([[1], [1]]), b: tf.tensor2d([[1]]) };
 * const y = loraFusedLinear(x, base, [{ size: 2 }, { size: 1, adapter }], { scale: 1 }, { training: false });
 * assertEquals(y.arraySync(), [[1, 2, 3]]);
 * tf.dispose([x, y, base.kernel, adapter.a, adapter.b]);
 * ```
 */
export function loraFusedLinear(
  x: Tensor,
  base: LinearWeights,
  slices: readonly FusedSlice[],
  options: LoraLinearOptions,
  ctx: DropContext,
): Tensor {
  const caller = "run loraFusedLinear";
  const [inDim, outDim] = checkLinearWeights(base, caller);
  checkScale(options?.scale, caller);
  if (!Array.isArray(slices) || slices.length === 0) {
    throw new TypeError(`Cannot ${caller}: slices must be a non-empty array, received ${slices}`);
  }
  let total = 0;
  const ranks: number[] = [];
  for (const [i, slice] of slices.entries()) {
    if (!Number.isInteger(slice?.size) || slice.size < 1) {
      throw new RangeError(
        `Cannot ${caller}: slices[${i}].size must be a positive integer, received ${slice?.size}`,
      );
    }
    if (slice.adapter !== undefined) {
      ranks.push(checkAdapterShapes(slice.adapter, inDim, slice.size, `${caller} (slice ${i})`));
    }
    total += slice.size;
  }
  if (total !== outDim) {
    throw new RangeError(
      `Cannot ${caller}: slice sizes must add up to the kernel's ${outDim} outputs, received ${
        slices.map((s) => s.size).join(" + ")
      } = ${total}`,
    );
  }
  return tf.tidy(() => {
    const { flat, lead } = flattenInput(x, inDim, caller);
    let y: Tensor2D = linearMatMul(flat, base.kernel); // (N, Σ sizes)
    if (base.bias !== undefined) y = tf.add(y, base.bias);
    const adapted = slices.filter((s) => s.adapter !== undefined);
    if (adapted.length > 0 && options.scale !== 0) {
      const dropped = dropRepresentation(x, options.inputDrop, ctx, options.inputDropOptions);
      const h = dropped === x ? flat : tf.reshape(dropped, [-1, inDim]) as Tensor2D; // (N, in)
      const aAll = adapted.length === 1
        ? adapted[0]!.adapter!.a
        : tf.concat(adapted.map((s) => s.adapter!.a), 1) as Tensor2D; // (in, Σ r)
      const low = tf.mul(linearMatMul(h, aAll), options.scale) as Tensor2D; // (N, Σ r)
      const n = flat.shape[0];
      const parts: Tensor2D[] = [];
      let offset = 0, k = 0;
      for (const slice of slices) {
        if (slice.adapter === undefined) {
          parts.push(tf.zeros([n, slice.size])); // (N, size)
        } else {
          const r = ranks[k++]!;
          const lowSlice = adapted.length === 1 ? low : tf.slice(low, [0, offset], [n, r]); // (N, r)
          parts.push(linearMatMul(lowSlice, slice.adapter.b)); // (N, size)
          offset += r;
        }
      }
      y = tf.add(y, parts.length === 1 ? parts[0]! : tf.concat(parts, 1)); // (N, Σ sizes)
    }
    return x.rank === 2 ? y : tf.reshape(y, [...lead, outDim]); // (..., Σ sizes)
  });
}
