/**
 * A config-driven transformer encoder with the unified framework's hook points: `embedding`
 * after the embeddings, and per layer `attention-logits`, `attention-weights`, `hidden` and
 * `lora-input`. The same code runs USE-lite, BERT and RoBERTa (see {@linkcode EncoderConfig}).
 *
 * @module
 */
import { adaptersByLayer, shapeChecker } from "./_model_checks.ts";
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor2D, Tensor3D, Tensor4D } from "../types.ts";
import { dropAt, type DropoutPlan } from "../dropout/spec.ts";
import { type DropContext, dropRepresentation, type LoraWeights } from "./_deps.ts";
import { dropContextAt, type ModuleName } from "./_deps.ts";
import type { EncoderLayerWeights, EncoderModel } from "./encoder_config.ts";
import { transformerBlock } from "./transformer_block.ts";
import { layerNorm } from "./layer_norm.ts";

/** A batch of token ids for an encoder. */
export interface EncoderInput {
  /** `(B, T)` int32 token ids. */
  readonly inputIds: Tensor2D;
  /** `(B, T)`: 1 for real tokens, 0 for padding. */
  readonly attentionMask: Tensor2D;
  /** `(B, T)` int32 segment ids (models with token types); zeros when absent. */
  readonly tokenTypeIds?: Tensor2D;
}

/** LoRA adapters by key `layers.{i}.{q|k|v|o|ffn-in|ffn-out}`. */
export type EncoderAdapters = Readonly<Record<string, LoraWeights>>;

/** Options of {@linkcode encoderForward}. */
export interface EncoderForwardOptions {
  /** The dropout plan (an empty plan: no dropout anywhere). */
  readonly plan: DropoutPlan;
  /** The LoRA adapters (none when absent). */
  readonly adapters?: EncoderAdapters;
  /** The LoRA scale α/r (or α/√r); 1 when absent. */
  readonly loraScale?: number;
  /** Observes every layer's biased attention logits before `dropKey` (see `AttentionOptions`). */
  readonly onAttentionLogits?: (layer: number, logits: Tensor4D) => void;
}

/**
 * The adapter key of a module: `layers.{layer}.{module}`.
 *
 * @param layer The 0-based layer index.
 * @param module The module name.
 * @returns The key.
 * @example
 * ```ts
 * import { adapterKey } from "@loradrop/core/models";
 * import { assertEquals } from "@std/assert";
 * assertEquals(adapterKey(3, "q"), "layers.3.q");
 * ```
 */
export function adapterKey(layer: number, module: ModuleName): string {
  return `layers.${layer}.${module}`;
}

/**
 * Checks that a model's weights fit its configuration (every shape), so that a bad checkpoint
 * fails with the weight's name instead of deep inside a matmul.
 *
 * @param model The configuration and weights.
 * @returns The same model.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { validateEncoder } from "@loradrop/core/models";
 * import { tinyEncoder } from "./_tiny_encoder.ts";
 * import { assertThrows } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const model = tinyEncoder();
 * validateEncoder(model);
 * assertThrows(() => validateEncoder({ ...model, config: { ...model.config, vocabSize: 7 } }), RangeError, "tokenEmbedding");
 * ```
 */
