import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { decideComparisons, type Pair } from "../lib/repro/report/comparisons.ts";
import { holmAdjust, pairedInterval, pairsNeeded, tQuantile } from "../lib/repro/report/paired.ts";
import { evaluateClaims } from "../lib/repro/report/verdicts.ts";
import { contenderScores, methodsContender } from "../lib/repro/report/selection.ts";
import type { ExperimentSpec, RunSpec } from "../lib/repro/plan/run_spec.ts";
import type { StoredRun } from "../lib/repro/run/store.ts";

/** Pairs with the given differences a − b around a seed-dependent level (seeds share it). */
function pairsOf(differences: readonly number[], tasks = 1): Pair[] {
  return differences.map((d, i) => ({
    task: `t${i % tasks}`,
    seed: i,
    b: 80 + 3 * Math.sin(i),
    a: 80 + 3 * Math.sin(i) + d,
  }));
}

const decide = (differences: readonly number[]) =>
  decideComparisons([{
    label: "A − B",
    kind: "greater",
    pairs: pairsOf(differences),
    selection: "",
  }])[0]!;

Deno.test("t quantiles match the textbook table of t(0.975, df)", () => {
  const table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262];
  table.forEach((t, i) => assertAlmostEquals(tQuantile(0.975, i + 1), t, 5e-4));
  assertAlmostEquals(tQuantile(0.8, 1e6), 0.8416, 1e-4); // the normal's 80% point
  assertThrows(() => tQuantile(1, 3), RangeError, "received 1");
});

Deno.test("the 95% CI is d̄ ± t·s/√n and excludes 0 exactly when p < 0.05", () => {
  const d = [0.4, 1.9, -0.3, 1.1, 0.8];
  const r = pairedInterval(d);
  const m = d.reduce((a, b) => a + b) / d.length;
  const s = Math.sqrt(d.reduce((a, x) => a + (x - m) ** 2, 0) / (d.length - 1));
  assertAlmostEquals(r.ci[0], m - 2.776445 * s / Math.sqrt(5), 1e-5);
  assertAlmostEquals(r.ci[1], m + 2.776445 * s / Math.sqrt(5), 1e-5);
  for (const shift of [-2, -1, -0.6, 0, 0.3, 0.6, 1, 2]) {
    const x = pairedInterval(d.map((v) => v + shift));
    assertEquals(x.ci[0] > 0 || x.ci[1] < 0, x.p < 0.05, `shift ${shift}`);
  }
  // Detectable difference: (t(0.975) + t(0.8)) · s/√n, ≈ 2.8 s/√n for many pairs.
  const many = pairedInterval(Array.from({ length: 400 }, (_, i) => (i % 2 ? 1 : -1)));
  assertAlmostEquals(many.detectable80, 2.8 * many.sd / 20, 0.01);
  assertEquals(pairsNeeded(1, 1.5), 20);
  assertThrows(() => pairedInterval([1]), RangeError, "at least 2 pairs");
});

Deno.test("pure noise is inconclusive and reports the difference it could have detected", () => {
  // Seed-level noise of ±3 points shared by both methods, and differences that cancel exactly.
  const r = decide([1.3, -1.3, 0.4, -0.4, 2.1, -2.1, 0.9, -0.9]);
  assertEquals(r.outcome, "inconclusive");
  assertAlmostEquals(r.difference!, 0, 1e-12);
  assert(r.ci95![0] < 0 && r.ci95![1] > 0);
  assert(r.detectable80! > 1, `detectable ${r.detectable80}`);
  // A small true effect inside large noise is still not called reproduced.
  const small = decide([0.3 + 2, 0.3 - 2, 0.3 + 1.5, 0.3 - 1.5, 0.3 + 1, 0.3 - 1]);
  assertEquals(small.outcome, "inconclusive");
  assert(small.difference! > 0 && small.detectable80! > small.difference!);
});

Deno.test("a clear effect is reproduced and a reversed one contradicted", () => {
  const effect = [2.1, 1.8, 2.4, 1.6, 2.0, 2.3];
  const up = decide(effect);
  assertEquals(up.outcome, "reproduced");
  assert(up.ci95![0] > 0 && up.p! < 0.05);
  const down = decide(effect.map((d) => -d));
  assertEquals(down.outcome, "contradicted");
  assert(down.ci95![1] < 0);
  // Fewer than two pairs cannot be decided.
  assertEquals(decide([3]).outcome, "not testable here");
});

