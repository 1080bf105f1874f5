/**
 * Writing LoRA adapters in PEFT's format: `adapter_model.safetensors` + `adapter_config.json`.
 *
 * Keys: `base_model.model.<HF module path>.lora_A.weight` `(r, in)` and `.lora_B.weight`
 * `(out, r)` (loradrop's `a` `(in, r)` and `b` `(r, out)`, transposed). The task head is saved
 * under `modules_to_save` as PEFT writes it: BERT `base_model.model.classifier.{weight,bias}`,
 * RoBERTa `base_model.model.classifier.{dense,out_proj}.{weight,bias}`. GPT-2's fused `c_attn`
 * takes LoRA on q and v like loralib's MergedLinear; in PEFT's format this is one `c_attn` adapter
 * whose A stacks the slices' A's and whose B is block-diagonal (zero rows for k), with
 * `rank_pattern` / `alpha_pattern` keeping the scale.
 *
 * @module
 */
import type { Tensor, Tensor1D, Tensor2D } from "../types.ts";
import type { LinearWeights, LoraWeights } from "../lora/weights.ts";
import { loraScale } from "../lora/config.ts";
import { MODULE_NAMES, type ModuleName } from "../models/drop_context.ts";
import type { PoolerWeights } from "../models/heads.ts";
import type { TaskModel } from "../models/task_model.ts";
import { type SafetensorsInput, serializeSafetensors } from "./safetensors.ts";
import { writeFileAtomic } from "../train/atomic_file.ts";
import {
  ADAPTER_KEY,
  type AdapterModelType,
  FUSED,
  fusedModules,
  layoutFor,
  modulePath,
  peftTargets,
  type PeftTaskType,
  transposed,
} from "./_adapter_naming.ts";
import type { AdapterLayout } from "./architectures/table.ts";
import { orList } from "../_or_list.ts";
import { architectureRow, HF_MODEL_TYPES } from "./architectures/table.ts";

export type { AdapterModelType, PeftTaskType } from "./_adapter_naming.ts";

/** What an adapter file holds, in loradrop's layouts. */
export interface AdapterContents {
  /** LoRA weights by key `layers.{i}.{q|k|v|o|ffn-in|ffn-out}`: `a` `(in, r)`, `b` `(r, out)`. */
  readonly adapters: Readonly<Record<string, LoraWeights>>;
  /** The task head `(D, C)`: BERT's `classifier`, RoBERTa's `classifier.out_proj`. */
  readonly head?: LinearWeights;
  /** RoBERTa's `classifier.dense` `(D, D)` (applied to the first token, then tanh). */
  readonly headDense?: LinearWeights;
}

/** Options of {@linkcode saveAdapter}. */
export interface SaveAdapterOptions {
  /** The base architecture (decides the key layout). */
  readonly modelType: AdapterModelType;
  /** `base_model_name_or_path` (a hub id, a folder, or `use-lite@<version>`). */
  readonly baseModelName: string;
  /** The adapted modules of every layer. */
  readonly targetModules: readonly ModuleName[];
  /** The rank r of every adapter. */
  readonly r: number;
  /** LoRA's α. */
  readonly alpha: number;
  /** Rank-stabilised scaling α/√r. */
  readonly rsLora?: boolean;
  /** Modules saved whole; `["classifier"]` when a head is given (default then). */
  readonly modulesToSave?: readonly string[];
  /** Default: `SEQ_CLS` with a head, else `CAUSAL_LM` for GPT-2, `FEATURE_EXTRACTION` otherwise. */
  readonly taskType?: PeftTaskType;
  /**
   * For a RoBERTa task model without a trainable `head.dense`: the frozen pooler whose dense layer
   * stands for `classifier.dense`.
   */
  readonly pooler?: PoolerWeights;
}

