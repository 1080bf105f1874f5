/**
 * A task model: a frozen pretrained encoder with LoRA adapters, a pooling and a trainable head.
 * This is the contract the trainer uses (ARCHITECTURE.md, "Task model").
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor2D, Variable } from "../types.ts";
import { foldIn, type RandomKey, uniform } from "../random.ts";
import type { DropoutPlan } from "../dropout/spec.ts";
import {
  type DropContext,
  type LinearWeights,
  type LoraConfig,
  loraScale,
  validateLoraConfig,
} from "./_deps.ts";
import { MODULE_NAMES, type ModuleName } from "./_deps.ts";
import { initLayerAdapters } from "./layer_adapters.ts";
import { encoderForward, type EncoderInput, validateEncoder } from "./encoder.ts";
import type { EncoderModel } from "./encoder_config.ts";
import {
  applyPooler,
  classificationHead,
  pool,
  type PoolerWeights,
  type Pooling,
  regressionHead,
} from "./heads.ts";

/** A batch for a task model. */
export interface TaskBatch extends EncoderInput {
  /** `(B, T)` int32 token ids. */
  readonly inputIds: Tensor2D;
  /** `(B, T)`: 1 real token, 0 padding. */
  readonly attentionMask: Tensor2D;
  /** `(B, T)` token types, for models that have them. */
  readonly tokenTypeIds?: Tensor2D;
}

/** What a task model's forward pass returns. */
export interface TaskOutput {
  /** `(B, C)` logits for classification, `(B)` predictions for regression. */
  readonly logits: Tensor;
  /** `(B, D)` the pooled sentence representation (before the `classifier` drop). */
  readonly pooled: Tensor;
}

/**
 * A task loss that replaces the one of the model's kind, for outputs that are not one per example
 * (a language model's next-token logits `(B, T, V)` with labels `(B, T)`). The trainer then leaves
 * the labels' checks to it.
 */
export interface TaskObjective {
  /** The task loss (a scalar) of one pass's output for the batch's labels. */
  taskLoss(output: TaskOutput, labels: Tensor): Tensor;
  /** `(B, T)`: 1 where the consistency term counts a position of the logits; absent: all count. */
  consistencyMask?(labels: Tensor): Tensor;
}

/** A model ready for LoRA fine-tuning on one task. */
export interface TaskModel {
  /** The task type. */
  readonly kind: "classification" | "regression";
  /** Replaces the kind's loss (and label checks) when present; see {@linkcode TaskObjective}. */
  readonly objective?: TaskObjective;
  /** The trainable variables: LoRA A/B (`layers.3.q.lora_a`, `…lora_b`) and the head (`head.kernel`, `head.bias`, and `head.dense.kernel|bias` with a dense layer). */
  readonly trainable: Readonly<Record<string, Variable>>;
  /** How the head reads the encoder (absent for models without a pooled head, e.g. a decoder). */
  readonly headLayout?: HeadLayout;
  /** One forward pass; call inside `tf.tidy` or dispose the outputs. */
  forward(batch: TaskBatch, plan: DropoutPlan, ctx: DropContext): TaskOutput;
  /** Disposes the trainable variables (the base weights belong to the caller). */
  dispose(): void;
}

/** A pretrained base: an encoder and, optionally, its own pooler. */
export interface TaskBase extends EncoderModel {
  /** The model's pooler (USE-lite's tanh dense + L2), used by `pooling: "pooler"`. */
  readonly pooler?: PoolerWeights;
}

/** LoRA options of a task model. */
export interface TaskLoraOptions extends LoraConfig {
  /** The adapted modules of every layer; default `["q", "v"]`. */
  readonly targets?: readonly ModuleName[];
}

/** The layout of a task model's head: its pooling and whether a trainable dense + tanh precedes it. */
export interface HeadLayout {
  /** How the sentence vector is made. */
  readonly pooling: Pooling;
  /** A trainable `head.dense` + tanh before the output layer (RoBERTa's `classifier.dense`). */
  readonly dense: boolean;
}

/** Initial head values, e.g. a checkpoint's `classifier` (copied; shapes must match). */
export interface HeadInit {
  /** The output layer `(D, C)` (BERT's `classifier`, RoBERTa's `classifier.out_proj`). */
  readonly out?: LinearWeights;
  /** The dense layer `(D, D)` (RoBERTa's `classifier.dense`); needs `dense: true`. */
  readonly dense?: LinearWeights;
}

