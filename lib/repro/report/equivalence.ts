/**
 * Claims 2 and 3 of the paper (§3.1, App. C), measured on REAL attention logits of the pretrained
 * model: DropKey and DropAttention with normalised rescaling give the same weights under one mask
 * (and differ with 1/(1−p)); with NoGrad on the normaliser, DropAttention's gradient to a kept
 * logit differs from DropKey's by the factor k = (1 − e^{g_u}/S_{¬m}) / (1 − e^{g_u}/Z) < 1 and a
 * dropped logit gets a gradient; without NoGrad the gradients are equal.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { loadTask } from "../../data/registry.ts";
import { dropAttention } from "../../dropout/drop_attention.ts";
import { dropKey } from "../../dropout/drop_key.ts";
import { sampleAttentionMask } from "../../dropout/masks.ts";
import type { ResolvedDrop } from "../../dropout/spec.ts";
import { encoderForward } from "../../models/encoder.ts";
import type { EncoderModel } from "../../models/encoder_config.ts";
import { foldIn, randomKey } from "../../random.ts";
import type { TextTokenizer } from "../../tokenizers/load.ts";
import { encodeBatch } from "../../tokenizers/encode_batch.ts";
import type { Tensor4D } from "../../types.ts";
import type { EquivalenceEvidence } from "./verdicts.ts";

/**
 * The real sentences the reproduction measures claims 2-3 on: the first dev sentences of the
 * built-in `sentiment` task (4 for the `smoke` preset, 16 otherwise). The CLI and notebook 02 both
 * use it, so they measure the same rows.
 *
 * @param preset The reproduction preset.
 * @returns The texts.
 * @example
 * ```ts
 * import { equivalenceTexts } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals((await equivalenceTexts("smoke")).length, 4);
 * ```
 */
export async function equivalenceTexts(preset: string): Promise<string[]> {
  const task = await loadTask("sentiment");
  return task.dev.slice(0, preset === "smoke" ? 4 : 16).map((e) => e.text);
}

/** The measurements plus a k-curve for a figure. */
export interface EquivalenceResult extends EquivalenceEvidence {
  /** How many attention rows (one query of one head) were examined for the gradients. */
  readonly rows: number;
  /** For one real row: each candidate dropped logit g_m (minus the row max) and its k. */
  readonly kCurve: { readonly droppedLogit: readonly number[]; readonly k: readonly number[] };
}

const drop = (pattern: "element" | "column", rate: number, noGrad = true): ResolvedDrop => ({
  position: "attention-weights",
  pattern,
  rate,
  noGrad,
});
const dropKeySpec = (pattern: "element" | "column", rate: number): ResolvedDrop => ({
  position: "attention-logits",
  pattern,
  rate,
});

/**
 * Captures the real attention logits `(1, H, T, T)` of every layer for each text (biased, before
 * any dropout), in text-major, layer-minor order. The caller disposes them.
 *
 * @param model The pretrained encoder.
 * @param tokenizer Its tokenizer.
 * @param texts Sentences.
 * @returns One tensor per text and layer.
 * @example
 * ```ts ignore
 * import { captureAttentionLogits } from "@loradrop/core/repro";
 * import { loadUseLite } from "@loradrop/core/io";
 * import { loadUseLiteTokenizer } from "@loradrop/core/tokenizers";
 * const logits = captureAttentionLogits(await loadUseLite(), await loadUseLiteTokenizer(), ["A fine film."]);
 * ```
 */
export function captureAttentionLogits(
  model: EncoderModel,
  tokenizer: TextTokenizer,
  texts: readonly string[],
): Tensor4D[] {
  const captured: Tensor4D[] = [];
  for (const text of texts) {
    const enc = encodeBatch(tokenizer, [text], { maxLength: 64 });
    const [b, t] = enc.shape;
    tf.tidy(() => {
      const inputIds = tf.tensor2d(enc.inputIds, [b, t], "int32"); // (1, T)
      const attentionMask = tf.tensor2d(enc.attentionMask, [b, t], "int32"); // (1, T)
      encoderForward(model, { inputIds, attentionMask }, {
        plan: { drops: [] },
        onAttentionLogits: (_layer, logits) => captured.push(tf.keep(logits.clone())),
      }, { training: false });
    });
  }
  return captured;
}

function wUnder(row: Float64Array, u: number): number {
  const max = row.reduce((m, g) => Math.max(m, g), -Infinity);
  let z = 0;
  for (const g of row) z += Math.exp(g - max);
  return Math.exp(row[u]! - max) / z;
}

function kFactor(row: Float64Array, u: number, m: number): number {
  let z = 0;
  const max = row.reduce((m, g) => Math.max(m, g), -Infinity);
  for (const g of row) z += Math.exp(g - max);
  const eu = Math.exp(row[u]! - max), em = Math.exp(row[m]! - max);
  return (1 - eu / (z - em)) / (1 - eu / z);
}

