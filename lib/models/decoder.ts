/**
 * A GPT-2-style decoder with the unified framework's hook points: learned positions, pre-LN
 * blocks `x' = x + attn(LN₁(x))`, `x'' = x' + ffn(LN₂(x'))` with a causal mask, a final LayerNorm
 * and an LM head tied to the token embeddings (or a separate one). The fused q|k|v projection
 * takes LoRA on its q and v slices like loralib's `MergedLinear` (via `loraFusedLinear`).
 *
 * The hook points are the encoder's (`embedding`; per layer `attention-logits`,
 * `attention-weights`, `hidden`, `lora-input`), with the same keys. Drops in decoders are usually
 * limited to the latter half of the layers through a drop spec's `layers` range.
 *
 * @module
 */
import { adaptersByLayer, shapeChecker } from "./_model_checks.ts";
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor2D, Tensor3D } from "../types.ts";
import { dropAt, type DropoutPlan } from "../dropout/spec.ts";
import {
  type DropContext,
  dropRepresentation,
  linearMatMul,
  type LinearWeights,
  type LoraWeights,
} from "./_deps.ts";
import type { FusedAttentionWeights } from "./attention.ts";
import { transformerBlock } from "./transformer_block.ts";
import { dropContextAt } from "./_deps.ts";
import type { Activation, FfnWeights } from "./ffn.ts";
import { layerNorm, type LayerNormWeights } from "./layer_norm.ts";

/** The sizes and settings of a decoder (all layers alike). */
export interface DecoderConfig {
  /** Rows of the token embedding table (= LM head outputs). */
  readonly vocabSize: number;
  /** Rows of the position table: the longest sequence the model takes. */
  readonly maxPositions: number;
  /** Model width D. */
  readonly hiddenDim: number;
  /** Number of layers. */
  readonly numLayers: number;
  /** Attention heads per layer. */
  readonly numHeads: number;
  /** Size of each head (`numHeads · headDim = hiddenDim`). */
  readonly headDim: number;
  /** Inner width of the FFN. */
  readonly ffnDim: number;
  /** The LayerNorm epsilon (GPT-2: 1e-5). */
  readonly layerNormEps: number;
  /** The FFN non-linearity (GPT-2: `gelu-tanh`). */
  readonly activation: Activation;
}

/** The frozen weights of one decoder layer. */
export interface DecoderLayerWeights {
  /** LN₁, before attention `(D)`. */
  readonly attentionNorm: LayerNormWeights;
  /** Fused q|k|v `(D, 3D)` and output `(D, D)` projections. */
  readonly attention: FusedAttentionWeights;
  /** LN₂, before the FFN `(D)`. */
  readonly ffnNorm: LayerNormWeights;
  /** ffn-in `(D, F)` and ffn-out `(F, D)`. */
  readonly ffn: FfnWeights;
}

/** The frozen weights of a decoder. */
export interface DecoderWeights {
  /** `(vocabSize, D)`. */
  readonly tokenEmbedding: Tensor2D;
  /** `(maxPositions, D)`. */
  readonly positionEmbedding: Tensor2D;
  /** One entry per layer. */
  readonly layers: readonly DecoderLayerWeights[];
  /** The final LayerNorm `(D)`. */
  readonly finalNorm: LayerNormWeights;
  /** A separate LM head `(D, vocabSize)`; absent: tied to `tokenEmbedding`. */
  readonly lmHead?: LinearWeights;
}

/** A pretrained decoder: configuration and frozen weights. */
export interface DecoderModel {
  /** The configuration. */
  readonly config: DecoderConfig;
  /** The frozen weights. */
  readonly weights: DecoderWeights;
}

/** A batch of token ids for a decoder. */
export interface DecoderInput {
  /** `(B, T)` int32 token ids. */
  readonly inputIds: Tensor2D;
  /** `(B, T)`: 1 real token, 0 padding (padding keys are masked); all real when absent. */
  readonly attentionMask?: Tensor2D;
}

/** Options of {@linkcode decoderForward}. */
export interface DecoderForwardOptions {
  /** The dropout plan (an empty plan: no dropout). */
  readonly plan: DropoutPlan;
  /** LoRA adapters by key `layers.{i}.{q|k|v|o|ffn-in|ffn-out}` (as the encoder's). */
  readonly adapters?: Readonly<Record<string, LoraWeights>>;
  /** The LoRA scale α/r (or α/√r); 1 when absent. */
  readonly loraScale?: number;
}

