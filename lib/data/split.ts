/**
 * Fixed, seeded splits.
 *
 * @module
 */
import { permutation, randomKey } from "../random.ts";

/**
 * Splits `0..n-1` into consecutive parts of a seeded permutation
 * (`permutation(randomKey(seed), n)`). Part `i` gets `round(n·(f₀+…+fᵢ)) − round(n·(f₀+…+fᵢ₋₁))`
 * indices, so the parts are disjoint and, when the fractions sum to 1, cover every index.
 *
 * @param seed The split's seed (a safe integer).
 * @param n How many items.
 * @param fractions Positive fractions summing to at most 1.
 * @returns One index array per fraction.
 * @example
 * ```ts
 * import { seededSplit } from "@loradrop/core/data";
 * import { assertEquals } from "@std/assert";
 * const [train, dev] = seededSplit(0, 10, [0.8, 0.2]);
 * assertEquals([train!.length, dev!.length], [8, 2]);
 * assertEquals([...train!, ...dev!].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * ```
 */
export function seededSplit(seed: number, n: number, fractions: readonly number[]): number[][] {
  let total = 0;
  for (const f of fractions) {
    if (!(f > 0)) {
      throw new RangeError(`Cannot split: fractions must be positive, received ${f}`);
    }
    total += f;
  }
  if (fractions.length === 0 || total > 1 + 1e-9) {
    throw new RangeError(
      `Cannot split: expected fractions summing to at most 1, received [${fractions.join(", ")}]`,
    );
  }
  const order = permutation(randomKey(seed), n);
  const parts: number[][] = [];
  let cumulative = 0, start = 0;
  for (const f of fractions) {
    cumulative += f;
    const end = Math.min(n, Math.round(n * cumulative));
    parts.push(Array.from(order.subarray(start, end)));
    start = end;
  }
  return parts;
}

/**
 * Splits items by group (e.g. all sentences of one speech, all pairs of one lemma) so that no
 * group is in two parts: the distinct groups, in first-seen order, are split by
 * {@linkcode seededSplit}.
 *
 * @param seed The split's seed.
 * @param groups The group of each item.
 * @param fractions Fractions of the groups per part.
 * @returns One array of item indices per fraction, each in item order.
 * @example
 * ```ts
 * import { groupedSplit } from "@loradrop/core/data";
 * import { assertEquals } from "@std/assert";
 * const parts = groupedSplit(1, ["a", "a", "b", "c", "c"], [0.34, 0.33, 0.33]);
 * assertEquals(parts.flat().sort(), [0, 1, 2, 3, 4]);
 * // items of one group stay together
 * assertEquals(parts.some((p) => p.includes(0) && p.includes(1)), true);
 * ```
 */
export function groupedSplit(
  seed: number,
  groups: readonly (string | number)[],
  fractions: readonly number[],
): number[][] {
  const ids = new Map<string | number, number>();
  for (const g of groups) if (!ids.has(g)) ids.set(g, ids.size);
  const groupParts = seededSplit(seed, ids.size, fractions);
  const partOfGroup = new Int32Array(ids.size).fill(-1);
  groupParts.forEach((part, p) => part.forEach((g) => partOfGroup[g] = p));
  const parts: number[][] = fractions.map(() => []);
  groups.forEach((g, i) => {
    const p = partOfGroup[ids.get(g)!]!;
    if (p >= 0) parts[p]!.push(i);
  });
  return parts;
}
