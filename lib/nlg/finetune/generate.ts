/**
 * Generating texts from a decoder LM task model with the decoders of `lib/nlg/decode` (beam
 * search with length penalty and no-repeat n-grams, or greedy), prompts in small groups.
 *
 * @module
 */
import { beamSearch } from "../decode/beam.ts";
import { greedyDecode } from "../decode/greedy.ts";
import { lmStepFunction } from "../decode/lm_step.ts";
import type { Tensor2D, Tensor3D } from "../../types.ts";

/** Decoding settings (Table 7: beam 10, length penalty 0.9 for E2E, no-repeat 4-grams). */
export interface GenerationSettings {
  /** Beam width; 1 decodes greedily. */
  readonly numBeams: number;
  /** α of score = Σ log p / len^α. */
  readonly lengthPenalty: number;
  /** Forbid repeated n-grams of this size (0: off). */
  readonly noRepeatNgramSize: number;
  /** Most generated tokens (EOS included). */
  readonly maxNewTokens: number;
}

/** Options of {@linkcode generateTexts}. */
export interface GenerateOptions extends GenerationSettings {
  /** The EOS id (stops a hypothesis; removed from the text). */
  readonly eosId: number;
  /** Prompts decoded together (each with `numBeams` rows); 8 by default. */
  readonly batchSize?: number;
  /** The model's positions: prompt + generated tokens must fit. */
  readonly maxPositions: number;
  /** Padding id of the step function's batches; 0 by default. */
  readonly padId?: number;
}

/**
 * Decodes a continuation of every prompt and returns its text (EOS removed, trimmed).
 *
 * @param logits Inference-mode logits of a causal LM: ids `(B, T)`, mask → `(B, T, V)`.
 * @param prompts Prompt ids (context ++ separator).
 * @param decode Ids → text.
 * @param options Decoding settings, EOS, group size, context length.
 * @returns One text per prompt.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { generateTexts } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * // A toy LM that always prefers token (last + 1), and EOS (0) after token 4.
 * const logits = (ids: tf.Tensor2D) => tf.tidy(() => {
 *   const next = tf.where(tf.greaterEqual(ids, 4), tf.zerosLike(ids), tf.add(ids, 1));
 *   return tf.mul(tf.oneHot(tf.cast(next, "int32"), 6), 5) as tf.Tensor3D;
 * });
 * const texts = await generateTexts(logits, [Int32Array.of(1), Int32Array.of(3)], (ids) => ids.join(","), {
 *   numBeams: 2, lengthPenalty: 1, noRepeatNgramSize: 0, maxNewTokens: 6, eosId: 0, maxPositions: 10,
 * });
 * assertEquals(texts, ["2,3,4", "4"]);
 * ```
 */
export async function generateTexts(
  logits: (inputIds: Tensor2D, attentionMask: Tensor2D) => Tensor3D,
  prompts: readonly Int32Array[],
  decode: (ids: readonly number[]) => string,
  options: GenerateOptions,
): Promise<string[]> {
  const size = options.batchSize ?? 8;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`Cannot generate: batchSize must be a positive integer, received ${size}`);
  }
  const longest = prompts.reduce((m, p) => Math.max(m, p.length), 0);
  const maxNewTokens = Math.min(options.maxNewTokens, options.maxPositions - longest);
  if (maxNewTokens < 1) {
    throw new RangeError(
      `Cannot generate: a prompt of ${longest} tokens leaves no room in ${options.maxPositions} positions`,
    );
  }
  const step = lmStepFunction(logits, {
    padId: options.padId ?? 0,
    maxPositions: options.maxPositions,
  });
  const decoding = {
    maxLength: maxNewTokens,
    eosTokenId: options.eosId,
    noRepeatNgramSize: options.noRepeatNgramSize,
    lengthPenalty: options.lengthPenalty,
  };
  const out: string[] = [];
  for (let i = 0; i < prompts.length; i += size) {
    const group = prompts.slice(i, i + size);
    const results = options.numBeams <= 1
      ? await greedyDecode(step, group, decoding)
      : await beamSearch(step, group, { ...decoding, numBeams: options.numBeams });
    for (const r of results) {
      const ids = Array.from(r.tokens).filter((t) => t !== options.eosId);
      out.push(decode(ids).trim());
    }
  }
  return out;
}
