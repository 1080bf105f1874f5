// Private helpers shared by the dropout operators: argument checks.
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "../types.ts";
import type { DropContext, DropOptions } from "./context.ts";
import {
  checkRate,
  type DropPattern,
  type DropPosition,
  type ResolvedDrop,
  validateDropSpec,
} from "./spec.ts";

/** What an operator accepts. */
export interface OperatorRules {
  /** The operator's name for messages, e.g. "dropKey". */
  readonly name: string;
  /** The positions it serves. */
  readonly positions: readonly DropPosition[];
  /** The patterns it implements. */
  readonly patterns: readonly DropPattern[];
}

/**
 * Validates a drop and the context, and returns the rate to apply, or 0 when the call is an
 * identity (no drop, rate 0, or inference). Throws for a bad rate, position or pattern, and for
 * training without a key or a mask.
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
  if (drop === undefined) return 0;
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
  if (!rules.patterns.includes(drop.pattern)) {
    throw new TypeError(
      `Cannot apply ${rules.name}: pattern must be one of ${
        rules.patterns.join(", ")
      }, received "${drop.pattern}"`,
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

/** Throws unless `mask` broadcasts to exactly `shape` (it may not enlarge the input). */
export function checkMaskShape(
  mask: Tensor,
  shape: readonly number[],
  name: string,
): void {
  const m = mask.shape;
  const ok = m.length <= shape.length &&
    m.every((d, i) => {
      const target = shape[shape.length - m.length + i]!;
      return d === 1 || d === target;
    });
  if (!ok) {
    throw new RangeError(
      `Cannot apply ${name}: options.mask of shape [${m}] is not broadcastable to the input's shape [${shape}]`,
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
