// The options of a layer's LoRA branches (private helper of attention.ts and ffn.ts).
import { dropAt, type DropoutPlan } from "../dropout/spec.ts";
import type { LoraLinearOptions } from "./_deps.ts";
import type { Tensor2D } from "../types.ts";

/**
 * The options of layer `layer`'s LoRA branches: the scale, and the plan's drop at `lora-input`
 * with the token mask (which span patterns need), when the plan has one there.
 */
export function layerLoraOptions(
  plan: DropoutPlan,
  layer: number,
  numLayers: number,
  scale: number,
  tokenMask: Tensor2D | undefined,
): LoraLinearOptions {
  const inputDrop = dropAt(plan, "lora-input", layer, numLayers);
  return {
    scale,
    ...(inputDrop === undefined ? {} : {
      inputDrop,
      ...(tokenMask === undefined ? {} : { inputDropOptions: { tokenMask } }),
    }),
  };
}
