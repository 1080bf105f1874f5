/**
 * PEFT's names for loradrop's modules: module paths per architecture, the `target_modules` value
 * written for a set of loradrop modules and how a config's `target_modules` selects modules.
 *
 * @module
 */
import { MODULE_NAMES, type ModuleName } from "../models/drop_context.ts";
import { HF_ENCODER_MODULE_PATHS } from "./hf_encoder.ts";
import { compileTargetRegex } from "./adapter_target_regex.ts";

/** The base architectures an adapter can be saved for (`use-lite`: loradrop only, BERT key layout). */
export type AdapterModelType = "bert" | "roberta" | "gpt2" | "use-lite";

/** PEFT task types loradrop writes and reads. */
export type PeftTaskType = "SEQ_CLS" | "FEATURE_EXTRACTION" | "CAUSAL_LM";

const GPT2_PATHS: Readonly<Record<ModuleName, string>> = {
  q: "attn.c_attn",
  k: "attn.c_attn",
  v: "attn.c_attn",
  o: "attn.c_proj",
  "ffn-in": "mlp.c_fc",
  "ffn-out": "mlp.c_proj",
};

/** loradrop's adapter keys `layers.{i}.{module}`. */
export const ADAPTER_KEY = /^layers\.(\d+)\.(q|k|v|o|ffn-in|ffn-out)$/;

/** The slices of GPT-2's fused `c_attn`, in its column order. */
export const FUSED: readonly ModuleName[] = ["q", "k", "v"];

/** The HF module path of `module` in layer `layer` (inside the base model, no task prefix). */
export function modulePath(
  modelType: AdapterModelType,
  layer: number,
  module: ModuleName,
): string {
  return modelType === "gpt2"
    ? `h.${layer}.${GPT2_PATHS[module]}`
    : `encoder.layer.${layer}.${HF_ENCODER_MODULE_PATHS[module]}`;
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

/** The PEFT `target_modules` for loradrop module names: a suffix list, or a regex if ambiguous. */
export function peftTargets(
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
