/**
 * One transformer layer, shared by the encoder and the decoder: attention and FFN sub-blocks with
 * residual adds, LayerNorm before (pre-LN: USE-lite, GPT-2) or after (post-LN: BERT, RoBERTa) each
 * sub-block, an optional projection of the residual (USE-lite layer 0) and causal attention for
 * decoders. The unified framework's hook points inside a layer (`attention-logits`,
 * `attention-weights`, `hidden`, `lora-input`) are those of `multiHeadAttention` and `feedForward`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D, Tensor3D, Tensor4D } from "../types.ts";
import { needsAttentionScores } from "../dropout/attention_scores.ts";
import type { DropoutPlan } from "../dropout/spec.ts";
import { type DropContext, type LinearWeights, loraLinear } from "./_deps.ts";
import { type AttentionWeights, type LayerAdapters, multiHeadAttention } from "./attention.ts";
import { type Activation, feedForward, type FfnWeights } from "./ffn.ts";
import { layerNorm, type LayerNormWeights } from "./layer_norm.ts";

/** The frozen weights of one transformer layer. */
export interface TransformerBlockWeights {
  /** LayerNorm of the attention sub-block (before it when pre-LN, after the add when post-LN). */
  readonly attentionNorm: LayerNormWeights;
  /** The attention projections (fused q|k|v or separate). */
  readonly attention: AttentionWeights;
  /** A projection of the residual when the layer changes the width (USE-lite layer 0). */
  readonly residual?: LinearWeights;
  /** LayerNorm of the FFN sub-block. */
  readonly ffnNorm: LayerNormWeights;
  /** The FFN projections. */
  readonly ffn: FfnWeights;
}

/** The shape of one transformer layer. */
export interface TransformerBlockConfig {
  /** Number of heads. */
  readonly numHeads: number;
  /** Size of each head. */
  readonly headDim: number;
  /** Factor applied to q; default `1/√headDim`. */
  readonly queryScale?: number;
  /** Whether query i sees only keys ≤ i (decoders). */
  readonly causal?: boolean;
  /** `pre`: LayerNorm before each sub-block; `post`: after each residual add. */
  readonly normalization: "pre" | "post";
  /** LayerNorm epsilon. */
  readonly layerNormEps: number;
  /** The FFN non-linearity. */
  readonly activation: Activation;
}

/** Per-call options of {@linkcode transformerBlock}. */
export interface TransformerBlockOptions {
  /** The dropout plan. */
  readonly plan: DropoutPlan;
  /** This layer's 0-based index. */
  readonly layer: number;
  /** How many layers the model has. */
  readonly numLayers: number;
  /** The LoRA scale α/r (or α/√r). */
  readonly loraScale: number;
  /** `(B, T)`: 1 real token, 0 padding. */
  readonly tokenMask: Tensor2D;
  /** Observes the layer's biased attention logits before `dropKey`. */
  readonly onLogits?: (layer: number, logits: Tensor4D) => void;
}

/**
 * Applies one transformer layer to `x` `(B, T, D_in)` and returns `(B, T, D)`.
 *
 * @param x The layer's input `(B, T, D_in)`.
 * @param weights The layer's frozen weights.
 * @param adapters The layer's LoRA adapters by module.
 * @param config The layer's shape and normalisation.
 * @param options The plan, layer index, LoRA scale and token mask.
 * @param ctx Training flag and this forward pass's key.
 * @returns The layer's output `(B, T, D)`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { transformerBlock } from "@loradrop/core/models";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const d = 4;
 * const linear = (i: number, o: number) => ({ kernel: tf.randomNormal([i, o], 0, 0.1) as tf.Tensor2D, bias: tf.zeros([o]) as tf.Tensor1D });
 * const norm = { gamma: tf.ones([d]) as tf.Tensor1D, beta: tf.zeros([d]) as tf.Tensor1D };
 * const weights = {
 *   attentionNorm: norm,
 *   attention: { qkv: linear(d, 3 * d), o: linear(d, d) },
 *   ffnNorm: norm,
 *   ffn: { in: linear(d, 8), out: linear(8, d) },
 * };
 * const config = { numHeads: 2, headDim: 2, normalization: "pre", layerNormEps: 1e-5, activation: "gelu" } as const;
 * const x = tf.randomNormal([1, 3, d]) as tf.Tensor3D; // (B, T, D)
 * const options = { plan: { drops: [] }, layer: 0, numLayers: 1, loraScale: 1, tokenMask: tf.ones([1, 3]) as tf.Tensor2D };
 * const y = transformerBlock(x, weights, {}, config, options, { training: false });
 * assertEquals(y.shape, [1, 3, d]);
 * ```
 */
export function transformerBlock(
  x: Tensor3D,
  weights: TransformerBlockWeights,
  adapters: LayerAdapters,
  config: TransformerBlockConfig,
  options: TransformerBlockOptions,
  ctx: DropContext,
): Tensor3D {
  const { plan, layer, numLayers, loraScale, tokenMask } = options;
  const common = { plan, layer, numLayers, loraScale, tokenMask };
  const pre = config.normalization === "pre";
  const norm = (t: Tensor3D, w: LayerNormWeights) =>
    layerNorm(t, w, config.layerNormEps) as Tensor3D; // (B, T, D)
  return tf.tidy(() => {
    const attn = multiHeadAttention(
      pre ? norm(x, weights.attentionNorm) : x,
      weights.attention,
      adapters,
      {
        numHeads: config.numHeads,
        headDim: config.headDim,
        ...(config.queryScale === undefined ? {} : { queryScale: config.queryScale }),
        ...(config.causal ? { causal: true } : {}),
      },
      {
        ...common,
        returnAttentionReceived: needsAttentionScores(plan, layer, numLayers),
        ...(options.onLogits ? { onLogits: options.onLogits } : {}),
      },
      ctx,
    );
    const residual = weights.residual === undefined
      ? x
      : loraLinear(x, weights.residual, undefined, { scale: loraScale }, { training: false }); // (B, T, D)
    let h = tf.add(residual, attn.output) as Tensor3D; // (B, T, D)
    if (!pre) h = norm(h, weights.attentionNorm);
    const f = feedForward(pre ? norm(h, weights.ffnNorm) : h, weights.ffn, adapters, {
      ...common,
      activation: config.activation,
      ...(attn.attentionReceived === undefined
        ? {}
        : { attentionReceived: attn.attentionReceived }),
    }, ctx);
    const out = tf.add(h, f) as Tensor3D; // (B, T, D)
    return pre ? out : norm(out, weights.ffnNorm);
  });
}
