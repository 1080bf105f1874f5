/**
 * Keep-mask samplers of the unified framework (paper Fig. 2), all drawn in JS from explicit keys
 * (`uniform(key, n)`) and then turned into one tensor. A mask holds `value` (1 by default) where
 * the input is kept and 0 where it is dropped, and has the smallest shape that broadcasts to the
 * input: column and span masks are small.
 *
 * | input | pattern | mask shape |
 * |---|---|---|
 * | attention `(B, H, Tq, Tk)` | `element` | `(B, H, Tq, Tk)` |
 * | | `column` (per example and head) | `(B, H, 1, Tk)` |
 * | | `span` (one run of keys per example and head) | `(B, H, 1, Tk)` |
 * | representation `(B, T, D)` | `element` | `(B, T, D)` |
 * | | `column-feature` | `(B, 1, D)` |
 * | | `column-token` | `(B, T, 1)` |
 * | | `span` (one run of tokens per example) | `(B, T, 1)` |
 * | representation `(B, D)` | `element`, `column-feature` | `(B, D)` |
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type RandomKey, uniform } from "../random.ts";
import type { Tensor, Tensor2D, Tensor4D } from "../types.ts";
import { checkRate, type DropPattern, type SpanStart } from "./spec.ts";

/** The fraction of real tokens HiddenCut's attention-guided span start is drawn from. */
export const TOP_ATTENDED_FRACTION = 0.4;

/**
 * The length of a span drop over `length` real tokens: `max(1, floor(rate × length))`, capped at
 * `length`; 0 when the rate or the length is 0.
 *
 * @param rate The drop rate in [0, 1).
 * @param length The number of real (non-pad) tokens.
 * @returns The span's length in tokens.
 * @example
 * ```ts
 * import { spanLength } from "./masks.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(spanLength(0.1, 64), 6);
 * assertEquals(spanLength(0.1, 5), 1);
 * assertEquals(spanLength(0, 5), 0);
 * ```
 */
export function spanLength(rate: number, length: number): number {
  checkRate(rate, "compute a span length");
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(
      `Cannot compute a span length: length must be a non-negative integer, received ${length}`,
    );
  }
  if (rate === 0 || length === 0) return 0;
  return Math.min(length, Math.max(1, Math.floor(rate * length)));
}

function checkShape(shape: readonly number[], what: string): void {
  if (!shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(
      `Cannot sample ${what} mask: shape must hold positive integers, received [${shape}]`,
    );
  }
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Independent Bernoulli(1 − rate) entries holding `value` where kept. */
function elementValues(key: RandomKey, n: number, rate: number, value: number): Float32Array {
  const u = uniform(key, n);
  for (let i = 0; i < n; i++) u[i] = u[i]! >= rate ? value : 0;
  return u;
}

/** Reads a `(B, T)` tensor into per-row arrays (one sync). */
function readRows(t: Tensor2D, batch: number, length: number, what: string): Float32Array[] {
  if (t.rank !== 2 || t.shape[0] !== batch || t.shape[1] !== length) {
    throw new RangeError(
      `Cannot sample a span mask: ${what} must have shape [${batch}, ${length}], received [${t.shape}]`,
    );
  }
  const data = t.dataSync();
  const rows: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    rows.push(Float32Array.from(data.subarray(b * length, (b + 1) * length)));
  }
  return rows;
}

/** The positions of the real tokens of every row (all positions without a token mask). */
function realTokens(tokenMask: Tensor2D | undefined, batch: number, length: number): number[][] {
  const all = Array.from({ length }, (_, i) => i);
  if (tokenMask === undefined) return Array.from({ length: batch }, () => all);
  return readRows(tokenMask, batch, length, "tokenMask").map((row) => {
    const idx: number[] = [];
    row.forEach((v, i) => {
      if (v > 0.5) idx.push(i);
    });
    return idx;
  });
}

/**
 * Writes 0 into `out[offset + real[i]]` for the span `[from, from + len)` of real-token ranks,
 * truncated at the last real token.
 */
function cutSpan(out: Float32Array, offset: number, real: number[], from: number, len: number) {
  for (let i = from; i < Math.min(from + len, real.length); i++) out[offset + real[i]!] = 0;
}

/** A uniform start rank in [0, L − len] for a span of `len` tokens over `L` real tokens. */
function uniformStart(u: number, realLength: number, len: number): number {
  const starts = realLength - len + 1;
  return Math.min(starts - 1, Math.floor(u * starts));
}

