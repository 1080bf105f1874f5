/**
 * Reading a Hugging Face `config.json` into loradrop's model configurations, by the row of its
 * `model_type` in the architecture table (which keys hold which size, their defaults, settings
 * not supported): BERT and RoBERTa become an {@linkcode EncoderConfig} (post-LN, learned
 * positions, token types; RoBERTa with its position offset), GPT-2 becomes a
 * {@linkcode DecoderConfig}. Anything else (another
 * `model_type`, relative positions, cross-attention, unusual activations) is an Error naming it.
 *
 * @module
 */
import type { EncoderConfig } from "../models/encoder_config.ts";
import type { DecoderConfig } from "../models/decoder.ts";
import type { Activation } from "../models/ffn.ts";
import {
  architectureRow,
  type ConfigKeys,
  type DecoderArchitecture,
  type EncoderArchitecture,
  HF_MODEL_TYPES,
  type HfDecoderType,
  type HfEncoderType,
} from "./architectures/table.ts";

export { HF_MODEL_TYPES, type HfModelType } from "./architectures/table.ts";

/** A parsed `config.json`: an encoder (BERT, RoBERTa, …) or a decoder (GPT-2). */
export type HfArchitecture =
  | {
    /** `encoder`. */
    readonly kind: "encoder";
    /** The `model_type` (`bert`, `roberta` or a registered encoder layout). */
    readonly modelType: HfEncoderType;
    /** The encoder configuration. */
    readonly encoder: EncoderConfig;
  }
  | {
    /** `decoder`. */
    readonly kind: "decoder";
    /** The `model_type` (`gpt2` or a registered decoder layout). */
    readonly modelType: HfDecoderType;
    /** The decoder configuration. */
    readonly decoder: DecoderConfig;
    /** `tie_word_embeddings` (default true): the LM head reuses the token embeddings. */
    readonly tiedEmbeddings: boolean;
  };

type Json = Record<string, unknown>;

function fail(source: string, what: string): never {
  throw new Error(`Cannot read Hugging Face config ${source}: ${what}`);
}

/**
 * Upper bounds of the sizes a config may name, each far above any released checkpoint of these
 * architectures: a larger value is a corrupt or mistyped config, and taking it at its word would
 * spend seconds allocating before failing with "Invalid array length".
 */
const MAX_SIZE: Readonly<Record<string, number>> = {
  numLayers: 1_000,
  numHeads: 1_024,
  hiddenDim: 65_536,
  ffnDim: 262_144,
  maxPositions: 1_048_576,
  vocabSize: 4_194_304,
  typeVocabSize: 1_024,
  padTokenId: 4_194_304,
};

/** The sizes a layout's config names, by loradrop's field (the key's name comes from the row). */
type SizeField = keyof typeof MAX_SIZE & string;

function int(
  json: Json,
  key: string,
  field: SizeField,
  source: string,
  fallback?: number,
): number {
  const v = json[key] ?? fallback;
  const max = MAX_SIZE[field] ?? Number.MAX_SAFE_INTEGER;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > max) {
    fail(
      source,
      `"${key}" must be ${
        max === Number.MAX_SAFE_INTEGER ? "a non-negative integer" : `an integer in [0, ${max}]`
      }, received ${JSON.stringify(json[key])}`,
    );
  }
  return v;
}

function positive(json: Json, key: string, source: string, fallback?: number): number {
  const v = json[key] ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    fail(source, `"${key}" must be a positive number, received ${JSON.stringify(json[key])}`);
  }
  return v;
}

/**
 * Maps a Hugging Face activation name to loradrop's.
 *
 * @param name `hidden_act` / `activation_function`.
 * @param source The config's name, for the message.
 * @returns `gelu` (exact erf GELU), `gelu-tanh` (GPT-2's `gelu_new`) or `relu`.
 * @example
 * ```ts
 * import { hfActivation } from "@loradrop/core/io";
 * import { assertEquals, assertThrows } from "@std/assert";
 * assertEquals(hfActivation("gelu_new", "config.json"), "gelu-tanh");
 * assertThrows(() => hfActivation("swish", "config.json"), Error, "swish");
 * ```
 */
export function hfActivation(name: unknown, source: string): Activation {
  switch (name) {
    case "gelu":
      return "gelu";
    case "gelu_new":
    case "gelu_pytorch_tanh":
    case "gelu_fast":
      return "gelu-tanh";
    case "relu":
      return "relu";
    default:
      fail(
        source,
        `activation ${
          JSON.stringify(name)
        } is not supported; expected gelu, gelu_new, gelu_pytorch_tanh or relu`,
      );
  }
}

/** The width, heads and head size of a config, checked for divisibility. */
function widthAndHeads(
  json: Json,
  keys: ConfigKeys,
  source: string,
): { hidden: number; numHeads: number } {
  const hidden = int(json, keys.hiddenDim, "hiddenDim", source);
  const numHeads = int(json, keys.numHeads, "numHeads", source);
  if (numHeads === 0 || hidden % numHeads !== 0) {
    fail(source, `${keys.hiddenDim} ${hidden} is not divisible by ${keys.numHeads} ${numHeads}`);
  }
  return { hidden, numHeads };
}

function layerNormEps(json: Json, keys: ConfigKeys, fallback: number, source: string): number {
  return keys.layerNormEps === undefined
    ? fallback
    : positive(json, keys.layerNormEps, source, fallback);
}

