/**
 * The NLG track's report: the Table-2-shaped comparison (mean ± std over seeds of BLEU, NIST,
 * METEOR, ROUGE-L, CIDEr) beside the paper's GPT-2 Medium numbers, training curves, example
 * generations and the scale of the setting. Shared by `deno task repro nlg` and notebook 06.
 *
 * @module
 */
import type { ReportSection } from "../../viz/report.ts";
import { lineFigure } from "../../viz/line.ts";
import type { TableRow } from "../../viz/table.ts";
import type { E2eScores } from "../../nlg/metrics/report.ts";
import type { PretrainInfo } from "../../nlg/pretrain/pretrain.ts";
import { mean, sampleStd } from "./stats.ts";
import {
  E2E_METRICS,
  NLG_METHOD_LABELS,
  NLG_METHODS,
  type NlgPreset,
} from "../plan/nlg_experiments.ts";
import type { NlgStoredRun } from "../run/nlg_execute.ts";

const METRIC_LABELS: Readonly<Record<keyof E2eScores, string>> = {
  bleu: "BLEU",
  nist: "NIST",
  meteor: "METEOR",
  rougeL: "ROUGE-L",
  cider: "CIDEr",
};

/** A mean and sample standard deviation. */
export interface MeanStd {
  /** The mean. */
  readonly mean: number;
  /** The sample standard deviation (0 for one value). */
  readonly std: number;
}

// Table 2's GPT2-Medium cells: [mean, std] of BLEU, NIST, METEOR, ROUGE-L, CIDEr (E2E_METRICS' order).
// deno-fmt-ignore
const TABLE2_CELLS: Readonly<Record<string, readonly (readonly [number, number])[]>> = {
  baseline:            [[68.50, 0.90], [8.615, 0.09], [46.43, 0.26], [71.08, 0.25], [2.490, 0.02]],
  "hiddenCut-element": [[69.22, 0.44], [8.700, 0.05], [46.66, 0.11], [71.39, 0.07], [2.491, 0.01]],
  "dropKey-column":    [[68.78, 0.75], [8.651, 0.08], [46.53, 0.24], [71.40, 0.33], [2.486, 0.01]],
  "hiddenKey-minus":   [[69.35, 0.48], [8.726, 0.04], [46.60, 0.29], [71.61, 0.26], [2.510, 0.00]],
  hiddenKey:           [[69.76, 0.51], [8.765, 0.08], [46.80, 0.11], [71.78, 0.06], [2.511, 0.03]],
};

/**
 * Table 2 of the paper, GPT2-Medium rows (mean ± std of 3 runs, as printed), by method preset.
 */
export const PAPER_TABLE2: Readonly<Record<string, Readonly<Record<keyof E2eScores, MeanStd>>>> =
  tableByMetric(TABLE2_CELLS);

function tableByMetric(
  rows: Readonly<Record<string, readonly (readonly [number, number])[]>>,
): Record<string, Record<keyof E2eScores, MeanStd>> {
  return Object.fromEntries(
    Object.entries(rows).map(([method, cells]) => [
      method,
      Object.fromEntries(E2E_METRICS.map((metric, i) => {
        const [mean, std] = cells[i]!;
        return [metric, { mean, std }];
      })) as Record<keyof E2eScores, MeanStd>,
    ]),
  );
}

/** One method's row: its seeds' scores summarised. */
export interface NlgTableRow {
  /** The method preset. */
  readonly method: string;
  /** Seeds that finished. */
  readonly seeds: number;
  /** Mean ± std per metric. */
  readonly scores: Readonly<Record<keyof E2eScores, MeanStd>>;
}

/**
 * Summarises stored NLG runs per method (mean ± sample std over seeds), in Table 2's order;
 * methods without runs are left out.
 *
 * @param runs The stored runs.
 * @returns One row per method.
 * @example
 * ```ts
 * import { nlgTable } from "@loradrop/core/nlg";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * const run = (seed: number, bleu: number) => ({ spec: { method: "baseline", seed }, nlg: { scores: { bleu, nist: 1, meteor: 1, rougeL: 1, cider: 1 } } });
 * const rows = nlgTable([run(0, 10), run(1, 20)] as never);
 * assertEquals(rows[0]!.seeds, 2);
 * assertEquals(rows[0]!.scores.bleu.mean, 15);
 * assertAlmostEquals(rows[0]!.scores.bleu.std, Math.SQRT2 * 5);
 * ```
 */
