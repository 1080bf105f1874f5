/**
 * CIDEr-D (Vedantam et al. 2015) as coco-caption's `Cider` scorer computes it (the E2E scorer's
 * "CIDEr").
 *
 * @module
 */
import { checkCorpus, checkNumberOption, countNgrams } from "./_corpus.ts";
import { type NlgTokenize, resolveTokenizer } from "./tokenize.ts";

/** Options of {@linkcode cider}. */
export interface CiderOptions {
  /** Tokeniser, `"coco"` by default (the E2E scorer's PTB tokenisation, approximated). */
  readonly tokenize?: NlgTokenize;
  /** Lower-case before tokenising; `true` by default. */
  readonly lowercase?: boolean;
  /** Highest n-gram order, 4 by default. */
  readonly maxOrder?: number;
  /** σ of the Gaussian length penalty, 6 by default. */
  readonly sigma?: number;
}

/** The result of {@linkcode cider}. */
export interface CiderResult {
  /** The corpus score: the mean of the segment scores (E2E systems score about 2.5). */
  readonly score: number;
  /** One score per segment. */
  readonly segments: readonly number[];
}

interface Vec {
  readonly weights: Map<string, number>[]; // per order (index n−1): n-gram → tf·idf
  readonly norms: number[];
  readonly length: number;
}

/**
 * CIDEr-D exactly as coco-caption's `CiderScorer` (tylin/coco-caption, named "CIDEr" there and in
 * the E2E scorer). For each order n = 1..4, a segment's n-gram vector holds raw counts × idf with
 * idf = log(#segments) − log(max(1, df)), df = the number of segments whose reference set contains
 * the n-gram (references of this test corpus only; the hypothesis is not counted). For each
 * reference: Σ min(h, r)·r / (‖h‖·‖r‖) (clipped cosine), times exp(−δ²/2σ²), σ = 6, where δ is the
 * difference in the number of **bigrams** (coco-caption's `length` counts tokens of order-2 n-grams,
 * i.e. |tokens| − 1, not |tokens|). Segment score = 10 × mean over n of the sum over references /
 * #references; corpus score = mean of segment scores.
 *
 * Difference: where a norm is 0 (e.g. a one-segment corpus, whose idf is log 1 = 0), coco-caption
 * returns NaN; this returns 0 for that order.
 *
 * @param hypotheses One system output per segment.
 * @param references For each segment, its references (their n-grams define the idf).
 * @param options Tokeniser, case folding, order, σ.
 * @returns The corpus score and per-segment scores.
 * @example
 * ```ts
 * import { cider } from "@loradrop/core/nlg";
 * import { assertAlmostEquals } from "@std/assert";
 * // Two segments; "x" is the only unigram, and only n-gram, of segment 0's hypothesis and
 * // reference, so the clipped cosine of order 1 is 1 and the other orders have no n-grams.
 * const r = cider(["x", "y"], [["x"], ["z"]], { tokenize: "whitespace" });
 * assertAlmostEquals(r.segments[0], 10 * (1 / 4), 1e-12);
 * assertAlmostEquals(r.segments[1], 0, 1e-12);
 * ```
 */
export function cider(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: CiderOptions = {},
): CiderResult {
  checkCorpus("CIDEr", hypotheses, references);
  const maxOrder = options.maxOrder ?? 4;
  checkNumberOption("CIDEr", "maxOrder", maxOrder, 1, 100, true);
  const sigma = options.sigma ?? 6;
  checkNumberOption("CIDEr", "sigma", sigma, Number.MIN_VALUE, Number.MAX_VALUE);
  const tok = resolveTokenizer(options.tokenize ?? "coco", options.lowercase ?? true, "CIDEr");

  const count = (tokens: readonly string[]): Map<string, number>[] => {
    const out: Map<string, number>[] = [];
    for (let n = 1; n <= maxOrder; n++) out.push(countNgrams(tokens, n));
    return out;
  };
  const hypCounts = hypotheses.map((h) => count(tok(h)));
  const refCounts = references.map((rs) => rs.map((r) => count(tok(r))));

  // Document frequency: in how many segments' reference sets an n-gram occurs.
  const df = new Map<string, number>();
  for (const rs of refCounts) {
    const seen = new Set<string>();
    for (const orders of rs) for (const m of orders) for (const k of m.keys()) seen.add(k);
    for (const k of seen) df.set(k, (df.get(k) ?? 0) + 1);
  }
  const logDocs = Math.log(hypotheses.length);

  const toVec = (orders: Map<string, number>[]): Vec => {
    const weights = orders.map((m) => {
      const w = new Map<string, number>();
      for (const [k, tf] of m) w.set(k, tf * (logDocs - Math.log(Math.max(1, df.get(k) ?? 0))));
      return w;
    });
    const norms = weights.map((w) => Math.sqrt([...w.values()].reduce((s, v) => s + v * v, 0)));
    // coco-caption's `length`: the summed counts of order-2 n-grams.
    const bigrams = orders[1];
    const length = bigrams === undefined ? 0 : [...bigrams.values()].reduce((s, c) => s + c, 0);
    return { weights, norms, length };
  };

  const segments = hypCounts.map((orders, i) => {
    const hyp = toVec(orders);
    const perOrder = new Array<number>(maxOrder).fill(0);
    const refs = refCounts[i]!;
    for (const refOrders of refs) {
      const ref = toVec(refOrders);
      const delta = hyp.length - ref.length;
      const penalty = Math.exp(-(delta * delta) / (2 * sigma * sigma));
      for (let n = 0; n < maxOrder; n++) {
        const denom = hyp.norms[n]! * ref.norms[n]!;
        if (denom === 0) continue;
        let dot = 0;
        for (const [k, h] of hyp.weights[n]!) {
          const r = ref.weights[n]!.get(k) ?? 0;
          dot += Math.min(h, r) * r;
        }
        perOrder[n]! += (dot / denom) * penalty;
      }
    }
    const mean = perOrder.reduce((s, v) => s + v, 0) / maxOrder;
    return (10 * mean) / refs.length;
  });
  const score = segments.reduce((s, v) => s + v, 0) / segments.length;
  return { score, segments };
}
