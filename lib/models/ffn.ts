/**
 * The feed-forward block of a transformer layer: ffn-in → activation → ffn-out (both LoRA-able),
 * then the `hidden` hook point (HiddenCut's position: the FFN output before the residual add).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { relu } from "./relu.ts";
import type { Tensor, Tensor2D, Tensor3D } from "../types.ts";
import { dropAt, type DropoutPlan } from "../dropout/spec.ts";
import { layerLoraOptions } from "./_lora_input.ts";
import { type DropContext, dropRepresentation, type LinearWeights, loraLinear } from "./_deps.ts";
import type { LayerAdapters } from "./attention.ts";
import { dropContextAt } from "./_deps.ts";

/** The FFN non-linearity: ReLU (USE-lite), exact GELU (BERT, RoBERTa), tanh-GELU (GPT-2). */
export type Activation = "relu" | "gelu" | "gelu-tanh";

/** Every activation name. */
export const ACTIVATIONS: readonly Activation[] = ["relu", "gelu", "gelu-tanh"];

/** The frozen weights of a feed-forward block. */
export interface FfnWeights {
  /** `ffn-in`: `(D, F)`. */
  readonly in: LinearWeights;
  /** `ffn-out`: `(F, D)`. */
  readonly out: LinearWeights;
}

/** Per-call options of {@linkcode feedForward}. */
export interface FfnOptions {
  /** The non-linearity. */
  readonly activation: Activation;
  /** The dropout plan; the block reads `hidden` and `lora-input`. */
  readonly plan: DropoutPlan;
  /** This layer's 0-based index. */
  readonly layer: number;
  /** How many layers the model has. */
  readonly numLayers: number;
  /** The LoRA scale α/r (or α/√r). */
  readonly loraScale: number;
  /** `(B, T)`: 1 real token, 0 padding (span lengths of the `hidden` drop). */
  readonly tokenMask?: Tensor2D;
  /** `(B, T)`: attention received per token, for HiddenCut spans starting in the top 40%. */
  readonly attentionReceived?: Tensor2D;
}

/**
 * Applies an activation.
 *
 * @param x Any tensor.
 * @param activation The non-linearity.
 * @returns `activation(x)`, shaped like `x`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { activate } from "@loradrop/core/models";
 * import { assertAlmostEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * assertAlmostEquals(activate(tf.scalar(1), "gelu").dataSync()[0]!, 0.841345, 1e-5);
 * assertAlmostEquals(activate(tf.scalar(1), "gelu-tanh").dataSync()[0]!, 0.841192, 1e-5);
 * ```
 */
export function activate(x: Tensor, activation: Activation): Tensor {
  switch (activation) {
    case "relu":
      return relu(x);
    case "gelu": // 0.5·x·(1 + erf(x/√2))
      return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
    case "gelu-tanh": // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
      return tf.tidy(() => {
        const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
        return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
      });
    default:
      throw new TypeError(
        `Cannot apply activation: expected one of ${ACTIVATIONS.join(", ")}, received "${
          String(activation)
        }"`,
      );
  }
}

/**
 * The feed-forward block with its hook points: `lora-input` on ffn-in / ffn-out (each with its
 * own key) and `hidden` on the output, before the residual add.
 *
 * @param x The input `(B, T, D)` (layer-normalised in a pre-LN block).
 * @param weights The frozen ffn-in and ffn-out projections.
 * @param adapters The layer's LoRA adapters (`ffn-in`, `ffn-out` are read).
 * @param options Activation, plan, layer, LoRA scale, token mask, attention received.
 * @param ctx Training flag and the model's key for this pass.
 * @returns The block's output `(B, T, D)`, before the residual add.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { feedForward } from "@loradrop/core/models";
 * import { randomKey } from "@loradrop/core";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const w = {
 *   in: { kernel: tf.randomNormal([4, 8], 0, 1, "float32", 1) as tf.Tensor2D },
 *   out: { kernel: tf.randomNormal([8, 4], 0, 1, "float32", 2) as tf.Tensor2D },
 * };
 * const x = tf.randomNormal([1, 3, 4], 0, 1, "float32", 3) as tf.Tensor3D;
 * const plan = { drops: [{ position: "hidden", pattern: "element", rate: 0.5 }] } as const;
 * const opts = { activation: "relu", plan, layer: 0, numLayers: 1, loraScale: 2 } as const;
 * const infer = feedForward(x, w, {}, opts, { training: false });
 * const plain = feedForward(x, w, {}, { ...opts, plan: { drops: [] } }, { training: false });
 * assertEquals(infer.arraySync(), plain.arraySync());
 * const train = feedForward(x, w, {}, opts, { training: true, key: randomKey(0) });
 * assertNotEquals(train.arraySync(), infer.arraySync());
 * ```
 */
export function feedForward(
  x: Tensor3D,
  weights: FfnWeights,
  adapters: LayerAdapters,
  options: FfnOptions,
  ctx: DropContext,
): Tensor3D {
  if (x.rank !== 3) {
    throw new RangeError(
      `Cannot apply feedForward: input must be (B, T, D), received shape ${
        JSON.stringify(x.shape)
      }`,
    );
  }
  const d = x.shape[2];
  const f = weights.in.kernel.shape[1];
  if (weights.in.kernel.shape[0] !== d || weights.out.kernel.shape[0] !== f) {
    throw new RangeError(
      `Cannot apply feedForward: kernels must be (${d}, F) and (F, D'), received ${
        JSON.stringify(weights.in.kernel.shape)
      } and ${JSON.stringify(weights.out.kernel.shape)}`,
    );
  }
  const { plan, layer, numLayers, loraScale, tokenMask, attentionReceived } = options;
  const loraOptions = layerLoraOptions(plan, layer, numLayers, loraScale, tokenMask);
  return tf.tidy(() => {
    const h = loraLinear(
      x,
      weights.in,
      adapters["ffn-in"],
      loraOptions,
      dropContextAt(ctx, layer, "lora-input", "ffn-in"),
    ); // (B, T, F)
    const a = activate(h, options.activation); // (B, T, F)
    const y = loraLinear(
      a,
      weights.out,
      adapters["ffn-out"],
      loraOptions,
      dropContextAt(ctx, layer, "lora-input", "ffn-out"),
    ); // (B, T, D')
    return dropRepresentation(
      y,
      dropAt(plan, "hidden", layer, numLayers),
      dropContextAt(ctx, layer, "hidden"),
      {
        ...(tokenMask === undefined ? {} : { tokenMask }),
        ...(attentionReceived === undefined ? {} : { attentionReceived }),
      },
    ) as Tensor3D;
  });
}
