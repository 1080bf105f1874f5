/**
 * Whether a layer's attention must also return the attention each token receives: HiddenCut's
 * span start chosen among the top-40% most attended tokens needs it (Chen et al., 2021).
 *
 * @module
 */
import { dropAt, type DropoutPlan } from "./spec.ts";

/**
 * True when the plan's `hidden` drop at `layer` is a span whose start is attention-guided, so the
 * layer's attention has to compute the attention each token receives.
 *
 * @param plan The dropout plan.
 * @param layer The 0-based layer index.
 * @param numLayers How many layers the model has.
 * @returns Whether the attention scores are needed at that layer.
 * @example
 * ```ts
 * import { needsAttentionScores } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * const guided = { drops: [{ position: "hidden", pattern: "span", rate: 0.1, spanStart: "attention-top40" }] } as const;
 * const uniform = { drops: [{ position: "hidden", pattern: "span", rate: 0.1 }] } as const;
 * assertEquals(needsAttentionScores(guided, 0, 2), true);
 * assertEquals(needsAttentionScores(uniform, 0, 2), false);
 * ```
 */
export function needsAttentionScores(
  plan: DropoutPlan,
  layer: number,
  numLayers: number,
): boolean {
  const hidden = dropAt(plan, "hidden", layer, numLayers);
  return hidden?.pattern === "span" && hidden.spanStart === "attention-top40";
}