/**
 * The ranks (indices into `real`) of the `max(1, ceil(0.4 L))` real tokens that receive the most
 * attention, highest first; ties go to the earlier token.
 */
function topAttendedRanks(real: number[], scores: Float32Array): number[] {
  const ranks = real.map((_, r) => r);
  ranks.sort((a, b) => (scores[real[b]!]! - scores[real[a]!]!) || a - b);
  const k = Math.max(1, Math.ceil(TOP_ATTENDED_FRACTION * real.length));
  return ranks.slice(0, k);
}

/**
 * Samples a keep-mask for attention logits or weights `(B, H, Tq, Tk)`.
 *
 * - `element`: every (query, key) entry independently, shape `(B, H, Tq, Tk)`.
 * - `column`: whole keys for every query, independently per example and head, `(B, H, 1, Tk)`.
 * - `span`: one contiguous run of real keys per example and head, of length
 *   `spanLength(rate, real keys)`, its start uniform over the valid starts, `(B, H, 1, Tk)`.
 *
 * @param key The random key (the same key gives the same mask).
 * @param shape The attention shape `[B, H, Tq, Tk]`.
 * @param pattern `element`, `column` or `span`.
 * @param rate The drop rate in [0, 1).
 * @param tokenMask `(B, Tk)`, 1 for real keys: spans lie only over real keys.
 * @returns The keep-mask (1 keep, 0 drop), broadcastable to `shape`.
 * @example
 * ```ts
 * import { sampleAttentionMask } from "./masks.ts";
 * import { randomKey } from "../random.ts";
 * import { initBackend } from "../backend.ts";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const mask = sampleAttentionMask(randomKey(0), [2, 4, 8, 8], "column", 0.25);
 * assertEquals(mask.shape, [2, 4, 1, 8]);
 * mask.dispose();
 * ```
 */
export function sampleAttentionMask(
  key: RandomKey,
  shape: readonly [number, number, number, number],
  pattern: DropPattern,
  rate: number,
  tokenMask?: Tensor2D,
): Tensor4D {
  checkRate(rate, "sample an attention mask");
  if (shape.length !== 4) {
    throw new RangeError(
      `Cannot sample an attention mask: shape must be [B, H, Tq, Tk], received [${shape}]`,
    );
  }
  checkShape(shape, "an attention");
  const [batch, heads, tq, tk] = shape;
  if (pattern === "element") {
    return tf.tensor4d(elementValues(key, batch * heads * tq * tk, rate, 1), [
      batch,
      heads,
      tq,
      tk,
    ]);
  }
  if (pattern === "column") {
    return tf.tensor4d(elementValues(key, batch * heads * tk, rate, 1), [batch, heads, 1, tk]);
  }
  if (pattern === "span") {
    const real = realTokens(tokenMask, batch, tk);
    const u = uniform(key, batch * heads);
    const out = new Float32Array(batch * heads * tk).fill(1);
    for (let b = 0; b < batch; b++) {
      const idx = real[b]!;
      const len = spanLength(rate, idx.length);
      if (len === 0) continue;
      for (let h = 0; h < heads; h++) {
        const row = b * heads + h;
        cutSpan(out, row * tk, idx, uniformStart(u[row]!, idx.length, len), len);
      }
    }
    return tf.tensor4d(out, [batch, heads, 1, tk]); // (B, H, 1, Tk)
  }
  throw new TypeError(
    `Cannot sample an attention mask: pattern must be element, column or span, received "${pattern}"`,
  );
}

/** Options of {@linkcode sampleRepresentationMask}. */
export interface RepresentationMaskOptions {
  /** `(B, T)`, 1 for real tokens: spans lie only over real tokens and their length counts them. */
  readonly tokenMask?: Tensor2D;
  /** `(B, T)`: the attention each token receives; needed when `spanStart` is `attention-top40`. */
  readonly attentionReceived?: Tensor2D;
  /** How a span's start is drawn; `uniform` by default. */
  readonly spanStart?: SpanStart;
  /** The value of kept entries (e.g. `1/(1−p)` to fold the rescaling in); 1 by default. */
  readonly value?: number;
}

