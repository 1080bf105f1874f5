/**
 * Reading PEFT LoRA adapters for a base model, strictly: every key the config implies must be
 * present with its shape, a float dtype and finite values (`checkWeightValues`), and nothing else
 * may be there. A
 * `target_modules` regex is matched over the model's own, finite list of module names with a
 * linear-time matcher (see `adapter_target_regex.ts`), so no config can make loading hang.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Tensor2D } from "../types.ts";
import type { LinearWeights, LoraWeights } from "../lora/weights.ts";
import { loraScale } from "../lora/config.ts";
import { MODULE_NAMES, type ModuleName } from "../models/drop_context.ts";
import type { EncoderConfig } from "../models/encoder_config.ts";
import type { DecoderConfig } from "../models/decoder.ts";
import type { PoolerWeights } from "../models/heads.ts";
import { encoderModuleDims } from "../models/task_model.ts";
import { checkWeightValues, readSafetensors, type SafetensorsEntry } from "./safetensors.ts";
import {
  type AdapterModelType,
  FUSED,
  fusedModules,
  layoutFor,
  modulePath,
  peftSelects,
  transposed,
} from "./_adapter_naming.ts";
import {
  type AdapterLayout,
  architectureRow,
  HF_MODEL_TYPES,
  type HfDecoderType,
  type HfEncoderType,
} from "./architectures/table.ts";
import type { AdapterContents } from "./adapter_save.ts";

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
  /** The head's dense layer (RoBERTa's `classifier.dense`) as a pooler (first token → dense → tanh). */
  readonly pooler?: PoolerWeights;
}

/** What {@linkcode loadAdapter} needs of the base: its architecture and configuration. */
export type AdapterBase =
  | { readonly modelType: HfEncoderType | "use-lite"; readonly config: EncoderConfig }
  | { readonly modelType: HfDecoderType; readonly config: DecoderConfig };

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

function fail(dir: string, what: string): never {
  throw new Error(`Cannot load adapter ${dir}: ${what}`);
}

/** `(in, out)` of each module of layer `i` of the base. */
function moduleDims(
  layout: AdapterLayout,
  base: AdapterBase,
  i: number,
  m: ModuleName,
): [number, number] {
  if (layout.kind === "decoder") {
    const config = base.config as DecoderConfig;
    const d = config.hiddenDim, f = config.ffnDim;
    return m === "ffn-in" ? [d, f] : m === "ffn-out" ? [f, d] : [d, d];
  }
  return encoderModuleDims({ config: base.config as EncoderConfig }, i, m);
}

function numLayersOf(layout: AdapterLayout, base: AdapterBase): number {
  return layout.kind === "decoder"
    ? (base.config as DecoderConfig).numLayers
    : (base.config as EncoderConfig).layers.length;
}

/** The fused projections' PEFT names a rank_pattern may name, in messages: `"c_attn" for gpt2`. */
function fusedPatternNames(): string {
  return HF_MODEL_TYPES.flatMap((name) => {
    const row = architectureRow(name)!;
    return fusedModules(row).length > 0 ? [`"${row.peft.targetNames.q}" for ${name}`] : [];
  }).join(", ");
}

/** The float values of an adapter tensor; integer dtypes, NaN/±Infinity and huge values are errors. */
function floatValues(dir: string, key: string, e: SafetensorsEntry): Float32Array {
  try {
    checkWeightValues(e.data, {
      name: key,
      source: "adapter_model.safetensors",
      dtype: e.dtype,
    });
  } catch (error) {
    const message = (error as Error).message.replace(/^Cannot load weights: weight /, "key ");
    const Class = error instanceof RangeError ? RangeError : TypeError;
    throw new Class(`Cannot load adapter ${dir}: ${message}`);
  }
  return e.data as Float32Array;
}

