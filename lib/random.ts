/**
 * Explicit, splittable random keys (JAX style) for every random draw in loradrop.
 *
 * TensorFlow.js's seeded ops return the same values on every call and it has no global seed,
 * so a two-pass consistency loss built on them would draw identical masks. Every mask here is
 * drawn from a {@linkcode RandomKey}: the same key always gives the same values, and keys made
 * by {@linkcode splitKey} or {@linkcode foldIn} give independent streams.
 *
 * @module
 */

/** An immutable random key: two unsigned 32-bit words. Never reuse a key for two draws. */
export interface RandomKey {
  /** The key's two 32-bit words. */
  readonly words: readonly [number, number];
}

function mix32(x: number): number {
  // A 32-bit avalanche mixer (lowbias32 constants).
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

function hashPair(a: number, b: number, c: number): [number, number] {
  const h1 = mix32(a ^ mix32(b ^ mix32(c ^ 0x9e3779b9)));
  const h2 = mix32(b ^ mix32(c + 0x6a09e667 ^ mix32(a ^ 0x85ebca6b)));
  return [h1, h2];
}

function checkKey(key: RandomKey, caller: string): void {
  if (
    key === null || typeof key !== "object" || !Array.isArray(key.words) ||
    key.words.length !== 2
  ) {
    throw new TypeError(
      `Cannot ${caller}: expected a RandomKey made by randomKey(seed), received ${String(key)}`,
    );
  }
}

/**
 * Makes a key from an integer seed.
 *
 * @param seed A safe integer (negative values allowed).
 * @returns A new key.
 * @example
 * ```ts
 * import { randomKey } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * assertEquals(randomKey(7), randomKey(7));
 * ```
 */
export function randomKey(seed: number): RandomKey {
  if (!Number.isSafeInteger(seed)) {
    throw new TypeError(`Cannot make a random key: seed must be a safe integer, received ${seed}`);
  }
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 2 ** 32) >>> 0;
  return { words: hashPair(lo, hi, 0x1234567) };
}

/**
 * Splits a key into `n` new independent keys. The input key should not be used again.
 *
 * @param key The key to split.
 * @param n How many keys to make (a positive integer), 2 by default.
 * @returns `n` keys.
 * @example
 * ```ts
 * import { randomKey, splitKey } from "@loradrop/core";
 * import { assertNotEquals } from "@std/assert";
 * const [a, b] = splitKey(randomKey(0));
 * assertNotEquals(a, b);
 * ```
 */
export function splitKey(key: RandomKey, n = 2): RandomKey[] {
  checkKey(key, "split a random key");
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot split a random key: n must be a positive integer, received ${n}`);
  }
  const out: RandomKey[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ words: hashPair(key.words[0], key.words[1], mix32(i + 0x51ed270b)) });
  }
  return out;
}

/**
 * Derives a new key from a key and an integer (a step, a layer index, a pass number).
 * `foldIn(k, 1)` and `foldIn(k, 2)` are independent.
 *
 * @param key The parent key.
 * @param data A non-negative safe integer.
 * @returns The derived key.
 * @example
 * ```ts
 * import { foldIn, randomKey } from "@loradrop/core";
 * import { assertNotEquals } from "@std/assert";
 * const k = randomKey(1);
 * assertNotEquals(foldIn(k, 0), foldIn(k, 1));
 * ```
 */
export function foldIn(key: RandomKey, data: number): RandomKey {
  checkKey(key, "fold data into a random key");
  if (!Number.isSafeInteger(data) || data < 0) {
    throw new RangeError(
      `Cannot fold data into a random key: data must be a non-negative safe integer, received ${data}`,
    );
  }
  const lo = data >>> 0;
  const hi = Math.floor(data / 2 ** 32) >>> 0;
  const [a, b] = hashPair(key.words[0] ^ 0xa5a5a5a5, key.words[1], mix32(lo) ^ mix32(hi + 1));
  return { words: [a, b] };
}

/** The sfc32 stream seeded by a key, warmed up: each call returns its next 32-bit output. */
function sfc32(key: RandomKey): () => number {
  let a = key.words[0] | 0, b = key.words[1] | 0, c = (key.words[0] ^ 0xdeadbeef) | 0, d = 1;
  const next = () => {
    const t = (a + b | 0) + d | 0;
    d = d + 1 | 0;
    a = b ^ b >>> 9;
    b = c + (c << 3) | 0;
    c = c << 21 | c >>> 11;
    c = c + t | 0;
    return t;
  };
  for (let i = 0; i < 12; i++) next(); // warm up the stream
  return next;
}

/**
 * Draws `count` uniform floats in [0, 1) from a key (sfc32 stream seeded by the key).
 *
 * @param key The key to draw from.
 * @param count How many values (a non-negative integer).
 * @returns A fresh Float32Array of length `count`.
 * @example
 * ```ts
 * import { randomKey, uniform } from "@loradrop/core";
 * import { assert, assertEquals } from "@std/assert";
 * const u = uniform(randomKey(3), 1000);
 * assertEquals(u, uniform(randomKey(3), 1000));
 * assert(u.every((x) => x >= 0 && x < 1));
 * ```
 */
export function uniform(key: RandomKey, count: number): Float32Array {
  checkKey(key, "draw uniform numbers");
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(
      `Cannot draw uniform numbers: count must be a non-negative integer, received ${count}`,
    );
  }
  const out = new Float32Array(count);
  const next = sfc32(key);
  // 24 high bits → exactly representable float32 in [0, 1).
  for (let i = 0; i < count; i++) out[i] = (next() >>> 8) / 16777216;
  return out;
}

/**
 * Draws `count` integers uniformly from [0, n) from a key.
 *
 * @param key The key to draw from.
 * @param count How many values.
 * @param n The exclusive upper bound (a positive integer).
 * @returns An Int32Array of length `count`.
 * @example
 * ```ts
 * import { randomInts, randomKey } from "@loradrop/core";
 * import { assert } from "@std/assert";
 * assert(randomInts(randomKey(0), 50, 6).every((v) => v >= 0 && v < 6));
 * ```
 */
export function randomInts(key: RandomKey, count: number, n: number): Int32Array {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `Cannot draw random integers: n must be a positive integer, received ${n}`,
    );
  }
  const u = uniform(key, count);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.min(n - 1, Math.floor(u[i]! * n));
  return out;
}

/**
 * A random permutation of 0..n-1 (Fisher-Yates) drawn from a key.
 *
 * @param key The key to draw from.
 * @param n The permutation's length.
 * @returns The permutation.
 * @example
 * ```ts
 * import { permutation, randomKey } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * assertEquals([...permutation(randomKey(0), 5)].sort(), [0, 1, 2, 3, 4]);
 * ```
 */
export function permutation(key: RandomKey, n: number): Int32Array {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(
      `Cannot draw a permutation: n must be a non-negative integer, received ${n}`,
    );
  }
  const u = uniform(key, n);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(u[i]! * (i + 1)));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
