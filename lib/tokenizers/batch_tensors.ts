/**
 * Turning an {@linkcode EncodedBatch} (plain typed arrays) into int32 tensors of shape `(B, T)`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D } from "../types.ts";
import type { EncodedBatch } from "./encode_batch.ts";

/** The tensors of one batch, each `(B, T)` int32. */
export interface BatchTensors {
  /** (B, T) token ids. */
  readonly inputIds: Tensor2D;
  /** (B, T) 1 real token, 0 padding. */
  readonly attentionMask: Tensor2D;
  /** (B, T) segment ids, when the batch has them. */
  readonly tokenTypeIds?: Tensor2D;
}

/**
 * Makes `(B, T)` int32 tensors from an encoded batch. The caller owns (and disposes) them.
 *
 * @param batch The batch from `encodeBatch`.
 * @returns The tensors.
 * @example
 * ```ts
 * import { batchTensors } from "@loradrop/core/tokenizers";
 * import { assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * await tf.setBackend("cpu");
 * const t = batchTensors({
 *   inputIds: Int32Array.from([5, 6, 0, 7, 8, 9]),
 *   attentionMask: Int32Array.from([1, 1, 0, 1, 1, 1]),
 *   shape: [2, 3],
 * });
 * assertEquals(t.inputIds.shape, [2, 3]);
 * assertEquals(t.attentionMask.dtype, "int32");
 * tf.dispose([t.inputIds, t.attentionMask]);
 * ```
 */
export function batchTensors(batch: EncodedBatch): BatchTensors {
  const [b, t] = batch.shape;
  for (
    const [name, data] of [
      ["inputIds", batch.inputIds],
      ["attentionMask", batch.attentionMask],
      ["tokenTypeIds", batch.tokenTypeIds],
    ] as const
  ) {
    if (data !== undefined && data.length !== b * t) {
      throw new RangeError(
        `Cannot make batch tensors: ${name} must hold B·T = ${b}·${t} = ${
          b * t
        } values, received ${data.length}`,
      );
    }
  }
  const inputIds = tf.tensor2d(batch.inputIds, [b, t], "int32"); // (B, T)
  const attentionMask = tf.tensor2d(batch.attentionMask, [b, t], "int32"); // (B, T)
  if (batch.tokenTypeIds === undefined) return { inputIds, attentionMask };
  const tokenTypeIds = tf.tensor2d(batch.tokenTypeIds, [b, t], "int32"); // (B, T)
  return { inputIds, attentionMask, tokenTypeIds };
}
