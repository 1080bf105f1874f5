/**
 * Turns stored runs into the reproduction's tables and curves: every number here is computed
 * from run records, none is written by hand.
 *
 * The score of a run is its best dev value of the task's main metric × 100 (accuracy in %,
 * Pearson × 100), as LoRA papers report the best dev checkpoint. Over seeds the paper reports the
 * median (NLU) ± the standard deviation; so does loradrop.
 *
 * @module
 */
import type { ExperimentSpec, RunSpec } from "../plan/run_spec.ts";
import { mean, median, type PairedComparison, pairedComparison, sampleStd } from "./stats.ts";
import type { StoredRun } from "../run/store.ts";

/** A summary over seeds. */
export interface SeedSummary {
  /** The median. */
  readonly median: number;
  /** The mean. */
  readonly mean: number;
  /** The sample standard deviation. */
  readonly std: number;
  /** Values by seed, ordered by seed. */
  readonly bySeed: ReadonlyMap<number, number>;
}

/**
 * The score of a run: best dev main metric × 100.
 *
 * @param run A stored run.
 * @returns The score, or undefined when the run has no evaluation.
 * @example
 * ```ts
 * import { runScore } from "./analysis.ts";
 * import { assertEquals } from "@std/assert";
 * const run = { record: { best: { metric: "accuracy", value: 0.8125, step: 10 } } };
 * assertEquals(runScore(run as never), 81.25);
 * ```
 */
export function runScore(run: StoredRun): number | undefined {
  const best = run.record.best;
  return best === undefined ? undefined : best.value * 100;
}

/**
 * Summarises the scores of runs over their seeds.
 *
 * @param runs Runs of one configuration (differing only by seed).
 * @returns The summary, or undefined without scored runs.
 * @example
 * ```ts
 * import { summarizeSeeds } from "./analysis.ts";
 * import { assertEquals } from "@std/assert";
 * const mk = (seed: number, v: number) => ({ spec: { seed }, record: { best: { value: v } } });
 * assertEquals(summarizeSeeds([mk(0, 0.5), mk(1, 0.7), mk(2, 0.6)] as never)?.median, 60);
 * ```
 */
export function summarizeSeeds(runs: readonly StoredRun[]): SeedSummary | undefined {
  const bySeed = new Map<number, number>();
  for (const run of [...runs].sort((a, b) => a.spec.seed - b.spec.seed)) {
    const score = runScore(run);
    if (score !== undefined) bySeed.set(run.spec.seed, score);
  }
  const values = [...bySeed.values()];
  if (values.length === 0) return undefined;
  return { median: median(values), mean: mean(values), std: sampleStd(values), bySeed };
}

/**
 * Selects runs whose spec matches every given field.
 *
 * @param runs Stored runs.
 * @param where Spec fields to match.
 * @returns The matching runs.
 * @example
 * ```ts
 * import { selectRuns } from "./analysis.ts";
 * import { assertEquals } from "@std/assert";
 * const runs = [{ spec: { method: "a" } }, { spec: { method: "b" } }] as never[];
 * assertEquals(selectRuns(runs, { method: "b" }).length, 1);
 * ```
 */
export function selectRuns(
  runs: readonly StoredRun[],
  where: Partial<RunSpec>,
): StoredRun[] {
  return runs.filter((r) =>
    Object.entries(where).every(([k, v]) => (r.spec as unknown as Record<string, unknown>)[k] === v)
  );
}

/** One cell of a method × task table: the best rate's summary. */
export interface TableCell {
  /** The rate chosen (the best median over the rate grid, as the paper tunes per task). */
  readonly rate: number;
  /** The summary at that rate. */
  readonly summary: SeedSummary;
}

/** A Table-1-shaped table. */
export interface MethodTable {
  /** Task names (columns). */
  readonly tasks: readonly string[];
  /** Rows in method order. */
  readonly rows: readonly {
    readonly method: string;
    readonly cells: Readonly<Record<string, TableCell | undefined>>;
    /** Mean of the cells' medians over the tasks (undefined unless every task has a cell). */
    readonly avg: number | undefined;
  }[];
}

/**
 * A method × task table of median ± std at each method's best rate per task (rank 8 runs).
 *
 * @param runs All stored runs.
 * @param methods Row order.
 * @param tasks Column order.
 * @returns The table.
 * @example
 * ```ts
 * import { methodTable } from "./analysis.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(methodTable([], ["baseline"], ["sentiment-low"]).rows[0]!.avg, undefined);
 * ```
 */
export function methodTable(
  runs: readonly StoredRun[],
  methods: readonly string[],
  tasks: readonly string[],
): MethodTable {
  const rows = methods.map((method) => {
    const cells: Record<string, TableCell | undefined> = {};
    for (const task of tasks) {
      const mine = selectRuns(runs, { method, task, rank: 8 });
      const rates = [...new Set(mine.map((r) => r.spec.rate))].sort((a, b) => a - b);
      let best: TableCell | undefined;
      for (const rate of rates) {
        const summary = summarizeSeeds(mine.filter((r) => r.spec.rate === rate));
        if (summary && (best === undefined || summary.median > best.summary.median)) {
          best = { rate, summary };
        }
      }
      cells[task] = best;
    }
    const medians = tasks.map((t) => cells[t]?.summary.median);
    const avg = medians.every((m) => m !== undefined) && medians.length > 0
      ? mean(medians as number[])
      : undefined;
    return { method, cells, avg };
  });
  return { tasks, rows };
}

