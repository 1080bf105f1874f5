/**
 * One optimisation step of LoRA fine-tuning with a dropout plan (paper §3-§4).
 *
 * Pass 1 runs in training mode with key `k1` and gives the task loss (cross-entropy, or mean
 * squared error for regression). With `plan.consistency`, a second pass gives the consistency
 * term `α · L(pass 1, pass 2)` (`consistencyLoss` of `lib/losses`). Which pass 2 is comes from
 * the kind's row in the compensation table (`secondPass`):
 * - `dropout` (`kl`, `js-hiddencut`, `mse`): another training pass with a fresh key `k2`
 *   (`splitKey` of the step key: never the same masks as pass 1);
 * - `inference` (`js`): the inference pass (`training: false`) of the same batch.
 *
 * `branches: "one"` (the paper) computes pass 2 outside the gradient, as a constant: no tape is
 * recorded for it, which is cheaper. `branches: "both"` (R-Drop) records both passes; for two
 * training passes the task loss is then the mean of both passes' task losses.
 *
 * A model with an `objective` (a language model) supplies its own task loss and the token mask
 * of the consistency term.
 *
 * Regression models have one output per example, on which KL and JS are meaningless: every
 * consistency kind is then the mean squared difference, of the outputs (`logits`, default) or of
 * the `pooled` representations.
 *
 * The gradients of `model.trainable` (and nothing else) are clipped to a global norm and applied
 * with AdamW. A non-finite loss is reported (`applied: false`) before any variable is touched.
 * Every intermediate tensor is disposed.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type RandomKey, splitKey } from "../random.ts";
import type { ConsistencySpec, DropoutPlan } from "../dropout/spec.ts";
import type { TaskModel, TaskOutput } from "../models/task_model.ts";
import { compensationFor, consistencyLoss, crossEntropy, meanSquaredError } from "../losses/mod.ts";
import type { NamedTensors, Tensor } from "../types.ts";
import { type AdamW, adamWUpdate } from "./adamw.ts";
import { clipByGlobalNorm } from "./clip.ts";
import type { LabeledBatch } from "./batches.ts";

/** Options of {@linkcode trainStep}. */
export interface StepOptions {
  /** This step's learning rate. */
  readonly lr: number;
  /** The global gradient norm is clipped to this (default 1, the HF trainer's); `Infinity`: none. */
  readonly maxGradNorm?: number;
  /** Regression only: what the consistency MSE compares; `logits` (the outputs) by default. */
  readonly regressionConsistencyOn?: "logits" | "pooled";
}

/** What one step did. */
export interface StepResult {
  /** The total loss (task + consistency) that was differentiated. */
  readonly loss: number;
  /** The task loss (mean over the passes that carry it). */
  readonly taskLoss: number;
  /** The weighted consistency term, when the plan has one. */
  readonly consistencyLoss?: number;
  /** The global gradient norm before clipping. */
  readonly gradNorm: number;
  /** False when the loss was not finite: then no variable was changed. */
  readonly applied: boolean;
  /** The largest `tf.memory().numBytes` seen during the step. */
  readonly peakBytes: number;
}

function taskLoss(model: TaskModel, out: TaskOutput, labels: Tensor): Tensor {
  if (model.objective !== undefined) return model.objective.taskLoss(out, labels);
  if (model.kind === "classification") return crossEntropy(out.logits, labels);
  return meanSquaredError(out.logits, labels);
}

/** The consistency spec actually used: regression compares outputs by MSE. */
function effectiveSpec(model: TaskModel, spec: ConsistencySpec): ConsistencySpec {
  return model.kind === "regression" ? { ...spec, kind: "mse" } : spec;
}

function consistencyInput(model: TaskModel, out: TaskOutput, options: StepOptions): Tensor {
  if (model.kind === "regression" && options.regressionConsistencyOn === "pooled") {
    return out.pooled;
  }
  return out.logits;
}

function checkLabels(model: TaskModel, batch: LabeledBatch): void {
  if (model.objective !== undefined) return; // the objective checks its labels
  const b = batch.inputs.inputIds.shape[0];
  const { labels } = batch;
  if (labels.rank !== 1 || labels.shape[0] !== b) {
    throw new RangeError(
      `Cannot run a training step: labels must have shape [${b}], received [${labels.shape}]`,
    );
  }
  const want = model.kind === "classification" ? "int32" : "float32";
  if (labels.dtype !== want) {
    throw new TypeError(
      `Cannot run a training step: ${model.kind} labels must be ${want}, received ${labels.dtype}`,
    );
  }
}

