// Seeded random weights for the tiny models of examples and tests.
import * as tf from "@tensorflow/tfjs-core";
import type { LinearWeights } from "./_deps.ts";

/** Makers of random weights that draw from one seeded sequence (the same seed, the same weights). */
export interface TinyWeights {
  /** A tensor of normal values with this std. */
  readonly normal: (shape: number[], std: number) => tf.Tensor;
  /** A linear layer `i → o`: kernel std 1/√i, bias std 0.1. */
  readonly lin: (i: number, o: number) => LinearWeights;
  /** A layer norm of width `d`: gamma ≈ 1, beta ≈ 0 (std 0.1 each). */
  readonly ln: (d: number) => { gamma: tf.Tensor1D; beta: tf.Tensor1D };
}

/** Weight makers whose draws are seeded `seed · 1000`, `seed · 1000 + 1`, … in call order. */
export function tinyWeights(seed: number): TinyWeights {
  let s = seed * 1000;
  const normal = (shape: number[], std: number) => tf.randomNormal(shape, 0, std, "float32", s++);
  const lin = (i: number, o: number): LinearWeights => ({
    kernel: normal([i, o], 1 / Math.sqrt(i)) as tf.Tensor2D,
    bias: normal([o], 0.1) as tf.Tensor1D,
  });
  const ln = (d: number) => ({
    gamma: tf.add(1, normal([d], 0.1)) as tf.Tensor1D,
    beta: normal([d], 0.1) as tf.Tensor1D,
  });
  return { normal, lin, ln };
}
