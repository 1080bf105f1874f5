/**
 * Softmax cross-entropy on logits, with label smoothing and a token mask for sequence outputs.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor2D } from "../types.ts";
import { checkLogits, checkMask, logProbs, maskedMean } from "./_reduce.ts";

/** Options of {@linkcode crossEntropy}. */
export interface CrossEntropyOptions {
  /** ε in [0, 1): the target is `(1 − ε)·onehot + ε/C` (PyTorch's `label_smoothing`). */
  readonly labelSmoothing?: number;
  /** `(B, T)` for logits `(B, T, C)`: 1 counts, 0 is padding; the mean runs over counted tokens. */
  readonly mask?: Tensor2D | Tensor;
}

/**
 * The mean cross-entropy `−Σ_c target_c · log softmax(logits)_c` over positions.
 *
 * @param logits `(..., C)`, float32.
 * @param labels Class indices `(...)` (int32, in `[0, C)` wherever the mask counts), or target
 *   distributions `(..., C)` (float32).
 * @param options Label smoothing and a mask.
 * @returns A scalar.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { crossEntropy } from "@loradrop/core";
 * import { assertAlmostEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const logits = tf.tensor2d([[0, 0], [0, 0]]);
 * const labels = tf.tensor1d([0, 1], "int32");
 * const loss = crossEntropy(logits, labels);
 * assertAlmostEquals(loss.dataSync()[0]!, Math.log(2), 1e-6);
 * tf.dispose([logits, labels, loss]);
 * ```
 */
export function crossEntropy(
  logits: Tensor,
  labels: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  const caller = "crossEntropy";
  checkLogits(logits, "logits", caller);
  const c = logits.shape[logits.rank - 1]!;
  const lead = logits.shape.slice(0, -1);
  const smoothing = options.labelSmoothing ?? 0;
  if (
    typeof smoothing !== "number" || !Number.isFinite(smoothing) || smoothing < 0 || smoothing >= 1
  ) {
    throw new RangeError(
      `Cannot compute crossEntropy: labelSmoothing must be in [0, 1), received ${smoothing}`,
    );
  }
  checkMask(options.mask, lead, caller);
  if (!(labels instanceof tf.Tensor)) {
    throw new TypeError(
      `Cannot compute crossEntropy: labels must be a tensor, received ${typeof labels}`,
    );
  }
  const isIndex = labels.rank === lead.length && labels.shape.every((d, i) => d === lead[i]);
  const isDistribution = labels.rank === logits.rank &&
    labels.shape.every((d, i) => d === logits.shape[i]);
  if (isIndex) {
    if (labels.dtype !== "int32") {
      throw new TypeError(
        `Cannot compute crossEntropy: class-index labels must be int32, received ${labels.dtype}`,
      );
    }
    checkIndices(labels, c, options.mask);
  } else if (isDistribution) {
    if (labels.dtype !== "float32") {
      throw new TypeError(
        `Cannot compute crossEntropy: target distributions must be float32, received ${labels.dtype}`,
      );
    }
  } else {
    throw new RangeError(
      `Cannot compute crossEntropy: labels must have shape [${lead}] (class indices) or [${logits.shape}] (distributions), received [${labels.shape}]`,
    );
  }
  return tf.tidy(() => {
    let target = isIndex ? tf.oneHot(labels, c) : labels; // (..., C)
    if (smoothing > 0) target = tf.add(tf.mul(target, 1 - smoothing), smoothing / c);
    const perPosition = tf.neg(tf.sum(tf.mul(target, logProbs(logits)), -1)); // (...)
    return maskedMean(perPosition, options.mask);
  });
}

function checkIndices(labels: Tensor, c: number, mask: Tensor | undefined): void {
  const values = labels.dataSync();
  const counted = mask?.dataSync();
  // A mask over fewer leading axes covers `stride` consecutive labels per entry.
  const stride = counted === undefined ? 1 : values.length / counted.length;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if ((v < 0 || v >= c) && (counted === undefined || counted[Math.floor(i / stride)] !== 0)) {
      throw new RangeError(
        `Cannot compute crossEntropy: labels must be class indices in [0, ${c}) where the mask counts, received ${v} at flat position ${i}`,
      );
    }
  }
}