Deno.test("Holm's correction across a claim's comparisons turns marginal ones inconclusive", () => {
  const marginal1 = [1, 2, 0.5, 0, 1.5, 0.2], marginal2 = [1, 2, 0.6, -0.1, 1.5, 0.3];
  for (const m of [marginal1, marginal2]) {
    const alone = decide(m);
    assert(alone.p! > 0.025 && alone.p! < 0.05, `precondition: p = ${alone.p}`);
    assertEquals(alone.outcome, "reproduced");
  }
  const strong = [2.1, 1.8, 2.4, 1.6, 2.0, 2.3];
  const [s, m1, m2] = decideComparisons([
    { label: "strong", kind: "greater", pairs: pairsOf(strong), selection: "" },
    { label: "marginal 1", kind: "greater", pairs: pairsOf(marginal1), selection: "" },
    { label: "marginal 2", kind: "greater", pairs: pairsOf(marginal2), selection: "" },
  ]);
  assertEquals([s!.outcome, m1!.outcome, m2!.outcome], [
    "reproduced",
    "inconclusive",
    "inconclusive",
  ]);
  assert(m1!.ci95![0] > 0 && m2!.ci95![0] > 0, "their unadjusted CIs still exclude 0");
  // The smaller marginal p is the second smallest of three: × 2; the larger is then ≥ it.
  assertAlmostEquals(m2!.pHolm!, 2 * m2!.p!, 1e-12);
  assertAlmostEquals(m1!.pHolm!, 2 * m2!.p!, 1e-12);
  // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02
  const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
  [0.03, 0.06, 0.06, 0.02].forEach((x, i) => assertAlmostEquals(adjusted[i]!, x, 1e-12));
});

Deno.test("equivalence and no-gain comparisons need their interval inside the margin", () => {
  const tight = [0.1, -0.1, 0.05, -0.05, 0.1, -0.1];
  const [eq] = decideComparisons([
    { label: "JS", kind: "equivalent", margin: 1, pairs: pairsOf(tight), selection: "" },
  ]);
  assertEquals(eq!.outcome, "reproduced");
  const wide = [2, -2, 1.5, -1.5, 1, -1];
  const [wideEq, wideNoGain] = decideComparisons([
    { label: "JS", kind: "equivalent", margin: 1, pairs: pairsOf(wide), selection: "" },
    { label: "+input", kind: "noGain", margin: 1, pairs: pairsOf(wide), selection: "" },
  ]);
  assertEquals([wideEq!.outcome, wideNoGain!.outcome], ["inconclusive", "inconclusive"]);
  const [gain] = decideComparisons([
    {
      label: "+input",
      kind: "noGain",
      margin: 1,
      pairs: pairsOf([2.1, 1.8, 2.4, 1.6]),
      selection: "",
    },
  ]);
  assertEquals(gain!.outcome, "contradicted");
  assertThrows(
    () => decideComparisons([{ label: "x", kind: "equivalent", pairs: [], selection: "" }]),
    RangeError,
    "margin > 0",
  );
});

// ---- claims from constructed run records ----

const BASE: RunSpec = {
  task: "t0",
  model: "use-lite",
  method: "baseline",
  rate: 0,
  klWeight: 0,
  rank: 8,
  alpha: 16,
  seed: 0,
  steps: 100,
  batchSize: 4,
  learningRate: 1e-3,
  evalEvery: 25,
  maxLength: 8,
};

