import { assertAlmostEquals, assertEquals } from "@std/assert";
import { costTable, methodTable, rankCurve } from "../lib/repro/analysis.ts";
import { evaluateClaims } from "../lib/repro/verdicts.ts";
import type { StoredRun } from "../lib/repro/store.ts";
import type { RunSpec } from "../lib/repro/experiments.ts";

function fakeRun(spec: Partial<RunSpec>, best: number, stepsPerSecond = 2): StoredRun {
  const full: RunSpec = {
    task: "t1",
    model: "use-lite",
    method: "baseline",
    rate: 0,
    klWeight: 0,
    rank: 8,
    alpha: 16,
    seed: 0,
    steps: 10,
    batchSize: 4,
    learningRate: 1e-3,
    evalEvery: 5,
    maxLength: 8,
    ...spec,
  };
  return {
    spec: full,
    specHash: JSON.stringify(full),
    backend: "cpu",
    record: {
      best: { metric: "accuracy", value: best, step: 5 },
      stepsPerSecond,
      tokensPerSecond: 100,
      peakMemory: { numBytes: 2 ** 20, numTensors: 10 },
      evaluations: [],
      curves: { loss: [], taskLoss: [], consistencyLoss: [], gradNorm: [], lr: [] },
    } as unknown as StoredRun["record"],
  };
}

Deno.test("methodTable picks each method's best rate by median over seeds", () => {
  const runs = [
    ...[0, 1, 2].map((seed) =>
      fakeRun({ method: "dropKey-column", rate: 0.1, seed }, 0.8 + seed / 100)
    ),
    ...[0, 1, 2].map((seed) => fakeRun({ method: "dropKey-column", rate: 0.2, seed }, 0.7)),
  ];
  const table = methodTable(runs, ["dropKey-column"], ["t1"]);
  const cell = table.rows[0]!.cells["t1"]!;
  assertEquals(cell.rate, 0.1);
  assertAlmostEquals(cell.summary.median, 81, 1e-9);
  assertAlmostEquals(table.rows[0]!.avg!, 81, 1e-9);
});

Deno.test("claim verdicts follow the data in both directions", () => {
  const make = (scores: Record<string, number>) =>
    Object.entries(scores).flatMap(([method, v]) =>
      [0, 1, 2].map((seed) =>
        fakeRun({ method, seed, rate: method === "baseline" ? 0 : 0.1 }, v + seed / 1000)
      )
    );
  const good = make({
    baseline: 0.80,
    "dropKey-element": 0.84,
    "dropKey-column": 0.86,
    "hiddenCut-element": 0.83,
    "hiddenCut-span": 0.82,
    "dropAttention-element": 0.81,
    "hiddenKey-minus": 0.87,
  });
  const v = evaluateClaims(good, ["t1"]);
  const of = (n: number) => v.find((c) => c.claim === n)!.verdict;
  assertEquals(of(4), "reproduced");
  assertEquals(of(5), "reproduced");
  assertEquals(of(6), "reproduced");
  assertEquals(of(8), "reproduced");
  assertEquals(of(9), "not testable here");
  const bad = make({
    baseline: 0.9,
    "dropKey-element": 0.88,
    "dropKey-column": 0.84,
    "hiddenKey-minus": 0.8,
  });
  const w = evaluateClaims(bad, ["t1"]);
  assertEquals(w.find((c) => c.claim === 5)!.verdict, "not reproduced");
});

Deno.test("rank curve and cost table are computed from records", () => {
  const runs = [1, 4, 16].flatMap((rank) =>
    [0, 1].map((seed) => fakeRun({ rank, seed, alpha: 2 * rank }, rank === 4 ? 0.9 : 0.8))
  );
  const c = rankCurve(runs, "t1");
  assertEquals(c.x, [1, 4, 16]);
  const v = evaluateClaims(runs, ["t1"]);
  assertEquals(v.find((x) => x.claim === 1)!.verdict, "reproduced");
  const cost = costTable([fakeRun({}, 0.8, 4), fakeRun({ method: "hiddenKey" }, 0.8, 2)], [
    "baseline",
    "hiddenKey",
  ]);
  assertAlmostEquals(cost[1]!.relativeToBaseline!, 2, 1e-12);
});
