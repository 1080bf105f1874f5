/**
 * Loading a Hugging Face checkpoint (BERT, RoBERTa or GPT-2) from a local folder or from the hub
 * cache: `config.json` plus `model.safetensors` (or `model.safetensors.index.json` and its
 * shards). Pickled `pytorch_model.bin` files are never read.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { EncoderConfig, EncoderWeights } from "../models/encoder_config.ts";
import type { DecoderConfig, DecoderWeights } from "../models/decoder.ts";
import type { PoolerWeights } from "../models/heads.ts";
import type { SafetensorsEntry } from "./safetensors.ts";
import { readSafetensors } from "./safetensors.ts";
import { CheckpointReader } from "./_checkpoint.ts";
import { readHfConfig } from "./hf_config.ts";
import { readHfEncoderWeights } from "./hf_encoder.ts";
import { readHfGpt2Weights } from "./hf_gpt2.ts";
import type { HfDecoderType, HfEncoderType } from "./architectures/table.ts";
import { hubFile, HubFileNotFoundError, type HubOptions, isHubRepoId } from "./hub.ts";

/** A loaded encoder: BERT, RoBERTa or a registered layout (usable as a task model's base). */
export interface HfEncoderModel {
  /** `encoder`. */
  readonly kind: "encoder";
  /** Its `model_type`: `bert`, `roberta` or a registered encoder layout. */
  readonly modelType: HfEncoderType;
  /** The encoder configuration. */
  readonly config: EncoderConfig;
  /** The frozen weights. */
  readonly weights: EncoderWeights;
  /** The pretrained pooler (BERT's) when the layout and the checkpoint have one. */
  readonly pooler?: PoolerWeights;
  /** The folder the files were read from. */
  readonly dir: string;
  /** Checkpoint keys that were skipped (heads of other task classes, buffers). */
  readonly ignoredKeys: readonly string[];
}

/** A loaded GPT-2 decoder. */
export interface HfDecoderModel {
  /** `decoder`. */
  readonly kind: "decoder";
  /** Its `model_type`: `gpt2` or a registered decoder layout. */
  readonly modelType: HfDecoderType;
  /** The decoder configuration. */
  readonly config: DecoderConfig;
  /** The frozen weights. */
  readonly weights: DecoderWeights;
  /** The folder the files were read from. */
  readonly dir: string;
  /** Checkpoint keys that were skipped. */
  readonly ignoredKeys: readonly string[];
}

/** What {@linkcode loadHfModel} returns. */
export type HfModel = HfEncoderModel | HfDecoderModel;

