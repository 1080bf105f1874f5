/**
 * A decoder LM ready for LoRA fine-tuning on data-to-text (paper §6.5-6.6, Table 7): LoRA
 * adapters (r = 4, α = 32 on q and v by default) on a frozen decoder, the LM loss on the target
 * tokens only (labels < 0 are the prompt and padding) with label smoothing 0.1, and layer-wise
 * drops limited to the latter half of the layers (§4: decoders drop only there).
 *
 * It is a {@linkcode TaskModel} with an `objective`, so `train()` of `lib/train` runs it: labels
 * are `(B, T)` int32 next-token ids, the consistency term (KL over the token distributions) is
 * averaged over the counted target positions.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { foldIn, type RandomKey } from "../random.ts";
import type { DropoutPlan } from "../dropout/spec.ts";
import { crossEntropy } from "../losses/mod.ts";
import type { Tensor, Tensor2D, Tensor3D } from "../types.ts";
import { type DropContext, type LoraConfig, loraScale, type LoraWeights } from "./_deps.ts";
import { decoderForward, type DecoderModel, latterHalfPlan } from "./decoder.ts";
import { MODULE_NAMES, type ModuleName } from "./_deps.ts";
import { initLayerAdapters } from "./layer_adapters.ts";
import type { TaskBatch, TaskModel, TaskOutput } from "./task_model.ts";

/** Labels with this value (any negative value) are not counted: prompt and padding positions. */
export const IGNORE_LABEL: number = -100;

/** Options of {@linkcode createDecoderTaskModel}. */
export interface DecoderTaskOptions {
  /** LoRA: targets (default q and v), r (default 4), α (default 32) — Table 7. */
  readonly lora?: Partial<LoraConfig & { readonly targets: readonly ModuleName[] }>;
  /** ε of label smoothing (Table 7: 0.1). */
  readonly labelSmoothing?: number;
  /** Where layer-wise drops go: `latter-half` (default, §4) or `all` layers. */
  readonly dropLayers?: "latter-half" | "all";
}

/** A decoder LM task model. */
export interface DecoderTaskModel extends TaskModel {
  /** The frozen base. */
  readonly base: DecoderModel;
  /** The LoRA adapters by key `layers.{i}.{module}` (views of `trainable`). */
  readonly adapters: Readonly<Record<string, LoraWeights>>;
  /** α/r. */
  readonly loraScale: number;
  /**
   * Inference-mode logits (no dropout), for decoding.
   * @param inputIds `(B, T)` int32.
   * @param attentionMask `(B, T)`, 1 real, 0 padding.
   * @returns `(B, T, V)`.
   */
  logits(inputIds: Tensor2D, attentionMask: Tensor2D): Tensor3D;
}

function moduleDims(base: DecoderModel, module: ModuleName): [number, number] {
  const d = base.config.hiddenDim;
  switch (module) {
    case "ffn-in":
      return [d, base.config.ffnDim];
    case "ffn-out":
      return [base.config.ffnDim, d];
    default:
      return [d, d];
  }
}

/**
 * The masked, label-smoothed next-token cross-entropy: the mean over positions whose label is
 * ≥ 0 (prompt and padding carry {@linkcode IGNORE_LABEL}).
 *
 * @param logits `(B, T, V)`.
 * @param labels `(B, T)` int32 next-token ids, negative where not counted.
 * @param labelSmoothing ε in [0, 1).
 * @returns A scalar.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { lmTargetLoss } from "@loradrop/core/models";
 * import { assertAlmostEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * const logits = tf.tensor3d([[[0, 0], [9, 0]]]);
 * const loss = lmTargetLoss(logits, tf.tensor2d([[-100, 1]], undefined, "int32"), 0);
 * assertAlmostEquals(loss.dataSync()[0]!, 9 + Math.log(1 + Math.exp(-9)), 1e-4); // position 1 only
 * ```
 */
export function lmTargetLoss(logits: Tensor, labels: Tensor, labelSmoothing: number): Tensor {
  if (labels.rank !== 2 || labels.dtype !== "int32") {
    throw new TypeError(
      `Cannot compute the LM loss: labels must be (B, T) int32, received rank ${labels.rank} ${labels.dtype}`,
    );
  }
  if (
    logits.rank !== 3 || logits.shape[0] !== labels.shape[0] || logits.shape[1] !== labels.shape[1]
  ) {
    throw new RangeError(
      `Cannot compute the LM loss: logits must be (${labels.shape}, V), received [${logits.shape}]`,
    );
  }
  return tf.tidy(() => {
    const mask = tf.cast(tf.greaterEqual(labels, 0), "float32") as Tensor2D; // (B, T)
    const safe = tf.maximum(labels, tf.scalar(0, "int32")); // (B, T)
    return crossEntropy(logits, safe, { labelSmoothing, mask });
  });
}

