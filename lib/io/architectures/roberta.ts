/**
 * RoBERTa's layout (`model_type` `roberta`): BERT's row with its module names under `roberta.`, positions
 * numbered from padding id + 1, a classification head of a trained dense + tanh on `<s>` then
 * `out_proj`, `<s> A </s></s> B </s>` with every token of type 0.
 *
 * @module
 */
import type { EncoderArchitecture } from "./descriptor.ts";
import { BERT, encoderConfigCheck } from "./bert.ts";

/**
 * RoBERTa's descriptor.
 *
 * @example
 * ```ts
 * import { ROBERTA } from "./roberta.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals([ROBERTA.head.dense, ROBERTA.head.out], ["classifier.dense", "classifier.out_proj"]);
 * ```
 */
export const ROBERTA: EncoderArchitecture<"roberta"> = {
  ...BERT,
  modelType: "roberta",
  title: "RoBERTa",
  config: {
    ...BERT.config,
    defaults: { ...BERT.config.defaults, padTokenId: 1 },
    positions: "after-padding",
    check: encoderConfigCheck("roberta"),
  },
  weights: { ...BERT.weights, taskPrefix: "roberta." },
  head: {
    out: "classifier.out_proj",
    dense: "classifier.dense",
    pooling: "first",
    describe: `a trained dense + tanh on the first token (pooling "first" with dense: true)`,
  },
  // As Hugging Face's tokenizers (Rust): every token type 0 (the type table has one row).
  // transformers.js 4.3.1 would give the second text type 1.
  tokenizer: {
    postProcessor: "RobertaProcessing",
    clsSep: { pairSeparators: 2, secondTypeId: 0 },
  },
};
