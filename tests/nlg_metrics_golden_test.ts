// NLG metrics against sacrebleu (BLEU, TER) and nltk (NIST, METEOR) values written by
// tests/golden/make_nlg_goldens.py.
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { corpusBleu } from "../lib/nlg/metrics/bleu.ts";
import { corpusNist } from "../lib/nlg/metrics/nist.ts";
import { meteor } from "../lib/nlg/metrics/meteor.ts";
import { porterStem } from "../lib/nlg/metrics/porter.ts";
import { corpusTer } from "../lib/nlg/metrics/ter.ts";

interface GoldenCase {
  name: string;
  hypotheses: string[];
  references: string[][];
  bleu_13a_lc: number;
  bleu_13a: number;
  bleu_none: number;
  bleu_13a_lc_precisions: number[];
  bleu_13a_lc_bp: number;
  bleu_13a_lc_sys_len: number;
  bleu_13a_lc_ref_len: number;
  ter: number;
  ter_segments: number[];
  nist_nltk_13a_lc: number;
  meteor_exact_13a_lc: number;
  meteor_toy_13a_lc: number;
  meteor_porter_13a_lc: number;
}

const golden = JSON.parse(
  await Deno.readTextFile(new URL("./golden/nlg_metrics.json", import.meta.url)),
) as {
  cases: GoldenCase[];
  toy_synonyms: Record<string, string[]>;
  porter_stems: Record<string, string>;
};

const toyStem = (w: string) => w.length > 3 && w.endsWith("s") ? w.slice(0, -1) : w;
const toySynonyms = (w: string) => golden.toy_synonyms[w] ?? [];

Deno.test("NLG golden file covers multi-reference, single-reference and edge corpora", () => {
  assert(golden.cases.length >= 5);
  assert(golden.cases.some((c) => c.references.some((r) => r.length >= 3)));
  assert(golden.cases.some((c) => c.references.every((r) => r.length === 1)));
  // The perturbed corpora are not trivial: scores spread out.
  const bleus = golden.cases.map((c) => c.bleu_13a_lc);
  assert(Math.max(...bleus) - Math.min(...bleus) > 20, `${bleus}`);
});

for (const c of golden.cases) {
  const { hypotheses: h, references: r } = c;
  Deno.test(`corpusBleu matches sacrebleu on ${c.name}`, () => {
    const lc = corpusBleu(h, r);
    assertAlmostEquals(lc.score, c.bleu_13a_lc, 1e-9);
    assertEquals(lc.hypothesisLength, c.bleu_13a_lc_sys_len);
    assertEquals(lc.referenceLength, c.bleu_13a_lc_ref_len);
    assertAlmostEquals(lc.brevityPenalty, c.bleu_13a_lc_bp, 1e-12);
    lc.precisions.forEach((p, k) => assertAlmostEquals(p, c.bleu_13a_lc_precisions[k]!, 1e-9));
    assertAlmostEquals(corpusBleu(h, r, { lowercase: false }).score, c.bleu_13a, 1e-9);
    assertAlmostEquals(
      corpusBleu(h, r, { lowercase: false, tokenize: "whitespace" }).score,
      c.bleu_none,
      1e-9,
    );
  });
  Deno.test(`corpusTer matches sacrebleu on ${c.name}`, () => {
    h.forEach((hyp, i) => {
      assertAlmostEquals(corpusTer([hyp], [r[i]!]).score, c.ter_segments[i]!, 1e-9, `segment ${i}`);
    });
    assertAlmostEquals(corpusTer(h, r).score, c.ter, 1e-9);
  });
  Deno.test(`corpusNist (nltk variant) matches nltk on ${c.name}`, () => {
    assertAlmostEquals(corpusNist(h, r, { variant: "nltk" }), c.nist_nltk_13a_lc, 1e-9);
    if (r.every((refs) => refs.length === 1) && h.every((x) => x.split(" ").length >= 5)) {
      // One reference per segment and no short outputs: the E2E scorer's NIST equals nltk's.
      assertAlmostEquals(corpusNist(h, r), c.nist_nltk_13a_lc, 1e-9);
    }
  });
  Deno.test(`meteor matches nltk (exact, and with stem/synonym stages) on ${c.name}`, () => {
    assertAlmostEquals(meteor(h, r), c.meteor_exact_13a_lc, 1e-12);
    assertAlmostEquals(
      meteor(h, r, { stem: toyStem, synonyms: toySynonyms }),
      c.meteor_toy_13a_lc,
      1e-12,
    );
    assertAlmostEquals(meteor(h, r, { stem: porterStem }), c.meteor_porter_13a_lc, 1e-12);
  });
}

Deno.test("porterStem matches nltk's PorterStemmer on every step's examples and the corpora's words", () => {
  const entries = Object.entries(golden.porter_stems);
  assert(entries.length > 200);
  const wrong = entries.filter(([w, s]) => porterStem(w) !== s).map(([w, s]) =>
    `${w}: ${porterStem(w)} != ${s}`
  );
  assertEquals(wrong, []);
});
