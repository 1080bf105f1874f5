// Test helper run as a subprocess by backend_wasm_threads_test.ts (the thread count of the wasm
// backend is fixed per process): `deno run ... tests/_wasm_threads_probe.ts [THREADS]` starts the
// wasm backend (with THREADS threads when given), computes a matmul and a small gradient on fixed
// inputs, tries a second, different thread count, and prints one JSON line. It never calls
// Deno.exit: the test checks that the process ends by itself.
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend.ts";

const threads = Deno.args[0] === undefined ? undefined : Number(Deno.args[0]);
const info = await initBackend(
  threads === undefined ? { backend: "wasm" } : { backend: "wasm", threads },
);

/** Fixed, seed-free inputs of size O(1): sin over the flat index. */
function wave(shape: [number, number], phase: number): tf.Tensor2D {
  const n = shape[0] * shape[1];
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.sin(0.37 * i + phase) / 4;
  return tf.tensor2d(v, shape);
}

const x = wave([256, 128], 0); // (B, K)
const w = wave([128, 64], 1); // (K, N)
const y = wave([256, 64], 2); // (B, N)
const product = tf.matMul(x, w); // (B, N)
const loss = (weights: tf.Tensor) =>
  tf.tidy(() => tf.sum(tf.mul(tf.relu(tf.matMul(x, weights)), y)) as tf.Scalar);
const gradient = tf.grad(loss)(w); // (K, N)

let mismatch = "";
try {
  await initBackend({ backend: "wasm", threads: (info.threads ?? 1) === 2 ? 3 : 2 });
} catch (error) {
  mismatch = (error as Error).message;
}

console.log(JSON.stringify({
  info,
  product: Array.from(product.dataSync()),
  gradient: Array.from(gradient.dataSync()),
  mismatch,
}));
tf.dispose([x, w, y, product, gradient]);
