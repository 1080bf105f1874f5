/**
 * The parts of tfjs-backend-wasm's backend object that loradrop's wasm kernels use: its
 * `WebAssembly.Memory` and the heap offset of a tensor's data.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";

/** The slice of tfjs-backend-wasm's backend object the kernels read. */
export interface WasmBackendLike {
  readonly wasm?: {
    /** The multi-threaded build's memory (shared, created by the JS glue). */
    readonly wasmMemory?: WebAssembly.Memory;
    /** The single-threaded build exports its memory. */
    readonly asm?: { readonly memory?: WebAssembly.Memory };
  };
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/**
 * The wasm backend's memory (either build), or undefined when `backend` is not tfjs-backend-wasm.
 *
 * @param backend A kernel's backend object.
 * @returns The backend's `WebAssembly.Memory`, or undefined.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { wasmMemoryOf } from "./wasm_heap.ts";
 * import { assert } from "@std/assert";
 * await initBackend({ backend: "wasm" });
 * assert(wasmMemoryOf(tf.backend()) instanceof WebAssembly.Memory);
 * assert(wasmMemoryOf({}) === undefined);
 * ```
 */
export function wasmMemoryOf(backend: object): WebAssembly.Memory | undefined {
  const wasm = (backend as WasmBackendLike).wasm;
  return wasm?.wasmMemory ?? wasm?.asm?.memory;
}

/**
 * The byte offset of a tensor's data in the wasm heap.
 *
 * @param backend The wasm backend object.
 * @param tensor A tensor (info) that lives on it.
 * @returns Its data's byte offset.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { heapOffsetOf } from "./wasm_heap.ts";
 * import { assert } from "@std/assert";
 * await initBackend({ backend: "wasm" });
 * const x = tf.tensor1d([1, 2]);
 * assert(heapOffsetOf(tf.backend(), x) > 0);
 * x.dispose();
 * ```
 */
export function heapOffsetOf(backend: object, tensor: tf.TensorInfo): number {
  return (backend as WasmBackendLike).dataIdMap.get(tensor.dataId).memoryOffset;
}
