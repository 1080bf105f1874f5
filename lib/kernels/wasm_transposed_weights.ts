/**
 * `a · bᵀ` on the wasm backend with `bᵀ` kept between calls: the input gradient `dY·Wᵀ` of a
 * frozen linear layer.
 *
 * XNNPACK (tfjs-backend-wasm's 2-D product) packs its right operand when it first sees it and
 * caches the packed copy under that operand's buffer. A fresh `tf.transpose(W)` every step meant a
 * transpose plus a repack per product (~5 ms for a 512×1536 weight). This kernel keeps one
 * transposed buffer per source buffer (the saved tensors of a gradient are clones that share their
 * source's buffer), so both the transpose and XNNPACK's packed operator are reused. The cached
 * buffers are backend data, not tensors (they do not count in `tf.memory().numTensors`); one is
 * freed at the next call after its source buffer is gone.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";

/** The kernel name; inputs `a (M, K)` and `b (N, K)`, output `a·bᵀ (M, N)`. */
export const MAT_MUL_TRANSPOSED_B_KERNEL = "LoradropWasmMatMulTransposedB";

/** Right operands smaller than this are transposed per call (LoRA factors, heads). */
export const MIN_CACHED_ELEMENTS = 1 << 16;

interface WasmBackendLike {
  readonly dataIdMap: { has(dataId: object): boolean };
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Source buffer → its transposed copy (backend data). */
const cache = new Map<object, tf.TensorInfo>();

function sweep(backend: WasmBackendLike): void {
  for (const [source, transposed] of cache) {
    if (!backend.dataIdMap.has(source)) {
      backend.disposeData(transposed.dataId, true);
      cache.delete(source);
    }
  }
}

/**
 * The number of transposed buffers currently kept (for tests and benches).
 *
 * @returns How many source buffers have a cached transpose.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { cachedTransposes, MAT_MUL_TRANSPOSED_B_KERNEL } from "./wasm_transposed_weights.ts";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "wasm" });
 * const before = cachedTransposes();
 * const a = tf.ones([2, 256]), w = tf.ones([256, 256]); // w: 65,536 elements, kept
 * tf.engine().runKernel(MAT_MUL_TRANSPOSED_B_KERNEL, { a, b: w }, {});
 * assertEquals(cachedTransposes(), before + 1);
 * ```
 */
export function cachedTransposes(): number {
  return cache.size;
}

const transposeKernel = tf.getKernel(tf.Transpose, "wasm");
const matMulKernel = tf.getKernel(tf.BatchMatMul, "wasm");

/**
 * The kernel function: `a·bᵀ` through XNNPACK with `bᵀ` cached per source buffer when `b` has at
 * least {@linkcode MIN_CACHED_ELEMENTS} elements.
 *
 * @param args The kernel's inputs (`a`, `b`) and backend (tfjs-backend-wasm).
 * @returns The product `(M, N)`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { MAT_MUL_TRANSPOSED_B_KERNEL } from "./wasm_transposed_weights.ts";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "wasm" });
 * const a = tf.tensor2d([[1, 2]]), b = tf.tensor2d([[3, 4], [5, 6]]);
 * const c = tf.engine().runKernel(MAT_MUL_TRANSPOSED_B_KERNEL, { a, b }, {}) as tf.Tensor;
 * assertEquals(c.arraySync(), [[11, 17]]);
 * ```
 */
export function matMulTransposedBCached(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown },
): tf.TensorInfo {
  const { a, b } = args.inputs;
  if (a === undefined || b === undefined || a.shape.length !== 2 || b.shape.length !== 2) {
    throw new RangeError("Cannot run matMulTransposedB: expected two matrices a and b");
  }
  if (transposeKernel === undefined || matMulKernel === undefined) {
    throw new Error("Cannot run matMulTransposedB: tfjs-backend-wasm's kernels are not registered");
  }
  const backend = args.backend as WasmBackendLike & object;
  sweep(backend);
  const transpose = () =>
    transposeKernel.kernelFunc({
      inputs: { x: b },
      backend,
      attrs: { perm: [1, 0] },
    }) as tf.TensorInfo; // (K, N)
  const cacheable = b.shape[0]! * b.shape[1]! >= MIN_CACHED_ELEMENTS;
  let bT = cacheable ? cache.get(b.dataId) : undefined;
  if (bT === undefined) {
    bT = transpose();
    if (cacheable) cache.set(b.dataId, bT);
  }
  const out = matMulKernel.kernelFunc({
    inputs: { a, b: bT },
    backend,
    attrs: { transposeA: false, transposeB: false },
  }) as tf.TensorInfo; // (M, N)
  if (!cacheable) backend.disposeData(bT.dataId);
  return out;
}

tf.registerKernel({
  kernelName: MAT_MUL_TRANSPOSED_B_KERNEL,
  backendName: "wasm",
  kernelFunc: matMulTransposedBCached as unknown as tf.KernelFunc,
});
