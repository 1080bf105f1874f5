/**
 * BERT's layout (`model_type` `bert`): post-LN encoder with token types and positions from 0, the
 * checkpoint's pooler, `bert.pooler` then `classifier` as the classification head, `[CLS] A [SEP]
 * B [SEP]` with B of token type 1.
 *
 * @module
 */
import type {
  ConfigCheck,
  EncoderArchitecture,
  EncoderConfigMap,
  EncoderWeightNames,
} from "./descriptor.ts";

/**
 * The check of settings BERT-family encoders do not implement (decoder use, relative positions).
 *
 * @param modelType The layout's `model_type`, for the message.
 * @returns The check: the reason a config is not supported, or undefined.
 * @example
 * ```ts
 * import { encoderConfigCheck } from "./bert.ts";
 * import { assertEquals } from "@std/assert";
 * const check = encoderConfigCheck("bert");
 * assertEquals(check({ position_embedding_type: "absolute" }), undefined);
 * assertEquals(check({ is_decoder: true }), "bert as a decoder (is_decoder / add_cross_attention) is not supported");
 * ```
 */
export function encoderConfigCheck(modelType: string): ConfigCheck {
  return (json) => {
    if (json.is_decoder === true || json.add_cross_attention === true) {
      return `${modelType} as a decoder (is_decoder / add_cross_attention) is not supported`;
    }
    const positionType = json.position_embedding_type ?? "absolute";
    if (positionType !== "absolute") {
      return `position_embedding_type ${
        JSON.stringify(positionType)
      } is not supported; expected "absolute"`;
    }
    return undefined;
  };
}

/** BERT's `config.json` keys. */
const BERT_CONFIG_KEYS: EncoderConfigMap["keys"] = {
  vocabSize: "vocab_size",
  hiddenDim: "hidden_size",
  numLayers: "num_hidden_layers",
  numHeads: "num_attention_heads",
  ffnDim: "intermediate_size",
  maxPositions: "max_position_embeddings",
  layerNormEps: "layer_norm_eps",
  activation: "hidden_act",
  typeVocabSize: "type_vocab_size",
  padTokenId: "pad_token_id",
};

/** BERT's safetensors names. */
const BERT_WEIGHT_NAMES: EncoderWeightNames = {
  taskPrefix: "bert.",
  kernelLayout: "out-in",
  tokenEmbedding: "embeddings.word_embeddings",
  positionEmbedding: "embeddings.position_embeddings",
  tokenTypeEmbedding: "embeddings.token_type_embeddings",
  embeddingNorm: "embeddings.LayerNorm",
  layer: "encoder.layer.{i}",
  modules: {
    q: "attention.self.query",
    k: "attention.self.key",
    v: "attention.self.value",
    o: "attention.output.dense",
    "ffn-in": "intermediate.dense",
    "ffn-out": "output.dense",
  },
  attentionNorm: "attention.output.LayerNorm",
  ffnNorm: "output.LayerNorm",
  pooler: "pooler.dense",
  buffers: [/embeddings\.position_ids/],
  otherHeads: [/^cls\./, /^lm_head\./, /^classifier\./, /^qa_outputs\./],
};

/** PEFT's `target_modules` names of BERT's modules. */
const BERT_PEFT_NAMES: EncoderArchitecture["peft"] = {
  targetNames: {
    q: "query",
    k: "key",
    v: "value",
    o: "attention.output.dense",
    "ffn-in": "intermediate.dense",
    "ffn-out": "output.dense", // also ends attention.output.dense: written as a regex
  },
};

/**
 * BERT's descriptor.
 *
 * @example
 * ```ts
 * import { BERT } from "./bert.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(BERT.head.out, "classifier");
 * assertEquals(BERT.weights.modules.q, "attention.self.query");
 * ```
 */
export const BERT: EncoderArchitecture<"bert"> = {
  modelType: "bert",
  title: "BERT",
  kind: "encoder",
  config: {
    keys: BERT_CONFIG_KEYS,
    defaults: { layerNormEps: 1e-12, activation: "gelu", padTokenId: 0, typeVocabSize: 2 },
    positions: "zero",
    check: encoderConfigCheck("bert"),
  },
  weights: BERT_WEIGHT_NAMES,
  head: {
    out: "classifier",
    pooling: "pooler",
    describe: `bert.pooler then classifier (pooling "pooler", no dense layer)`,
  },
  tokenizer: { postProcessor: "BertProcessing", clsSep: { pairSeparators: 1, secondTypeId: 1 } },
  peft: BERT_PEFT_NAMES,
};
