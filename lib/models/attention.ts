/**
 * Multi-head self-attention with the unified framework's attention hook points (paper §1):
 * padding / causal bias → `dropKey` (DropKey, on logits) → softmax → `dropAttention`
 * (DropAttention, on weights) → weights·V → output projection. q, k, v and o are LoRA-able.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor2D, Tensor3D, Tensor4D } from "../types.ts";
import { dropAt, type DropoutPlan } from "../dropout/spec.ts";
import { layerLoraOptions } from "./_lora_input.ts";
import { MASKED_LOGIT } from "../dropout/masked_logit.ts";
import {
  dropAttention,
  type DropContext,
  dropKey,
  type LinearWeights,
  loraFusedLinear,
  loraLinear,
  type LoraWeights,
} from "./_deps.ts";
import { batchMatMul } from "./batch_matmul.ts";
import { dropContextAt, type ModuleName } from "./_deps.ts";

/**
 * The bias added to the logits of padding keys and of future keys under a causal mask: the
 * dropout operators' {@linkcode MASKED_LOGIT}, so DropKey recognises rows with only masked keys.
 */
export const ATTENTION_MASK_BIAS: number = MASKED_LOGIT;

/** Shape of one attention block. */
export interface AttentionConfig {
  /** Number of heads H. */
  readonly numHeads: number;
  /** Size of each head; the projections are `(in, H·headDim)`. */
  readonly headDim: number;
  /** Factor applied to q; default `1/√headDim`. */
  readonly queryScale?: number;
  /** Whether query i may only see keys ≤ i (decoders). Default false. */
  readonly causal?: boolean;
}

/** Fused projection: one `(in, 3·H·headDim)` kernel whose columns are q | k | v (USE-lite, GPT-2). */
export interface FusedAttentionWeights {
  /** The fused q|k|v projection. */
  readonly qkv: LinearWeights;
  /** The output projection `(H·headDim, out)`. */
  readonly o: LinearWeights;
}

/** Separate projections, each `(in, H·headDim)` (BERT, RoBERTa). */
export interface SeparateAttentionWeights {
  /** Query projection. */
  readonly q: LinearWeights;
  /** Key projection. */
  readonly k: LinearWeights;
  /** Value projection. */
  readonly v: LinearWeights;
  /** The output projection `(H·headDim, out)`. */
  readonly o: LinearWeights;
}

/** The frozen weights of an attention block: fused or separate q/k/v projections. */
export type AttentionWeights = FusedAttentionWeights | SeparateAttentionWeights;

/** The LoRA adapters of one layer, by module name (absent: no adapter on that module). */
export type LayerAdapters = Readonly<Partial<Record<ModuleName, LoraWeights>>>;

/** Per-call options of {@linkcode multiHeadAttention}. */
export interface AttentionOptions {
  /** The dropout plan; the block reads `attention-logits`, `attention-weights`, `lora-input`. */
  readonly plan: DropoutPlan;
  /** This layer's 0-based index (for `dropAt` and the keys). */
  readonly layer: number;
  /** How many layers the model has. */
  readonly numLayers: number;
  /** The LoRA scale α/r (or α/√r); used only where an adapter is present. */
  readonly loraScale: number;
  /** `(B, T)`: 1 for real tokens, 0 for padding; all real when absent. */
  readonly tokenMask?: Tensor2D;
  /** Also return the attention each token receives (HiddenCut's span start). */
  readonly returnAttentionReceived?: boolean;
  /**
   * Observes this layer's logits `(B, H, Tq, Tk)` after the padding/causal bias and before
   * `dropKey` (for analyses such as DropKey vs DropAttention on real logits). The tensor is
   * disposed after the call: clone and `tf.keep` it, or read it, inside the callback.
   */
  readonly onLogits?: (layer: number, logits: Tensor4D) => void;
}

/** What {@linkcode multiHeadAttention} returns. */
export interface AttentionResult {
  /** `(B, T, out)`. */
  readonly output: Tensor3D;
  /**
   * `(B, T)`: the attention each key token receives, summed over (real) queries and averaged
   * over heads, before any attention dropout (a score for choosing spans, not for gradients). Present when asked for.
   */
  readonly attentionReceived?: Tensor2D;
}

