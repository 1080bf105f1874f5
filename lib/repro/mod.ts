/**
 * The reproduction of the paper: its experiments as data (presets `smoke`, `quick`, `full`,
 * `paper`), running and caching them, the statistics and verdicts over seeds, the paper's published
 * numbers, the report's sections, the equivalence measurements of claims 2-3, the cost model, and
 * the helpers the notebooks use to run and show the same experiments.
 *
 * @example
 * ```ts
 * import { median, reproExperiments } from "@loradrop/core/repro";
 * import { assert, assertEquals } from "@std/assert";
 * assertEquals(median([3, 1, 2, 10]), 2.5);
 * assert(reproExperiments("smoke").length > 0);
 * ```
 *
 * @module
 */
export * from "./experiments.ts";
export * from "./store.ts";
export * from "./run_lock.ts";
export {
  type CostRow,
  costTable,
  type MethodTable,
  methodTable,
  rankCurve,
  rateCurve,
  runScore,
  runsOfExperiments,
  type ScoreCurve,
  type SeedSummary,
  selectRuns,
  type SignificanceRow,
  significanceTable,
  summarizeSeeds,
  type TableCell as MethodTableCell,
  type TrainingCurve,
  trainingCurve,
} from "./analysis.ts";
export * from "./scheduler.ts";
export * from "./worker_permissions.ts";
export * from "./execute.ts";
export * from "./stats.ts";
export * from "./paper_tables.ts";
export * from "./verdicts.ts";
export * from "./paired.ts";
export * from "./regime.ts";
export * from "./selection.ts";
export * from "./comparisons.ts";
export * from "./evidence_files.ts";
export * from "./evidence_sections.ts";
export * from "./known_evidence.ts";
export * from "./reference.ts";
export * from "./csv_tables.ts";
export * from "./task_data.ts";
export * from "./user_experiments.ts";
export * from "./user_verdicts.ts";
export * from "./user_report.ts";
export * from "./sections.ts";
export * from "./equivalence.ts";
export * from "./notebook_runner.ts";
export * from "../perf/flops.ts";
