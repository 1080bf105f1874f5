import { assert, assertEquals, assertThrows } from "@std/assert";
import { groupedSplit, seededSplit } from "../lib/data/split.ts";
import { permutation, randomKey } from "../lib/random.ts";

Deno.test("seededSplit cuts permutation(randomKey(seed), n) into disjoint, covering parts", () => {
  const parts = seededSplit(7, 101, [0.8, 0.1, 0.1]);
  assertEquals(parts.map((p) => p.length), [81, 10, 10]);
  assertEquals(parts.flat(), Array.from(permutation(randomKey(7), 101)));
  assertEquals(seededSplit(7, 101, [0.8, 0.1, 0.1]), parts);
  assert(seededSplit(8, 101, [0.8, 0.1, 0.1])[1]!.join() !== parts[1]!.join());
});

Deno.test("seededSplit leaves the rest out when fractions sum below 1, and rejects bad fractions", () => {
  assertEquals(seededSplit(0, 10, [0.5]).flat().length, 5);
  assertThrows(() => seededSplit(0, 10, [0.8, 0.3]), RangeError, "summing to at most 1");
  assertThrows(() => seededSplit(0, 10, [0.5, 0]), RangeError, "received 0");
  assertThrows(() => seededSplit(0, 10, []), RangeError);
});

Deno.test("groupedSplit never puts one group in two parts", () => {
  const groups = Array.from({ length: 500 }, (_, i) => `g${(i * 7919) % 53}`);
  const parts = groupedSplit(3, groups, [0.8, 0.1, 0.1]);
  assertEquals(parts.flat().sort((a, b) => a - b), groups.map((_, i) => i));
  const seen = new Map<string, number>();
  parts.forEach((part, p) =>
    part.forEach((i) => {
      const g = groups[i]!;
      assert((seen.get(g) ?? p) === p, `group ${g} in parts ${seen.get(g)} and ${p}`);
      seen.set(g, p);
    })
  );
  // dev gets round(53 · 0.9) − round(53 · 0.8) = 48 − 42 groups
  assertEquals(new Set(parts[1]!.map((i) => groups[i])).size, 6);
});