/** A curve: x values and the median score over seeds at each. */
export interface ScoreCurve {
  /** Series name. */
  readonly name: string;
  /** x values (rates or ranks). */
  readonly x: readonly number[];
  /** Median scores. */
  readonly y: readonly number[];
  /** Standard deviations. */
  readonly std: readonly number[];
}

/**
 * Score against dropout rate for one method on one task (Fig. 4).
 *
 * @param runs All stored runs.
 * @param method The method.
 * @param task The task.
 * @returns The curve (empty when no runs).
 * @example
 * ```ts
 * import { rateCurve } from "./analysis.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(rateCurve([], "dropKey-column", "sentiment-low").x.length, 0);
 * ```
 */
export function rateCurve(runs: readonly StoredRun[], method: string, task: string): ScoreCurve {
  return curveOver(selectRuns(runs, { method, task, rank: 8 }), (s) => s.rate, method);
}

/**
 * Score against LoRA rank without dropout (Fig. 5).
 *
 * @param runs All stored runs.
 * @param task The task.
 * @returns The curve.
 * @example
 * ```ts
 * import { rankCurve } from "./analysis.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(rankCurve([], "sentiment-low").y.length, 0);
 * ```
 */
export function rankCurve(runs: readonly StoredRun[], task: string): ScoreCurve {
  return curveOver(selectRuns(runs, { method: "baseline", task }), (s) => s.rank, "baseline");
}

function curveOver(
  runs: readonly StoredRun[],
  key: (spec: RunSpec) => number,
  name: string,
): ScoreCurve {
  const xs = [...new Set(runs.map((r) => key(r.spec)))].sort((a, b) => a - b);
  const x: number[] = [], y: number[] = [], std: number[] = [];
  for (const v of xs) {
    const s = summarizeSeeds(runs.filter((r) => key(r.spec) === v));
    if (!s) continue;
    x.push(v);
    y.push(s.median);
    std.push(s.std);
  }
  return { name, x, y, std };
}

/** Train loss and dev score over steps, averaged over seeds (Fig. 6). */
export interface TrainingCurve {
  /** The method. */
  readonly method: string;
  /** Evaluation steps. */
  readonly steps: readonly number[];
  /** Mean dev score at each evaluation step. */
  readonly devScore: readonly number[];
  /** Mean train loss over the steps since the previous evaluation. */
  readonly trainLoss: readonly number[];
}

/**
 * The overfitting signature: train loss against dev score over steps, mean over seeds.
 *
 * @param runs Runs of one method and task (several seeds).
 * @param method The method's name for the curve.
 * @returns The curve (empty without runs).
 * @example
 * ```ts
 * import { trainingCurve } from "./analysis.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(trainingCurve([], "baseline").steps.length, 0);
 * ```
 */
export function trainingCurve(runs: readonly StoredRun[], method: string): TrainingCurve {
  if (runs.length === 0) return { method, steps: [], devScore: [], trainLoss: [] };
  const steps = runs[0]!.record.evaluations.map((e) => e.step);
  const devScore: number[] = [], trainLoss: number[] = [];
  for (let i = 0; i < steps.length; i++) {
    const scores: number[] = [], losses: number[] = [];
    for (const run of runs) {
      const e = run.record.evaluations[i];
      if (!e || e.step !== steps[i]) continue;
      const metric = run.record.best?.metric ?? Object.keys(e.metrics)[0]!;
      scores.push(e.metrics[metric]! * 100);
      const from = i === 0 ? 0 : steps[i - 1]!;
      const window = run.record.curves.taskLoss.slice(from, steps[i]);
      if (window.length > 0) losses.push(mean(window));
    }
    devScore.push(scores.length ? mean(scores) : NaN);
    trainLoss.push(losses.length ? mean(losses) : NaN);
  }
  return { method, steps, devScore, trainLoss };
}

/** HiddenKey against one alternative, per task and pooled. */
export interface SignificanceRow {
  /** The alternative method. */
  readonly against: string;
  /** Per task: the paired comparison over shared seeds. */
  readonly perTask: Readonly<Record<string, PairedComparison | undefined>>;
  /** Over seeds of the score averaged across tasks (the paper averages over each benchmark). */
  readonly pooled: PairedComparison | undefined;
}

/**
 * Paired tests of `method` against each alternative at each method's chosen rate.
 *
 * @param runs All stored runs.
 * @param method The method tested (HiddenKey).
 * @param against The alternatives.
 * @param tasks The tasks.
 * @returns One row per alternative.
 * @example
 * ```ts
 * import { significanceTable } from "./analysis.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(significanceTable([], "hiddenKey", ["baseline"], ["t"])[0]!.pooled, undefined);
 * ```
 */
