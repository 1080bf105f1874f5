/**
 * Named dropout plans: the methods the paper compares (Table 1 and §4.3) as
 * {@linkcode DropoutPlan}s.
 *
 * | name | drops | consistency |
 * |---|---|---|
 * | `baseline` | none | none |
 * | `dropKey-{element,column,span}` | attention logits | none |
 * | `dropAttention-{element,column,span}` | attention weights, NoGrad normaliser | none |
 * | `hiddenCut-{element,column-feature,column-token,span}` | FFN output (`hidden`) | none |
 * | `hiddenKey-minus` | column DropKey + element HiddenCut | none |
 * | `hiddenKey` | as `hiddenKey-minus` | KL, one branch |
 * | `hiddenKey-both` | as `hiddenKey-minus` | KL, both branches |
 * | `hiddenKey-minus+js` | as `hiddenKey-minus` | KL(P1 ‖ P_inference) (Eq. 12) |
 * | `hiddenKey-minus+input` | + Cutoff on the embeddings | none |
 * | `hiddenKey-minus+output` | + element dropout on the classifier input | none |
 *
 * Choices the paper leaves open, made here:
 * - `hiddenCut-span` draws its start among the 40% most-attended tokens, as the original HiddenCut
 *   does (the model must pass `attentionReceived`); `spanStart: "uniform"` overrides.
 * - `hiddenKey-minus+input`: the paper does not say which Cutoff variant it used (UNCERTAIN). The
 *   default is span cutoff over tokens (one contiguous run of token embeddings zeroed, no
 *   rescaling, as Cutoff zeroes without rescaling); `inputPattern: "column-token"` gives token
 *   cutoff (random whole tokens, also without rescaling).
 * - The KL / JS weight defaults to 1 (the paper tuned it in {0.01, …, 10} and reports no choice).
 * - `layers` restricts the per-layer drops (attention and hidden), never the layer-free
 *   `embedding` and `classifier` drops.
 *
 * @module
 */
import { patternsAt } from "./patterns.ts";
import {
  type DropoutPlan,
  type DropPattern,
  type DropSpec,
  type SpanStart,
  validatePlan,
} from "./spec.ts";

/** The single-position families: `FAMILY-PATTERN` for every pattern the table allows there. */
const PATTERN_FAMILIES = [
  { family: "dropKey", position: "attention-logits" },
  { family: "dropAttention", position: "attention-weights" },
  { family: "hiddenCut", position: "hidden" },
] as const;

/** The HiddenKey family and its ablations, after the single-position families. */
const COMBINED_PRESETS = [
  "hiddenKey-minus",
  "hiddenKey",
  "hiddenKey-minus+js",
  "hiddenKey-minus+input",
  "hiddenKey-minus+output",
  "hiddenKey-both",
] as const;

/**
 * Every preset name now: `baseline`, then `FAMILY-PATTERN` for each single-position family and
 * each pattern of the pattern table at its position (registered patterns included), then the
 * HiddenKey family.
 *
 * @returns The names, in the order of the table above.
 * @example
 * ```ts
 * import { presetNames } from "@loradrop/core";
 * import { assert } from "@std/assert";
 * assert(presetNames().includes("hiddenCut-column-token"));
 * ```
 */
export function presetNames(): string[] {
  return [
    "baseline",
    ...PATTERN_FAMILIES.flatMap(({ family, position }) =>
      patternsAt([position]).map((pattern) => `${family}-${pattern}`)
    ),
    ...COMBINED_PRESETS,
  ];
}

/** Every preset name of the built-in patterns, in the order of the table above. */
export const PRESET_NAMES: readonly string[] = presetNames();

/** Options of {@linkcode presetPlan}. */
export interface PresetOptions {
  /** The drop rate of the method (DropKey's in the HiddenKey family), in [0, 1). */
  readonly rate: number;
  /** The HiddenCut rate in the HiddenKey family; `rate` by default. */
  readonly hiddenRate?: number;
  /** The rate of the "+ input" / "+ output" drops; `rate` by default. */
  readonly extraRate?: number;
  /** The consistency loss weight α; 1 by default. */
  readonly klWeight?: number;
  /** The layers the per-layer drops act in (e.g. {@linkcode latterHalf}); all by default. */
  readonly layers?: { readonly start: number; readonly end: number };
  /** `hiddenCut-span`: how the span start is drawn; `attention-top40` by default. */
  readonly spanStart?: SpanStart;
  /** `hiddenKey-minus+input`: the Cutoff variant, `span` (default) or `column-token`. */
  readonly inputPattern?: "span" | "column-token";
}

