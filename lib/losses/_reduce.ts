// Private helpers of the losses: argument checks, stable log-probabilities, masked means.
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "../types.ts";
import { stopGradient } from "./stop_gradient.ts";
import type { JsDivergenceOptions } from "./js_divergence.ts";

/**
 * Log-probabilities are floored here before they are multiplied by probabilities: for logits
 * whose differences overflow float32 (or −Infinity logits) log-softmax gives −∞ and `0·(−∞)` is
 * NaN. exp(−1e9) is 0 in float32, so the floor changes nothing else.
 */
export const LOG_PROB_FLOOR = -1e9;

/** Log-softmax over the last axis, floored at {@linkcode LOG_PROB_FLOOR}. */
export function logProbs(logits: Tensor): Tensor {
  return tf.maximum(tf.logSoftmax(logits, -1), LOG_PROB_FLOOR);
}

/** Checks a float tensor of rank ≥ 1 (logits `(..., C)` with C ≥ 1). */
export function checkLogits(logits: Tensor, name: string, caller: string): void {
  if (!(logits instanceof tf.Tensor)) {
    throw new TypeError(
      `Cannot compute ${caller}: ${name} must be a tensor, received ${typeof logits}`,
    );
  }
  if (logits.rank < 1 || logits.shape[logits.rank - 1]! < 1) {
    throw new RangeError(
      `Cannot compute ${caller}: ${name} must have shape (..., C) with C >= 1, received [${logits.shape}]`,
    );
  }
  if (logits.dtype !== "float32") {
    throw new TypeError(
      `Cannot compute ${caller}: ${name} must be float32, received ${logits.dtype}`,
    );
  }
}

/** Checks that two tensors have equal shapes. */
export function checkSameShape(a: Tensor, b: Tensor, names: string, caller: string): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RangeError(
      `Cannot compute ${caller}: ${names} must have equal shapes, received [${a.shape}] and [${b.shape}]`,
    );
  }
}

/**
 * Checks a mask against the per-position loss shape: the mask must equal the leading `mask.rank`
 * axes of `shape` (e.g. `(B, T)` for logits `(B, T, C)`).
 */
export function checkMask(
  mask: Tensor | undefined,
  shape: readonly number[],
  caller: string,
): void {
  if (mask === undefined) return;
  if (!(mask instanceof tf.Tensor)) {
    throw new TypeError(`Cannot compute ${caller}: mask must be a tensor, received ${typeof mask}`);
  }
  const lead = shape.slice(0, mask.rank);
  if (mask.rank < 1 || mask.rank > shape.length || mask.shape.some((d, i) => d !== lead[i])) {
    throw new RangeError(
      `Cannot compute ${caller}: mask must have the leading shape [${shape}] of the per-position loss, received [${mask.shape}]`,
    );
  }
}

/**
 * The mean of per-position losses, or with a mask `Σ loss·mask / Σ mask` over the mask's axes
 * (after averaging any trailing axes). An all-zero mask gives 0 (no position counts).
 */
export function maskedMean(perPosition: Tensor, mask: Tensor | undefined): Tensor {
  if (mask === undefined) return tf.mean(perPosition);
  const trailing = perPosition.shape.slice(mask.rank).map((_, i) => mask.rank + i);
  const perMasked = trailing.length === 0 ? perPosition : tf.mean(perPosition, trailing); // mask's shape
  const m = mask.dtype === "float32" ? mask : tf.cast(mask, "float32");
  return tf.div(tf.sum(tf.mul(perMasked, m)), tf.maximum(tf.sum(m), 1e-12));
}

/** KL(P‖Q) per position over the last axis, from (floored) log-probabilities. */
export function klPerPosition(logP: Tensor, logQ: Tensor): Tensor {
  return tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), -1); // (...)
}

/**
 * `log m` for the mixture `m = (P1 + P2)/2` of two distributions given by (floored)
 * log-probabilities: `hi + log1p(exp(lo − hi)) − ln 2`, stable for extreme logits, floored at
 * {@linkcode LOG_PROB_FLOOR}.
 */
function logMixture(log1: Tensor, log2: Tensor): Tensor {
  const hi = tf.maximum(log1, log2), lo = tf.minimum(log1, log2);
  return tf.maximum(tf.sub(tf.add(hi, tf.log1p(tf.exp(tf.sub(lo, hi)))), Math.LN2), LOG_PROB_FLOOR);
}

/**
 * `½[KL(P1‖m) + KL(P2‖m)]` (`direction` "to-mixture", the Jensen-Shannon divergence) or
 * `½[KL(m‖P1) + KL(m‖P2)]` ("from-mixture", HiddenCut's code), `m = (P1 + P2)/2`,
 * `Pi = softmax(logits_i)`, summed over classes and averaged over positions; with the argument
 * checks, named after `caller`.
 */
export function mixtureDivergence(
  logits1: Tensor,
  logits2: Tensor,
  options: JsDivergenceOptions,
  direction: "to-mixture" | "from-mixture",
  caller: string,
): Tensor {
  const stop = options.stopGradientSecond ?? false;
  checkLogitPair(logits1, logits2, ["logits1", "logits2"], stop, options.mask, caller);
  return tf.tidy(() => {
    const log1 = logProbs(logits1);
    const log2 = logProbs(stop ? stopGradient(logits2) : logits2); // (..., C)
    const logM = logMixture(log1, log2); // (..., C)
    const [kl1, kl2] = direction === "to-mixture"
      ? [klPerPosition(log1, logM), klPerPosition(log2, logM)]
      : [klPerPosition(logM, log1), klPerPosition(logM, log2)]; // (...)
    return maskedMean(tf.mul(tf.add(kl1, kl2), 0.5), options.mask);
  });
}

/**
 * The checks of a consistency loss between two passes' logits: float tensors `(..., C)` of equal
 * shapes, a boolean stop-gradient flag, a mask of the leading axes.
 */
export function checkLogitPair(
  a: Tensor,
  b: Tensor,
  names: readonly [string, string],
  stop: unknown,
  mask: Tensor | undefined,
  caller: string,
): void {
  checkLogits(a, names[0], caller);
  checkLogits(b, names[1], caller);
  checkSameShape(a, b, `${names[0]} and ${names[1]}`, caller);
  checkStopFlag(stop, caller);
  checkMask(mask, a.shape.slice(0, -1), caller);
}

/** Checks a required boolean stop-gradient flag. */
export function checkStopFlag(flag: unknown, caller: string): void {
  if (typeof flag !== "boolean") {
    throw new TypeError(
      `Cannot compute ${caller}: options.stopGradientSecond must be a boolean, received ${
        String(flag)
      }`,
    );
  }
}
