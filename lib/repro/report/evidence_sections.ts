/**
 * The report's evidence sections, built from `regime.json` / `verdicts.json` content (so the
 * report, the notebooks and a committed reference show the same numbers): the regime check, the
 * verdicts with a forest plot of every paired difference and its 95% CI, and each method's train
 * and dev loss over training with its best and final score.
 *
 * @module
 */
import { lineFigure, type LineSeries } from "../../viz/line.ts";
import { forestFigure, type ForestRow } from "../../viz/forest.ts";
import type { ReportSection } from "../../viz/report.ts";
import { runsOfExperiments } from "./analysis.ts";
import { type ReproEvidence, reproEvidence } from "./evidence_files.ts";
import { regimeCurve } from "./regime.ts";
import { scoreOf } from "./selection.ts";
import { mean, sampleStd } from "./stats.ts";
import type { ClaimsInput } from "./verdicts.ts";

/** Runs and experiments, with the evidence when it was already computed. */
export type EvidenceInput = ClaimsInput & { readonly evidence?: ReproEvidence };

/**
 * The input's evidence: the one given, or computed from its runs.
 *
 * @param input Runs and experiments (a report's input).
 * @returns The regime and verdicts.
 * @example
 * ```ts
 * import { evidenceOf } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(evidenceOf({ experiments: reproExperiments("smoke"), runs: [] }).verdicts.length, 16);
 * ```
 */
export function evidenceOf(input: EvidenceInput): ReproEvidence {
  return input.evidence ?? reproEvidence(input);
}

/** One colour per outcome, the same in every forest plot. */
const OUTCOME_COLORS = {
  reproduced: "#2ca02c",
  contradicted: "#d62728",
  inconclusive: "#7f7f7f",
} as const;

const num = (x: number | null | undefined, d = 2) =>
  x === null || x === undefined ? "–" : x.toFixed(d);
const signedNum = (x: number | null | undefined, d = 2) =>
  x === null || x === undefined ? "–" : `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(d)}`;
const finiteSeries = (ys: readonly (number | null)[]) =>
  ys.length > 1 && ys.every((y) => typeof y === "number" && Number.isFinite(y));

/**
 * The regime check: per task, does the no-dropout baseline overfit (the paper's premise)? A table
 * with the rule's numbers and a figure of the mean train and dev loss over steps.
 *
 * @param evidence The regime (and verdicts).
 * @returns A section.
 * @example
 * ```ts
 * import { regimeSection } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const s = regimeSection({ regime: [], verdicts: [] });
 * assertEquals(s.table!.rows.length, 0);
 * ```
 */
export function regimeSection(evidence: ReproEvidence): ReportSection {
  const { regime } = evidence;
  const series: LineSeries[] = regime.flatMap((r) => {
    const c = r.curve;
    return [
      ...(finiteSeries(c.trainLoss)
        ? [{ name: `${r.task}: train loss`, x: c.steps, y: c.trainLoss, markers: true }]
        : []),
      ...(finiteSeries(c.devLoss)
        ? [{
          name: `${r.task}: dev loss`,
          x: c.steps,
          y: c.devLoss,
          markers: true,
          dash: "dash" as const,
        }]
        : []),
    ];
  });
  return {
    heading: "0. Does the baseline overfit? (the premise of paper §5, Fig. 5-6)",
    text:
      `A dropout method can only show a benefit where LoRA without dropout overfits. Rule: ${
        regime[0]?.rule ?? "–"
      }. Tasks where it does not hold are left out of the dropout claims (4-11), which are then ` +
      `not testable on them.`,
    ...(series.length > 0
      ? {
        figure: lineFigure(series, {
          title: "Baseline: train loss and dev loss over steps (mean over seeds)",
          xTitle: "step",
          yTitle: "loss",
        }),
      }
      : {}),
    table: {
      rows: regime.map((r) => ({
        task: r.task,
        overfits: r.overfits ? "yes" : "no",
        "dev loss min": num(r.devLossMin, 3),
        "dev loss last": num(r.devLossLast, 3),
        "last / min": r.devLossMin && r.devLossLast ? num(r.devLossLast / r.devLossMin) : "–",
        "best step": r.bestStep ?? "–",
        steps: r.steps,
        seeds: r.seeds.length,
        reason: r.reason,
      })),
      columns: [
        "task",
        "overfits",
        "dev loss min",
        "dev loss last",
        "last / min",
        "best step",
        "steps",
        "seeds",
        "reason",
      ],
    },
  };
}

/**
 * Forest-plot rows of the verdicts' comparisons in points (one per comparison with a CI).
 *
 * @param evidence The verdicts.
 * @param claims Only these claims (default all).
 * @returns Rows labelled `claim: A − B`, coloured by outcome.
 * @example
 * ```ts
 * import { comparisonRows } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(comparisonRows({ regime: [], verdicts: [] }), []);
 * ```
 */
export function comparisonRows(
  evidence: ReproEvidence,
  claims?: readonly number[],
): ForestRow[] {
  return evidence.verdicts.filter((v) => !claims || claims.includes(v.claim)).flatMap((v) =>
    v.comparisons.filter((c) => c.unit === "points" && c.ci95 !== null && c.difference !== null)
      .map((c) => ({
        label: `${v.claim}: ${c.label}`,
        estimate: c.difference!,
        low: c.ci95![0],
        high: c.ci95![1],
        group: c.outcome,
      }))
  );
}

/**
 * The verdicts, one row per claim, and a forest plot of their paired differences with 95% CIs.
 *
 * @param evidence The verdicts (e.g. read from `verdicts.json`).
 * @param claims Only these claims (default all).
 * @returns A section.
 * @example
 * ```ts
 * import { claimsSection, evidenceOf } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const s = claimsSection(evidenceOf({ experiments: reproExperiments("smoke"), runs: [] }), [10]);
 * assertEquals(s.table!.rows.map((r) => r.verdict), ["not testable here"]);
 * ```
 */
