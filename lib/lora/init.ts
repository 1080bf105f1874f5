/**
 * LoRA initialisation as in PEFT: A Kaiming-uniform, B zero, so the adapted layer starts as the
 * base layer exactly.
 *
 * PEFT calls `kaiming_uniform_(lora_A.weight, a=√5)` on a weight `(r, in)`, whose fan-in is `in`.
 * PyTorch's bound is `gain·√(3/fan_in)` with `gain = √(2/(1+a²))`, which for `a = √5` is
 * `1/√in`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type RandomKey, uniform } from "../random.ts";
import { type LoraConfig, validateLoraConfig } from "./config.ts";
import type { LoraVariables, Variable2D } from "./weights.ts";

/**
 * The bound of PyTorch's `kaiming_uniform_(w, a)` for a weight with fan-in `fanIn`:
 * `√(2/(1+a²)) · √(3/fanIn)`.
 *
 * @param fanIn The fan-in, a positive integer.
 * @param a The negative slope, √5 by default (PyTorch's `nn.Linear` and PEFT's LoRA A).
 * @returns The bound of the uniform distribution.
 * @example
 * ```ts
 * import { kaimingUniformBound } from "@loradrop/core";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(kaimingUniformBound(256), 1 / 16);
 * ```
 */
export function kaimingUniformBound(fanIn: number, a: number = Math.sqrt(5)): number {
  if (!Number.isInteger(fanIn) || fanIn < 1) {
    throw new RangeError(
      `Cannot compute the Kaiming bound: fanIn must be a positive integer, received ${fanIn}`,
    );
  }
  const gain = Math.sqrt(2 / (1 + a * a));
  return gain * Math.sqrt(3 / fanIn);
}

function checkDim(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot initialise LoRA: ${name} must be a positive integer, received ${value}`,
    );
  }
}

/**
 * Makes a trainable LoRA adapter for an `(in, out)` kernel: `a` `(in, r)` uniform in
 * `[−1/√in, 1/√in)` drawn from `key`, `b` `(r, out)` zero.
 *
 * @param key The key `a` is drawn from (the same key gives the same adapter).
 * @param inDim The kernel's input size.
 * @param outDim The kernel's output size.
 * @param config The rank and scalar (only r is used here).
 * @returns Two new trainable variables; the caller disposes them.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { randomKey } from "@loradrop/core";
 * import { initLora } from "@loradrop/core";
 * import { assert, assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const { a, b } = initLora(randomKey(0), 16, 4, { r: 2, alpha: 4 });
 * assertEquals(a.shape, [16, 2]);
 * assertEquals(tf.sum(tf.abs(b)).dataSync()[0], 0);
 * assert(tf.max(tf.abs(a)).dataSync()[0]! <= 0.25);
 * tf.dispose([a, b]);
 * ```
 */
export function initLora(
  key: RandomKey,
  inDim: number,
  outDim: number,
  config: LoraConfig,
): LoraVariables {
  validateLoraConfig(config);
  checkDim(inDim, "inDim");
  checkDim(outDim, "outDim");
  const { r } = config;
  const bound = kaimingUniformBound(inDim);
  const u = uniform(key, inDim * r);
  for (let i = 0; i < u.length; i++) u[i] = (2 * u[i]! - 1) * bound;
  const a = tf.tidy(() => tf.variable(tf.tensor2d(u, [inDim, r]), true)) as Variable2D;
  const b = tf.tidy(() => tf.variable(tf.zeros([r, outDim]), true)) as Variable2D;
  return { a, b };
}
