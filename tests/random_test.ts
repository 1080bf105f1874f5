import { assert, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { foldIn, permutation, randomKey, splitKey, uniform } from "../lib/random.ts";

Deno.test("randomKey gives the same stream for the same seed and different ones otherwise", () => {
  assertEquals(uniform(randomKey(42), 64), uniform(randomKey(42), 64));
  assertNotEquals(uniform(randomKey(42), 64), uniform(randomKey(43), 64));
});

Deno.test("splitKey and foldIn give pairwise distinct keys", () => {
  const k = randomKey(0);
  const keys = [...splitKey(k, 50), ...Array.from({ length: 50 }, (_, i) => foldIn(k, i)), k];
  const seen = new Set(keys.map((x) => x.words.join(":")));
  assertEquals(seen.size, keys.length);
});

Deno.test("uniform has mean 1/2 and variance 1/12 within 4 sigma", () => {
  const n = 200_000;
  const u = uniform(randomKey(9), n);
  let s = 0, s2 = 0;
  for (const x of u) {
    s += x;
    s2 += x * x;
  }
  const mean = s / n, variance = s2 / n - mean * mean;
  assert(Math.abs(mean - 0.5) < 4 * Math.sqrt(1 / 12 / n), `mean ${mean}`);
  assert(Math.abs(variance - 1 / 12) < 0.002, `variance ${variance}`);
});

Deno.test("uniform streams of split keys are uncorrelated", () => {
  const [a, b] = splitKey(randomKey(5));
  const n = 100_000, ua = uniform(a!, n), ub = uniform(b!, n);
  let c = 0;
  for (let i = 0; i < n; i++) c += (ua[i]! - 0.5) * (ub[i]! - 0.5);
  const corr = c / n * 12;
  assert(Math.abs(corr) < 4 / Math.sqrt(n), `correlation ${corr}`);
});

Deno.test("permutation is a permutation and random keys reject bad input", () => {
  const p = permutation(randomKey(1), 1000);
  assertEquals(new Set(p).size, 1000);
  assertThrows(() => randomKey(1.5), TypeError, "received 1.5");
  assertThrows(() => splitKey(randomKey(0), 0), RangeError, "received 0");
  assertThrows(() => foldIn(randomKey(0), -1), RangeError, "received -1");
});
