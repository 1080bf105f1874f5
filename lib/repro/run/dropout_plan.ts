/**
 * A run's dropout plan, from its spec: the method's preset at the spec's rate (HiddenCut's own
 * rate when the spec sets one) with the consistency loss weighted as the spec says.
 *
 * @module
 */
import { presetPlan } from "../../dropout/presets.ts";
import type { DropoutPlan } from "../../dropout/spec.ts";
import type { RunSpec } from "../plan/run_spec.ts";

/**
 * The dropout plan one run trains with.
 *
 * @param spec The run (its `method`, `rate`, `hiddenRate`, `klWeight`).
 * @returns The plan.
 * @throws {TypeError} When the method is not a preset.
 * @example
 * ```ts
 * import { dropoutPlanOf } from "./dropout_plan.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const plan = dropoutPlanOf({ method: "hiddenKey", rate: 0.1, klWeight: 1 } as never);
 * assertEquals(plan.consistency?.kind, "kl");
 * assertEquals(dropoutPlanOf({ method: "baseline", rate: 0, klWeight: 0 } as never).consistency, undefined);
 * assertThrows(() => dropoutPlanOf({ method: "nope", rate: 0, klWeight: 0 } as never), TypeError, "nope");
 * ```
 */
export function dropoutPlanOf(spec: RunSpec): DropoutPlan {
  return presetPlan(spec.method, {
    rate: spec.rate,
    ...(spec.hiddenRate === undefined ? {} : { hiddenRate: spec.hiddenRate }),
    ...(spec.klWeight > 0 ? { klWeight: spec.klWeight } : {}),
  });
}
