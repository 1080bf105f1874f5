/**
 * The Porter stemmer (Porter 1980) in nltk's default `NLTK_EXTENSIONS` mode, the stemmer of
 * nltk's `meteor_score`.
 *
 * @module
 */

const VOWELS = new Set(["a", "e", "i", "o", "u"]);

// nltk's table of irregular forms, checked before the algorithm.
const IRREGULAR: ReadonlyMap<string, string> = new Map([
  ["sky", "sky"],
  ["skies", "sky"],
  ["dying", "die"],
  ["lying", "lie"],
  ["tying", "tie"],
  ["news", "news"],
  ["innings", "inning"],
  ["inning", "inning"],
  ["outings", "outing"],
  ["outing", "outing"],
  ["cannings", "canning"],
  ["canning", "canning"],
  ["howe", "howe"],
  ["proceed", "proceed"],
  ["exceed", "exceed"],
  ["succeed", "succeed"],
]);

/** Consonant flags: a letter other than a vowel, and `y` unless it follows a consonant. */
function consonants(word: string): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < word.length; i++) {
    const ch = word[i]!;
    out.push(VOWELS.has(ch) ? false : ch === "y" ? (i === 0 ? true : !out[i - 1]) : true);
  }
  return out;
}

/** Porter's measure m: the number of vowel-run → consonant-run transitions. */
function measure(stem: string): number {
  const c = consonants(stem);
  let m = 0;
  for (let i = 1; i < c.length; i++) if (!c[i - 1] && c[i]) m++;
  return m;
}

const positive = (stem: string) => measure(stem) > 0;
const containsVowel = (stem: string) => consonants(stem).some((c) => !c);

function endsDoubleConsonant(word: string): boolean {
  const n = word.length;
  return n >= 2 && word[n - 1] === word[n - 2] && consonants(word)[n - 1]!;
}

/** *o: ends consonant-vowel-consonant, the last not w, x or y (nltk: also a 2-letter vowel-consonant word). */
function endsCvc(word: string): boolean {
  const n = word.length;
  const c = consonants(word);
  return (n >= 3 && c[n - 3]! && !c[n - 2] && c[n - 1]! && !"wxy".includes(word[n - 1]!)) ||
    (n === 2 && !c[0] && c[1]!);
}

type Rule = readonly [suffix: string, replacement: string, condition?: (stem: string) => boolean];

/** The first rule whose suffix matches decides: applied if its condition holds, else no change. */
function applyRules(word: string, rules: readonly Rule[]): string {
  for (const [suffix, replacement, condition] of rules) {
    if (suffix === "*d") {
      if (endsDoubleConsonant(word)) {
        const stem = word.slice(0, -2);
        return condition === undefined || condition(stem) ? stem + replacement : word;
      }
      continue;
    }
    if (word.endsWith(suffix)) {
      const stem = word.slice(0, word.length - suffix.length);
      return condition === undefined || condition(stem) ? stem + replacement : word;
    }
  }
  return word;
}

function step1a(word: string): string {
  if (word.endsWith("ies") && word.length === 4) return word.slice(0, -3) + "ie";
  return applyRules(word, [["sses", "ss"], ["ies", "i"], ["ss", "ss"], ["s", ""]]);
}

function step1b(word: string): string {
  if (word.endsWith("ied")) return word.slice(0, -3) + (word.length === 4 ? "ie" : "i");
  if (word.endsWith("eed")) {
    const stem = word.slice(0, -3);
    return measure(stem) > 0 ? stem + "ee" : word;
  }
  let stem: string | undefined;
  for (const suffix of ["ed", "ing"]) {
    if (word.endsWith(suffix)) {
      const s = word.slice(0, word.length - suffix.length);
      if (containsVowel(s)) {
        stem = s;
        break;
      }
    }
  }
  if (stem === undefined) return word;
  const last = stem[stem.length - 1] ?? "";
  return applyRules(stem, [
    ["at", "ate"],
    ["bl", "ble"],
    ["iz", "ize"],
    ["*d", last, () => !"lsz".includes(last)],
    ["", "e", (s) => measure(s) === 1 && endsCvc(s)],
  ]);
}

