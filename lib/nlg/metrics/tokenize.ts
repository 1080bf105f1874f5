/**
 * Tokenisers for the NLG metrics.
 *
 * - `"13a"`: the mteval-v13a tokenisation that sacrebleu (`tokenize="13a"`, its default) and the
 *   E2E challenge scorer (`pymteval`) use: punctuation split off, `.`/`,` kept inside numbers.
 * - `"whitespace"`: split on whitespace only (sacrebleu's TER default, nltk on pre-split text).
 * - `"coco"`: an approximation of the coco-caption PTBTokenizer (Stanford CoreNLP, Java, not
 *   available offline) that the E2E scorer runs before ROUGE-L and CIDEr: lower-cased words,
 *   clitics (`n't`, `'s`, …) split, punctuation tokens removed.
 *
 * @module
 */

/** A tokeniser name, or a function from a sentence to its tokens. */
export type NlgTokenize = "13a" | "whitespace" | "coco" | ((text: string) => string[]);

/**
 * Splits a sentence with mteval-v13a's rules (sacrebleu's `13a`, the E2E scorer's BLEU/NIST).
 *
 * @param text The sentence.
 * @returns Its tokens.
 * @example
 * ```ts
 * import { tokenize13a } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * assertEquals(tokenize13a("It costs £20-25, (cheap)."), ["It", "costs", "£20", "-", "25", ",", "(", "cheap", ")", "."]);
 * assertEquals(tokenize13a("Rated 3.5 out of 5."), ["Rated", "3.5", "out", "of", "5", "."]);
 * ```
 */
export function tokenize13a(text: string): string[] {
  let line = text.replaceAll("<skipped>", "").replaceAll("-\n", "").replaceAll("\n", " ");
  if (line.includes("&")) {
    line = line.replaceAll("&quot;", '"').replaceAll("&amp;", "&").replaceAll("&lt;", "<")
      .replaceAll("&gt;", ">");
  }
  line = ` ${line} `;
  // ASCII punctuation and symbols: { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /
  line = line.replace(/([{-~\[-` -&(-+:-@/])/g, " $1 ");
  line = line.replace(/([^0-9])([.,])/g, "$1 $2 "); // period/comma unless after a digit
  line = line.replace(/([.,])([^0-9])/g, " $1 $2"); // period/comma unless before a digit
  line = line.replace(/([0-9])(-)/g, "$1 $2 "); // dash after a digit
  return splitWhitespace(line);
}

/**
 * Splits on runs of whitespace.
 *
 * @param text The sentence.
 * @returns Its tokens (none for a blank sentence).
 * @example
 * ```ts
 * import { splitWhitespace } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * assertEquals(splitWhitespace("  a  b\tc "), ["a", "b", "c"]);
 * ```
 */
export function splitWhitespace(text: string): string[] {
  return text.split(/\s+/).filter((t) => t.length > 0);
}

const COCO_PUNCTUATION = new Set([
  "''",
  "'",
  "``",
  "`",
  '"',
  "(",
  ")",
  "{",
  "}",
  "[",
  "]",
  ".",
  "?",
  "!",
  ",",
  ":",
  "-",
  "--",
  "...",
  ";",
]);

/**
 * Lower-cases and tokenises like coco-caption's PTBTokenizer pipeline, approximately: clitics are
 * split (`don't` → `do n't`), other punctuation is split off, and punctuation tokens are removed.
 * Differs from Stanford's PTB tokeniser on rarer cases (abbreviations, URLs, brackets, which PTB
 * keeps as `-lrb-`).
 *
 * @param text The sentence.
 * @returns Its tokens.
 * @example
 * ```ts
 * import { tokenizeCoco } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * assertEquals(tokenizeCoco("The Eagle isn't cheap: £20-25."), ["the", "eagle", "is", "n't", "cheap", "£20-25"]);
 * ```
 */
export function tokenizeCoco(text: string): string[] {
  let s = ` ${text.toLowerCase()} `;
  s = s.replace(/([a-z])(n't)\b/g, "$1 $2");
  s = s.replace(/([a-z])('s|'re|'ve|'ll|'d|'m)\b/g, "$1 $2");
  s = s.replace(/([.,:;!?"()[\]{}])(?=\s|$)/g, " $1 "); // trailing punctuation
  s = s.replace(/(^|\s)([.,:;!?"()[\]{}]+)/g, "$1$2 "); // leading punctuation
  s = s.replace(/([()[\]{}";!?])/g, " $1 "); // brackets, quotes anywhere
  return splitWhitespace(s).filter((t) => !COCO_PUNCTUATION.has(t));
}

/**
 * Resolves a tokeniser option (name or function) and a lower-casing flag into one function.
 *
 * @param tokenize A tokeniser name or function.
 * @param lowercase Lower-case the text first.
 * @param metric The metric name, for error messages.
 * @returns A function from a sentence to its tokens.
 * @example
 * ```ts
 * import { resolveTokenizer } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * assertEquals(resolveTokenizer("13a", true)("The Eagle."), ["the", "eagle", "."]);
 * ```
 */
export function resolveTokenizer(
  tokenize: NlgTokenize,
  lowercase: boolean,
  metric = "an NLG metric",
): (text: string) => string[] {
  let f: (text: string) => string[];
  if (typeof tokenize === "function") f = tokenize;
  else if (tokenize === "13a") f = tokenize13a;
  else if (tokenize === "whitespace") f = splitWhitespace;
  else if (tokenize === "coco") f = tokenizeCoco;
  else {
    throw new TypeError(
      `Cannot compute ${metric}: tokenize must be "13a", "whitespace", "coco" or a function, received ${
        String(tokenize)
      }`,
    );
  }
  return lowercase ? (text) => f(text.toLowerCase()) : f;
}
