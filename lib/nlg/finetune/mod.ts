/**
 * LoRA fine-tuning of a decoder LM for data-to-text (Table 7): batches of (context, reference)
 * pairs with the prompt masked, beam-search generation, presets and one scored E2E run.
 *
 * @module
 */
export * from "./data.ts";
export * from "./generate.ts";
export * from "./presets.ts";
export * from "./finetune.ts";
