/**
 * Does the no-dropout baseline overfit on a task? The paper's premise (§5, Fig. 5-6) is that LoRA
 * overfits; a dropout method can only show its benefit where it does. loradrop decides it from
 * long, frequently evaluated baseline runs by a stated rule, applied to the mean curves over seeds:
 *
 * 1. at least {@linkcode REGIME_THRESHOLDS.minEvaluations} evaluations;
 * 2. the dev loss at the last evaluation is ≥ {@linkcode REGIME_THRESHOLDS.devLossRise} × its minimum;
 * 3. the train loss keeps falling: its mean over the last evaluation window is below its mean over
 *    the window that ends at the dev-loss minimum;
 * 4. the best dev metric is reached by {@linkcode REGIME_THRESHOLDS.bestStepFraction} of the training steps.
 *
 * A task overfits when all four hold. Where it does not, the claims about dropout's benefit are
 * not testable on that task, and {@linkcode RegimeResult.reason} says which condition failed.
 *
 * @module
 */
import { mean } from "./stats.ts";
import type { StoredRun } from "../run/store.ts";

/** The thresholds of the regime rule. */
export const REGIME_THRESHOLDS = {
  /** Evaluations needed to see a minimum and a rise. */
  minEvaluations: 3,
  /** Last dev loss / minimum dev loss at or above which the dev loss has risen. */
  devLossRise: 1.2,
  /** The best dev metric must come at or before this fraction of the training steps. */
  bestStepFraction: 0.7,
} as const;

/** The rule as one sentence (stored with every result). */
export const REGIME_RULE_TEXT: string =
  `overfits when, on the baseline's mean curves over seeds (≥ ${REGIME_THRESHOLDS.minEvaluations} evaluations), ` +
  `the last dev loss ≥ ${REGIME_THRESHOLDS.devLossRise} × its minimum, the train loss over the last ` +
  `evaluation window is below its value at the dev-loss minimum, and the best dev metric comes ` +
  `at or before ${100 * REGIME_THRESHOLDS.bestStepFraction}% of the training steps`;

/** Mean curves of the baseline over seeds, at each evaluation step. */
export interface RegimeCurve {
  /** Evaluation steps (common to every run). */
  readonly steps: readonly number[];
  /** Mean dev loss. */
  readonly devLoss: readonly number[];
  /** Mean dev main metric × 100. */
  readonly devMetric: readonly number[];
  /** Mean train (task) loss over the steps since the previous evaluation. */
  readonly trainLoss: readonly number[];
}

/** The regime of one task. */
export interface RegimeResult {
  /** The task. */
  readonly task: string;
  /** Whether the rule says the baseline overfits. */
  readonly overfits: boolean;
  /** The rule applied ({@linkcode REGIME_RULE_TEXT}). */
  readonly rule: string;
  /** Which condition decided it, in words with the numbers. */
  readonly reason: string;
  /** Minimum of the mean dev loss (null without evaluations). */
  readonly devLossMin: number | null;
  /** Step of that minimum. */
  readonly devLossMinStep: number | null;
  /** Mean dev loss at the last evaluation. */
  readonly devLossLast: number | null;
  /** Step of the best mean dev metric. */
  readonly bestStep: number | null;
  /** Training steps of the runs. */
  readonly steps: number;
  /** Seeds averaged. */
  readonly seeds: readonly number[];
  /** The mean curves the rule was applied to. */
  readonly curve: RegimeCurve;
}

/**
 * Mean curves over runs of one task: the evaluation steps every run has, the mean dev loss and
 * metric there, and the mean train loss of each evaluation window.
 *
 * @param runs Baseline runs of one task (several seeds).
 * @returns The curves (empty without evaluations).
 * @example
 * ```ts
 * import { regimeCurve } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const run = {
 *   spec: { seed: 0 },
 *   record: {
 *     best: { metric: "accuracy" },
 *     evaluations: [{ step: 2, loss: 0.7, metrics: { accuracy: 0.5 } }, { step: 4, loss: 0.6, metrics: { accuracy: 0.75 } }],
 *     curves: { taskLoss: [1, 0.8, 0.6, 0.4] },
 *   },
 * };
 * assertEquals(regimeCurve([run as never]), { steps: [2, 4], devLoss: [0.7, 0.6], devMetric: [50, 75], trainLoss: [0.9, 0.5] });
 * ```
 */
export function regimeCurve(runs: readonly StoredRun[]): RegimeCurve {
  if (runs.length === 0) return { steps: [], devLoss: [], devMetric: [], trainLoss: [] };
  const stepSets = runs.map((r) => new Set(r.record.evaluations.map((e) => e.step)));
  const steps = [...stepSets[0]!].filter((s) => stepSets.every((set) => set.has(s))).sort((a, b) =>
    a - b
  );
  const devLoss: number[] = [], devMetric: number[] = [], trainLoss: number[] = [];
  steps.forEach((step, i) => {
    const from = i === 0 ? 0 : steps[i - 1]!;
    const losses: number[] = [], metrics: number[] = [], train: number[] = [];
    for (const run of runs) {
      const e = run.record.evaluations.find((x) => x.step === step)!;
      const metric = run.record.best?.metric ?? Object.keys(e.metrics)[0];
      const value = metric === undefined ? undefined : e.metrics[metric];
      if (Number.isFinite(e.loss)) losses.push(e.loss);
      if (value !== undefined && Number.isFinite(value)) metrics.push(value * 100);
      const window = run.record.curves.taskLoss.slice(from, step).filter(Number.isFinite);
      if (window.length > 0) train.push(mean(window));
    }
    devLoss.push(losses.length ? mean(losses) : NaN);
    devMetric.push(metrics.length ? mean(metrics) : NaN);
    trainLoss.push(train.length ? mean(train) : NaN);
  });
  return { steps, devLoss, devMetric, trainLoss };
}

