/**
 * Deterministic shuffled epochs of example batches, optionally bucketed by length.
 *
 * @module
 */
import { foldIn, permutation, type RandomKey } from "../random.ts";

/** How to cut an epoch into batches. */
export interface EpochBatchOptions {
  /** Examples per batch (a positive integer). */
  readonly batchSize: number;
  /** Drop the last, smaller batch of an epoch; false by default. */
  readonly dropLast?: boolean;
  /**
   * Bucketing: the length of each item (e.g. its token count). Items are then shuffled, taken in
   * pools of `batchSize · poolBatches`, sorted by length inside each pool and cut into batches,
   * and the batches are shuffled; similar lengths share a batch, so less padding.
   */
  readonly lengths?: ArrayLike<number>;
  /** Batches per bucketing pool; 32 by default. */
  readonly poolBatches?: number;
}

/**
 * The item indices of every batch of one epoch. The same `(key, epoch, n, options)` always give
 * the same batches; another epoch gives another order. Every index appears exactly once per
 * epoch (except the dropped tail with `dropLast`).
 *
 * @param n The number of items.
 * @param key The data-order key (use it only for data order).
 * @param epoch The 0-based epoch.
 * @param options Batch size, tail handling and optional length bucketing.
 * @returns The batches of item indices, in the order to train on them.
 * @example
 * ```ts
 * import { epochBatchIndices } from "@loradrop/core/data";
 * import { randomKey } from "@loradrop/core";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 * const key = randomKey(0);
 * const e0 = epochBatchIndices(10, key, 0, { batchSize: 4 });
 * assertEquals(e0.map((b) => b.length), [4, 4, 2]);
 * assertEquals(e0.flat().sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * assertEquals(epochBatchIndices(10, key, 0, { batchSize: 4 }), e0);
 * assertNotEquals(epochBatchIndices(10, key, 1, { batchSize: 4 }), e0);
 * ```
 */
export function epochBatchIndices(
  n: number,
  key: RandomKey,
  epoch: number,
  options: EpochBatchOptions,
): number[][] {
  const { batchSize, dropLast = false, lengths, poolBatches = 32 } = options;
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`Cannot make batches: n must be a non-negative integer, received ${n}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `Cannot make batches: batchSize must be a positive integer, received ${batchSize}`,
    );
  }
  if (!Number.isInteger(epoch) || epoch < 0) {
    throw new RangeError(
      `Cannot make batches: epoch must be a non-negative integer, received ${epoch}`,
    );
  }
  if (!Number.isInteger(poolBatches) || poolBatches < 1) {
    throw new RangeError(
      `Cannot make batches: poolBatches must be a positive integer, received ${poolBatches}`,
    );
  }
  if (lengths !== undefined) {
    if (lengths.length !== n) {
      throw new RangeError(
        `Cannot make batches: lengths must have one entry per item (${n}), received ${lengths.length}`,
      );
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(lengths[i])) {
        throw new RangeError(
          `Cannot make batches: lengths must be finite numbers, received ${
            lengths[i]
          } at index ${i}`,
        );
      }
    }
  }
  const epochKey = foldIn(key, epoch);
  const order = Array.from(permutation(foldIn(epochKey, 0), n));
  const cut = (items: number[]) => {
    const out: number[][] = [];
    for (let s = 0; s < items.length; s += batchSize) out.push(items.slice(s, s + batchSize));
    return out;
  };
  if (lengths === undefined) {
    const batches = cut(order);
    if (dropLast && batches.length > 0 && batches.at(-1)!.length < batchSize) batches.pop();
    return batches;
  }
  const poolSize = batchSize * poolBatches;
  let batches: number[][] = [];
  for (let p = 0; p < order.length; p += poolSize) {
    // Stable sort: ties keep their shuffled order.
    const pool = order.slice(p, p + poolSize).sort((a, b) => lengths[a]! - lengths[b]!);
    for (const batch of cut(pool)) batches.push(batch);
  }
  if (dropLast) batches = batches.filter((b) => b.length === batchSize);
  const shuffle = permutation(foldIn(epochKey, 1), batches.length);
  return Array.from(shuffle, (i) => batches[i]!);
}

/**
 * The batches of one epoch of items (see {@linkcode epochBatchIndices}).
 *
 * @param items The examples (or any items).
 * @param key The data-order key.
 * @param epoch The 0-based epoch.
 * @param options Batch size, tail handling, and `length` to bucket by (e.g. a token count).
 * @returns The batches of items.
 * @example
 * ```ts
 * import { epochBatches } from "@loradrop/core/data";
 * import { randomKey } from "@loradrop/core";
 * import { assert, assertEquals } from "@std/assert";
 * const items = ["a", "bb", "ccc", "dddd", "e", "ff", "ggg", "hhhh"].map((text) => ({ text, label: 0 }));
 * const batches = epochBatches(items, randomKey(1), 0, { batchSize: 2, length: (e) => e.text.length });
 * assertEquals(batches.length, 4);
 * // bucketed: the two items of a batch have equal lengths here
 * assert(batches.every(([x, y]) => x!.text.length === y!.text.length));
 * ```
 */
export function epochBatches<T>(
  items: readonly T[],
  key: RandomKey,
  epoch: number,
  options: Omit<EpochBatchOptions, "lengths"> & { readonly length?: (item: T) => number },
): T[][] {
  const { length, ...rest } = options;
  const indexOptions = length === undefined ? rest : { ...rest, lengths: items.map(length) };
  return epochBatchIndices(items.length, key, epoch, indexOptions).map((b) =>
    b.map((i) => items[i]!)
  );
}
