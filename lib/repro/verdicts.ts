/**
 * One verdict per paper claim (`docs/claims.md`), decided by rules over the reproduced numbers —
 * never written by hand. Each rule is stated in the verdict's `rule` so a reader can check it.
 *
 * @module
 */
import { PAPER_CLAIMS } from "./paper_tables.ts";
import { costTable, type MethodTable, methodTable, rankCurve, rateCurve } from "./analysis.ts";
import type { StoredRun } from "./store.ts";

/** The three possible verdicts. */
export type Verdict = "reproduced" | "not reproduced" | "not testable here";

/** A claim's verdict with its rule and the numbers behind it. */
export interface ClaimVerdict {
  /** The claim's number in `docs/claims.md`. */
  readonly claim: number;
  /** The claim. */
  readonly text: string;
  /** The verdict. */
  readonly verdict: Verdict;
  /** The rule applied. */
  readonly rule: string;
  /** The numbers it was applied to. */
  readonly evidence: string;
}

/** Results of the numerical DropKey-vs-DropAttention experiment (claims 2 and 3). */
export interface EquivalenceEvidence {
  /** Max |DropKey − DropAttention (normalised)| over attention weights. */
  readonly forwardMaxDiff: number;
  /** Max |DropKey − DropAttention with 1/(1−p) rescaling| (should be large). */
  readonly inverseKeepMaxDiff: number;
  /** Max relative error between measured gradient ratios and the paper's k. */
  readonly kMaxRelError: number;
  /** Largest measured k (must be < 1). */
  readonly kMax: number;
  /** Max |∂w'_u/∂g_m| over dropped m, DropAttention with NoGrad (must be > 0). */
  readonly droppedGradMax: number;
  /** Max |gradient difference| between DropKey and DropAttention without NoGrad (≈ 0). */
  readonly noNoGradMaxDiff: number;
}

const fmt = (x: number | undefined, d = 2) => x === undefined ? "n/a" : x.toFixed(d);

function avgOf(table: MethodTable, method: string): number | undefined {
  return table.rows.find((r) => r.method === method)?.avg;
}

function bestOf(table: MethodTable, methods: readonly string[]): [string, number] | undefined {
  let best: [string, number] | undefined;
  for (const m of methods) {
    const a = avgOf(table, m);
    if (a !== undefined && (best === undefined || a > best[1])) best = [m, a];
  }
  return best;
}

function verdict(
  claim: number,
  ok: boolean | undefined,
  rule: string,
  evidence: string,
): ClaimVerdict {
  return {
    claim,
    text: PAPER_CLAIMS[claim]!,
    verdict: ok === undefined ? "not testable here" : ok ? "reproduced" : "not reproduced",
    rule,
    evidence,
  };
}

