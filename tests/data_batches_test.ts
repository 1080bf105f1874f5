import { assert, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { epochBatches, epochBatchIndices } from "../lib/data/batches.ts";
import { foldIn, permutation, randomKey } from "../lib/random.ts";

const key = randomKey(42);

Deno.test("epochBatchIndices without bucketing cuts permutation(foldIn(foldIn(key, epoch), 0))", () => {
  const batches = epochBatchIndices(23, key, 3, { batchSize: 5 });
  assertEquals(batches.flat(), Array.from(permutation(foldIn(foldIn(key, 3), 0), 23)));
  assertEquals(batches.map((b) => b.length), [5, 5, 5, 5, 3]);
  assertEquals(epochBatchIndices(23, key, 3, { batchSize: 5, dropLast: true }).length, 4);
  assertEquals(epochBatchIndices(20, key, 0, { batchSize: 5, dropLast: true }).length, 4);
  assertEquals(epochBatchIndices(0, key, 0, { batchSize: 5 }), []);
});

Deno.test("epochBatchIndices: epochs differ, keys differ, same inputs repeat exactly", () => {
  const a = epochBatchIndices(50, key, 0, { batchSize: 8 });
  assertEquals(epochBatchIndices(50, key, 0, { batchSize: 8 }), a);
  assertNotEquals(epochBatchIndices(50, key, 1, { batchSize: 8 }), a);
  assertNotEquals(epochBatchIndices(50, randomKey(43), 0, { batchSize: 8 }), a);
});

Deno.test("epochBatchIndices with lengths buckets similar lengths and still covers every item", () => {
  const n = 1000;
  const lengths = Array.from(permutation(randomKey(5), n), (v) => 5 + (v % 120));
  const plain = epochBatchIndices(n, key, 0, { batchSize: 16 });
  const bucketed = epochBatchIndices(n, key, 0, { batchSize: 16, lengths, poolBatches: 8 });
  assertEquals(bucketed.flat().sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i));
  const padding = (batches: number[][]) =>
    batches.reduce((sum, b) => {
      const ls = b.map((i) => lengths[i]!);
      return sum + ls.reduce((s, l) => s + Math.max(...ls) - l, 0);
    }, 0);
  assert(padding(bucketed) < padding(plain) / 4, `${padding(bucketed)} vs ${padding(plain)}`);
  // Batches are shuffled: not sorted by length across the epoch.
  const firsts = bucketed.map((b) => lengths[b[0]!]!);
  assertNotEquals(firsts, [...firsts].sort((x, y) => x - y));
  const dropped = epochBatchIndices(n, key, 0, { batchSize: 16, lengths, dropLast: true });
  assert(dropped.every((b) => b.length === 16));
});

Deno.test("epochBatches returns items and validates its options", () => {
  const items = Array.from({ length: 7 }, (_, i) => ({ text: "x".repeat(i + 1), label: i % 2 }));
  const batches = epochBatches(items, key, 0, { batchSize: 3 });
  assertEquals(batches.flat().length, 7);
  assertEquals(new Set(batches.flat()).size, 7);
  assertThrows(() => epochBatchIndices(5, key, 0, { batchSize: 0 }), RangeError, "received 0");
  assertThrows(() => epochBatchIndices(5, key, -1, { batchSize: 2 }), RangeError, "epoch");
  assertThrows(
    () => epochBatchIndices(5, key, 0, { batchSize: 2, lengths: [1, 2] }),
    RangeError,
    "one entry per item (5), received 2",
  );
  assertThrows(
    () => epochBatchIndices(2, key, 0, { batchSize: 2, lengths: [1, NaN] }),
    RangeError,
    "received NaN at index 1",
  );
});
