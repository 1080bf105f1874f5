/**
 * ROUGE-L (Lin 2004) as the coco-caption code computes it for the E2E challenge.
 *
 * @module
 */
import { checkCorpus, checkNumberOption } from "./_corpus.ts";
import { type NlgTokenize, resolveTokenizer } from "./tokenize.ts";

/** Options of {@linkcode rougeL}. */
export interface RougeLOptions {
  /** Tokeniser, `"coco"` by default (the E2E scorer's PTB tokenisation, approximated). */
  readonly tokenize?: NlgTokenize;
  /** Lower-case before tokenising; `true` by default. */
  readonly lowercase?: boolean;
  /** β of the F-measure, 1.2 by default (coco-caption's `Rouge`). */
  readonly beta?: number;
  /**
   * `"coco"` (default, the E2E scorer): maximise precision and recall separately over the
   * references, then combine. `"max-f"`: the best per-reference F (as Google's rouge-score).
   */
  readonly multiReference?: "coco" | "max-f";
}

/**
 * Length of the longest common subsequence of two token lists (O(|a|·|b|) dynamic programming).
 *
 * @param a First token list.
 * @param b Second token list.
 * @returns The LCS length.
 * @example
 * ```ts
 * import { lcsLength } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * assertEquals(lcsLength(["a", "b", "c", "d"], ["b", "x", "d"]), 2);
 * ```
 */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * ROUGE-L as coco-caption's `Rouge.calc_score` (used by the E2E scorer): per segment, the LCS
 * precision P = LCS/|hyp| and recall R = LCS/|ref| are each maximised over the references
 * (separately, not as one F per reference), F = (1+β²)PR / (R + β²P) with β = 1.2, and the corpus
 * score is the mean of the segment F's. An empty hypothesis scores 0.
 *
 * @param hypotheses One system output per segment.
 * @param references For each segment, its references.
 * @param options Tokeniser, case folding, β.
 * @returns The mean ROUGE-L F in [0, 1] (the paper's tables print it ×100).
 * @example
 * ```ts
 * import { rougeL } from "@loradrop/core/nlg";
 * import { assertAlmostEquals } from "@std/assert";
 * // LCS("a b c d", "a c d e") = 3: P = R = 3/4, so F = 3/4.
 * assertAlmostEquals(rougeL(["a b c d"], [["a c d e"]]), 0.75, 1e-12);
 * ```
 */
export function rougeL(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: RougeLOptions = {},
): number {
  checkCorpus("ROUGE-L", hypotheses, references);
  const beta = options.beta ?? 1.2;
  checkNumberOption("ROUGE-L", "beta", beta, 0, 1e6);
  const tok = resolveTokenizer(options.tokenize ?? "coco", options.lowercase ?? true, "ROUGE-L");
  const mode = options.multiReference ?? "coco";
  if (mode !== "coco" && mode !== "max-f") {
    throw new TypeError(
      `Cannot compute ROUGE-L: multiReference must be "coco" or "max-f", received ${String(mode)}`,
    );
  }
  const f = (p: number, r: number) =>
    p > 0 && r > 0 ? ((1 + beta ** 2) * p * r) / (r + beta ** 2 * p) : 0;
  let total = 0;
  for (let i = 0; i < hypotheses.length; i++) {
    const hyp = tok(hypotheses[i]!);
    let p = 0;
    let r = 0;
    let bestF = 0;
    for (const refText of references[i]!) {
      const ref = tok(refText);
      const lcs = lcsLength(ref, hyp);
      const pi = hyp.length > 0 ? lcs / hyp.length : 0;
      const ri = ref.length > 0 ? lcs / ref.length : 0;
      p = Math.max(p, pi);
      r = Math.max(r, ri);
      bestF = Math.max(bestF, f(pi, ri));
    }
    total += mode === "coco" ? f(p, r) : bestF;
  }
  return total / hypotheses.length;
}