/**
 * The latter half of a decoder's layers, `[floor(n/2), n)`: the paper drops only there in
 * GPT-2 and LLaMA2.
 *
 * @param numLayers The number of layers (a positive integer).
 * @returns The half-open layer range.
 * @example
 * ```ts
 * import { latterHalf } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * assertEquals(latterHalf(24), { start: 12, end: 24 });
 * ```
 */
export function latterHalf(numLayers: number): { start: number; end: number } {
  if (!Number.isInteger(numLayers) || numLayers < 1) {
    throw new RangeError(
      `Cannot take the latter half of the layers: numLayers must be a positive integer, received ${numLayers}`,
    );
  }
  return { start: Math.floor(numLayers / 2), end: numLayers };
}

/**
 * Builds the named plan, validated.
 *
 * @param name One of {@linkcode presetNames}.
 * @param options The rates, the consistency weight, the layer range and the open choices.
 * @returns The plan.
 * @example
 * ```ts
 * import { latterHalf, presetPlan } from "@loradrop/core";
 * import { dropAt } from "@loradrop/core";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const plan = presetPlan("hiddenKey", { rate: 0.1, layers: latterHalf(4) });
 * assertEquals(dropAt(plan, "attention-logits", 3, 4)?.pattern, "column");
 * assertEquals(dropAt(plan, "hidden", 0, 4), undefined);
 * assertEquals(plan.consistency?.kind, "kl");
 * assertThrows(() => presetPlan("dropout", { rate: 0.1 }), TypeError, "hiddenKey");
 * ```
 */
export function presetPlan(name: string, options: PresetOptions): DropoutPlan {
  const names = presetNames();
  if (!names.includes(name)) {
    throw new TypeError(
      `Cannot build preset plan: name must be one of ${names.join(", ")}, received "${name}"`,
    );
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot build preset plan "${name}": options must be an object with a rate, received ${options}`,
    );
  }
  const rate = options.rate;
  const layers = options.layers !== undefined ? { layers: options.layers } : {};
  const at = (
    position: DropSpec["position"],
    pattern: DropPattern,
    r: number,
    extra: Partial<DropSpec> = {},
  ): DropSpec => ({ position, pattern, rate: r, ...layers, ...extra });
  const weight = options.klWeight ?? 1;
  const extraRate = options.extraRate ?? rate;
  const minus = [
    at("attention-logits", "column", rate),
    at("hidden", "element", options.hiddenRate ?? rate),
  ];
  let plan: DropoutPlan;
  const [family, variant] = splitName(name);
  switch (family) {
    case "baseline":
      plan = { drops: [] };
      break;
    case "dropKey":
      plan = { drops: [at("attention-logits", variant as DropPattern, rate)] };
      break;
    case "dropAttention":
      plan = {
        drops: [at("attention-weights", variant as DropPattern, rate, { noGrad: true })],
      };
      break;
    case "hiddenCut": {
      const spanStart = options.spanStart ?? "attention-top40";
      plan = {
        drops: [
          at("hidden", variant as DropPattern, rate, variant === "span" ? { spanStart } : {}),
        ],
      };
      break;
    }
    case "hiddenKey-minus":
      plan = { drops: minus };
      break;
    case "hiddenKey":
      plan = { drops: minus, consistency: { kind: "kl", weight, branches: "one" } };
      break;
    case "hiddenKey-both":
      plan = { drops: minus, consistency: { kind: "kl", weight, branches: "both" } };
      break;
    case "hiddenKey-minus+js":
      plan = { drops: minus, consistency: { kind: "js", weight, branches: "one" } };
      break;
    case "hiddenKey-minus+input": {
      const pattern = options.inputPattern ?? "span";
      if (pattern !== "span" && pattern !== "column-token") {
        throw new TypeError(
          `Cannot build preset plan "${name}": inputPattern must be "span" or "column-token", received "${pattern}"`,
        );
      }
      const cutoff: DropSpec = {
        position: "embedding",
        pattern,
        rate: extraRate,
        rescale: "none",
        ...(pattern === "span" ? { spanStart: "uniform" as const } : {}),
      };
      plan = { drops: [...minus, cutoff] };
      break;
    }
    case "hiddenKey-minus+output":
      plan = {
        drops: [...minus, { position: "classifier", pattern: "element", rate: extraRate }],
      };
      break;
    default:
      throw new TypeError(`Cannot build preset plan: unhandled preset "${name}"`);
  }
  return validatePlan(plan);
}

/** `dropKey-column` → [`dropKey`, `column`]; names without a pattern suffix → [name, ""]. */
function splitName(name: string): [string, string] {
  for (const { family } of PATTERN_FAMILIES) {
    if (name.startsWith(`${family}-`)) return [family, name.slice(family.length + 1)];
  }
  return [name, ""];
}
