/**
 * Sentence representations and task heads: masked mean or first-token pooling, a model's own
 * pooler (USE-lite: masked mean → tanh dense → L2 normalisation), classification and regression
 * heads behind the `classifier` hook point, and the joint encoding of sentence pairs.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor1D, Tensor2D, Tensor3D } from "../types.ts";
import { dropAt, type DropoutPlan } from "../dropout/spec.ts";
import { type DropContext, dropRepresentation, type LinearWeights, loraLinear } from "./_deps.ts";
import { dropContextAt } from "./_deps.ts";

/** How token states become one vector: masked mean, the first token, or the model's pooler. */
export type Pooling = "mean" | "first" | "pooler";

/** A model's own pooler: pooling, then a dense layer, an activation and optional L2 normalisation. */
export interface PoolerWeights {
  /** How tokens are pooled before the dense layer. */
  readonly pooling: "mean" | "first";
  /** The dense layer `(D, D')`. */
  readonly dense: LinearWeights;
  /** The activation after the dense layer. */
  readonly activation: "tanh" | "none";
  /** Whether the output is scaled to unit L2 norm (USE-lite). */
  readonly l2Normalize: boolean;
  /** The floor on the squared norm, `x·rsqrt(max(Σx², eps))`; default 1e-12. */
  readonly l2Epsilon?: number;
}

/**
 * Pools token states into one vector per sequence.
 *
 * @param hidden `(B, T, D)` token states.
 * @param attentionMask `(B, T)`: 1 real, 0 padding.
 * @param pooling `mean`: average over real tokens (an all-padding row gives 0); `first`: token 0.
 * @returns `(B, D)`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { pool } from "@loradrop/core/models";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const h = tf.tensor3d([[[1], [3], [100]]]);
 * const mask = tf.tensor2d([[1, 1, 0]]);
 * assertEquals(pool(h, mask, "mean").arraySync(), [[2]]);
 * assertEquals(pool(h, mask, "first").arraySync(), [[1]]);
 * ```
 */
export function pool(
  hidden: Tensor3D,
  attentionMask: Tensor2D,
  pooling: "mean" | "first",
): Tensor2D {
  if (hidden.rank !== 3) {
    throw new RangeError(`Cannot pool: hidden must be (B, T, D), received [${hidden.shape}]`);
  }
  const [b, t, d] = hidden.shape;
  if (pooling === "first") {
    return tf.reshape(tf.slice(hidden, [0, 0, 0], [b, 1, d]), [b, d]); // (B, D)
  }
  if (pooling !== "mean") {
    throw new TypeError(`Cannot pool: pooling must be "mean" or "first", received "${pooling}"`);
  }
  if (attentionMask.shape[0] !== b || attentionMask.shape[1] !== t) {
    throw new RangeError(
      `Cannot pool: attentionMask must be (${b}, ${t}), received [${attentionMask.shape}]`,
    );
  }
  return tf.tidy(() => {
    const m = tf.cast(attentionMask, "float32"); // (B, T)
    const summed = tf.sum(tf.mul(hidden, tf.reshape(m, [b, t, 1])), 1); // (B, D)
    const count = tf.maximum(tf.sum(m, 1, true), 1); // (B, 1)
    return tf.div(summed, count) as Tensor2D;
  });
}

/**
 * Applies a model's own pooler (frozen).
 *
 * @param hidden `(B, T, D)` token states.
 * @param attentionMask `(B, T)`.
 * @param pooler The pooler's weights and layout.
 * @returns `(B, D')`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { applyPooler } from "@loradrop/core/models";
 * import { assertAlmostEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const pooler = { pooling: "mean", dense: { kernel: tf.eye(2) as tf.Tensor2D }, activation: "tanh", l2Normalize: true } as const;
 * const out = applyPooler(tf.tensor3d([[[1, 2], [3, 4]]]), tf.tensor2d([[1, 1]]), pooler);
 * assertAlmostEquals(tf.norm(out).dataSync()[0]!, 1, 1e-6);
 * ```
 */
export function applyPooler(
  hidden: Tensor3D,
  attentionMask: Tensor2D,
  pooler: PoolerWeights,
): Tensor2D {
  return tf.tidy(() => {
    const pooled = pool(hidden, attentionMask, pooler.pooling); // (B, D)
    let y = loraLinear(pooled, pooler.dense, undefined, { scale: 1 }, { training: false }); // (B, D')
    if (pooler.activation === "tanh") y = tf.tanh(y);
    if (pooler.l2Normalize) {
      const sq = tf.sum(tf.square(y), -1, true); // (B, 1)
      y = tf.mul(y, tf.rsqrt(tf.maximum(sq, pooler.l2Epsilon ?? 1e-12)));
    }
    return y as Tensor2D;
  });
}

/** A task head's weights: `(D, C)` for C classes, `(D, 1)` for regression. */
export type HeadWeights = LinearWeights;

function headInput(pooled: Tensor2D, plan: DropoutPlan, ctx: DropContext): Tensor2D {
  return dropRepresentation(
    pooled,
    dropAt(plan, "classifier", 0, 1),
    dropContextAt(ctx, 0, "classifier"),
  ) as Tensor2D;
}

