// The wasm a·bᵀ kernel: exact against tf.matMul, one kept transpose per large weight buffer
// (reused across calls and clones, not counted as tensors), freed once its source buffer is gone.
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals } from "@std/assert";
import { initBackend } from "../lib/backend.ts";
import { matMulTransposedB } from "../lib/models/batch_matmul.ts";
import { cachedTransposes, MIN_CACHED_ELEMENTS } from "../lib/kernels/wasm_transposed_weights.ts";

function maxAbsDiff(p: tf.Tensor, q: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(p, q))).dataSync()[0]!);
}

Deno.test("wasm a·bᵀ: a kept transpose per large weight, reused, freed after its source", async () => {
  await initBackend({ backend: "wasm" });
  const k = 256, n = MIN_CACHED_ELEMENTS / k; // a weight just large enough to be kept
  const w = tf.randomNormal([n, k], 0, 1, "float32", 5); // (N, K)
  const small = tf.randomNormal([8, k], 0, 1, "float32", 6); // a LoRA-sized factor: not kept
  const a = tf.randomNormal([10, k], 0, 1, "float32", 7); // (M, K)
  const before = cachedTransposes();
  const tensorsBefore = tf.memory().numTensors;
  const c1 = matMulTransposedB(a, w);
  const wClone = tf.clone(w); // shares w's buffer: the same entry
  const c2 = matMulTransposedB(a, wClone);
  const c3 = matMulTransposedB(a, small);
  assertEquals(cachedTransposes(), before + 1);
  const want = tf.matMul(a, w, false, true), wantSmall = tf.matMul(a, small, false, true);
  assert(maxAbsDiff(c1, want) < 1e-4 && maxAbsDiff(c2, want) < 1e-4);
  assert(maxAbsDiff(c3, wantSmall) < 1e-4);
  tf.dispose([c1, c2, c3, want, wantSmall]);
  assertEquals(tf.memory().numTensors, tensorsBefore + 1); // the clone; the kept copy is no tensor
  tf.dispose(w);
  const c4 = matMulTransposedB(a, small);
  assertEquals(cachedTransposes(), before + 1); // the clone still holds the buffer
  tf.dispose(wClone);
  const c5 = matMulTransposedB(a, small); // the next call sweeps the freed source's transpose
  assertEquals(cachedTransposes(), before);
  tf.dispose(c5);
  tf.dispose([c4, a, small]);
});