export function nlgTable(runs: readonly NlgStoredRun[]): NlgTableRow[] {
  const methods = [
    ...NLG_METHODS,
    ...new Set(runs.map((r) => r.spec.method).filter((m) => !NLG_METHODS.includes(m))),
  ];
  const rows: NlgTableRow[] = [];
  for (const method of methods) {
    const mine = runs.filter((r) => r.spec.method === method && r.nlg !== undefined);
    if (mine.length === 0) continue;
    const scores = Object.fromEntries(E2E_METRICS.map((m) => {
      const values = mine.map((r) => r.nlg.scores[m]);
      return [m, { mean: mean(values), std: values.length > 1 ? sampleStd(values) : 0 }];
    })) as Record<keyof E2eScores, MeanStd>;
    rows.push({ method, seeds: mine.length, scores });
  }
  return rows;
}

const digits = (metric: keyof E2eScores) => metric === "nist" || metric === "cider" ? 3 : 2;
const fmt = (x: MeanStd, metric: keyof E2eScores) =>
  `${x.mean.toFixed(digits(metric))} ± ${x.std.toFixed(digits(metric))}`;

/** Everything the NLG sections need. */
export interface NlgReportInput {
  /** The preset. */
  readonly preset: NlgPreset;
  /** The stored NLG runs. */
  readonly runs: readonly NlgStoredRun[];
  /** The pretraining record of loradrop's decoder (smoke/quick presets). */
  readonly pretrainInfo?: PretrainInfo;
}

/**
 * The Table-2 section: ours (mean ± std over seeds) beside the paper's GPT-2 Medium numbers.
 *
 * @param input The runs and preset.
 * @returns A table section.
 * @example
 * ```ts
 * import { nlgTableSection } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * assertEquals(nlgTableSection({ preset: "smoke", runs: [] }).table!.rows.length, 0);
 * ```
 */
export function nlgTableSection(input: NlgReportInput): ReportSection {
  const rows: TableRow[] = nlgTable(input.runs).map((r) => {
    const paper = PAPER_TABLE2[r.method];
    const row: Record<string, string | number> = {
      method: NLG_METHOD_LABELS[r.method] ?? r.method,
      seeds: r.seeds,
    };
    for (const m of E2E_METRICS) {
      row[METRIC_LABELS[m]] = fmt(r.scores[m], m);
      row[`paper ${METRIC_LABELS[m]}`] = paper ? fmt(paper[m], m) : "–";
    }
    return row;
  });
  return {
    heading:
      "NLG: E2E-style data-to-text with drops in the latter half of the decoder (paper Table 2)",
    text:
      "Mean ± sample standard deviation over seeds of our runs, next to the paper's GPT-2 Medium " +
      "numbers on the real E2E test set (mean of 3 runs). BLEU, METEOR and ROUGE-L are ×100, NIST " +
      "and CIDEr raw. METEOR is exact-match (nltk's algorithm), lower than the Java METEOR 1.5 the " +
      "paper used. Absolute numbers are not comparable across the two settings; the order of the " +
      "methods is what can be compared.",
    table: {
      rows,
      columns: [
        "method",
        "seeds",
        ...E2E_METRICS.flatMap((m) => [METRIC_LABELS[m], `paper ${METRIC_LABELS[m]}`]),
      ],
    },
  };
}

/**
 * The setting's scale (what differs from the paper), from the runs and the pretraining record.
 *
 * @param input The runs, preset and pretraining record.
 * @returns A text section.
 * @example
 * ```ts
 * import { nlgScaleSection } from "@loradrop/core/nlg";
 * import { assertStringIncludes } from "@std/assert";
 * assertStringIncludes(nlgScaleSection({ preset: "smoke", runs: [] }).text!, "GPT-2 Medium");
 * ```
 */