export function claimsSection(
  evidence: ReproEvidence,
  claims?: readonly number[],
): ReportSection {
  const rows = comparisonRows(evidence, claims);
  return {
    heading: "The paper's claims: verdicts from this run",
    text:
      "Claims about methods are decided by paired differences over (task, seed) — the same seeds give " +
      "each method the same initialisation, data order and dropout stream — with a 95% confidence " +
      "interval; several comparisons of one claim are Holm-corrected. Reproduced needs every " +
      "comparison significant in the claimed direction; contradicted means one is significant the " +
      "other way; inconclusive means the interval includes 0 (the evidence then gives the smallest " +
      "difference these pairs could detect at 80% power). Differences are in points (metric × 100) " +
      "on the best dev score over training (the paper's protocol); the evidence also gives the final " +
      "score's. A method's rate, a family's pattern and the sweep's peak rank are chosen by " +
      "leave-one-seed-out: a seed's score is reported under the setting that was best on the other " +
      "seeds, never its own. The numbers are those of verdicts.json.",
    ...(rows.length > 0
      ? {
        figure: forestFigure(rows, {
          title: "Paired differences with 95% CIs (points)",
          xTitle: "mean paired difference A − B (points)",
        }, OUTCOME_COLORS),
      }
      : {}),
    table: {
      rows: evidence.verdicts.filter((v) => !claims || claims.includes(v.claim)).map((v) => ({
        claim: v.claim,
        text: v.text,
        verdict: v.verdict,
        difference: signedNum(v.difference),
        "95% CI": v.ci95 ? `[${signedNum(v.ci95[0])}, ${signedNum(v.ci95[1])}]` : "–",
        n: v.n ?? "–",
        p: v.p === null ? "–" : v.p.toPrecision(2),
        evidence: v.evidence,
        rule: v.rule,
      })),
      columns: ["claim", "text", "verdict", "difference", "95% CI", "n", "p", "evidence", "rule"],
    },
  };
}

/**
 * Per task, each method's mean train loss and dev loss over training (rank-8 runs of the grid,
 * mean over seeds) and a table of its best and final dev score: what the paper's protocol (best
 * dev score) and no early stopping (final score) would report.
 *
 * @param input Runs and experiments.
 * @param methods The methods to draw (default: every method of the grid's rank-8 runs).
 * @returns One section per task with runs.
 * @example
 * ```ts
 * import { lossCurveSections } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(lossCurveSections({ experiments: reproExperiments("smoke"), runs: [] }), []);
 * ```
 */
export function lossCurveSections(
  input: ClaimsInput,
  methods?: readonly string[],
): ReportSection[] {
  const grid = runsOfExperiments(
    input.runs,
    input.experiments,
    (id) => id !== "regime" && id !== "cost" && id !== "overfit",
  ).filter((r) => r.spec.rank === 8);
  const tasks = [...new Set(grid.map((r) => r.spec.task))];
  const chosen = methods ?? [...new Set(grid.map((r) => r.spec.method))];
  const out: ReportSection[] = [];
  for (const task of tasks) {
    const series: LineSeries[] = [];
    const rows: Record<string, string | number>[] = [];
    for (const method of chosen) {
      const mine = grid.filter((r) => r.spec.task === task && r.spec.method === method);
      const rates = [...new Set(mine.map((r) => r.spec.rate))].sort((a, b) => a - b);
      for (const rate of rates) {
        const runs = mine.filter((r) => r.spec.rate === rate);
        const name = `${method}${rate > 0 ? ` p=${rate}` : ""}`;
        const c = regimeCurve(runs);
        if (finiteSeries(c.trainLoss)) {
          series.push({ name: `${name}: train`, x: c.steps, y: c.trainLoss, markers: true });
        }
        if (finiteSeries(c.devLoss)) {
          series.push({
            name: `${name}: dev`,
            x: c.steps,
            y: c.devLoss,
            markers: true,
            dash: "dash",
          });
        }
        const best = runs.map((r) => scoreOf(r, "best")).filter((x) => x !== undefined);
        const final = runs.map((r) => scoreOf(r, "final")).filter((x) => x !== undefined);
        rows.push({
          method: name,
          seeds: best.length,
          "best (mean ± sd)": best.length
            ? `${mean(best).toFixed(2)} ± ${sampleStd(best).toFixed(2)}`
            : "–",
          "final (mean ± sd)": final.length
            ? `${mean(final).toFixed(2)} ± ${sampleStd(final).toFixed(2)}`
            : "–",
          "best − final": best.length && final.length ? (mean(best) - mean(final)).toFixed(2) : "–",
        });
      }
    }
    if (rows.length === 0) continue;
    out.push({
      heading: `Training curves and best vs final score: ${task}`,
      text:
        "Mean over seeds of the train (task) loss per evaluation window (solid) and the dev loss " +
        "(dashed) of each method. The best dev score is early stopping on the dev set itself (the " +
        "paper's protocol); the final score is the last evaluation — a method that reduces " +
        "overfitting shows its clearest effect there and in the dev-loss curve.",
      ...(series.length > 0
        ? {
          figure: lineFigure(series, {
            title: `Train and dev loss over steps: ${task}`,
            xTitle: "step",
            yTitle: "loss",
          }),
        }
        : {}),
      table: {
        rows,
        columns: ["method", "seeds", "best (mean ± sd)", "final (mean ± sd)", "best − final"],
      },
    });
  }
  return out;
}
