/**
 * The reproduction's report, as sections (text, figures, tables) computed from stored runs.
 * `deno task repro` writes them into `results/report.html`; the notebooks display the same
 * sections inline, so both show the same numbers from the same runs.
 *
 * @module
 */
import type { ReportSection } from "../../viz/report.ts";
import { lineFigure } from "../../viz/line.ts";
import type { TableRow } from "../../viz/table.ts";
import {
  costTable,
  methodTable,
  rankCurve,
  rateCurve,
  selectRuns,
  significanceTable,
  trainingCurve,
} from "./analysis.ts";
import { COMPENSATION_METHODS, COST_METHODS, FRAMEWORK_METHODS } from "../plan/experiments.ts";
import type { ExperimentSpec, ReproPreset } from "../plan/run_spec.ts";
import { PAPER_TABLE1, PAPER_TABLE8 } from "./paper_tables.ts";
import type { StoredRun } from "../run/store.ts";
import type { EquivalenceEvidence } from "./verdicts.ts";
import type { ReproEvidence } from "./evidence_files.ts";
import {
  claimsSection,
  evidenceOf,
  lossCurveSections,
  regimeSection,
} from "./evidence_sections.ts";

const cell = (x: number | undefined, std?: number) =>
  x === undefined ? "–" : std === undefined ? x.toFixed(2) : `${x.toFixed(2)} ± ${std.toFixed(2)}`;

function paperAvg(method: string): string {
  const row = PAPER_TABLE1.find((r) => r.preset === method);
  return row ? row.avg.toFixed(2) : "–";
}

/** Everything the report needs. */
export interface ReportInput {
  /** The preset the runs belong to. */
  readonly preset: ReproPreset;
  /** Its experiments. */
  readonly experiments: readonly ExperimentSpec[];
  /** All stored runs. */
  readonly runs: readonly StoredRun[];
  /** The numerical DropKey/DropAttention results (claims 2, 3), when computed. */
  readonly equivalence?: EquivalenceEvidence & {
    readonly rows?: number;
    readonly kCurve?: { readonly droppedLogit: readonly number[]; readonly k: readonly number[] };
  };
  /** The regime and verdicts already computed from these runs (`regime.json`, `verdicts.json`). */
  readonly evidence?: ReproEvidence;
}

function tasksOf(experiments: readonly ExperimentSpec[]): string[] {
  const fw = experiments.find((e) => e.id === "framework");
  return [...new Set((fw?.runs ?? []).map((r) => r.task))];
}

/**
 * The "scale" paragraph: what differs from the paper, measured from the runs.
 *
 * @param input The runs and preset.
 * @returns A text section.
 * @example
 * ```ts
 * import { scaleSection } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertStringIncludes } from "@std/assert";
 * const s = scaleSection({ preset: "smoke", experiments: reproExperiments("smoke"), runs: [] });
 * assertStringIncludes(s.text!, "RoBERTa-large");
 * ```
 */
export function scaleSection(input: ReportInput): ReportSection {
  const specs = input.experiments.flatMap((e) => e.runs);
  const seeds = [...new Set(specs.map((s) => s.seed))].length;
  const steps = [
    ...new Set(specs.map((s) => s.steps > 0 ? `${s.steps} steps` : `${s.epochs} epoch(s)`)),
  ].join("/");
  const models = [...new Set(specs.map((s) => s.model))].join(", ");
  const backends = [...new Set(input.runs.map((r) => r.backend))].join(", ") || "none yet";
  return {
    heading: "Scale: here versus the paper",
    text:
      `Paper: RoBERTa-large (355 M parameters, 24 layers) with LoRA r = 8 on q and v, GLUE RTE / MRPC / STS-B / SST-2, ` +
      `10-30 epochs, median of 5 seeds, on V100 GPUs.\n\n` +
      `Here (preset "${input.preset}"): ${models}${
        models.includes("use-lite") ? " (USE-lite: 7 M parameters, 2 layers)" : ""
      } on the ${input.preset === "paper" ? "GLUE" : "offline stand-in"} tasks ` +
      `${
        tasksOf(input.experiments).join(", ")
      }, ${seeds} seed(s), ${steps} per run, backend ${backends}; ` +
      `${input.runs.length} finished run(s) of ${
        new Set(specs.map((s) => JSON.stringify(s))).size
      }. ` +
      `Scores are the best dev metric × 100. Absolute numbers are not comparable with the paper's; the verdicts ` +
      `compare orderings and differences, which is what the claims are about.`,
  };
}

/**
 * Every section of the report, in reading order.
 *
 * @param input The runs and preset.
 * @returns The sections.
 * @example
 * ```ts
 * import { reportSections } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assert } from "@std/assert";
 * const s = reportSections({ preset: "smoke", experiments: reproExperiments("smoke"), runs: [] });
 * assert(s.length > 3);
 * ```
 */
export function reportSections(input: ReportInput): ReportSection[] {
  const evidence = evidenceOf(input);
  return [
    scaleSection(input),
    regimeSection(evidence),
    claimsSection(evidence),
    ...lossCurveSections(input),
    ...overfitSections(input),
    equivalenceSection(input),
    ...frameworkSections(input),
    compensationSection(input),
    significanceSection(input),
    costSection(input),
  ];
}

