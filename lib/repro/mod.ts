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
export * from "./plan/run_spec.ts";
export * from "./plan/experiments.ts";
export { hasConsistency } from "./plan/method_fields.ts";
export * from "./run/store.ts";
export * from "./run/run_lock.ts";
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
} from "./report/analysis.ts";
export * from "./run/scheduler.ts";
export * from "./run/worker_permissions.ts";
export * from "./run/execute.ts";
export * from "./report/stats.ts";
export * from "./report/paper_tables.ts";
export * from "./report/verdicts.ts";
export * from "./report/paired.ts";
export * from "./report/regime.ts";
export * from "./report/selection.ts";
export * from "./report/comparisons.ts";
export * from "./report/evidence_files.ts";
export * from "./report/evidence_sections.ts";
export * from "./report/known_evidence.ts";
export * from "./report/reference.ts";
export * from "./report/csv_tables.ts";
export * from "./run/task_data.ts";
export * from "./plan/user_experiments.ts";
export * from "./report/user_verdicts.ts";
export * from "./report/user_report.ts";
export * from "./report/sections.ts";
export * from "./report/equivalence.ts";
export * from "./report/notebook_runner.ts";
export * from "../perf/flops.ts";
