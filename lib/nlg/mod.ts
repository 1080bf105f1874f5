/**
 * The NLG track (the paper's Table 2): E2E-style data-to-text data, pretraining loradrop's small
 * GPT-2-layout decoder, LoRA finetuning with the dropout methods, greedy and beam decoding, the
 * E2E metrics (BLEU, NIST, METEOR, ROUGE-L, CIDEr) and the track's reproduction.
 *
 * @example
 * ```ts
 * import { corpusBleu } from "@loradrop/core/nlg";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(corpusBleu(["the cat sat on the mat"], [["the cat sat on the mat"]]).score, 100, 1e-9);
 * ```
 *
 * @module
 */
export * from "./metrics/mod.ts";
export * from "./decode/mod.ts";
export * from "./data/mod.ts";
export * from "./pretrain/mod.ts";
export * from "./finetune/mod.ts";
export * from "../repro/plan/nlg_experiments.ts";
export * from "../repro/run/nlg_execute.ts";
export * from "../repro/report/nlg_sections.ts";