/** A run whose dev metric is `score` (× 100) at every evaluation, with given dev-loss shape. */
function run(spec: Partial<RunSpec>, score: number, devLoss = [0.6, 0.5, 0.5, 0.5]): StoredRun {
  const full = { ...BASE, ...spec };
  const steps = devLoss.map((_, i) => (i + 1) * full.steps / devLoss.length);
  const evaluations = steps.map((step, i) => ({
    step,
    epoch: i + 1,
    loss: devLoss[i]!,
    metrics: { accuracy: (score - (i === 1 ? 0 : 1)) / 100 },
  }));
  return {
    spec: full,
    specHash: JSON.stringify(full),
    backend: "cpu",
    record: {
      evaluations,
      best: { metric: "accuracy", value: score / 100, step: steps[1]! },
      final: { metric: "accuracy", value: (score - 1) / 100, step: steps.at(-1)! },
      steps: full.steps,
      curves: {
        loss: [],
        taskLoss: Array.from({ length: full.steps }, (_, i) => 1 - i / full.steps),
        consistencyLoss: [],
        gradNorm: [],
        lr: [],
      },
      stepsPerSecond: 2,
      tokensPerSecond: 100,
      peakMemory: { numBytes: 2 ** 20, numTensors: 1 },
    } as unknown as StoredRun["record"],
  };
}

const SEEDS = [0, 1, 2, 3, 4, 5];
const TASKS = ["t0", "t1"];
const seedLevel = (task: string, seed: number) => 80 + 3 * Math.sin(seed + task.length);

function grid(effects: Record<string, (seed: number) => number>, overfit: boolean) {
  const runs: StoredRun[] = [];
  for (const task of TASKS) {
    for (const seed of SEEDS) {
      for (const [method, effect] of Object.entries(effects)) {
        runs.push(run(
          { task, seed, method, rate: method === "baseline" ? 0 : 0.1 },
          seedLevel(task, seed) + effect(seed),
        ));
      }
      // The long, frequently evaluated baseline run of the regime check.
      runs.push(run(
        { task, seed, steps: 400, evalEvery: 50 },
        seedLevel(task, seed),
        overfit
          ? [0.6, 0.4, 0.45, 0.5, 0.55, 0.6, 0.62, 0.65]
          : [0.7, 0.6, 0.55, 0.5, 0.48, 0.46, 0.45, 0.44],
      ));
    }
  }
  const experiments: ExperimentSpec[] = [
    {
      id: "framework",
      title: "",
      claims: [],
      runs: runs.filter((r) => r.spec.steps === 100).map((r) => r.spec),
    },
    {
      id: "regime",
      title: "",
      claims: [],
      runs: runs.filter((r) => r.spec.steps === 400).map((r) => r.spec),
    },
  ];
  return { runs, experiments };
}

Deno.test("claim 10 from run records: reproduced, contradicted, inconclusive, not testable", () => {
  const verdictOf = (effect: (seed: number) => number, overfit = true) => {
    const input = grid({ baseline: () => 0, hiddenKey: effect }, overfit);
    return evaluateClaims(input).find((v) => v.claim === 10)!;
  };
  const clear = verdictOf((s) => 1.5 + 0.2 * Math.cos(s));
  assertEquals(clear.verdict, "reproduced");
  assertEquals(clear.n, 12);
  assert(clear.ci95![0] > 0);
  assertEquals(verdictOf((s) => -1.5 - 0.2 * Math.cos(s)).verdict, "contradicted");
  const noise = verdictOf((s) => (s % 2 ? 1 : -1) * (1 + s / 10));
  assertEquals(noise.verdict, "inconclusive");
  assert(noise.ci95![0] < 0 && noise.ci95![1] > 0);
  assert(noise.detectable80! > 0);
  // The same clear effect where the baseline does not overfit: the premise fails.
  const underfit = verdictOf((s) => 1.5 + 0.2 * Math.cos(s), false);
  assertEquals(underfit.verdict, "not testable here");
  assert(underfit.evidence.includes("does not overfit"), underfit.evidence);
});

Deno.test("claim 4 tests every method against the baseline and the family order, with Holm", () => {
  const input = grid({
    baseline: () => 0,
    "dropKey-column": (s) => 3 + 0.1 * s,
    "hiddenCut-element": (s) => 2 + 0.1 * Math.cos(s),
    "dropAttention-element": (s) => 1 + 0.1 * Math.sin(s),
  }, true);
  const v = evaluateClaims(input).find((c) => c.claim === 4)!;
  assertEquals(v.comparisons.length, 5);
  assertEquals(v.verdict, "reproduced");
  assert(v.comparisons.every((c) => c.pHolm! >= c.p!));
  // One family reversed: the order is contradicted.
  const reversed = grid({
    baseline: () => 0,
    "dropKey-column": (s) => 1 + 0.1 * s,
    "hiddenCut-element": (s) => 2 + 0.1 * Math.cos(s),
    "dropAttention-element": (s) => 1.5 + 0.1 * Math.sin(s),
  }, true);
  assertEquals(evaluateClaims(reversed).find((c) => c.claim === 4)!.verdict, "contradicted");
});

