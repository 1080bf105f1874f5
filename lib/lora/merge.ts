/**
 * Folding a LoRA update into the kernel (`W + scale·A·B`) and taking it out again. Both return
 * new tensors and leave their inputs untouched: merging is always an explicit call, never a side
 * effect of switching to inference (loralib's implicit merge on `eval()` is what this avoids).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { LinearWeights, LoraWeights } from "./weights.ts";
import { checkAdapterShapes, checkLinearWeights, checkScale } from "./_checks.ts";

function shifted(
  base: LinearWeights,
  adapter: LoraWeights,
  scale: number,
  caller: string,
): LinearWeights {
  const [inDim, outDim] = checkLinearWeights(base, caller);
  checkAdapterShapes(adapter, inDim, outDim, caller);
  checkScale(scale, caller);
  const kernel = tf.tidy(() => tf.add(base.kernel, tf.mul(tf.matMul(adapter.a, adapter.b), scale))); // (in, out)
  return base.bias === undefined
    ? { kernel: kernel as typeof base.kernel }
    : { kernel: kernel as typeof base.kernel, bias: tf.clone(base.bias) };
}

/**
 * The dense layer with the LoRA update folded in: kernel `W + scale·A·B`, bias copied. In
 * inference, `loraLinear(x, merged, undefined, …)` equals `loraLinear(x, base, adapter, …)`.
 *
 * @param base The dense layer, kernel `(in, out)`.
 * @param adapter The adapter, `a (in, r)`, `b (r, out)`.
 * @param scale The LoRA scale, usually `loraScale(config)`.
 * @returns A new layer (new kernel, cloned bias); the caller disposes it.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { mergeLora } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const base = { kernel: tf.tensor2d([[1, 0], [0, 1]]) };
 * const adapter = { a: tf.tensor2d([[1], [0]]), b: tf.tensor2d([[0, 1]]) };
 * const merged = mergeLora(base, adapter, 2);
 * assertEquals(merged.kernel.arraySync(), [[1, 2], [0, 1]]);
 * tf.dispose([base.kernel, adapter.a, adapter.b, merged.kernel]);
 * ```
 */
export function mergeLora(base: LinearWeights, adapter: LoraWeights, scale: number): LinearWeights {
  return shifted(base, adapter, scale, "merge LoRA");
}

/**
 * Takes a merged LoRA update out again: kernel `W − scale·A·B` (float32 rounding aside, the
 * original kernel), bias copied.
 *
 * @param merged The merged layer, kernel `(in, out)`.
 * @param adapter The adapter that was merged.
 * @param scale The scale it was merged with.
 * @returns A new layer; the caller disposes it.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { mergeLora, unmergeLora } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const base = { kernel: tf.tensor2d([[1, 0], [0, 1]]) };
 * const adapter = { a: tf.tensor2d([[1], [0]]), b: tf.tensor2d([[0, 1]]) };
 * const merged = mergeLora(base, adapter, 2);
 * const restored = unmergeLora(merged, adapter, 2);
 * assertEquals(restored.kernel.arraySync(), [[1, 0], [0, 1]]);
 * tf.dispose([base.kernel, adapter.a, adapter.b, merged.kernel, restored.kernel]);
 * ```
 */
export function unmergeLora(
  merged: LinearWeights,
  adapter: LoraWeights,
  scale: number,
): LinearWeights {
  return shifted(merged, adapter, -scale, "unmerge LoRA");
}