function checkAttentionArgs(x: Tensor, weights: AttentionWeights, config: AttentionConfig): void {
  if (x.rank !== 3) {
    throw new RangeError(
      `Cannot apply multiHeadAttention: input must be (B, T, D), received shape ${
        JSON.stringify(x.shape)
      }`,
    );
  }
  const { numHeads, headDim } = config;
  if (!Number.isInteger(numHeads) || numHeads < 1 || !Number.isInteger(headDim) || headDim < 1) {
    throw new RangeError(
      `Cannot apply multiHeadAttention: numHeads and headDim must be positive integers, received ${numHeads} and ${headDim}`,
    );
  }
  const inner = numHeads * headDim;
  const d = x.shape[2];
  const kernels: [string, LinearWeights, number][] = "qkv" in weights
    ? [["qkv", weights.qkv, 3 * inner]]
    : [["q", weights.q, inner], ["k", weights.k, inner], ["v", weights.v, inner]];
  for (const [name, w, out] of kernels) {
    if (w.kernel.shape[0] !== d || w.kernel.shape[1] !== out) {
      throw new RangeError(
        `Cannot apply multiHeadAttention: the ${name} kernel must be (${d}, ${out}), received ${
          JSON.stringify(w.kernel.shape)
        }`,
      );
    }
  }
  if (weights.o.kernel.shape[0] !== inner) {
    throw new RangeError(
      `Cannot apply multiHeadAttention: the o kernel must have ${inner} rows (H·headDim), received ${
        JSON.stringify(weights.o.kernel.shape)
      }`,
    );
  }
}

/**
 * `(B, T, H·dh)` → `(B, H, T, dh)`.
 */
function splitHeads(x: Tensor, numHeads: number, headDim: number): Tensor4D {
  const [b, t] = x.shape as [number, number, number];
  const r = tf.reshape(x, [b, t, numHeads, headDim]); // (B, T, H, dh)
  return tf.transpose(r, [0, 2, 1, 3]) as Tensor4D; // (B, H, T, dh)
}

/**
 * The additive bias `(B|1, 1, 1|T, T)` for padding keys and (optionally) future keys.
 */
function attentionBias(
  tokenMask: Tensor2D | undefined,
  t: number,
  causal: boolean,
): Tensor | undefined {
  let bias: Tensor | undefined;
  if (tokenMask !== undefined) {
    const [b] = tokenMask.shape;
    const pad = tf.sub(1, tf.cast(tokenMask, "float32")); // (B, T): 1 on padding
    bias = tf.reshape(tf.mul(pad, ATTENTION_MASK_BIAS), [b, 1, 1, t]); // (B, 1, 1, Tk)
  }
  if (causal) {
    const future = tf.sub(1, tf.linalg.bandPart(tf.ones([t, t]), -1, 0)); // (Tq, Tk): 1 above diag
    const c = tf.reshape(tf.mul(future, ATTENTION_MASK_BIAS), [1, 1, t, t]); // (1, 1, Tq, Tk)
    bias = bias === undefined ? c : tf.add(bias, c);
  }
  return bias;
}

/**
 * Multi-head self-attention over `(B, T, D)` with the attention hook points of the unified
 * framework. The padding bias (−1e9 on pad keys) and the causal bias are added to the logits
 * before `dropKey`; `dropAttention` acts after the softmax. LoRA adapters apply to q, k, v
 * (slices of the fused projection, or the separate ones) and o; the `lora-input` drop (if the
 * plan has one) acts on each adapted module's input with its own key.
 *
 * @param x The input `(B, T, D)` (already layer-normalised in a pre-LN block).
 * @param weights The frozen projections.
 * @param adapters The LoRA adapters of this layer (may be empty).
 * @param config Heads, head size, query scale, causality.
 * @param options The plan, layer index, LoRA scale, token mask.
 * @param ctx Training flag and the model's key for this pass.
 * @returns The output `(B, T, out)` and, when asked for, the attention received `(B, T)`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { multiHeadAttention } from "@loradrop/core/models";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const lin = (i: number, o: number) => ({ kernel: tf.randomNormal([i, o], 0, 0.1, "float32", 1) as tf.Tensor2D });
 * const x = tf.randomNormal([2, 5, 8], 0, 1, "float32", 2) as tf.Tensor3D;
 * const { output, attentionReceived } = multiHeadAttention(
 *   x, { qkv: lin(8, 24), o: lin(8, 8) }, {}, { numHeads: 2, headDim: 4 },
 *   { plan: { drops: [] }, layer: 0, numLayers: 1, loraScale: 2, returnAttentionReceived: true },
 *   { training: false },
 * );
 * assertEquals(output.shape, [2, 5, 8]);
 * // every real query spreads weight 1 over the keys: the received attention sums to T
 * assertEquals(Math.round(tf.sum(attentionReceived!).dataSync()[0]!), 10);
 * ```
 */