/**
 * Collects a task model's adapters and head for {@linkcode saveAdapter}: its trainable
 * `head.dense.*` (RoBERTa's `classifier.dense`), or else a given pooler's dense layer.
 *
 * @param model The task model (its trainable `layers.{i}.{m}.lora_a|lora_b`, `head.*`).
 * @param pooler The frozen pooler standing for RoBERTa's classifier.dense, if the model has none.
 * @returns The contents to save.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { createTaskModel } from "@loradrop/core/models";
 * import { tinyEncoder } from "../models/_tiny_encoder.ts";
 * import { randomKey } from "@loradrop/core";
 * import { taskModelAdapter } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const base = tinyEncoder();
 * const model = createTaskModel(base, { head: { kind: "classification", numClasses: 2, pooling: "first", dense: true } }, randomKey(0));
 * const contents = taskModelAdapter(model);
 * assertEquals(Object.keys(contents.adapters), ["layers.0.q", "layers.0.v", "layers.1.q", "layers.1.v"]);
 * assertEquals(contents.head?.kernel.shape, [12, 2]);
 * assertEquals(contents.headDense?.kernel.shape, [12, 12]);
 * model.dispose();
 * tf.dispose(base.weights as unknown as tf.TensorContainer);
 * ```
 */
export function taskModelAdapter(model: TaskModel, pooler?: PoolerWeights): AdapterContents {
  const adapters: Record<string, LoraWeights> = {};
  const t = model.trainable;
  for (const name of Object.keys(t)) {
    const m = /^(layers\.\d+\.(?:q|k|v|o|ffn-in|ffn-out))\.lora_a$/.exec(name);
    if (m === null) continue;
    const b = t[`${m[1]}.lora_b`];
    if (b === undefined) {
      throw new TypeError(`Cannot collect adapters: "${m[1]}.lora_b" is missing next to "${name}"`);
    }
    adapters[m[1]!] = { a: t[name] as unknown as Tensor2D, b: b as unknown as Tensor2D };
  }
  const linear = (prefix: string): LinearWeights | undefined => {
    const kernel = t[`${prefix}.kernel`] as unknown as Tensor2D | undefined;
    const bias = t[`${prefix}.bias`] as unknown as Tensor1D | undefined;
    if (kernel === undefined) return undefined;
    return bias === undefined ? { kernel } : { kernel, bias };
  };
  const head = linear("head");
  const dense = linear("head.dense");
  if (dense !== undefined && pooler !== undefined) {
    throw new TypeError(
      "Cannot collect adapters: the model has a trainable head.dense, so no pooler may stand for classifier.dense",
    );
  }
  const headDense = dense ?? pooler?.dense;
  return {
    adapters,
    ...(head === undefined ? {} : { head }),
    ...(headDense === undefined ? {} : { headDense }),
  };
}

/** The titles of the layouts whose head has a dense layer, for messages: `RoBERTa's`. */
function denseHeadTitles(): string {
  return orList(
    HF_MODEL_TYPES.flatMap((name) => {
      const row = architectureRow(name)!;
      return row.kind === "encoder" && row.head.dense !== undefined ? [`${row.title}'s`] : [];
    }),
  );
}

function checkSaveOptions(
  contents: AdapterContents,
  options: SaveAdapterOptions,
  layout: AdapterLayout,
): number {
  const { modelType, targetModules, r } = options;
  if (targetModules.length === 0 || !targetModules.every((t) => MODULE_NAMES.includes(t))) {
    throw new TypeError(
      `Cannot save adapter: targetModules must be a non-empty subset of ${
        MODULE_NAMES.join(", ")
      }, received [${targetModules.join(", ")}]`,
    );
  }
  loraScale({
    r,
    alpha: options.alpha,
    ...(options.rsLora === undefined ? {} : { rsLora: options.rsLora }),
  });
  let numLayers = 0;
  for (const [key, w] of Object.entries(contents.adapters)) {
    const m = ADAPTER_KEY.exec(key);
    if (m === null) {
      throw new TypeError(
        `Cannot save adapter: keys must be layers.{i}.{${
          MODULE_NAMES.join("|")
        }}, received "${key}"`,
      );
    }
    if (!targetModules.includes(m[2] as ModuleName)) {
      throw new TypeError(
        `Cannot save adapter: "${key}" is not among targetModules [${targetModules.join(", ")}]`,
      );
    }
    if (w.a.rank !== 2 || w.b.rank !== 2 || w.a.shape[1] !== r || w.b.shape[0] !== r) {
      throw new RangeError(
        `Cannot save adapter: "${key}" must have rank r = ${r}, received a [${w.a.shape}] and b [${w.b.shape}]`,
      );
    }
    numLayers = Math.max(numLayers, Number(m[1]) + 1);
  }
  if (numLayers === 0) throw new TypeError("Cannot save adapter: there are no adapters");
  for (let i = 0; i < numLayers; i++) {
    for (const t of targetModules) {
      if (contents.adapters[`layers.${i}.${t}`] === undefined) {
        throw new TypeError(`Cannot save adapter: "layers.${i}.${t}" is missing`);
      }
    }
  }
  const dense = layout.head?.dense;
  if (contents.head !== undefined && dense !== undefined && contents.headDense === undefined) {
    throw new TypeError(
      `Cannot save adapter: a ${layout.title} classifier needs headDense (${dense}: a trainable head.dense, or the pooler's dense layer)`,
    );
  }
  if (contents.headDense !== undefined && dense === undefined) {
    throw new TypeError(
      `Cannot save adapter: headDense (classifier.dense) exists in ${denseHeadTitles()} head only, received modelType "${modelType}"`,
    );
  }
  if (contents.head === undefined && contents.headDense !== undefined) {
    throw new TypeError("Cannot save adapter: headDense given without a head");
  }
  return numLayers;
}

