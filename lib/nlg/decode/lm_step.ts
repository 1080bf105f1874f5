/**
 * Adapts a full-sequence causal LM forward pass (`(B, T)` ids → `(B, T, V)` logits, e.g.
 * `decoderForward`) to the decoders' {@linkcode StepFunction}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor2D, Tensor3D } from "../../types.ts";
import type { StepFunction } from "./types.ts";

/** A causal LM: ids `(B, T)` int32 and attention mask `(B, T)` (1 real, 0 padding) → logits `(B, T, V)`. */
export type CausalLmForward = (inputIds: Tensor2D, attentionMask: Tensor2D) => Tensor3D;

/** Options of {@linkcode lmStepFunction}. */
export interface LmStepOptions {
  /** Id written into padding positions (masked out), 0 by default. */
  readonly padId?: number;
  /** The model's context (GPT-2: 1024 positions); longer prefixes are an error. */
  readonly maxPositions?: number;
}

/**
 * Makes a step function from a full forward pass without a key/value cache: the prefixes are
 * right-padded into one `(N, T)` batch (so every real token keeps its position 0..len−1 and, by
 * causality, never sees the padding), and the logits at each prefix's last real position are
 * returned as `(N, V)`. Each step re-runs the whole prefixes: simple and exact, O(T²) per sequence.
 *
 * @param forward The model's forward pass (inference mode: no dropout).
 * @param options Padding id and context length.
 * @returns A {@linkcode StepFunction} for {@linkcode greedyDecode} and {@linkcode beamSearch}.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { lmStepFunction } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * // A toy "LM" whose logits at each position are one-hot of (id + 1) mod 4.
 * const forward = (ids: tf.Tensor2D) => tf.cast(tf.oneHot(tf.cast(tf.mod(tf.add(ids, 1), 4), "int32"), 4), "float32") as tf.Tensor3D;
 * const step = lmStepFunction(forward);
 * const logits = step([Int32Array.of(0, 2), Int32Array.of(1)], { step: 0, parents: Int32Array.of(-1, -1) }) as tf.Tensor2D;
 * assertEquals(tf.argMax(logits, 1).arraySync(), [3, 2]); // after 2 → 3, after 1 → 2
 * ```
 */
export function lmStepFunction(
  forward: CausalLmForward,
  options: LmStepOptions = {},
): StepFunction {
  const padId = options.padId ?? 0;
  const maxPositions = options.maxPositions ?? Infinity;
  return (prefixes) => {
    const n = prefixes.length;
    let t = 0;
    prefixes.forEach((p, i) => {
      if (p.length === 0) {
        throw new RangeError(
          `Cannot run the LM step: prefix ${i} is empty; prompts need at least one token`,
        );
      }
      if (p.length > maxPositions) {
        throw new RangeError(
          `Cannot run the LM step: prefix ${i} has ${p.length} tokens, more than maxPositions ${maxPositions}`,
        );
      }
      t = Math.max(t, p.length);
    });
    const ids = new Int32Array(n * t).fill(padId);
    const mask = new Float32Array(n * t);
    const last = new Int32Array(n);
    prefixes.forEach((p, i) => {
      ids.set(p, i * t);
      mask.fill(1, i * t, i * t + p.length);
      last[i] = i * t + p.length - 1;
    });
    return tf.tidy(() => {
      const logits = forward(
        tf.tensor2d(ids, [n, t], "int32"),
        tf.tensor2d(mask, [n, t]),
      ); // (N, T, V)
      const v = logits.shape[2];
      const flat = tf.reshape(logits, [n * t, v]); // (N·T, V)
      return tf.gather(flat, tf.tensor1d(last, "int32")) as Tensor2D; // (N, V)
    });
  };
}
