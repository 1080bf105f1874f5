// NLG metrics on small hand-worked examples (CIDEr and ROUGE-L have no offline Python reference;
// the E2E scorer's NIST variant differs from nltk's on multi-reference input).
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import {
  cider,
  corpusBleu,
  corpusNist,
  corpusTer,
  e2eScores,
  lcsLength,
  meteor,
  meteorSentence,
  porterStem,
  rougeL,
  terEdits,
  tokenize13a,
  webNlgScores,
} from "../lib/nlg/metrics/mod.ts";

const ws = { tokenize: "whitespace" } as const;

Deno.test("rougeL maximises precision and recall separately over references (coco-caption)", () => {
  // R1: LCS 3, P = 3/5, R = 1. R2: LCS 5, P = 1, R = 1/2. Max P = 1 and max R = 1: F = 1,
  // although neither reference alone has F = 1.
  const f = rougeL(["a b c d e"], [["a b c", "a x b y c z d w e q"]], ws);
  assertAlmostEquals(f, 1, 1e-12);
  // The best single reference instead: max(F(3/5, 1), F(1, 1/2)).
  const fMax = rougeL(["a b c d e"], [["a b c", "a x b y c z d w e q"]], {
    ...ws,
    multiReference: "max-f",
  });
  assertAlmostEquals(
    fMax,
    Math.max((2.44 * 0.6) / (1 + 1.44 * 0.6), (2.44 * 0.5) / (0.5 + 1.44)),
    1e-12,
  );
  const fOne = (p: number, r: number) => (2.44 * p * r) / (r + 1.44 * p);
  assertAlmostEquals(rougeL(["a b c d e"], [["a b c"]], ws), fOne(3 / 5, 1), 1e-12);
  // Corpus score = mean of the segment F's; an output sharing nothing scores 0.
  assertAlmostEquals(rougeL(["a b c d e", "q"], [["a b c"], ["z"]], ws), fOne(3 / 5, 1) / 2, 1e-12);
  assertEquals(lcsLength([], ["a"]), 0);
  assertEquals(lcsLength(["a", "b", "a", "b"], ["b", "a", "b", "a"]), 3);
});

Deno.test("cider follows coco-caption's CIDEr-D on a three-segment corpus worked by hand", () => {
  const L = Math.log(3); // log(#segments) − log(df = 1)
  const M = Math.log(3) - Math.log(2); // idf of "c" (in two segments' references)
  // Segment 0 vs "a b": cosines 1 and 1. Vs "a c": unigram cosine L²/(√2L·√(L²+M²)), bigram 0.
  const seg0 = (10 * (2 + L / (Math.SQRT2 * Math.hypot(L, M)))) / 2 / 2;
  // Segment 1: "c" vs "c d": unigram cosine M/√(M²+L²), Gaussian penalty for δ = 0 − 1 bigrams.
  const seg1 = (10 * (M / Math.hypot(M, L)) * Math.exp(-1 / 72)) / 2;
  const r = cider(["a b", "c", "d d"], [["a b", "a c"], ["c d"], ["e"]], {
    ...ws,
    maxOrder: 2,
  });
  assertAlmostEquals(r.segments[0]!, seg0, 1e-12);
  assertAlmostEquals(r.segments[1]!, seg1, 1e-12);
  assertAlmostEquals(r.segments[2]!, 0, 1e-12);
  assertAlmostEquals(r.score, (seg0 + seg1) / 3, 1e-12);
  // σ shapes only the length penalty: a huge σ removes it.
  const flat = cider(["a b", "c", "d d"], [["a b", "a c"], ["c d"], ["e"]], {
    ...ws,
    maxOrder: 2,
    sigma: 1e9,
  });
  assertAlmostEquals(flat.segments[1]!, (10 * (M / Math.hypot(M, L))) / 2, 1e-12);
});