async function matrixT(t: Tensor): Promise<SafetensorsInput> {
  const [rows, cols] = t.shape as [number, number];
  return { shape: [cols, rows], data: transposed(await t.data() as Float32Array, rows, cols) };
}

async function vector(t: Tensor): Promise<SafetensorsInput> {
  return { shape: [...t.shape], data: Float32Array.from(await t.data() as Float32Array) };
}

/** The c_attn adapter of one GPT-2 layer: A stacks the slices' A's, B is block-diagonal. */
async function fusedCAttn(
  contents: AdapterContents,
  layer: number,
  slots: readonly ModuleName[],
  r: number,
): Promise<{ a: SafetensorsInput; b: SafetensorsInput }> {
  const d = contents.adapters[`layers.${layer}.${slots[0]}`]!.a.shape[0];
  const rr = r * slots.length;
  const a = new Float32Array(rr * d); // (r', in)
  const b = new Float32Array(3 * d * rr); // (3D, r')
  for (let s = 0; s < slots.length; s++) {
    const w = contents.adapters[`layers.${layer}.${slots[s]}`]!;
    const slot = FUSED.indexOf(slots[s]!);
    a.set(transposed(await w.a.data() as Float32Array, d, r), s * r * d); // (r, in) block
    const bT = transposed(await w.b.data() as Float32Array, r, d); // (D, r)
    for (let row = 0; row < d; row++) {
      for (let j = 0; j < r; j++) b[(slot * d + row) * rr + s * r + j] = bT[row * r + j]!;
    }
  }
  return { a: { shape: [rr, d], data: a }, b: { shape: [3 * d, rr], data: b } };
}

