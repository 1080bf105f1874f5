/**
 * LoRA adapters in PEFT's format: `adapter_model.safetensors` + `adapter_config.json`, so an
 * adapter trained with loradrop loads in PEFT and the other way round.
 *
 * Keys: `base_model.model.<HF module path>.lora_A.weight` `(r, in)` and `.lora_B.weight`
 * `(out, r)` (loradrop's `a` `(in, r)` and `b` `(r, out)`, transposed). The task head is saved
 * under `modules_to_save` as PEFT writes it: BERT `base_model.model.classifier.{weight,bias}`,
 * RoBERTa `base_model.model.classifier.{dense,out_proj}.{weight,bias}` (the dense layer becomes a
 * first-token tanh pooler in loradrop). GPT-2's fused `c_attn` takes LoRA on q and v like
 * loralib's MergedLinear; in PEFT's format this is one `c_attn` adapter whose A stacks the
 * slices' A's and whose B is block-diagonal (zero rows for k), with `rank_pattern` /
 * `alpha_pattern` keeping the scale; it is split back exactly when loaded.
 *
 * Loading is strict: missing or unknown keys, wrong shapes and a config that disagrees with what
 * the caller expects (r, alpha, targets) are errors naming the key or value.
 *
 * @module
 */
import { encoderModuleDims } from "../models/task_model.ts";
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Tensor2D } from "../types.ts";
import type { LinearWeights, LoraWeights } from "../lora/weights.ts";
import { loraScale } from "../lora/config.ts";
import { MODULE_NAMES, type ModuleName } from "../models/drop_context.ts";
import type { EncoderConfig } from "../models/encoder_config.ts";
import type { DecoderConfig } from "../models/decoder.ts";
import type { PoolerWeights } from "../models/heads.ts";
import type { TaskModel } from "../models/task_model.ts";
import { readSafetensors, type SafetensorsInput, writeSafetensors } from "./safetensors.ts";
import { HF_ENCODER_MODULE_PATHS } from "./hf_encoder.ts";
import { writeFileAtomic } from "../train/atomic_file.ts";

/** The base architectures an adapter can be saved for. */
export type AdapterModelType = "bert" | "roberta" | "gpt2";

/** PEFT task types loradrop writes and reads. */
export type PeftTaskType = "SEQ_CLS" | "FEATURE_EXTRACTION" | "CAUSAL_LM";

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
  /** `base_model_name_or_path` (a hub id or a folder). */
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
  /** When saving a task model: the base's pooler whose dense layer is RoBERTa's classifier.dense. */
  readonly pooler?: PoolerWeights;
}

/** The settings read from `adapter_config.json`, in loradrop's terms. */
export interface AdapterSettings {
  /** The base architecture the keys were checked against. */
  readonly modelType: AdapterModelType;
  /** PEFT's task type (null when the file has none). */
  readonly taskType: string | null;
  /** `base_model_name_or_path`. */
  readonly baseModelName: string | null;
  /** The rank r (of each loradrop adapter). */
  readonly r: number;
  /** α (for each loradrop adapter). */
  readonly alpha: number;
  /** Rank-stabilised scaling. */
  readonly rsLora: boolean;
  /** The adapted modules, in {@linkcode MODULE_NAMES} order. */
  readonly targetModules: readonly ModuleName[];
  /** `modules_to_save`. */
  readonly modulesToSave: readonly string[];
}

/** An adapter read by {@linkcode loadAdapter}: tensors (not variables) plus its settings. */
export interface LoadedAdapter extends AdapterContents {
  /** The settings. */
  readonly settings: AdapterSettings;
  /** The LoRA scale α/r or α/√r to run the adapters with. */
  readonly loraScale: number;
  /** RoBERTa's `classifier.dense` as a pooler (first token → dense → tanh) for the task model. */
  readonly pooler?: PoolerWeights;
}

/** What {@linkcode loadAdapter} needs of the base: its architecture and configuration. */
export type AdapterBase =
  | { readonly modelType: "bert" | "roberta"; readonly config: EncoderConfig }
  | { readonly modelType: "gpt2"; readonly config: DecoderConfig };

