/**
 * METEOR (Lavie & Agarwal 2007) as nltk's `meteor_score`, with exact matching by default.
 *
 * @module
 */
import { checkCorpus, checkNumberOption } from "./_corpus.ts";
import { type NlgTokenize, resolveTokenizer } from "./tokenize.ts";

/** Options of {@linkcode meteor}. */
export interface MeteorOptions {
  /** Tokeniser, `"13a"` by default (Java METEOR's `-norm` also tokenises punctuation). */
  readonly tokenize?: NlgTokenize;
  /** Lower-case before matching; `true` by default (nltk's `preprocess=str.lower`). */
  readonly lowercase?: boolean;
  /** Weight of precision vs recall in Fmean = PR / (αP + (1−α)R); 0.9 by default. */
  readonly alpha?: number;
  /** Exponent of the fragmentation penalty; 3 by default. */
  readonly beta?: number;
  /** Maximum fragmentation penalty; 0.5 by default. */
  readonly gamma?: number;
  /** Optional second matching stage: words with equal stems match (nltk uses a Porter stemmer). */
  readonly stem?: (word: string) => string;
  /** Optional third stage: a hypothesis word matches any of its synonyms (nltk uses WordNet). */
  readonly synonyms?: (word: string) => Iterable<string>;
}

type Enum = [number, string][];

/**
 * One matching stage as nltk runs it: hypothesis words from last to first each take, among the
 * words `candidates` allows for them, the one with the latest free reference position.
 */
function matchStage(
  hyp: Enum,
  ref: Enum,
  candidates: (word: string) => Iterable<string>,
): [[number, number][], Enum, Enum] {
  const positions = new Map<string, number[]>();
  ref.forEach(([, w], j) => {
    const list = positions.get(w);
    if (list) list.push(j);
    else positions.set(w, [j]);
  });
  const matches: [number, number][] = [];
  const usedH = new Set<number>();
  const usedR = new Set<number>();
  for (let i = hyp.length - 1; i >= 0; i--) {
    let bestJ = -1;
    let bestWord: string | undefined;
    for (const s of candidates(hyp[i]![1])) {
      const list = positions.get(s);
      if (list && list.length > 0 && list[list.length - 1]! > bestJ) {
        bestJ = list[list.length - 1]!;
        bestWord = s;
      }
    }
    if (bestWord !== undefined) {
      positions.get(bestWord)!.pop();
      usedH.add(i);
      usedR.add(bestJ);
      matches.push([hyp[i]![0], ref[bestJ]![0]]);
    }
  }
  return [matches, hyp.filter((_, i) => !usedH.has(i)), ref.filter((_, j) => !usedR.has(j))];
}

/** nltk's exact stage: a word matches only itself. */
const exactly = (word: string): string[] => [word];

/** nltk's synonym stage: a word matches itself or one of its synonyms (multi-word ones excluded). */
function itselfOrSynonyms(
  synonyms: (word: string) => Iterable<string>,
): (word: string) => Set<string> {
  return (word) => new Set([...synonyms(word)].filter((s) => !s.includes("_"))).add(word);
}

/** Number of chunks: runs of matches adjacent in both the hypothesis and the reference. */
function countChunks(matches: readonly [number, number][]): number {
  let chunks = 1;
  for (let i = 0; i + 1 < matches.length; i++) {
    const [h, r] = matches[i]!;
    const [h2, r2] = matches[i + 1]!;
    if (!(h2 === h + 1 && r2 === r + 1)) chunks++;
  }
  return chunks;
}

/**
 * METEOR of one tokenised hypothesis against one tokenised reference (nltk's `single_meteor_score`):
 * align (exact, then optional stem and synonym stages), P = m/|hyp|, R = m/|ref|,
 * Fmean = PR / (αP + (1−α)R), penalty = γ·(chunks/m)^β, score = (1 − penalty)·Fmean; 0 with no match.
 *
 * @param hypothesis Hypothesis tokens (already case-folded if wanted).
 * @param reference Reference tokens.
 * @param options α, β, γ and the optional stem/synonym stages.
 * @returns The sentence score in [0, 1).
 * @example
 * ```ts
 * import { meteorSentence } from "@loradrop/core/nlg";
 * import { assertAlmostEquals } from "@std/assert";
 * // 3 matches in 2 chunks ("a b" and "d"): P = 3/4, R = 3/3, Fmean = 0.75 / (0.675 + 0.1),
 * // penalty = 0.5 · (2/3)³.
 * const fmean = 0.75 / 0.775;
 * assertAlmostEquals(meteorSentence(["a", "b", "x", "d"], ["a", "b", "d"]), (1 - 0.5 * (2 / 3) ** 3) * fmean, 1e-12);
 * ```
 */