function slope(x: readonly number[], y: readonly number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length, my = y.reduce((a, b) => a + b, 0) / y.length;
  let num = 0, den = 0;
  for (let i = 0; i < x.length; i++) {
    num += (x[i]! - mx) * (y[i]! - my);
    den += (x[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Decides every claim that the stored runs (and the equivalence experiment) can speak to.
 *
 * @param runs All stored runs of a reproduction.
 * @param tasks The tasks of the preset (averages are over these).
 * @param equivalence The numerical DropKey/DropAttention results, when computed.
 * @returns One verdict per claim of `PAPER_CLAIMS`, in claim order.
 * @example
 * ```ts
 * import { evaluateClaims } from "./verdicts.ts";
 * import { assert } from "@std/assert";
 * const v = evaluateClaims([], ["sentiment-low"]);
 * assert(v.every((c) => c.verdict === "not testable here"));
 * ```
 */
export function evaluateClaims(
  runs: readonly StoredRun[],
  tasks: readonly string[],
  equivalence?: EquivalenceEvidence,
): ClaimVerdict[] {
  const dk = ["dropKey-element", "dropKey-column", "dropKey-span"];
  const da = ["dropAttention-element", "dropAttention-column", "dropAttention-span"];
  const hc = [
    "hiddenCut-element",
    "hiddenCut-column-feature",
    "hiddenCut-column-token",
    "hiddenCut-span",
  ];
  const extra = [
    "hiddenKey-minus",
    "hiddenKey",
    "hiddenKey-minus+js",
    "hiddenKey-minus+input",
    "hiddenKey-minus+output",
  ];
  const table = methodTable(runs, ["baseline", ...dk, ...da, ...hc, ...extra], tasks);
  const out: ClaimVerdict[] = [];

  // 1. Rank sweep.
  {
    const c = rankCurve(runs, tasks[0] ?? "");
    let ok: boolean | undefined;
    if (c.x.length >= 3) {
      const iMax = c.y.indexOf(c.y.reduce((m, y) => Math.max(m, y), -Infinity));
      ok = iMax > 0 && iMax < c.y.length - 1;
    }
    out.push(verdict(
      1,
      ok,
      "with ≥ 3 ranks, the best median dev score lies at an interior rank (rises, then falls)",
      c.x.map((r, i) => `r=${r}: ${fmt(c.y[i])}`).join(", ") || "no rank-sweep runs",
    ));
  }
  // 2, 3. Numerical equivalence.
  if (equivalence) {
    const e = equivalence;
    out.push(verdict(
      2,
      e.forwardMaxDiff < 1e-5 && e.inverseKeepMaxDiff > 1e-3,
      "max |DropKey − DropAttention| < 1e-5 with normalised rescaling and > 1e-3 with 1/(1−p)",
      `normalised: ${e.forwardMaxDiff.toExponential(2)}, 1/(1−p): ${
        e.inverseKeepMaxDiff.toExponential(2)
      }`,
    ));
    out.push(verdict(
      3,
      e.kMaxRelError < 1e-3 && e.kMax < 1 && e.droppedGradMax > 0 && e.noNoGradMaxDiff < 1e-6,
      "gradient ratio = paper's k (rel. err. < 1e-3), k < 1, ∂w'_u/∂g_m ≠ 0 with NoGrad, equal gradients without",
      `k rel. err. ${e.kMaxRelError.toExponential(2)}, max k ${
        fmt(e.kMax, 4)
      }, dropped-logit grad ${e.droppedGradMax.toExponential(2)}, no-NoGrad diff ${
        e.noNoGradMaxDiff.toExponential(2)
      }`,
    ));
  } else {
    out.push(verdict(2, undefined, "needs the equivalence experiment", "not run"));
    out.push(verdict(3, undefined, "needs the equivalence experiment", "not run"));
  }
  // 4. Every method beats the baseline; DropKey > HiddenCut > DropAttention.
  {
    const base = avgOf(table, "baseline");
    const bk = bestOf(table, dk), bh = bestOf(table, hc), ba = bestOf(table, da);
    const singles = [...dk, ...da, ...hc].map((m) => [m, avgOf(table, m)] as const).filter((
      [, a],
    ) => a !== undefined);
    const ok = base === undefined || !bk || !bh || !ba
      ? undefined
      : singles.every(([, a]) => a! > base) && bk[1] > bh[1] && bh[1] > ba[1];
    out.push(verdict(
      4,
      ok,
      "every single-position method's average > baseline's, and best DropKey > best HiddenCut > best DropAttention",
      `baseline ${fmt(base)}; best DropKey ${
        bk ? `${bk[0]} ${fmt(bk[1])}` : "n/a"
      }, best HiddenCut ${bh ? `${bh[0]} ${fmt(bh[1])}` : "n/a"}, best DropAttention ${
        ba ? `${ba[0]} ${fmt(ba[1])}` : "n/a"
      }; below baseline: ${
        singles.filter(([, a]) => base !== undefined && a! <= base).map(([m]) => m).join(", ") ||
        "none"
      }`,
    ));
  }
  // 5, 6. Best patterns.
  for (
    const [claim, family, expected] of [[5, dk, "dropKey-column"], [
      6,
      hc,
      "hiddenCut-element",
    ]] as const
  ) {
    const present = family.filter((m) => avgOf(table, m) !== undefined);
    const best = bestOf(table, family);
    out.push(verdict(
      claim,
      present.length >= 2 && present.includes(expected) ? best![0] === expected : undefined,
      `among ≥ 2 measured patterns, ${expected} has the highest average`,
      present.map((m) => `${m} ${fmt(avgOf(table, m))}`).join(", ") || "no runs",
    ));
  }
  // 7. DropAttention degrades faster with the rate.
  {
    const slopes = (family: readonly string[]) =>
      family.flatMap((m) =>
        tasks.map((t) => rateCurve(runs, m, t)).filter((c) => c.x.length >= 3).map((c) =>
          slope(c.x, c.y)
        )
      );
    const sk = slopes(dk), sa = slopes(da);
    const mk = sk.length ? sk.reduce((a, b) => a + b) / sk.length : undefined;
    const ma = sa.length ? sa.reduce((a, b) => a + b) / sa.length : undefined;
    out.push(verdict(
      7,
      mk === undefined || ma === undefined ? undefined : ma < mk,
      "mean slope of score against rate (≥ 3 rates) is lower for DropAttention than for DropKey",
      `DropKey slope ${fmt(mk)}, DropAttention slope ${fmt(ma)} (points per unit rate)`,
    ));
  }
  // 8. HiddenKey⁻ beats its parts.
  {
    const m = avgOf(table, "hiddenKey-minus"),
      c = avgOf(table, "dropKey-column"),
      e = avgOf(table, "hiddenCut-element");
    out.push(verdict(
      8,
      m === undefined || c === undefined || e === undefined ? undefined : m > c && m > e,
      "HiddenKey⁻ average > column DropKey's and > element HiddenCut's",
      `HiddenKey⁻ ${fmt(m)}, DropKey-column ${fmt(c)}, HiddenCut-element ${fmt(e)}`,
    ));
  }
  // 9. KL improves every task; JS leaves the average unchanged.
  {
    const row = (m: string) => table.rows.find((r) => r.method === m);
    const minus = row("hiddenKey-minus"), kl = row("hiddenKey"), js = row("hiddenKey-minus+js");
    let ok: boolean | undefined;
    let evidence = "needs HiddenKey⁻, HiddenKey and HiddenKey⁻+JS on every task";
    if (minus?.avg !== undefined && kl?.avg !== undefined && js?.avg !== undefined) {
      const klEvery = tasks.every((t) =>
        kl.cells[t]!.summary.median > minus.cells[t]!.summary.median
      );
      const stds = tasks.flatMap((t) => [minus.cells[t]!.summary.std, js.cells[t]!.summary.std]);
      const tolerance = Math.max(0.1, stds.reduce((a, b) => a + b, 0) / stds.length);
      const jsSame = Math.abs(js.avg - minus.avg) <= tolerance;
      ok = klEvery && jsSame;
      evidence = `KL better on every task: ${klEvery} (${
        tasks.map((t) =>
          `${t} ${fmt(minus.cells[t]!.summary.median)}→${fmt(kl.cells[t]!.summary.median)}`
        ).join(", ")
      }); JS average ${fmt(js.avg)} vs ${fmt(minus.avg)} (tolerance ±${
        fmt(tolerance)
      } = mean seed std)`;
    }
    out.push(verdict(
      9,
      ok,
      "HiddenKey > HiddenKey⁻ on every task, and |avg(+JS) − avg(HiddenKey⁻)| ≤ the mean seed std",
      evidence,
    ));
  }
  // 10. HiddenKey beats the baseline on average.
  {
    const h = avgOf(table, "hiddenKey"), b = avgOf(table, "baseline");
    out.push(verdict(
      10,
      h === undefined || b === undefined ? undefined : h > b,
      "HiddenKey average > baseline average",
      `HiddenKey ${fmt(h)}, baseline ${fmt(b)}, difference ${
        h !== undefined && b !== undefined ? fmt(h - b) : "n/a"
      }`,
    ));
  }
  // 11. + input / + output give no consistent gain.
  {
    const row = (m: string) => table.rows.find((r) => r.method === m);
    const minus = row("hiddenKey-minus");
    const parts: string[] = [];
    let ok: boolean | undefined;
    for (const m of ["hiddenKey-minus+input", "hiddenKey-minus+output"]) {
      const r = row(m);
      if (!minus?.avg || r?.avg === undefined) continue;
      const gainsEverywhere = tasks.every((t) =>
        r.cells[t]!.summary.median > minus.cells[t]!.summary.median
      );
      ok = (ok ?? true) && !gainsEverywhere;
      parts.push(
        `${m}: gains on every task ${gainsEverywhere} (avg ${fmt(r.avg)} vs ${fmt(minus.avg)})`,
      );
    }
    out.push(verdict(
      11,
      ok,
      "neither + input nor + output beats HiddenKey⁻ on every task",
      parts.join("; ") || "needs HiddenKey⁻ + input / + output runs",
    ));
  }
  // 16. Cost.
  {
    const cost = costTable(runs, ["baseline", "hiddenKey-minus", "hiddenKey"]);
    const rel = (m: string) => cost.find((c) => c.method === m)?.relativeToBaseline;
    const k = rel("hiddenKey"), km = rel("hiddenKey-minus");
    out.push(verdict(
      16,
      k === undefined || km === undefined ? undefined : k >= 1.3 && k <= 1.7 && km <= 1.15,
      "HiddenKey's step time is 1.3–1.7× the baseline's and HiddenKey⁻'s ≤ 1.15×",
      `HiddenKey ${fmt(k)}×, HiddenKey⁻ ${fmt(km)}×`,
    ));
  }
  return out.sort((a, b) => a.claim - b.claim);
}
