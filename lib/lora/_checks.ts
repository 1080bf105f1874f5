// Private argument checks shared by the LoRA layers.
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor2D } from "../types.ts";
import type { LinearWeights, LoraWeights } from "./weights.ts";

/**
 * Checks that an adapter fits a kernel: `a` `(in, r)`, `b` `(r, out)`.
 *
 * @param adapter The adapter.
 * @param inDim The kernel's input size.
 * @param outDim The kernel's output size.
 * @param caller What is being done, for the message.
 * @returns The rank r.
 */
export function checkAdapterShapes(
  adapter: LoraWeights,
  inDim: number,
  outDim: number,
  caller: string,
): number {
  const { a, b } = adapter;
  if (a?.rank !== 2 || b?.rank !== 2) {
    throw new RangeError(
      `Cannot ${caller}: adapter a and b must be matrices, received shapes [${a?.shape}] and [${b?.shape}]`,
    );
  }
  const r = a.shape[1];
  if (a.shape[0] !== inDim || b.shape[0] !== r || b.shape[1] !== outDim) {
    throw new RangeError(
      `Cannot ${caller}: adapter shapes must be a (${inDim}, r) and b (r, ${outDim}), received a [${a.shape}] and b [${b.shape}]`,
    );
  }
  return r;
}

/**
 * Checks a dense layer: a float32 `(in, out)` kernel and an optional `(out)` bias.
 *
 * @param base The layer.
 * @param caller What is being done, for the message.
 * @returns `[in, out]`.
 */
export function checkLinearWeights(base: LinearWeights, caller: string): [number, number] {
  const kernel = base?.kernel;
  if (kernel?.rank !== 2) {
    throw new RangeError(
      `Cannot ${caller}: base.kernel must be an (in, out) matrix, received shape [${kernel?.shape}]`,
    );
  }
  const [inDim, outDim] = kernel.shape;
  if (base.bias !== undefined && (base.bias.rank !== 1 || base.bias.shape[0] !== outDim)) {
    throw new RangeError(
      `Cannot ${caller}: base.bias must have shape [${outDim}], received [${base.bias.shape}]`,
    );
  }
  return [inDim, outDim];
}

/** Checks a LoRA scale (finite). */
export function checkScale(scale: number, caller: string): void {
  if (typeof scale !== "number" || !Number.isFinite(scale)) {
    throw new RangeError(`Cannot ${caller}: scale must be a finite number, received ${scale}`);
  }
}

/**
 * Checks `x (..., in)` and flattens it to `(N, in)`.
 *
 * @returns The flat input and the leading shape.
 */
export function flattenInput(
  x: Tensor,
  inDim: number,
  caller: string,
): { flat: Tensor2D; lead: number[] } {
  if (!(x instanceof tf.Tensor) || x.rank < 1 || x.shape[x.rank - 1] !== inDim) {
    throw new RangeError(
      `Cannot ${caller}: x must have shape (..., ${inDim}), received [${
        (x as Tensor | undefined)?.shape
      }]`,
    );
  }
  if (x.dtype !== "float32") {
    throw new TypeError(`Cannot ${caller}: x must be float32, received ${x.dtype}`);
  }
  const lead = x.shape.slice(0, -1);
  const flat = (x.rank === 2 ? x : tf.reshape(x, [-1, inDim])) as Tensor2D; // (N, in), N = Π lead
  return { flat, lead };
}