/** Optional expectations checked by {@linkcode loadAdapter}. */
export interface LoadAdapterExpect {
  /** The rank. */
  readonly r?: number;
  /** α. */
  readonly alpha?: number;
  /** Rank-stabilised scaling. */
  readonly rsLora?: boolean;
  /** The adapted modules (any order). */
  readonly targetModules?: readonly ModuleName[];
}

const GPT2_PATHS: Readonly<Record<ModuleName, string>> = {
  q: "attn.c_attn",
  k: "attn.c_attn",
  v: "attn.c_attn",
  o: "attn.c_proj",
  "ffn-in": "mlp.c_fc",
  "ffn-out": "mlp.c_proj",
};

const ADAPTER_KEY = /^layers\.(\d+)\.(q|k|v|o|ffn-in|ffn-out)$/;
const FUSED: readonly ModuleName[] = ["q", "k", "v"];

function modulePath(modelType: AdapterModelType, layer: number, module: ModuleName): string {
  return modelType === "gpt2"
    ? `h.${layer}.${GPT2_PATHS[module]}`
    : `encoder.layer.${layer}.${HF_ENCODER_MODULE_PATHS[module]}`;
}

function transposed(data: Float32Array | Int32Array | Uint8Array, rows: number, cols: number) {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j]!;
  }
  return out; // (cols, rows)
}

async function matrixT(t: Tensor): Promise<SafetensorsInput> {
  const [rows, cols] = t.shape as [number, number];
  return { shape: [cols, rows], data: transposed(await t.data() as Float32Array, rows, cols) };
}

async function vector(t: Tensor): Promise<SafetensorsInput> {
  return { shape: [...t.shape], data: Float32Array.from(await t.data() as Float32Array) };
}

/** The PEFT `target_modules` for loradrop module names: a suffix list, or a regex if ambiguous. */
function peftTargets(
  modelType: AdapterModelType,
  targets: readonly ModuleName[],
): string[] | string {
  if (modelType === "gpt2") {
    const names = new Set<string>();
    for (const t of MODULE_NAMES) {
      if (!targets.includes(t)) continue;
      names.add(FUSED.includes(t) ? "c_attn" : GPT2_PATHS[t]);
    }
    return [...names];
  }
  const suffix: Record<ModuleName, string> = {
    q: "query",
    k: "key",
    v: "value",
    o: "attention.output.dense",
    "ffn-in": "intermediate.dense",
    "ffn-out": "output.dense", // also a suffix of attention.output.dense: needs a regex
  };
  const ordered = MODULE_NAMES.filter((t) => targets.includes(t));
  if (!ordered.includes("ffn-out")) return ordered.map((t) => suffix[t]);
  const paths = ordered.map((t) => HF_ENCODER_MODULE_PATHS[t].replaceAll(".", "\\."));
  return `.*encoder\\.layer\\.\\d+\\.(${paths.join("|")})`;
}

/** Whether PEFT's `target_modules` selects a module path (list: exact or `.suffix`; string: fullmatch). */
function peftMatches(target: string[] | string, path: string): boolean {
  if (typeof target === "string") return new RegExp(`^(?:${target})$`).test(path);
  return target.some((t) => path === t || path.endsWith(`.${t}`));
}

