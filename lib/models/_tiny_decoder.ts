// A tiny random GPT-2-style decoder for examples and tests.
import * as tf from "@tensorflow/tfjs-core";
import type { DecoderConfig, DecoderModel } from "./decoder.ts";
import type { LinearWeights } from "./_deps.ts";

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
  let s = seed * 1000;
  const normal = (shape: number[], std: number) => tf.randomNormal(shape, 0, std, "float32", s++);
  const lin = (i: number, o: number): LinearWeights => ({
    kernel: normal([i, o], 1 / Math.sqrt(i)) as tf.Tensor2D,
    bias: normal([o], 0.1) as tf.Tensor1D,
  });
  const ln = (d: number) => ({
    gamma: tf.add(1, normal([d], 0.1)) as tf.Tensor1D,
    beta: normal([d], 0.1) as tf.Tensor1D,
  });
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
