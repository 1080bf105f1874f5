// A tiny random GPT-2-style decoder for examples and tests.
import type * as tf from "@tensorflow/tfjs-core";
import type { DecoderConfig, DecoderModel } from "./decoder.ts";
import { tinyWeights } from "./_tiny_weights.ts";

/** A tiny decoder: 12-token vocab, width 8, 2 heads, 2 layers, tied LM head. */
export function tinyDecoder(seed = 1, overrides: Partial<DecoderConfig> = {}): DecoderModel {
  const config: DecoderConfig = {
    vocabSize: 12,
    maxPositions: 10,
    hiddenDim: 8,
    numLayers: 2,
    numHeads: 2,
    headDim: 4,
    ffnDim: 16,
    layerNormEps: 1e-5,
    activation: "gelu-tanh",
    ...overrides,
  };
  const { normal, lin, ln } = tinyWeights(seed);
  const d = config.hiddenDim;
  const layers = Array.from({ length: config.numLayers }, () => ({
    attentionNorm: ln(d),
    attention: { qkv: lin(d, 3 * d), o: lin(d, d) },
    ffnNorm: ln(d),
    ffn: { in: lin(d, config.ffnDim), out: lin(config.ffnDim, d) },
  }));
  return {
    config,
    weights: {
      tokenEmbedding: normal([config.vocabSize, d], 0.5) as tf.Tensor2D,
      positionEmbedding: normal([config.maxPositions, d], 0.2) as tf.Tensor2D,
      layers,
      finalNorm: ln(d),
    },
  };
}
