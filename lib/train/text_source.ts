/**
 * A {@linkcode BatchSource} over text examples (`{text, textPair?, label}` of `lib/data`): every
 * example is tokenized once up front (`encodeBatch` of `lib/tokenizers`, with its truncation and
 * pair separators); batches are padded to their longest row.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Example, TaskKind } from "../data/example.ts";
import { encodeBatch, type TextInput } from "../tokenizers/encode_batch.ts";
import type { TextTokenizer } from "../tokenizers/load.ts";
import type { Tensor2D } from "../types.ts";
import type { BatchSource, LabeledBatch } from "./batches.ts";

/** Options of {@linkcode textBatchSource}. */
export interface TextSourceOptions {
  /** Classification (int32 class labels) or regression (float32 targets). */
  readonly kind: TaskKind;
  /** The longest sequence, special tokens included; the tokenizer's `modelMaxLength` by default. */
  readonly maxLength?: number;
  /**
   * Whether batches carry `tokenTypeIds` (segment ids of pairs). By default only for tokenizers
   * that return them natively (`returnsTokenTypeIds`: the BERT family), as Hugging Face does;
   * USE-lite and RoBERTa have no use for them.
   */
  readonly tokenTypes?: boolean;
}

const CHUNK = 256;

/**
 * Tokenizes examples into a batch source for {@linkcode train} and {@linkcode evaluate}.
 *
 * @param examples The examples (all single texts, or all pairs).
 * @param tokenizer The model's tokenizer.
 * @param options Task kind and maximum length.
 * @returns The source; its `lengths` are the token counts (for `groupByLength`).
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { loadUseLiteTokenizer } from "@loradrop/core/tokenizers";
 * import { textBatchSource } from "@loradrop/core/train";
 * import { disposeLabeledBatch } from "@loradrop/core/train";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const tokenizer = await loadUseLiteTokenizer();
 * const source = textBatchSource(
 *   [{ text: "The movie was wonderful and moving.", label: 1 }, { text: "Bad.", label: 0 }],
 *   tokenizer,
 *   { kind: "classification" },
 * );
 * assertEquals(Array.from(source.lengths!), [7, 2]);
 * const batch = source.batch([1, 0]);
 * assertEquals(batch.inputs.inputIds.shape, [2, 7]);
 * assertEquals(Array.from(batch.inputs.attentionMask.dataSync().slice(0, 7)), [1, 1, 0, 0, 0, 0, 0]);
 * assertEquals(Array.from(batch.labels.dataSync()), [0, 1]);
 * disposeLabeledBatch(batch);
 * ```
 */
export function textBatchSource(
  examples: readonly Example[],
  tokenizer: TextTokenizer,
  options: TextSourceOptions,
): BatchSource {
  const { kind } = options;
  if (kind !== "classification" && kind !== "regression") {
    throw new TypeError(
      `Cannot build a text source: kind must be "classification" or "regression", received "${kind}"`,
    );
  }
  if (examples.length === 0) {
    throw new RangeError("Cannot build a text source: there are no examples");
  }
  const pairs = examples[0]!.textPair !== undefined;
  const labels = new Float64Array(examples.length);
  examples.forEach((e, i) => {
    if ((e.textPair !== undefined) !== pairs) {
      throw new TypeError(
        `Cannot build a text source: example ${i} is ${
          pairs ? "a single text" : "a pair"
        } but example 0 is ${pairs ? "a pair" : "a single text"}`,
      );
    }
    if (!Number.isFinite(e.label) || (kind === "classification" && !Number.isInteger(e.label))) {
      throw new RangeError(
        `Cannot build a text source: example ${i} has label ${e.label}, expected ${
          kind === "classification" ? "a class index" : "a finite number"
        }`,
      );
    }
    labels[i] = e.label;
  });
  const ids: Int32Array[] = [];
  const types: (Int32Array | undefined)[] = [];
  const encodeOptions = options.maxLength === undefined ? {} : { maxLength: options.maxLength };
  for (let start = 0; start < examples.length; start += CHUNK) {
    const chunk = examples.slice(start, start + CHUNK);
    const inputs: TextInput[] = chunk.map((e) =>
      e.textPair === undefined ? e.text : [e.text, e.textPair] as const
    );
    const enc = encodeBatch(tokenizer, inputs, { ...encodeOptions, rowOffset: start });
    const [b, t] = enc.shape;
    for (let r = 0; r < b; r++) {
      const mask = enc.attentionMask.subarray(r * t, (r + 1) * t);
      const n = mask.reduce((s, v) => s + v, 0); // padding is on the right
      ids.push(enc.inputIds.slice(r * t, r * t + n));
      types.push(enc.tokenTypeIds?.slice(r * t, r * t + n));
    }
  }
  const lengths = Int32Array.from(ids, (row) => row.length);
  const withTypes = (options.tokenTypes ?? tokenizer.returnsTokenTypeIds) &&
    types.some((t) => t !== undefined);
  return {
    size: examples.length,
    labels,
    lengths,
    batch(indices: readonly number[]): LabeledBatch {
      if (indices.length === 0) throw new RangeError("Cannot make a batch: indices is empty");
      let width = 0, tokens = 0;
      for (const i of indices) {
        if (!Number.isInteger(i) || i < 0 || i >= examples.length) {
          throw new RangeError(
            `Cannot make a batch: index ${i} is outside [0, ${examples.length})`,
          );
        }
        width = Math.max(width, lengths[i]!);
        tokens += lengths[i]!;
      }
      const b = indices.length;
      const inputIds = new Int32Array(b * width).fill(tokenizer.padId);
      const attentionMask = new Int32Array(b * width);
      const tokenTypeIds = withTypes ? new Int32Array(b * width) : undefined;
      indices.forEach((i, r) => {
        inputIds.set(ids[i]!, r * width);
        attentionMask.fill(1, r * width, r * width + lengths[i]!);
        if (tokenTypeIds !== undefined && types[i] !== undefined) {
          tokenTypeIds.set(types[i]!, r * width);
        }
      });
      const rowLabels = indices.map((i) => labels[i]!);
      return {
        inputs: {
          inputIds: tf.tensor2d(inputIds, [b, width], "int32") as Tensor2D, // (B, T)
          attentionMask: tf.tensor2d(attentionMask, [b, width], "int32") as Tensor2D, // (B, T)
          ...(tokenTypeIds === undefined
            ? {}
            : { tokenTypeIds: tf.tensor2d(tokenTypeIds, [b, width], "int32") as Tensor2D }),
        },
        labels: kind === "classification"
          ? tf.tensor1d(rowLabels, "int32")
          : tf.tensor1d(rowLabels, "float32"),
        tokens,
      };
    },
  };
}
