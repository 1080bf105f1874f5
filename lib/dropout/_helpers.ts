// Private helpers shared by the dropout operators: argument checks.
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "../types.ts";
import type { DropContext, DropOptions } from "./context.ts";
import { MASKED_LOGIT } from "./masked_logit.ts";
import { type DropPattern, dropPatternRow, patternsAt } from "./patterns.ts";
import type { DropPosition } from "./positions.ts";
import { checkRate } from "./rate.ts";
import { type ResolvedDrop, validateDropSpec } from "./spec.ts";

/** What an operator accepts: its name and positions; its patterns are the table's rows there. */
export interface OperatorRules {
  /** The operator's name for messages, e.g. "dropKey". */
  readonly name: string;
  /** The positions it serves. */
  readonly positions: readonly DropPosition[];
}

/**
 * Validates a drop and the context, and returns the rate to apply, or 0 when the call is an
 * identity (no drop, rate 0, or inference). Throws for a bad rate, position or pattern, for
 * training without a key or a mask, and for an explicit mask given to a drop that cannot use it
 * (none, or rate 0). In inference the call is an identity even with a mask.
 */
export function activeRate(
  drop: ResolvedDrop | undefined,
  ctx: DropContext,
  options: DropOptions,
  rules: OperatorRules,
): number {
  if (ctx === null || typeof ctx !== "object" || typeof ctx.training !== "boolean") {
    throw new TypeError(
      `Cannot apply ${rules.name}: ctx must be { training: boolean, key? }, received ${
        JSON.stringify(ctx)
      }`,
    );
  }
  if (drop === undefined) {
    if (options.mask !== undefined) {
      throw new TypeError(
        `Cannot apply ${rules.name}: options.mask was given without a drop, received drop undefined`,
      );
    }
    return 0;
  }
  if (typeof drop.rate !== "number") {
    throw new TypeError(
      `Cannot apply ${rules.name}: the drop must be resolved to one numeric rate (use dropAt), received ${
        JSON.stringify(drop.rate)
      }`,
    );
  }
  checkRate(drop.rate, `apply ${rules.name}`);
  validateDropSpec(drop);
  if (!rules.positions.includes(drop.position)) {
    throw new TypeError(
      `Cannot apply ${rules.name}: position must be ${
        rules.positions.map((p) => `"${p}"`).join(" or ")
      }, received "${drop.position}"`,
    );
  }
  const patterns = patternsAt(rules.positions);
  if (!patterns.includes(drop.pattern)) {
    throw new TypeError(
      `Cannot apply ${rules.name}: pattern must be one of ${
        patterns.join(", ")
      }, received "${drop.pattern}"`,
    );
  }
  if (drop.rate === 0 && options.mask !== undefined) {
    throw new RangeError(
      `Cannot apply ${rules.name}: options.mask was given but the drop's rate is 0, so it would be ignored; give the rate the mask stands for (it sets the rescaling), received rate 0`,
    );
  }
  if (!ctx.training || drop.rate === 0) return 0;
  if (ctx.key === undefined && options.mask === undefined) {
    throw new TypeError(
      `Cannot apply ${rules.name}: training with rate ${drop.rate} needs ctx.key or options.mask, received neither`,
    );
  }
  return drop.rate;
}

/**
 * The largest mask shape a pattern allows on an input of shape `shape`: the input's shape with 1
 * on the axes of the pattern's row (`maskAxes`): for attention `column` and `span` the query axis
 * (`(B, H, 1, Tk)`); for `column-feature` the token axis (`(B, 1, D)`); for `column-token` and
 * `span` on representations the feature axis (`(B, T, 1)`). (`(B, D)` inputs take full masks.)
 */
export function patternMaskShape(
  pattern: DropPattern,
  shape: readonly number[],
  attention: boolean,
): number[] {
  const row = dropPatternRow(pattern);
  const axes = attention
    ? row?.attention?.maskAxes
    : shape.length === 3
    ? row?.representation?.maskAxes
    : undefined;
  return shape.map((d, i) => axes?.includes(i) ? 1 : d);
}

/**
 * Throws unless `mask` broadcasts to the input's shape without enlarging it and fits the pattern:
 * every axis of the mask is 1 or equal to the axis of {@linkcode patternMaskShape}.
 */
export function checkMaskShape(
  mask: Tensor,
  shape: readonly number[],
  pattern: DropPattern,
  attention: boolean,
  name: string,
): void {
  const allowed = patternMaskShape(pattern, shape, attention);
  const m = mask.shape;
  const ok = m.length <= allowed.length &&
    m.every((d, i) => {
      const target = allowed[allowed.length - m.length + i]!;
      return d === 1 || d === target;
    });
  if (!ok) {
    throw new RangeError(
      `Cannot apply ${name}: options.mask of shape [${m}] is not broadcastable to [${allowed}], the largest mask of pattern "${pattern}" on an input of shape [${shape}]`,
    );
  }
}

/** Throws unless a `(B, T)` side input has the expected shape. */
export function checkTokenShape(
  t: Tensor | undefined,
  batch: number,
  length: number,
  what: string,
  name: string,
): void {
  if (t === undefined) return;
  if (t.rank !== 2 || t.shape[0] !== batch || t.shape[1] !== length) {
    throw new RangeError(
      `Cannot apply ${name}: options.${what} must have shape [${batch}, ${length}], received [${t.shape}]`,
    );
  }
}

/** Casts a keep-mask to float32 (a new tensor, or the input when already float32). */
export function asFloatMask(mask: Tensor): Tensor {
  return mask.dtype === "float32" ? mask : tf.cast(mask, "float32");
}

/**
 * DropKey's forward on logits `(B, H, Tq, Tk)` with a keep-mask broadcastable to them:
 * `x + (1 − keep)·MASKED_LOGIT`, except in rows where every visible key is dropped (all of
 * `x + bias` below `MASKED_LOGIT / 2`, i.e. each key is dropped or already carries a padding or
 * causal bias), which keep `x`. Not differentiable by itself: callers wrap it in a custom gradient.
 */
export function droppedLogits(x: Tensor, keep: Tensor): Tensor {
  return tf.tidy(() => {
    const bias = tf.mul(tf.sub(1, keep), MASKED_LOGIT); // broadcastable to (B, H, Tq, Tk)
    const rowMax = tf.max(tf.add(x, bias), -1, true); // (B, H, Tq, 1)
    // 1 where every visible key of the row is dropped: such rows keep their logits. (Float
    // arithmetic: tf.where and boolean ops are ~100x slower than this on wasm.)
    const allDropped = tf.step(tf.sub(MASKED_LOGIT / 2, rowMax)); // (B, H, Tq, 1)
    return tf.add(x, tf.mul(bias, tf.sub(1, allDropped))); // (B, H, Tq, Tk)
  });
}
