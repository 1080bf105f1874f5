/**
 * Deciding paired comparisons between methods over pairs (task, seed), with uncertainty.
 *
 * Outcomes, at family-wise α = 0.05 over the comparisons of one claim (Holm–Bonferroni):
 *
 * - `greater` (A is claimed better than B): **reproduced** when the mean paired difference A − B
 *   is positive and its Holm-adjusted paired t-test p < α; **contradicted** when it is negative
 *   and the adjusted p < α; otherwise **inconclusive**, with the smallest difference the pairs
 *   could have detected at 80% power;
 * - `equivalent` (A is claimed to equal B): reproduced when the 95% CI lies inside ± the margin,
 *   contradicted when it excludes 0, otherwise inconclusive (not adjusted: every such comparison
 *   must pass on its own, an intersection-union test);
 * - `noGain` (A is claimed not to beat B): reproduced when the 95% CI's upper end is below the
 *   margin, contradicted when its lower end is above 0, otherwise inconclusive (not adjusted);
 * - `within` (the difference is claimed to lie in a band, e.g. a log time ratio near ln 1.5):
 *   reproduced when the 95% CI lies inside the band, contradicted when it lies entirely outside,
 *   otherwise inconclusive (not adjusted);
 * - fewer than two pairs: **not testable here**.
 *
 * The 95% CIs shown are unadjusted; with several `greater` comparisons the decision uses the
 * Holm-adjusted p, so a CI that barely excludes 0 can still be inconclusive.
 *
 * @module
 */
import { holmAdjust, type PairedInterval, pairedInterval } from "./paired.ts";
import { type Contender, contenderScores, methodsContender, type ScoreKind } from "./selection.ts";
import type { StoredRun } from "../run/store.ts";

/** The four outcomes of a comparison or a claim. */
export type Outcome = "reproduced" | "contradicted" | "inconclusive" | "not testable here";

/** What a comparison claims. */
export type ComparisonKind = "greater" | "equivalent" | "noGain" | "within";

/** One paired observation. */
export interface Pair {
  /** The task. */
  readonly task: string;
  /** The seed. */
  readonly seed: number;
  /** A's score. */
  readonly a: number;
  /** B's score. */
  readonly b: number;
}

/** A comparison to decide. */
export interface ComparisonSpec {
  /** `A − B` in words, e.g. `dropKey-column − baseline`. */
  readonly label: string;
  /** What the paper claims about A against B. */
  readonly kind: ComparisonKind;
  /** The margin of `equivalent` and `noGain` comparisons, in the pairs' units. */
  readonly margin?: number;
  /** The band of a `within` comparison, in the pairs' units. */
  readonly band?: readonly [number, number];
  /** The pairs on the primary score (best dev, the paper's protocol). */
  readonly pairs: readonly Pair[];
  /** The same pairs on the final score, when there is one. */
  readonly finalPairs?: readonly Pair[];
  /** How the settings were chosen. */
  readonly selection: string;
  /** The unit of the differences (default `points`: metric × 100). */
  readonly unit?: string;
}

/** A decided comparison. */
export interface ComparisonResult {
  /** `A − B` in words. */
  readonly label: string;
  /** What was claimed. */
  readonly kind: ComparisonKind;
  /** The outcome. */
  readonly outcome: Outcome;
  /** Number of pairs. */
  readonly n: number;
  /** Tasks the pairs come from. */
  readonly tasks: readonly string[];
  /** Mean difference A − B (null below two pairs). */
  readonly difference: number | null;
  /** Standard deviation of the differences. */
  readonly sd: number | null;
  /** 95% CI of the mean difference (unadjusted). */
  readonly ci95: readonly [number, number] | null;
  /** Paired t-test p-value (two-sided, unadjusted). */
  readonly p: number | null;
  /** Holm-adjusted p over the claim's `greater` comparisons (= p for the other kinds). */
  readonly pHolm: number | null;
  /** Smallest difference these pairs detect at 80% power (α = 0.05), from the measured sd. */
  readonly detectable80: number | null;
  /** The margin used (equivalent / noGain). */
  readonly margin: number | null;
  /** The band used (within). */
  readonly band: readonly [number, number] | null;
  /** The same difference on the final score: mean, CI, p (null without final pairs). */
  readonly final: {
    readonly n: number;
    readonly difference: number;
    readonly ci95: readonly [number, number];
    readonly p: number;
  } | null;
  /** How the settings were chosen. */
  readonly selection: string;
  /** The unit of the differences. */
  readonly unit: string;
}