Deno.test("cider: a copy of the only reference scores 10 when its n-grams are rare", () => {
  // Every n-gram of segment 0 occurs in no other segment: all clipped cosines are 1.
  const r = cider(["the eagle is cheap", "x"], [["the eagle is cheap"], ["y"]], ws);
  assertAlmostEquals(r.segments[0]!, 10, 1e-12);
  // A one-segment corpus has idf log 1 = 0 everywhere: 0 instead of coco-caption's NaN.
  assertEquals(cider(["a b"], [["a b"]], ws).score, 0);
});

Deno.test("corpusNist: the E2E scorer clips by the max count over references, nltk picks one reference", () => {
  // References "a a b" and "a c": 5 words; a:3 b:1 c:1; bigrams aa, ab, ac once each.
  const h = ["a a c"];
  const r = [["a a b", "a c"]];
  const e2e = (2 * Math.log2(5 / 3) + Math.log2(5)) / 3 + (2 * Math.log2(3)) / 2;
  assertAlmostEquals(corpusNist(h, r, { ...ws, maxOrder: 2 }), e2e, 1e-12);
  // nltk: unigrams best against "a c" (a, c), bigrams tie and take the longer reference (aa).
  const nltk = (Math.log2(5 / 3) + Math.log2(5)) / 3 + Math.log2(3) / 2;
  assertAlmostEquals(corpusNist(h, r, { ...ws, maxOrder: 2, variant: "nltk" }), nltk, 1e-12);
});

Deno.test("corpusNist: length penalty is 0.5 at 2/3 of the average reference length", () => {
  // Hypothesis "a b" (2 words) vs references of 3 words: ratio 2/3.
  const h = ["a b"];
  const r = [["a b c", "a b d"]];
  // 6 reference words, a:2 b:2 → info(a) = info(b) = log2(6/2); bigram "a b": log2(2/2) = 0.
  const raw = (2 * Math.log2(3)) / 2;
  assertAlmostEquals(corpusNist(h, r, { ...ws, maxOrder: 2 }), raw * 0.5, 1e-12);
});

Deno.test("corpusBleu: closest reference length, ties to the shorter; clipping by the max count", () => {
  // Hypothesis of 4 tokens, references of 3 and 5: both 1 away → r = 3, no brevity penalty.
  const b = corpusBleu(["a b c d"], [["a b c d e", "a b c"]], { ...ws, smooth: "none" });
  assertEquals(b.referenceLength, 3);
  assertEquals(b.brevityPenalty, 1);
  assertAlmostEquals(b.score, 100, 1e-9);
  // "the the the" vs "the cat": unigram matches clipped to 1 of 3.
  const c = corpusBleu(["the the the"], [["the cat", "cat the"]], { ...ws, maxOrder: 1 });
  assertAlmostEquals(c.precisions[0]!, 100 / 3, 1e-12);
  assertAlmostEquals(c.score, 100 / 3, 1e-12); // c = 3 > r = 2
});

Deno.test("tokenize13a keeps decimal points and commas inside numbers and splits other punctuation", () => {
  assertEquals(tokenize13a("2,776.0 km; (runway)"), ["2,776.0", "km", ";", "(", "runway", ")"]);
  assertEquals(tokenize13a("end.Next"), ["end", ".", "Next"]);
});

Deno.test("meteor: best reference per segment, mean over segments, chunks penalised", () => {
  // "a b c" vs "c b a": 3 matches in 3 chunks; P = R = 1.
  assertAlmostEquals(meteorSentence(["a", "b", "c"], ["c", "b", "a"]), 1 - 0.5, 1e-12);
  assertAlmostEquals(meteorSentence(["a", "b", "c"], ["a", "b", "c"]), 1 - 0.5 / 27, 1e-12);
  const m = meteor(["a b c", "x"], [["c b a", "a b c"], ["y"]], ws);
  assertAlmostEquals(m, (1 - 0.5 / 27) / 2, 1e-12);
  // Case-insensitive by default.
  assertAlmostEquals(meteor(["A B C"], [["a b c"]], ws), 1 - 0.5 / 27, 1e-12);
  assertEquals(meteor(["A B C"], [["a b c"]], { ...ws, lowercase: false }), 0);
});