/**
 * A classification head: the `classifier` drop on the pooled vector, then a dense layer.
 *
 * @param pooled `(B, D)`.
 * @param head `(D, C)` kernel and bias.
 * @param plan The dropout plan (reads `classifier`).
 * @param ctx Training flag and the pass's key (the drop uses `foldIn(foldIn(key, 0), 5)`).
 * @returns The logits `(B, C)`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { classificationHead } from "@loradrop/core/models";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const logits = classificationHead(tf.ones([4, 3]) as tf.Tensor2D, { kernel: tf.ones([3, 2]) as tf.Tensor2D }, { drops: [] }, { training: false });
 * assertEquals(logits.shape, [4, 2]);
 * ```
 */
export function classificationHead(
  pooled: Tensor2D,
  head: HeadWeights,
  plan: DropoutPlan,
  ctx: DropContext,
): Tensor2D {
  return tf.tidy(() =>
    loraLinear(headInput(pooled, plan, ctx), head, undefined, { scale: 1 }, ctx) as Tensor2D
  );
}

/**
 * A regression head: the `classifier` drop, then a dense layer to one value per example.
 *
 * @param pooled `(B, D)`.
 * @param head `(D, 1)` kernel and bias.
 * @param plan The dropout plan (reads `classifier`).
 * @param ctx Training flag and the pass's key.
 * @returns The predictions `(B)`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { regressionHead } from "@loradrop/core/models";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const y = regressionHead(tf.ones([4, 3]) as tf.Tensor2D, { kernel: tf.ones([3, 1]) as tf.Tensor2D }, { drops: [] }, { training: false });
 * assertEquals(y.arraySync(), [3, 3, 3, 3]);
 * ```
 */
export function regressionHead(
  pooled: Tensor2D,
  head: HeadWeights,
  plan: DropoutPlan,
  ctx: DropContext,
): Tensor1D {
  if (head.kernel.shape[1] !== 1) {
    throw new RangeError(
      `Cannot apply regressionHead: the kernel must be (D, 1), received [${head.kernel.shape}]`,
    );
  }
  return tf.tidy(() => {
    const y = loraLinear(headInput(pooled, plan, ctx), head, undefined, { scale: 1 }, ctx); // (B, 1)
    return tf.reshape(y, [pooled.shape[0]]) as Tensor1D; // (B)
  });
}

/** How a model joins two segments into one sequence. */
export interface PairLayout {
  /** Ids before segment a (e.g. `[CLS]`, `<s>`). */
  readonly prefix: readonly number[];
  /** Ids between the segments (e.g. `[SEP]`, `</s></s>`). */
  readonly separator: readonly number[];
  /** Ids after segment b (e.g. `[SEP]`, `</s>`). */
  readonly suffix: readonly number[];
  /** Whether segment b (with the suffix) gets token type 1 (BERT) or everything type 0. */
  readonly segmentTypes: boolean;
}

/**
 * USE-lite's pair layout: `a </s> b`, no other special tokens, no token types. USE-lite was not
 * pretrained on pairs and has no token-type table, so a pair is one sequence with `</s>` (id 2,
 * also the tokenizer's end id) between the segments; the model learns the boundary through LoRA.
 */
export const USE_LITE_PAIR_LAYOUT: PairLayout = {
  prefix: [],
  separator: [2],
  suffix: [],
  segmentTypes: false,
};

/**
 * Joins two tokenised segments into one sequence: `prefix a separator b suffix`.
 *
 * @param a Segment a's ids (without special tokens).
 * @param b Segment b's ids.
 * @param layout The model's layout, e.g. {@linkcode USE_LITE_PAIR_LAYOUT}.
 * @param maxLength If given, the longer segment is trimmed token by token until the pair fits.
 * @returns The joined ids and their token types.
 * @example
 * ```ts
 * import { joinPair, USE_LITE_PAIR_LAYOUT } from "@loradrop/core/models";
 * import { assertEquals } from "@std/assert";
 * assertEquals(joinPair([5, 6], [7], USE_LITE_PAIR_LAYOUT).inputIds, [5, 6, 2, 7]);
 * const bert = { prefix: [101], separator: [102], suffix: [102], segmentTypes: true };
 * assertEquals(joinPair([5], [7], bert).tokenTypeIds, [0, 0, 0, 1, 1]);
 * assertEquals(joinPair([5, 6, 8], [7], USE_LITE_PAIR_LAYOUT, 4).inputIds, [5, 6, 2, 7]);
 * ```
 */
export function joinPair(
  a: readonly number[],
  b: readonly number[],
  layout: PairLayout,
  maxLength?: number,
): { inputIds: number[]; tokenTypeIds: number[] } {
  const special = layout.prefix.length + layout.separator.length + layout.suffix.length;
  let sa = [...a], sb = [...b];
  if (maxLength !== undefined) {
    if (!Number.isInteger(maxLength) || maxLength < special + 2) {
      throw new RangeError(
        `Cannot join a pair: maxLength must be an integer >= ${special + 2}, received ${maxLength}`,
      );
    }
    while (sa.length + sb.length + special > maxLength) {
      if (sa.length >= sb.length) sa = sa.slice(0, -1);
      else sb = sb.slice(0, -1);
    }
  }
  const first = [...layout.prefix, ...sa, ...layout.separator];
  const second = [...sb, ...layout.suffix];
  return {
    inputIds: [...first, ...second],
    tokenTypeIds: [...first.map(() => 0), ...second.map(() => (layout.segmentTypes ? 1 : 0))],
  };
}