/** Options of {@linkcode loadHfModel}: the hub cache's options (ignored for local folders). */
export type LoadHfModelOptions = HubOptions;

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** The weight files of a local folder: one safetensors file or the shards of an index. */
async function localWeightFiles(dir: string): Promise<string[]> {
  if (await isFile(`${dir}/model.safetensors`)) return [`${dir}/model.safetensors`];
  const index = `${dir}/model.safetensors.index.json`;
  if (await isFile(index)) return shardsOf(index, dir);
  const pickled = ["pytorch_model.bin", "pytorch_model.bin.index.json", "tf_model.h5"];
  const found = [];
  for (const f of pickled) if (await isFile(`${dir}/${f}`)) found.push(f);
  throw new Error(
    `Cannot load Hugging Face model ${dir}: no model.safetensors or model.safetensors.index.json${
      found.length > 0
        ? ` (found ${
          found.join(", ")
        }; loradrop never unpickles: convert it with safetensors' convert script or save_pretrained(safe_serialization=True))`
        : ""
    }`,
  );
}

async function shardsOf(index: string, dir: string): Promise<string[]> {
  let map: unknown;
  try {
    map = JSON.parse(await Deno.readTextFile(index)).weight_map;
  } catch (error) {
    throw new Error(`Cannot read shard index ${index}: ${(error as Error).message}`);
  }
  if (map === null || typeof map !== "object") {
    throw new Error(`Cannot read shard index ${index}: "weight_map" is missing`);
  }
  const files = [...new Set(Object.values(map as Record<string, unknown>))];
  for (const f of files) {
    if (typeof f !== "string" || !/^[A-Za-z0-9._-]+\.safetensors$/.test(f)) {
      throw new Error(`Cannot read shard index ${index}: invalid shard name ${JSON.stringify(f)}`);
    }
  }
  return (files as string[]).sort().map((f) => `${dir}/${f}`);
}

async function readCheckpoint(files: string[], source: string): Promise<CheckpointReader> {
  const tensors = new Map<string, SafetensorsEntry>();
  const fileOf = new Map<string, string>();
  for (const path of files) {
    const file = await readSafetensors(path);
    for (const [key, entry] of file.tensors) {
      const previous = fileOf.get(key);
      if (previous !== undefined) {
        throw new Error(
          `Cannot load checkpoint ${path}: tensor "${key}" also appears in ${previous}`,
        );
      }
      tensors.set(key, entry);
      fileOf.set(key, path);
    }
  }
  return new CheckpointReader(tensors, fileOf, source);
}

/** Downloads config.json and the weights of a hub repository into the cache; returns the folder. */
async function fromHub(repo: string, options: HubOptions): Promise<string> {
  const config = await hubFile(repo, "config.json", options);
  const dir = config.slice(0, config.lastIndexOf("/"));
  try {
    await hubFile(repo, "model.safetensors", options);
  } catch (error) {
    if (!(error instanceof HubFileNotFoundError)) throw error;
    const index = await hubFile(repo, "model.safetensors.index.json", options);
    for (const shard of await shardsOf(index, dir)) {
      await hubFile(repo, shard.slice(dir.length + 1), options);
    }
  }
  return dir;
}

/**
 * Loads a BERT, RoBERTa or GPT-2 checkpoint in the Hugging Face format. A local folder is read
 * directly; otherwise `dirOrRepo` is a hub repository id (`gpt2`, `FacebookAI/roberta-base`) and
 * its files are taken from (or downloaded into) the cache. Every expected tensor is checked;
 * missing, unexpected or truncated tensors are errors naming the file and key. Dispose the
 * weights with `tf.dispose(model.weights)` when done.
 *
 * @param dirOrRepo A folder with `config.json` and `model.safetensors`, or a hub repository id.
 * @param options Cache folder, revision, endpoint (hub only).
 * @returns The model: an encoder (BERT, RoBERTa) or a decoder (GPT-2).
 * @example
 * ```ts
 * import { loadHfModel } from "@loradrop/core/io";
 * import { initBackend } from "@loradrop/core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const model = await loadHfModel(new URL("../../tests/fixtures/hf/roberta", import.meta.url).pathname);
 * assertEquals(model.modelType, "roberta");
 * assertEquals(model.kind === "encoder" && model.config.positionOffset, 2);
 * tf.dispose(model.weights as unknown as tf.TensorContainer);
 * ```
 */
export async function loadHfModel(
  dirOrRepo: string,
  options: LoadHfModelOptions = {},
): Promise<HfModel> {
  let dir: string;
  if (await isDir(dirOrRepo)) {
    dir = dirOrRepo.replace(/\/+$/, "");
  } else if (isHubRepoId(dirOrRepo) && !dirOrRepo.startsWith(".")) {
    try {
      dir = await fromHub(dirOrRepo, options);
    } catch (error) {
      throw new Error(
        `Cannot load Hugging Face model "${dirOrRepo}": there is no local folder of that name, and from the hub: ${
          (error as Error).message
        }`,
      );
    }
  } else {
    throw new Error(
      `Cannot load Hugging Face model "${dirOrRepo}": it is neither a folder nor a hub repository id`,
    );
  }
  const { arch } = await readHfConfig(dir);
  const reader = await readCheckpoint(await localWeightFiles(dir), dir);
  if (arch.kind === "decoder") {
    const { modelType, decoder: config, tiedEmbeddings } = arch;
    const { weights, ignoredKeys } = readHfGpt2Weights(reader, config, tiedEmbeddings, modelType);
    return { kind: "decoder", modelType, config, weights, dir, ignoredKeys };
  }
  const read = readHfEncoderWeights(reader, arch.encoder, arch.modelType);
  return {
    kind: "encoder",
    modelType: arch.modelType,
    config: arch.encoder,
    weights: read.weights,
    ...(read.pooler === undefined ? {} : { pooler: read.pooler }),
    dir,
    ignoredKeys: read.ignoredKeys,
  };
}

/**
 * {@linkcode loadHfModel} for an encoder (BERT, RoBERTa); a GPT-2 checkpoint is an error.
 *
 * @param dirOrRepo A local folder or a hub repository id.
 * @param options Hub cache options.
 * @returns The encoder.
 * @example
 * ```ts
 * import { loadHfEncoder } from "@loradrop/core/io";
 * import { initBackend } from "@loradrop/core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { assertEquals, assertRejects } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const fixtures = new URL("../../tests/fixtures/hf/", import.meta.url).pathname;
 * const bert = await loadHfEncoder(`${fixtures}bert`);
 * assertEquals(bert.config.typeVocabSize, 2);
 * tf.dispose([bert.weights, bert.pooler] as unknown as tf.TensorContainer);
 * await assertRejects(() => loadHfEncoder(`${fixtures}gpt2`), TypeError, "gpt2");
 * ```
 */
export async function loadHfEncoder(
  dirOrRepo: string,
  options: LoadHfModelOptions = {},
): Promise<HfEncoderModel> {
  const model = await loadHfModel(dirOrRepo, options);
  if (model.kind !== "encoder") {
    disposeWeights(model);
    throw new TypeError(
      `Cannot load "${dirOrRepo}" as an encoder: it is a ${model.modelType} decoder; use loadHfDecoder`,
    );
  }
  return model;
}

/**
 * {@linkcode loadHfModel} for a decoder (GPT-2); an encoder checkpoint is an error.
 *
 * @param dirOrRepo A local folder or a hub repository id.
 * @param options Hub cache options.
 * @returns The decoder.
 * @example
 * ```ts
 * import { loadHfDecoder } from "@loradrop/core/io";
 * import { initBackend } from "@loradrop/core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const gpt2 = await loadHfDecoder(new URL("../../tests/fixtures/hf/gpt2", import.meta.url).pathname);
 * assertEquals(gpt2.config.activation, "gelu-tanh");
 * tf.dispose(gpt2.weights as unknown as tf.TensorContainer);
 * ```
 */
export async function loadHfDecoder(
  dirOrRepo: string,
  options: LoadHfModelOptions = {},
): Promise<HfDecoderModel> {
  const model = await loadHfModel(dirOrRepo, options);
  if (model.kind !== "decoder") {
    disposeWeights(model);
    throw new TypeError(
      `Cannot load "${dirOrRepo}" as a decoder: it is a ${model.modelType} encoder; use loadHfEncoder`,
    );
  }
  return model;
}

function disposeWeights(model: HfModel): void {
  tf.dispose(model.weights as unknown as tf.TensorContainer);
  if (model.kind === "encoder" && model.pooler !== undefined) {
    tf.dispose(model.pooler as unknown as tf.TensorContainer);
  }
}
