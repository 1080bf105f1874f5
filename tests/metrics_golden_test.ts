// NLU metrics against scipy / scikit-learn values (tests/golden/make_metric_goldens.py).
import { assert, assertAlmostEquals } from "@std/assert";
import { accuracy } from "../lib/metrics/accuracy.ts";
import { f1Score } from "../lib/metrics/f1.ts";
import { matthewsCorrelation } from "../lib/metrics/matthews.ts";
import { pearson } from "../lib/metrics/pearson.ts";
import { spearman } from "../lib/metrics/spearman.ts";

interface GoldenCase {
  name: string;
  kind: "classification" | "regression";
  predictions: number[];
  references: number[];
  accuracy?: number;
  mcc?: number;
  f1?: number;
  pearson?: number;
  spearman?: number;
}

const golden = JSON.parse(
  await Deno.readTextFile(new URL("./golden/metrics.json", import.meta.url)),
) as { cases: GoldenCase[] };

const functions = {
  accuracy,
  mcc: matthewsCorrelation,
  f1: f1Score,
  pearson,
  spearman,
} as const;

Deno.test("metrics golden file covers every metric and kind", () => {
  for (const name of Object.keys(functions) as (keyof typeof functions)[]) {
    assert(golden.cases.filter((c) => c[name] !== undefined).length >= 4, name);
  }
  assert(golden.cases.some((c) => c.name.startsWith("ties")));
});

for (const c of golden.cases) {
  Deno.test(`metrics match scipy/scikit-learn on ${c.name}`, () => {
    let checked = 0;
    for (const [name, fn] of Object.entries(functions)) {
      const expected = c[name as keyof typeof functions];
      if (expected === undefined) continue;
      assertAlmostEquals(fn(c.predictions, c.references), expected, 1e-9, `${c.name} ${name}`);
      checked++;
    }
    assert(checked >= 2);
  });
}
