/**
 * Per-layer, per-position random keys for the dropout hook points of the models: the key rule
 * every model follows, kept with the dropout operators it feeds.
 *
 * A model receives one {@linkcode DropContext} per forward pass; each hook point draws from
 * `foldIn(foldIn(key, layer), positionIndex)` (ARCHITECTURE.md), where `positionIndex` is the
 * position's index in {@linkcode DROP_POSITIONS}, and LoRA-input drops fold in the module's index
 * in {@linkcode MODULE_NAMES} once more so that every LoRA branch gets its own mask.
 *
 * @module
 */
import { foldIn } from "../random.ts";
import { DROP_POSITIONS, type DropPosition } from "./positions.ts";
import type { DropContext } from "./context.ts";

/** The modules of a transformer layer that LoRA can adapt (adapter keys `layers.{i}.{name}`). */
export type ModuleName = "q" | "k" | "v" | "o" | "ffn-in" | "ffn-out";

/** Every module name, in a fixed order (the order folds into LoRA-input keys). */
export const MODULE_NAMES: readonly ModuleName[] = ["q", "k", "v", "o", "ffn-in", "ffn-out"];

/**
 * The context for one hook point: the same `training` flag and the derived key (no key when the
 * model's context has none).
 *
 * @param ctx The model's context for this pass.
 * @param layer The 0-based layer index (0 for `embedding` and `classifier`).
 * @param position The hook point.
 * @param module For `lora-input`: the adapted module, so each branch draws its own mask.
 * @returns The hook point's context.
 * @example
 * ```ts
 * import { dropContextAt } from "@loradrop/core";
 * import { foldIn, randomKey } from "@loradrop/core";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 * const ctx = { training: true, key: randomKey(0) };
 * assertEquals(dropContextAt(ctx, 1, "hidden").key, foldIn(foldIn(randomKey(0), 1), 2));
 * assertNotEquals(dropContextAt(ctx, 1, "lora-input", "q").key, dropContextAt(ctx, 1, "lora-input", "v").key);
 * assertEquals(dropContextAt({ training: false }, 0, "hidden"), { training: false });
 * ```
 */
export function dropContextAt(
  ctx: DropContext,
  layer: number,
  position: DropPosition,
  module?: ModuleName,
): DropContext {
  if (ctx.key === undefined) return { training: ctx.training };
  const positionIndex = DROP_POSITIONS.indexOf(position);
  if (positionIndex < 0) {
    throw new TypeError(
      `Cannot derive a dropout key: position must be one of ${
        DROP_POSITIONS.join(", ")
      }, received "${position}"`,
    );
  }
  let key = foldIn(foldIn(ctx.key, layer), positionIndex);
  if (module !== undefined) key = foldIn(key, MODULE_NAMES.indexOf(module));
  return { training: ctx.training, key };
}