/**
 * Builds the LoRA LM task model over a frozen decoder. Adapter `j` (layer-major, module order)
 * uses `foldIn(foldIn(key, 0), j)`: A Kaiming-uniform, B zero, so the model starts as the base.
 *
 * @param base The frozen decoder (its weights belong to the caller).
 * @param options LoRA, label smoothing, drop placement.
 * @param key The initialisation key.
 * @returns The task model; `dispose()` frees the adapters.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { createDecoderTaskModel } from "@loradrop/core/models";
 * import { tinyDecoder } from "./_tiny_decoder.ts";
 * import { randomKey } from "@loradrop/core";
 * import { assert, assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * const base = tinyDecoder();
 * const model = createDecoderTaskModel(base, {}, randomKey(0));
 * assertEquals(Object.keys(model.trainable).length, 2 * 2 * 2); // 2 layers × q, v × A, B
 * assertEquals(model.loraScale, 8); // α/r = 32/4
 * const batch = { inputIds: tf.tensor2d([[1, 2, 3]], undefined, "int32"), attentionMask: tf.ones([1, 3]) as tf.Tensor2D };
 * const out = model.forward(batch, { drops: [] }, { training: false });
 * const loss = model.objective!.taskLoss(out, tf.tensor2d([[-100, 3, 4]], undefined, "int32"));
 * assert(loss.dataSync()[0]! > 0);
 * model.dispose();
 * ```
 */
export function createDecoderTaskModel(
  base: DecoderModel,
  options: DecoderTaskOptions,
  key: RandomKey,
): DecoderTaskModel {
  const config: LoraConfig = {
    r: options.lora?.r ?? 4,
    alpha: options.lora?.alpha ?? 32,
    ...(options.lora?.rsLora === undefined ? {} : { rsLora: options.lora.rsLora }),
  };
  const targets = options.lora?.targets ?? ["q", "v"];
  for (const t of targets) {
    if (!MODULE_NAMES.includes(t)) {
      throw new TypeError(
        `Cannot create a decoder task model: LoRA target must be one of ${
          MODULE_NAMES.join(", ")
        }, received "${t}"`,
      );
    }
  }
  const smoothing = options.labelSmoothing ?? 0.1;
  if (!(smoothing >= 0 && smoothing < 1)) {
    throw new RangeError(
      `Cannot create a decoder task model: labelSmoothing must be in [0, 1), received ${smoothing}`,
    );
  }
  const dropLayers = options.dropLayers ?? "latter-half";
  if (dropLayers !== "latter-half" && dropLayers !== "all") {
    throw new TypeError(
      `Cannot create a decoder task model: dropLayers must be "latter-half" or "all", received "${dropLayers}"`,
    );
  }
  const scale = loraScale(config);
  const numLayers = base.config.numLayers;
  const { adapters, trainable } = initLayerAdapters(
    foldIn(key, 0),
    numLayers,
    targets,
    (_layer, module) => moduleDims(base, module),
    config,
  );
  let disposed = false;
  const run = (batch: TaskBatch, plan: DropoutPlan, ctx: DropContext): Tensor3D => {
    if (disposed) throw new Error("Cannot run a decoder task model: it was disposed");
    const placed = dropLayers === "latter-half" ? latterHalfPlan(plan, numLayers) : plan;
    return decoderForward(
      base,
      { inputIds: batch.inputIds, attentionMask: batch.attentionMask },
      { plan: placed, adapters, loraScale: scale },
      ctx,
    );
  };
  return {
    kind: "classification",
    base,
    adapters,
    loraScale: scale,
    trainable,
    objective: {
      taskLoss: (output: TaskOutput, labels: Tensor) =>
        lmTargetLoss(output.logits, labels, smoothing),
      consistencyMask: (labels: Tensor) => tf.cast(tf.greaterEqual(labels, 0), "float32"),
    },
    forward(batch: TaskBatch, plan: DropoutPlan, ctx: DropContext): TaskOutput {
      const logits = run(batch, plan, ctx);
      // A decoder has no sentence vector: `pooled` is the logits themselves (same tensor).
      return { logits, pooled: logits };
    },
    logits(inputIds: Tensor2D, attentionMask: Tensor2D): Tensor3D {
      return run({ inputIds, attentionMask }, { drops: [] }, { training: false });
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      tf.dispose(Object.values(trainable));
    },
  };
}
