/**
 * The unified dropout framework's spec: dropping position × structural pattern × rate ×
 * compensation (paper §2). A {@linkcode DropoutPlan} lists which drops are active and the
 * consistency loss; models read it with {@linkcode dropAt}.
 *
 * @module
 */

import { DROP_PATTERNS, type DropPattern, dropPatternRow, type SpanStart } from "./patterns.ts";
import { DROP_POSITIONS, type DropPosition } from "./positions.ts";
import { checkRate } from "./rate.ts";
import { compensationFor, type ConsistencyKind } from "../losses/compensations.ts";

export {
  ATTENTION_POSITIONS,
  DROP_POSITIONS,
  type DropPosition,
  isAttentionPosition,
  REPRESENTATION_POSITIONS,
} from "./positions.ts";
export {
  type BuiltInDropPattern,
  DROP_PATTERNS,
  type DropPattern,
  type SpanStart,
} from "./patterns.ts";
export { checkRate } from "./rate.ts";
export type { ConsistencyKind } from "../losses/compensations.ts";

/**
 * Rescaling of the kept entries.
 * - `normalised`: `attention-weights` only, its default: each row divided by its kept sum
 *   (DropAttention's normalised rescaling, paper Eq. 2)
 * - `inverse-keep`: multiplied by `1/(1−p)` (standard dropout; the default on representations
 *   except spans)
 * - `none`: left as they are (the default for spans; the only choice for `attention-logits`,
 *   where the softmax renormalises)
 */
export type Rescale = "normalised" | "inverse-keep" | "none";

/** Every rescaling, in the order above. */
export const RESCALES: readonly Rescale[] = ["normalised", "inverse-keep", "none"];

/** One active drop. */
export interface DropSpec {
  /** Where it acts. */
  readonly position: DropPosition;
  /** The mask's structure. */
  readonly pattern: DropPattern;
  /** The drop rate in [0, 1): one for every layer, or one per layer. */
  readonly rate: number | readonly number[];
  /** Half-open layer range `[start, end)` the drop is active in; all layers by default. */
  readonly layers?: { readonly start: number; readonly end: number };
  /**
   * `attention-weights` with `normalised` rescaling only: stop-gradient on the normaliser (the
   * paper's DropAttention). Default true.
   */
  readonly noGrad?: boolean;
  /**
   * The rescaling: `normalised` (default), `inverse-keep` or `none` at `attention-weights`; `none`
   * at `attention-logits`; `inverse-keep` (default; `none` for `span`) or `none` on
   * representations.
   */
  readonly rescale?: Rescale;
  /** `span` only: how the start is drawn; default `uniform`. */
  readonly spanStart?: SpanStart;
}

/** A consistency loss and how it back-propagates. */
export interface ConsistencySpec {
  /** Which loss: a kind of the compensation table (`lib/losses/compensations.ts`). */
  readonly kind: ConsistencyKind;
  /** Its weight α in `task + α · consistency`. */
  readonly weight: number;
  /** `one`: the second pass is a stop-gradient target (the paper); `both`: both branches train. */
  readonly branches: "one" | "both";
}

/** Everything a model needs to know about dropout for one run. */
export interface DropoutPlan {
  /** The active drops; at most one per position. */
  readonly drops: readonly DropSpec[];
  /** An optional consistency loss. */
  readonly consistency?: ConsistencySpec;
}

/**
 * Validates a drop spec: known position and pattern, a pattern that fits the position, a
 * rescaling (and `noGrad`) the position uses, rates in [0, 1), a sane layer range. Returns the spec
 * for chaining.
 *
 * @param spec The spec to check.
 * @returns The same spec.
 * @example
 * ```ts
 * import { validateDropSpec } from "@loradrop/core";
 * import { assertThrows } from "@std/assert";
 * validateDropSpec({ position: "attention-logits", pattern: "column", rate: 0.1 });
 * assertThrows(() => validateDropSpec({ position: "hidden", pattern: "column", rate: 0.1 }), TypeError);
 * ```
 */
export function validateDropSpec(spec: DropSpec): DropSpec {
  if (!DROP_POSITIONS.includes(spec.position)) {
    throw new TypeError(
      `Cannot use drop spec: position must be one of ${
        DROP_POSITIONS.join(", ")
      }, received "${spec.position}"`,
    );
  }
  const row = dropPatternRow(spec.pattern);
  if (row === undefined) {
    throw new TypeError(
      `Cannot use drop spec: pattern must be one of ${
        DROP_PATTERNS.join(", ")
      }, received "${spec.pattern}"`,
    );
  }
  if (!row.positions.includes(spec.position)) {
    throw new TypeError(
      `Cannot use drop spec: ${
        row.misplaced?.(spec.position) ??
          `pattern "${spec.pattern}" does not act at position "${spec.position}"; it acts at ${
            row.positions.map((p) => `"${p}"`).join(", ")
          }`
      }`,
    );
  }
  checkRescale(spec);
  const rates = typeof spec.rate === "number" ? [spec.rate] : spec.rate;
  if (!Array.isArray(rates) || rates.length === 0) {
    throw new TypeError(
      `Cannot use drop spec: rate must be a number or a non-empty array, received ${spec.rate}`,
    );
  }
  for (const r of rates) checkRate(r, `use drop spec at "${spec.position}"`);
  if (spec.layers !== undefined) {
    const { start, end } = spec.layers;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start) {
      throw new RangeError(
        `Cannot use drop spec: layers must be integers with 0 <= start < end, received [${start}, ${end})`,
      );
    }
  }
  return spec;
}

