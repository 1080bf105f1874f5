/**
 * Where a drop can act: the hook points of the unified framework (paper §2).
 *
 * @module
 */

/**
 * Where a drop acts.
 * - `attention-logits`: DropKey (pre-softmax; dropped logits get a large negative, no rescale)
 * - `attention-weights`: DropAttention (post-softmax; normalised rescaling)
 * - `hidden`: HiddenCut's position, the FFN output before the residual add
 * - `lora-input`: the input of every LoRA branch (loralib's `lora_dropout`)
 * - `embedding`: the input embedding sequence (Cutoff, "+ input")
 * - `classifier`: the representation fed to the task head ("+ output")
 */
export type DropPosition =
  | "attention-logits"
  | "attention-weights"
  | "hidden"
  | "lora-input"
  | "embedding"
  | "classifier";

/** Every position, in the order above (the order folds into the models' dropout keys). */
export const DROP_POSITIONS: readonly DropPosition[] = [
  "attention-logits",
  "attention-weights",
  "hidden",
  "lora-input",
  "embedding",
  "classifier",
];

/** The positions on attention `(B, H, Tq, Tk)`; every other position is a representation. */
export const ATTENTION_POSITIONS: readonly DropPosition[] = [
  "attention-logits",
  "attention-weights",
];

/** The positions on representations `(B, T, D)` (or `(B, D)` for the classifier input). */
export const REPRESENTATION_POSITIONS: readonly DropPosition[] = DROP_POSITIONS.filter((p) =>
  !ATTENTION_POSITIONS.includes(p)
);

/**
 * Whether a position acts on attention (logits or weights) rather than on representations.
 *
 * @param position The position.
 * @returns True for `attention-logits` and `attention-weights`.
 * @example
 * ```ts
 * import { isAttentionPosition } from "@loradrop/core";
 * import { assert } from "@std/assert";
 * assert(isAttentionPosition("attention-logits"));
 * assert(!isAttentionPosition("hidden"));
 * ```
 */
export function isAttentionPosition(position: DropPosition): boolean {
  return ATTENTION_POSITIONS.includes(position);
}
