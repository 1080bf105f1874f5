/**
 * The training-step setup the benchmarks share (`bench/model_bench.ts`, `bench/memory_bench.ts`):
 * a fixed batch of random token ids with binary labels, and the default task model (LoRA r = 8,
 * α = 16 on q and v, a 2-class head on mean pooling) with AdamW and a preset's dropout plan.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { createTaskModel, type TaskBase, type TaskModel } from "../lib/models/task_model.ts";
import type { DropoutPlan } from "../lib/dropout/spec.ts";
import { presetPlan } from "../lib/dropout/presets.ts";
import { randomInts, randomKey } from "../lib/random.ts";
import { type AdamW, createAdamW, disposeAdamW } from "../lib/train/adamw.ts";
import type { LabeledBatch } from "../lib/train/batches.ts";

/** The LoRA configuration the benchmarks train (the default: r = 8 on q, v). */
export const BENCH_LORA = { r: 8, alpha: 16, targets: ["q", "v"] } as const;

/**
 * The methods the step benchmarks compare by default (`deno task bench`, `deno task bench:peer`),
 * as preset names, with the labels printed.
 */
export const BENCH_METHOD_LABELS: Readonly<Record<string, string>> = {
  "baseline": "baseline",
  "dropKey-column": "DropKey-column",
  "dropAttention-element": "DropAttention-element",
  "hiddenCut-element": "HiddenCut-element",
  "hiddenKey-minus": "HiddenKey⁻",
  "hiddenKey": "HiddenKey",
};

/** A batch the caller owns: call `dispose()` when done. */
export interface BenchBatch extends LabeledBatch {
  /** Frees the batch's tensors. */
  dispose(): void;
}

/**
 * A `(batch, seq)` batch of random token ids (never the 3 special ids), all unmasked, with
 * random binary labels; the same ids on every call with the same arguments.
 *
 * @param base The model (its vocabulary size bounds the ids).
 * @param batch Examples B.
 * @param seq Tokens per example T.
 * @returns The batch (`inputIds` and `attentionMask` `(B, T)`, `labels` `(B)`).
 * @example
 * ```ts
 * import { benchBatch } from "./_step_setup.ts";
 * import { initBackend } from "../lib/backend.ts";
 * import { tinyEncoder } from "../lib/models/_tiny_encoder.ts";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const b = benchBatch(tinyEncoder(), 2, 5);
 * assertEquals(b.inputs.inputIds.shape, [2, 5]);
 * assertEquals(b.tokens, 10);
 * b.dispose();
 * ```
 */
export function benchBatch(base: TaskBase, batch: number, seq: number): BenchBatch {
  if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(seq) || seq < 1) {
    throw new RangeError(
      `Cannot build a bench batch: expected positive integer batch and seq, received ${batch}×${seq}`,
    );
  }
  const ids = randomInts(randomKey(11), batch * seq, base.config.vocabSize - 3).map((v) => v + 3);
  const inputs = {
    inputIds: tf.tensor2d(ids, [batch, seq], "int32"),
    attentionMask: tf.ones([batch, seq]) as tf.Tensor2D,
  };
  const labels = tf.tensor1d(randomInts(randomKey(12), batch, 2), "int32");
  return {
    inputs,
    labels,
    tokens: batch * seq,
    dispose: () => tf.dispose([inputs.inputIds, inputs.attentionMask, labels]),
  };
}

/** A model ready to train: model, optimiser and plan. */
export interface BenchTrainer {
  /** The task model (LoRA {@linkcode BENCH_LORA}, 2-class mean-pooling head). */
  readonly model: TaskModel;
  /** AdamW over `model.trainable` (weight decay 0.01). */
  readonly opt: AdamW;
  /** The preset's dropout plan. */
  readonly plan: DropoutPlan;
  /** Frees the optimiser state and the model's own variables (not the base's weights). */
  dispose(): void;
}

/**
 * The task model, optimiser and dropout plan of a benchmarked method.
 *
 * @param base The pretrained base (USE-lite in the benchmarks).
 * @param method A preset name (`lib/dropout/presets.ts`), e.g. `"baseline"`, `"hiddenKey"`.
 * @param rate The dropout rate; the KL weight is 1.
 * @returns The trainer; call `dispose()` when done.
 * @example
 * ```ts
 * import { benchBatch, benchTrainer } from "./_step_setup.ts";
 * import { initBackend } from "../lib/backend.ts";
 * import { tinyEncoder } from "../lib/models/_tiny_encoder.ts";
 * import { randomKey } from "../lib/random.ts";
 * import { trainStep } from "../lib/train/train_step.ts";
 * import { assert } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const base = tinyEncoder();
 * const batch = benchBatch(base, 2, 5);
 * const t = benchTrainer(base, "hiddenKey", 0.1);
 * const step = trainStep(t.model, t.opt, batch, t.plan, randomKey(0), { lr: 1e-4 });
 * assert(Number.isFinite(step.loss));
 * t.dispose();
 * batch.dispose();
 * ```
 */
export function benchTrainer(base: TaskBase, method: string, rate: number): BenchTrainer {
  const plan = presetPlan(method, { rate, klWeight: 1 });
  const model = createTaskModel(base, {
    lora: BENCH_LORA,
    head: { kind: "classification", numClasses: 2, pooling: "mean" },
  }, randomKey(1));
  const opt = createAdamW(model.trainable, { weightDecay: 0.01 });
  return {
    model,
    opt,
    plan,
    dispose: () => {
      disposeAdamW(opt);
      model.dispose();
    },
  };
}
