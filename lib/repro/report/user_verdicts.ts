/**
 * The answer to "does this method help on my task?": for every method, the paired difference to
 * the baseline over seeds with its 95% confidence interval (paired t), and a verdict that is
 * `better` or `worse` only when the interval excludes 0 — otherwise `inconclusive`, with the
 * smallest difference the seeds could have detected. Also the regime check: is the baseline
 * overfitting the task at all (a regulariser can only help then)?
 *
 * @module
 */
import type { RunRecord } from "../../train/run_record.ts";
import { pairedInterval } from "./paired.ts";
import { type RegimeResult, taskRegime } from "./regime.ts";
import type { StoredRun } from "../run/store.ts";

/** A method's verdict. */
export type MethodOutcome = "better" | "worse" | "inconclusive" | "not enough pairs";

/** One score's paired difference to the baseline. */
export interface PairedDifference {
  /** Pairs (seeds run by both). */
  readonly n: number;
  /** Mean of method − baseline, in points (metric × 100). */
  readonly meanDifference: number;
  /** The 95% confidence interval of the mean difference (null with fewer than 2 pairs). */
  readonly ci95: readonly [number, number] | null;
  /** better / worse when the interval excludes 0, else inconclusive. */
  readonly outcome: MethodOutcome;
  /** The smallest true difference these pairs detect with power 0.8 (two-sided, 5%). */
  readonly minimumDetectable: number | null;
}

/** A method against the baseline on one task. */
export interface MethodVerdict {
  /** The method. */
  readonly method: string;
  /** The metric compared (the task's main one). */
  readonly metric: string;
  /** Best dev score over training (the paper's protocol: early stopping on dev). */
  readonly best: PairedDifference;
  /** The score at the end of training (no early stopping). */
  readonly final: PairedDifference;
  /** The seeds paired. */
  readonly seeds: readonly number[];
  /** The answer in one sentence. */
  readonly sentence: string;
}

/** One method's scores by seed (metric × 100), best and final. */
export interface SeedScores {
  /** The main metric's name. */
  readonly metric: string;
  /** Best dev score by seed. */
  readonly best: ReadonlyMap<number, number>;
  /** Final dev score by seed. */
  readonly final: ReadonlyMap<number, number>;
}

/**
 * The scores of runs by seed: best and final value of the main metric, × 100.
 *
 * @param runs Runs of one method (one per seed), with their seeds.
 * @returns The scores (runs without an evaluation are left out).
 * @example
 * ```ts
 * import { seedScores } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const record = { best: { metric: "accuracy", value: 0.8, step: 2 }, final: { metric: "accuracy", value: 0.75, step: 4 } };
 * const scores = seedScores([{ seed: 3, record: record as never }]);
 * assertEquals([scores.metric, scores.best.get(3), scores.final.get(3)], ["accuracy", 80, 75]);
 * ```
 */
export function seedScores(
  runs: readonly { readonly seed: number; readonly record: RunRecord }[],
): SeedScores {
  const best = new Map<number, number>(), final = new Map<number, number>();
  let metric = "";
  for (const { seed, record } of runs) {
    if (record.best === undefined || record.final === undefined) continue;
    metric = record.best.metric;
    best.set(seed, record.best.value * 100);
    final.set(seed, record.final.value * 100);
  }
  return { metric, best, final };
}

/**
 * The paired difference `method − baseline` over the seeds both have.
 *
 * @param method Scores by seed.
 * @param baseline Scores by seed.
 * @returns The difference, its 95% CI and the outcome.
 * @example
 * ```ts
 * import { pairedDifference } from "@loradrop/core/repro";
 * import { assert, assertEquals } from "@std/assert";
 * const base = new Map([[0, 80], [1, 70], [2, 75], [3, 90]]);
 * const d = pairedDifference(new Map([[0, 90], [1, 80], [2, 80], [3, 95]]), base);
 * assertEquals(d.outcome, "better");
 * assert(d.ci95![0] > 0);
 * assertEquals(pairedDifference(new Map([[0, 81], [1, 69], [2, 75], [3, 90]]), base).outcome, "inconclusive");
 * ```
 */
