// The wasm backend's Identity shares data (no copy) and keeps it alive until the last sharer goes.
import * as tf from "@tensorflow/tfjs-core";
import { assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { initBackend } from "../lib/backend.ts";
import { sharingIdentity } from "../lib/kernels/wasm_identity.ts";

interface WasmBackendLike {
  getMemoryOffset(dataId: object): number;
  numDataIds(): number;
}

Deno.test("wasm Identity: a clone shares the heap data and outlives its source", async () => {
  await initBackend({ backend: "wasm" });
  const backend = tf.backend() as unknown as WasmBackendLike;
  const buffersBefore = backend.numDataIds();
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const y = tf.clone(x);
  assertEquals(backend.getMemoryOffset(y.dataId), backend.getMemoryOffset(x.dataId));
  assertEquals(backend.numDataIds(), buffersBefore + 1); // one buffer, two tensors
  x.dispose();
  assertEquals(y.arraySync(), [[1, 2], [3, 4]]);
  const z = tf.add(y, 1); // a kernel output is a new buffer
  assertNotEquals(backend.getMemoryOffset(z.dataId), backend.getMemoryOffset(y.dataId));
  y.dispose();
  z.dispose();
  assertEquals(backend.numDataIds(), buffersBefore);
});

Deno.test("wasm Identity: gradients through saved (cloned) inputs are unchanged", async () => {
  await initBackend({ backend: "wasm" });
  const x = tf.tensor1d([1, -2, 3]);
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, v)))(x); // saves v twice
  assertEquals(Array.from(g.dataSync()), [2, -4, 6]);
  tf.dispose([x, g]);
  assertThrows(
    () => sharingIdentity({ inputs: {}, backend: tf.backend() }),
    TypeError,
    "an input named x",
  );
});
