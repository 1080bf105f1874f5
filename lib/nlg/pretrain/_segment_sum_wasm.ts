// tfjs-backend-wasm 4.22 has no UnsortedSegmentSum kernel, which the gradient of `tf.gather`
// (the token-embedding lookup) needs: pretraining the embeddings fails on wasm without it. This
// registers a plain-JS kernel (a scatter-add over rows) for the wasm backend.
import * as tf from "@tensorflow/tfjs-core";

interface WasmLike {
  readSync(dataId: unknown): ArrayLike<number>;
  makeOutput(
    shape: number[],
    dtype: tf.DataType,
    memoryOffset?: number,
    values?: unknown,
  ): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array;
}

let registered = false;

/** Registers the kernel once (no-op when wasm already has one). */
export function ensureWasmSegmentSum(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel("UnsortedSegmentSum", "wasm") !== undefined) return;
  tf.registerKernel({
    kernelName: "UnsortedSegmentSum",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const wasm = backend as unknown as WasmLike;
      const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
      const inner = x.shape.slice(segmentIds.shape.length);
      const width = inner.reduce((a, b) => a * b, 1);
      const xs = wasm.readSync(x.dataId);
      const ids = wasm.readSync(segmentIds.dataId);
      const out = wasm.makeOutput([numSegments, ...inner], x.dtype);
      const values = wasm.typedArrayFromHeap(out);
      values.fill(0);
      for (let r = 0; r < rows; r++) {
        const s = ids[r]!;
        if (s < 0 || s >= numSegments) continue;
        const from = r * width, to = s * width;
        for (let j = 0; j < width; j++) values[to + j]! += xs[from + j]!;
      }
      return out;
    },
  });
}
