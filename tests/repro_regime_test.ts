import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { REGIME_THRESHOLDS, taskRegime } from "../lib/repro/report/regime.ts";
import type { StoredRun } from "../lib/repro/run/store.ts";

/** A baseline run with the given dev losses and metrics, evaluated evenly over `steps`. */
function longRun(seed: number, devLoss: number[], metric: number[], steps = 400): StoredRun {
  const every = steps / devLoss.length;
  return {
    spec: { task: "t", method: "baseline", seed, rank: 8 },
    specHash: String(seed),
    backend: "cpu",
    record: {
      steps,
      best: { metric: "accuracy", value: Math.max(...metric), step: 0 },
      evaluations: devLoss.map((loss, i) => ({
        step: (i + 1) * every,
        epoch: i + 1,
        loss,
        metrics: { accuracy: metric[i]! },
      })),
      curves: { taskLoss: Array.from({ length: steps }, (_, i) => 1 / (1 + i / 20)) },
    },
  } as unknown as StoredRun;
}

const RISE = [0.6, 0.45, 0.4, 0.45, 0.5, 0.55, 0.6, 0.62];
const PEAK = [0.7, 0.8, 0.82, 0.8, 0.79, 0.78, 0.78, 0.77];

Deno.test("a dev loss that rises while the train loss falls is overfitting", () => {
  const r = taskRegime("t", [longRun(0, RISE, PEAK), longRun(1, RISE.map((x) => x + 0.02), PEAK)]);
  assertEquals(r.overfits, true, r.reason);
  assertAlmostEquals(r.devLossMin!, 0.41, 1e-12);
  assertAlmostEquals(r.devLossLast!, 0.63, 1e-12);
  assertEquals([r.bestStep, r.steps, r.devLossMinStep], [150, 400, 150]);
  assertEquals(r.seeds, [0, 1]);
  assertEquals(r.curve.steps.length, 8);
  assert(r.rule.includes(String(REGIME_THRESHOLDS.devLossRise)));
});

Deno.test("each condition of the regime rule can fail on its own, and says so", () => {
  // Dev loss rises only 10%.
  const flat = taskRegime("t", [longRun(0, RISE.map((x) => Math.min(x, 0.44)), PEAK)]);
  assertEquals(flat.overfits, false);
  assert(flat.reason.includes("below 1.2"), flat.reason);
  // Still improving at the end: under-fitted.
  const rising = taskRegime("t", [longRun(0, RISE, [0.6, 0.65, 0.7, 0.72, 0.74, 0.76, 0.78, 0.8])]);
  assertEquals(rising.overfits, false);
  assert(rising.reason.includes("under-fitted"), rising.reason);
  // Two evaluations cannot show a minimum.
  const short = taskRegime("t", [longRun(0, [0.5, 0.7], [0.8, 0.7])]);
  assertEquals(short.overfits, false);
  assert(short.reason.includes("fewer than 3"), short.reason);
  // No runs at all.
  assertEquals(taskRegime("t", []).reason, "no long baseline run of this task");
});