/**
 * Runs the measurements on attention logits (e.g. from {@linkcode captureAttentionLogits}).
 *
 * @param allLogits Logits `(1, H, T, T)`, one tensor per text and layer (not disposed).
 * @param seed Seed of the masks.
 * @returns The evidence for claims 2 and 3, and a k-curve from the first row.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { measureEquivalence } from "@loradrop/core/repro";
 * import { initBackend } from "@loradrop/core";
 * import { assert } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const logits = tf.randomNormal([1, 2, 5, 5], 0, 2, "float32", 3) as tf.Tensor4D;
 * const r = measureEquivalence([logits]);
 * assert(r.forwardMaxDiff < 1e-5 && r.kMax < 1);
 * ```
 */
export function measureEquivalence(allLogits: readonly Tensor4D[], seed = 0): EquivalenceResult {
  if (allLogits.length === 0) {
    throw new RangeError(
      "Cannot measure equivalence: expected at least one logits tensor, received none",
    );
  }
  let forwardMaxDiff = 0, inverseKeepMaxDiff = 0, kMaxRelError = 0, kMax = 0;
  let droppedGradMax = 0, noNoGradMaxDiff = 0, rows = 0;
  let kCurve: EquivalenceResult["kCurve"] = { droppedLogit: [], k: [] };
  const key = randomKey(seed);
  allLogits.forEach((logits, index) => {
    {
      const [b, h, tq, tk] = logits.shape;
      if (b !== 1 || tk < 3) return;
      const k = foldIn(key, index);
      tf.tidy(() => {
        // Claim 2: forward equivalence under one mask, element and column patterns.
        for (const [i, pattern] of (["element", "column"] as const).entries()) {
          const rate = 0.3;
          const mask = sampleAttentionMask(foldIn(k, i), [b, h, tq, tk], pattern, rate);
          const ctx = { training: true };
          const viaKey = tf.softmax(
            dropKey(logits, dropKeySpec(pattern, rate), ctx, {
              mask,
            }),
          );
          const viaAttn = dropAttention(tf.softmax(logits), drop(pattern, rate), ctx, { mask });
          const inverseKeep = tf.div(tf.mul(tf.softmax(logits), mask), 1 - rate);
          forwardMaxDiff = Math.max(
            forwardMaxDiff,
            tf.max(tf.abs(tf.sub(viaKey, viaAttn))).dataSync()[0]!,
          );
          inverseKeepMaxDiff = Math.max(
            inverseKeepMaxDiff,
            tf.max(tf.abs(tf.sub(viaKey, inverseKeep))).dataSync()[0]!,
          );
        }
        // Claim 3: per row, drop the second-largest key m and differentiate w'_u for the largest u.
        const g = logits.arraySync() as number[][][][];
        for (let hh = 0; hh < h; hh++) {
          for (let q = 0; q < tq; q++) {
            const row = Float64Array.from(g[0]![hh]![q]!);
            const order = [...row.keys()].sort((a, c) => row[c]! - row[a]!);
            const u = order[0]!, m = order[1]!;
            const keep = new Float32Array(tk).fill(1);
            keep[m] = 0;
            const mask = tf.tensor4d(keep, [1, 1, 1, tk]);
            const rowLogits = tf.tensor4d(Float32Array.from(row), [1, 1, 1, tk]);
            const pick = tf.reshape(tf.oneHot([u], tk), [1, 1, 1, tk]); // (1, 1, 1, Tk)
            const wU = (f: (x: Tensor4D) => Tensor4D) => (x: tf.Tensor) =>
              tf.sum(tf.mul(f(x as Tensor4D), pick));
            const ctx = { training: true };
            const gKey = tf.grad(
              wU((x) =>
                tf.softmax(
                  dropKey(x, dropKeySpec("element", 0.5), ctx, {
                    mask,
                  }),
                )
              ),
            )(rowLogits).dataSync();
            const gAttn = tf.grad(
              wU((x) => dropAttention(tf.softmax(x), drop("element", 0.5), ctx, { mask })),
            )(rowLogits).dataSync();
            const gPlain = tf.grad(
              wU((x) => dropAttention(tf.softmax(x), drop("element", 0.5, false), ctx, { mask })),
            )(rowLogits).dataSync();
            const kTheory = kFactor(row, u, m);
            // float32 gradients lose the k ratio when w_u ≈ 1 (w_u(1 − w_u) cancels): compare
            // rows whose kept weight leaves at least 5% to the others.
            if (wUnder(row, u) <= 0.95 && Math.abs(gAttn[u]!) > 1e-4) {
              const measured = gKey[u]! / gAttn[u]!;
              kMaxRelError = Math.max(kMaxRelError, Math.abs(measured - kTheory) / kTheory);
              kMax = Math.max(kMax, kTheory);
              rows++;
            }
            droppedGradMax = Math.max(droppedGradMax, Math.abs(gAttn[m]!));
            for (let j = 0; j < tk; j++) {
              noNoGradMaxDiff = Math.max(noNoGradMaxDiff, Math.abs(gPlain[j]! - gKey[j]!));
            }
            if (kCurve.k.length === 0) {
              const others = order.slice(1);
              kCurve = {
                droppedLogit: others.map((j) => row[j]! - row[u]!),
                k: others.map((j) => kFactor(row, u, j)),
              };
            }
          }
        }
      });
    }
  });
  return {
    forwardMaxDiff,
    inverseKeepMaxDiff,
    kMaxRelError,
    kMax,
    droppedGradMax,
    noNoGradMaxDiff,
    rows,
    kCurve,
  };
}