export function nlgScaleSection(input: NlgReportInput): ReportSection {
  const p = input.pretrainInfo;
  const first = input.runs[0];
  const lines = [
    "The paper fine-tunes GPT-2 Medium (24 layers, 355 M parameters) with LoRA r = 4, α = 32 on q " +
    "and v for 5 epochs on E2E's 42k training pairs and decodes with beam 10 (Table 7); drops act " +
    "only in layers 12-23.",
  ];
  if (p !== undefined) {
    const s = p.settings.model;
    lines.push(
      `Here the base is loradrop's own decoder (${s.numLayers} layers, width ${s.hiddenDim}, ` +
        `${p.tokenizer} tokenizer) pretrained for ${p.loss.length} steps on ` +
        `${Object.values(p.corpusWords).reduce((a, b) => a + b, 0)} words of public-domain text ` +
        `(validation perplexity ${p.validationPerplexity.toFixed(1)}); drops act in layers ` +
        `${Math.floor(s.numLayers / 2)}-${s.numLayers - 1}.`,
    );
  }
  if (first !== undefined) {
    const c = first.record.config as Record<string, unknown>;
    const d = (c.describe ?? {}) as Record<string, unknown>;
    lines.push(
      `Data: ${d.trainMrs} training MRs (every reference a pair), ${d.evaluationMrs} test MRs; ` +
        `${first.record.steps} steps of batch ${c.batchSize}; decoding ${
          JSON.stringify(d.decoding)
        }; ` +
        `${input.runs.length} runs on ${first.backend}.`,
    );
  }
  return { heading: "NLG: scale of this reproduction", text: lines.join("\n\n") };
}

/**
 * Training-loss curves, one per method (seed 0 or the first seed found).
 *
 * @param input The runs.
 * @returns A figure section (no figure without runs).
 * @example
 * ```ts
 * import { nlgCurvesSection } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * assertEquals(nlgCurvesSection({ preset: "smoke", runs: [] }).figure, undefined);
 * ```
 */
export function nlgCurvesSection(input: NlgReportInput): ReportSection {
  const series = NLG_METHODS.flatMap((method) => {
    const run = input.runs.filter((r) => r.spec.method === method)
      .sort((a, b) => a.spec.seed - b.spec.seed)[0];
    return run === undefined
      ? []
      : [{ name: NLG_METHOD_LABELS[method] ?? method, y: run.record.curves.taskLoss }];
  });
  return {
    heading: "NLG: training loss (label-smoothed LM loss on the target tokens)",
    ...(series.length === 0 ? {} : {
      figure: lineFigure(series, { title: "Task loss per step", xTitle: "step", yTitle: "loss" }),
    }),
  };
}

/**
 * Example generations of the first seed's runs for a few test MRs.
 *
 * @param input The runs.
 * @param count MRs to show.
 * @returns A table section.
 * @example
 * ```ts
 * import { nlgExamplesSection } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * assertEquals(nlgExamplesSection({ preset: "smoke", runs: [] }).table!.rows, []);
 * ```
 */
export function nlgExamplesSection(input: NlgReportInput, count = 3): ReportSection {
  const rows: TableRow[] = [];
  const bySeed = [...input.runs].sort((a, b) => a.spec.seed - b.spec.seed);
  const first = bySeed[0];
  for (let i = 0; first !== undefined && i < Math.min(count, first.nlg.generations.length); i++) {
    const g = first.nlg.generations[i]!;
    rows.push({ source: "MR", text: g.mr });
    rows.push({ source: "reference", text: g.references[0] ?? "" });
    for (const method of NLG_METHODS) {
      const run = bySeed.find((r) => r.spec.method === method);
      const h = run?.nlg.generations[i]?.hypothesis;
      if (h !== undefined) rows.push({ source: NLG_METHOD_LABELS[method] ?? method, text: h });
    }
  }
  return {
    heading: "NLG: example generations (beam search, first seed)",
    table: { rows, columns: ["source", "text"] },
  };
}

/**
 * All NLG sections, in report order.
 *
 * @param input The runs, preset and pretraining record.
 * @returns The sections.
 * @example
 * ```ts
 * import { nlgSections } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * assertEquals(nlgSections({ preset: "smoke", runs: [] }).length, 4);
 * ```
 */
export function nlgSections(input: NlgReportInput): ReportSection[] {
  return [
    nlgScaleSection(input),
    nlgTableSection(input),
    nlgCurvesSection(input),
    nlgExamplesSection(input),
  ];
}
