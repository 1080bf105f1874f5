/**
 * PEFT's names for loradrop's modules, read from the base's adapter layout (an architecture row or
 * USE-lite's): module paths, the `target_modules` value written for a set of loradrop modules and
 * how a config's `target_modules` selects modules.
 *
 * @module
 */
import { MODULE_NAMES, type ModuleName } from "../models/drop_context.ts";
import {
  type AdapterLayout,
  adapterLayout,
  type AdapterModelType,
  HF_MODEL_TYPES,
  layerPath,
} from "./architectures/table.ts";
import { compileTargetRegex } from "./adapter_target_regex.ts";
import { orList } from "../_or_list.ts";

export type { AdapterModelType } from "./architectures/table.ts";

/** PEFT task types loradrop writes and reads. */
export type PeftTaskType = "SEQ_CLS" | "FEATURE_EXTRACTION" | "CAUSAL_LM";

/** loradrop's adapter keys `layers.{i}.{module}`. */
export const ADAPTER_KEY = /^layers\.(\d+)\.(q|k|v|o|ffn-in|ffn-out)$/;

/** The slices of a fused q|k|v projection (GPT-2's `c_attn`), in its column order. */
export const FUSED: readonly ModuleName[] = ["q", "k", "v"];

/** The base names an adapter may be saved for, in messages: `bert, roberta, gpt2 or use-lite`. */
export function adapterModelTypes(): string {
  return orList([...HF_MODEL_TYPES, "use-lite"]);
}

/** The layout of `modelType`, or a TypeError `Cannot WHAT: modelType must be …`. */
export function layoutFor(modelType: AdapterModelType, what: string): AdapterLayout {
  const layout = adapterLayout(modelType);
  if (layout === undefined) {
    throw new TypeError(
      `Cannot ${what}: modelType must be ${adapterModelTypes()}, received "${modelType}"`,
    );
  }
  return layout;
}

/** The modules of a fused q|k|v projection: q, k, v when they share one path, else none. */
export function fusedModules(layout: AdapterLayout): readonly ModuleName[] {
  const m = layout.weights.modules;
  return m.q === m.k && m.q === m.v ? FUSED : [];
}

/** The module path of `module` in layer `layer` (inside the base model, no task prefix). */
export function modulePath(layout: AdapterLayout, layer: number, module: ModuleName): string {
  return `${layerPath(layout.weights, layer)}.${layout.weights.modules[module]}`;
}

/** A row-major `(rows, cols)` matrix transposed to `(cols, rows)`, as float32. */
export function transposed(
  data: Float32Array | Int32Array | Uint8Array,
  rows: number,
  cols: number,
): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j]!;
  }
  return out; // (cols, rows)
}

/**
 * The PEFT `target_modules` for loradrop module names: the layout's names (once each), or a regex
 * over the module paths when a chosen name also ends another module's path (BERT's
 * `output.dense` ends `attention.output.dense`).
 */
export function peftTargets(
  layout: AdapterLayout,
  targets: readonly ModuleName[],
): string[] | string {
  const { modules } = layout.weights;
  const names = layout.peft.targetNames;
  const ordered = MODULE_NAMES.filter((t) => targets.includes(t));
  const ambiguous = ordered.some((t) =>
    MODULE_NAMES.some((other) =>
      modules[other] !== modules[t] && peftSelects([names[t]])(modules[other])
    )
  );
  if (!ambiguous) return [...new Set(ordered.map((t) => names[t]))];
  const paths = [...new Set(ordered.map((t) => modules[t].replaceAll(".", "\\.")))];
  const layer = layout.weights.layer.replaceAll(".", "\\.").replace("{i}", "\\d+");
  return `.*${layer}\\.(${paths.join("|")})`;
}

/**
 * The modules a config's `target_modules` selects among the model's module names, as PEFT decides
 * it: a string is a regex that must match a whole name (`re.fullmatch`, run here in linear time),
 * a list names modules exactly or by a `.`-separated suffix.
 */
export function peftSelects(target: readonly string[] | string): (name: string) => boolean {
  if (typeof target === "string") {
    const re = compileTargetRegex(target);
    return (name) => re.fullMatch(name);
  }
  return (name) => target.some((t) => name === t || name.endsWith(`.${t}`));
}
