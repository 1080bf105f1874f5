// Test helpers for the trainer: a tiny LoRA-style TaskModel over fixed random token features and
// a synthetic token-counting task (classification or regression) served as a BatchSource.
import * as tf from "@tensorflow/tfjs-core";
import { foldIn, randomInts, type RandomKey, randomKey, uniform } from "../lib/random.ts";
import { dropAt, type DropoutPlan } from "../lib/dropout/spec.ts";
import type { DropContext } from "../lib/dropout/context.ts";
import { dropRepresentation } from "../lib/dropout/drop_representation.ts";
import type { TaskBatch, TaskModel, TaskOutput } from "../lib/models/task_model.ts";
import type { BatchSource, LabeledBatch } from "../lib/train/batches.ts";

export const TOY_VOCAB = 12;
const DIM = 6;
const RANK = 2;

function uniformTensor(key: RandomKey, shape: number[], bound: number): tf.Tensor {
  const u = uniform(key, shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < u.length; i++) u[i] = (2 * u[i]! - 1) * bound;
  return tf.tensor(u, shape);
}

/** The frozen "pretrained" part: token features and a base kernel (fixed, seed-independent). */
export interface ToyBase {
  readonly embedding: tf.Tensor2D; // (V, D)
  readonly kernel: tf.Tensor2D; // (D, D)
}

export function toyBase(): ToyBase {
  const key = randomKey(12345);
  return {
    embedding: uniformTensor(foldIn(key, 0), [TOY_VOCAB, DIM], 1) as tf.Tensor2D,
    kernel: uniformTensor(foldIn(key, 1), [DIM, DIM], 0.7) as tf.Tensor2D,
  };
}

/**
 * pooled = tanh(x W0 + 2·drop(x) A B), x the masked mean of token features;
 * logits = drop(pooled) Wh + bh. Drops: `lora-input` and `classifier`.
 */
export function toyTaskModel(
  base: ToyBase,
  initKey: RandomKey,
  kind: "classification" | "regression" = "classification",
): TaskModel {
  const outputs = kind === "classification" ? 2 : 1;
  // tf.variable keeps its initial tensor alive: build inside tidy so that only variables remain.
  const trainable = tf.tidy(() => ({
    "lora.a": tf.variable(uniformTensor(foldIn(initKey, 0), [DIM, RANK], Math.sqrt(1 / DIM))),
    "lora.b": tf.variable(tf.zeros([RANK, DIM])),
    "head.kernel": tf.variable(uniformTensor(foldIn(initKey, 1), [DIM, outputs], 0.5)),
    "head.bias": tf.variable(tf.zeros([outputs])),
  }));
  return {
    kind,
    trainable,
    forward(batch: TaskBatch, plan: DropoutPlan, ctx: DropContext): TaskOutput {
      return tf.tidy(() => {
        const sub = (i: number): DropContext =>
          ctx.training && ctx.key !== undefined ? { training: true, key: foldIn(ctx.key, i) } : ctx;
        const mask = tf.cast(batch.attentionMask, "float32"); // (B, T)
        const feats = tf.gather(base.embedding, batch.inputIds); // (B, T, D)
        const summed = tf.sum(tf.mul(feats, tf.expandDims(mask, -1)), 1); // (B, D)
        const x = tf.div(summed, tf.expandDims(tf.sum(mask, 1), -1)); // (B, D)
        const xd = dropRepresentation(x, dropAt(plan, "lora-input", 0, 1), sub(0));
        const lora = tf.mul(tf.matMul(tf.matMul(xd, trainable["lora.a"]), trainable["lora.b"]), 2);
        const pooled = tf.tanh(tf.add(tf.matMul(x, base.kernel), lora)); // (B, D)
        const hd = dropRepresentation(pooled, dropAt(plan, "classifier", 0, 1), sub(1));
        let logits = tf.add(tf.matMul(hd, trainable["head.kernel"]), trainable["head.bias"]); // (B, C)
        if (kind === "regression") logits = tf.squeeze(logits, [1]); // (B)
        return { logits, pooled };
      });
    },
    dispose(): void {
      tf.dispose(Object.values(trainable));
    },
  };
}

/** Random sequences of 3-7 tokens; label = more tokens < 6 than ≥ 6 (or their share, regression). */
export function toySource(
  n: number,
  seed: number,
  kind: "classification" | "regression" = "classification",
): BatchSource {
  const key = randomKey(seed);
  const lengths = randomInts(foldIn(key, 0), n, 5);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    rows.push(
      [...randomInts(foldIn(key, i + 1), 3 + lengths[i]!, TOY_VOCAB - 1)].map((t) => t + 1),
    );
  }
  const labels = rows.map((r) => {
    const low = r.filter((t) => t < 6).length / r.length;
    return kind === "classification" ? (low > 0.5 ? 1 : 0) : low;
  });
  return {
    size: n,
    labels,
    lengths: rows.map((r) => r.length),
    batch(indices: readonly number[]): LabeledBatch {
      const width = Math.max(...indices.map((i) => rows[i]!.length));
      const ids = indices.map((i) => [...rows[i]!, ...Array(width - rows[i]!.length).fill(0)]);
      const mask = indices.map((i) =>
        Array.from({ length: width }, (_, j) => (j < rows[i]!.length ? 1 : 0))
      );
      return {
        inputs: {
          inputIds: tf.tensor2d(ids, [indices.length, width], "int32"),
          attentionMask: tf.tensor2d(mask, [indices.length, width], "float32"),
        },
        labels: kind === "classification"
          ? tf.tensor1d(indices.map((i) => labels[i]!), "int32")
          : tf.tensor1d(indices.map((i) => labels[i]!), "float32"),
        tokens: indices.reduce((s, i) => s + rows[i]!.length, 0),
      };
    },
  };
}
