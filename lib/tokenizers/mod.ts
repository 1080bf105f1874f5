/**
 * Tokenizers: USE-lite's SentencePiece unigram model, GPT-2 BPE and Hugging Face tokenizer folders
 * (through `@huggingface/transformers`), batch encoding and padding to tensors.
 *
 * @example
 * ```ts
 * import { useLiteTokenizerFiles } from "@loradrop/core/tokenizers";
 * import { assertEquals } from "@std/assert";
 * const files = useLiteTokenizerFiles([["�", 0], ["<s>", 0], ["</s>", 0], ["e1", 0], ["e2", 0], ["e3", 0], ["▁a", -1]]);
 * assertEquals(JSON.parse(files["tokenizer.json"]!).model.type, "Unigram");
 * ```
 *
 * @module
 */
export * from "./load.ts";
export * from "./use_lite.ts";
export * from "./gpt2.ts";
export * from "./encode_batch.ts";
export * from "./batch_tensors.ts";
export * from "./check_vocab.ts";