/**
 * Writes an adapter in PEFT's format: `adapter_model.safetensors` and `adapter_config.json`
 * (each written atomically).
 *
 * @param dir The folder (created if missing).
 * @param source A task model, or adapters (and a head) e.g. from {@linkcode taskModelAdapter}.
 * @param options Architecture, base name, targets, r, α, rsLora, modules to save (and, for a
 *   RoBERTa task model without a trainable `head.dense`, the pooler holding classifier.dense).
 * @returns Resolves when both files are written.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { saveAdapter } from "@loradrop/core/io";
 * import { readSafetensors } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const dir = await Deno.makeTempDir();
 * const lora = () => ({ a: tf.ones([8, 2]) as tf.Tensor2D, b: tf.ones([2, 8]) as tf.Tensor2D });
 * await saveAdapter(dir, { adapters: { "layers.0.q": lora(), "layers.0.v": lora() } }, {
 *   modelType: "bert", baseModelName: "bert-base-uncased", targetModules: ["q", "v"], r: 2, alpha: 4,
 * });
 * const file = await readSafetensors(`${dir}/adapter_model.safetensors`);
 * assertEquals(file.tensors.get("base_model.model.encoder.layer.0.attention.self.query.lora_A.weight")?.shape, [2, 8]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveAdapter(
  dir: string,
  source: AdapterContents | TaskModel,
  options: SaveAdapterOptions,
): Promise<void> {
  const contents = "trainable" in source ? taskModelAdapter(source, options.pooler) : source;
  const layout = layoutFor(options.modelType, "save adapter");
  const numLayers = checkSaveOptions(contents, options, layout);
  const { modelType, targetModules, r, alpha } = options;
  const rsLora = options.rsLora ?? false;
  const head = contents.head !== undefined;
  const taskType = options.taskType ??
    (head ? "SEQ_CLS" : layout.kind === "decoder" ? "CAUSAL_LM" : "FEATURE_EXTRACTION");
  const modulesToSave = options.modulesToSave ?? (head ? ["classifier"] : []);
  if (head !== modulesToSave.includes("classifier")) {
    throw new TypeError(
      `Cannot save adapter: modulesToSave [${modulesToSave.join(", ")}] and the head disagree (${
        head ? "a head is given" : "no head is given"
      })`,
    );
  }
  if (head && layout.head === undefined) {
    throw new TypeError(
      `Cannot save adapter: a classification head on ${modelType} is not supported`,
    );
  }
  // The wrapped class decides the prefix: a task class nests the base under bert./roberta./transformer.
  const inner = taskType === "FEATURE_EXTRACTION" ? "" : layout.weights.taskPrefix;
  const prefix = `base_model.model.${inner}`;
  const tensors: Record<string, SafetensorsInput> = {};
  const rankPattern: Record<string, number> = {};
  const alphaPattern: Record<string, number> = {};
  const fused = fusedModules(layout).filter((t) => targetModules.includes(t));
  const fusedName = layout.peft.targetNames.q;
  for (let i = 0; i < numLayers; i++) {
    for (const t of MODULE_NAMES) {
      if (!targetModules.includes(t) || fused.includes(t)) continue;
      const w = contents.adapters[`layers.${i}.${t}`]!;
      const path = `${prefix}${modulePath(layout, i, t)}`;
      tensors[`${path}.lora_A.weight`] = await matrixT(w.a); // (r, in)
      tensors[`${path}.lora_B.weight`] = await matrixT(w.b); // (out, r)
    }
    if (fused.length > 0) {
      const { a, b } = await fusedCAttn(contents, i, fused, r);
      const path = `${prefix}${modulePath(layout, i, "q")}`;
      tensors[`${path}.lora_A.weight`] = a;
      tensors[`${path}.lora_B.weight`] = b;
      if (fused.length > 1) {
        rankPattern[fusedName] = r * fused.length;
        // Keep the scale: α'/r' = α/r, or α'/√r' = α/√r with rsLora.
        alphaPattern[fusedName] = rsLora ? alpha * Math.sqrt(fused.length) : alpha * fused.length;
      }
    }
  }
  if (head) {
    const out = layout.head!.out;
    if (contents.headDense !== undefined) {
      const dense = contents.headDense;
      const name = `base_model.model.${layout.head!.dense}`;
      tensors[`${name}.weight`] = await matrixT(dense.kernel);
      if (dense.bias) tensors[`${name}.bias`] = await vector(dense.bias);
    }
    tensors[`base_model.model.${out}.weight`] = await matrixT(contents.head!.kernel);
    if (contents.head!.bias) {
      tensors[`base_model.model.${out}.bias`] = await vector(contents.head!.bias);
    }
  }
  const config = {
    peft_type: "LORA",
    task_type: taskType,
    base_model_name_or_path: options.baseModelName,
    r,
    lora_alpha: alpha,
    lora_dropout: 0.0,
    target_modules: peftTargets(layout, targetModules),
    modules_to_save: modulesToSave.length === 0 ? null : [...modulesToSave],
    bias: "none",
    fan_in_fan_out: layout.weights.kernelLayout === "in-out",
    use_rslora: rsLora,
    use_dora: false,
    init_lora_weights: true,
    inference_mode: true,
    rank_pattern: rankPattern,
    alpha_pattern: alphaPattern,
    layers_to_transform: null,
    layers_pattern: null,
    revision: null,
  };
  await Deno.mkdir(dir, { recursive: true });
  const metadata: Record<string, string> = { format: "pt" };
  // PEFT reads only the tensors; the slice layout of c_attn lets loadAdapter split it exactly.
  if (fused.length > 0) metadata["loradrop.c_attn_slots"] = fused.join(",");
  await writeFileAtomic(
    `${dir}/adapter_model.safetensors`,
    serializeSafetensors(tensors, metadata),
  );
  await writeFileAtomic(`${dir}/adapter_config.json`, JSON.stringify(config, null, 2) + "\n");
}
