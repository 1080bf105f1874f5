// Private: the opening both attention operators (dropKey, dropAttention) share.
import type { Tensor, Tensor4D } from "../types.ts";
import type { DropContext, DropOptions } from "./context.ts";
import { sampleAttentionMask } from "./masks.ts";
import type { DropPosition } from "./positions.ts";
import type { ResolvedDrop } from "./spec.ts";
import { activeRate, asFloatMask, checkMaskShape, checkTokenShape } from "./_helpers.ts";

/** An active attention drop: its resolved spec, its rate and a way to get its keep-mask. */
export interface ActiveAttentionDrop {
  readonly drop: ResolvedDrop;
  readonly rate: number;
  /** The keep-mask: `options.mask` as float32, or one sampled from the key (call inside a tidy). */
  readonly keep: () => Tensor;
}

/** An attention operator: its name, its position, and its input's name in messages. */
export interface AttentionOperator {
  readonly name: string;
  readonly position: DropPosition;
  readonly input: string;
}

/**
 * Checks an attention operator's call and returns the active drop, or undefined when the call is
 * an identity (no drop, rate 0, inference).
 */
export function openAttentionDrop(
  input: Tensor4D,
  drop: ResolvedDrop | undefined,
  ctx: DropContext,
  options: DropOptions,
  { name, position, input: what }: AttentionOperator,
): ActiveAttentionDrop | undefined {
  const rate = activeRate(drop, ctx, options, { name, positions: [position] });
  if (rate === 0) return undefined;
  if (input.rank !== 4) {
    throw new RangeError(
      `Cannot apply ${name}: ${what} must be (B, H, Tq, Tk), received shape [${input.shape}]`,
    );
  }
  const [batch, heads, tq, tk] = input.shape;
  checkTokenShape(options.tokenMask, batch, tk, "tokenMask", name);
  if (options.mask !== undefined) {
    checkMaskShape(options.mask, input.shape, drop!.pattern, true, name);
  }
  const keep = () =>
    options.mask !== undefined ? asFloatMask(options.mask) : sampleAttentionMask(
      ctx.key!,
      [batch, heads, tq, tk],
      drop!.pattern,
      rate,
      options.tokenMask,
    );
  return { drop: drop!, rate, keep };
}