export function significanceTable(
  runs: readonly StoredRun[],
  method: string,
  against: readonly string[],
  tasks: readonly string[],
): SignificanceRow[] {
  const table = methodTable(runs, [method, ...against], tasks);
  const row = (m: string) => table.rows.find((r) => r.method === m)!;
  const mine = row(method);
  return against.map((other) => {
    const theirs = row(other);
    const perTask: Record<string, PairedComparison | undefined> = {};
    const pooledA = new Map<number, number[]>(), pooledB = new Map<number, number[]>();
    for (const task of tasks) {
      const a = mine.cells[task]?.summary.bySeed, b = theirs.cells[task]?.summary.bySeed;
      if (!a || !b) continue;
      const seeds = [...a.keys()].filter((s) => b.has(s));
      for (const s of seeds) {
        pooledA.set(s, [...(pooledA.get(s) ?? []), a.get(s)!]);
        pooledB.set(s, [...(pooledB.get(s) ?? []), b.get(s)!]);
      }
      perTask[task] = seeds.length >= 2
        ? pairedComparison(seeds.map((s) => a.get(s)!), seeds.map((s) => b.get(s)!))
        : undefined;
    }
    const seeds = [...pooledA.keys()].filter((s) => pooledA.get(s)!.length === tasks.length);
    const pooled = seeds.length >= 2
      ? pairedComparison(
        seeds.map((s) => mean(pooledA.get(s)!)),
        seeds.map((s) => mean(pooledB.get(s)!)),
      )
      : undefined;
    return { against: other, perTask, pooled };
  });
}

/** The cost of one method, from its runs' records. */
export interface CostRow {
  /** The method. */
  readonly method: string;
  /** Median milliseconds per optimiser step. */
  readonly msPerStep: number;
  /** Median tokens per second. */
  readonly tokensPerSecond: number;
  /** Largest peak tensor memory in MB. */
  readonly peakMB: number;
  /** Step time relative to the baseline's (undefined without baseline runs). */
  readonly relativeToBaseline: number | undefined;
  /** How many runs were measured. */
  readonly runs: number;
}

/**
 * Cost per method (the table the paper lacks). Uses every run of each method with the same
 * batch size and length as the baseline, so the figures compare like with like.
 *
 * @param runs All stored runs.
 * @param methods Row order.
 * @returns The rows (methods without runs are left out).
 * @example
 * ```ts
 * import { costTable } from "./analysis.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(costTable([], ["baseline"]).length, 0);
 * ```
 */
export function costTable(runs: readonly StoredRun[], methods: readonly string[]): CostRow[] {
  const rows: CostRow[] = [];
  let baselineMs: number | undefined;
  for (const method of methods) {
    const mine = runs.filter((r) =>
      r.spec.method === method && r.spec.rank === 8 && r.record.stepsPerSecond > 0
    );
    if (mine.length === 0) continue;
    const msPerStep = median(mine.map((r) => 1000 / r.record.stepsPerSecond));
    if (method === "baseline") baselineMs = msPerStep;
    rows.push({
      method,
      msPerStep,
      tokensPerSecond: median(mine.map((r) => r.record.tokensPerSecond)),
      peakMB: mine.reduce((m, r) => Math.max(m, r.record.peakMemory.numBytes), -Infinity) / 2 ** 20,
      relativeToBaseline: undefined,
      runs: mine.length,
    });
  }
  return rows.map((r) => ({
    ...r,
    relativeToBaseline: baselineMs === undefined ? undefined : r.msPerStep / baselineMs,
  }));
}

/**
 * A run spec as canonical text (keys sorted), so that specs built in different orders compare equal.
 *
 * @param spec A run spec.
 * @returns Its canonical JSON.
 * @example
 * ```ts
 * import { specKey } from "./analysis.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(specKey({ b: 1, a: 2 } as never), specKey({ a: 2, b: 1 } as never));
 * ```
 */
export function specKey(spec: RunSpec): string {
  const record = spec as unknown as Record<string, unknown>;
  return JSON.stringify(Object.keys(record).sort().map((k) => [k, record[k]]));
}

/**
 * The stored runs that belong to some experiments: runs whose spec is one of theirs.
 *
 * @param runs Stored runs.
 * @param experiments The preset's experiments.
 * @param include Which experiment ids to take (e.g. every one but `regime`).
 * @returns The matching runs, in input order.
 * @example
 * ```ts
 * import { runsOfExperiments } from "./analysis.ts";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const experiments = reproExperiments("smoke");
 * const spec = experiments.find((e) => e.id === "framework")!.runs[0]!;
 * const runs = [{ spec }, { spec: { ...spec, steps: 1 } }] as never[];
 * assertEquals(runsOfExperiments(runs, experiments, (id) => id === "framework").length, 1);
 * ```
 */
export function runsOfExperiments(
  runs: readonly StoredRun[],
  experiments: readonly ExperimentSpec[],
  include: (id: string) => boolean,
): StoredRun[] {
  const keys = new Set(
    experiments.filter((e) => include(e.id)).flatMap((e) => e.runs.map(specKey)),
  );
  return runs.filter((r) => keys.has(specKey(r.spec)));
}