export function pairedDifference(
  method: ReadonlyMap<number, number>,
  baseline: ReadonlyMap<number, number>,
): PairedDifference {
  const seeds = [...method.keys()].filter((s) => baseline.has(s)).sort((a, b) => a - b);
  const diffs = seeds.map((s) => method.get(s)! - baseline.get(s)!);
  const n = diffs.length;
  if (n < 2) {
    return {
      n,
      meanDifference: n === 1 ? diffs[0]! : 0,
      ci95: null,
      outcome: "not enough pairs",
      minimumDetectable: null,
    };
  }
  // The paired t interval d ± t(0.975, n − 1) · s_d / √n, as the paper grid's verdicts use it.
  const interval = pairedInterval(diffs);
  const ci95: [number, number] = [interval.ci[0], interval.ci[1]];
  const outcome: MethodOutcome = ci95[0] > 0 ? "better" : ci95[1] < 0 ? "worse" : "inconclusive";
  return {
    n,
    meanDifference: interval.mean,
    ci95,
    outcome,
    minimumDetectable: interval.detectable80,
  };
}

const signed = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(2)}`;

/**
 * A method against the baseline: paired differences of the best and the final dev score, and
 * the answer in one sentence (decided on the best score, the paper's protocol).
 *
 * @param method The method's name.
 * @param scores The method's scores.
 * @param baseline The baseline's scores.
 * @returns The verdict.
 * @example
 * ```ts
 * import { methodVerdict } from "@loradrop/core/repro";
 * import { assertStringIncludes } from "@std/assert";
 * const base = { metric: "accuracy", best: new Map([[0, 80], [1, 70]]), final: new Map([[0, 80], [1, 70]]) };
 * const same = methodVerdict("hiddenKey", base, base);
 * assertStringIncludes(same.sentence, "hiddenKey: +0.00 points of accuracy");
 * assertStringIncludes(same.sentence, "the same score as the baseline on every seed");
 * ```
 */
export function methodVerdict(
  method: string,
  scores: SeedScores,
  baseline: SeedScores,
): MethodVerdict {
  const best = pairedDifference(scores.best, baseline.best);
  const final = pairedDifference(scores.final, baseline.final);
  const seeds = [...scores.best.keys()].filter((s) => baseline.best.has(s)).sort((a, b) => a - b);
  const metric = baseline.metric || scores.metric;
  const head = `${method}: ${signed(best.meanDifference)} points of ${metric} against the baseline`;
  let sentence: string;
  if (best.ci95 === null) {
    sentence = `${head} from ${best.n} paired seed(s) — not enough pairs for an interval.`;
  } else {
    const ci = `95% CI ${signed(best.ci95[0])} to ${signed(best.ci95[1])}, ${best.n} seeds`;
    sentence = best.outcome !== "inconclusive"
      ? `${head} (${ci}): ${best.outcome}.`
      : best.minimumDetectable === 0
      ? `${head} (${best.n} seeds): inconclusive — the same score as the baseline on every seed, so there is no difference to measure (short runs or coarse evaluations can leave two methods tied).`
      : `${head} (${ci}): inconclusive — the interval includes 0; these seeds detect differences of about ${
        best.minimumDetectable!.toFixed(1)
      } points or more.`;
  }
  return { method, metric, best, final, seeds, sentence };
}

/** The regime check's result: the paper grid's rule (`lib/repro/report/regime.ts`) on the long run. */
export interface RegimeVerdict extends RegimeResult {
  /** The answer in one sentence. */
  readonly sentence: string;
}

/**
 * Applies the regime rule of the paper's grids ({@linkcode taskRegime}) to the task's long
 * baseline run(s), and says what it means for the comparison in one sentence.
 *
 * @param task The task's name.
 * @param runs The regime experiment's stored runs (none when they have not finished).
 * @returns The rule's result and the sentence.
 * @example
 * ```ts
 * import { regimeVerdict } from "@loradrop/core/repro";
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 * const evaluations = [1, 2, 3, 4].map((step, i) => ({ step, epoch: 0, loss: [0.5, 0.4, 0.5, 0.6][i]!, metrics: { accuracy: [0.7, 0.8, 0.78, 0.76][i]! } }));
 * const record = { steps: 4, evaluations, best: { metric: "accuracy", value: 0.8, step: 2 }, curves: { taskLoss: [0.9, 0.6, 0.4, 0.3] } };
 * assertEquals(regimeVerdict("mine", [{ spec: { seed: 0 }, record } as never]).overfits, true);
 * assertStringIncludes(regimeVerdict("mine", []).sentence, "not checked");
 * ```
 */
export function regimeVerdict(task: string, runs: readonly StoredRun[]): RegimeVerdict {
  const result = taskRegime(task, runs);
  const sentence = runs.length === 0
    ? "Regime: not checked (the long baseline run has not finished)."
    : result.overfits
    ? `Regime: the baseline overfits this task (${result.reason}), so a regulariser has room to help.`
    : `Regime: no sign by the rule that the baseline overfits (${result.reason}); a regulariser may have little to fix, and its verdicts above say so.`;
  return { ...result, sentence };
}
