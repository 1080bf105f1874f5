/**
 * A SIMD batched matrix product that runs inside the tfjs wasm backend's own memory.
 *
 * tfjs-backend-wasm sends every batched product whose right operand has a batch axis (attention's
 * `Q·Kᵀ` and `P·V`) to a scalar fallback loop that runs at ~2 GFLOP/s here; XNNPACK only serves
 * 2-D weights. This module instantiates the hand-written kernel in `batch_matmul.wat` against the
 * backend's `WebAssembly.Memory` and computes `op(A)·B` in place on the tensors' heap offsets:
 * no copies in or out.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import { BATCH_MATMUL_SHARED_WASM_BASE64, BATCH_MATMUL_WASM_BASE64 } from "./batch_matmul_wasm.ts";
import { heapOffsetOf, type WasmBackendLike, wasmMemoryOf } from "./wasm_heap.ts";

type BatchMatMulFn = (
  a: number,
  b: number,
  c: number,
  batch: number,
  m: number,
  k: number,
  n: number,
  sab: number,
  sai: number,
  sak: number,
  sbb: number,
  scb: number,
) => void;

const compiled = new Map<boolean, WebAssembly.Module>();
const instances = new WeakMap<WebAssembly.Memory, BatchMatMulFn>();

function kernelFor(memory: WebAssembly.Memory): BatchMatMulFn {
  let fn = instances.get(memory);
  if (fn === undefined) {
    // tfjs's multi-threaded build shares its memory: the kernel must declare a shared import.
    const shared = typeof SharedArrayBuffer !== "undefined" &&
      memory.buffer instanceof SharedArrayBuffer;
    let module = compiled.get(shared);
    if (module === undefined) {
      const b64 = shared ? BATCH_MATMUL_SHARED_WASM_BASE64 : BATCH_MATMUL_WASM_BASE64;
      module = new WebAssembly.Module(Uint8Array.fromBase64(b64));
      compiled.set(shared, module);
    }
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    fn = instance.exports.batchMatMul as BatchMatMulFn;
    instances.set(memory, fn);
  }
  return fn;
}

/**
 * Whether {@linkcode wasmBatchMatMulInfo} can compute a product of these shapes: operands of rank
 * ≥ 3 with equal batch axes and matching inner sizes.
 *
 * @param a The left operand's shape: `(..., M, K)`, or `(..., K, M)` when `transposeA`.
 * @param b The right operand's shape `(..., K, N)`.
 * @param transposeA Whether the left operand is read transposed.
 * @returns True when the SIMD kernel applies.
 * @example
 * ```ts
 * import { wasmBatchMatMulSupports } from "./wasm_batch_matmul.ts";
 * import { assert } from "@std/assert";
 * assert(wasmBatchMatMulSupports([2, 3, 5], [2, 5, 6], false));
 * assert(!wasmBatchMatMulSupports([2, 3, 5], [3, 5, 6], false)); // batch axes differ
 * ```
 */
export function wasmBatchMatMulSupports(
  a: readonly number[],
  b: readonly number[],
  transposeA: boolean,
): boolean {
  const r = a.length;
  if (r < 3 || b.length !== r) return false;
  for (let i = 0; i < r - 2; i++) if (a[i] !== b[i]) return false;
  const k = transposeA ? a[r - 2] : a[r - 1];
  return k === b[r - 2];
}

/**
 * `op(A)·B` over the last two axes on the wasm backend, where `op` transposes `A`'s last two axes
 * when `transposeA` (read through strides, never copied). Called from a kernel function: takes and
 * returns the backend's `TensorInfo`s. The caller checks {@linkcode wasmBatchMatMulSupports}.
 *
 * @param backend The tfjs-backend-wasm backend object (`tf.backend()` on wasm).
 * @param a The left operand, float32 `(..., M, K)` (`(..., K, M)` when `transposeA`).
 * @param b The right operand, float32 `(..., K, N)`.
 * @param transposeA Whether to read `a` transposed.
 * @returns The product `(..., M, N)`, allocated on the backend.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { wasmBatchMatMulInfo } from "./wasm_batch_matmul.ts";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "wasm" });
 * const a = tf.tensor3d([[[1, 2]]]), b = tf.tensor3d([[[1, 2, 3, 4], [5, 6, 7, 8]]]);
 * const out = wasmBatchMatMulInfo(tf.backend(), a, b, false);
 * const c = tf.engine().makeTensorFromTensorInfo(out);
 * assertEquals(c.arraySync(), [[[11, 14, 17, 20]]]);
 * tf.dispose([a, b, c]);
 * ```
 */
export function wasmBatchMatMulInfo(
  backend: object,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
): tf.TensorInfo {
  if (!wasmBatchMatMulSupports(a.shape, b.shape, transposeA)) {
    throw new RangeError(
      `Cannot run wasmBatchMatMul: expected (..., M, K)·(..., K, N) with equal batch axes${
        transposeA ? " (A transposed)" : ""
      }, received shapes [${a.shape}] and [${b.shape}]`,
    );
  }
  if (a.dtype !== "float32" || b.dtype !== "float32") {
    throw new TypeError(
      `Cannot run wasmBatchMatMul: expected float32 tensors, received ${a.dtype} and ${b.dtype}`,
    );
  }
  const memory = wasmMemoryOf(backend);
  if (memory === undefined) {
    throw new Error(`Cannot run wasmBatchMatMul: the backend is not tfjs-backend-wasm`);
  }
  const r = a.shape.length;
  const lead = a.shape.slice(0, r - 2);
  const batch = lead.reduce((p, d) => p * d, 1);
  const [m, k] = transposeA
    ? [a.shape[r - 1]!, a.shape[r - 2]!]
    : [a.shape[r - 2]!, a.shape[r - 1]!];
  const n = b.shape[r - 1]!;
  const out = (backend as WasmBackendLike).makeOutput([...lead, m, n], "float32"); // (..., M, N)
  const offset = (t: tf.TensorInfo) => heapOffsetOf(backend, t);
  kernelFor(memory)(
    offset(a),
    offset(b),
    offset(out),
    batch,
    m,
    k,
    n,
    m * k,
    transposeA ? 1 : k,
    transposeA ? m : 1,
    k * n,
    m * n,
  );
  return out;
}