function argBest(values: readonly number[], better: (a: number, b: number) => boolean): number {
  let best = -1;
  values.forEach((v, i) => {
    if (Number.isFinite(v) && (best < 0 || better(v, values[best]!))) best = i;
  });
  return best;
}

const fmt = (x: number) => x.toFixed(3);

/**
 * Applies the regime rule to the baseline runs of one task.
 *
 * @param task The task.
 * @param runs Its long baseline runs (one per seed; same steps and evaluation schedule).
 * @returns The regime, with the numbers and the reason.
 * @example
 * ```ts
 * import { taskRegime } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(taskRegime("t", []).overfits, false);
 * ```
 */
export function taskRegime(task: string, runs: readonly StoredRun[]): RegimeResult {
  const curve = regimeCurve(runs);
  const steps = runs.reduce((m, r) => Math.max(m, r.record.steps), 0);
  const seeds = [...new Set(runs.map((r) => r.spec.seed))].sort((a, b) => a - b);
  // Key order is the order of regime.json: the verdict first, the curves last.
  const result = (fields: Omit<RegimeResult, "task" | "rule" | "steps" | "seeds" | "curve">) => ({
    task,
    overfits: fields.overfits,
    rule: REGIME_RULE_TEXT,
    devLossMin: fields.devLossMin,
    devLossLast: fields.devLossLast,
    bestStep: fields.bestStep,
    steps,
    devLossMinStep: fields.devLossMinStep,
    seeds,
    reason: fields.reason,
    curve,
  });
  const iMin = argBest(curve.devLoss, (a, b) => a < b);
  const iBest = argBest(curve.devMetric, (a, b) => a > b);
  const last = curve.steps.length - 1;
  if (runs.length === 0 || iMin < 0 || iBest < 0 || !Number.isFinite(curve.devLoss[last]!)) {
    return result({
      overfits: false,
      reason: runs.length === 0
        ? "no long baseline run of this task"
        : "the runs have no finite dev loss and metric at shared evaluation steps",
      devLossMin: null,
      devLossMinStep: null,
      devLossLast: null,
      bestStep: null,
    });
  }
  const devLossMin = curve.devLoss[iMin]!, devLossLast = curve.devLoss[last]!;
  const bestStep = curve.steps[iBest]!;
  const numbers = {
    devLossMin,
    devLossMinStep: curve.steps[iMin]!,
    devLossLast,
    bestStep,
  };
  const failed: string[] = [];
  if (curve.steps.length < REGIME_THRESHOLDS.minEvaluations) {
    failed.push(
      `only ${curve.steps.length} evaluation(s), fewer than ${REGIME_THRESHOLDS.minEvaluations}`,
    );
  }
  const rise = devLossLast / devLossMin;
  if (!(rise >= REGIME_THRESHOLDS.devLossRise)) {
    failed.push(
      `the last dev loss is ${fmt(rise)} × its minimum (${fmt(devLossLast)} vs ${
        fmt(devLossMin)
      }), below ${REGIME_THRESHOLDS.devLossRise}`,
    );
  }
  const trainAtMin = curve.trainLoss[iMin]!, trainLast = curve.trainLoss[last]!;
  if (!(trainLast < trainAtMin)) {
    failed.push(
      `the train loss did not keep falling (${fmt(trainLast)} at the end vs ${
        fmt(trainAtMin)
      } at the dev-loss minimum)`,
    );
  }
  if (!(bestStep <= REGIME_THRESHOLDS.bestStepFraction * steps)) {
    failed.push(
      `the best dev metric comes at step ${bestStep} of ${steps}, after ${
        100 * REGIME_THRESHOLDS.bestStepFraction
      }% of training (still improving: under-fitted)`,
    );
  }
  return result({
    ...numbers,
    overfits: failed.length === 0,
    reason: failed.length === 0
      ? `dev loss ${fmt(devLossMin)} at step ${numbers.devLossMinStep} rises to ${
        fmt(devLossLast)
      } (${fmt(rise)} ×) while the train loss falls ${fmt(trainAtMin)} → ${
        fmt(trainLast)
      }; best dev metric at step ${bestStep} of ${steps}`
      : failed.join("; "),
  });
}

/**
 * The regime of every task: the rule applied to each task's baseline runs.
 *
 * @param runs Long baseline runs (any tasks; grouped by task).
 * @param tasks Tasks to report, in order (a task without runs gets `overfits: false` and says so).
 * @returns One result per task.
 * @example
 * ```ts
 * import { regimeByTask } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(regimeByTask([], ["a", "b"]).map((r) => r.reason), [
 *   "no long baseline run of this task",
 *   "no long baseline run of this task",
 * ]);
 * ```
 */
export function regimeByTask(
  runs: readonly StoredRun[],
  tasks: readonly string[],
): RegimeResult[] {
  return tasks.map((task) => taskRegime(task, runs.filter((r) => r.spec.task === task)));
}