/**
 * Runs one training step: forward pass(es), loss, gradients of `model.trainable`, clipping, AdamW.
 *
 * @param model The task model; only `model.trainable` is updated (the optimiser's `params`).
 * @param opt AdamW over `model.trainable`.
 * @param batch The inputs and labels (not disposed here).
 * @param plan The dropout plan (drops and optional consistency).
 * @param key This step's key; split into the two passes' keys.
 * @param options The learning rate, clipping and regression consistency target.
 * @returns The losses, the gradient norm and whether the update was applied.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { createTaskModel } from "@loradrop/core/models";
 * import { tinyEncoder } from "../models/_tiny_encoder.ts";
 * import { randomKey } from "@loradrop/core";
 * import { createAdamW, disposeAdamW } from "@loradrop/core/train";
 * import { trainStep } from "@loradrop/core/train";
 * import { assert } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const model = createTaskModel(tinyEncoder(), { head: { kind: "classification", numClasses: 2, pooling: "mean" } }, randomKey(0));
 * const opt = createAdamW(model.trainable);
 * const batch = {
 *   inputs: { inputIds: tf.tensor2d([[3, 4, 5], [6, 7, 0]], undefined, "int32"), attentionMask: tf.tensor2d([[1, 1, 1], [1, 1, 0]]) },
 *   labels: tf.tensor1d([0, 1], "int32"),
 *   tokens: 5,
 * };
 * const plan = { drops: [{ position: "hidden", pattern: "element", rate: 0.1 }], consistency: { kind: "kl", weight: 1, branches: "one" } } as const;
 * const result = trainStep(model, opt, batch, plan, randomKey(1), { lr: 1e-3 });
 * assert(result.applied && result.loss > 0 && result.consistencyLoss! >= 0);
 * tf.dispose([batch.inputs.inputIds, batch.inputs.attentionMask, batch.labels]);
 * disposeAdamW(opt);
 * model.dispose();
 * ```
 */
export function trainStep(
  model: TaskModel,
  opt: AdamW,
  batch: LabeledBatch,
  plan: DropoutPlan,
  key: RandomKey,
  options: StepOptions,
): StepResult {
  checkLabels(model, batch);
  const names = Object.keys(model.trainable);
  for (const name of names) {
    if (opt.params[name] !== model.trainable[name]) {
      throw new TypeError(
        `Cannot run a training step: the optimiser does not hold model.trainable["${name}"]`,
      );
    }
  }
  const varList = names.map((n) => model.trainable[n]!);
  const byVarName = new Map(names.map((n) => [model.trainable[n]!.name, n]));
  const c = plan.consistency;
  const spec = c === undefined ? undefined : effectiveSpec(model, c);
  const [k1, k2] = splitKey(key);
  const { inputs, labels } = batch;
  const pass = (training: boolean, k: RandomKey): TaskOutput =>
    model.forward(inputs, plan, training ? { training: true, key: k } : { training: false });
  const dropoutSecond = c !== undefined &&
    compensationFor(c.kind, "run a training step", "plan.consistency.kind").secondPass ===
      "dropout";
  const secondPass = (): TaskOutput => pass(dropoutSecond, k2!);
  const averagesTask = dropoutSecond && c!.branches === "both";

  let peakBytes = tf.memory().numBytes;
  const parts: { task?: Tensor; consistency?: Tensor } = {};
  const { value, grads, norm } = tf.tidy(() => {
    // branches "one": pass 2 is a constant target, computed without a tape.
    const target = spec !== undefined && c!.branches === "one"
      ? consistencyInput(model, secondPass(), options)
      : undefined;
    const { value, grads } = tf.variableGrads(() => {
      const out1 = pass(true, k1!);
      let task = taskLoss(model, out1, labels);
      let total = task;
      if (spec !== undefined) {
        let other = target;
        if (other === undefined) {
          const out2 = secondPass();
          other = consistencyInput(model, out2, options);
          if (averagesTask) task = tf.div(tf.add(task, taskLoss(model, out2, labels)), 2);
          total = task;
        }
        const mask = model.objective?.consistencyMask?.(labels);
        const cons = consistencyLoss(
          spec,
          consistencyInput(model, out1, options),
          other,
          mask === undefined ? {} : { mask },
        );
        total = tf.add(task, cons);
        parts.consistency = tf.keep(cons);
      }
      parts.task = tf.keep(task);
      peakBytes = Math.max(peakBytes, tf.memory().numBytes);
      return total as tf.Scalar;
    }, varList);
    const named: NamedTensors = {};
    for (const [varName, g] of Object.entries(grads)) named[byVarName.get(varName)!] = g;
    const clipped = clipByGlobalNorm(named, options.maxGradNorm ?? 1);
    return { value, grads: clipped.grads, norm: clipped.norm };
  });
  try {
    const loss = value.dataSync()[0]!;
    const result = {
      loss,
      taskLoss: parts.task!.dataSync()[0]!,
      gradNorm: norm.dataSync()[0]!,
      peakBytes,
      ...(parts.consistency === undefined
        ? {}
        : { consistencyLoss: parts.consistency.dataSync()[0]! }),
    };
    if (!Number.isFinite(loss)) return { ...result, applied: false };
    adamWUpdate(opt, grads, options.lr);
    return { ...result, applied: true };
  } finally {
    tf.dispose([value, norm, ...Object.values(grads)]);
    if (parts.task !== undefined) tf.dispose(parts.task);
    if (parts.consistency !== undefined) tf.dispose(parts.consistency);
  }
}