/** The modules `target_modules` selects, the same in every layer (PEFT's per-layer choice is not supported). */
function selectedModules(
  dir: string,
  target: readonly string[] | string,
  layout: AdapterLayout,
  inner: string,
  numLayers: number,
): ModuleName[] {
  let selects: (name: string) => boolean;
  try {
    selects = peftSelects(target);
  } catch (error) {
    fail(dir, (error as Error).message.replace(/^Cannot compile /, "cannot compile "));
  }
  // The model's module names, once each (q, k and v share GPT-2's fused c_attn).
  const chosen = (layer: number) =>
    MODULE_NAMES.filter((m) => selects(`${inner}${modulePath(layout, layer, m)}`));
  const first = chosen(0);
  for (let i = 1; i < numLayers; i++) {
    const here = chosen(i);
    if (here.join(",") !== first.join(",")) {
      fail(
        dir,
        `target_modules ${JSON.stringify(target)} selects [${first.join(", ")}] in layer 0 but [${
          here.join(", ")
        }] in layer ${i} (loradrop adapts the same modules in every layer)`,
      );
    }
  }
  if (first.length === 0) {
    fail(dir, `target_modules ${JSON.stringify(target)} selects no ${layout.modelType} module`);
  }
  return first;
}

interface ParsedConfig {
  readonly r: number;
  readonly alpha: number;
  readonly rsLora: boolean;
  readonly target: readonly string[] | string;
  readonly modulesToSave: readonly string[];
  readonly ranks: Record<string, unknown>;
  readonly alphas: Record<string, unknown>;
  readonly taskType: string | null;
  readonly baseModelName: string | null;
}