/**
 * Collects a task model's adapters and head (and a pooler's dense layer, RoBERTa's
 * `classifier.dense`) for {@linkcode saveAdapter}.
 *
 * @param model The task model (its trainable `layers.{i}.{m}.lora_a|lora_b`, `head.kernel|bias`).
 * @param pooler The base's pooler when the head sits behind one (RoBERTa's classifier.dense).
 * @returns The contents to save.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { createTaskModel } from "../models/task_model.ts";
 * import { tinyEncoder } from "../models/_tiny_encoder.ts";
 * import { randomKey } from "../random.ts";
 * import { taskModelAdapter } from "./adapters.ts";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const base = tinyEncoder();
 * const model = createTaskModel(base, { head: { kind: "classification", numClasses: 2, pooling: "mean" } }, randomKey(0));
 * const contents = taskModelAdapter(model);
 * assertEquals(Object.keys(contents.adapters), ["layers.0.q", "layers.0.v", "layers.1.q", "layers.1.v"]);
 * assertEquals(contents.head?.kernel.shape, [12, 2]);
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
  const kernel = t["head.kernel"] as unknown as Tensor2D | undefined;
  const bias = t["head.bias"] as unknown as Tensor1D | undefined;
  return {
    adapters,
    ...(kernel === undefined ? {} : { head: bias === undefined ? { kernel } : { kernel, bias } }),
    ...(pooler === undefined ? {} : { headDense: pooler.dense }),
  };
}

function checkSaveOptions(contents: AdapterContents, options: SaveAdapterOptions): number {
  const { modelType, targetModules, r } = options;
  if (!["bert", "roberta", "gpt2"].includes(modelType)) {
    throw new TypeError(
      `Cannot save adapter: modelType must be bert, roberta or gpt2, received "${modelType}"`,
    );
  }
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
  if (contents.head !== undefined && modelType === "roberta" && contents.headDense === undefined) {
    throw new TypeError(
      "Cannot save adapter: a RoBERTa classifier needs headDense (classifier.dense, e.g. the pooler's dense layer)",
    );
  }
  if (contents.head === undefined && contents.headDense !== undefined) {
    throw new TypeError("Cannot save adapter: headDense given without a head");
  }
  return numLayers;
}

/**
 * Writes an adapter in PEFT's format: `adapter_model.safetensors` and `adapter_config.json`.
 *
 * @param dir The folder (created if missing).
 * @param source A task model, or adapters (and a head) e.g. from {@linkcode taskModelAdapter}.
 * @param options Architecture, base name, targets, r, α, rsLora, modules to save (and, for a
 *   RoBERTa task model, the pooler holding classifier.dense).
 * @returns Resolves when both files are written.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { saveAdapter } from "./adapters.ts";
 * import { readSafetensors } from "./safetensors.ts";
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
  const numLayers = checkSaveOptions(contents, options);
  const { modelType, targetModules, r, alpha } = options;
  const rsLora = options.rsLora ?? false;
  const head = contents.head !== undefined;
  const taskType = options.taskType ??
    (head ? "SEQ_CLS" : modelType === "gpt2" ? "CAUSAL_LM" : "FEATURE_EXTRACTION");
  const modulesToSave = options.modulesToSave ?? (head ? ["classifier"] : []);
  if (head !== modulesToSave.includes("classifier")) {
    throw new TypeError(
      `Cannot save adapter: modulesToSave [${modulesToSave.join(", ")}] and the head disagree (${
        head ? "a head is given" : "no head is given"
      })`,
    );
  }
  const prefix = "base_model.model." +
    (taskType === "FEATURE_EXTRACTION"
      ? ""
      : modelType === "gpt2"
      ? "transformer."
      : `${modelType}.`);
  const tensors: Record<string, SafetensorsInput> = {};
  const rankPattern: Record<string, number> = {};
  const alphaPattern: Record<string, number> = {};
  for (let i = 0; i < numLayers; i++) {
    for (const t of MODULE_NAMES) {
      if (!targetModules.includes(t) || (modelType === "gpt2" && FUSED.includes(t))) continue;
      const w = contents.adapters[`layers.${i}.${t}`]!;
      const base = `${prefix}${modulePath(modelType, i, t)}`;
      tensors[`${base}.lora_A.weight`] = await matrixT(w.a); // (r, in)
      tensors[`${base}.lora_B.weight`] = await matrixT(w.b); // (out, r)
    }
    if (modelType === "gpt2") {
      const slots = FUSED.filter((t) => targetModules.includes(t));
      if (slots.length === 0) continue;
      // One c_attn adapter: A stacks the slices' A's, B is block-diagonal over q | k | v.
      const q = contents.adapters[`layers.${i}.${slots[0]}`]!;
      const d = q.a.shape[0];
      const rr = r * slots.length;
      const a = new Float32Array(rr * d); // (r', in)
      const b = new Float32Array(3 * d * rr); // (3D, r')
      for (let s = 0; s < slots.length; s++) {
        const w = contents.adapters[`layers.${i}.${slots[s]}`]!;
        const slot = FUSED.indexOf(slots[s]!);
        const aT = transposed(await w.a.data() as Float32Array, d, r); // (r, in)
        a.set(aT, s * r * d);
        const bT = transposed(await w.b.data() as Float32Array, r, d); // (D, r)
        for (let row = 0; row < d; row++) {
          for (let j = 0; j < r; j++) b[(slot * d + row) * rr + s * r + j] = bT[row * r + j]!;
        }
      }
      const base = `${prefix}${modulePath("gpt2", i, "q")}`;
      tensors[`${base}.lora_A.weight`] = { shape: [rr, d], data: a };
      tensors[`${base}.lora_B.weight`] = { shape: [3 * d, rr], data: b };
      if (slots.length > 1) {
        rankPattern["c_attn"] = rr;
        // Keep the scale: α'/r' = α/r, or α'/√r' = α/√r with rsLora.
        alphaPattern["c_attn"] = rsLora ? alpha * Math.sqrt(slots.length) : alpha * slots.length;
      }
    }
  }
  if (head) {
    if (modelType === "bert") {
      tensors["base_model.model.classifier.weight"] = await matrixT(contents.head!.kernel);
      if (contents.head!.bias) {
        tensors["base_model.model.classifier.bias"] = await vector(contents.head!.bias);
      }
    } else if (modelType === "roberta") {
      const dense = contents.headDense!;
      tensors["base_model.model.classifier.dense.weight"] = await matrixT(dense.kernel);
      if (dense.bias) tensors["base_model.model.classifier.dense.bias"] = await vector(dense.bias);
      tensors["base_model.model.classifier.out_proj.weight"] = await matrixT(contents.head!.kernel);
      if (contents.head!.bias) {
        tensors["base_model.model.classifier.out_proj.bias"] = await vector(contents.head!.bias);
      }
    } else {
      throw new TypeError("Cannot save adapter: a classification head on gpt2 is not supported");
    }
  }
  const config = {
    peft_type: "LORA",
    task_type: taskType,
    base_model_name_or_path: options.baseModelName,
    r,
    lora_alpha: alpha,
    lora_dropout: 0.0,
    target_modules: peftTargets(modelType, targetModules),
    modules_to_save: modulesToSave.length === 0 ? null : [...modulesToSave],
    bias: "none",
    fan_in_fan_out: modelType === "gpt2",
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
  const fused = FUSED.filter((t) => targetModules.includes(t));
  const metadata: Record<string, string> = { format: "pt" };
  // PEFT reads only the tensors; the slice layout of c_attn lets loadAdapter split it exactly.
  if (modelType === "gpt2" && fused.length > 0) metadata["loradrop.c_attn_slots"] = fused.join(",");
  await writeSafetensors(`${dir}/adapter_model.safetensors`, tensors, metadata);
  await writeFileAtomic(`${dir}/adapter_config.json`, JSON.stringify(config, null, 2) + "\n");
}

function fail(dir: string, what: string): never {
  throw new Error(`Cannot load adapter ${dir}: ${what}`);
}

/** `(in, out)` of each module of layer `i` of the base. */
function moduleDims(base: AdapterBase, i: number, m: ModuleName): [number, number] {
  if (base.modelType === "gpt2") {
    const d = base.config.hiddenDim, f = base.config.ffnDim;
    return m === "ffn-in" ? [d, f] : m === "ffn-out" ? [f, d] : [d, d];
  }
  return encoderModuleDims(base, i, m);
}