Deno.test("leave-one-seed-out selection never reports a seed under its own best rate", () => {
  // Rate 0.2 is better on average; seed 0 alone prefers 0.1 (a lucky run).
  const runs = SEEDS.flatMap((seed) => [
    run({ method: "m", rate: 0.1, seed }, seed === 0 ? 95 : 80),
    run({ method: "m", rate: 0.2, seed }, 85),
  ]);
  const s = contenderScores(runs, methodsContender("m", ["m"]), ["t0"], "best");
  assertEquals(s.byPair.get("t0\u00000")!.setting, "m p=0.2");
  assertEquals(s.byPair.get("t0\u00000")!.score, 85);
  assert(s.selection.includes("leave-one-seed-out"), s.selection);
  const fixed = contenderScores(
    runs.filter((r) => r.spec.rate === 0.1),
    methodsContender("m", ["m"]),
    ["t0"],
    "best",
  );
  assert(fixed.selection.includes("fixed a priori"), fixed.selection);
});

Deno.test("claim 1: the peak rank must beat both ends of the sweep", () => {
  const sweep = (curve: (rank: number) => number) =>
    [1, 4, 16, 64].flatMap((rank) =>
      SEEDS.map((seed) =>
        run(
          { rank, alpha: 2 * rank, seed },
          seedLevel("t0", seed) + curve(rank) + 0.1 * Math.cos(seed * rank),
        )
      )
    );
  const verdict = (runs: StoredRun[]) =>
    evaluateClaims({
      runs,
      experiments: [{ id: "overfit", title: "", claims: [1], runs: runs.map((r) => r.spec) }],
    }).find((v) => v.claim === 1)!;
  const hump = verdict(sweep((r) => (r === 4 || r === 16 ? 3 : 0)));
  assertEquals(hump.verdict, "reproduced");
  assertEquals(hump.comparisons.map((c) => c.label), ["peak rank − r=1", "peak rank − r=64"]);
  assertEquals(verdict(sweep((r) => Math.log2(r))).verdict, "contradicted"); // keeps rising
  assertEquals(
    verdict(sweep(() => 0).filter((r) => r.spec.rank <= 4)).verdict,
    "not testable here",
  );
});

Deno.test("claim 16 pairs step times by (task, seed) and needs the ratio's CI inside its band", () => {
  const timed = (hiddenKeyRatio: number, seeds: readonly number[]) => {
    const runs: StoredRun[] = [];
    for (const task of TASKS) {
      for (const seed of seeds) {
        const jitter = 1 + 0.03 * Math.sin(3 * seed + task.length); // the machine's load, shared by a pair
        for (
          const [method, ratio] of [["baseline", 1], ["hiddenKey-minus", 1.02], [
            "hiddenKey",
            hiddenKeyRatio,
          ]] as const
        ) {
          const r = run({ task, seed, method, rate: method === "baseline" ? 0 : 0.1 }, 80);
          const ms = 200 * ratio * jitter * (1 + 0.01 * Math.cos(seed * ratio));
          runs.push({ ...r, record: { ...r.record, stepsPerSecond: 1000 / ms } });
        }
      }
    }
    const experiments: ExperimentSpec[] = [{
      id: "cost",
      title: "",
      claims: [16],
      runs: runs.map((r) => r.spec),
    }];
    return evaluateClaims({ runs, experiments }).find((v) => v.claim === 16)!;
  };
  const paper = timed(1.5, SEEDS);
  assertEquals(paper.verdict, "reproduced", paper.evidence);
  assert(paper.evidence.includes("HiddenKey / baseline time ratio 1.5"), paper.evidence);
  assertEquals(timed(1.0, SEEDS).verdict, "contradicted");
  assertEquals(timed(1.3, SEEDS).verdict, "inconclusive"); // on the band's edge: the CI straddles it
  assertEquals(paper.difference, null); // the headline fields are in points; the ratios are in the evidence
});
