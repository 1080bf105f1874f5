/**
 * Mapping GPT-2 checkpoints (Hugging Face key layout) onto loradrop's decoder weights.
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
import type { LayerNormWeights } from "../models/layer_norm.ts";
import type { LinearWeights } from "../lora/weights.ts";
import type { CheckpointReader } from "./_checkpoint.ts";

/** Decoder weights read from a GPT-2 checkpoint. */
export interface HfDecoderWeights {
  /** The decoder's frozen weights. */
  readonly weights: DecoderWeights;
  /** The key prefix found (`""` or `"transformer."`). */
  readonly prefix: string;
  /** Keys present in the checkpoint but not used (buffers, a tied copy of the LM head). */
  readonly ignoredKeys: readonly string[];
}

function layerNormOf(reader: CheckpointReader, base: string, d: number): LayerNormWeights {
  return { gamma: reader.vector(`${base}.weight`, d), beta: reader.vector(`${base}.bias`, d) };
}

function conv1d(reader: CheckpointReader, base: string, i: number, o: number): LinearWeights {
  return { kernel: reader.matrix(`${base}.weight`, i, o), bias: reader.vector(`${base}.bias`, o) };
}

/**
 * Reads GPT-2 decoder weights from a checkpoint (on error no tensor is left behind).
 *
 * @param reader The checkpoint's tensors.
 * @param config The decoder configuration parsed from `config.json`.
 * @param tied `tie_word_embeddings` from the config.
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
): HfDecoderWeights {
  const p = reader.has("transformer.wte.weight") ? "transformer." : "";
  const d = config.hiddenDim;
  try {
    const tokenEmbedding = reader.matrix(`${p}wte.weight`, config.vocabSize, d);
    const positionEmbedding = reader.matrix(`${p}wpe.weight`, config.maxPositions, d);
    const layers: DecoderLayerWeights[] = Array.from({ length: config.numLayers }, (_, i) => {
      const l = `${p}h.${i}`;
      return {
        attentionNorm: layerNormOf(reader, `${l}.ln_1`, d),
        attention: {
          qkv: conv1d(reader, `${l}.attn.c_attn`, d, 3 * d),
          o: conv1d(reader, `${l}.attn.c_proj`, d, d),
        },
        ffnNorm: layerNormOf(reader, `${l}.ln_2`, d),
        ffn: {
          in: conv1d(reader, `${l}.mlp.c_fc`, d, config.ffnDim),
          out: conv1d(reader, `${l}.mlp.c_proj`, config.ffnDim, d),
        },
      };
    });
    const finalNorm = layerNormOf(reader, `${p}ln_f`, d);
    let lmHead: LinearWeights | undefined;
    const ignore = [/^(transformer\.)?h\.\d+\.attn\.(bias|masked_bias)$/];
    if (reader.has("lm_head.weight")) {
      const head = reader.entry("lm_head.weight", [config.vocabSize, d]).data as Float32Array;
      const wte = reader.entry(`${p}wte.weight`, [config.vocabSize, d]).data as Float32Array;
      const same = head.every((v, i) => v === wte[i]);
      if (!same) {
        if (tied) {
          throw new Error(
            `Cannot load checkpoint ${
              reader.fileOf("lm_head.weight")
            }: tensor "lm_head.weight" differs from "${p}wte.weight" although tie_word_embeddings is true`,
          );
        }
        lmHead = { kernel: tf.tidy(() => tf.transpose(tf.tensor2d(head, [config.vocabSize, d]))) }; // (D, V)
      }
    } else if (!tied) {
      reader.entry("lm_head.weight", [config.vocabSize, d]); // throws: missing
    }
    const ignoredKeys = reader.checkAllUsed(ignore);
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
