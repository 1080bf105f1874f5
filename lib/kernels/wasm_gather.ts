/**
 * A row-copying `GatherV2` for the wasm backend: the embedding lookup.
 *
 * tfjs-backend-wasm's `GatherV2` reads the indices back through `readSync`, checks them one by one
 * and gathers element by element: ~10 ms to look up 1,024 rows of 256 floats (a 1 MB copy), ~1.5%
 * of a training step of the default model and twice that with a consistency pass. For the common
 * case (axis 0, no batch dims, 4-byte values) this kernel checks the indices and copies whole rows
 * with `copyWithin` on the backend's heap; every other case goes to tfjs's kernel. The gradient is
 * tfjs's own for `GatherV2` (which needs `UnsortedSegmentSum`, a kernel tfjs-backend-wasm lacks:
 * a trainable embedding table cannot be trained on wasm either way; loradrop's are frozen).
 *
 * Importing this module replaces the wasm backend's `GatherV2` kernel (it is imported by
 * `lib/backend.ts`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { heapOffsetOf, type WasmBackendLike, wasmMemoryOf } from "./wasm_heap.ts";

const original = tf.getKernel(tf.GatherV2, "wasm");

/**
 * `x[indices]` along axis 0, copying whole rows on the wasm heap; other gathers go to tfjs's
 * kernel.
 *
 * @param args The kernel's inputs (`x`, int32 `indices`), backend and attrs (`axis`,
 *   `batchDims`).
 * @returns The gathered rows, shaped `[...indices.shape, ...x.shape.slice(1)]`.
 * @throws {RangeError} When an index is outside `[0, x.shape[0])`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "wasm" });
 * const table = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
 * const rows = tf.gather(table, tf.tensor1d([2, 0], "int32")); // runs gatherRows
 * assertEquals(rows.arraySync(), [[5, 6], [1, 2]]);
 * ```
 */
export function gatherRows(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
): tf.TensorInfo | tf.TensorInfo[] {
  const { x, indices } = args.inputs;
  const { axis, batchDims } = (args.attrs ?? {}) as { axis?: number; batchDims?: number };
  if (x === undefined || indices === undefined) {
    throw new TypeError("Cannot run GatherV2: expected inputs named x and indices");
  }
  const be = args.backend as WasmBackendLike;
  const memory = wasmMemoryOf(be);
  const rowsAxis = (axis ?? 0) < 0 ? (axis ?? 0) + x.shape.length : axis ?? 0;
  const fast = memory !== undefined && rowsAxis === 0 && (batchDims ?? 0) === 0 &&
    x.shape.length >= 1 && indices.dtype === "int32" &&
    (x.dtype === "float32" || x.dtype === "int32");
  if (!fast) {
    if (original === undefined) {
      throw new Error("Cannot run GatherV2: tfjs-backend-wasm's kernel is not registered");
    }
    return original.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
  }
  const numRows = x.shape[0]!;
  const rowSize = x.shape.slice(1).reduce((p, d) => p * d, 1);
  const count = indices.shape.reduce((p, d) => p * d, 1);
  const out = be.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype); // may grow memory
  const heap = new Int32Array(memory!.buffer); // 4-byte words; float32 rows copy bit for bit
  const xWord = heapOffsetOf(be, x) >>> 2;
  const iWord = heapOffsetOf(be, indices) >>> 2;
  const oWord = heapOffsetOf(be, out) >>> 2;
  for (let i = 0; i < count; i++) {
    const row = heap[iWord + i]!;
    if (row < 0 || row >= numRows) {
      (args.backend as { disposeData(id: object): void }).disposeData(out.dataId);
      throw new RangeError(
        `Cannot run GatherV2: expected indices in [0, ${
          numRows - 1
        }], received ${row} at position ${i}`,
      );
    }
    heap.copyWithin(oWord + i * rowSize, xWord + row * rowSize, xWord + (row + 1) * rowSize);
  }
  return out;
}

if (original !== undefined) {
  tf.unregisterKernel(tf.GatherV2, "wasm");
  tf.registerKernel({
    kernelName: tf.GatherV2,
    backendName: "wasm",
    kernelFunc: gatherRows as unknown as tf.KernelFunc,
    // tfjs's kernel binds its C++ entry point when the backend starts; the fallback needs it.
    ...(original.setupFunc === undefined ? {} : { setupFunc: original.setupFunc }),
  });
}
