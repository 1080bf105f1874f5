/**
 * The evaluation metrics of the GLUE-style tasks: accuracy, F1, Matthews correlation, Pearson and
 * Spearman correlation, and the task-to-metric table.
 *
 * @example
 * ```ts
 * import { accuracy } from "@loradrop/core/metrics";
 * import { assertEquals } from "@std/assert";
 * assertEquals(accuracy([1, 0, 1, 1], [1, 1, 1, 0]), 0.5);
 * ```
 *
 * @module
 */
export * from "./accuracy.ts";
export * from "./f1.ts";
export * from "./matthews.ts";
export * from "./pearson.ts";
export * from "./spearman.ts";
export * from "./metric.ts";