function numLayersOf(base: AdapterBase): number {
  return base.modelType === "gpt2" ? base.config.numLayers : base.config.layers.length;
}

/**
 * Reads a PEFT LoRA adapter for a base model, strictly: every key the config implies must be
 * present with its shape, and nothing else.
 *
 * @param dir The folder with `adapter_config.json` and `adapter_model.safetensors`.
 * @param base The base model's architecture and configuration (e.g. from `loadHfModel`).
 * @param expect Values the config must have (r, α, rsLora, targets).
 * @returns The adapters `layers.{i}.{m}`, the head (and RoBERTa's pooler), the settings and scale.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { loadHfEncoder } from "./hf_model.ts";
 * import { loadAdapter } from "./adapters.ts";
 * import { assertEquals, assertRejects } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const fixtures = new URL("../../tests/fixtures/hf/", import.meta.url).pathname;
 * const base = await loadHfEncoder(`${fixtures}roberta`);
 * const adapter = await loadAdapter(`${fixtures}roberta_cls_lora`, base);
 * assertEquals(adapter.settings.targetModules, ["q", "v"]);
 * assertEquals(adapter.loraScale, 2); // α 8 / r 4
 * await assertRejects(() => loadAdapter(`${fixtures}roberta_cls_lora`, base, { r: 8 }), Error, "r is 4");
 * tf.dispose([base.weights, adapter.adapters, adapter.head, adapter.pooler] as unknown as tf.TensorContainer);
 * ```
 */