/**
 * Limits a plan's layer-wise drops to the latter half of a decoder's layers
 * (`[⌊numLayers/2⌋, numLayers)`), the usual placement for decoders. Drops that already have a
 * `layers` range, and the layer-free positions `embedding` and `classifier`, are kept as they are.
 *
 * @param plan The plan.
 * @param numLayers The decoder's number of layers.
 * @returns A new plan.
 * @example
 * ```ts
 * import { latterHalfPlan } from "@loradrop/core/models";
 * import { assertEquals } from "@std/assert";
 * const plan = latterHalfPlan({ drops: [{ position: "hidden", pattern: "element", rate: 0.1 }] }, 12);
 * assertEquals(plan.drops[0]?.layers, { start: 6, end: 12 });
 * ```
 */
export function latterHalfPlan(plan: DropoutPlan, numLayers: number): DropoutPlan {
  if (!Number.isInteger(numLayers) || numLayers < 1) {
    throw new RangeError(
      `Cannot limit a plan to the latter half: numLayers must be a positive integer, received ${numLayers}`,
    );
  }
  const layers = { start: Math.floor(numLayers / 2), end: numLayers };
  return {
    ...plan,
    drops: plan.drops.map((d) =>
      d.layers !== undefined || d.position === "embedding" || d.position === "classifier"
        ? d
        : { ...d, layers }
    ),
  };
}

/**
 * Checks every weight's shape against the configuration, naming the first that does not fit.
 *
 * @param model The configuration and weights.
 * @returns The same model.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { validateDecoder } from "@loradrop/core/models";
 * import { tinyDecoder } from "./_tiny_decoder.ts";
 * import { assertThrows } from "@std/assert";
 * await tf.setBackend("cpu");
 * const model = tinyDecoder();
 * validateDecoder(model);
 * assertThrows(() => validateDecoder({ ...model, config: { ...model.config, vocabSize: 5 } }), RangeError, "tokenEmbedding");
 * tf.dispose(model.weights as unknown as tf.TensorContainer);
 * ```
 */
export function validateDecoder(model: DecoderModel): DecoderModel {
  const { config: c, weights: w } = model;
  const expect = shapeChecker("decoder");

  const d = c.hiddenDim;
  if (c.numHeads * c.headDim !== d) {
    throw new RangeError(
      `Cannot use decoder config: numHeads·headDim must equal hiddenDim ${d}, received ${c.numHeads}·${c.headDim}`,
    );
  }
  if (c.numLayers < 1 || w.layers.length !== c.numLayers) {
    throw new RangeError(
      `Cannot use decoder weights: config has ${c.numLayers} layers and weights ${w.layers.length}`,
    );
  }
  expect("tokenEmbedding", w.tokenEmbedding?.shape, [c.vocabSize, d]);
  expect("positionEmbedding", w.positionEmbedding?.shape, [c.maxPositions, d]);
  const norm = (name: string, n: LayerNormWeights | undefined) => {
    expect(`${name}.gamma`, n?.gamma.shape, [d]);
    expect(`${name}.beta`, n?.beta.shape, [d]);
  };
  const linear = (name: string, l: LinearWeights | undefined, i: number, o: number) => {
    expect(`${name}.kernel`, l?.kernel.shape, [i, o]);
    if (l?.bias !== undefined) expect(`${name}.bias`, l.bias.shape, [o]);
  };
  w.layers.forEach((lw, i) => {
    norm(`layers.${i}.attentionNorm`, lw.attentionNorm);
    linear(`layers.${i}.qkv`, lw.attention?.qkv, d, 3 * d);
    linear(`layers.${i}.o`, lw.attention?.o, d, d);
    norm(`layers.${i}.ffnNorm`, lw.ffnNorm);
    linear(`layers.${i}.ffn-in`, lw.ffn?.in, d, c.ffnDim);
    linear(`layers.${i}.ffn-out`, lw.ffn?.out, c.ffnDim, d);
  });
  norm("finalNorm", w.finalNorm);
  if (w.lmHead !== undefined) linear("lmHead", w.lmHead, d, c.vocabSize);
  return model;
}

