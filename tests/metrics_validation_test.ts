import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { accuracy } from "../lib/metrics/accuracy.ts";
import { f1Score } from "../lib/metrics/f1.ts";
import { matthewsCorrelation } from "../lib/metrics/matthews.ts";
import { pearson } from "../lib/metrics/pearson.ts";
import { averageRanks, spearman } from "../lib/metrics/spearman.ts";
import { computeMetrics, NLU_METRIC_NAMES, type NluMetricName } from "../lib/metrics/metric.ts";

const all = [accuracy, f1Score, matthewsCorrelation, pearson, spearman];

Deno.test("every metric rejects unequal lengths, empty and non-finite input", () => {
  for (const fn of all) {
    assertThrows(() => fn([1, 0], [1]), RangeError, "equal lengths, received 2 and 1");
    assertThrows(() => fn([], []), RangeError, "must not be empty");
    assertThrows(() => fn([1, NaN, 0], [1, 0, 1]), RangeError, "received NaN at index 1");
    assertThrows(() => fn([1, 0, 1], [1, 0, Infinity]), RangeError, "received Infinity at index 2");
    assertThrows(() => fn(null as unknown as number[], [1]), TypeError, "received null");
  }
});

Deno.test("classification metrics reject non-class labels", () => {
  assertThrows(() => accuracy([0.5, 1], [1, 1]), RangeError, "received 0.5 at index 0");
  assertThrows(() => matthewsCorrelation([1, -1], [1, 1]), RangeError, "received -1 at index 1");
  assertThrows(() => f1Score([0, 2], [0, 1]), RangeError, "binary labels 0 or 1, received 2");
});

Deno.test("metrics accept typed arrays", () => {
  assertEquals(accuracy(new Int32Array([1, 0, 1]), new Float32Array([1, 1, 1])), 2 / 3);
  assertAlmostEquals(pearson(new Float32Array([1, 2, 4]), [1, 2, 4]), 1);
});

Deno.test("pearson and spearman: constant references throw, constant predictions give 0", () => {
  for (const fn of [pearson, spearman]) {
    assertThrows(() => fn([1, 2, 3], [2, 2, 2]), RangeError, "references are constant");
    assertEquals(fn([0.3, 0.3, 0.3], [1, 2, 3]), 0);
  }
});

Deno.test("pearson is invariant to affine maps and stays in [-1, 1]", () => {
  const x = [0.1, 2.5, -1, 3.3, 0.7, 1.1];
  const y = [1, 2, 0.5, 2.9, 1.3, 0.2];
  const r = pearson(x, y);
  assertAlmostEquals(pearson(x.map((v) => 3 * v - 7), y), r, 1e-12);
  assertAlmostEquals(pearson(x.map((v) => -2 * v), y), -r, 1e-12);
  assertEquals(pearson(x, x), 1);
});

Deno.test("spearman uses average ranks for ties and is monotone-invariant", () => {
  assertEquals(averageRanks([3, 1, 3, 3, 2]), [4, 1, 4, 4, 2]);
  assertEquals(averageRanks([]), []);
  const x = [0.2, 1.5, 0.9, 3, 2.2];
  const y = [1, 3, 2, 5, 4];
  assertAlmostEquals(spearman(x.map(Math.exp), y), 1);
  assertAlmostEquals(spearman(x, y), spearman(x.map((v) => v ** 3), y), 1e-12);
});

Deno.test("computeMetrics computes each named metric and rejects unknown names", () => {
  const p = [1, 0, 1, 1, 0, 1];
  const r = [1, 0, 0, 1, 1, 1];
  const m = computeMetrics(NLU_METRIC_NAMES, p, r);
  assertEquals(m.accuracy, accuracy(p, r));
  assertEquals(m.mcc, matthewsCorrelation(p, r));
  assertEquals(m.spearman, spearman(p, r));
  assertThrows(
    () => computeMetrics(["bleu" as NluMetricName], p, r),
    RangeError,
    'unknown metric "bleu"',
  );
});