export function validateEncoder(model: EncoderModel): EncoderModel {
  const { config: c, weights: w } = model;
  const expect = shapeChecker("encoder");

  if (c.layers.length === 0 || c.layers.length !== w.layers.length) {
    throw new RangeError(
      `Cannot use encoder weights: config has ${c.layers.length} layers and weights ${w.layers.length}`,
    );
  }
  expect("tokenEmbedding", w.tokenEmbedding?.shape, [c.vocabSize, c.embeddingDim]);
  if (c.positionEmbedding === "learned") {
    expect("positionEmbedding", w.positionEmbedding?.shape, [
      c.maxPositions + c.positionOffset,
      c.embeddingDim,
    ]);
  } else {
    expect("timingFrequencies", w.timingFrequencies?.shape, [c.embeddingDim / 2]);
  }
  if (c.typeVocabSize > 0) {
    expect("tokenTypeEmbedding", w.tokenTypeEmbedding?.shape, [c.typeVocabSize, c.embeddingDim]);
  }
  const norm = (name: string, n: { gamma: Tensor; beta: Tensor } | undefined, d: number) => {
    expect(`${name}.gamma`, n?.gamma.shape, [d]);
    expect(`${name}.beta`, n?.beta.shape, [d]);
  };
  if (c.embeddingLayerNorm) norm("embeddingNorm", w.embeddingNorm, c.embeddingDim);
  let width = c.embeddingDim;
  c.layers.forEach((lc, i) => {
    const lw = w.layers[i]!;
    const p = `layers.${i}`;
    if (lc.inputDim !== width) {
      throw new RangeError(
        `Cannot use encoder config: ${p}.inputDim must be ${width} (the previous width), received ${lc.inputDim}`,
      );
    }
    const inner = lc.numHeads * lc.headDim;
    const linear = (
      name: string,
      l: EncoderLayerWeights["ffn"]["in"] | undefined,
      i0: number,
      o: number,
    ) => {
      expect(`${p}.${name}.kernel`, l?.kernel.shape, [i0, o]);
      if (l?.bias !== undefined) expect(`${p}.${name}.bias`, l.bias.shape, [o]);
    };
    const a = lw.attention;
    if ("qkv" in a) linear("qkv", a.qkv, lc.inputDim, 3 * inner);
    else {
      linear("q", a.q, lc.inputDim, inner);
      linear("k", a.k, lc.inputDim, inner);
      linear("v", a.v, lc.inputDim, inner);
    }
    linear("o", a.o, inner, lc.hiddenDim);
    const attnNormDim = c.normalization === "pre" ? lc.inputDim : lc.hiddenDim;
    norm(`${p}.attentionNorm`, lw.attentionNorm, attnNormDim);
    if (lc.inputDim !== lc.hiddenDim) linear("residual", lw.residual, lc.inputDim, lc.hiddenDim);
    norm(`${p}.ffnNorm`, lw.ffnNorm, lc.hiddenDim);
    linear("ffn-in", lw.ffn.in, lc.hiddenDim, lc.ffnDim);
    linear("ffn-out", lw.ffn.out, lc.ffnDim, lc.hiddenDim);
    width = lc.hiddenDim;
  });
  if (c.finalLayerNorm) norm("finalNorm", w.finalNorm, width);
  return model;
}

function checkInput(model: EncoderModel, input: EncoderInput): void {
  const { config } = model;
  const ids = input.inputIds;
  if (ids === undefined || ids.rank !== 2) {
    throw new RangeError(
      `Cannot run the encoder: inputIds must be (B, T), received shape ${
        JSON.stringify(ids?.shape)
      }`,
    );
  }
  const [b, t] = ids.shape;
  if (t > config.maxPositions) {
    throw new RangeError(
      `Cannot run the encoder: sequence length ${t} exceeds the model's maximum of ${config.maxPositions} tokens; truncate the input`,
    );
  }
  if (t === 0 || b === 0) {
    throw new RangeError(`Cannot run the encoder: empty batch, received shape [${ids.shape}]`);
  }
  for (
    const [name, x] of [["attentionMask", input.attentionMask], [
      "tokenTypeIds",
      input.tokenTypeIds,
    ]] as const
  ) {
    if (x !== undefined && (x.rank !== 2 || x.shape[0] !== b || x.shape[1] !== t)) {
      throw new RangeError(
        `Cannot run the encoder: ${name} must be (${b}, ${t}) like inputIds, received [${x.shape}]`,
      );
    }
  }
  if (input.attentionMask === undefined) {
    throw new TypeError(
      "Cannot run the encoder: attentionMask is missing (1 real token, 0 padding)",
    );
  }
  const checkRange = (name: string, x: Tensor, limit: number) => {
    if (x.dtype !== "int32") {
      throw new TypeError(`Cannot run the encoder: ${name} must be int32, received ${x.dtype}`);
    }
    const values = x.dataSync();
    let lo = Infinity, hi = -Infinity;
    for (const v of values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo < 0 || hi >= limit) {
      throw new RangeError(
        `Cannot run the encoder: ${name} must lie in [0, ${limit}), received values in [${lo}, ${hi}]`,
      );
    }
  };
  checkRange("inputIds", ids, config.vocabSize);
  if (input.tokenTypeIds !== undefined) {
    if (config.typeVocabSize === 0) {
      throw new TypeError(
        "Cannot run the encoder: tokenTypeIds given but the model has no token types",
      );
    }
    checkRange("tokenTypeIds", input.tokenTypeIds, config.typeVocabSize);
  }
}

