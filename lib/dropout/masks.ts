/**
 * Keep-mask samplers of the unified framework (paper Fig. 2): the checks every mask passes, then
 * the sampler of the pattern's row in the pattern table (`patterns.ts`; the built-in rows are in
 * `samplers.ts`). A mask holds `value` (1 by default) where the input is kept and 0 where it is
 * dropped, and has the smallest shape that broadcasts to the input: column and span masks are
 * small. The built-in patterns:
 *
 * | input | pattern | mask shape |
 * |---|---|---|
 * | attention `(B, H, Tq, Tk)` | `element` | `(B, H, Tq, Tk)` |
 * | | `column` (per example and head) | `(B, H, 1, Tk)` |
 * | | `span` (one run of keys per example and head) | `(B, H, 1, Tk)` |
 * | representation `(B, T, D)` | `element` | `(B, T, D)` |
 * | | `column-feature` | `(B, 1, D)` |
 * | | `column-token` | `(B, T, 1)` |
 * | | `span` (one run of tokens per example) | `(B, T, 1)` |
 * | representation `(B, D)` | `element`, `column-feature` | `(B, D)` |
 *
 * @module
 */
import type { RandomKey } from "../random.ts";
import type { Tensor, Tensor2D, Tensor4D } from "../types.ts";
import {
  type DropPattern,
  dropPatternRow,
  patternsAt,
  type RepresentationMaskOptions,
} from "./patterns.ts";
import { ATTENTION_POSITIONS, REPRESENTATION_POSITIONS } from "./positions.ts";
import { checkRate } from "./rate.ts";
import { orList } from "../_or_list.ts";

export { spanLength, TOP_ATTENDED_FRACTION } from "./samplers.ts";
export type { RepresentationMaskOptions } from "./patterns.ts";

function checkShape(shape: readonly number[], what: string): void {
  if (!shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(
      `Cannot sample ${what} mask: shape must hold positive integers, received [${shape}]`,
    );
  }
}

/**
 * Samples a keep-mask for attention logits or weights `(B, H, Tq, Tk)`.
 *
 * - `element`: every (query, key) entry independently, shape `(B, H, Tq, Tk)`.
 * - `column`: whole keys for every query, independently per example and head, `(B, H, 1, Tk)`.
 * - `span`: one contiguous run of real keys per example and head, of length
 *   `spanLength(rate, real keys)`, its start uniform over the valid starts, `(B, H, 1, Tk)`.
 *
 * @param key The random key (the same key gives the same mask).
 * @param shape The attention shape `[B, H, Tq, Tk]`.
 * @param pattern `element`, `column` or `span`.
 * @param rate The drop rate in [0, 1).
 * @param tokenMask `(B, Tk)`, 1 for real keys: spans lie only over real keys.
 * @returns The keep-mask (1 keep, 0 drop), broadcastable to `shape`.
 * @example
 * ```ts
 * import { sampleAttentionMask } from "@loradrop/core";
 * import { randomKey } from "@loradrop/core";
 * import { initBackend } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const mask = sampleAttentionMask(randomKey(0), [2, 4, 8, 8], "column", 0.25);
 * assertEquals(mask.shape, [2, 4, 1, 8]);
 * mask.dispose();
 * ```
 */
export function sampleAttentionMask(
  key: RandomKey,
  shape: readonly [number, number, number, number],
  pattern: DropPattern,
  rate: number,
  tokenMask?: Tensor2D,
): Tensor4D {
  checkRate(rate, "sample an attention mask");
  if (shape.length !== 4) {
    throw new RangeError(
      `Cannot sample an attention mask: shape must be [B, H, Tq, Tk], received [${shape}]`,
    );
  }
  checkShape(shape, "an attention");
  const row = dropPatternRow(pattern);
  if (row?.attention === undefined) {
    throw new TypeError(
      `Cannot sample an attention mask: pattern must be ${
        orList(patternsAt(ATTENTION_POSITIONS))
      }, received "${pattern}"`,
    );
  }
  return row.attention.sample(key, shape, rate, tokenMask);
}

/**
 * Samples a keep-mask for representations `(B, T, D)` (hidden states, embeddings, LoRA inputs) or
 * `(B, D)` (the classifier's input).
 *
 * - `element`: every entry independently (any rank), the input's shape.
 * - `column-feature`: whole feature dimensions over all tokens of an example, `(B, 1, D)`; on a
 *   `(B, D)` input every example has one token, so this is an element mask `(B, D)`.
 * - `column-token`: whole token vectors, `(B, T, 1)`.
 * - `span`: one contiguous run of `spanLength(rate, real tokens)` real tokens per example,
 *   `(B, T, 1)`. Its start is uniform over the valid starts, or (`attention-top40`, HiddenCut)
 *   uniform over the `max(1, ceil(0.4 L))` real tokens receiving the most attention, the span then
 *   being truncated at the last real token.
 *
 * @param key The random key.
 * @param shape The input's shape.
 * @param pattern `element`, `column-feature`, `column-token` or `span`.
 * @param rate The drop rate in [0, 1).
 * @param options Token mask, attention scores, span start rule and kept value.
 * @returns The mask, broadcastable to `shape`.
 * @example
 * ```ts
 * import { sampleRepresentationMask } from "@loradrop/core";
 * import { randomKey } from "@loradrop/core";
 * import { initBackend } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const mask = sampleRepresentationMask(randomKey(1), [2, 10, 16], "span", 0.3);
 * assertEquals(mask.shape, [2, 10, 1]);
 * assertEquals((await mask.sum().data())[0], 2 * 10 - 2 * 3);
 * mask.dispose();
 * ```
 */
export function sampleRepresentationMask(
  key: RandomKey,
  shape: readonly number[],
  pattern: DropPattern,
  rate: number,
  options: RepresentationMaskOptions = {},
): Tensor {
  checkRate(rate, "sample a representation mask");
  checkShape(shape, "a representation");
  const value = options.value ?? 1;
  if (!Number.isFinite(value)) {
    throw new RangeError(
      `Cannot sample a representation mask: value must be finite, received ${value}`,
    );
  }
  const row = dropPatternRow(pattern);
  if (row?.representation === undefined) {
    throw new TypeError(
      `Cannot sample a representation mask: pattern must be one of ${
        patternsAt(REPRESENTATION_POSITIONS).join(", ")
      }, received "${pattern}"`,
    );
  }
  const ranks = row.representation.ranks;
  if (ranks !== undefined && !ranks.includes(shape.length)) {
    throw new RangeError(
      `Cannot sample a representation mask: pattern "${pattern}" needs a (B, T, D) input${
        ranks.includes(2) ? " or a (B, D) input" : ""
      }, received shape [${shape}]`,
    );
  }
  return row.representation.sample(key, shape, rate, { ...options, value });
}
