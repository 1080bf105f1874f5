// Helpers shared by the built-in tasks: dedupe, split selection, standardisation, card building.
import type { Example, Standardisation, Task, TaskInfo } from "./example.ts";
import { permutation, randomKey } from "../random.ts";
import { seededSplit } from "./split.ts";

/** The three splits of a built-in task before standardisation. */
export interface RawSplits {
  readonly train: readonly Example[];
  readonly dev: readonly Example[];
  readonly test: readonly Example[];
}

/** Picks items by index. */
export function pick<T>(items: readonly T[], indices: readonly number[]): T[] {
  return indices.map((i) => items[i]!);
}

/**
 * Drops exact duplicate texts (pairs): the first copy is kept; when copies disagree on the
 * label, every copy is dropped.
 */
export function dedupe(examples: readonly Example[]): Example[] {
  const key = (e: Example) => e.textPair === undefined ? e.text : `${e.text}\u0000${e.textPair}`;
  const labels = new Map<string, number>();
  const conflicting = new Set<string>();
  for (const e of examples) {
    const k = key(e);
    const l = labels.get(k);
    if (l === undefined) labels.set(k, e.label);
    else if (l !== e.label) conflicting.add(k);
  }
  const seen = new Set<string>();
  return examples.filter((e) => {
    const k = key(e);
    if (conflicting.has(k) || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Drops duplicates ({@linkcode dedupe}), then splits the rest 80/10/10 by a seeded permutation. */
export function dedupeAndSplit(examples: readonly Example[], seed: number): RawSplits {
  const unique = dedupe(examples);
  const [train, dev, test] = seededSplit(seed, unique.length, [0.8, 0.1, 0.1]);
  return { train: pick(unique, train!), dev: pick(unique, dev!), test: pick(unique, test!) };
}

/** The first `n` examples of a seeded permutation of `examples` (all of them when fewer). */
export function sample(examples: readonly Example[], n: number, seed: number): Example[] {
  const order = permutation(randomKey(seed), examples.length);
  return pick(examples, Array.from(order.subarray(0, Math.min(n, examples.length))));
}

/** Mean and population standard deviation of the training labels. */
export function standardisationOf(train: readonly Example[]): Standardisation {
  const n = train.length;
  const mean = train.reduce((a, e) => a + e.label, 0) / n;
  const variance = train.reduce((a, e) => a + (e.label - mean) ** 2, 0) / n;
  const std = Math.sqrt(variance);
  if (!(n > 1 && std > 0)) {
    throw new RangeError(
      `Cannot standardise labels: need at least two distinct training labels, received ${n} examples with std ${std}`,
    );
  }
  return { mean, std };
}

/** Builds a task, standardising regression labels with the training split's statistics. */
export function buildTask(
  info: TaskInfo,
  splits: RawSplits,
  options: { readonly standardise?: boolean; readonly withTest?: boolean } = {},
): Task {
  const withTest = options.withTest ?? true;
  let { train, dev, test } = splits;
  let standardisation: Standardisation | undefined;
  if (options.standardise) {
    const s = standardisationOf(train);
    standardisation = s;
    const apply = (xs: readonly Example[]) =>
      xs.map((e) => ({ ...e, label: (e.label - s.mean) / s.std }));
    train = apply(train);
    dev = apply(dev);
    test = apply(test);
  }
  const sizes = withTest
    ? { train: train.length, dev: dev.length, test: test.length }
    : { train: train.length, dev: dev.length };
  const card = standardisation === undefined
    ? { ...info, sizes }
    : { ...info, sizes, standardisation };
  return withTest ? { card, train, dev, test } : { card, train, dev };
}