const ALPHA = 0.05;

function outcomeOf(
  kind: ComparisonKind,
  d: PairedInterval,
  pDecide: number,
  margin: number,
): Outcome {
  if (kind === "greater") {
    if (pDecide < ALPHA) return d.mean > 0 ? "reproduced" : "contradicted";
    return "inconclusive";
  }
  if (kind === "equivalent") {
    if (d.ci[0] > -margin && d.ci[1] < margin) return "reproduced";
    if (d.p < ALPHA) return "contradicted";
    return "inconclusive";
  }
  if (d.ci[1] < margin) return "reproduced";
  if (d.ci[0] > 0) return "contradicted";
  return "inconclusive";
}

function withinOutcome(d: PairedInterval, band: readonly [number, number]): Outcome {
  if (d.ci[0] > band[0] && d.ci[1] < band[1]) return "reproduced";
  if (d.ci[1] < band[0] || d.ci[0] > band[1]) return "contradicted";
  return "inconclusive";
}

/**
 * Decides the comparisons of one claim (Holm over its `greater` comparisons; see the module doc).
 *
 * @param specs The comparisons.
 * @returns One result per comparison, in order.
 * @example
 * ```ts
 * import { decideComparisons } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const pairs = [3.1, 2.9, 3.3, 2.7, 3.0].map((d, seed) => ({ task: "t", seed, a: 80 + d, b: 80 }));
 * const [r] = decideComparisons([{ label: "A − B", kind: "greater", pairs, selection: "fixed" }]);
 * assertEquals(r!.outcome, "reproduced");
 * ```
 */
export function decideComparisons(specs: readonly ComparisonSpec[]): ComparisonResult[] {
  const stats = specs.map((s) =>
    s.pairs.length >= 2 ? pairedInterval(s.pairs.map((p) => p.a - p.b)) : undefined
  );
  const greater = specs.map((s, i) => [s, i] as const).filter(([s, i]) =>
    s.kind === "greater" && stats[i] !== undefined
  );
  const adjusted = holmAdjust(greater.map(([, i]) => stats[i]!.p));
  const pHolm = new Map(greater.map(([, i], j) => [i, adjusted[j]!]));
  return specs.map((s, i) => {
    const d = stats[i];
    const margin = s.kind === "greater" || s.kind === "within" ? null : s.margin ?? null;
    const band = s.kind === "within" ? s.band ?? null : null;
    if (s.kind === "within" && !(band !== null && band[0] < band[1])) {
      throw new RangeError(
        `Cannot decide "${s.label}": a within comparison needs a band [low, high] with low < high, received ${s.band}`,
      );
    }
    if ((s.kind === "equivalent" || s.kind === "noGain") && !(margin !== null && margin > 0)) {
      throw new RangeError(
        `Cannot decide "${s.label}": a ${s.kind} comparison needs a margin > 0, received ${s.margin}`,
      );
    }
    const finalStats = s.finalPairs && s.finalPairs.length >= 2
      ? pairedInterval(s.finalPairs.map((p) => p.a - p.b))
      : undefined;
    const base = {
      label: s.label,
      kind: s.kind,
      n: s.pairs.length,
      tasks: [...new Set(s.pairs.map((p) => p.task))],
      margin,
      band,
      selection: s.selection,
      unit: s.unit ?? "points",
      final: finalStats
        ? { n: finalStats.n, difference: finalStats.mean, ci95: finalStats.ci, p: finalStats.p }
        : null,
    };
    if (d === undefined) {
      return {
        ...base,
        outcome: "not testable here" as const,
        difference: null,
        sd: null,
        ci95: null,
        p: null,
        pHolm: null,
        detectable80: null,
      };
    }
    const pDecide = pHolm.get(i) ?? d.p;
    return {
      ...base,
      outcome: band !== null ? withinOutcome(d, band) : outcomeOf(s.kind, d, pDecide, margin ?? 0),
      difference: d.mean,
      sd: d.sd,
      ci95: d.ci,
      p: d.p,
      pHolm: pDecide,
      detectable80: d.detectable80,
    };
  });
}