/** The rescalings a position accepts, its default first. */
function rescalesAt(spec: DropSpec): readonly Rescale[] {
  if (spec.position === "attention-weights") return ["normalised", "inverse-keep", "none"];
  if (spec.position === "attention-logits") return ["none"];
  return dropPatternRow(spec.pattern)!.rescale === "none"
    ? ["none", "inverse-keep"]
    : ["inverse-keep", "none"];
}

/** Rejects a rescaling (or a `noGrad`) that the position would otherwise ignore. */
function checkRescale(spec: DropSpec): void {
  const allowed = rescalesAt(spec);
  if (spec.rescale !== undefined && !allowed.includes(spec.rescale)) {
    throw new TypeError(
      `Cannot use drop spec: rescale at "${spec.position}" must be ${
        allowed.map((r) => `"${r}"`).join(" or ")
      }, received "${spec.rescale}"`,
    );
  }
  if (spec.noGrad !== undefined) {
    if (typeof spec.noGrad !== "boolean") {
      throw new TypeError(
        `Cannot use drop spec: noGrad must be a boolean, received ${JSON.stringify(spec.noGrad)}`,
      );
    }
    if (spec.position !== "attention-weights") {
      throw new TypeError(
        `Cannot use drop spec: noGrad applies to "attention-weights" only, received it at "${spec.position}"`,
      );
    }
    if ((spec.rescale ?? "normalised") !== "normalised") {
      throw new TypeError(
        `Cannot use drop spec: noGrad applies to the "normalised" rescaling only, received rescale "${spec.rescale}"`,
      );
    }
  }
}

/**
 * Validates a whole plan: each spec, at most one drop per position, a finite non-negative
 * consistency weight.
 *
 * @param plan The plan.
 * @returns The same plan.
 * @example
 * ```ts
 * import { validatePlan } from "@loradrop/core";
 * import { assertThrows } from "@std/assert";
 * assertThrows(() =>
 *   validatePlan({ drops: [], consistency: { kind: "kl", weight: -1, branches: "one" } }), RangeError);
 * ```
 */
export function validatePlan(plan: DropoutPlan): DropoutPlan {
  const seen = new Set<DropPosition>();
  for (const spec of plan.drops) {
    validateDropSpec(spec);
    if (seen.has(spec.position)) {
      throw new TypeError(
        `Cannot use dropout plan: position "${spec.position}" appears twice; give one spec per position`,
      );
    }
    seen.add(spec.position);
  }
  const c = plan.consistency;
  if (c !== undefined) {
    compensationFor(c.kind, "use dropout plan", "consistency kind");
    if (!Number.isFinite(c.weight) || c.weight < 0) {
      throw new RangeError(
        `Cannot use dropout plan: consistency weight must be a finite number >= 0, received ${c.weight}`,
      );
    }
    if (c.branches !== "one" && c.branches !== "both") {
      throw new TypeError(
        `Cannot use dropout plan: consistency branches must be "one" or "both", received "${c.branches}"`,
      );
    }
  }
  return plan;
}

/** A drop resolved for one layer: the spec with a single numeric rate. */
export interface ResolvedDrop extends DropSpec {
  /** The rate at this layer. */
  readonly rate: number;
}

/**
 * The drop active at `position` in layer `layer` of `numLayers`, or undefined when none is
 * (no spec, layer outside the spec's range, or rate 0). Layer-free positions (`embedding`,
 * `classifier`) use layer 0.
 *
 * @param plan The plan.
 * @param position The position asked about.
 * @param layer The 0-based layer index.
 * @param numLayers How many layers the model has (to check per-layer rate arrays).
 * @returns The resolved drop or undefined.
 * @example
 * ```ts
 * import { dropAt } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * const plan = { drops: [{ position: "hidden", pattern: "element", rate: 0.1, layers: { start: 1, end: 2 } }] } as const;
 * assertEquals(dropAt(plan, "hidden", 0, 2), undefined);
 * assertEquals(dropAt(plan, "hidden", 1, 2)?.rate, 0.1);
 * ```
 */
export function dropAt(
  plan: DropoutPlan,
  position: DropPosition,
  layer: number,
  numLayers: number,
): ResolvedDrop | undefined {
  const spec = plan.drops.find((d) => d.position === position);
  if (spec === undefined) return undefined;
  if (spec.layers !== undefined && (layer < spec.layers.start || layer >= spec.layers.end)) {
    return undefined;
  }
  let rate: number;
  if (typeof spec.rate === "number") {
    rate = spec.rate;
  } else {
    if (spec.rate.length !== numLayers) {
      throw new RangeError(
        `Cannot resolve drop at "${position}": per-layer rates must have one entry per layer (${numLayers}), received ${spec.rate.length}`,
      );
    }
    rate = spec.rate[layer]!;
  }
  if (rate === 0) return undefined;
  return { ...spec, rate };
}
