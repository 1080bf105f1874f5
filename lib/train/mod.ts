/**
 * LoRA fine-tuning: AdamW with decoupled weight decay, linear warm-up and decay, global-norm
 * clipping, the two-pass dropout step, evaluation, checkpoints, JSONL results and the resumable
 * loop {@linkcode train}.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { adamWUpdate, createAdamW, disposeAdamW, linearWarmupDecay } from "@loradrop/core/train";
 * import { assert } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const w = tf.variable(tf.ones([2]));
 * const opt = createAdamW({ w }, { weightDecay: 0.1 });
 * const lr = linearWarmupDecay(1, { peakLr: 1e-2, totalSteps: 10, warmupSteps: 2 });
 * tf.tidy(() => adamWUpdate(opt, { w: tf.ones([2]) }, lr));
 * assert(w.dataSync()[0]! < 1);
 * disposeAdamW(opt);
 * w.dispose();
 * ```
 *
 * @module
 */
export * from "./schedule.ts";
export * from "./adamw.ts";
export * from "./clip.ts";
export type { JsonValue } from "./config_hash.ts";
export * from "./batches.ts";
export * from "./checkpoint.ts";
export * from "./evaluate.ts";
export * from "./text_source.ts";
export * from "./progress.ts";
export * from "./run_record.ts";
export * from "./train_step.ts";
export * from "./memory_check.ts";
export * from "./loop.ts";
export * from "./train.ts";
