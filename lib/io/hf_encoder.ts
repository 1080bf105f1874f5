/**
 * Mapping encoder checkpoints (BERT, RoBERTa, … in Hugging Face's key layout) onto loradrop's
 * encoder weights, by the names of the layout's descriptor (`architectures/`).
 *
 * Keys may carry the task classes' prefix (`bert.` in `BertForMaskedLM`, `roberta.` in
 * `RobertaForSequenceClassification`, …) or none (`BertModel`). Linear weights stored `(out, in)`
 * by torch become `(in, out)` kernels. Every expected key and shape is checked; task heads of other
 * classes (BERT: `cls.*`, `lm_head.*`, `classifier.*`, `qa_outputs.*`) and buffers
 * (`position_ids`) are skipped and listed; any other key is an error.
 *
 * @module
 */
import type {
  EncoderConfig,
  EncoderLayerWeights,
  EncoderWeights,
} from "../models/encoder_config.ts";
import type { PoolerWeights } from "../models/heads.ts";
import type { CheckpointReader } from "./_checkpoint.ts";
import { encoderArchitecture, type HfEncoderType, layerPath } from "./architectures/table.ts";
import { layerNormOf, layoutPrefix, linearOf, skippedKeys } from "./_layout_weights.ts";

/** Encoder weights read from an encoder checkpoint. */
export interface HfEncoderWeights {
  /** The encoder's frozen weights. */
  readonly weights: EncoderWeights;
  /** The pretrained pooler (first token → dense → tanh) when the layout and checkpoint have one. */
  readonly pooler?: PoolerWeights;
  /** The key prefix found (`""`, `"bert."` or `"roberta."`). */
  readonly prefix: string;
  /** Keys present in the checkpoint but not used (other task heads, buffers). */
  readonly ignoredKeys: readonly string[];
}

/**
 * Finds the key prefix of an encoder checkpoint.
 *
 * @param has Whether a key exists.
 * @param modelType An encoder's `model_type` (`bert`, `roberta`, …).
 * @returns `""` or the layout's task prefix, or undefined when neither layout is present.
 * @example
 * ```ts
 * import { hfEncoderPrefix } from "./hf_encoder.ts";
 * import { assertEquals } from "@std/assert";
 * const keys = new Set(["roberta.embeddings.word_embeddings.weight"]);
 * assertEquals(hfEncoderPrefix((k) => keys.has(k), "roberta"), "roberta.");
 * ```
 */
export function hfEncoderPrefix(
  has: (key: string) => boolean,
  modelType: HfEncoderType,
): string | undefined {
  return layoutPrefix(has, encoderArchitecture(modelType, "find the key prefix").weights);
}

/**
 * Reads an encoder's weights (BERT, RoBERTa, …) from a checkpoint by its layout's names (tensors
 * are created; on error none are left behind).
 *
 * @param reader The checkpoint's tensors.
 * @param config The encoder configuration parsed from `config.json`.
 * @param modelType The encoder's `model_type` (its row in the architecture table).
 * @returns The weights, the pooler when present, the prefix and the skipped keys.
 * @example
 * ```ts
 * import { loadHfModel } from "@loradrop/core/io";
 * import { initBackend } from "@loradrop/core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * // readHfEncoderWeights is what loadHfModel uses for encoder folders.
 * const model = await loadHfModel(new URL("../../tests/fixtures/hf/bert", import.meta.url).pathname);
 * assertEquals(model.kind === "encoder" && model.weights.layers.length, 2);
 * tf.dispose(model.weights as unknown as tf.TensorContainer);
 * ```
 */
export function readHfEncoderWeights(
  reader: CheckpointReader,
  config: EncoderConfig,
  modelType: HfEncoderType,
): HfEncoderWeights {
  const names = encoderArchitecture(modelType, "read encoder weights").weights;
  const prefix = layoutPrefix((k) => reader.has(k), names);
  if (prefix === undefined) {
    // Let the reader produce its "missing" message for the unprefixed key.
    reader.entry(`${names.tokenEmbedding}.weight`, [config.vocabSize, config.embeddingDim]);
  }
  const p = prefix!;
  const d = config.embeddingDim;
  const linear = (base: string, inDim: number, outDim: number) =>
    linearOf(reader, base, inDim, outDim, names.kernelLayout);
  try {
    const tokenEmbedding = reader.matrix(`${p}${names.tokenEmbedding}.weight`, config.vocabSize, d);
    const positionEmbedding = reader.matrix(
      `${p}${names.positionEmbedding}.weight`,
      config.maxPositions + config.positionOffset,
      d,
    );
    const tokenTypeEmbedding = config.typeVocabSize > 0 && names.tokenTypeEmbedding !== undefined
      ? reader.matrix(`${p}${names.tokenTypeEmbedding}.weight`, config.typeVocabSize, d)
      : undefined;
    const embeddingNorm = layerNormOf(reader, `${p}${names.embeddingNorm}`, d);
    const m = names.modules;
    const layers: EncoderLayerWeights[] = config.layers.map((lc, i) => {
      const l = `${p}${layerPath(names, i)}`;
      const inner = lc.numHeads * lc.headDim;
      return {
        attention: {
          q: linear(`${l}.${m.q}`, lc.inputDim, inner),
          k: linear(`${l}.${m.k}`, lc.inputDim, inner),
          v: linear(`${l}.${m.v}`, lc.inputDim, inner),
          o: linear(`${l}.${m.o}`, inner, lc.hiddenDim),
        },
        attentionNorm: layerNormOf(reader, `${l}.${names.attentionNorm}`, lc.hiddenDim),
        ffn: {
          in: linear(`${l}.${m["ffn-in"]}`, lc.hiddenDim, lc.ffnDim),
          out: linear(`${l}.${m["ffn-out"]}`, lc.ffnDim, lc.hiddenDim),
        },
        ffnNorm: layerNormOf(reader, `${l}.${names.ffnNorm}`, lc.hiddenDim),
      };
    });
    const width = config.layers.at(-1)?.hiddenDim ?? d;
    const poolerPath = names.pooler === undefined ? undefined : `${p}${names.pooler}`;
    const pooler: PoolerWeights | undefined =
      poolerPath !== undefined && reader.has(`${poolerPath}.weight`)
        ? {
          pooling: "first",
          dense: linear(poolerPath, width, width),
          activation: "tanh",
          l2Normalize: false,
        }
        : undefined;
    const ignoredKeys = reader.checkAllUsed(skippedKeys(names, p));
    const weights: EncoderWeights = {
      tokenEmbedding,
      positionEmbedding,
      ...(tokenTypeEmbedding === undefined ? {} : { tokenTypeEmbedding }),
      embeddingNorm,
      layers,
    };
    return { weights, prefix: p, ignoredKeys, ...(pooler === undefined ? {} : { pooler }) };
  } catch (error) {
    reader.disposeCreated();
    throw error;
  }
}
