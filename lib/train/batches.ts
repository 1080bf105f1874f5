/**
 * Training data order: every epoch is a fresh permutation drawn from the data key, cut into
 * consecutive batches (the last one of an epoch may be smaller). The batch of a step depends on
 * nothing but `(data key, step, size, batchSize)`, so a resumed run sees the same data.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { foldIn, permutation, type RandomKey } from "../random.ts";
import type { Tensor } from "../types.ts";
import type { TaskBatch } from "../models/task_model.ts";

/** A model batch with its labels. */
export interface LabeledBatch {
  /** The model's inputs. */
  readonly inputs: TaskBatch;
  /** `(B)`: int32 class indices (classification) or float32 targets (regression). */
  readonly labels: Tensor;
  /** The number of real (non-padding) tokens, for throughput. */
  readonly tokens: number;
}

/** Examples the trainer can turn into batches. */
export interface BatchSource {
  /** How many examples there are. */
  readonly size: number;
  /**
   * Builds the tensors of the examples at `indices`; the caller disposes them with
   * {@linkcode disposeLabeledBatch}.
   */
  batch(indices: readonly number[]): LabeledBatch;
  /** The labels of every example, in order (for metrics). */
  readonly labels: ArrayLike<number>;
}

/** Where a step's batch sits in the data stream. */
export interface DataPosition {
  /** The 0-based epoch. */
  readonly epoch: number;
  /** The batch's index inside its epoch. */
  readonly batchInEpoch: number;
  /** The example indices of the batch. */
  readonly indices: readonly number[];
}

/**
 * The number of batches in one epoch (the last one may be smaller).
 *
 * @param size The number of examples (> 0).
 * @param batchSize The batch size (> 0).
 * @returns `ceil(size / batchSize)`.
 * @example
 * ```ts
 * import { batchesPerEpoch } from "./batches.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(batchesPerEpoch(10, 4), 3);
 * ```
 */
export function batchesPerEpoch(size: number, batchSize: number): number {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(
      `Cannot batch the training data: it must have at least one example, received size ${size}`,
    );
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `Cannot batch the training data: batchSize must be a positive integer, received ${batchSize}`,
    );
  }
  return Math.ceil(size / batchSize);
}

/**
 * The batch of training step `step` (0-based): epoch `e` uses `permutation(foldIn(dataKey, e), size)`.
 *
 * @param dataKey The run's data-order key.
 * @param step The 0-based step.
 * @param size The number of training examples.
 * @param batchSize The batch size.
 * @returns The epoch, the batch index in the epoch and the example indices.
 * @example
 * ```ts
 * import { batchAt } from "./batches.ts";
 * import { randomKey } from "../random.ts";
 * import { assertEquals } from "@std/assert";
 * const key = randomKey(0);
 * const epoch0 = [0, 1, 2].flatMap((s) => batchAt(key, s, 10, 4).indices);
 * assertEquals([...epoch0].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * assertEquals(batchAt(key, 3, 10, 4).epoch, 1);
 * ```
 */
export function batchAt(
  dataKey: RandomKey,
  step: number,
  size: number,
  batchSize: number,
): DataPosition {
  const perEpoch = batchesPerEpoch(size, batchSize);
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new RangeError(
      `Cannot pick a training batch: step must be a non-negative integer, received ${step}`,
    );
  }
  const epoch = Math.floor(step / perEpoch);
  const batchInEpoch = step % perEpoch;
  const order = permutation(foldIn(dataKey, epoch), size);
  const start = batchInEpoch * batchSize;
  const indices = Array.from(order.subarray(start, Math.min(size, start + batchSize)));
  return { epoch, batchInEpoch, indices };
}

/**
 * Frees a batch's tensors.
 *
 * @param batch The batch.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { disposeLabeledBatch } from "./batches.ts";
 * import { assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * const before = tf.memory().numTensors;
 * disposeLabeledBatch({
 *   inputs: { inputIds: tf.tensor2d([[1]], undefined, "int32"), attentionMask: tf.tensor2d([[1]]) },
 *   labels: tf.tensor1d([0], "int32"),
 *   tokens: 1,
 * });
 * assertEquals(tf.memory().numTensors, before);
 * ```
 */
export function disposeLabeledBatch(batch: LabeledBatch): void {
  const { inputIds, attentionMask, tokenTypeIds } = batch.inputs;
  tf.dispose([inputIds, attentionMask, batch.labels]);
  if (tokenTypeIds !== undefined) tf.dispose(tokenTypeIds);
}
