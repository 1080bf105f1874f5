/**
 * A method's dropout fields in a run (its rate, its consistency weight), the same for every track:
 * the baseline drops nothing, and only methods with a consistency term carry a KL weight.
 *
 * @module
 */
import type { RunSpec } from "./run_spec.ts";

/**
 * Whether a method has a consistency term (so its runs carry a KL weight).
 *
 * @param method A dropout preset name.
 * @returns True for hiddenKey, hiddenKey-both and the +js variant.
 * @example
 * ```ts
 * import { hasConsistency } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals([hasConsistency("hiddenKey"), hasConsistency("hiddenKey-minus")], [true, false]);
 * ```
 */
export function hasConsistency(method: string): boolean {
  return method === "hiddenKey" || method === "hiddenKey-both" || method.endsWith("+js");
}

/**
 * A method's dropout fields of a run: its rate (0 for the baseline) and, when the method has a
 * consistency term, its KL weight (else 0). Both tracks' runs take them from here.
 *
 * @param method A dropout preset name.
 * @param rate The methods' drop rate.
 * @param klWeight The consistency weight of the methods that have one.
 * @returns The run's `method`, `rate` and `klWeight`.
 * @example
 * ```ts
 * import { methodFields } from "./method_fields.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(methodFields("baseline", 0.1, 1), { method: "baseline", rate: 0, klWeight: 0 });
 * assertEquals(methodFields("hiddenKey", 0.1, 1), { method: "hiddenKey", rate: 0.1, klWeight: 1 });
 * assertEquals(methodFields("hiddenKey-minus", 0.1, 1).klWeight, 0);
 * ```
 */
export function methodFields(
  method: string,
  rate: number,
  klWeight: number,
): Pick<RunSpec, "method" | "rate" | "klWeight"> {
  return {
    method,
    rate: method === "baseline" ? 0 : rate,
    klWeight: hasConsistency(method) ? klWeight : 0,
  };
}
