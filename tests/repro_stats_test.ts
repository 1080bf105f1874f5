import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { median, pairedComparison, sampleStd } from "../lib/repro/report/stats.ts";

interface GoldenCase {
  a: number[];
  b: number[];
  median_a: number;
  std_a: number;
  t_p: number;
  wilcoxon_p: number;
}
const golden = JSON.parse(
  await Deno.readTextFile(new URL("./golden/stats_golden.json", import.meta.url)),
) as { cases: GoldenCase[] };

Deno.test("median, std and paired tests match scipy", () => {
  for (const c of golden.cases) {
    assertAlmostEquals(median(c.a), c.median_a, 1e-12);
    assertAlmostEquals(sampleStd(c.a), c.std_a, 1e-12);
    const r = pairedComparison(c.a, c.b);
    assertAlmostEquals(r.tTestP, c.t_p, 1e-9);
    assertAlmostEquals(r.wilcoxonP, c.wilcoxon_p, 1e-9);
  }
});

Deno.test("pairedComparison handles identical runs and rejects bad input", () => {
  assertEquals(pairedComparison([1, 2, 3], [1, 2, 3]).tTestP, 1);
  // One non-zero difference (two seeds, one tie): Wilcoxon's exact two-sided p is 1, no throw.
  assertEquals(pairedComparison([0.5, 0.52], [0.5, 0.54]).wilcoxonP, 1);
  assertThrows(() => pairedComparison([1, 2], [1]), RangeError, "received 2 and 1");
  assertThrows(() => pairedComparison([1], [1]), RangeError, "at least 2 pairs");
  assertThrows(() => median([]), RangeError, "received none");
  assertThrows(() => median([1, NaN]), RangeError, "received NaN");
});
