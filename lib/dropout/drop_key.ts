/**
 * DropKey (Li et al., CVPR 2023): dropout before the softmax. Dropped attention logits get a
 * large finite negative, so the softmax renormalises over the kept keys by itself: no rescaling.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor4D } from "../types.ts";
import type { DropContext, DropOptions } from "./context.ts";
import { MASKED_LOGIT } from "./masked_logit.ts";
import type { ResolvedDrop } from "./spec.ts";
import { droppedLogits } from "./_helpers.ts";
import { type AttentionOperator, openAttentionDrop } from "./_attention_drop.ts";

const OPERATOR: AttentionOperator = {
  name: "dropKey",
  position: "attention-logits",
  input: "logits",
};

/**
 * The value DropKey adds to a dropped logit: {@linkcode MASKED_LOGIT}, the value the models'
 * padding and causal bias use too, so that a row with only dropped or padded keys is recognised
 * (`row max < DROP_KEY_NEG / 2`).
 *
 * @example
 * ```ts
 * import { DROP_KEY_NEG } from "@loradrop/core";
 * import { MASKED_LOGIT } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * assertEquals(DROP_KEY_NEG, MASKED_LOGIT);
 * ```
 */
export const DROP_KEY_NEG: number = MASKED_LOGIT;

/**
 * Applies DropKey to attention logits `(B, H, Tq, Tk)` (after the padding / causal bias).
 *
 * `logits + (1 − keep) · DROP_KEY_NEG`, no rescaling. A query row whose every visible key is
 * dropped is left undropped (no NaN; `dropAttention` does the same, so the two stay equivalent).
 * With `drop` undefined, rate 0 or `ctx.training` false it returns `logits` itself.
 *
 * @param logits The attention logits `(B, H, Tq, Tk)`.
 * @param drop The resolved drop at `attention-logits` (`element`, `column`, `span` or a registered
 *   pattern of that position).
 * @param ctx The training flag and the random key.
 * @param options An explicit keep-mask, or the token mask spans need.
 * @returns The dropped logits, same shape.
 * @example
 * ```ts
 * import { dropKey } from "@loradrop/core";
 * import { randomKey } from "@loradrop/core";
 * import { initBackend } from "@loradrop/core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { assert, assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const logits = tf.randomNormal([2, 2, 4, 4]) as tf.Tensor4D;
 * const drop = { position: "attention-logits", pattern: "column", rate: 0.5 } as const;
 * assert(dropKey(logits, drop, { training: false }) === logits);
 * const out = dropKey(logits, drop, { training: true, key: randomKey(0) });
 * assertEquals(out.shape, [2, 2, 4, 4]);
 * tf.dispose([logits, out]);
 * ```
 */
export function dropKey(
  logits: Tensor4D,
  drop: ResolvedDrop | undefined,
  ctx: DropContext,
  options: DropOptions = {},
): Tensor4D {
  const active = openAttentionDrop(logits, drop, ctx, options, OPERATOR);
  if (active === undefined) return logits;
  return tf.tidy(() => {
    const keep = active.keep();
    // Adding a constant has the identity as its derivative (the fully-dropped-row guard is
    // piecewise constant), so the backward pass passes `dy` through and records nothing else.
    const apply = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const value = droppedLogits(args[0] as tf.Tensor, keep); // (B, H, Tq, Tk)
      return { value, gradFunc: (dy: tf.Tensor) => tf.clone(dy) };
    });
    return apply(logits) as Tensor4D;
  });
}
