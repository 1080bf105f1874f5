/**
 * Data-to-text examples as training batches for a decoder LM (microsoft/LoRA's layout): the
 * sequence is `context ++ [sep] ++ " " + reference ++ [eos]`, the model reads it shifted by one,
 * and only the reference's tokens (and the EOS) carry labels.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type LmExample, lmExample } from "../data/linearize.ts";
import { IGNORE_LABEL } from "../../models/decoder_task_model.ts";
import type { BatchSource, LabeledBatch } from "../../train/batches.ts";
import type { Tensor2D } from "../../types.ts";

/** A (context, reference) pair to train on. */
export interface TextPair {
  /** The linearised input (`name : X | Type : pub | …`). */
  readonly context: string;
  /** One reference text. */
  readonly reference: string;
}

/** Options of {@linkcode lmBatchSource}. */
export interface LmSourceOptions {
  /** The separator after the context and the EOS after the reference (USE-lite `</s>` = 2). */
  readonly eosId: number;
  /** The id in padding positions (masked), 0 by default. */
  readonly padId?: number;
  /** Sequences longer than this (prompt + target − 1) are an error: the model's positions. */
  readonly maxLength: number;
}

/**
 * The input ids and labels of one LM example: `ids = (prompt ++ target)[0 .. n−1)`,
 * `labels[i] = (prompt ++ target)[i + 1]` where that token belongs to the target, else
 * {@linkcode IGNORE_LABEL}.
 *
 * @param example The prompt and target ids.
 * @returns Ids and labels of equal length.
 * @example
 * ```ts
 * import { shiftedLmExample } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * const { ids, labels } = shiftedLmExample({ prompt: Int32Array.of(7, 8, 2), target: Int32Array.of(9, 2) });
 * assertEquals([...ids], [7, 8, 2, 9]);
 * assertEquals([...labels], [-100, -100, 9, 2]);
 * ```
 */
export function shiftedLmExample(example: LmExample): { ids: Int32Array; labels: Int32Array } {
  const seq = Int32Array.from([...example.prompt, ...example.target]);
  const n = seq.length - 1;
  if (example.prompt.length === 0 || example.target.length === 0) {
    throw new RangeError(
      `Cannot build an LM training example: prompt and target must be non-empty, received ${example.prompt.length} and ${example.target.length} tokens`,
    );
  }
  const ids = seq.slice(0, n);
  const labels = new Int32Array(n).fill(IGNORE_LABEL);
  for (let i = example.prompt.length - 1; i < n; i++) labels[i] = seq[i + 1]!;
  return { ids, labels };
}

/**
 * A {@linkcode BatchSource} for `train()` over (context, reference) pairs: right-padded `(B, T)`
 * ids, mask and `(B, T)` int32 labels ({@linkcode IGNORE_LABEL} on prompt and padding). Every
 * pair is tokenised once. `labels` (per example, for classification metrics) are zeros: use
 * generation and the NLG metrics to evaluate.
 *
 * @param pairs The training pairs.
 * @param encode Text → ids without special tokens.
 * @param options EOS/separator, padding id and maximum length.
 * @returns The batch source.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { lmBatchSource } from "@loradrop/core/nlg";
 * import { disposeLabeledBatch } from "@loradrop/core/train";
 * import { assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * const encode = (s: string) => s.trim().split(" ").map((w) => w.length + 10);
 * const source = lmBatchSource([{ context: "a bb", reference: "ccc" }, { context: "a", reference: "dd ee" }], encode, { eosId: 2, maxLength: 16 });
 * const batch = source.batch([0, 1]);
 * assertEquals(batch.inputs.inputIds.arraySync(), [[11, 12, 2, 13], [11, 2, 12, 12]]);
 * assertEquals(batch.labels.arraySync(), [[-100, -100, 13, 2], [-100, 12, 12, 2]]);
 * assertEquals(batch.tokens, 8);
 * disposeLabeledBatch(batch);
 * ```
 */
export function lmBatchSource(
  pairs: readonly TextPair[],
  encode: (text: string) => ArrayLike<number>,
  options: LmSourceOptions,
): BatchSource {
  if (pairs.length === 0) throw new RangeError("Cannot build an LM batch source: no pairs");
  const padId = options.padId ?? 0;
  const rows = pairs.map((p, i) => {
    const ex = shiftedLmExample(
      lmExample(p.context, p.reference, encode, {
        eosId: options.eosId,
        separatorId: options.eosId,
      }),
    );
    if (ex.ids.length > options.maxLength) {
      throw new RangeError(
        `Cannot build an LM batch source: pair ${i} has ${ex.ids.length} tokens, more than maxLength ${options.maxLength}`,
      );
    }
    return ex;
  });
  return {
    size: rows.length,
    labels: new Int32Array(rows.length),
    lengths: Int32Array.from(rows, (r) => r.ids.length),
    batch(indices: readonly number[]): LabeledBatch {
      const b = indices.length;
      const t = indices.reduce((m, i) => Math.max(m, rows[i]!.ids.length), -Infinity);
      const ids = new Int32Array(b * t).fill(padId);
      const mask = new Float32Array(b * t);
      const labels = new Int32Array(b * t).fill(IGNORE_LABEL);
      let tokens = 0;
      indices.forEach((i, r) => {
        const row = rows[i];
        if (row === undefined) {
          throw new RangeError(
            `Cannot build an LM batch: index ${i} is not in [0, ${rows.length})`,
          );
        }
        ids.set(row.ids, r * t);
        labels.set(row.labels, r * t);
        mask.fill(1, r * t, r * t + row.ids.length);
        tokens += row.ids.length;
      });
      return {
        inputs: {
          inputIds: tf.tensor2d(ids, [b, t], "int32") as Tensor2D,
          attentionMask: tf.tensor2d(mask, [b, t]) as Tensor2D,
        },
        labels: tf.tensor2d(labels, [b, t], "int32"),
        tokens,
      };
    },
  };
}