/**
 * The paired observations of two contenders: every (task, seed) both have a score on.
 *
 * @param runs Stored runs.
 * @param a The first contender.
 * @param b The second.
 * @param tasks The tasks.
 * @param kind Which score (selection is on best dev scores either way).
 * @returns The pairs and both selection protocols.
 * @example
 * ```ts
 * import { contenderPairs } from "@loradrop/core/repro";
 * import { methodsContender } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const run = (method: string, seed: number, v: number) =>
 *   ({ spec: { task: "t", method, rank: 8, rate: 0, seed }, record: { best: { value: v } } });
 * const runs = [run("a", 0, 0.8), run("b", 0, 0.7), run("a", 1, 0.9)];
 * const p = contenderPairs(runs as never, methodsContender("a", ["a"]), methodsContender("b", ["b"]), ["t"], "best");
 * assertEquals(p.pairs.length, 1);
 * ```
 */
export function contenderPairs(
  runs: readonly StoredRun[],
  a: Contender,
  b: Contender,
  tasks: readonly string[],
  kind: ScoreKind,
): { pairs: Pair[]; selection: string } {
  const sa = contenderScores(runs, a, tasks, kind), sb = contenderScores(runs, b, tasks, kind);
  const pairs: Pair[] = [];
  for (const [key, x] of sa.byPair) {
    const y = sb.byPair.get(key);
    if (y !== undefined) pairs.push({ task: x.task, seed: x.seed, a: x.score, b: y.score });
  }
  return { pairs, selection: `${sa.selection}; ${sb.selection}` };
}

/**
 * A `greater` (or other) comparison of two contenders, on the best and the final dev score.
 *
 * @param runs Stored runs.
 * @param a The contender claimed better (or equal).
 * @param b The other.
 * @param tasks The tasks.
 * @param kind What is claimed (default `greater`).
 * @param margin The margin of `equivalent` / `noGain`.
 * @returns The spec, ready for {@linkcode decideComparisons}.
 * @example
 * ```ts
 * import { contenderComparison } from "@loradrop/core/repro";
 * import { methodsContender } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const c = contenderComparison([], methodsContender("a", ["a"]), methodsContender("b", ["b"]), ["t"]);
 * assertEquals([c.label, c.pairs.length], ["a − b", 0]);
 * ```
 */
export function contenderComparison(
  runs: readonly StoredRun[],
  a: Contender,
  b: Contender,
  tasks: readonly string[],
  kind: ComparisonKind = "greater",
  margin?: number,
): ComparisonSpec {
  const best = contenderPairs(runs, a, b, tasks, "best");
  const final = contenderPairs(runs, a, b, tasks, "final");
  return {
    label: `${a.name} − ${b.name}`,
    kind,
    ...(margin === undefined ? {} : { margin }),
    pairs: best.pairs,
    finalPairs: final.pairs,
    selection: best.selection,
  };
}

/**
 * Each method against the baseline over pairs (task, seed), Holm-corrected across the methods:
 * the question "does this method beat no dropout here?" for any set of stored runs (the
 * reproduction's grid or a user's own task). A method with several rates has its rate chosen by
 * leave-one-seed-out (see `selection.ts`).
 *
 * @param runs Stored runs (rank-8 runs of the methods and of the baseline are used).
 * @param methods The methods to test.
 * @param options `baseline` method name (default `baseline`), `tasks` (default: every task of the runs).
 * @returns One decided comparison per method, `method − baseline`, in points (metric × 100).
 * @example
 * ```ts
 * import { compareWithBaseline } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const run = (method: string, seed: number, v: number) =>
 *   ({ spec: { task: "t", method, rank: 8, rate: method === "baseline" ? 0 : 0.1, seed }, record: { best: { value: v }, final: { value: v } } });
 * const runs = [0, 1, 2, 3, 4].flatMap((s) => [run("baseline", s, 0.70 + s / 100), run("m", s, 0.75 + s / 100)]);
 * assertEquals(compareWithBaseline(runs as never, ["m"])[0]!.outcome, "reproduced");
 * ```
 */
export function compareWithBaseline(
  runs: readonly StoredRun[],
  methods: readonly string[],
  options: { readonly baseline?: string; readonly tasks?: readonly string[] } = {},
): ComparisonResult[] {
  const baselineName = options.baseline ?? "baseline";
  const tasks = options.tasks ?? [...new Set(runs.map((r) => r.spec.task))].sort();
  const baseline = methodsContender(baselineName, [baselineName]);
  return decideComparisons(
    methods.map((m) => contenderComparison(runs, methodsContender(m, [m]), baseline, tasks)),
  );
}
