/**
 * The dropout operators of the unified framework: specs (position × pattern × rate), the
 * operators (DropKey, DropAttention, HiddenCut-style representation dropout), their mask samplers and
 * the named method presets (HiddenKey, …).
 *
 * @example
 * ```ts
 * import { presetPlan, validatePlan } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * const plan = presetPlan("hiddenKey", { rate: 0.1 });
 * assertEquals(validatePlan(plan), plan);
 * ```
 *
 * @module
 */
export * from "./spec.ts";
export * from "./positions.ts";
export * from "./patterns.ts";
export * from "./rate.ts";
export * from "./masked_logit.ts";
export * from "./context.ts";
export * from "./masks.ts";
export * from "./drop_key.ts";
export * from "./drop_attention.ts";
export * from "./drop_representation.ts";
export * from "./presets.ts";
export * from "./attention_scores.ts";
export * from "./drop_context.ts";
