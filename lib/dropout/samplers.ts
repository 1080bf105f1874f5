/**
 * The built-in rows of the pattern table (`patterns.ts`) and their mask samplers: `element`,
 * `column`, `column-feature`, `column-token` and `span` (paper Fig. 2). Masks are drawn in JS from
 * explicit keys (`uniform(key, n)`) and then turned into one tensor; a mask holds `value` (1 by
 * default) where the input is kept and 0 where it is dropped, and has the smallest shape that
 * broadcasts to the input.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type RandomKey, uniform } from "../random.ts";
import type { Tensor, Tensor2D } from "../types.ts";
import type { DropPatternRow, RepresentationMaskOptions } from "./patterns.ts";
import { ATTENTION_POSITIONS, DROP_POSITIONS, REPRESENTATION_POSITIONS } from "./positions.ts";
import { checkRate } from "./rate.ts";

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
 * import { spanLength } from "@loradrop/core";
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

/** One run of real keys per example and head, `(B, H, 1, Tk)`. */
function spanKeys(
  key: RandomKey,
  [batch, heads, , tk]: readonly [number, number, number, number],
  rate: number,
  tokenMask?: Tensor2D,
): tf.Tensor4D {
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

/** `[B, T, D]` with 1 on the axes of `axes`; a `(B, D)` input keeps its shape. */
function reducedShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => shape.length === 3 && axes.includes(i) ? 1 : d);
}

/** Independent entries over the mask shape `shape` with 1 on `axes` (rank-3 inputs). */
function independent(axes: readonly number[]) {
  return (
    key: RandomKey,
    shape: readonly number[],
    rate: number,
    options: { readonly value: number },
  ): Tensor => {
    const maskShape = reducedShape(shape, axes);
    return tf.tensor(elementValues(key, product(maskShape), rate, options.value), maskShape);
  };
}

/** Independent attention entries with 1 on `axes` of `(B, H, Tq, Tk)`. */
function independentAttention(axes: readonly number[]) {
  return (
    key: RandomKey,
    shape: readonly [number, number, number, number],
    rate: number,
  ): tf.Tensor4D => {
    const maskShape = shape.map((d, i) => axes.includes(i) ? 1 : d);
    return tf.tensor4d(
      elementValues(key, product(maskShape), rate, 1),
      maskShape as [
        number,
        number,
        number,
        number,
      ],
    );
  };
}

/** The pattern table's built-in rows, in the order of `BuiltInDropPattern`. */
export const BUILT_IN_PATTERNS: readonly DropPatternRow[] = [
  {
    name: "element",
    positions: DROP_POSITIONS,
    attention: { sample: independentAttention([]), maskAxes: [] },
    representation: { sample: independent([]), maskAxes: [] },
    rescale: "inverse-keep",
  },
  {
    name: "column",
    positions: ATTENTION_POSITIONS,
    attention: { sample: independentAttention([2]), maskAxes: [2] },
    rescale: "inverse-keep",
    misplaced: (position) =>
      `pattern "column" is ambiguous at position "${position}"; use "column-feature" (whole feature dimensions) or "column-token" (whole tokens)`,
  },
  {
    name: "column-feature",
    positions: REPRESENTATION_POSITIONS,
    representation: { sample: independent([1]), maskAxes: [1], ranks: [2, 3] },
    rescale: "inverse-keep",
    misplaced: (position) =>
      `pattern "column-feature" is for representations, not position "${position}"; use "column"`,
  },
  {
    name: "column-token",
    positions: REPRESENTATION_POSITIONS,
    representation: { sample: independent([2]), maskAxes: [2], ranks: [3] },
    rescale: "inverse-keep",
    misplaced: (position) =>
      `pattern "column-token" is for representations, not position "${position}"; use "column"`,
  },
  {
    name: "span",
    positions: DROP_POSITIONS,
    attention: { sample: spanKeys, maskAxes: [2] },
    representation: {
      sample: (key, shape, rate, options) =>
        spanTokens(key, shape[0]!, shape[1]!, rate, options.value, options),
      maskAxes: [2],
      ranks: [3],
    },
    rescale: "none",
  },
];

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
