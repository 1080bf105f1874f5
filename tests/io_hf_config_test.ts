import { assertEquals, assertThrows } from "@std/assert";
import { hfActivation, parseHfConfig } from "../lib/io/hf_config.ts";

const BERT = {
  model_type: "bert",
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  hidden_act: "gelu",
  pad_token_id: 0,
};

Deno.test("parseHfConfig maps bert-base to a post-LN encoder with learned positions and token types", () => {
  const arch = parseHfConfig(BERT, "config.json");
  if (arch.kind !== "encoder" || arch.modelType !== "bert") throw new Error("expected bert");
  const c = arch.encoder;
  assertEquals(c.layers.length, 12);
  assertEquals(c.layers[0], {
    inputDim: 768,
    hiddenDim: 768,
    numHeads: 12,
    headDim: 64,
    ffnDim: 3072,
  });
  assertEquals(
    [c.normalization, c.positionEmbedding, c.positionOffset, c.maxPositions, c.typeVocabSize],
    ["post", "learned", 0, 512, 2],
  );
  assertEquals([c.embeddingLayerNorm, c.finalLayerNorm, c.activation], [true, false, "gelu"]);
});

Deno.test("parseHfConfig gives RoBERTa its position offset (padding_idx + 1) and a shorter usable length", () => {
  const arch = parseHfConfig(
    {
      ...BERT,
      model_type: "roberta",
      vocab_size: 50265,
      max_position_embeddings: 514,
      pad_token_id: 1,
      type_vocab_size: 1,
      layer_norm_eps: 1e-5,
    },
    "config.json",
  );
  if (arch.kind !== "encoder" || arch.modelType !== "roberta") throw new Error("expected roberta");
  assertEquals([arch.encoder.positionOffset, arch.encoder.maxPositions], [2, 512]);
  assertEquals(arch.encoder.layerNormEps, 1e-5);
});

Deno.test("parseHfConfig maps GPT-2 (n_inner null → 4·n_embd, gelu_new → gelu-tanh, tied by default)", () => {
  const arch = parseHfConfig({
    model_type: "gpt2",
    vocab_size: 50257,
    n_positions: 1024,
    n_embd: 768,
    n_layer: 12,
    n_head: 12,
    n_inner: null,
    activation_function: "gelu_new",
    layer_norm_epsilon: 1e-5,
  }, "config.json");
  if (arch.kind !== "decoder" || arch.modelType !== "gpt2") throw new Error("expected gpt2");
  assertEquals(arch.decoder, {
    vocabSize: 50257,
    maxPositions: 1024,
    hiddenDim: 768,
    numLayers: 12,
    numHeads: 12,
    headDim: 64,
    ffnDim: 3072,
    layerNormEps: 1e-5,
    activation: "gelu-tanh",
  });
  assertEquals(arch.tiedEmbeddings, true);
});

Deno.test("parseHfConfig names what it does not support", () => {
  const cases: [Record<string, unknown>, string][] = [
    [
      { model_type: "t5", architectures: ["T5ForConditionalGeneration"] },
      `model_type "t5" (T5ForConditionalGeneration) is not supported`,
    ],
    [
      { ...BERT, position_embedding_type: "relative_key" },
      `position_embedding_type "relative_key"`,
    ],
    [{ ...BERT, is_decoder: true }, "as a decoder"],
    [{ ...BERT, hidden_act: "silu" }, `activation "silu"`],
    [
      { ...BERT, num_attention_heads: 7 },
      "hidden_size 768 is not divisible by num_attention_heads 7",
    ],
    [{ ...BERT, vocab_size: -3 }, `"vocab_size" must be an integer in [0, 4194304], received -3`],
    // sizes no checkpoint has: an error at once, not seconds of allocation then "Invalid array length"
    [
      { ...BERT, num_hidden_layers: 1e9 },
      `"num_hidden_layers" must be an integer in [0, 1000], received 1000000000`,
    ],
    [{ ...BERT, hidden_size: 2 ** 20 }, `"hidden_size" must be an integer in [0, 65536]`],
    [
      { model_type: "gpt2", vocab_size: 9, n_positions: 8, n_embd: 8, n_head: 2, n_layer: 1e9 },
      `"n_layer" must be an integer in [0, 1000], received 1000000000`,
    ],
    [
      { model_type: "gpt2", n_embd: 8, n_head: 2, scale_attn_by_inverse_layer_idx: true },
      "scale_attn_by_inverse_layer_idx",
    ],
  ];
  for (const [json, message] of cases) {
    assertThrows(() => parseHfConfig(json, "x/config.json"), Error, message);
    assertThrows(() => parseHfConfig(json, "x/config.json"), Error, "x/config.json");
  }
  assertThrows(() => parseHfConfig([1], "c.json"), Error, "expected a JSON object");
  assertEquals(hfActivation("gelu_pytorch_tanh", "c"), "gelu-tanh");
});