export function multiHeadAttention(
  x: Tensor3D,
  weights: AttentionWeights,
  adapters: LayerAdapters,
  config: AttentionConfig,
  options: AttentionOptions,
  ctx: DropContext,
): AttentionResult {
  checkAttentionArgs(x, weights, config);
  const { numHeads, headDim } = config;
  const { plan, layer, numLayers, loraScale, tokenMask } = options;
  const [b, t] = x.shape;
  const inner = numHeads * headDim;
  if (tokenMask !== undefined && (tokenMask.shape[0] !== b || tokenMask.shape[1] !== t)) {
    throw new RangeError(
      `Cannot apply multiHeadAttention: tokenMask must be (${b}, ${t}), received ${
        JSON.stringify(tokenMask.shape)
      }`,
    );
  }
  const loraOptions = layerLoraOptions(plan, layer, numLayers, loraScale, tokenMask);
  const loraCtx = (module: ModuleName) => dropContextAt(ctx, layer, "lora-input", module);

  return tf.tidy(() => {
    let q: Tensor, k: Tensor, v: Tensor; // each (B, T, H·dh)
    if ("qkv" in weights) {
      // One shared input: a lora-input drop on the fused projection draws from q's key.
      const qkv = loraFusedLinear(
        x,
        weights.qkv,
        [
          { size: inner, ...(adapters.q ? { adapter: adapters.q } : {}) },
          { size: inner, ...(adapters.k ? { adapter: adapters.k } : {}) },
          { size: inner, ...(adapters.v ? { adapter: adapters.v } : {}) },
        ],
        loraOptions,
        loraCtx("q"),
      ); // (B, T, 3·H·dh)
      [q, k, v] = tf.split(qkv, [inner, inner, inner], 2) as [Tensor, Tensor, Tensor];
    } else {
      const proj = (name: "q" | "k" | "v", w: LinearWeights) =>
        loraLinear(x, w, adapters[name], loraOptions, loraCtx(name)); // (B, T, H·dh)
      q = proj("q", weights.q);
      k = proj("k", weights.k);
      v = proj("v", weights.v);
    }
    const scale = config.queryScale ?? 1 / Math.sqrt(headDim);
    const qh = tf.mul(splitHeads(q, numHeads, headDim), scale) as Tensor4D; // (B, H, T, dh)
    const kh = splitHeads(k, numHeads, headDim); // (B, H, T, dh)
    const vh = splitHeads(v, numHeads, headDim); // (B, H, T, dh)
    const khT = tf.transpose(kh, [0, 1, 3, 2]); // (B, H, dh, T)
    let logits = batchMatMul(qh, khT) as Tensor4D; // (B, H, Tq, Tk)
    const bias = attentionBias(tokenMask, t, config.causal ?? false);
    if (bias !== undefined) logits = tf.add(logits, bias) as Tensor4D;
    options.onLogits?.(layer, logits);
    const dropOptions = tokenMask === undefined ? {} : { tokenMask };
    logits = dropKey(
      logits,
      dropAt(plan, "attention-logits", layer, numLayers),
      dropContextAt(ctx, layer, "attention-logits"),
      dropOptions,
    );
    let probs = tf.softmax(logits, -1) as Tensor4D; // (B, H, Tq, Tk)
    const received = options.returnAttentionReceived
      ? attentionReceivedOf(probs, tokenMask)
      : undefined;
    // With the logits, DropAttention renormalises exactly even where kept weights underflow.
    probs = dropAttention(
      probs,
      dropAt(plan, "attention-weights", layer, numLayers),
      dropContextAt(ctx, layer, "attention-weights"),
      { ...dropOptions, logits },
    );
    const context = batchMatMul(probs, vh); // (B, H, T, dh)
    const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [b, t, inner]); // (B, T, H·dh)
    const output = loraLinear(merged, weights.o, adapters.o, loraOptions, loraCtx("o")) as Tensor3D; // (B, T, out)
    return received === undefined ? { output } : { output, attentionReceived: received };
  });
}

/**
 * `(B, H, Tq, Tk)` weights → `(B, Tk)`: summed over real queries, averaged over heads.
 */
function attentionReceivedOf(probs: Tensor4D, tokenMask: Tensor2D | undefined): Tensor2D {
  return tf.tidy(() => {
    const p = probs;
    const [b, , tq] = p.shape;
    let weighted: Tensor = p;
    if (tokenMask !== undefined) {
      const m = tf.reshape(tf.cast(tokenMask, "float32"), [b, 1, tq, 1]); // (B, 1, Tq, 1)
      weighted = tf.mul(p, m);
    }
    const perHead = tf.sum(weighted, 2); // (B, H, Tk)
    return tf.mean(perHead, 1) as Tensor2D; // (B, Tk)
  });
}
