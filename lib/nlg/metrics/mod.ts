/**
 * NLG metrics for the E2E and WebNLG tables: BLEU, NIST, METEOR, ROUGE-L, CIDEr(-D) and TER.
 *
 * Scales follow the reference implementations: BLEU and TER in [0, 100] (sacrebleu), METEOR and
 * ROUGE-L in [0, 1] (nltk, coco-caption), NIST and CIDEr unbounded (E2E systems ≈ 8.6 and ≈ 2.5).
 *
 * @module
 */
export * from "./tokenize.ts";
export * from "./bleu.ts";
export * from "./nist.ts";
export * from "./meteor.ts";
export * from "./rouge_l.ts";
export * from "./cider.ts";
export * from "./ter.ts";
export * from "./report.ts";
export * from "./porter.ts";
