/**
 * Corpus BLEU (Papineni et al. 2002) with several references per hypothesis.
 *
 * @module
 */
import {
  checkCorpus,
  checkNumberOption,
  clippedMatches,
  countNgrams,
  maxNgramCounts,
} from "./_corpus.ts";
import { type NlgTokenize, resolveTokenizer } from "./tokenize.ts";

/** Options of {@linkcode corpusBleu}. */
export interface BleuOptions {
  /** Tokeniser, `"13a"` by default (sacrebleu's default, the E2E scorer's mteval tokenisation). */
  readonly tokenize?: NlgTokenize;
  /** Lower-case before tokenising; `true` by default (the E2E scorer is case-insensitive; sacrebleu's default is `false`). */
  readonly lowercase?: boolean;
  /** Highest n-gram order, 4 by default. */
  readonly maxOrder?: number;
  /**
   * `"exp"` (default, sacrebleu's default and mteval's): an order with matches 0 of total t gets
   * precision 1/(2^k·t), k counting such orders so far. `"none"`: such a corpus scores 0 (the E2E
   * scorer's pymteval floors it at ≈ 1e-15, i.e. ≈ 0).
   */
  readonly smooth?: "exp" | "none";
}

/** The result of {@linkcode corpusBleu}. */
export interface BleuResult {
  /** BLEU in [0, 100] (sacrebleu's scale; the E2E scorer prints it /100). */
  readonly score: number;
  /** Modified n-gram precisions, in [0, 100], orders 1..maxOrder. */
  readonly precisions: readonly number[];
  /** The brevity penalty exp(1 − r/c) when c < r, else 1. */
  readonly brevityPenalty: number;
  /** Total hypothesis length c in tokens. */
  readonly hypothesisLength: number;
  /** Total effective reference length r: per segment the reference closest in length (ties: the shorter). */
  readonly referenceLength: number;
}

/**
 * Corpus-level BLEU exactly as sacrebleu's `corpus_bleu` (no smoothing needed at corpus level) and
 * the E2E challenge scorer compute it: n-gram matches clipped by the largest count in any one
 * reference, summed over the corpus; geometric mean of the modified precisions of orders 1..4;
 * brevity penalty against the closest reference length (the shorter on ties). The two agree unless
 * some order has no match at all (see `smooth`) or a hypothesis is shorter than 4 tokens (pymteval
 * counts len − n + 1 n-grams even when negative; here and in sacrebleu, max(0, len − n + 1)).
 *
 * @param hypotheses One system output per segment.
 * @param references For each segment, its (one or more) references.
 * @param options Tokeniser, case folding, maximum order.
 * @returns The score, precisions, brevity penalty and lengths.
 * @example
 * ```ts
 * import { corpusBleu } from "@loradrop/core/nlg";
 * import { assertAlmostEquals } from "@std/assert";
 * // 4 of 4 unigrams, 2 of 3 bigrams, 1 of 2 trigrams, 0 of 1 4-grams match:
 * const r = corpusBleu(["the cat sat down"], [["the cat sat on the mat down"]], { smooth: "none" });
 * assertAlmostEquals(r.precisions[1], 200 / 3, 1e-9);
 * assertAlmostEquals(r.score, 0, 1e-12, "no 4-gram match, no smoothing");
 * // sacrebleu's default smoothing gives the 4-gram precision 1 / (2 · 1):
 * assertAlmostEquals(corpusBleu(["the cat sat down"], [["the cat sat on the mat down"]], { smooth: "exp" }).score,
 *   100 * Math.exp(1 - 7 / 4) * (1 * (2 / 3) * (1 / 2) * (1 / 2)) ** 0.25, 1e-9);
 * const s = corpusBleu(["the cat is on the mat"], [["the cat is on the mat", "a cat"]]);
 * assertAlmostEquals(s.score, 100);
 * ```
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: BleuOptions = {},
): BleuResult {
  checkCorpus("BLEU", hypotheses, references);
  const maxOrder = options.maxOrder ?? 4;
  checkNumberOption("BLEU", "maxOrder", maxOrder, 1, 100, true);
  const tok = resolveTokenizer(options.tokenize ?? "13a", options.lowercase ?? true, "BLEU");
  const matches = new Array<number>(maxOrder).fill(0);
  const totals = new Array<number>(maxOrder).fill(0);
  let c = 0;
  let r = 0;
  for (let i = 0; i < hypotheses.length; i++) {
    const hyp = tok(hypotheses[i]!);
    const refs = references[i]!.map(tok);
    c += hyp.length;
    let best = refs[0]!.length;
    for (const ref of refs) {
      const d = Math.abs(ref.length - hyp.length);
      const bd = Math.abs(best - hyp.length);
      if (d < bd || (d === bd && ref.length < best)) best = ref.length;
    }
    r += best;
    for (let n = 1; n <= maxOrder; n++) {
      matches[n - 1]! += clippedMatches(countNgrams(hyp, n), maxNgramCounts(refs, n));
      totals[n - 1]! += Math.max(0, hyp.length - n + 1);
    }
  }
  const smooth = options.smooth ?? "exp";
  if (smooth !== "exp" && smooth !== "none") {
    throw new TypeError(
      `Cannot compute BLEU: smooth must be "exp" or "none", received ${String(smooth)}`,
    );
  }
  const precisions = new Array<number>(maxOrder).fill(0);
  let halvings = 1;
  for (let k = 0; k < maxOrder; k++) {
    if (totals[k] === 0) break;
    if (matches[k]! > 0) precisions[k] = (100 * matches[k]!) / totals[k]!;
    else if (smooth === "exp") {
      halvings *= 2;
      precisions[k] = 100 / (halvings * totals[k]!);
    }
  }
  const brevityPenalty = c === 0 ? 0 : c < r ? Math.exp(1 - r / c) : 1;
  let score = 0;
  if (matches.some((m) => m > 0) && precisions.every((p) => p > 0)) {
    const logMean = precisions.reduce((s, p) => s + Math.log(p / 100), 0) / maxOrder;
    score = 100 * brevityPenalty * Math.exp(logMean);
  }
  return { score, precisions, brevityPenalty, hypothesisLength: c, referenceLength: r };
}