export function meteorSentence(
  hypothesis: readonly string[],
  reference: readonly string[],
  options: Omit<MeteorOptions, "tokenize" | "lowercase"> = {},
): number {
  const alpha = options.alpha ?? 0.9;
  const beta = options.beta ?? 3;
  const gamma = options.gamma ?? 0.5;
  checkNumberOption("METEOR", "alpha", alpha, 0, 1);
  checkNumberOption("METEOR", "beta", beta, 0, 1e6);
  checkNumberOption("METEOR", "gamma", gamma, 0, 1);
  let hyp: Enum = hypothesis.map((w, i) => [i, w]);
  let ref: Enum = reference.map((w, j) => [j, w]);
  const all: [number, number][] = [];
  let found: [number, number][];
  [found, hyp, ref] = matchStage(hyp, ref, exactly);
  for (const pair of found) all.push(pair);
  if (options.stem) {
    const stem = options.stem;
    const stemmedH: Enum = hyp.map(([i, w]) => [i, stem(w)]);
    const stemmedR: Enum = ref.map(([j, w]) => [j, stem(w)]);
    // As nltk, the synonym stage then sees the stemmed forms of the words still unmatched.
    [found, hyp, ref] = matchStage(stemmedH, stemmedR, exactly);
    for (const pair of found) all.push(pair);
  }
  if (options.synonyms) {
    [found, hyp, ref] = matchStage(hyp, ref, itselfOrSynonyms(options.synonyms));
    for (const pair of found) all.push(pair);
  }
  const m = all.length;
  if (m === 0 || hypothesis.length === 0 || reference.length === 0) return 0;
  all.sort((a, b) => a[0] - b[0]);
  const p = m / hypothesis.length;
  const r = m / reference.length;
  const fmean = (p * r) / (alpha * p + (1 - alpha) * r);
  const penalty = gamma * (countChunks(all) / m) ** beta;
  return (1 - penalty) * fmean;
}

/**
 * Corpus METEOR: per segment the best sentence score over its references (nltk's `meteor_score`),
 * averaged over segments. α = 0.9, β = 3, γ = 0.5 (nltk's defaults, METEOR's original parameters).
 *
 * Exact matching only unless `stem`/`synonyms` are given; `{ stem: porterStem }` reproduces nltk's
 * default `meteor_score` except its WordNet-synonym stage (nltk's WordNet data is not available
 * offline). Where this differs from
 * the official Java METEOR 1.5 (`-l en -norm`) used by the E2E/WebNLG scorers and the paper: that
 * adds stem, WordNet-synonym and paraphrase matches with weights (1, 0.6, 0.8, 0.6), uses tuned
 * English parameters (α = 0.85, β = 0.2, γ = 0.6, δ = 0.75 with function-word weighting), searches
 * the alignment minimising chunks, and aggregates sufficient statistics over the corpus instead of
 * averaging sentence scores. Scores here are therefore lower than Java METEOR's and not comparable
 * to the paper's absolute numbers; relative comparisons between systems remain meaningful.
 *
 * @param hypotheses One system output per segment.
 * @param references For each segment, its references.
 * @param options Tokeniser, case folding, parameters, optional match stages.
 * @returns The mean METEOR in [0, 1].
 * @example
 * ```ts
 * import { meteor } from "@loradrop/core/nlg";
 * import { assertAlmostEquals } from "@std/assert";
 * // Identical 4-word sentences: Fmean = 1, one chunk of 4 → penalty 0.5·(1/4)³.
 * assertAlmostEquals(meteor(["The Eagle is cheap"], [["x", "the eagle is cheap"]]), 1 - 0.5 / 64, 1e-12);
 * ```
 */
export function meteor(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: MeteorOptions = {},
): number {
  checkCorpus("METEOR", hypotheses, references);
  const tok = resolveTokenizer(options.tokenize ?? "13a", options.lowercase ?? true, "METEOR");
  let total = 0;
  for (let i = 0; i < hypotheses.length; i++) {
    const hyp = tok(hypotheses[i]!);
    let best = 0;
    for (const ref of references[i]!) best = Math.max(best, meteorSentence(hyp, tok(ref), options));
    total += best;
  }
  return total / hypotheses.length;
}