/**
 * Fig. 5 and Fig. 6: dev score against rank, and training curves.
 *
 * @param input The runs and preset.
 * @returns Sections (figures only where runs exist).
 * @example
 * ```ts
 * import { overfitSections } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(overfitSections({ preset: "smoke", experiments: reproExperiments("smoke"), runs: [] })[0]!.figure, undefined);
 * ```
 */
export function overfitSections(input: ReportInput): ReportSection[] {
  const exp = input.experiments.find((e) => e.id === "overfit");
  const task = exp?.runs[0]?.task ?? "";
  const c = rankCurve(input.runs, task);
  const out: ReportSection[] = [{
    heading: "1. LoRA overfits (paper Fig. 5, 6)",
    text:
      `Dev score of LoRA without dropout against its rank on ${task} (median over seeds; paper: RoBERTa-large on RTE, ` +
      `no numbers readable).`,
    ...(c.x.length > 0
      ? {
        figure: lineFigure([{ name: "baseline (no dropout)", x: c.x, y: c.y, markers: true }], {
          title: "Dev score vs LoRA rank",
          xTitle: "rank r",
          yTitle: "dev score",
        }),
      }
      : {}),
  }];
  const curves = ["baseline", "hiddenKey-minus", "hiddenKey"].map((method) =>
    trainingCurve(
      selectRuns(input.runs, { task, method, rank: 8 }).filter((r) =>
        r.record.evaluations.length > 0
      ),
      method,
    )
  ).filter((c) =>
    c.steps.length > 0 && c.trainLoss.every(Number.isFinite) && c.devScore.every(Number.isFinite)
  );
  if (curves.length > 0) {
    out.push({
      text:
        "Training loss against dev score over steps (mean over seeds): the overfitting signature is a loss that keeps falling while the dev score stops rising.",
      figure: lineFigure(
        curves.map((c) => ({ name: c.method, x: c.trainLoss, y: c.devScore, markers: true })),
        {
          title: "Dev score vs training loss (Fig. 6)",
          xTitle: "training loss",
          yTitle: "dev score",
        },
      ),
    });
  }
  return out;
}

/**
 * Claims 2 and 3 measured on the pretrained model's real attention logits.
 *
 * @param input The runs and, when computed, the equivalence measurements.
 * @returns A section (text, and a k-curve figure when measured).
 * @example
 * ```ts
 * import { equivalenceSection } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertStringIncludes } from "@std/assert";
 * const s = equivalenceSection({ preset: "smoke", experiments: reproExperiments("smoke"), runs: [] });
 * assertStringIncludes(s.text!, "not measured");
 * ```
 */
export function equivalenceSection(input: ReportInput): ReportSection {
  const e = input.equivalence;
  const heading = "DropKey vs DropAttention on real attention logits (paper §3.1, App. C)";
  if (!e) return { heading, text: "Equivalence not measured in this results folder." };
  return {
    heading,
    text:
      `Under one mask (rate 0.3, element and column), max |DropKey − DropAttention| = ${
        e.forwardMaxDiff.toExponential(2)
      } with normalised rescaling and ${e.inverseKeepMaxDiff.toExponential(2)} with 1/(1−p). ` +
      `Over ${
        e.rows ?? "?"
      } attention rows (one dropped key m, the largest kept key u), the measured ratio of ` +
      `∂w'_u/∂g_u (DropKey / DropAttention with NoGrad) matches the paper's k to a relative error of ${
        e.kMaxRelError.toExponential(2)
      }; the largest k is ${e.kMax.toFixed(4)} (< 1); DropAttention sends up to ${
        e.droppedGradMax.toExponential(2)
      } of gradient to the dropped logit; without NoGrad the gradients differ from DropKey's by at most ${
        e.noNoGradMaxDiff.toExponential(2)
      }.`,
    ...(e.kCurve && e.kCurve.k.length > 1
      ? {
        figure: lineFigure(
          [{ name: "k", x: e.kCurve.droppedLogit, y: e.kCurve.k, markers: true }],
          {
            title: "k against the dropped logit (one real attention row)",
            xTitle: "g_m − g_u (dropped logit relative to the kept one)",
            yTitle: "k",
          },
        ),
      }
      : {}),
  };
}

/**
 * Table 1 (position × pattern) and Fig. 4 (score vs rate).
 *
 * @param input The runs and preset.
 * @returns Sections.
 * @example
 * ```ts
 * import { frameworkSections } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assert } from "@std/assert";
 * assert(frameworkSections({ preset: "smoke", experiments: reproExperiments("smoke"), runs: [] }).length >= 1);
 * ```
 */
