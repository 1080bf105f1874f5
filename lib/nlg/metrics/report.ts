/**
 * The metric sets of the paper's NLG tables, on the scales the tables print.
 *
 * @module
 */
import { corpusBleu } from "./bleu.ts";
import { cider } from "./cider.ts";
import { meteor } from "./meteor.ts";
import { porterStem } from "./porter.ts";
import { corpusNist } from "./nist.ts";
import { rougeL } from "./rouge_l.ts";
import { corpusTer } from "./ter.ts";

/** Table 2's E2E metrics, as printed there (BLEU 68.50, NIST 8.615, METEOR 46.43, ROUGE-L 71.08, CIDEr 2.490). */
export interface E2eScores {
  /** Corpus BLEU ×100 (13a tokens, case-insensitive). */
  readonly bleu: number;
  /** Corpus NIST, the E2E scorer's variant. */
  readonly nist: number;
  /** Mean METEOR ×100, exact + Porter-stem matches (see {@linkcode meteor}: below Java METEOR 1.5). */
  readonly meteor: number;
  /** Mean ROUGE-L ×100. */
  readonly rougeL: number;
  /** CIDEr-D (coco-caption). */
  readonly cider: number;
}

/**
 * Scores E2E outputs with Table 2's five metrics (E2E scorer conventions).
 *
 * @param hypotheses One output per MR.
 * @param references All references of each MR.
 * @returns BLEU, NIST, METEOR, ROUGE-L and CIDEr on the table's scales.
 * @example
 * ```ts
 * import { e2eScores } from "@loradrop/core/nlg";
 * import { assertAlmostEquals } from "@std/assert";
 * const s = e2eScores(["The Eagle is a pub in the city centre."], [["The Eagle is a pub in the city centre."]]);
 * assertAlmostEquals(s.bleu, 100);
 * assertAlmostEquals(s.rougeL, 100);
 * ```
 */
export function e2eScores(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
): E2eScores {
  return {
    bleu: corpusBleu(hypotheses, references).score,
    nist: corpusNist(hypotheses, references),
    meteor: 100 * meteor(hypotheses, references, { stem: porterStem }),
    rougeL: 100 * rougeL(hypotheses, references),
    cider: cider(hypotheses, references).score,
  };
}

/** Table 3's WebNLG metrics for one category group, as printed there (BLEU 54.78, MET 0.38, TER 0.53). */
export interface WebNlgScores {
  /** Corpus BLEU ×100. */
  readonly bleu: number;
  /** Mean METEOR in [0, 1], exact + Porter-stem matches. */
  readonly meteor: number;
  /** Corpus TER as a fraction (sacrebleu's score / 100). */
  readonly ter: number;
}

/**
 * Scores WebNLG outputs with Table 3's metrics for all (A), seen (S) and unseen (U) categories.
 *
 * @param hypotheses One output per entry.
 * @param references All lexicalisations of each entry.
 * @param seen Whether each entry's category was seen in training (`WebNlgEntry.seen`).
 * @returns Scores per group; a group without entries is `undefined`.
 * @example
 * ```ts
 * import { webNlgScores } from "@loradrop/core/nlg";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * const s = webNlgScores(["a b c d", "x y"], [["a b c d"], ["p q"]], [true, false]);
 * assertEquals(s.seen?.ter, 0);
 * assertEquals(s.unseen?.ter, 1);
 * assertAlmostEquals(s.all!.ter, 2 / 6, 1e-12); // 2 edits over 4 + 2 reference words
 * ```
 */
export function webNlgScores(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  seen: readonly boolean[],
): { all?: WebNlgScores; seen?: WebNlgScores; unseen?: WebNlgScores } {
  if (!Array.isArray(seen) || seen.length !== hypotheses.length) {
    throw new RangeError(
      `Cannot score WebNLG: seen must have one flag per hypothesis (${hypotheses.length}), received ${
        Array.isArray(seen) ? seen.length : String(seen)
      }`,
    );
  }
  const group = (keep: (i: number) => boolean): WebNlgScores | undefined => {
    const idx = hypotheses.map((_, i) => i).filter(keep);
    if (idx.length === 0) return undefined;
    const h = idx.map((i) => hypotheses[i]!);
    const r = idx.map((i) => references[i]!);
    return {
      bleu: corpusBleu(h, r).score,
      meteor: meteor(h, r, { stem: porterStem }),
      ter: corpusTer(h, r).score / 100,
    };
  };
  const out: { all?: WebNlgScores; seen?: WebNlgScores; unseen?: WebNlgScores } = {};
  const all = group(() => true);
  const s = group((i) => seen[i] === true);
  const u = group((i) => seen[i] !== true);
  if (all) out.all = all;
  if (s) out.seen = s;
  if (u) out.unseen = u;
  return out;
}
