/**
 * The LoRA adapters of a task model, one per layer and target module, with the trainable names
 * both task models (encoder and decoder) give them.
 *
 * @module
 */
import { foldIn, type RandomKey } from "../random.ts";
import type { Variable } from "../types.ts";
import {
  initLora,
  type LoraConfig,
  type LoraWeights,
  MODULE_NAMES,
  type ModuleName,
} from "./_deps.ts";
import { adapterKey } from "./encoder.ts";

/** What {@linkcode initLayerAdapters} returns. */
export interface LayerAdapters {
  /** The adapters by key `layers.{i}.{module}`. */
  readonly adapters: Record<string, LoraWeights>;
  /** The same variables by trainable name `layers.{i}.{module}.lora_a|lora_b`. */
  readonly trainable: Record<string, Variable>;
}

/**
 * Creates the adapters of every layer's target modules. Adapter `j` (layer-major, in
 * `MODULE_NAMES` order) is initialised from `foldIn(key, j)`: A Kaiming-uniform, B zero.
 *
 * @param key The adapters' key.
 * @param numLayers The model's layers.
 * @param targets The adapted modules.
 * @param dims A module's `[in, out]` sizes in a layer.
 * @param config Rank and α.
 * @returns The adapters and their variables by trainable name.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { randomKey } from "@loradrop/core";
 * import { initLayerAdapters } from "./layer_adapters.ts";
 * import { assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * const { adapters, trainable } = initLayerAdapters(randomKey(0), 2, ["v", "q"], () => [8, 8], { r: 2, alpha: 4 });
 * assertEquals(Object.keys(adapters), ["layers.0.q", "layers.0.v", "layers.1.q", "layers.1.v"]);
 * assertEquals(trainable["layers.1.v.lora_a"], adapters["layers.1.v"]!.a);
 * tf.dispose(Object.values(trainable));
 * ```
 */
export function initLayerAdapters(
  key: RandomKey,
  numLayers: number,
  targets: readonly ModuleName[],
  dims: (layer: number, module: ModuleName) => readonly [number, number],
  config: LoraConfig,
): LayerAdapters {
  const adapters: Record<string, LoraWeights> = {};
  const trainable: Record<string, Variable> = {};
  let j = 0;
  for (let layer = 0; layer < numLayers; layer++) {
    for (const module of MODULE_NAMES) {
      if (!targets.includes(module)) continue;
      const [inDim, outDim] = dims(layer, module);
      const adapter = initLora(foldIn(key, j++), inDim, outDim, config);
      const name = adapterKey(layer, module);
      adapters[name] = adapter;
      trainable[`${name}.lora_a`] = adapter.a;
      trainable[`${name}.lora_b`] = adapter.b;
    }
  }
  return { adapters, trainable };
}