/**
 * Samples a keep-mask for representations `(B, T, D)` (hidden states, embeddings, LoRA inputs) or
 * `(B, D)` (the classifier's input).
 *
 * - `element`: every entry independently (any rank), the input's shape.
 * - `column-feature`: whole feature dimensions over all tokens of an example, `(B, 1, D)`; on a
 *   `(B, D)` input every example has one token, so this is an element mask `(B, D)`.
 * - `column-token`: whole token vectors, `(B, T, 1)`.
 * - `span`: one contiguous run of `spanLength(rate, real tokens)` real tokens per example,
 *   `(B, T, 1)`. Its start is uniform over the valid starts, or (`attention-top40`, HiddenCut)
 *   uniform over the `max(1, ceil(0.4 L))` real tokens receiving the most attention, the span then
 *   being truncated at the last real token.
 *
 * @param key The random key.
 * @param shape The input's shape.
 * @param pattern `element`, `column-feature`, `column-token` or `span`.
 * @param rate The drop rate in [0, 1).
 * @param options Token mask, attention scores, span start rule and kept value.
 * @returns The mask, broadcastable to `shape`.
 * @example
 * ```ts
 * import { sampleRepresentationMask } from "./masks.ts";
 * import { randomKey } from "../random.ts";
 * import { initBackend } from "../backend.ts";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const mask = sampleRepresentationMask(randomKey(1), [2, 10, 16], "span", 0.3);
 * assertEquals(mask.shape, [2, 10, 1]);
 * assertEquals((await mask.sum().data())[0], 2 * 10 - 2 * 3);
 * mask.dispose();
 * ```
 */
export function sampleRepresentationMask(
  key: RandomKey,
  shape: readonly number[],
  pattern: DropPattern,
  rate: number,
  options: RepresentationMaskOptions = {},
): Tensor {
  checkRate(rate, "sample a representation mask");
  checkShape(shape, "a representation");
  const value = options.value ?? 1;
  if (!Number.isFinite(value)) {
    throw new RangeError(
      `Cannot sample a representation mask: value must be finite, received ${value}`,
    );
  }
  if (pattern === "element") {
    return tf.tensor(elementValues(key, product(shape), rate, value), [...shape]);
  }
  const rank = shape.length;
  if (pattern === "column-feature" && (rank === 2 || rank === 3)) {
    const maskShape = rank === 2 ? [...shape] : [shape[0]!, 1, shape[2]!]; // (B, D) or (B, 1, D)
    return tf.tensor(elementValues(key, product(maskShape), rate, value), maskShape);
  }
  if (rank === 3 && pattern === "column-token") {
    const [batch, length] = [shape[0]!, shape[1]!];
    return tf.tensor3d(elementValues(key, batch * length, rate, value), [batch, length, 1]);
  }
  if (rank === 3 && pattern === "span") {
    return spanTokens(key, shape[0]!, shape[1]!, rate, value, options);
  }
  const known = ["element", "column-feature", "column-token", "span"];
  if (!known.includes(pattern)) {
    throw new TypeError(
      `Cannot sample a representation mask: pattern must be one of ${
        known.join(", ")
      }, received "${pattern}"`,
    );
  }
  throw new RangeError(
    `Cannot sample a representation mask: pattern "${pattern}" needs a (B, T, D) input${
      pattern === "column-feature" ? " or a (B, D) input" : ""
    }, received shape [${shape}]`,
  );
}

function spanTokens(
  key: RandomKey,
  batch: number,
  length: number,
  rate: number,
  value: number,
  options: RepresentationMaskOptions,
): Tensor {
  const start = options.spanStart ?? "uniform";
  if (start !== "uniform" && start !== "attention-top40") {
    throw new TypeError(
      `Cannot sample a span mask: spanStart must be "uniform" or "attention-top40", received "${start}"`,
    );
  }
  if (start === "attention-top40" && options.attentionReceived === undefined) {
    throw new TypeError(
      "Cannot sample a span mask: spanStart attention-top40 needs options.attentionReceived (B, T), received undefined",
    );
  }
  const real = realTokens(options.tokenMask, batch, length);
  const scores = start === "attention-top40"
    ? readRows(options.attentionReceived!, batch, length, "attentionReceived")
    : undefined;
  const u = uniform(key, batch);
  const out = new Float32Array(batch * length).fill(value);
  for (let b = 0; b < batch; b++) {
    const idx = real[b]!;
    const len = spanLength(rate, idx.length);
    if (len === 0) continue;
    let from: number;
    if (scores === undefined) {
      from = uniformStart(u[b]!, idx.length, len);
    } else {
      const top = topAttendedRanks(idx, scores[b]!);
      from = top[Math.min(top.length - 1, Math.floor(u[b]! * top.length))]!;
    }
    cutSpan(out, b * length, idx, from, len);
  }
  return tf.tensor3d(out, [batch, length, 1]); // (B, T, 1)
}
