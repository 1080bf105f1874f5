/**
 * GPT-2's initialisation of a decoder, as trainable variables named by the Hugging Face GPT-2
 * keys (`wte.weight`, `h.0.attn.c_attn.weight`, …), so the trained weights save in the layout
 * `loadHfModel` reads.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { foldIn, type RandomKey, uniform } from "../../random.ts";
import type { DecoderConfig, DecoderModel, DecoderWeights } from "../../models/decoder.ts";
import type { Tensor, Tensor1D, Tensor2D, Variable } from "../../types.ts";

/** A decoder whose weights are trainable variables, by Hugging Face GPT-2 key. */
export interface TrainableDecoder extends DecoderModel {
  /** The variables by key (`wte.weight`, `h.{i}.ln_1.weight`, …); the weights view them. */
  readonly variables: Readonly<Record<string, Variable>>;
}

/** Standard normals from a key (Box-Muller over `uniform`). */
function normals(key: RandomKey, count: number, std: number): Float32Array {
  const u = uniform(key, 2 * count);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const r = Math.sqrt(-2 * Math.log(1 - u[2 * i]!));
    out[i] = std * r * Math.cos(2 * Math.PI * u[2 * i + 1]!);
  }
  return out;
}

/**
 * The shapes of every GPT-2 tensor of a config (tied head: no `lm_head.weight`), in key order.
 *
 * @param config The configuration.
 * @returns Shapes by Hugging Face GPT-2 key.
 * @example
 * ```ts
 * import { gpt2Shapes } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * const config = { vocabSize: 50, maxPositions: 8, hiddenDim: 16, numLayers: 1, numHeads: 2, headDim: 8, ffnDim: 32, layerNormEps: 1e-5, activation: "gelu-tanh" } as const;
 * const shapes = gpt2Shapes(config);
 * assertEquals(shapes["h.0.mlp.c_fc.weight"], [16, 32]);
 * assertEquals(Object.keys(shapes).length, 2 + 12 + 2);
 * ```
 */
export function gpt2Shapes(config: DecoderConfig): Record<string, number[]> {
  const d = config.hiddenDim, f = config.ffnDim;
  const shapes: Record<string, number[]> = {
    "wte.weight": [config.vocabSize, d],
    "wpe.weight": [config.maxPositions, d],
  };
  for (let i = 0; i < config.numLayers; i++) {
    const l = `h.${i}`;
    Object.assign(shapes, {
      [`${l}.ln_1.weight`]: [d],
      [`${l}.ln_1.bias`]: [d],
      [`${l}.attn.c_attn.weight`]: [d, 3 * d],
      [`${l}.attn.c_attn.bias`]: [3 * d],
      [`${l}.attn.c_proj.weight`]: [d, d],
      [`${l}.attn.c_proj.bias`]: [d],
      [`${l}.ln_2.weight`]: [d],
      [`${l}.ln_2.bias`]: [d],
      [`${l}.mlp.c_fc.weight`]: [d, f],
      [`${l}.mlp.c_fc.bias`]: [f],
      [`${l}.mlp.c_proj.weight`]: [f, d],
      [`${l}.mlp.c_proj.bias`]: [d],
    });
  }
  shapes["ln_f.weight"] = [d];
  shapes["ln_f.bias"] = [d];
  return shapes;
}

/**
 * The decoder weights that view a set of variables named by GPT-2 keys (tied LM head).
 *
 * @param config The configuration.
 * @param v The variables by key.
 * @returns The weights (the same tensors, not copies).
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { disposeTrainableDecoder, initDecoder, weightsFromGpt2Keys } from "@loradrop/core/nlg";
 * import { randomKey } from "@loradrop/core";
 * import { assert } from "@std/assert";
 * await tf.setBackend("cpu");
 * const config = { vocabSize: 50, maxPositions: 8, hiddenDim: 16, numLayers: 1, numHeads: 2, headDim: 8, ffnDim: 32, layerNormEps: 1e-5, activation: "gelu-tanh" } as const;
 * const model = initDecoder(config, randomKey(0));
 * const weights = weightsFromGpt2Keys(config, model.variables);
 * assert(weights.layers[0]!.ffn.in.kernel === model.variables["h.0.mlp.c_fc.weight"]);
 * disposeTrainableDecoder(model);
 * ```
 */
