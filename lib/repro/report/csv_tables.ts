/**
 * The reproduction's tables as CSV files people can load (pandas, R, a spreadsheet): numeric
 * columns hold plain numbers at full precision (empty when missing), never formatted text, and
 * the file names are short and stable.
 *
 * - `runs.csv`: one row per stored run — its spec, backend, best and final dev metric, cost;
 * - `tables/scores.csv`: per method, task, rate and rank over seeds — `n`, `mean`, `sd`, `median`
 *   of the best and the final score (points);
 * - `tables/comparisons.csv`: every paired comparison of every claim — `n`, `mean`, `sd`,
 *   `ci_low`, `ci_high`, `p`, `p_holm`, `detectable80`, and the final score's difference;
 * - `tables/verdicts.csv`: one row per claim; `tables/regime.csv`: one row per task;
 *   `tables/cost.csv`: time, throughput and memory per method.
 *
 * @module
 */
import { costTable } from "./analysis.ts";
import { tableCsv } from "./csv.ts";
import { COST_METHODS } from "../plan/experiments.ts";
import type { ReproEvidence } from "./evidence_files.ts";
import { scoreOf } from "./selection.ts";
import { mean, median, sampleStd } from "./stats.ts";
import type { StoredRun } from "../run/store.ts";
import type { TableRow } from "../../viz/table.ts";

type Cell = string | number | boolean | null | undefined;
type Rows = Record<string, Cell>[];

function csv(rows: Rows, columns: readonly string[]): string {
  return tableCsv(rows as unknown as TableRow[], columns);
}

/** One CSV line per item; the columns, in order, are the keys of `columns`. */
function csvOf<T>(
  items: readonly T[],
  columns: Readonly<Record<string, (item: T) => Cell>>,
): string {
  const entries = Object.entries(columns);
  const rows = items.map((item) => Object.fromEntries(entries.map(([k, get]) => [k, get(item)])));
  return csv(rows, Object.keys(columns));
}

const SPEC_COLUMNS = [
  "task",
  "method",
  "rate",
  "klWeight",
  "rank",
  "alpha",
  "seed",
  "steps",
  "epochs",
  "batchSize",
  "learningRate",
  "evalEvery",
  "maxLength",
  "model",
] as const;

/**
 * `runs.csv`: one row per run, sorted by task, method, rate, rank, seed.
 *
 * @param runs Stored runs.
 * @returns CSV text.
 * @example
 * ```ts
 * import { runsCsv } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(runsCsv([]).split(",").slice(0, 3), ["task", "method", "rate"]);
 * ```
 */
export function runsCsv(runs: readonly StoredRun[]): string {
  const sorted = [...runs].sort((a, b) =>
    a.spec.task.localeCompare(b.spec.task) || a.spec.method.localeCompare(b.spec.method) ||
    a.spec.rate - b.spec.rate || a.spec.rank - b.spec.rank || a.spec.seed - b.spec.seed ||
    a.spec.steps - b.spec.steps
  );
  const rows: Rows = sorted.map((r) => {
    const spec = r.spec as unknown as Record<string, Cell>;
    const rec = r.record;
    return {
      ...Object.fromEntries(SPEC_COLUMNS.map((k) => [k, spec[k]])),
      backend: r.backend,
      metric: rec.best?.metric,
      best: scoreOf(r, "best"),
      best_step: rec.best?.step,
      final: scoreOf(r, "final"),
      final_step: rec.final?.step,
      evaluations: rec.evaluations.length,
      steps_done: rec.steps,
      wall_time_ms: rec.wallTimeMs,
      train_time_ms: rec.trainTimeMs,
      steps_per_second: rec.stepsPerSecond,
      tokens_per_second: rec.tokensPerSecond,
      peak_mb: rec.peakMemory ? rec.peakMemory.numBytes / 2 ** 20 : undefined,
      spec_hash: r.specHash,
    };
  });
  return csv(rows, [
    ...SPEC_COLUMNS,
    "backend",
    "metric",
    "best",
    "best_step",
    "final",
    "final_step",
    "evaluations",
    "steps_done",
    "wall_time_ms",
    "train_time_ms",
    "steps_per_second",
    "tokens_per_second",
    "peak_mb",
    "spec_hash",
  ]);
}

/**
 * `tables/scores.csv`: per (method, task, rate, rank, steps) over seeds, best and final score.
 *
 * @param runs Stored runs.
 * @returns CSV text.
 * @example
 * ```ts
 * import { scoresCsv } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const run = (seed: number, v: number) => ({ spec: { task: "t", method: "m", rate: 0.1, rank: 8, steps: 10, seed }, record: { best: { value: v }, final: { value: v } } });
 * const [header, row] = scoresCsv([run(0, 0.5), run(1, 0.7)] as never).split("\n");
 * assertEquals(header, "method,task,rate,rank,steps,n,mean,sd,median,final_mean,final_sd");
 * assertEquals(row!.split(",").slice(0, 7), ["m", "t", "0.1", "8", "10", "2", "60"]);
 * ```
 */
