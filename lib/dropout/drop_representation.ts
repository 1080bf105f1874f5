/**
 * Dropout on representations: HiddenCut's position (the FFN output before the residual), the input
 * embeddings (Cutoff, "+ input"), the LoRA branch input, and the classifier input ("+ output").
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "../types.ts";
import type { DropContext, DropOptions } from "./context.ts";
import { sampleRepresentationMask } from "./masks.ts";
import { dropPatternRow } from "./patterns.ts";
import { REPRESENTATION_POSITIONS } from "./positions.ts";
import type { ResolvedDrop } from "./spec.ts";
import { activeRate, asFloatMask, checkMaskShape, checkTokenShape } from "./_helpers.ts";

const RULES = { name: "dropRepresentation", positions: REPRESENTATION_POSITIONS };

/**
 * The factor kept entries are multiplied by: `drop.rescale` when given, otherwise the pattern
 * row's default: `1/(1−p)` for element and column patterns and 1 for spans (as in the original
 * HiddenCut). `p` is always the
 * spec's rate, also with an explicit `options.mask` (not the mask's kept fraction).
 *
 * @param drop The resolved drop.
 * @returns The rescaling factor.
 * @example
 * ```ts
 * import { representationScale } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * assertEquals(representationScale({ position: "hidden", pattern: "element", rate: 0.5 }), 2);
 * assertEquals(representationScale({ position: "hidden", pattern: "span", rate: 0.5 }), 1);
 * ```
 */
export function representationScale(drop: ResolvedDrop): number {
  const rescale = drop.rescale ?? dropPatternRow(drop.pattern)?.rescale ?? "inverse-keep";
  if (rescale === "none") return 1;
  if (rescale === "inverse-keep") return 1 / (1 - drop.rate);
  throw new TypeError(
    `Cannot apply dropRepresentation: rescale must be "inverse-keep" or "none", received "${rescale}"`,
  );
}

/**
 * Drops entries of a representation `(B, T, D)` (or `(B, D)` for the classifier input) and
 * rescales the kept ones (see {@linkcode representationScale}). Patterns: `element`,
 * `column-feature` (whole feature dimensions), `column-token` (whole tokens), `span` (one
 * contiguous run of real tokens; its start `uniform` or HiddenCut's `attention-top40`, which needs
 * `options.attentionReceived`). With `drop` undefined, rate 0 or `ctx.training` false it returns
 * `x` itself.
 *
 * @param x The representation.
 * @param drop The resolved drop at `hidden`, `embedding`, `lora-input` or `classifier`.
 * @param ctx The training flag and the random key.
 * @param options An explicit keep-mask, the token mask, the attention each token receives.
 * @returns The dropped representation, same shape.
 * @example
 * ```ts
 * import { dropRepresentation } from "@loradrop/core";
 * import { randomKey } from "@loradrop/core";
 * import { initBackend } from "@loradrop/core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { assert } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const x = tf.ones([2, 8, 4]);
 * const drop = { position: "hidden", pattern: "element", rate: 0.5 } as const;
 * const y = dropRepresentation(x, drop, { training: true, key: randomKey(0) });
 * const values = await y.data();
 * assert(values.every((v) => v === 0 || v === 2));
 * tf.dispose([x, y]);
 * ```
 */
export function dropRepresentation(
  x: Tensor,
  drop: ResolvedDrop | undefined,
  ctx: DropContext,
  options: DropOptions = {},
): Tensor {
  const rate = activeRate(drop, ctx, options, RULES);
  if (rate === 0) return x;
  const pattern = drop!.pattern;
  const ranks = dropPatternRow(pattern)!.representation!.ranks;
  const pooled = ranks === undefined || ranks.includes(2);
  if (x.rank !== 3 && !(x.rank === 2 && pooled)) {
    throw new RangeError(
      `Cannot apply dropRepresentation: pattern "${pattern}" needs a (B, T, D) input${
        pooled ? " or a (B, D) input" : ""
      }, received shape [${x.shape}]`,
    );
  }
  if (x.rank === 3) {
    checkTokenShape(options.tokenMask, x.shape[0]!, x.shape[1]!, "tokenMask", "dropRepresentation");
    checkTokenShape(
      options.attentionReceived,
      x.shape[0]!,
      x.shape[1]!,
      "attentionReceived",
      "dropRepresentation",
    );
  }
  if (options.mask !== undefined) {
    checkMaskShape(options.mask, x.shape, pattern, false, "dropRepresentation");
  }
  const scale = representationScale(drop!);
  return tf.tidy(() => {
    if (options.mask !== undefined) {
      const masked = tf.mul(x, asFloatMask(options.mask));
      return scale === 1 ? masked : tf.mul(masked, scale);
    }
    const maskOptions = {
      value: scale,
      ...(options.tokenMask !== undefined ? { tokenMask: options.tokenMask } : {}),
      ...(options.attentionReceived !== undefined
        ? { attentionReceived: options.attentionReceived }
        : {}),
      ...(drop!.spanStart !== undefined ? { spanStart: drop!.spanStart } : {}),
    };
    const mask = sampleRepresentationMask(ctx.key!, x.shape, pattern, rate, maskOptions);
    return tf.mul(x, mask);
  });
}