export function frameworkSections(input: ReportInput): ReportSection[] {
  const tasks = tasksOf(input.experiments);
  const methods = ["baseline", ...FRAMEWORK_METHODS];
  const table = methodTable(input.runs, methods, tasks);
  const rows: TableRow[] = table.rows.filter((r) => Object.values(r.cells).some((c) => c)).map((
    r,
  ) => ({
    method: r.method,
    ...Object.fromEntries(tasks.map((t) => {
      const c = r.cells[t];
      return [t, c ? `${cell(c.summary.median, c.summary.std)} (p=${c.rate})` : "–"];
    })),
    avg: cell(r.avg),
    "paper avg": paperAvg(r.method),
  }));
  const out: ReportSection[] = [{
    heading: "2. The unified framework (paper Table 1)",
    text:
      "Median ± std over seeds at each method's best rate per task (the rate in brackets), and the average over tasks, beside the paper's RoBERTa-large average.",
    table: { rows, columns: ["method", ...tasks, "avg", "paper avg"] },
  }];
  for (const task of tasks) {
    const series = FRAMEWORK_METHODS.map((m) => rateCurve(input.runs, m, task)).filter((c) =>
      c.x.length >= 2
    );
    if (series.length === 0) continue;
    out.push({
      text: `Dev score against dropout rate on ${task} (paper Fig. 4).`,
      figure: lineFigure(series.map((c) => ({ name: c.name, x: c.x, y: c.y, markers: true })), {
        title: `Score vs rate: ${task}`,
        xTitle: "dropout rate",
        yTitle: "dev score",
      }),
    });
  }
  return out;
}

/**
 * Table 1's compensation block.
 *
 * @param input The runs and preset.
 * @returns A table section.
 * @example
 * ```ts
 * import { compensationSection } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(compensationSection({ preset: "smoke", experiments: reproExperiments("smoke"), runs: [] }).table!.rows.length, 0);
 * ```
 */
export function compensationSection(input: ReportInput): ReportSection {
  const tasks = tasksOf(input.experiments);
  const table = methodTable(input.runs, COMPENSATION_METHODS, tasks);
  return {
    heading: "3. Compensation: KL, JS, input and output dropout (paper Table 1, bottom)",
    table: {
      rows: table.rows.filter((r) => Object.values(r.cells).some((c) => c)).map((r) => ({
        method: r.method,
        ...Object.fromEntries(
          tasks.map((t) => [t, cell(r.cells[t]?.summary.median, r.cells[t]?.summary.std)]),
        ),
        avg: cell(r.avg),
        "paper avg": paperAvg(r.method),
      })),
      columns: ["method", ...tasks, "avg", "paper avg"],
    },
  };
}

/**
 * Table 8: paired tests of HiddenKey against each alternative.
 *
 * @param input The runs and preset.
 * @returns A table section.
 * @example
 * ```ts
 * import { significanceSection } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(significanceSection({ preset: "smoke", experiments: reproExperiments("smoke"), runs: [] }).table!.rows.length, 4);
 * ```
 */
export function significanceSection(input: ReportInput): ReportSection {
  const tasks = tasksOf(input.experiments);
  const against = ["baseline", "dropKey-column", "hiddenCut-element", "hiddenKey-minus"];
  const rows = significanceTable(input.runs, "hiddenKey", against, tasks).map((r) => ({
    "HiddenKey vs": r.against,
    "mean diff": cell(r.pooled?.meanDifference),
    "paired t p": r.pooled ? r.pooled.tTestP.toFixed(3) : "–",
    "Wilcoxon p": r.pooled ? r.pooled.wilcoxonP.toFixed(3) : "–",
    "paper p (GLUE)": PAPER_TABLE8["RoBERTa (GLUE)"]![r.against]?.toFixed(3) ?? "–",
  }));
  return {
    heading: "4. Is HiddenKey's gain significant? (paper Table 8)",
    text:
      "Paired over seeds on the score averaged across tasks: a two-sided paired Student's t-test and the exact Wilcoxon signed-rank test (the paper does not name its test). With few seeds, Wilcoxon cannot go below 2/2^n.",
    table: {
      rows,
      columns: ["HiddenKey vs", "mean diff", "paired t p", "Wilcoxon p", "paper p (GLUE)"],
    },
  };
}

/**
 * The cost table the paper lacks.
 *
 * @param input The runs and preset.
 * @returns A table section.
 * @example
 * ```ts
 * import { costSection } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(costSection({ preset: "smoke", experiments: reproExperiments("smoke"), runs: [] }).table!.rows.length, 0);
 * ```
 */
export function costSection(input: ReportInput): ReportSection {
  const methods = COST_METHODS;
  return {
    heading: "5. Cost per method",
    text:
      "Median over runs of ms per optimiser step, tokens per second and peak tensor memory, measured by the trainer during the runs above. The paper reports HiddenKey at about 1.5× the baseline's training time.",
    table: {
      rows: costTable(input.runs, methods).map((c) => ({
        method: c.method,
        "ms/step": c.msPerStep.toFixed(0),
        "tokens/s": c.tokensPerSecond.toFixed(0),
        "peak MB": c.peakMB.toFixed(1),
        "× baseline": c.relativeToBaseline === undefined ? "–" : c.relativeToBaseline.toFixed(2),
        runs: c.runs,
      })),
      columns: ["method", "ms/step", "tokens/s", "peak MB", "× baseline", "runs"],
    },
  };
}
