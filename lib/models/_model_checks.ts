// Checks shared by the encoder and the decoder: adapter keys grouped per layer, weight shapes.
import type { LoraWeights } from "./_deps.ts";
import type { LayerAdapters } from "./attention.ts";
import { MODULE_NAMES, type ModuleName } from "./_deps.ts";

const ADAPTER_KEY = /^layers\.(\d+)\.(q|k|v|o|ffn-in|ffn-out)$/;

/** Groups adapters `layers.{i}.{module}` per layer, rejecting unknown keys and layers out of range. */
export function adaptersByLayer(
  adapters: Readonly<Record<string, LoraWeights>>,
  numLayers: number,
  model: "encoder" | "decoder",
): LayerAdapters[] {
  const out: Partial<Record<ModuleName, LoraWeights>>[] = Array.from(
    { length: numLayers },
    () => ({}),
  );
  for (const [key, adapter] of Object.entries(adapters)) {
    const m = ADAPTER_KEY.exec(key);
    const layer = m === null ? -1 : Number(m[1]);
    if (m === null || layer >= numLayers) {
      throw new RangeError(
        `Cannot run the ${model}: adapter key must be layers.{0..${numLayers - 1}}.{${
          MODULE_NAMES.join("|")
        }}, received "${key}"`,
      );
    }
    out[layer]![m[2] as ModuleName] = adapter;
  }
  return out;
}

/** A checker that a named weight exists with the expected shape (TypeError / RangeError). */
export function shapeChecker(
  model: "encoder" | "decoder",
): (name: string, actual: readonly number[] | undefined, shape: readonly number[]) => void {
  return (name, actual, shape) => {
    if (actual === undefined) {
      throw new TypeError(
        `Cannot use ${model} weights: ${name} is missing (expected shape [${shape}])`,
      );
    }
    if (actual.length !== shape.length || actual.some((d, i) => d !== shape[i])) {
      throw new RangeError(
        `Cannot use ${model} weights: ${name} must have shape [${shape}], received [${actual}]`,
      );
    }
  };
}
