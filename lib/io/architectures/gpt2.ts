/**
 * GPT-2's layout (`model_type` `gpt2`): a pre-LN decoder stored as `Conv1D` `(in, out)` weights,
 * a fused q|k|v projection `c_attn`, `transformer.` inside `GPT2LMHeadModel`, a byte-level
 * tokenizer without special tokens around a text.
 *
 * @module
 */
import type { DecoderArchitecture } from "./descriptor.ts";

/**
 * GPT-2's descriptor.
 *
 * @example
 * ```ts
 * import { GPT2 } from "./gpt2.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals([GPT2.weights.modules.q, GPT2.weights.modules.v], ["attn.c_attn", "attn.c_attn"]);
 * ```
 */
export const GPT2: DecoderArchitecture<"gpt2"> = {
  modelType: "gpt2",
  title: "GPT-2",
  kind: "decoder",
  config: {
    keys: {
      vocabSize: "vocab_size",
      hiddenDim: "n_embd",
      numLayers: "n_layer",
      numHeads: "n_head",
      ffnDim: "n_inner",
      maxPositions: "n_positions",
      layerNormEps: "layer_norm_epsilon",
      activation: "activation_function",
      tiedEmbeddings: "tie_word_embeddings",
    },
    defaults: { layerNormEps: 1e-5, activation: "gelu_new", ffnPerHidden: 4 },
    check: (json) => {
      if (json.add_cross_attention === true) return "gpt2 with cross-attention is not supported";
      if (json.scale_attn_weights === false) {
        return "scale_attn_weights false is not supported (loradrop scales by 1/√headDim)";
      }
      if (json.scale_attn_by_inverse_layer_idx === true) {
        return "scale_attn_by_inverse_layer_idx true is not supported";
      }
      return undefined;
    },
  },
  weights: {
    taskPrefix: "transformer.",
    kernelLayout: "in-out",
    tokenEmbedding: "wte",
    positionEmbedding: "wpe",
    layer: "h.{i}",
    modules: {
      q: "attn.c_attn",
      k: "attn.c_attn",
      v: "attn.c_attn",
      o: "attn.c_proj",
      "ffn-in": "mlp.c_fc",
      "ffn-out": "mlp.c_proj",
    },
    attentionNorm: "ln_1",
    ffnNorm: "ln_2",
    finalNorm: "ln_f",
    lmHead: "lm_head",
    buffers: [/h\.\d+\.attn\.(bias|masked_bias)/],
    otherHeads: [],
  },
  tokenizer: { postProcessor: "ByteLevel" },
  peft: {
    targetNames: {
      q: "c_attn",
      k: "c_attn",
      v: "c_attn",
      o: "attn.c_proj",
      "ffn-in": "mlp.c_fc",
      "ffn-out": "mlp.c_proj",
    },
  },
};