/** Options of {@linkcode createTaskModel}. */
export interface TaskModelOptions {
  /** LoRA: targets (default q and v), r (default 8), α (default 16), rsLora. */
  readonly lora?: Partial<TaskLoraOptions>;
  /** The head. */
  readonly head: {
    /** Classification (C logits) or regression (one value). */
    readonly kind: "classification" | "regression";
    /** C, for classification (≥ 2). */
    readonly numClasses?: number;
    /** How the sentence vector is made; `pooler` needs `base.pooler`. */
    readonly pooling: Pooling;
    /**
     * A trainable dense layer `(D, D)` + tanh on the pooled vector before the output layer, as in
     * Hugging Face's RoBERTa classification head (`classifier.dense`, then `classifier.out_proj`,
     * on the first token); not with `pooling: "pooler"`. Default false.
     */
    readonly dense?: boolean;
    /** Initial values for the head instead of the random ones (e.g. a fine-tuned checkpoint's). */
    readonly init?: HeadInit;
  };
}

/**
 * `(in, out)` of a LoRA-able module in a layer of an encoder.
 *
 * @param base The encoder.
 * @param layer The 0-based layer.
 * @param module `q`, `k`, `v`, `o`, `ffn-in` or `ffn-out`.
 * @returns The module's input and output widths.
 * @example
 * ```ts
 * import { encoderModuleDims } from "@loradrop/core/models";
 * import { tinyEncoder } from "./_tiny_encoder.ts";
 * import { initBackend } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const base = tinyEncoder();
 * const l = base.config.layers[0]!;
 * assertEquals(encoderModuleDims(base, 0, "ffn-in"), [l.hiddenDim, l.ffnDim]);
 * ```
 */
export function encoderModuleDims(
  base: Pick<EncoderModel, "config">,
  layer: number,
  module: ModuleName,
): [number, number] {
  const l = base.config.layers[layer]!;
  const inner = l.numHeads * l.headDim;
  switch (module) {
    case "q":
    case "k":
    case "v":
      return [l.inputDim, inner];
    case "o":
      return [inner, l.hiddenDim];
    case "ffn-in":
      return [l.hiddenDim, l.ffnDim];
    case "ffn-out":
      return [l.ffnDim, l.hiddenDim];
  }
}

/**
 * Builds a task model over a frozen base: LoRA adapters (A Kaiming-uniform, B zero, so the model
 * starts as the base) on the target modules of every layer, and a head with Glorot-uniform kernel
 * and zero bias (or the given initial values). With `head.dense`, Hugging Face's RoBERTa head: a
 * trainable dense layer + tanh on the pooled (first) token, then the output layer; BERT's head is
 * `pooling: "pooler"` (the checkpoint's frozen pooler, then `classifier`). Keys: adapter `j` (in
 * layer-major, module order) uses `foldIn(foldIn(key, 0), j)`, the head `foldIn(key, 1)`, the
 * dense layer `foldIn(key, 2)`.
 *
 * @param base The pretrained encoder (and pooler), e.g. from `loadUseLite()`.
 * @param options LoRA and head options.
 * @param key The key for the initial values.
 * @returns The task model; call `dispose()` when done.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { createTaskModel } from "@loradrop/core/models";
 * import { tinyEncoder } from "./_tiny_encoder.ts";
 * import { randomKey } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const model = createTaskModel(tinyEncoder(), { head: { kind: "classification", numClasses: 3, pooling: "mean" } }, randomKey(0));
 * assertEquals(Object.keys(model.trainable).length, 2 * 2 * 2 + 2);
 * const batch = { inputIds: tf.tensor2d([[3, 4, 5]], undefined, "int32"), attentionMask: tf.tensor2d([[1, 1, 1]]) };
 * const { logits } = model.forward(batch, { drops: [] }, { training: false });
 * assertEquals(logits.shape, [1, 3]);
 * model.dispose();
 * ```
 */
