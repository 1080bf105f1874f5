/**
 * Corpus NIST (Doddington 2002) with several references per hypothesis.
 *
 * @module
 */
import {
  checkCorpus,
  checkNumberOption,
  countNgrams,
  maxNgramCounts,
  ngramPrefix,
} from "./_corpus.ts";
import { type NlgTokenize, resolveTokenizer } from "./tokenize.ts";

/** Options of {@linkcode corpusNist}. */
export interface NistOptions {
  /** Tokeniser, `"13a"` by default (the E2E scorer's mteval tokenisation). */
  readonly tokenize?: NlgTokenize;
  /** Lower-case before tokenising; `true` by default (the E2E scorer is case-insensitive). */
  readonly lowercase?: boolean;
  /** Highest n-gram order, 5 by default. */
  readonly maxOrder?: number;
  /**
   * `"e2e"` (default): the E2E challenge scorer (`pymteval`, mteval-v13a-compatible): matches
   * clipped by the largest count in any one reference, length penalty against the average
   * reference length. `"nltk"`: nltk's `corpus_nist`: per order, the single reference with the
   * best information-weighted precision, length penalty against the lengths of those references.
   */
  readonly variant?: "e2e" | "nltk";
}

/** NIST's β: the length penalty is 0.5 when the output is 2/3 of the reference length. */
const NIST_BETA = -Math.log(0.5) / Math.log(1.5) ** 2;

function lengthPenalty(sys: number, ref: number): number {
  const ratio = ref > 0 ? sys / ref : 1;
  if (ratio >= 1) return 1;
  if (ratio <= 0) return 0;
  return Math.exp(-NIST_BETA * Math.log(ratio) ** 2);
}

/**
 * Corpus-level NIST: Σ over orders n of (Σ info(matched n-grams) / number of hypothesis n-grams),
 * times the length penalty exp(−β·log²(min(c/r, 1))), β = −ln 0.5 / ln² 1.5. The information
 * weight of an n-gram is log₂(count(w₁…wₙ₋₁) / count(w₁…wₙ)) over all references of the corpus
 * (count of the empty prefix = the total number of reference words).
 *
 * Differences: an order with no hypothesis n-gram adds 0 (the scorers divide by zero), and
 * hypothesis n-gram totals are clipped at 0 (pymteval counts len − n + 1 even when negative).
 *
 * @param hypotheses One system output per segment.
 * @param references For each segment, its references.
 * @param options Tokeniser, case folding, maximum order, variant.
 * @returns The NIST score (≥ 0; E2E systems score about 8-9).
 * @example
 * ```ts
 * import { corpusNist } from "@loradrop/core/nlg";
 * import { assertAlmostEquals } from "@std/assert";
 * // refs "a b" and "a c": 4 words; info(a) = log2(4/2) = 1, info(b) = log2(4/1) = 2,
 * // info(a b) = log2(count(a)/count(a b)) = log2(2/1) = 1. Hypothesis "a b": (1 + 2)/2 + 1/1.
 * assertAlmostEquals(corpusNist(["a b"], [["a b", "a c"]], { maxOrder: 2 }), 2.5, 1e-12);
 * ```
 */
export function corpusNist(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: NistOptions = {},
): number {
  checkCorpus("NIST", hypotheses, references);
  const maxOrder = options.maxOrder ?? 5;
  checkNumberOption("NIST", "maxOrder", maxOrder, 1, 100, true);
  const variant = options.variant ?? "e2e";
  if (variant !== "e2e" && variant !== "nltk") {
    throw new TypeError(
      `Cannot compute NIST: variant must be "e2e" or "nltk", received ${String(variant)}`,
    );
  }
  const tok = resolveTokenizer(options.tokenize ?? "13a", options.lowercase ?? true, "NIST");
  const hyps = hypotheses.map(tok);
  const refs = references.map((rs) => rs.map(tok));

  // Reference n-gram counts over the whole corpus; "" is the empty prefix (all reference words).
  const refCounts = new Map<string, number>([["", 0]]);
  for (const rs of refs) {
    for (const ref of rs) {
      refCounts.set("", refCounts.get("")! + ref.length);
      for (let n = 1; n <= maxOrder; n++) {
        for (const [k, c] of countNgrams(ref, n)) refCounts.set(k, (refCounts.get(k) ?? 0) + c);
      }
    }
  }
  const info = (key: string): number => {
    const c = refCounts.get(key);
    return c === undefined ? 0 : Math.log2(refCounts.get(ngramPrefix(key))! / c);
  };

  let sum = 0;
  if (variant === "e2e") {
    let sys = 0;
    let avgRef = 0;
    for (let i = 0; i < hyps.length; i++) {
      const hyp = hyps[i]!;
      const rs = refs[i]!;
      sys += hyp.length;
      avgRef += rs.reduce((s, r) => s + r.length, 0) / rs.length;
    }
    for (let n = 1; n <= maxOrder; n++) {
      let hitInfo = 0;
      let total = 0;
      for (let i = 0; i < hyps.length; i++) {
        const clip = maxNgramCounts(refs[i]!, n);
        for (const [k, c] of countNgrams(hyps[i]!, n)) {
          const hits = Math.min(c, clip.get(k) ?? 0);
          if (hits > 0) hitInfo += hits * info(k);
        }
        total += Math.max(0, hyps[i]!.length - n + 1);
      }
      if (total > 0) sum += hitInfo / total;
    }
    return sum * lengthPenalty(sys, avgRef);
  }
  // nltk's corpus_nist.
  let sysLen = 0;
  let refLen = 0;
  for (let n = 1; n <= maxOrder; n++) {
    let num = 0;
    let den = 0;
    for (let i = 0; i < hyps.length; i++) {
      const hyp = hyps[i]!;
      const hypCounts = countNgrams(hyp, n);
      const hypTotal = Math.max(0, hyp.length - n + 1);
      // Best reference by (precision, numerator, denominator, length), lexicographically.
      let best: [number, number, number, number] | undefined;
      for (const ref of refs[i]!) {
        const refNgrams = countNgrams(ref, n);
        let numerator = 0;
        for (const [k, c] of hypCounts) {
          const overlap = Math.min(c, refNgrams.get(k) ?? 0);
          if (overlap > 0) numerator += info(k) * overlap;
        }
        const cand: [number, number, number, number] = [
          hypTotal === 0 ? 0 : numerator / hypTotal,
          numerator,
          hypTotal,
          ref.length,
        ];
        if (best === undefined || lexGreater(cand, best)) best = cand;
      }
      num += best![1];
      den += best![2];
      refLen += best![3];
      sysLen += hyp.length;
    }
    if (den > 0) sum += num / den;
  }
  return sum * lengthPenalty(sysLen, refLen);
}

function lexGreater(a: readonly number[], b: readonly number[]): boolean {
  for (let k = 0; k < a.length; k++) {
    if (a[k]! !== b[k]!) return a[k]! > b[k]!;
  }
  return false;
}
