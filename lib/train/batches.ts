/**
 * Training batches: what the trainer needs from a data set ({@linkcode BatchSource}), the
 * order in which a run visits it ({@linkcode createDataOrder}), and the in-order batches of
 * evaluation and prediction ({@linkcode inOrderBatches}).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { RandomKey } from "../random.ts";
import { epochBatchIndices } from "../data/batches.ts";
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
  /** Optional per-example lengths (token counts), for grouping batches by length. */
  readonly lengths?: ArrayLike<number>;
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

/** Options of {@linkcode createDataOrder}. */
export interface DataOrderOptions {
  /** Examples per batch. */
  readonly batchSize: number;
  /**
   * Per-example lengths (e.g. token counts) to group similar lengths into a batch (less padding;
   * Hugging Face's `group_by_length`); plain shuffling without them.
   */
  readonly lengths?: ArrayLike<number>;
}

/** The batch of every step of a run; see {@linkcode createDataOrder}. */
export interface DataOrder {
  /** Batches per epoch. */
  readonly batchesPerEpoch: number;
  /** The batch of 0-based step `step`. */
  at(step: number): DataPosition;
}

/**
 * The run's data order: epoch `e` is `epochBatchIndices(size, dataKey, e, …)` of `lib/data`
 * (a fresh permutation per epoch, cut into batches, the last one possibly smaller), and steps
 * walk through the epochs in turn. The batch of a step depends only on `(dataKey, step, size,
 * options)`, so a resumed run sees the same data. One epoch is cached.
 *
 * @param dataKey The run's data-order key.
 * @param size The number of training examples (> 0).
 * @param options Batch size and optional length grouping.
 * @returns The data order.
 * @example
 * ```ts
 * import { createDataOrder } from "@loradrop/core/train";
 * import { randomKey } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * const order = createDataOrder(randomKey(0), 10, { batchSize: 4 });
 * assertEquals(order.batchesPerEpoch, 3);
 * const epoch0 = [0, 1, 2].flatMap((s) => order.at(s).indices);
 * assertEquals([...epoch0].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * assertEquals(order.at(3).epoch, 1);
 * ```
 */
export function createDataOrder(
  dataKey: RandomKey,
  size: number,
  options: DataOrderOptions,
): DataOrder {
  const { batchSize, lengths } = options;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(
      `Cannot order the training data: it must have at least one example, received size ${size}`,
    );
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `Cannot order the training data: batchSize must be a positive integer, received ${batchSize}`,
    );
  }
  const batchOptions = lengths === undefined ? { batchSize } : { batchSize, lengths };
  let cached: { epoch: number; batches: number[][] } | undefined;
  const epochBatches = (epoch: number): number[][] => {
    if (cached?.epoch !== epoch) {
      cached = { epoch, batches: epochBatchIndices(size, dataKey, epoch, batchOptions) };
    }
    return cached.batches;
  };
  // Every epoch has the same number of batches (pools are cut the same way in every epoch).
  const perEpoch = epochBatches(0).length;
  return {
    batchesPerEpoch: perEpoch,
    at(step: number): DataPosition {
      if (!Number.isSafeInteger(step) || step < 0) {
        throw new RangeError(
          `Cannot pick a training batch: step must be a non-negative integer, received ${step}`,
        );
      }
      const epoch = Math.floor(step / perEpoch);
      const batchInEpoch = step % perEpoch;
      return { epoch, batchInEpoch, indices: [...epochBatches(epoch)[batchInEpoch]!] };
    },
  };
}

/**
 * Frees a batch's tensors.
 *
 * @param batch The batch.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { disposeLabeledBatch } from "@loradrop/core/train";
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

/**
 * The indices 0 … size − 1 in order, cut into batches of `batchSize` (the last one may be
 * shorter): how evaluation and prediction walk a whole split.
 *
 * @param size The number of examples (an integer ≥ 0).
 * @param batchSize Examples per batch (an integer ≥ 1).
 * @returns The batches' indices.
 * @example
 * ```ts
 * import { inOrderBatches } from "@loradrop/core/train";
 * import { assertEquals } from "@std/assert";
 * assertEquals(inOrderBatches(5, 2), [[0, 1], [2, 3], [4]]);
 * assertEquals(inOrderBatches(0, 2), []);
 * ```
 */
export function inOrderBatches(size: number, batchSize: number): number[][] {
  if (!Number.isInteger(size) || size < 0) {
    throw new RangeError(`Cannot cut batches: size must be an integer >= 0, received ${size}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `Cannot cut batches: batchSize must be an integer >= 1, received ${batchSize}`,
    );
  }
  const out: number[][] = [];
  for (let start = 0; start < size; start += batchSize) {
    out.push(Array.from({ length: Math.min(batchSize, size - start) }, (_, i) => start + i));
  }
  return out;
}
