/**
 * The step-function contract between a language model and the decoders.
 *
 * @module
 */
import type { Tensor2D } from "../../types.ts";

/** What a decoding step tells the model besides the prefixes. */
export interface StepInfo {
  /** Decoding step, 0 for the first call (the prefixes are then the prompts). */
  readonly step: number;
  /**
   * For each prefix, the index of the prefix it extends in the previous call (−1 at step 0):
   * `prefixes[i]` is `previous[parents[i]]` plus one token. A model with a key/value cache
   * gathers its cache rows with these indices (beam reordering) and feeds only the last token.
   */
  readonly parents: Int32Array;
}

/**
 * A language model seen by the decoders: given N token prefixes (prompt + tokens generated so far,
 * lengths may differ; padding is the model's business), returns next-token logits `(N, V)`.
 * The decoders dispose the returned tensor. It may be sync or async.
 */
export type StepFunction = (
  prefixes: readonly Int32Array[],
  info: StepInfo,
) => Tensor2D | Promise<Tensor2D>;

/** Options shared by {@linkcode greedyDecode} and {@linkcode beamSearch}. */
export interface DecodingOptions {
  /** Maximum number of generated tokens (EOS included), a positive integer. */
  readonly maxLength: number;
  /** End-of-sequence token id(s); without one, exactly `maxLength` tokens are generated. */
  readonly eosTokenId?: number | readonly number[];
  /** EOS is forbidden until this many tokens were generated; 0 by default. */
  readonly minLength?: number;
  /**
   * Forbid any n-gram of this size from occurring twice (fairseq's rule, as microsoft/LoRA's
   * `gpt2_beam.py`, which used 4 for E2E/WebNLG); 0 (off) by default.
   */
  readonly noRepeatNgramSize?: number;
  /** Also count n-grams of the prompt for `noRepeatNgramSize` (HF's behaviour); `false` by default (fairseq/LoRA). */
  readonly noRepeatIncludesPrompt?: boolean;
  /** Exponent α of the length normalisation score = Σ log p / len^α; 1 by default. */
  readonly lengthPenalty?: number;
}

/** One decoded sequence. */
export interface DecodedSequence {
  /** Generated token ids (prompt excluded), ending with the EOS id when `finished`. */
  readonly tokens: Int32Array;
  /** Σ log p of the generated tokens (natural log). */
  readonly logProb: number;
  /** `logProb / tokens.length ** lengthPenalty`, the quantity beam search maximises. */
  readonly score: number;
  /** Whether the sequence ended with an EOS token (rather than at `maxLength`). */
  readonly finished: boolean;
}