export async function loadAdapter(
  dir: string,
  base: AdapterBase,
  expect: LoadAdapterExpect = {},
): Promise<LoadedAdapter> {
  const configPath = `${dir}/adapter_config.json`;
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(await Deno.readTextFile(configPath));
  } catch (error) {
    fail(dir, `cannot read adapter_config.json (${(error as Error).message})`);
  }
  const modelType = base.modelType;
  if (cfg.peft_type !== "LORA") {
    fail(dir, `peft_type is ${JSON.stringify(cfg.peft_type)}, expected "LORA"`);
  }
  const r = cfg.r, alpha = cfg.lora_alpha;
  if (typeof r !== "number" || !Number.isInteger(r) || r < 1) {
    fail(dir, `r must be a positive integer, received ${JSON.stringify(r)}`);
  }
  if (typeof alpha !== "number" || !(alpha > 0)) {
    fail(dir, `lora_alpha must be a positive number, received ${JSON.stringify(alpha)}`);
  }
  const rsLora = cfg.use_rslora === true;
  for (
    const [key, ok] of [
      ["use_dora", !cfg.use_dora],
      ["bias", cfg.bias === undefined || cfg.bias === "none"],
      ["lora_bias", !cfg.lora_bias],
      ["layers_to_transform", cfg.layers_to_transform == null],
    ] as const
  ) {
    if (!ok) fail(dir, `${key} ${JSON.stringify(cfg[key])} is not supported`);
  }
  const ranks = (cfg.rank_pattern ?? {}) as Record<string, unknown>;
  const alphas = (cfg.alpha_pattern ?? {}) as Record<string, unknown>;
  for (const [name, pattern] of [["rank_pattern", ranks], ["alpha_pattern", alphas]] as const) {
    for (const k of Object.keys(pattern)) {
      if (!(modelType === "gpt2" && k === "c_attn")) {
        fail(dir, `${name} entry "${k}" is not supported (only "c_attn" for gpt2)`);
      }
    }
  }
  const target = cfg.target_modules;
  if (
    !(typeof target === "string" ||
      (Array.isArray(target) && target.every((t) => typeof t === "string")))
  ) {
    fail(
      dir,
      `target_modules must be a list of names or a regex, received ${JSON.stringify(target)}`,
    );
  }
  const modulesToSave = (cfg.modules_to_save ?? []) as string[];
  if (!Array.isArray(modulesToSave) || !modulesToSave.every((m) => typeof m === "string")) {
    fail(
      dir,
      `modules_to_save must be a list of names, received ${JSON.stringify(cfg.modules_to_save)}`,
    );
  }
  for (const m of modulesToSave) {
    if (m !== "classifier" && m !== "score") {
      fail(dir, `modules_to_save entry "${m}" is not supported (only the classifier head)`);
    }
  }
  const file = await readSafetensors(`${dir}/adapter_model.safetensors`);
  const keys = new Set(file.tensors.keys());
  // The wrapped class decides the prefix: a task class has bert./roberta./transformer.
  const inner = modelType === "gpt2" ? "transformer." : `${modelType}.`;
  const withInner = [...keys].some((k) => k.startsWith(`base_model.model.${inner}`));
  const prefix = `base_model.model.${withInner ? inner : ""}`;
  const numLayers = numLayersOf(base);
  const targets = MODULE_NAMES.filter((m) =>
    peftMatches(target as string[] | string, `${prefix}${modulePath(modelType, 0, m)}`)
  );
  if (targets.length === 0) {
    fail(dir, `target_modules ${JSON.stringify(target)} selects no ${modelType} module`);
  }
  const slotText = file.metadata["loradrop.c_attn_slots"];
  const slots = slotText === undefined ? undefined : slotText.split(",") as ModuleName[];
  if (slots !== undefined && (slots.length === 0 || !slots.every((m) => FUSED.includes(m)))) {
    fail(dir, `metadata loradrop.c_attn_slots must list q, k or v, received "${slotText}"`);
  }
  const used = new Set<string>();
  const take = (key: string, shape: number[]): Float32Array => {
    const e = file.tensors.get(key);
    if (e === undefined) fail(dir, `key "${key}" is missing (expected shape [${shape}])`);
    if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i])) {
      fail(dir, `key "${key}" has shape [${e.shape}], expected [${shape}]`);
    }
    used.add(key);
    return e.data as Float32Array;
  };
  const created: Tensor[] = [];
  const matrix = (data: Float32Array, rows: number, cols: number): Tensor2D => {
    const t = tf.tensor2d(data, [rows, cols]);
    created.push(t);
    return t;
  };
  const vec = (data: Float32Array): Tensor1D => {
    const t = tf.tensor1d(data);
    created.push(t);
    return t;
  };
  try {
    const adapters: Record<string, LoraWeights> = {};
    let settingsR = r, settingsAlpha = alpha;
    for (let i = 0; i < numLayers; i++) {
      for (const m of targets) {
        if (modelType === "gpt2" && FUSED.includes(m)) continue;
        const [inDim, outDim] = moduleDims(base, i, m);
        const path = `${prefix}${modulePath(modelType, i, m)}`;
        const a = take(`${path}.lora_A.weight`, [r, inDim]); // (r, in)
        const b = take(`${path}.lora_B.weight`, [outDim, r]); // (out, r)
        adapters[`layers.${i}.${m}`] = {
          a: matrix(transposed(a, r, inDim), inDim, r), // (in, r)
          b: matrix(transposed(b, outDim, r), r, outDim), // (r, out)
        };
      }
      if (modelType === "gpt2" && targets.includes("q")) {
        const d = base.config.hiddenDim;
        const rr = typeof ranks.c_attn === "number" ? ranks.c_attn : r;
        const path = `${prefix}${modulePath("gpt2", i, "q")}`;
        const a = take(`${path}.lora_A.weight`, [rr, d]); // (r', in)
        const b = take(`${path}.lora_B.weight`, [3 * d, rr]); // (3D, r')
        const split = splitFused(dir, a, b, d, rr, slots);
        for (const [m, w] of Object.entries(split.adapters)) {
          adapters[`layers.${i}.${m}`] = {
            a: matrix(w.a, d, split.r), // (in, r)
            b: matrix(w.b, split.r, d), // (r, out)
          };
        }
        // The slices' own α: the same scale with the slice rank.
        const aa = typeof alphas.c_attn === "number" ? alphas.c_attn : alpha;
        const sliceAlpha = rsLora ? aa * Math.sqrt(split.r / rr) : aa * split.r / rr;
        if (!targets.some((m) => !FUSED.includes(m))) {
          settingsR = split.r;
          settingsAlpha = sliceAlpha;
        } else if (split.r !== r || Math.abs(sliceAlpha - alpha) > 1e-6 * alpha) {
          fail(
            dir,
            `c_attn's slices have rank ${split.r} and alpha ${sliceAlpha}, the other modules r ${r} and lora_alpha ${alpha}`,
          );
        }
      }
    }
    let head: LinearWeights | undefined;
    let headDense: LinearWeights | undefined;
    if (modulesToSave.includes("classifier")) {
      if (modelType === "gpt2") fail(dir, "a classifier head on gpt2 is not supported");
      const d = base.config.layers.at(-1)!.hiddenDim;
      const headKey = modelType === "bert" ? "classifier" : "classifier.out_proj";
      const w = file.tensors.get(`base_model.model.${headKey}.weight`);
      if (w === undefined) fail(dir, `key "base_model.model.${headKey}.weight" is missing`);
      const c = w.shape[0]!;
      head = {
        kernel: matrix(transposed(take(`base_model.model.${headKey}.weight`, [c, d]), c, d), d, c),
        bias: vec(take(`base_model.model.${headKey}.bias`, [c])),
      };
      if (modelType === "roberta") {
        headDense = {
          kernel: matrix(
            transposed(take("base_model.model.classifier.dense.weight", [d, d]), d, d),
            d,
            d,
          ),
          bias: vec(take("base_model.model.classifier.dense.bias", [d])),
        };
      }
    }
    const unknown = [...keys].filter((k) => !used.has(k));
    if (unknown.length > 0) {
      fail(
        dir,
        `unknown key${unknown.length > 1 ? "s" : ""} ${
          unknown.slice(0, 5).map((k) => `"${k}"`).join(", ")
        } (not implied by target_modules ${JSON.stringify(target)} and modules_to_save)`,
      );
    }
    const settings: AdapterSettings = {
      modelType,
      taskType: typeof cfg.task_type === "string" ? cfg.task_type : null,
      baseModelName: typeof cfg.base_model_name_or_path === "string"
        ? cfg.base_model_name_or_path
        : null,
      r: settingsR,
      alpha: settingsAlpha,
      rsLora,
      targetModules: modelType === "gpt2"
        ? MODULE_NAMES.filter((m) => adapters[`layers.0.${m}`] !== undefined)
        : targets,
      modulesToSave,
    };
    checkExpect(dir, settings, expect);
    const scale = loraScale({ r: settings.r, alpha: settings.alpha, rsLora });
    return {
      adapters,
      settings,
      loraScale: scale,
      ...(head === undefined ? {} : { head }),
      ...(headDense === undefined ? {} : {
        headDense,
        pooler: { pooling: "first", dense: headDense, activation: "tanh", l2Normalize: false },
      }),
    };
  } catch (error) {
    tf.dispose(created);
    throw error;
  }
}

