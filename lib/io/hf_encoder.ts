/**
 * Mapping BERT and RoBERTa checkpoints (Hugging Face key layout) onto loradrop's encoder weights.
 *
 * Keys may carry the `bert.` / `roberta.` prefix of the task classes (`BertForMaskedLM`,
 * `RobertaForSequenceClassification`, …) or none (`BertModel`). Linear weights are stored
 * `(out, in)` by torch and become `(in, out)` kernels. Every expected key and shape is checked;
 * task heads of other classes (`cls.*`, `lm_head.*`, `classifier.*`, `qa_outputs.*`) and the
 * `position_ids` buffer are skipped and listed; any other key is an error.
 *
 * @module
 */
import type {
  EncoderConfig,
  EncoderLayerWeights,
  EncoderWeights,
} from "../models/encoder_config.ts";
import type { PoolerWeights } from "../models/heads.ts";
import type { LayerNormWeights } from "../models/layer_norm.ts";
import type { LinearWeights } from "../lora/weights.ts";
import type { CheckpointReader } from "./_checkpoint.ts";

/** Encoder weights read from a BERT or RoBERTa checkpoint. */
export interface HfEncoderWeights {
  /** The encoder's frozen weights. */
  readonly weights: EncoderWeights;
  /** BERT's pooler (first token → dense → tanh) when the checkpoint has `pooler.dense`. */
  readonly pooler?: PoolerWeights;
  /** The key prefix found (`""`, `"bert."` or `"roberta."`). */
  readonly prefix: string;
  /** Keys present in the checkpoint but not used (other task heads, buffers). */
  readonly ignoredKeys: readonly string[];
}

/** The HF module path of each LoRA-able module inside `encoder.layer.{i}.`. */
export const HF_ENCODER_MODULE_PATHS = {
  q: "attention.self.query",
  k: "attention.self.key",
  v: "attention.self.value",
  o: "attention.output.dense",
  "ffn-in": "intermediate.dense",
  "ffn-out": "output.dense",
} as const;

/**
 * Finds the key prefix of an encoder checkpoint.
 *
 * @param has Whether a key exists.
 * @param modelType `bert` or `roberta`.
 * @returns `""` or `"{modelType}."`, or undefined when neither layout is present.
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
  modelType: "bert" | "roberta",
): string | undefined {
  for (const prefix of ["", `${modelType}.`]) {
    if (has(`${prefix}embeddings.word_embeddings.weight`)) return prefix;
  }
  return undefined;
}

function layerNormOf(reader: CheckpointReader, base: string, d: number): LayerNormWeights {
  // Checkpoints converted from TensorFlow name them gamma/beta.
  const old = !reader.has(`${base}.weight`) && reader.has(`${base}.gamma`);
  return {
    gamma: reader.vector(`${base}.${old ? "gamma" : "weight"}`, d),
    beta: reader.vector(`${base}.${old ? "beta" : "bias"}`, d),
  };
}

function linearOf(
  reader: CheckpointReader,
  base: string,
  inDim: number,
  outDim: number,
): LinearWeights {
  return {
    kernel: reader.linearKernel(`${base}.weight`, inDim, outDim),
    bias: reader.vector(`${base}.bias`, outDim),
  };
}

/**
 * Reads BERT / RoBERTa encoder weights from a checkpoint (tensors are created; on error none are
 * left behind).
 *
 * @param reader The checkpoint's tensors.
 * @param config The encoder configuration parsed from `config.json`.
 * @param modelType `bert` or `roberta`.
 * @returns The weights, the pooler when present, the prefix and the skipped keys.
 * @example
 * ```ts
 * import { loadHfModel } from "@loradrop/core/io";
 * import { initBackend } from "@loradrop/core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * // readHfEncoderWeights is what loadHfModel uses for BERT and RoBERTa folders.
 * const model = await loadHfModel(new URL("../../tests/fixtures/hf/bert", import.meta.url).pathname);
 * assertEquals(model.kind === "encoder" && model.weights.layers.length, 2);
 * tf.dispose(model.weights as unknown as tf.TensorContainer);
 * ```
 */
export function readHfEncoderWeights(
  reader: CheckpointReader,
  config: EncoderConfig,
  modelType: "bert" | "roberta",
): HfEncoderWeights {
  const prefix = hfEncoderPrefix((k) => reader.has(k), modelType);
  if (prefix === undefined) {
    // Let the reader produce its "missing" message for the unprefixed key.
    reader.entry("embeddings.word_embeddings.weight", [config.vocabSize, config.embeddingDim]);
  }
  const p = prefix!;
  const d = config.embeddingDim;
  try {
    const tokenEmbedding = reader.matrix(
      `${p}embeddings.word_embeddings.weight`,
      config.vocabSize,
      d,
    );
    const positionEmbedding = reader.matrix(
      `${p}embeddings.position_embeddings.weight`,
      config.maxPositions + config.positionOffset,
      d,
    );
    const tokenTypeEmbedding = config.typeVocabSize > 0
      ? reader.matrix(`${p}embeddings.token_type_embeddings.weight`, config.typeVocabSize, d)
      : undefined;
    const embeddingNorm = layerNormOf(reader, `${p}embeddings.LayerNorm`, d);
    const layers: EncoderLayerWeights[] = config.layers.map((lc, i) => {
      const l = `${p}encoder.layer.${i}`;
      const inner = lc.numHeads * lc.headDim;
      return {
        attention: {
          q: linearOf(reader, `${l}.attention.self.query`, lc.inputDim, inner),
          k: linearOf(reader, `${l}.attention.self.key`, lc.inputDim, inner),
          v: linearOf(reader, `${l}.attention.self.value`, lc.inputDim, inner),
          o: linearOf(reader, `${l}.attention.output.dense`, inner, lc.hiddenDim),
        },
        attentionNorm: layerNormOf(reader, `${l}.attention.output.LayerNorm`, lc.hiddenDim),
        ffn: {
          in: linearOf(reader, `${l}.intermediate.dense`, lc.hiddenDim, lc.ffnDim),
          out: linearOf(reader, `${l}.output.dense`, lc.ffnDim, lc.hiddenDim),
        },
        ffnNorm: layerNormOf(reader, `${l}.output.LayerNorm`, lc.hiddenDim),
      };
    });
    const width = config.layers.at(-1)?.hiddenDim ?? d;
    const pooler: PoolerWeights | undefined = reader.has(`${p}pooler.dense.weight`)
      ? {
        pooling: "first",
        dense: linearOf(reader, `${p}pooler.dense`, width, width),
        activation: "tanh",
        l2Normalize: false,
      }
      : undefined;
    const esc = p.replace(".", "\\.");
    const ignoredKeys = reader.checkAllUsed([
      new RegExp(`^${esc}embeddings\\.position_ids$`),
      /^cls\./,
      /^lm_head\./,
      /^classifier\./,
      /^qa_outputs\./,
    ]);
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
