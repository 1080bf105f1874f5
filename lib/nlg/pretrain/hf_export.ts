/**
 * Saving a decoder as a Hugging Face GPT-2 folder (`config.json` + `model.safetensors`), the
 * layout `loadHfModel` (and Python `transformers.GPT2LMHeadModel`) reads back. Config keys and
 * weight names come from GPT-2's row of the architecture table (`lib/io/architectures/gpt2.ts`),
 * the same row the loader reads.
 *
 * @module
 */
import type { DecoderModel } from "../../models/decoder.ts";
import type { Tensor } from "../../types.ts";
import { type SafetensorsInput, writeSafetensors } from "../../io/safetensors.ts";
import { writeFileAtomic } from "../../train/atomic_file.ts";
import { GPT2 } from "../../io/architectures/gpt2.ts";

const HF_ACTIVATIONS: Readonly<Record<string, string>> = {
  "gelu-tanh": "gelu_new",
  gelu: "gelu",
  relu: "relu",
};

/**
 * The `config.json` of a GPT-2 folder for a decoder configuration.
 *
 * @param model The decoder (a separate LM head sets `tie_word_embeddings: false`).
 * @param extra Further fields (e.g. `bos_token_id`, `eos_token_id`).
 * @returns The JSON object.
 * @example
 * ```ts
 * import { gpt2ConfigJson } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * const config = { vocabSize: 50, maxPositions: 8, hiddenDim: 16, numLayers: 1, numHeads: 2, headDim: 8, ffnDim: 32, layerNormEps: 1e-5, activation: "gelu-tanh" } as const;
 * const json = gpt2ConfigJson({ config, weights: {} as never });
 * assertEquals([json.model_type, json.n_embd, json.activation_function], ["gpt2", 16, "gelu_new"]);
 * ```
 */
export function gpt2ConfigJson(
  model: DecoderModel,
  extra: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  const c = model.config;
  const act = HF_ACTIVATIONS[c.activation];
  if (act === undefined) {
    throw new RangeError(
      `Cannot write a GPT-2 config: activation "${c.activation}" has no Hugging Face name`,
    );
  }
  const keys = GPT2.config.keys;
  return {
    architectures: ["GPT2LMHeadModel"],
    model_type: GPT2.modelType,
    [keys.vocabSize]: c.vocabSize,
    [keys.maxPositions]: c.maxPositions,
    [keys.hiddenDim]: c.hiddenDim,
    [keys.numLayers]: c.numLayers,
    [keys.numHeads]: c.numHeads,
    [keys.ffnDim]: c.ffnDim,
    [keys.layerNormEps ?? "layer_norm_epsilon"]: c.layerNormEps,
    [keys.activation]: act,
    [keys.tiedEmbeddings]: model.weights?.lmHead === undefined,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    ...extra,
  };
}

/**
 * The tensors of a decoder by Hugging Face GPT-2 key.
 *
 * @param model The decoder.
 * @returns Tensors by key (the model's own tensors, not copies; a separate head is transposed
 *   into a new tensor under `lm_head.weight`, which the caller disposes).
 */
function gpt2Tensors(model: DecoderModel): Record<string, Tensor> {
  const w = model.weights;
  const names = GPT2.weights;
  const out: Record<string, Tensor> = {
    [`${names.tokenEmbedding}.weight`]: w.tokenEmbedding,
    [`${names.positionEmbedding}.weight`]: w.positionEmbedding,
    [`${names.finalNorm}.weight`]: w.finalNorm.gamma,
    [`${names.finalNorm}.bias`]: w.finalNorm.beta,
  };
  w.layers.forEach((l, i) => {
    const p = names.layer.replace("{i}", String(i));
    const lin = (name: string, x: { kernel: Tensor; bias?: Tensor }) => {
      if (x.bias === undefined) {
        throw new TypeError(
          `Cannot save as GPT-2: ${p}.${name} has no bias (GPT-2 Conv1D has one)`,
        );
      }
      out[`${p}.${name}.weight`] = x.kernel;
      out[`${p}.${name}.bias`] = x.bias;
    };
    out[`${p}.${names.attentionNorm}.weight`] = l.attentionNorm.gamma;
    out[`${p}.${names.attentionNorm}.bias`] = l.attentionNorm.beta;
    lin(names.modules.q, l.attention.qkv); // fused q|k|v: one name for all three
    lin(names.modules.o, l.attention.o);
    out[`${p}.${names.ffnNorm}.weight`] = l.ffnNorm.gamma;
    out[`${p}.${names.ffnNorm}.bias`] = l.ffnNorm.beta;
    lin(names.modules["ffn-in"], l.ffn.in);
    lin(names.modules["ffn-out"], l.ffn.out);
  });
  if (w.lmHead !== undefined) {
    throw new TypeError("Cannot save as GPT-2: only tied LM heads are supported");
  }
  return out;
}

/**
 * Writes `config.json` and `model.safetensors` (F32) of a tied-head decoder into `dir`.
 *
 * @param dir The folder (created).
 * @param model The decoder.
 * @param extraConfig Further `config.json` fields.
 * @returns Nothing.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { saveDecoderAsGpt2 } from "@loradrop/core/nlg";
 * import { disposeTrainableDecoder, initDecoder } from "@loradrop/core/nlg";
 * import { loadHfModel } from "@loradrop/core/io";
 * import { randomKey } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const config = { vocabSize: 50, maxPositions: 8, hiddenDim: 16, numLayers: 1, numHeads: 2, headDim: 8, ffnDim: 32, layerNormEps: 1e-5, activation: "gelu-tanh" } as const;
 * const model = initDecoder(config, randomKey(0));
 * const dir = await Deno.makeTempDir();
 * await saveDecoderAsGpt2(dir, model);
 * const back = await loadHfModel(dir);
 * assertEquals(back.kind === "decoder" && back.config, config);
 * if (back.kind === "decoder") assertEquals(back.weights.layers[0]!.ffn.in.kernel.arraySync(), model.weights.layers[0]!.ffn.in.kernel.arraySync());
 * tf.dispose(back.weights as unknown as tf.TensorContainer);
 * disposeTrainableDecoder(model);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveDecoderAsGpt2(
  dir: string,
  model: DecoderModel,
  extraConfig: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  const config = gpt2ConfigJson(model, extraConfig);
  const inputs: Record<string, SafetensorsInput> = {};
  for (const [name, t] of Object.entries(gpt2Tensors(model))) {
    inputs[name] = { shape: [...t.shape], data: (await t.data()) as Float32Array };
  }
  await Deno.mkdir(dir, { recursive: true });
  await writeSafetensors(`${dir}/model.safetensors.tmp`, inputs, { format: "pt" });
  await Deno.rename(`${dir}/model.safetensors.tmp`, `${dir}/model.safetensors`);
  await writeFileAtomic(`${dir}/config.json`, JSON.stringify(config, null, 2) + "\n");
}