/**
 * Splits PEFT's c_attn LoRA (A `(r', D)`, B `(3D, r')`) into q, k, v adapters. With `slots`
 * (written by {@linkcode saveAdapter} into the file's metadata) B must be block-diagonal and each
 * slot gets its own rank-r'/n block; otherwise q, k and v all share the whole A (exact:
 * ΔW_slice = A·B_slice).
 */
function splitFused(
  dir: string,
  a: Float32Array,
  b: Float32Array,
  d: number,
  rr: number,
  slots: readonly ModuleName[] | undefined,
): { r: number; adapters: Partial<Record<ModuleName, { a: Float32Array; b: Float32Array }>> } {
  const names = slots ?? FUSED;
  const n = slots === undefined ? 1 : slots.length;
  const r = rr / n;
  if (!Number.isInteger(r)) fail(dir, `c_attn's rank ${rr} does not split into ${n} slices`);
  const out: Partial<Record<ModuleName, { a: Float32Array; b: Float32Array }>> = {};
  if (slots !== undefined) {
    for (let s = 0; s < 3; s++) {
      const own = slots.indexOf(FUSED[s]!);
      for (let row = s * d; row < (s + 1) * d; row++) {
        for (let c = 0; c < rr; c++) {
          if (Math.floor(c / r) !== own && b[row * rr + c] !== 0) {
            fail(
              dir,
              `c_attn's lora_B is not block-diagonal over the slices [${slots.join(", ")}]`,
            );
          }
        }
      }
    }
  }
  names.forEach((m, j) => {
    const slot = FUSED.indexOf(m);
    const c0 = slots === undefined ? 0 : j * r;
    const aOut = new Float32Array(d * r); // (in, r)
    const bOut = new Float32Array(r * d); // (r, out)
    for (let k = 0; k < r; k++) {
      for (let i = 0; i < d; i++) aOut[i * r + k] = a[(c0 + k) * d + i]!;
      for (let o = 0; o < d; o++) bOut[k * d + o] = b[(slot * d + o) * rr + c0 + k]!;
    }
    out[m] = { a: aOut, b: bOut };
  });
  return { r, adapters: out };
}

