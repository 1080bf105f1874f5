// A tiny random encoder (USE-lite's layout at toy sizes) for examples and tests.
import * as tf from "@tensorflow/tfjs-core";
import type { EncoderConfig, EncoderModel } from "./encoder_config.ts";
import { tinyWeights } from "./_tiny_weights.ts";

/** A tiny pre-LN encoder: 16-token vocab, 8 → 12 first layer (residual projection), 2 layers. */
export function tinyEncoder(seed = 1, overrides: Partial<EncoderConfig> = {}): EncoderModel {
  const config: EncoderConfig = {
    vocabSize: 16,
    embeddingDim: 8,
    maxPositions: 12,
    layers: [
      { inputDim: 8, hiddenDim: 12, numHeads: 2, headDim: 4, ffnDim: 16 },
      { inputDim: 12, hiddenDim: 12, numHeads: 2, headDim: 6, ffnDim: 16 },
    ],
    normalization: "pre",
    layerNormEps: 1e-6,
    activation: "relu",
    positionEmbedding: "timing",
    embeddingScale: 2,
    positionOffset: 0,
    typeVocabSize: 0,
    embeddingLayerNorm: false,
    finalLayerNorm: false,
    padTokenId: 0,
    ...overrides,
  };
  const { normal, lin, ln } = tinyWeights(seed);
  const e = config.embeddingDim;
  const layers = config.layers.map((l) => {
    const inner = l.numHeads * l.headDim;
    return {
      attentionNorm: ln(config.normalization === "pre" ? l.inputDim : l.hiddenDim),
      attention: { qkv: lin(l.inputDim, 3 * inner), o: lin(inner, l.hiddenDim) },
      ...(l.inputDim === l.hiddenDim ? {} : { residual: lin(l.inputDim, l.hiddenDim) }),
      ffnNorm: ln(l.hiddenDim),
      ffn: { in: lin(l.hiddenDim, l.ffnDim), out: lin(l.ffnDim, l.hiddenDim) },
    };
  });
  const weights = {
    tokenEmbedding: normal([config.vocabSize, e], 0.5) as tf.Tensor2D,
    ...(config.positionEmbedding === "timing"
      ? {
        timingFrequencies: tf.tensor1d(
          Array.from({ length: e / 2 }, (_, i) => Math.exp(-Math.log(1e4) * i / (e / 2 - 1))),
        ),
      }
      : {
        positionEmbedding: normal(
          [config.maxPositions + config.positionOffset, e],
          0.5,
        ) as tf.Tensor2D,
      }),
    ...(config.typeVocabSize > 0
      ? { tokenTypeEmbedding: normal([config.typeVocabSize, e], 0.5) as tf.Tensor2D }
      : {}),
    ...(config.embeddingLayerNorm ? { embeddingNorm: ln(e) } : {}),
    ...(config.finalLayerNorm ? { finalNorm: ln(config.layers.at(-1)!.hiddenDim) } : {}),
    layers,
  };
  return { config, weights };
}