export function createTaskModel(
  base: TaskBase,
  options: TaskModelOptions,
  key: RandomKey,
): TaskModel {
  validateEncoder(base);
  const loraConfig: TaskLoraOptions = {
    r: options.lora?.r ?? 8,
    alpha: options.lora?.alpha ?? 16,
    targets: options.lora?.targets ?? ["q", "v"],
    ...(options.lora?.rsLora === undefined ? {} : { rsLora: options.lora.rsLora }),
  };
  validateLoraConfig(loraConfig);
  for (const t of loraConfig.targets!) {
    if (!MODULE_NAMES.includes(t)) {
      throw new TypeError(
        `Cannot create a task model: LoRA targets must be among ${
          MODULE_NAMES.join(", ")
        }, received "${t}"`,
      );
    }
  }
  const { kind, pooling } = options.head;
  if (kind !== "classification" && kind !== "regression") {
    throw new TypeError(
      `Cannot create a task model: head kind must be "classification" or "regression", received "${kind}"`,
    );
  }
  if (!["mean", "first", "pooler"].includes(pooling)) {
    throw new TypeError(
      `Cannot create a task model: pooling must be "mean", "first" or "pooler", received "${pooling}"`,
    );
  }
  if (pooling === "pooler" && base.pooler === undefined) {
    throw new TypeError('Cannot create a task model: pooling "pooler" needs a base with a pooler');
  }
  const numOutputs = kind === "regression" ? 1 : options.head.numClasses ?? NaN;
  if (kind === "classification" && (!Number.isInteger(numOutputs) || numOutputs < 2)) {
    throw new RangeError(
      `Cannot create a task model: numClasses must be an integer >= 2, received ${options.head.numClasses}`,
    );
  }
  const scale = loraScale(loraConfig);
  const { adapters, trainable } = initLayerAdapters(
    foldIn(key, 0),
    base.config.layers.length,
    loraConfig.targets!,
    (layer, module) => encoderModuleDims(base, layer, module),
    loraConfig,
  );
  const dense = options.head.dense === true;
  if (dense && pooling === "pooler") {
    throw new TypeError(
      'Cannot create a task model: a dense head layer goes on "mean" or "first" pooling, not on the base\'s "pooler"',
    );
  }
  const hidden = base.config.layers.at(-1)!.hiddenDim;
  const width = pooling === "pooler" ? base.pooler!.dense.kernel.shape[1] : hidden;
  const headVar = (name: string, k: RandomKey, shape: [number, number], init?: LinearWeights) => {
    checkInit(name, shape, init);
    const [fanIn, fanOut] = shape;
    const kernel = tf.tidy(() => {
      if (init !== undefined) return tf.variable(tf.clone(init.kernel), true);
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      const u = uniform(k, fanIn * fanOut);
      for (let i = 0; i < u.length; i++) u[i] = (2 * u[i]! - 1) * bound;
      return tf.variable(tf.tensor2d(u, shape), true);
    });
    const bias = tf.tidy(() =>
      tf.variable(init?.bias === undefined ? tf.zeros([fanOut]) : tf.clone(init.bias), true)
    );
    trainable[`${name}.kernel`] = kernel;
    trainable[`${name}.bias`] = bias;
    return { kernel: kernel as unknown as Tensor2D, bias: bias as unknown as tf.Tensor1D };
  };
  if (!dense && options.head.init?.dense !== undefined) {
    throw new TypeError("Cannot create a task model: init.dense needs dense: true");
  }
  const denseLayer = dense
    ? headVar("head.dense", foldIn(key, 2), [hidden, hidden], options.head.init?.dense)
    : undefined;
  const head = headVar("head", foldIn(key, 1), [width, numOutputs], options.head.init?.out);
  const denseHead: PoolerWeights | undefined = denseLayer === undefined ? undefined : {
    pooling: pooling as "mean" | "first",
    dense: denseLayer,
    activation: "tanh",
    l2Normalize: false,
  };
  let disposed = false;

  return {
    kind,
    trainable,
    headLayout: { pooling, dense },
    forward(batch: TaskBatch, plan: DropoutPlan, ctx: DropContext): TaskOutput {
      if (disposed) throw new Error("Cannot run a task model: it was disposed");
      return tf.tidy(() => {
        const hidden = encoderForward(base, batch, { plan, adapters, loraScale: scale }, ctx); // (B, T, D)
        const pooled = pooling === "pooler"
          ? applyPooler(hidden, batch.attentionMask, base.pooler!)
          : denseHead !== undefined
          ? applyPooler(hidden, batch.attentionMask, denseHead) // tanh(dense(pool(h)))
          : pool(hidden, batch.attentionMask, pooling); // (B, D)
        const logits = kind === "classification"
          ? classificationHead(pooled, head, plan, ctx)
          : regressionHead(pooled, head, plan, ctx);
        return { logits, pooled };
      });
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      tf.dispose(Object.values(trainable));
    },
  };
}

function checkInit(name: string, shape: [number, number], init: LinearWeights | undefined): void {
  if (init === undefined) return;
  const fanOut = shape[1];
  if (init.kernel.shape.join(",") !== shape.join(",")) {
    throw new RangeError(
      `Cannot create a task model: the initial ${name}.kernel must be [${shape}], received [${init.kernel.shape}]`,
    );
  }
  if (init.bias !== undefined && init.bias.shape.join(",") !== String(fanOut)) {
    throw new RangeError(
      `Cannot create a task model: the initial ${name}.bias must be [${fanOut}], received [${init.bias.shape}]`,
    );
  }
}