Deno.test("corpusTer counts a block shift as one edit and sums over the corpus", () => {
  assertEquals(terEdits(["a", "b", "c", "d", "e"], ["d", "e", "a", "b", "c"]), [1, 5]);
  // No shift helps: plain Levenshtein (1 substitution + 1 deletion).
  assertEquals(terEdits(["a", "x", "c", "d"], ["a", "b", "c"]), [2, 3]);
  const r = corpusTer(["a b c d e", "a x c d"], [["d e a b c"], ["a b c"]]);
  assertEquals(r.edits, 3);
  assertEquals(r.referenceLength, 8);
  assertAlmostEquals(r.score, 100 * 3 / 8, 1e-12);
  // Empty references: all hypothesis words are edits; the score is 100.
  assertEquals(corpusTer(["a b"], [[""]]), { score: 100, edits: 2, referenceLength: 0 });
});

Deno.test("NLG metrics reject malformed corpora and options with named errors", () => {
  assertThrows(() => corpusBleu(["a"], []), RangeError, "equal lengths, received 1 and 0");
  assertThrows(() => corpusBleu([], []), RangeError, "must not be empty");
  assertThrows(() => rougeL(["a"], [[]]), RangeError, "hypothesis 0 needs a non-empty array");
  assertThrows(
    () => cider(["a"], [[3 as unknown as string]]),
    TypeError,
    "reference 0 of hypothesis 0 must be a string",
  );
  assertThrows(
    () => meteor(["a"], [["a"]], { tokenize: "moses" as "13a" }),
    TypeError,
    'tokenize must be "13a", "whitespace", "coco" or a function, received moses',
  );
  assertThrows(
    () => corpusNist(["a"], [["a"]], { maxOrder: 0 }),
    RangeError,
    "maxOrder must be an integer in [1, 100], received 0",
  );
  assertThrows(
    () => meteor(["a"], [["a"]], { alpha: 2 }),
    RangeError,
    "alpha must be a number in [0, 1], received 2",
  );
  assertThrows(
    () => corpusNist(["a"], [["a"]], { variant: "mteval" as "e2e" }),
    TypeError,
    'variant must be "e2e" or "nltk", received mteval',
  );
});

Deno.test("e2eScores and webNlgScores report each metric on its table's scale, by category group", () => {
  const h = ["The Eagle is a cheap pub near Burger King.", "Aromi serves Indian food.", "x"];
  const r = [
    ["The Eagle is a cheap pub near Burger King.", "Near Burger King is The Eagle, a cheap pub."],
    ["Aromi is an Indian restaurant.", "Indian food is served at Aromi."],
    ["Zizzi is a pub."],
  ];
  const e = e2eScores(h, r);
  assertAlmostEquals(e.bleu, corpusBleu(h, r).score, 1e-12);
  assertAlmostEquals(e.nist, corpusNist(h, r), 1e-12);
  assertAlmostEquals(e.meteor, 100 * meteor(h, r, { stem: porterStem }), 1e-12);
  assertAlmostEquals(e.rougeL, 100 * rougeL(h, r), 1e-12);
  assertAlmostEquals(e.cider, cider(h, r).score, 1e-12);
  const w = webNlgScores(h, r, [true, true, false]);
  assertAlmostEquals(w.seen!.bleu, corpusBleu(h.slice(0, 2), r.slice(0, 2)).score, 1e-12);
  assertAlmostEquals(w.unseen!.ter, corpusTer(["x"], [["Zizzi is a pub."]]).score / 100, 1e-12);
  assertAlmostEquals(w.all!.meteor, meteor(h, r, { stem: porterStem }), 1e-12);
  assertEquals(webNlgScores(["a"], [["a"]], [true]).unseen, undefined);
  assertThrows(
    () => webNlgScores(h, r, [true]),
    RangeError,
    "one flag per hypothesis (3), received 1",
  );
});
