/**
 * Models: the transformer encoder (USE-lite, BERT and RoBERTa layouts), the GPT-2-layout decoder,
 * their building blocks (attention, FFN, layer norm), classification/regression heads and the task
 * models that put LoRA and the dropout plan into them.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { layerNorm } from "@loradrop/core/models";
 * import { assertAlmostEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const y = layerNorm(tf.tensor2d([[1, 3]]), { gamma: tf.ones([2]), beta: tf.zeros([2]) }, 1e-6);
 * assertAlmostEquals((await y.data())[1]!, 1, 1e-4); // (3 − 2) / 1
 * ```
 *
 * @module
 */
export * from "./layer_norm.ts";
export * from "./drop_context.ts";
export * from "./batch_matmul.ts";
export * from "./attention.ts";
export * from "./ffn.ts";
export * from "./transformer_block.ts";
export * from "./encoder_config.ts";
export * from "./encoder.ts";
export * from "./heads.ts";
export * from "./task_model.ts";
export * from "./decoder.ts";
export * from "./decoder_task_model.ts";
