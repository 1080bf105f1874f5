/**
 * The weights a LoRA layer works on: a frozen dense layer and a low-rank adapter.
 *
 * Layouts follow tfjs's Dense kernel `(in, out)`. PEFT stores `lora_A.weight` as `(r, in)` and
 * `lora_B.weight` as `(out, r)`: adapter IO transposes.
 *
 * @module
 */
import type { Tensor1D, Tensor2D, Variable } from "../types.ts";

/**
 * A dense layer `y = x·kernel + bias`.
 *
 * @example
 * ```ts
 * import type { LinearWeights } from "@loradrop/core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const base: LinearWeights = { kernel: tf.zeros([4, 3]), bias: tf.zeros([3]) };
 * assertEquals(base.kernel.shape, [4, 3]);
 * tf.dispose([base.kernel, base.bias!]);
 * ```
 */
export interface LinearWeights {
  /** `(in, out)`. */
  readonly kernel: Tensor2D;
  /** `(out)`, optional. */
  readonly bias?: Tensor1D;
}

/**
 * A LoRA adapter: the update of the kernel is `scale · a·b`.
 *
 * @example
 * ```ts
 * import type { LoraWeights } from "@loradrop/core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const adapter: LoraWeights = { a: tf.zeros([4, 2]), b: tf.zeros([2, 3]) };
 * assertEquals(adapter.b.shape, [2, 3]);
 * tf.dispose([adapter.a, adapter.b]);
 * ```
 */
export interface LoraWeights {
  /** `(in, r)`. */
  readonly a: Tensor2D;
  /** `(r, out)`. */
  readonly b: Tensor2D;
}

/** A trainable rank-2 variable. */
export type Variable2D = Variable & Tensor2D;

/**
 * A trainable LoRA adapter, as made by `initLora`.
 *
 * @example
 * ```ts
 * import type { LoraVariables } from "@loradrop/core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { assert } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const adapter = { a: tf.variable(tf.zeros([4, 2])), b: tf.variable(tf.zeros([2, 3])) } as LoraVariables;
 * assert(adapter.a.trainable);
 * tf.dispose([adapter.a, adapter.b]);
 * ```
 */
export interface LoraVariables extends LoraWeights {
  /** `(in, r)`, trainable. */
  readonly a: Variable2D;
  /** `(r, out)`, trainable. */
  readonly b: Variable2D;
}
