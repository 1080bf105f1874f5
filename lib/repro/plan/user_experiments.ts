/**
 * The comparison on a user's own task (`deno task repro --train FILE --dev FILE`): a regime
 * check (one long baseline run with frequent evaluation: is the model overfitting this task at
 * all?) and every method against the baseline over paired seeds. The runs are ordinary
 * {@linkcode RunSpec}s, hashed, cached, sharded and run in parallel like the paper's grids.
 *
 * @module
 */
import type { ExperimentSpec, RunSpec } from "./run_spec.ts";
import { hasConsistency } from "./method_fields.ts";

/** The methods compared by default: the baseline, the two halves of HiddenKey and HiddenKey. */
export const USER_TASK_METHODS: readonly string[] = [
  "baseline",
  "dropKey-column",
  "hiddenCut-element",
  "hiddenKey-minus",
  "hiddenKey",
];

/** The size of a user-task comparison. */
export type UserTaskPreset = "smoke" | "quick" | "full";

/** Every user-task preset, smallest first. */
export const USER_TASK_PRESETS: readonly UserTaskPreset[] = ["smoke", "quick", "full"];

/** Steps, evaluation period and seeds of a preset (flags may override each). */
export const USER_TASK_SCALES: Readonly<
  Record<
    UserTaskPreset,
    { readonly steps: number; readonly evalEvery: number; readonly seeds: number }
  >
> = {
  smoke: { steps: 12, evalEvery: 6, seeds: 2 },
  quick: { steps: 100, evalEvery: 25, seeds: 3 },
  full: { steps: 300, evalEvery: 25, seeds: 5 },
};

/** How many times longer than the comparison's runs the regime check's baseline trains. */
export const REGIME_LENGTH_FACTOR = 3;

/** Evaluations of the regime check's run (its dev curve's resolution). */
export const REGIME_EVALUATIONS = 12;

/** What {@linkcode userTaskExperiments} needs. */
export interface UserTaskPlanOptions {
  /** The run of one method and seed; its `method`, `rate`, `klWeight` and `seed` are replaced. */
  readonly template: RunSpec;
  /** The drop rate of every method but the baseline. */
  readonly rate: number;
  /** The consistency weight of methods with a consistency term. */
  readonly klWeight: number;
  /** HiddenCut's rate in the HiddenKey family, when it differs from `rate`. */
  readonly hiddenRate?: number;
  /** The methods; the baseline is added when missing (everything is compared with it). */
  readonly methods: readonly string[];
  /** The seeds (pairs: every method runs every seed). */
  readonly seeds: readonly number[];
}

/**
 * The experiments of a user-task comparison: `regime` (one baseline run
 * {@linkcode REGIME_LENGTH_FACTOR} times as long, evaluated {@linkcode REGIME_EVALUATIONS} times)
 * and `comparison` (every method × every seed).
 *
 * @param options The template run, methods, seeds and rates.
 * @returns The two experiments.
 * @example
 * ```ts
 * import { userTaskExperiments } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const template = reproExperiments("smoke")[0]!.runs[0]!;
 * const [regime, comparison] = userTaskExperiments({
 *   template, rate: 0.1, klWeight: 1, methods: ["hiddenKey"], seeds: [0, 1],
 * });
 * assertEquals(regime!.runs[0]!.steps, 3 * template.steps);
 * assertEquals(comparison!.runs.map((r) => `${r.method}/${r.seed}`), ["baseline/0", "baseline/1", "hiddenKey/0", "hiddenKey/1"]);
 * ```
 */
export function userTaskExperiments(options: UserTaskPlanOptions): ExperimentSpec[] {
  const { template, seeds } = options;
  if (seeds.length === 0) {
    throw new RangeError("Cannot plan the comparison: expected at least one seed, received none");
  }
  if (template.steps === 0) {
    throw new RangeError(
      "Cannot plan the comparison: the runs must be sized in steps (the regime check runs a multiple of them), received epochs",
    );
  }
  const methods = options.methods.includes("baseline")
    ? options.methods
    : ["baseline", ...options.methods];
  const runOf = (method: string, seed: number): RunSpec => {
    const { hiddenRate: _h, ...rest } = template;
    const hidden = method.startsWith("hiddenKey") && options.hiddenRate !== undefined &&
        options.hiddenRate !== options.rate
      ? { hiddenRate: options.hiddenRate }
      : {};
    return {
      ...rest,
      method,
      rate: method === "baseline" ? 0 : options.rate,
      klWeight: hasConsistency(method) ? options.klWeight : 0,
      seed,
      ...hidden,
    };
  };
  const regimeSteps = template.steps * REGIME_LENGTH_FACTOR;
  const regime: RunSpec = {
    ...runOf("baseline", seeds[0]!),
    steps: regimeSteps,
    evalEvery: Math.max(1, Math.round(regimeSteps / REGIME_EVALUATIONS)),
  };
  return [
    {
      id: "regime",
      title: "Is the baseline overfitting this task? (one long run)",
      claims: [],
      runs: [regime],
    },
    {
      id: "comparison",
      title: "Each method against the baseline, paired over seeds",
      claims: [],
      runs: methods.flatMap((m) => seeds.map((seed) => runOf(m, seed))),
    },
  ];
}