function checkInput(config: DecoderConfig, input: DecoderInput): void {
  const ids = input.inputIds;
  if (ids === undefined || ids.rank !== 2 || ids.shape[0] === 0 || ids.shape[1] === 0) {
    throw new RangeError(
      `Cannot run the decoder: inputIds must be a non-empty (B, T), received shape ${
        JSON.stringify(ids?.shape)
      }`,
    );
  }
  const [b, t] = ids.shape;
  if (t > config.maxPositions) {
    throw new RangeError(
      `Cannot run the decoder: sequence length ${t} exceeds the model's maximum of ${config.maxPositions} tokens; truncate the input`,
    );
  }
  if (ids.dtype !== "int32") {
    throw new TypeError(`Cannot run the decoder: inputIds must be int32, received ${ids.dtype}`);
  }
  const m = input.attentionMask;
  if (m !== undefined && (m.rank !== 2 || m.shape[0] !== b || m.shape[1] !== t)) {
    throw new RangeError(
      `Cannot run the decoder: attentionMask must be (${b}, ${t}) like inputIds, received [${m.shape}]`,
    );
  }
  let lo = Infinity, hi = -Infinity;
  for (const v of ids.dataSync()) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo < 0 || hi >= config.vocabSize) {
    throw new RangeError(
      `Cannot run the decoder: inputIds must lie in [0, ${config.vocabSize}), received values in [${lo}, ${hi}]`,
    );
  }
}

/**
 * Runs the decoder and returns next-token logits. Position ids are 0..T−1 (right padding keeps
 * real tokens at their positions). Pure: nothing is created outside the returned tensor.
 *
 * @param model The configuration and frozen weights.
 * @param input Token ids and an optional padding mask.
 * @param options The dropout plan, LoRA adapters and scale.
 * @param ctx Training flag and the pass's key.
 * @returns The logits `(B, T, vocabSize)`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { decoderForward } from "@loradrop/core/models";
 * import { tinyDecoder } from "./_tiny_decoder.ts";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * const model = tinyDecoder();
 * const ids = tf.tensor2d([[1, 2, 3]], undefined, "int32");
 * const logits = decoderForward(model, { inputIds: ids }, { plan: { drops: [] } }, { training: false });
 * assertEquals(logits.shape, [1, 3, model.config.vocabSize]);
 * // causal: the first position's logits do not depend on later tokens
 * const other = decoderForward(model, { inputIds: tf.tensor2d([[1, 9, 9]], undefined, "int32") }, { plan: { drops: [] } }, { training: false });
 * const first = (x: tf.Tensor) => tf.slice(x, [0, 0, 0], [1, 1, -1]);
 * assertAlmostEquals(tf.max(tf.abs(tf.sub(first(logits), first(other)))).dataSync()[0]!, 0, 1e-6);
 * ```
 */
export function decoderForward(
  model: DecoderModel,
  input: DecoderInput,
  options: DecoderForwardOptions,
  ctx: DropContext,
): Tensor3D {
  const { config: c, weights: w } = model;
  checkInput(c, input);
  const { plan } = options;
  const numLayers = c.numLayers;
  const loraScale = options.loraScale ?? 1;
  const perLayer = adaptersByLayer(options.adapters ?? {}, numLayers, "decoder");
  const [b, t] = input.inputIds.shape;
  return tf.tidy(() => {
    const tokenMask = (input.attentionMask === undefined
      ? tf.ones([b, t])
      : tf.cast(input.attentionMask, "float32")) as Tensor2D; // (B, T)
    const positions = tf.slice(w.positionEmbedding, [0, 0], [t, -1]); // (T, D)
    let x = tf.add(tf.gather(w.tokenEmbedding, input.inputIds), positions) as Tensor3D; // (B, T, D)
    x = dropRepresentation(
      x,
      dropAt(plan, "embedding", 0, numLayers),
      dropContextAt(ctx, 0, "embedding"),
      { tokenMask },
    ) as Tensor3D;
    for (let i = 0; i < numLayers; i++) {
      x = transformerBlock(
        x,
        w.layers[i]!,
        perLayer[i]!,
        {
          numHeads: c.numHeads,
          headDim: c.headDim,
          causal: true,
          normalization: "pre",
          layerNormEps: c.layerNormEps,
          activation: c.activation,
        },
        { plan, layer: i, numLayers, loraScale, tokenMask },
        ctx,
      ); // (B, T, D)
    }
    const final = layerNorm(x, w.finalNorm, c.layerNormEps); // (B, T, D)
    const flat = tf.reshape(final, [b * t, c.hiddenDim]) as Tensor2D; // (B·T, D)
    let logits: Tensor = w.lmHead === undefined
      ? linearMatMul(flat, tf.transpose(w.tokenEmbedding) as Tensor2D) // (B·T, V), tied
      : linearMatMul(flat, w.lmHead.kernel); // (B·T, V)
    if (w.lmHead?.bias !== undefined) {
      logits = tf.add(logits, w.lmHead.bias);
    }
    return tf.reshape(logits, [b, t, c.vocabSize]) as Tensor3D; // (B, T, V)
  });
}
