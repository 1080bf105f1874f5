/**
 * Mapping decoder checkpoints (GPT-2 in Hugging Face's key layout) onto loradrop's decoder
 * weights, by the names of the layout's descriptor (`architectures/`).
 *
 * GPT-2 stores its projections as `Conv1D` weights `(in, out)`, already loradrop's kernel layout;
 * `c_attn` is the fused q|k|v projection `(D, 3D)`. Keys may carry the `transformer.` prefix of
 * `GPT2LMHeadModel` or none (`GPT2Model`). A stored `lm_head.weight` equal to the token
 * embeddings (or absent) means a tied head; a different one becomes a separate LM head. The old
 * `attn.bias` / `attn.masked_bias` buffers are skipped; any other unknown key is an error.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { DecoderConfig, DecoderLayerWeights, DecoderWeights } from "../models/decoder.ts";
import type { LinearWeights } from "../lora/weights.ts";
import type { CheckpointReader } from "./_checkpoint.ts";
import { architectureRow, type HfDecoderType, layerPath } from "./architectures/table.ts";
import { layerNormOf, layoutPrefix, linearOf, skippedKeys } from "./_layout_weights.ts";

/** Decoder weights read from a decoder checkpoint. */
export interface HfDecoderWeights {
  /** The decoder's frozen weights. */
  readonly weights: DecoderWeights;
  /** The key prefix found (`""` or `"transformer."`). */
  readonly prefix: string;
  /** Keys present in the checkpoint but not used (buffers, a tied copy of the LM head). */
  readonly ignoredKeys: readonly string[];
}

/**
 * Reads a decoder's weights (GPT-2) from a checkpoint by its layout's names (on error no tensor
 * is left behind).
 *
 * @param reader The checkpoint's tensors.
 * @param config The decoder configuration parsed from `config.json`.
 * @param tied `tie_word_embeddings` from the config.
 * @param modelType The decoder's `model_type` (its row in the architecture table); `gpt2` by default.
 * @returns The weights, the prefix and the skipped keys.
 * @example
 * ```ts
 * import { loadHfModel } from "@loradrop/core/io";
 * import { initBackend } from "@loradrop/core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * // readHfGpt2Weights is what loadHfModel uses for GPT-2 folders.
 * const model = await loadHfModel(new URL("../../tests/fixtures/hf/gpt2", import.meta.url).pathname);
 * assertEquals(model.kind === "decoder" && model.weights.lmHead, undefined); // tied
 * tf.dispose(model.weights as unknown as tf.TensorContainer);
 * ```
 */
export function readHfGpt2Weights(
  reader: CheckpointReader,
  config: DecoderConfig,
  tied: boolean,
  modelType: HfDecoderType = "gpt2",
): HfDecoderWeights {
  const row = architectureRow(modelType);
  if (row?.kind !== "decoder") {
    throw new TypeError(
      `Cannot read decoder weights: "${modelType}" is not a decoder of the architecture table`,
    );
  }
  const names = row.weights;
  const p = layoutPrefix((k) => reader.has(k), names) ?? "";
  const d = config.hiddenDim;
  const m = names.modules;
  const linear = (base: string, i: number, o: number) =>
    linearOf(reader, base, i, o, names.kernelLayout);
  try {
    const tokenEmbedding = reader.matrix(`${p}${names.tokenEmbedding}.weight`, config.vocabSize, d);
    const positionEmbedding = reader.matrix(
      `${p}${names.positionEmbedding}.weight`,
      config.maxPositions,
      d,
    );
    const layers: DecoderLayerWeights[] = Array.from({ length: config.numLayers }, (_, i) => {
      const l = `${p}${layerPath(names, i)}`;
      return {
        attentionNorm: layerNormOf(reader, `${l}.${names.attentionNorm}`, d),
        attention: {
          qkv: linear(`${l}.${m.q}`, d, 3 * d), // the fused q|k|v
          o: linear(`${l}.${m.o}`, d, d),
        },
        ffnNorm: layerNormOf(reader, `${l}.${names.ffnNorm}`, d),
        ffn: {
          in: linear(`${l}.${m["ffn-in"]}`, d, config.ffnDim),
          out: linear(`${l}.${m["ffn-out"]}`, config.ffnDim, d),
        },
      };
    });
    const finalNorm = layerNormOf(reader, `${p}${names.finalNorm}`, d);
    let lmHead: LinearWeights | undefined;
    const headKey = `${names.lmHead}.weight`;
    const wteKey = `${p}${names.tokenEmbedding}.weight`;
    if (reader.has(headKey)) {
      const head = reader.entry(headKey, [config.vocabSize, d]).data as Float32Array;
      const wte = reader.entry(wteKey, [config.vocabSize, d]).data as Float32Array;
      const same = head.every((v, i) => v === wte[i]);
      if (!same) {
        if (tied) {
          throw new Error(
            `Cannot load checkpoint ${
              reader.fileOf(headKey)
            }: tensor "${headKey}" differs from "${wteKey}" although tie_word_embeddings is true`,
          );
        }
        lmHead = { kernel: tf.tidy(() => tf.transpose(tf.tensor2d(head, [config.vocabSize, d]))) }; // (D, V)
      }
    } else if (!tied) {
      reader.entry(headKey, [config.vocabSize, d]); // throws: missing
    }
    const ignoredKeys = reader.checkAllUsed(skippedKeys(names, p));
    const weights: DecoderWeights = {
      tokenEmbedding,
      positionEmbedding,
      layers,
      finalNorm,
      ...(lmHead === undefined ? {} : { lmHead }),
    };
    return { weights, prefix: p, ignoredKeys };
  } catch (error) {
    reader.disposeCreated();
    throw error;
  }
}