async function readConfig(dir: string, layout: AdapterLayout): Promise<ParsedConfig> {
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(await Deno.readTextFile(`${dir}/adapter_config.json`));
  } catch (error) {
    fail(dir, `cannot read adapter_config.json (${(error as Error).message})`);
  }
  if (cfg === null || typeof cfg !== "object" || Array.isArray(cfg)) {
    fail(dir, `adapter_config.json must hold an object, received ${JSON.stringify(cfg)}`);
  }
  if (cfg.peft_type !== "LORA") {
    fail(dir, `peft_type is ${JSON.stringify(cfg.peft_type)}, expected "LORA"`);
  }
  const r = cfg.r, alpha = cfg.lora_alpha;
  if (typeof r !== "number" || !Number.isInteger(r) || r < 1) {
    fail(dir, `r must be a positive integer, received ${JSON.stringify(r)}`);
  }
  if (typeof alpha !== "number" || !(alpha > 0) || !Number.isFinite(alpha)) {
    fail(dir, `lora_alpha must be a positive number, received ${JSON.stringify(alpha)}`);
  }
  for (
    const [key, ok] of [
      ["use_dora", !cfg.use_dora],
      ["bias", cfg.bias === undefined || cfg.bias === "none"],
      ["lora_bias", !cfg.lora_bias],
      ["layers_to_transform", cfg.layers_to_transform == null],
      ["exclude_modules", cfg.exclude_modules == null],
      ["layer_replication", cfg.layer_replication == null],
      ["target_parameters", cfg.target_parameters == null],
    ] as const
  ) {
    if (!ok) fail(dir, `${key} ${JSON.stringify(cfg[key])} is not supported`);
  }
  const ranks = (cfg.rank_pattern ?? {}) as Record<string, unknown>;
  const alphas = (cfg.alpha_pattern ?? {}) as Record<string, unknown>;
  for (const [name, pattern] of [["rank_pattern", ranks], ["alpha_pattern", alphas]] as const) {
    if (pattern === null || typeof pattern !== "object" || Array.isArray(pattern)) {
      fail(dir, `${name} must be an object, received ${JSON.stringify(pattern)}`);
    }
    const fusedName = fusedModules(layout).length > 0 ? layout.peft.targetNames.q : undefined;
    for (const [k, v] of Object.entries(pattern)) {
      if (k !== fusedName) {
        fail(dir, `${name} entry "${k}" is not supported (only ${fusedPatternNames()})`);
      }
      if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) {
        fail(dir, `${name} entry "${k}" must be a positive number, received ${JSON.stringify(v)}`);
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
  const modulesToSave = cfg.modules_to_save ?? [];
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
  return {
    r,
    alpha,
    rsLora: cfg.use_rslora === true,
    target: target as readonly string[] | string,
    modulesToSave: modulesToSave as string[],
    ranks,
    alphas,
    taskType: typeof cfg.task_type === "string" ? cfg.task_type : null,
    baseModelName: typeof cfg.base_model_name_or_path === "string"
      ? cfg.base_model_name_or_path
      : null,
  };
}

/**
 * Reads a PEFT LoRA adapter for a base model, strictly: every key the config implies must be
 * present with its shape, a float dtype and finite values, and nothing else.
 *
 * @param dir The folder with `adapter_config.json` and `adapter_model.safetensors`.
 * @param base The base model's architecture and configuration (e.g. from `loadHfModel`).
 * @param expect Values the config must have (r, α, rsLora, targets).
 * @returns The adapters `layers.{i}.{m}`, the head (and RoBERTa's classifier.dense), the settings
 *   and scale.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { loadHfEncoder } from "@loradrop/core/io";
 * import { loadAdapter } from "@loradrop/core/io";
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
  const modelType: AdapterModelType = base.modelType;
  const layout = layoutFor(modelType, `load adapter ${dir}`);
  const config = await readConfig(dir, layout);
  const { r, alpha, rsLora, target, modulesToSave, ranks, alphas } = config;
  const file = await readSafetensors(`${dir}/adapter_model.safetensors`);
  const keys = new Set(file.tensors.keys());
  // The wrapped class decides the prefix: a task class has bert./roberta./transformer.
  const inner = layout.weights.taskPrefix;
  const withInner = inner !== "" &&
    [...keys].some((k) => k.startsWith(`base_model.model.${inner}`));
  const prefix = `base_model.model.${withInner ? inner : ""}`;
  const numLayers = numLayersOf(layout, base);
  const targets = selectedModules(dir, target, layout, withInner ? inner : "", numLayers);
  const fused = fusedModules(layout);
  const fusedName = layout.peft.targetNames.q;
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
    return floatValues(dir, key, e);
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
        if (fused.includes(m)) continue;
        const [inDim, outDim] = moduleDims(layout, base, i, m);
        const path = `${prefix}${modulePath(layout, i, m)}`;
        const a = take(`${path}.lora_A.weight`, [r, inDim]); // (r, in)
        const b = take(`${path}.lora_B.weight`, [outDim, r]); // (out, r)
        adapters[`layers.${i}.${m}`] = {
          a: matrix(transposed(a, r, inDim), inDim, r), // (in, r)
          b: matrix(transposed(b, outDim, r), r, outDim), // (r, out)
        };
      }
      if (fused.length > 0 && targets.includes("q")) {
        const d = (base.config as DecoderConfig).hiddenDim;
        const rr = typeof ranks[fusedName] === "number" ? ranks[fusedName] : r;
        if (!Number.isInteger(rr)) {
          fail(dir, `rank_pattern ${fusedName} must be an integer, received ${rr}`);
        }
        const path = `${prefix}${modulePath(layout, i, "q")}`;
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
        const aa = typeof alphas[fusedName] === "number" ? alphas[fusedName] : alpha;
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
      if (layout.head === undefined) {
        fail(dir, `a classifier head on ${modelType} is not supported`);
      }
      const hidden = (base.config as EncoderConfig).layers.at(-1)!.hiddenDim;
      const headKey = layout.head.out;
      const w = file.tensors.get(`base_model.model.${headKey}.weight`);
      if (w === undefined) fail(dir, `key "base_model.model.${headKey}.weight" is missing`);
      if (w.shape.length !== 2) {
        fail(
          dir,
          `key "base_model.model.${headKey}.weight" has shape [${w.shape}], expected (C, D)`,
        );
      }
      const c = w.shape[0]!;
      // A loradrop-only head (USE-lite's) may sit behind its 512-wide pooler; the task model
      // checks the width.
      const d = layout.head.pooling === undefined ? w.shape[1]! : hidden;
      head = {
        kernel: matrix(transposed(take(`base_model.model.${headKey}.weight`, [c, d]), c, d), d, c),
        bias: vec(take(`base_model.model.${headKey}.bias`, [c])),
      };
      const dense = layout.head.dense;
      if (dense !== undefined) {
        headDense = {
          kernel: matrix(
            transposed(take(`base_model.model.${dense}.weight`, [d, d]), d, d),
            d,
            d,
          ),
          bias: vec(take(`base_model.model.${dense}.bias`, [d])),
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
      taskType: config.taskType,
      baseModelName: config.baseModelName,
      r: settingsR,
      alpha: settingsAlpha,
      rsLora,
      targetModules: fused.length > 0
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
 * (written by `saveAdapter` into the file's metadata) B must be block-diagonal and each slot gets
 * its own rank-r'/n block; otherwise q, k and v all share the whole A (exact:
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