function checkExpect(dir: string, s: AdapterSettings, expect: LoadAdapterExpect): void {
  if (expect.r !== undefined && expect.r !== s.r) {
    fail(dir, `r is ${s.r} in adapter_config.json, expected ${expect.r}`);
  }
  if (expect.alpha !== undefined && Math.abs(expect.alpha - s.alpha) > 1e-9 * expect.alpha) {
    fail(dir, `lora_alpha is ${s.alpha} in adapter_config.json, expected ${expect.alpha}`);
  }
  if (expect.rsLora !== undefined && expect.rsLora !== s.rsLora) {
    fail(dir, `use_rslora is ${s.rsLora} in adapter_config.json, expected ${expect.rsLora}`);
  }
  if (expect.targetModules !== undefined) {
    const want = MODULE_NAMES.filter((m) => expect.targetModules!.includes(m));
    if (want.join(",") !== s.targetModules.join(",")) {
      fail(
        dir,
        `target modules are [${s.targetModules.join(", ")}], expected [${want.join(", ")}]`,
      );
    }
  }
}

/**
 * Copies a loaded adapter's weights into a task model's trainable variables (strict: every
 * adapter and the head must match the model's keys and shapes).
 *
 * @param model The task model (e.g. made with the adapter's r, α and targets).
 * @param contents The adapter, e.g. from {@linkcode loadAdapter}.
 * @returns Nothing; the model's variables hold the adapter's values.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../backend.ts";
 * import { createTaskModel } from "../models/task_model.ts";
 * import { tinyEncoder } from "../models/_tiny_encoder.ts";
 * import { randomKey } from "../random.ts";
 * import { assignAdapter, taskModelAdapter } from "./adapters.ts";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const base = tinyEncoder();
 * const opts = { head: { kind: "classification", numClasses: 2, pooling: "mean" } } as const;
 * const m1 = createTaskModel(base, opts, randomKey(1));
 * const m2 = createTaskModel(base, opts, randomKey(2));
 * assignAdapter(m2, taskModelAdapter(m1));
 * assertEquals(m2.trainable["head.kernel"]!.arraySync(), m1.trainable["head.kernel"]!.arraySync());
 * m1.dispose(); m2.dispose();
 * tf.dispose(base.weights as unknown as tf.TensorContainer);
 * ```
 */
export function assignAdapter(model: TaskModel, contents: AdapterContents): void {
  const pairs: [string, Tensor][] = [];
  for (const [key, w] of Object.entries(contents.adapters)) {
    pairs.push([`${key}.lora_a`, w.a], [`${key}.lora_b`, w.b]);
  }
  if (contents.head !== undefined) {
    pairs.push(["head.kernel", contents.head.kernel]);
    if (contents.head.bias !== undefined) pairs.push(["head.bias", contents.head.bias]);
  }
  const names = new Set(pairs.map(([n]) => n));
  for (const name of Object.keys(model.trainable)) {
    if (!names.has(name)) {
      throw new TypeError(
        `Cannot assign adapter: the model's "${name}" has no value in the adapter`,
      );
    }
  }
  for (const [name, value] of pairs) {
    const v = model.trainable[name];
    if (v === undefined) {
      throw new TypeError(
        `Cannot assign adapter: "${name}" is not a trainable variable of the model`,
      );
    }
    if (v.shape.join(",") !== value.shape.join(",")) {
      throw new RangeError(
        `Cannot assign adapter: "${name}" has shape [${value.shape}], the model's [${v.shape}]`,
      );
    }
  }
  for (const [name, value] of pairs) model.trainable[name]!.assign(value);
}
