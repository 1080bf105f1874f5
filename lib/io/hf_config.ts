/**
 * Reading a Hugging Face `config.json` into loradrop's model configurations: BERT and RoBERTa
 * become an {@linkcode EncoderConfig} (post-LN, learned positions, token types; RoBERTa with its
 * position offset), GPT-2 becomes a {@linkcode DecoderConfig}. Anything else (another
 * `model_type`, relative positions, cross-attention, unusual activations) is an Error naming it.
 *
 * @module
 */
import type { EncoderConfig } from "../models/encoder_config.ts";
import type { DecoderConfig } from "../models/decoder.ts";
import type { Activation } from "../models/ffn.ts";

/** The Hugging Face architectures loradrop loads. */
export type HfModelType = "bert" | "roberta" | "gpt2";

/** Every supported `model_type`. */
export const HF_MODEL_TYPES: readonly HfModelType[] = ["bert", "roberta", "gpt2"];

/** A parsed `config.json`: an encoder (BERT, RoBERTa) or a decoder (GPT-2). */
export type HfArchitecture =
  | {
    /** `bert` or `roberta`. */
    readonly modelType: "bert" | "roberta";
    /** The encoder configuration. */
    readonly encoder: EncoderConfig;
  }
  | {
    /** `gpt2`. */
    readonly modelType: "gpt2";
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
  num_hidden_layers: 1_000,
  n_layer: 1_000,
  num_attention_heads: 1_024,
  n_head: 1_024,
  hidden_size: 65_536,
  n_embd: 65_536,
  intermediate_size: 262_144,
  n_inner: 262_144,
  max_position_embeddings: 1_048_576,
  n_positions: 1_048_576,
  vocab_size: 4_194_304,
  type_vocab_size: 1_024,
  pad_token_id: 4_194_304,
};

function int(json: Json, key: string, source: string, fallback?: number): number {
  const v = json[key] ?? fallback;
  const max = MAX_SIZE[key] ?? Number.MAX_SAFE_INTEGER;
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

function encoderConfig(json: Json, modelType: "bert" | "roberta", source: string): EncoderConfig {
  if (json.is_decoder === true || json.add_cross_attention === true) {
    fail(source, `${modelType} as a decoder (is_decoder / add_cross_attention) is not supported`);
  }
  const positionType = json.position_embedding_type ?? "absolute";
  if (positionType !== "absolute") {
    fail(
      source,
      `position_embedding_type ${
        JSON.stringify(positionType)
      } is not supported; expected "absolute"`,
    );
  }
  const hidden = int(json, "hidden_size", source);
  const numHeads = int(json, "num_attention_heads", source);
  if (numHeads === 0 || hidden % numHeads !== 0) {
    fail(source, `hidden_size ${hidden} is not divisible by num_attention_heads ${numHeads}`);
  }
  const numLayers = int(json, "num_hidden_layers", source);
  const ffnDim = int(json, "intermediate_size", source);
  const table = int(json, "max_position_embeddings", source);
  const padTokenId = int(json, "pad_token_id", source, modelType === "roberta" ? 1 : 0);
  // RoBERTa numbers real tokens from padding_idx + 1; BERT from 0.
  const positionOffset = modelType === "roberta" ? padTokenId + 1 : 0;
  if (table <= positionOffset) {
    fail(source, `max_position_embeddings ${table} leaves no positions after the offset`);
  }
  const layer = {
    inputDim: hidden,
    hiddenDim: hidden,
    numHeads,
    headDim: hidden / numHeads,
    ffnDim,
  };
  return {
    vocabSize: int(json, "vocab_size", source),
    embeddingDim: hidden,
    maxPositions: table - positionOffset,
    layers: Array.from({ length: numLayers }, () => layer),
    normalization: "post",
    layerNormEps: positive(json, "layer_norm_eps", source, 1e-12),
    activation: hfActivation(json.hidden_act ?? "gelu", source),
    positionEmbedding: "learned",
    embeddingScale: 1,
    positionOffset,
    typeVocabSize: int(json, "type_vocab_size", source, 2),
    embeddingLayerNorm: true,
    finalLayerNorm: false,
    padTokenId,
  };
}

function gpt2Config(json: Json, source: string): HfArchitecture {
  if (json.add_cross_attention === true) fail(source, "gpt2 with cross-attention is not supported");
  if (json.scale_attn_weights === false) {
    fail(source, "scale_attn_weights false is not supported (loradrop scales by 1/√headDim)");
  }
  if (json.scale_attn_by_inverse_layer_idx === true) {
    fail(source, "scale_attn_by_inverse_layer_idx true is not supported");
  }
  const hidden = int(json, "n_embd", source);
  const numHeads = int(json, "n_head", source);
  if (numHeads === 0 || hidden % numHeads !== 0) {
    fail(source, `n_embd ${hidden} is not divisible by n_head ${numHeads}`);
  }
  const inner = json.n_inner === null || json.n_inner === undefined
    ? 4 * hidden
    : int(json, "n_inner", source);
  const tied = json.tie_word_embeddings === undefined ? true : json.tie_word_embeddings === true;
  return {
    modelType: "gpt2",
    tiedEmbeddings: tied,
    decoder: {
      vocabSize: int(json, "vocab_size", source),
      maxPositions: int(json, "n_positions", source),
      hiddenDim: hidden,
      numLayers: int(json, "n_layer", source),
      numHeads,
      headDim: hidden / numHeads,
      ffnDim: inner,
      layerNormEps: positive(json, "layer_norm_epsilon", source, 1e-5),
      activation: hfActivation(json.activation_function ?? "gelu_new", source),
    },
  };
}

/**
 * Parses a Hugging Face `config.json` (already decoded from JSON).
 *
 * @param json The decoded config.
 * @param source The file's name, for error messages.
 * @returns The architecture: an encoder config for BERT/RoBERTa, a decoder config for GPT-2.
 * @example
 * ```ts
 * import { parseHfConfig } from "@loradrop/core/io";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const arch = parseHfConfig({
 *   model_type: "roberta", vocab_size: 50, hidden_size: 8, num_hidden_layers: 1,
 *   num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 20, pad_token_id: 1,
 *   type_vocab_size: 1, layer_norm_eps: 1e-5, hidden_act: "gelu",
 * }, "config.json");
 * assertEquals(arch.modelType === "roberta" && arch.encoder.positionOffset, 2);
 * assertThrows(() => parseHfConfig({ model_type: "llama" }, "config.json"), Error, `"llama"`);
 * ```
 */
export function parseHfConfig(json: unknown, source: string): HfArchitecture {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    fail(source, "expected a JSON object");
  }
  const j = json as Json;
  const modelType = j.model_type;
  switch (modelType) {
    case "bert":
    case "roberta":
      return { modelType, encoder: encoderConfig(j, modelType, source) };
    case "gpt2":
      return gpt2Config(j, source);
    default:
      fail(
        source,
        `architecture model_type ${JSON.stringify(modelType)}${
          Array.isArray(j.architectures) ? ` (${j.architectures.join(", ")})` : ""
        } is not supported; expected one of ${HF_MODEL_TYPES.join(", ")}`,
      );
  }
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