function encoderConfig(json: Json, row: EncoderArchitecture, source: string): EncoderConfig {
  const { keys, defaults } = row.config;
  const { hidden, numHeads } = widthAndHeads(json, keys, source);
  const numLayers = int(json, keys.numLayers, "numLayers", source);
  const ffnDim = int(json, keys.ffnDim, "ffnDim", source);
  const table = int(json, keys.maxPositions, "maxPositions", source);
  const padTokenId = int(json, keys.padTokenId, "padTokenId", source, defaults.padTokenId);
  // `after-padding` (RoBERTa) numbers real tokens from padding_idx + 1; `zero` (BERT) from 0.
  const positionOffset = row.config.positions === "after-padding" ? padTokenId + 1 : 0;
  if (table <= positionOffset) {
    fail(source, `${keys.maxPositions} ${table} leaves no positions after the offset`);
  }
  const layer = {
    inputDim: hidden,
    hiddenDim: hidden,
    numHeads,
    headDim: hidden / numHeads,
    ffnDim,
  };
  return {
    vocabSize: int(json, keys.vocabSize, "vocabSize", source),
    embeddingDim: hidden,
    maxPositions: table - positionOffset,
    layers: Array.from({ length: numLayers }, () => layer),
    normalization: "post",
    layerNormEps: layerNormEps(json, keys, defaults.layerNormEps, source),
    activation: hfActivation(json[keys.activation] ?? defaults.activation, source),
    positionEmbedding: "learned",
    embeddingScale: 1,
    positionOffset,
    typeVocabSize: keys.typeVocabSize === undefined
      ? 0
      : int(json, keys.typeVocabSize, "typeVocabSize", source, defaults.typeVocabSize),
    embeddingLayerNorm: true,
    finalLayerNorm: false,
    padTokenId,
  };
}

function decoderConfig(json: Json, row: DecoderArchitecture, source: string): HfArchitecture {
  const { keys, defaults } = row.config;
  const { hidden, numHeads } = widthAndHeads(json, keys, source);
  // A null feed-forward width (GPT-2's n_inner) means ffnPerHidden × the width.
  const inner = int(json, keys.ffnDim, "ffnDim", source, defaults.ffnPerHidden * hidden);
  const tiedValue = json[keys.tiedEmbeddings];
  return {
    kind: "decoder",
    modelType: row.modelType,
    tiedEmbeddings: tiedValue === undefined ? true : tiedValue === true,
    decoder: {
      vocabSize: int(json, keys.vocabSize, "vocabSize", source),
      maxPositions: int(json, keys.maxPositions, "maxPositions", source),
      hiddenDim: hidden,
      numLayers: int(json, keys.numLayers, "numLayers", source),
      numHeads,
      headDim: hidden / numHeads,
      ffnDim: inner,
      layerNormEps: layerNormEps(json, keys, defaults.layerNormEps, source),
      activation: hfActivation(json[keys.activation] ?? defaults.activation, source),
    },
  };
}

/**
 * Parses a Hugging Face `config.json` (already decoded from JSON).
 *
 * @param json The decoded config.
 * @param source The file's name, for error messages.
 * @returns The architecture: an encoder config (BERT, RoBERTa), a decoder config (GPT-2).
 * @example
 * ```ts
 * import { parseHfConfig } from "@loradrop/core/io";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const arch = parseHfConfig({
 *   model_type: "roberta", vocab_size: 50, hidden_size: 8, num_hidden_layers: 1,
 *   num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 20, pad_token_id: 1,
 *   type_vocab_size: 1, layer_norm_eps: 1e-5, hidden_act: "gelu",
 * }, "config.json");
 * assertEquals(arch.kind === "encoder" && arch.encoder.positionOffset, 2);
 * assertThrows(() => parseHfConfig({ model_type: "llama" }, "config.json"), Error, `"llama"`);
 * ```
 */
export function parseHfConfig(json: unknown, source: string): HfArchitecture {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    fail(source, "expected a JSON object");
  }
  const j = json as Json;
  const modelType = j.model_type;
  const row = typeof modelType === "string" ? architectureRow(modelType) : undefined;
  if (row === undefined) {
    fail(
      source,
      `architecture model_type ${JSON.stringify(modelType)}${
        Array.isArray(j.architectures) ? ` (${j.architectures.join(", ")})` : ""
      } is not supported; expected one of ${HF_MODEL_TYPES.join(", ")}`,
    );
  }
  const unsupported = row.config.check?.(j);
  if (unsupported !== undefined) fail(source, unsupported);
  return row.kind === "decoder"
    ? decoderConfig(j, row, source)
    : { kind: "encoder", modelType: row.modelType, encoder: encoderConfig(j, row, source) };
}

/**
 * Reads and parses `config.json` from a folder.
 *
 * @param dir The model folder.
 * @returns The architecture and the raw JSON.
 * @example
 * ```ts
 * import { readHfConfig } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * const { arch } = await readHfConfig(new URL("../../tests/fixtures/hf/gpt2", import.meta.url).pathname);
 * assertEquals(arch.modelType, "gpt2");
 * ```
 */
export async function readHfConfig(dir: string): Promise<{ arch: HfArchitecture; raw: unknown }> {
  const path = `${dir.replace(/\/+$/, "")}/config.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`Cannot read Hugging Face config ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `Cannot read Hugging Face config ${path}: invalid JSON (${(error as Error).message})`,
    );
  }
  return { arch: parseHfConfig(raw, path), raw };
}
