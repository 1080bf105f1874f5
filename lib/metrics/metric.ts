/**
 * NLU metrics by name, as named in task cards.
 *
 * @module
 */
import { accuracy } from "./accuracy.ts";
import { f1Score } from "./f1.ts";
import { matthewsCorrelation } from "./matthews.ts";
import { pearson } from "./pearson.ts";
import { spearman } from "./spearman.ts";

/** The names of the NLU metrics. */
export type NluMetricName = "accuracy" | "f1" | "mcc" | "pearson" | "spearman";

/** Every NLU metric name, in a fixed order. */
export const NLU_METRIC_NAMES: readonly NluMetricName[] = [
  "accuracy",
  "f1",
  "mcc",
  "pearson",
  "spearman",
];

const FUNCTIONS: Record<NluMetricName, (p: ArrayLike<number>, r: ArrayLike<number>) => number> = {
  accuracy,
  f1: f1Score,
  mcc: matthewsCorrelation,
  pearson,
  spearman,
};

/**
 * Computes the named metrics of one set of predictions.
 *
 * @param names Metric names (see {@linkcode NLU_METRIC_NAMES}).
 * @param predictions Predicted class indices (classification) or values (regression).
 * @param references Reference labels, same length.
 * @returns A record from metric name to value.
 * @example
 * ```ts
 * import { computeMetrics } from "@loradrop/core/metrics";
 * import { assertEquals } from "@std/assert";
 * assertEquals(computeMetrics(["accuracy", "f1"], [1, 0], [1, 1]), { accuracy: 0.5, f1: 2 / 3 });
 * ```
 */
export function computeMetrics<N extends NluMetricName>(
  names: readonly N[],
  predictions: ArrayLike<number>,
  references: ArrayLike<number>,
): Record<N, number> {
  const out = {} as Record<N, number>;
  for (const name of names) {
    const fn = FUNCTIONS[name];
    if (fn === undefined) {
      throw new RangeError(
        `Cannot compute metrics: unknown metric "${String(name)}", expected one of ${
          NLU_METRIC_NAMES.join(", ")
        }`,
      );
    }
    out[name] = fn(predictions, references);
  }
  return out;
}