export function scoresCsv(runs: readonly StoredRun[]): string {
  const groups = new Map<string, StoredRun[]>();
  for (const r of runs) {
    const key = JSON.stringify([
      r.spec.method,
      r.spec.task,
      r.spec.rate,
      r.spec.rank,
      r.spec.steps,
    ]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows: Rows = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(
    ([key, mine]) => {
      const [method, task, rate, rank, steps] = JSON.parse(key) as [
        string,
        string,
        number,
        number,
        number,
      ];
      const best = mine.map((r) => scoreOf(r, "best")).filter((x) => x !== undefined);
      const final = mine.map((r) => scoreOf(r, "final")).filter((x) => x !== undefined);
      return {
        method,
        task,
        rate,
        rank,
        steps,
        n: best.length,
        mean: best.length ? mean(best) : null,
        sd: best.length ? sampleStd(best) : null,
        median: best.length ? median(best) : null,
        final_mean: final.length ? mean(final) : null,
        final_sd: final.length ? sampleStd(final) : null,
      };
    },
  );
  return csv(rows, [
    "method",
    "task",
    "rate",
    "rank",
    "steps",
    "n",
    "mean",
    "sd",
    "median",
    "final_mean",
    "final_sd",
  ]);
}

/**
 * `tables/comparisons.csv`: every comparison of every claim.
 *
 * @param evidence The verdicts.
 * @returns CSV text.
 * @example
 * ```ts
 * import { comparisonsCsv } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(comparisonsCsv({ regime: [], verdicts: [] }).startsWith("claim,comparison,kind,outcome,n,mean,sd,ci_low,ci_high,p"), true);
 * ```
 */
export function comparisonsCsv(evidence: ReproEvidence): string {
  const items = evidence.verdicts.flatMap((v) => v.comparisons.map((c) => ({ v, c })));
  return csvOf(items, {
    claim: ({ v }) => v.claim,
    comparison: ({ c }) => c.label,
    kind: ({ c }) => c.kind,
    outcome: ({ c }) => c.outcome,
    n: ({ c }) => c.n,
    mean: ({ c }) => c.difference,
    sd: ({ c }) => c.sd,
    ci_low: ({ c }) => c.ci95?.[0],
    ci_high: ({ c }) => c.ci95?.[1],
    p: ({ c }) => c.p,
    p_holm: ({ c }) => c.pHolm,
    detectable80: ({ c }) => c.detectable80,
    margin: ({ c }) => c.margin,
    final_n: ({ c }) => c.final?.n,
    final_mean: ({ c }) => c.final?.difference,
    final_ci_low: ({ c }) => c.final?.ci95[0],
    final_ci_high: ({ c }) => c.final?.ci95[1],
    final_p: ({ c }) => c.final?.p,
    unit: ({ c }) => c.unit,
    tasks: ({ c }) => c.tasks.join(" "),
    selection: ({ c }) => c.selection,
  });
}

/**
 * `tables/verdicts.csv`: one row per claim (`p` is Holm-adjusted, as in `verdicts.json`).
 *
 * @param evidence The verdicts.
 * @returns CSV text.
 * @example
 * ```ts
 * import { verdictsCsv } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(verdictsCsv({ regime: [], verdicts: [] }), "claim,verdict,n,difference,ci_low,ci_high,p,detectable80,text\n");
 * ```
 */
export function verdictsCsv(evidence: ReproEvidence): string {
  return csvOf(evidence.verdicts, {
    claim: (v) => v.claim,
    verdict: (v) => v.verdict,
    n: (v) => v.n,
    difference: (v) => v.difference,
    ci_low: (v) => v.ci95?.[0],
    ci_high: (v) => v.ci95?.[1],
    p: (v) => v.p,
    detectable80: (v) => v.detectable80,
    text: (v) => v.text,
  });
}

/**
 * `tables/regime.csv`: one row per task.
 *
 * @param evidence The regime.
 * @returns CSV text.
 * @example
 * ```ts
 * import { regimeCsv } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(regimeCsv({ regime: [], verdicts: [] }).split(",")[1], "overfits");
 * ```
 */
export function regimeCsv(evidence: ReproEvidence): string {
  return csvOf(evidence.regime, {
    task: (r) => r.task,
    overfits: (r) => r.overfits,
    dev_loss_min: (r) => r.devLossMin,
    dev_loss_min_step: (r) => r.devLossMinStep,
    dev_loss_last: (r) => r.devLossLast,
    best_step: (r) => r.bestStep,
    steps: (r) => r.steps,
    seeds: (r) => r.seeds.length,
    reason: (r) => r.reason,
  });
}

/**
 * `tables/cost.csv`: median ms per step, tokens/s, peak memory per method.
 *
 * @param runs Stored runs.
 * @returns CSV text.
 * @example
 * ```ts
 * import { costCsv } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(costCsv([]), "method,ms_per_step,tokens_per_second,peak_mb,relative_to_baseline,runs\n");
 * ```
 */
export function costCsv(runs: readonly StoredRun[]): string {
  return csvOf(costTable(runs, COST_METHODS), {
    method: (c) => c.method,
    ms_per_step: (c) => c.msPerStep,
    tokens_per_second: (c) => c.tokensPerSecond,
    peak_mb: (c) => c.peakMB,
    relative_to_baseline: (c) => c.relativeToBaseline,
    runs: (c) => c.runs,
  });
}
