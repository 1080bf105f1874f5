import { assertAlmostEquals, assertEquals } from "@std/assert";
import { costTable, methodTable, rankCurve } from "../lib/repro/report/analysis.ts";
import type { StoredRun } from "../lib/repro/run/store.ts";
import type { RunSpec } from "../lib/repro/plan/run_spec.ts";

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

Deno.test("rank curve and cost table are computed from records", () => {
  const runs = [1, 4, 16].flatMap((rank) =>
    [0, 1].map((seed) => fakeRun({ rank, seed, alpha: 2 * rank }, rank === 4 ? 0.9 : 0.8))
  );
  const c = rankCurve(runs, "t1");
  assertEquals(c.x, [1, 4, 16]);
  const cost = costTable([fakeRun({}, 0.8, 4), fakeRun({ method: "hiddenKey" }, 0.8, 2)], [
    "baseline",
    "hiddenKey",
  ]);
  assertAlmostEquals(cost[1]!.relativeToBaseline!, 2, 1e-12);
});
