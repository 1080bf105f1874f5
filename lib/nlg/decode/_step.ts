// Shared machinery of the decoders: option checks, one model call, log-softmax, n-gram bans.
import type { DecodingOptions, StepFunction } from "./types.ts";

export interface Resolved {
  readonly maxLength: number;
  readonly eos: ReadonlySet<number>;
  readonly minLength: number;
  readonly noRepeat: number;
  readonly includePrompt: boolean;
  readonly lengthPenalty: number;
}

function checkInt(who: string, name: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new RangeError(
      `Cannot ${who}: ${name} must be an integer >= ${min}, received ${String(v)}`,
    );
  }
  return v;
}

export function resolveOptions(who: string, o: DecodingOptions): Resolved {
  if (o === null || typeof o !== "object") {
    throw new TypeError(
      `Cannot ${who}: options must be an object with maxLength, received ${String(o)}`,
    );
  }
  const maxLength = checkInt(who, "maxLength", o.maxLength, 1);
  const eosList = o.eosTokenId === undefined
    ? []
    : typeof o.eosTokenId === "number"
    ? [o.eosTokenId]
    : [...o.eosTokenId];
  for (const e of eosList) checkInt(who, "eosTokenId", e, 0);
  const lengthPenalty = o.lengthPenalty ?? 1;
  if (typeof lengthPenalty !== "number" || !Number.isFinite(lengthPenalty)) {
    throw new RangeError(
      `Cannot ${who}: lengthPenalty must be a finite number, received ${String(lengthPenalty)}`,
    );
  }
  return {
    maxLength,
    eos: new Set(eosList),
    minLength: checkInt(who, "minLength", o.minLength ?? 0, 0),
    noRepeat: checkInt(who, "noRepeatNgramSize", o.noRepeatNgramSize ?? 0, 0),
    includePrompt: o.noRepeatIncludesPrompt ?? false,
    lengthPenalty,
  };
}

export function checkPrompts(who: string, prompts: readonly Int32Array[]): void {
  if (!Array.isArray(prompts) || prompts.length === 0) {
    throw new RangeError(
      `Cannot ${who}: prompts must be a non-empty array of Int32Array, received ${String(prompts)}`,
    );
  }
  prompts.forEach((p, i) => {
    if (!(p instanceof Int32Array)) {
      throw new TypeError(
        `Cannot ${who}: prompt ${i} must be an Int32Array, received ${String(p)}`,
      );
    }
  });
}

/** Calls the model and returns row-wise log-softmax values (float64), disposing the logits. */
export async function logProbs(
  who: string,
  step: StepFunction,
  prefixes: readonly Int32Array[],
  stepIndex: number,
  parents: Int32Array,
): Promise<{ rows: Float64Array[]; vocab: number }> {
  const logits = await step(prefixes, { step: stepIndex, parents });
  let values: Float32Array | Int32Array | Uint8Array;
  let shape: number[];
  try {
    shape = logits.shape;
    if (shape.length !== 2 || shape[0] !== prefixes.length || shape[1]! < 1) {
      throw new RangeError(
        `Cannot ${who}: the step function must return logits of shape (${prefixes.length}, V), received (${
          shape.join(", ")
        })`,
      );
    }
    values = await logits.data();
  } finally {
    logits.dispose();
  }
  const vocab = shape[1]!;
  const rows: Float64Array[] = [];
  for (let n = 0; n < prefixes.length; n++) {
    const row = new Float64Array(vocab);
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) {
      const x = values[n * vocab + v]!;
      if (Number.isNaN(x) || x === Infinity) {
        throw new RangeError(
          `Cannot ${who}: the step function returned a non-finite logit ${x} (row ${n}, token ${v}) at step ${stepIndex}`,
        );
      }
      row[v] = x;
      if (x > max) max = x;
    }
    if (max === -Infinity) {
      throw new RangeError(
        `Cannot ${who}: every logit of row ${n} is -Infinity at step ${stepIndex}`,
      );
    }
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += Math.exp(row[v]! - max);
    const logZ = max + Math.log(sum);
    for (let v = 0; v < vocab; v++) row[v] = row[v]! - logZ;
    rows.push(row);
  }
  return { rows, vocab };
}

/**
 * Masks (sets to −∞) the tokens forbidden after `generated`: EOS before `minLength`, and tokens
 * that would repeat an n-gram of size `noRepeat` (fairseq's rule).
 */
export function applyBans(
  row: Float64Array,
  prompt: Int32Array,
  generated: readonly number[],
  o: Resolved,
): void {
  if (generated.length < o.minLength) {
    for (const e of o.eos) if (e < row.length) row[e] = -Infinity;
  }
  const n = o.noRepeat;
  if (n === 0) return;
  const seq = o.includePrompt ? [...prompt, ...generated] : generated;
  if (seq.length + 1 < n) return;
  if (n === 1) {
    for (const t of seq) if (t >= 0 && t < row.length) row[t] = -Infinity;
    return;
  }
  const tail = seq.slice(seq.length - n + 1); // the last n−1 tokens
  for (let k = 0; k + n <= seq.length; k++) {
    let same = true;
    for (let m = 0; m < n - 1; m++) {
      if (seq[k + m] !== tail[m]) {
        same = false;
        break;
      }
    }
    const t = seq[k + n - 1]!;
    if (same && t >= 0 && t < row.length) row[t] = -Infinity;
  }
}

export function normalise(logProb: number, length: number, alpha: number): number {
  return logProb / Math.max(1, length) ** alpha;
}

/** prompt ++ generated as a fresh Int32Array. */
export function concat(prompt: Int32Array, generated: readonly number[]): Int32Array {
  const out = new Int32Array(prompt.length + generated.length);
  out.set(prompt);
  out.set(generated, prompt.length);
  return out;
}