function step1c(word: string): string {
  return applyRules(word, [["y", "i", (s) => s.length > 1 && consonants(s)[s.length - 1]!]]);
}

function step2(word: string): string {
  if (word.endsWith("alli") && positive(word.slice(0, -4))) {
    return step2(word.slice(0, -4) + "al");
  }
  return applyRules(word, [
    ["ational", "ate", positive],
    ["tional", "tion", positive],
    ["enci", "ence", positive],
    ["anci", "ance", positive],
    ["izer", "ize", positive],
    ["bli", "ble", positive],
    ["alli", "al", positive],
    ["entli", "ent", positive],
    ["eli", "e", positive],
    ["ousli", "ous", positive],
    ["ization", "ize", positive],
    ["ation", "ate", positive],
    ["ator", "ate", positive],
    ["alism", "al", positive],
    ["iveness", "ive", positive],
    ["fulness", "ful", positive],
    ["ousness", "ous", positive],
    ["aliti", "al", positive],
    ["iviti", "ive", positive],
    ["biliti", "ble", positive],
    ["fulli", "ful", positive],
    ["logi", "log", () => positive(word.slice(0, -3))],
  ]);
}

function step3(word: string): string {
  return applyRules(word, [
    ["icate", "ic", positive],
    ["ative", "", positive],
    ["alize", "al", positive],
    ["iciti", "ic", positive],
    ["ical", "ic", positive],
    ["ful", "", positive],
    ["ness", "", positive],
  ]);
}

function step4(word: string): string {
  const gt1 = (s: string) => measure(s) > 1;
  return applyRules(word, [
    ["al", "", gt1],
    ["ance", "", gt1],
    ["ence", "", gt1],
    ["er", "", gt1],
    ["ic", "", gt1],
    ["able", "", gt1],
    ["ible", "", gt1],
    ["ant", "", gt1],
    ["ement", "", gt1],
    ["ment", "", gt1],
    ["ent", "", gt1],
    ["ion", "", (s) => gt1(s) && "st".includes(s[s.length - 1]!)],
    ["ou", "", gt1],
    ["ism", "", gt1],
    ["ate", "", gt1],
    ["iti", "", gt1],
    ["ous", "", gt1],
    ["ive", "", gt1],
    ["ize", "", gt1],
  ]);
}

function step5(word: string): string {
  let w = word;
  if (w.endsWith("e")) {
    const stem = w.slice(0, -1);
    const m = measure(stem);
    if (m > 1 || (m === 1 && !endsCvc(stem))) w = stem;
  }
  return applyRules(w, [["ll", "l", () => measure(w.slice(0, -1)) > 1]]);
}

/**
 * Stems an English word as nltk's `PorterStemmer()` (mode `NLTK_EXTENSIONS`): lower-cased, its
 * irregular-forms table, words of 1-2 letters unchanged, then Porter's steps 1a-5b with nltk's
 * changes (`ies`/`ied` on 4-letter words, `y → i` only after a consonant, `alli`, `fulli`, `logi`,
 * `bli`, and *o for 2-letter words).
 *
 * @param word The word.
 * @returns Its stem.
 * @example
 * ```ts
 * import { porterStem } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * assertEquals(["caresses", "ponies", "dies", "hopping", "relational", "happy", "enjoy"].map(porterStem),
 *   ["caress", "poni", "die", "hop", "relat", "happi", "enjoy"]);
 * ```
 */
export function porterStem(word: string): string {
  const lower = word.toLowerCase();
  const irregular = IRREGULAR.get(lower);
  if (irregular !== undefined) return irregular;
  if (word.length <= 2) return lower;
  return step5(step4(step3(step2(step1c(step1b(step1a(lower)))))));
}
