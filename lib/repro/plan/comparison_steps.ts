/**
 * How long the method comparisons of a preset train on a task, decided from the task's long
 * baseline runs (the `regime` experiment) by a stated rule rather than by trying lengths until a
 * method wins: a regulariser can only show a benefit where the baseline overfits, so the
 * comparison must end inside the stretch where the baseline's dev loss has risen.
 *
 * The rule, on the baseline's mean dev-loss curve over seeds: the first evaluation step S at
 * which the dev loss is at least {@linkcode COMPARISON_STEPS_RULE.devLossRise} × its minimum so
 * far and that minimum came at or before {@linkcode COMPARISON_STEPS_RULE.minimumByFraction} × S
 * (so the run trains at least twice as long as the baseline needs to reach its best dev loss),
 * rounded up to a multiple of {@linkcode COMPARISON_STEPS_RULE.roundTo}.
 *
 * @module
 */

/** The thresholds of the rule. */
export const COMPARISON_STEPS_RULE = {
  /** Dev loss at S over its minimum so far. */
  devLossRise: 1.2,
  /** The minimum must come at or before this fraction of S. */
  minimumByFraction: 0.5,
  /** S is rounded up to a multiple of this. */
  roundTo: 50,
} as const;

/** The rule in one sentence (printed with the steps it gives). */
export const COMPARISON_STEPS_RULE_TEXT =
  `the first evaluation step S at which the baseline's mean dev loss is ≥ ${COMPARISON_STEPS_RULE.devLossRise} × ` +
  `its minimum so far and that minimum came at or before ${COMPARISON_STEPS_RULE.minimumByFraction} × S, ` +
  `rounded up to a multiple of ${COMPARISON_STEPS_RULE.roundTo}`;

/** A mean dev-loss curve: evaluation steps and the dev loss at each. */
export interface DevLossCurve {
  /** Evaluation steps, ascending. */
  readonly steps: readonly number[];
  /** Mean dev loss at each step. */
  readonly devLoss: readonly number[];
}

/**
 * Applies the rule to a curve.
 *
 * @param curve Evaluation steps and mean dev losses (same length, steps ascending).
 * @returns The comparison's steps, or undefined when the curve never meets the rule (the task
 *   does not overfit within the curve's steps).
 * @example
 * ```ts
 * import { comparisonSteps } from "./comparison_steps.ts";
 * import { assertEquals } from "@std/assert";
 * // Minimum 0.47 at step 75; 0.59 ≥ 1.2 × 0.47 at step 100, but 75 > 50; at 150 both hold.
 * const curve = { steps: [25, 50, 75, 100, 125, 150], devLoss: [0.86, 0.51, 0.47, 0.59, 0.62, 0.67] };
 * assertEquals(comparisonSteps(curve), 150);
 * assertEquals(comparisonSteps({ steps: [25, 50], devLoss: [0.9, 0.8] }), undefined);
 * ```
 */
export function comparisonSteps(curve: DevLossCurve): number | undefined {
  if (curve.steps.length !== curve.devLoss.length) {
    throw new RangeError(
      `Cannot apply the comparison-steps rule: ${curve.steps.length} steps but ${curve.devLoss.length} dev losses`,
    );
  }
  let min = Infinity, minStep = 0;
  for (let i = 0; i < curve.steps.length; i++) {
    const step = curve.steps[i]!, loss = curve.devLoss[i]!;
    if (!Number.isFinite(loss)) continue;
    if (loss < min) {
      min = loss;
      minStep = step;
      continue;
    }
    const { devLossRise, minimumByFraction, roundTo } = COMPARISON_STEPS_RULE;
    if (loss >= devLossRise * min && minStep <= minimumByFraction * step) {
      return Math.ceil(step / roundTo) * roundTo;
    }
  }
  return undefined;
}