/** `(B, T)` ids → `(B, T, E)` embeddings (before the embedding drop). */
function embed(model: EncoderModel, input: EncoderInput, mask: Tensor2D): Tensor3D {
  const { config: c, weights: w } = model;
  const [b, t] = input.inputIds.shape;
  let x: Tensor = tf.gather(w.tokenEmbedding, input.inputIds); // (B, T, E)
  if (c.embeddingScale !== 1) x = tf.mul(x, c.embeddingScale);
  if (c.positionEmbedding === "timing") {
    const p = tf.reshape(tf.range(0, t, 1, "float32"), [t, 1]); // (T, 1)
    const inv = tf.reshape(w.timingFrequencies!, [1, -1]); // (1, E/2)
    const angles = tf.mul(p, inv); // (T, E/2)
    x = tf.add(x, tf.concat([tf.sin(angles), tf.cos(angles)], 1)); // (T, E) broadcast over B
  } else if (c.positionOffset > 0) {
    // RoBERTa: cumsum(mask)·mask + offset − 1 (padding maps to offset − 1, padding_idx)
    const m = tf.cast(mask, "int32"); // (B, T)
    const ids = tf.add(tf.mul(tf.cumsum(m, 1), m), tf.scalar(c.positionOffset - 1, "int32")); // (B, T)
    x = tf.add(x, tf.gather(w.positionEmbedding!, ids)); // (B, T, E)
  } else {
    x = tf.add(x, tf.slice(w.positionEmbedding!, [0, 0], [t, -1])); // (T, E) broadcast over B
  }
  if (c.typeVocabSize > 0) {
    const types = input.tokenTypeIds ?? tf.zeros([b, t], "int32");
    x = tf.add(x, tf.gather(w.tokenTypeEmbedding!, types)); // (B, T, E)
  }
  if (c.embeddingLayerNorm) x = layerNorm(x, w.embeddingNorm!, c.layerNormEps);
  return x as Tensor3D;
}

/**
 * Runs the encoder: embeddings (→ `embedding` drop) and every layer with its hook points.
 * Pre-LN layers compute `x' = R(x) + attn(LN(x))`, `x'' = x' + ffn(LN(x'))` (R projects the
 * residual when the width changes); post-LN layers `x' = LN(x + attn(x))`, `x'' = LN(x' + ffn(x'))`.
 * Random keys: `foldIn(foldIn(ctx.key, layer), positionIndex)` per hook point (layer 0 for
 * `embedding`). Pure: nothing is created outside the returned tensor.
 *
 * @param model The configuration and frozen weights.
 * @param input Token ids, attention mask, optional token types.
 * @param options The dropout plan, LoRA adapters and scale.
 * @param ctx Training flag and the pass's key.
 * @returns The last hidden states `(B, T, D)`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { encoderForward } from "@loradrop/core/models";
 * import { tinyEncoder } from "./_tiny_encoder.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const model = tinyEncoder();
 * const input = { inputIds: tf.tensor2d([[3, 4, 5, 0]], undefined, "int32"), attentionMask: tf.tensor2d([[1, 1, 1, 0]]) };
 * const h = encoderForward(model, input, { plan: { drops: [] } }, { training: false });
 * assertEquals(h.shape, [1, 4, model.config.layers[1]!.hiddenDim]);
 * const long = { inputIds: tf.zeros([1, 99], "int32") as tf.Tensor2D, attentionMask: tf.ones([1, 99]) as tf.Tensor2D };
 * assertThrows(() => encoderForward(model, long, { plan: { drops: [] } }, { training: false }), RangeError, "length 99");
 * ```
 */
export function encoderForward(
  model: EncoderModel,
  input: EncoderInput,
  options: EncoderForwardOptions,
  ctx: DropContext,
): Tensor3D {
  checkInput(model, input);
  const { config: c, weights: w } = model;
  const numLayers = c.layers.length;
  const { plan } = options;
  const loraScale = options.loraScale ?? 1;
  const perLayer = adaptersByLayer(options.adapters ?? {}, numLayers, "encoder");
  return tf.tidy(() => {
    const tokenMask = tf.cast(input.attentionMask, "float32") as Tensor2D; // (B, T)
    let x: Tensor3D = embed(model, input, tokenMask); // (B, T, E)
    x = dropRepresentation(
      x,
      dropAt(plan, "embedding", 0, numLayers),
      dropContextAt(ctx, 0, "embedding"),
      { tokenMask },
    ) as Tensor3D;
    for (let i = 0; i < numLayers; i++) {
      const lc = c.layers[i]!;
      x = transformerBlock(x, w.layers[i]!, perLayer[i]!, {
        numHeads: lc.numHeads,
        headDim: lc.headDim,
        ...(c.queryScale === undefined ? {} : { queryScale: c.queryScale }),
        normalization: c.normalization,
        layerNormEps: c.layerNormEps,
        activation: c.activation,
      }, {
        plan,
        layer: i,
        numLayers,
        loraScale,
        tokenMask,
        ...(options.onAttentionLogits ? { onLogits: options.onAttentionLogits } : {}),
      }, ctx); // (B, T, D)
    }
    if (c.finalLayerNorm) x = layerNorm(x, w.finalNorm!, c.layerNormEps) as Tensor3D;
    return x;
  });
}
