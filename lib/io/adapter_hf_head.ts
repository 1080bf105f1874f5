/**
 * Hugging Face's classification heads for a task model over an encoder checkpoint, laid out as
 * `AutoModelForSequenceClassification` builds them (the layout's `head` descriptor), so that a
 * trained model exports whole to PEFT: RoBERTa's `classifier.dense` + tanh + `classifier.out_proj` on the `<s>` token (a
 * trainable dense head layer with first-token pooling), BERT's `bert.pooler.dense` + tanh on
 * `[CLS]` (the checkpoint's frozen pooler) then `classifier`. A checkpoint that already holds a
 * fine-tuned `classifier` (e.g. saved from a sequence-classification class) gives the head's
 * initial values.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { HeadInit, TaskModelOptions } from "../models/task_model.ts";
import type { LinearWeights } from "../lora/weights.ts";
import type { HfEncoderModel } from "./hf_model.ts";
import { checkWeightValues, readSafetensors, type SafetensorsEntry } from "./safetensors.ts";
import { encoderArchitecture, type HeadNames } from "./architectures/table.ts";

/** Options of {@linkcode hfClassificationHead}. */
export interface HfHeadOptions {
  /** Classification or regression (one output). */
  readonly kind: "classification" | "regression";
  /** C, for classification. */
  readonly numClasses?: number;
  /**
   * Start from a random head when the checkpoint's `classifier` has another number of outputs
   * (transformers' `ignore_mismatched_sizes`); otherwise that is an error. Default false.
   */
  readonly ignoreMismatchedHead?: boolean;
}

/** The checkpoint's head tensors (`classifier.*`) and the files they came from, if it has any. */
async function classifierTensors(
  model: HfEncoderModel,
  head: HeadNames,
): Promise<{ tensors: Map<string, SafetensorsEntry>; source: string } | undefined> {
  const modules = head.dense === undefined ? [head.out] : [head.out, head.dense];
  const isHead = (key: string) => modules.some((m) => key.startsWith(`${m}.`));
  const keys = model.ignoredKeys.filter(isHead);
  if (keys.length === 0) return undefined;
  let files = [`${model.dir}/model.safetensors`];
  try {
    await Deno.stat(files[0]!);
  } catch {
    const index = JSON.parse(await Deno.readTextFile(`${model.dir}/model.safetensors.index.json`));
    const map = index.weight_map as Record<string, string>;
    files = [...new Set(keys.map((k) => `${model.dir}/${map[k]}`))];
  }
  const tensors = new Map<string, SafetensorsEntry>();
  for (const file of files) {
    for (const [k, e] of (await readSafetensors(file)).tensors) {
      if (isHead(k)) tensors.set(k, e);
    }
  }
  return { tensors, source: files.join(", ") };
}

function linearFrom(
  tensors: Map<string, SafetensorsEntry>,
  source: string,
  name: string,
  inDim: number,
): LinearWeights | undefined {
  const w = tensors.get(`${name}.weight`), b = tensors.get(`${name}.bias`);
  if (w === undefined) return undefined;
  if (w.shape.length !== 2 || w.shape[1] !== inDim) {
    throw new RangeError(
      `Cannot read the checkpoint's head: "${name}.weight" has shape [${w.shape}], expected [C, ${inDim}] (${source})`,
    );
  }
  const out = w.shape[0]!;
  if (b !== undefined && (b.shape.length !== 1 || b.shape[0] !== out)) {
    throw new RangeError(
      `Cannot read the checkpoint's head: "${name}.bias" has shape [${b.shape}], expected [${out}] (${source})`,
    );
  }
  checkWeightValues(w.data, { name: `${name}.weight`, source, dtype: w.dtype });
  if (b !== undefined) checkWeightValues(b.data, { name: `${name}.bias`, source, dtype: b.dtype });
  return tf.tidy(() => {
    const kernel = tf.transpose(tf.tensor2d(w.data as Float32Array, [out, inDim])); // (in, out)
    return b === undefined
      ? { kernel: kernel as tf.Tensor2D }
      : { kernel: kernel as tf.Tensor2D, bias: tf.tensor1d(b.data as Float32Array) };
  });
}

/**
 * The task model's head options for Hugging Face's sequence-classification layout of a BERT or
 * RoBERTa checkpoint, with the checkpoint's own `classifier` as initial values when it has one of
 * the right size.
 *
 * @param model The loaded checkpoint (`loadHfEncoder`).
 * @param options Classification (with C) or regression.
 * @returns `head` options for `createTaskModel`; dispose `init`'s tensors after creating the model.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { loadHfEncoder } from "@loradrop/core/io";
 * import { hfClassificationHead } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const fixtures = new URL("../../tests/fixtures/hf/", import.meta.url).pathname;
 * const roberta = await loadHfEncoder(`${fixtures}roberta`);
 * const head = await hfClassificationHead(roberta, { kind: "classification", numClasses: 3 });
 * assertEquals([head.pooling, head.dense], ["first", true]);
 * const bert = await loadHfEncoder(`${fixtures}bert`);
 * assertEquals((await hfClassificationHead(bert, { kind: "regression" })).pooling, "pooler");
 * tf.dispose([roberta.weights, bert.weights, bert.pooler] as unknown as tf.TensorContainer);
 * ```
 */
export async function hfClassificationHead(
  model: HfEncoderModel,
  options: HfHeadOptions,
): Promise<TaskModelOptions["head"]> {
  const { kind } = options;
  const numOutputs = kind === "regression" ? 1 : options.numClasses;
  const hidden = model.config.layers.at(-1)!.hiddenDim;
  const row = encoderArchitecture(model.modelType, "build the classification head");
  const layout = row.head;
  if (layout.pooling === "pooler" && model.pooler === undefined) {
    throw new TypeError(
      `Cannot build ${row.title}'s classification head: the checkpoint ${model.dir} has no ${row.weights.pooler}`,
    );
  }
  const found = await classifierTensors(model, layout);
  let init: HeadInit | undefined;
  if (found !== undefined) {
    const { tensors, source } = found;
    const outName = layout.out;
    const out = linearFrom(tensors, source, outName, hidden);
    if (out !== undefined && out.kernel.shape[1] === numOutputs) {
      const dense = layout.dense === undefined
        ? undefined
        : linearFrom(tensors, source, layout.dense, hidden);
      init = dense === undefined ? { out } : { out, dense };
    } else if (out !== undefined) {
      const outputs = out.kernel.shape[1];
      tf.dispose(out as unknown as tf.TensorContainer);
      if (options.ignoreMismatchedHead !== true) {
        throw new RangeError(
          `Cannot build the classification head: the checkpoint's ${outName} has ${outputs} outputs, the task ${numOutputs} (pass ignoreMismatchedHead to start from a random head)`,
        );
      }
    }
  }
  const base = layout.pooling === "first"
    ? { kind, pooling: "first" as const, dense: true }
    : { kind, pooling: "pooler" as const };
  return {
    ...base,
    ...(kind === "classification" ? { numClasses: numOutputs } : {}),
    ...(init === undefined ? {} : { init }),
  };
}
