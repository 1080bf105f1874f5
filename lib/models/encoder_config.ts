/**
 * The configuration and frozen weights of a transformer encoder. One description covers
 * USE-lite (pre-LN, timing positions, a 256 → 512 first layer), BERT (post-LN, learned positions,
 * token types, embedding LayerNorm) and RoBERTa (BERT's layout with offset positions).
 *
 * @module
 */
import type { Tensor1D, Tensor2D } from "../types.ts";
import type { LinearWeights } from "./_deps.ts";
import type { AttentionWeights } from "./attention.ts";
import type { Activation, FfnWeights } from "./ffn.ts";
import type { LayerNormWeights } from "./layer_norm.ts";

/** The sizes of one encoder layer. */
export interface EncoderLayerConfig {
  /** Width of the layer's input (the previous layer's output, or the embeddings). */
  readonly inputDim: number;
  /** Width of the layer's output and of its FFN input. */
  readonly hiddenDim: number;
  /** Number of attention heads. */
  readonly numHeads: number;
  /** Size of each head (q, k, v projections are `(inputDim, numHeads·headDim)`). */
  readonly headDim: number;
  /** Inner width of the FFN. */
  readonly ffnDim: number;
}

/** How an encoder embeds, normalises and connects its layers. */
export interface EncoderConfig {
  /** Rows of the token embedding table. */
  readonly vocabSize: number;
  /** Width of the embeddings (= the first layer's `inputDim`). */
  readonly embeddingDim: number;
  /** The longest sequence the model takes; longer input is a RangeError. */
  readonly maxPositions: number;
  /** The layers, in order. */
  readonly layers: readonly EncoderLayerConfig[];
  /** `pre`: x + f(LN(x)) (USE-lite, GPT-2); `post`: LN(x + f(x)) (BERT, RoBERTa). */
  readonly normalization: "pre" | "post";
  /** The LayerNorm epsilon. */
  readonly layerNormEps: number;
  /** The FFN non-linearity. */
  readonly activation: Activation;
  /**
   * `learned`: a position table (weights.positionEmbedding); `timing`: the sinusoid
   * `[sin(p·inv) ‖ cos(p·inv)]` with stored inverse frequencies (weights.timingFrequencies).
   */
  readonly positionEmbedding: "learned" | "timing";
  /** Factor on the token embeddings (USE-lite's exported graph adds them twice: 2; else 1). */
  readonly embeddingScale: number;
  /**
   * 0: positions 0..T−1. Above 0 (RoBERTa: padding_idx + 1 = 2): position ids follow
   * `cumsum(mask)·mask + offset − 1`, so real tokens start at `offset` and padding sits at
   * `offset − 1`; the table then needs `maxPositions + offset` rows.
   */
  readonly positionOffset: number;
  /** Rows of the token-type table (BERT 2, RoBERTa 1), 0 when the model has none. */
  readonly typeVocabSize: number;
  /** LayerNorm over the summed embeddings (BERT, RoBERTa). */
  readonly embeddingLayerNorm: boolean;
  /** LayerNorm after the last layer (pre-LN stacks that have one). */
  readonly finalLayerNorm: boolean;
  /** The padding token id (only documentation for callers building batches). */
  readonly padTokenId: number;
  /** Query scale per layer; default `1/√headDim`. */
  readonly queryScale?: number;
}

/** The frozen weights of one encoder layer. */
export interface EncoderLayerWeights {
  /** LayerNorm of the attention sub-block (before it when pre-LN, after the add when post-LN). */
  readonly attentionNorm: LayerNormWeights;
  /** The attention projections (fused q|k|v or separate). */
  readonly attention: AttentionWeights;
  /** A projection of the residual when `inputDim ≠ hiddenDim` (USE-lite layer 0: 256 → 512). */
  readonly residual?: LinearWeights;
  /** LayerNorm of the FFN sub-block. */
  readonly ffnNorm: LayerNormWeights;
  /** The FFN projections. */
  readonly ffn: FfnWeights;
}

/** The frozen weights of an encoder. */
export interface EncoderWeights {
  /** `(vocabSize, embeddingDim)`. */
  readonly tokenEmbedding: Tensor2D;
  /** `learned` positions: `(maxPositions + positionOffset, embeddingDim)`. */
  readonly positionEmbedding?: Tensor2D;
  /** `timing` positions: the inverse frequencies `(embeddingDim / 2)`. */
  readonly timingFrequencies?: Tensor1D;
  /** `(typeVocabSize, embeddingDim)` when the model has token types. */
  readonly tokenTypeEmbedding?: Tensor2D;
  /** When `embeddingLayerNorm`. */
  readonly embeddingNorm?: LayerNormWeights;
  /** One entry per layer. */
  readonly layers: readonly EncoderLayerWeights[];
  /** When `finalLayerNorm`. */
  readonly finalNorm?: LayerNormWeights;
}

/** A pretrained encoder: its configuration and frozen weights. */
export interface EncoderModel {
  /** The configuration. */
  readonly config: EncoderConfig;
  /** The frozen weights. */
  readonly weights: EncoderWeights;
}