export function weightsFromGpt2Keys(
  config: DecoderConfig,
  v: Readonly<Record<string, Tensor>>,
): DecoderWeights {
  const get = (k: string) => {
    const t = v[k];
    if (t === undefined) throw new TypeError(`Cannot build decoder weights: "${k}" is missing`);
    return t;
  };
  const m = (k: string) => get(k) as Tensor2D;
  const b = (k: string) => get(k) as Tensor1D;
  return {
    tokenEmbedding: m("wte.weight"),
    positionEmbedding: m("wpe.weight"),
    layers: Array.from({ length: config.numLayers }, (_, i) => {
      const l = `h.${i}`;
      return {
        attentionNorm: { gamma: b(`${l}.ln_1.weight`), beta: b(`${l}.ln_1.bias`) },
        attention: {
          qkv: { kernel: m(`${l}.attn.c_attn.weight`), bias: b(`${l}.attn.c_attn.bias`) },
          o: { kernel: m(`${l}.attn.c_proj.weight`), bias: b(`${l}.attn.c_proj.bias`) },
        },
        ffnNorm: { gamma: b(`${l}.ln_2.weight`), beta: b(`${l}.ln_2.bias`) },
        ffn: {
          in: { kernel: m(`${l}.mlp.c_fc.weight`), bias: b(`${l}.mlp.c_fc.bias`) },
          out: { kernel: m(`${l}.mlp.c_proj.weight`), bias: b(`${l}.mlp.c_proj.bias`) },
        },
      };
    }),
    finalNorm: { gamma: b("ln_f.weight"), beta: b("ln_f.bias") },
  };
}

/**
 * A freshly initialised decoder, GPT-2's way: weights N(0, 0.02) (position embeddings 0.01),
 * the residual projections (`attn.c_proj`, `mlp.c_proj`) N(0, 0.02/√(2L)), biases 0, LayerNorm
 * gains 1; tied LM head. Tensor `j` (in key order) draws from `foldIn(key, j)`.
 *
 * @param config The configuration.
 * @param key The initialisation key.
 * @returns The decoder; dispose with `disposeTrainableDecoder`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { disposeTrainableDecoder, initDecoder } from "@loradrop/core/nlg";
 * import { randomKey } from "@loradrop/core";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * const config = { vocabSize: 50, maxPositions: 8, hiddenDim: 16, numLayers: 2, numHeads: 2, headDim: 8, ffnDim: 32, layerNormEps: 1e-5, activation: "gelu-tanh" } as const;
 * const model = initDecoder(config, randomKey(0));
 * assertEquals(model.variables["h.1.attn.c_attn.weight"]!.shape, [16, 48]);
 * const std = Math.sqrt(tf.moments(model.variables["wte.weight"]!).variance.dataSync()[0]!);
 * assertAlmostEquals(std, 0.02, 0.002);
 * disposeTrainableDecoder(model);
 * ```
 */
export function initDecoder(config: DecoderConfig, key: RandomKey): TrainableDecoder {
  const shapes = gpt2Shapes(config);
  const variables: Record<string, Variable> = {};
  Object.entries(shapes).forEach(([name, shape], j) => {
    const n = shape.reduce((a, b) => a * b, 1);
    let values: Float32Array;
    if (/ln_\d\.weight$|ln_f\.weight$/.test(name)) values = new Float32Array(n).fill(1);
    else if (name.endsWith(".bias")) values = new Float32Array(n);
    else {
      const std = name === "wpe.weight"
        ? 0.01
        : name.endsWith("c_proj.weight")
        ? 0.02 / Math.sqrt(2 * config.numLayers)
        : 0.02;
      values = normals(foldIn(key, j), n, std);
    }
    const initial = tf.tensor(values, shape, "float32");
    variables[name] = tf.variable(initial, true);
    initial.dispose();
  });
  return { config, weights: weightsFromGpt2Keys(config, variables), variables };
}

/**
 * Disposes a trainable decoder's variables.
 *
 * @param model The decoder.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { disposeTrainableDecoder, initDecoder } from "@loradrop/core/nlg";
 * import { randomKey } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * const before = tf.memory().numTensors;
 * const config = { vocabSize: 50, maxPositions: 8, hiddenDim: 16, numLayers: 1, numHeads: 2, headDim: 8, ffnDim: 32, layerNormEps: 1e-5, activation: "gelu-tanh" } as const;
 * disposeTrainableDecoder(initDecoder(config, randomKey(0)));
 * assertEquals(tf.memory().numTensors, before);
 * ```
 */
export function disposeTrainableDecoder(model: TrainableDecoder): void {
  tf.dispose(Object.values(model.variables));
}
