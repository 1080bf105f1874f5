/**
 * Evaluation of a task model on a labelled split, in inference mode (every dropout operator an
 * identity): predictions, the task loss and the task's metrics.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { DropoutPlan } from "../dropout/spec.ts";
import type { TaskModel } from "../models/task_model.ts";
import { crossEntropy, meanSquaredError } from "../losses/mod.ts";
import { computeMetrics, type NluMetricName } from "../metrics/metric.ts";
import { type BatchSource, disposeLabeledBatch, inOrderBatches } from "./batches.ts";

/** Options of {@linkcode evaluate}. */
export interface EvaluateOptions {
  /** Examples per forward pass. */
  readonly batchSize: number;
  /** The metrics to compute (the first is the main one). */
  readonly metrics: readonly NluMetricName[];
  /** The run's plan (inference mode ignores its drops; passed for completeness). */
  readonly plan?: DropoutPlan;
}

/** What {@linkcode evaluate} returns. */
export interface EvalResult {
  /** Metric values by name. */
  readonly metrics: Record<string, number>;
  /** The mean task loss (cross-entropy or squared error) over the examples. */
  readonly loss: number;
  /** Predicted class indices (classification) or values (regression), in example order. */
  readonly predictions: Float32Array;
}

/**
 * Runs the model over every example of `source` in inference mode and scores it.
 *
 * @param model The task model.
 * @param source The labelled examples.
 * @param options Batch size and metric names.
 * @returns Metrics, mean loss and predictions.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { createTaskModel } from "@loradrop/core/models";
 * import { tinyEncoder } from "../models/_tiny_encoder.ts";
 * import { randomKey } from "@loradrop/core";
 * import { evaluate } from "@loradrop/core/train";
 * import { assert, assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const model = createTaskModel(tinyEncoder(), { head: { kind: "classification", numClasses: 2, pooling: "mean" } }, randomKey(0));
 * const ids = [[3, 4, 5], [6, 7, 8], [9, 10, 11]];
 * const source = {
 *   size: 3,
 *   labels: [0, 1, 1],
 *   batch: (indices: readonly number[]) => ({
 *     inputs: { inputIds: tf.tensor2d(indices.map((i) => ids[i]!), undefined, "int32"), attentionMask: tf.ones([indices.length, 3]) as tf.Tensor2D },
 *     labels: tf.tensor1d(indices.map((i) => [0, 1, 1][i]!), "int32"),
 *     tokens: 3 * indices.length,
 *   }),
 * };
 * const result = evaluate(model, source, { batchSize: 2, metrics: ["accuracy"] });
 * assertEquals(result.predictions.length, 3);
 * assert(result.metrics.accuracy! >= 0 && result.loss > 0);
 * model.dispose();
 * ```
 */
export function evaluate(
  model: TaskModel,
  source: BatchSource,
  options: EvaluateOptions,
): EvalResult {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `Cannot evaluate: batchSize must be a positive integer, received ${batchSize}`,
    );
  }
  if (!Number.isInteger(source.size) || source.size < 1) {
    throw new RangeError(
      `Cannot evaluate: the split must have examples, received size ${source.size}`,
    );
  }
  if (source.labels.length !== source.size) {
    throw new RangeError(
      `Cannot evaluate: the split has ${source.size} examples but ${source.labels.length} labels`,
    );
  }
  const plan = options.plan ?? { drops: [] };
  const predictions = new Float32Array(source.size);
  let lossSum = 0;
  for (const indices of inOrderBatches(source.size, batchSize)) {
    const batch = source.batch(indices);
    try {
      const [pred, loss] = tf.tidy(() => {
        const { logits } = model.forward(batch.inputs, plan, { training: false });
        if (model.kind === "classification") {
          return [tf.argMax(logits, -1), crossEntropy(logits, batch.labels)];
        }
        return [logits, meanSquaredError(logits, batch.labels)];
      });
      predictions.set(pred.dataSync(), indices[0]);
      lossSum += loss.dataSync()[0]! * indices.length;
      tf.dispose([pred, loss]);
    } finally {
      disposeLabeledBatch(batch);
    }
  }
  const metrics: Record<string, number> = computeMetrics(
    options.metrics,
    predictions,
    source.labels,
  );
  return { metrics, loss: lossSum / source.size, predictions };
}
