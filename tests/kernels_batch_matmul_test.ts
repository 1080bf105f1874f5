// The wasm SIMD batched matmul (lib/kernels): embedded bytes match the .wat source, products and
// gradients match a float64 reference on every tile/tail shape (4×8 tiles, 4-column and 1-column
// tails, leftover rows), and nothing leaks.
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../lib/backend.ts";
import { batchMatMul, matMulTransposedA, matMulTransposedB } from "../lib/models/batch_matmul.ts";
import { wasmBatchMatMulInfo, wasmBatchMatMulSupports } from "../lib/kernels/wasm_batch_matmul.ts";
import {
  BATCH_MATMUL_SHARED_WASM_BASE64,
  BATCH_MATMUL_WASM_BASE64,
} from "../lib/kernels/batch_matmul_wasm.ts";
import { assembleWat } from "../tools/_wat.ts";
import { sharedMemoryVariant } from "../tools/build_wasm_kernels.ts";
import { assertNoLeak, testOnBackends } from "./_backends.ts";

const ROOT = new URL("..", import.meta.url);

Deno.test("the embedded batch-matmul bytes are the assembled batch_matmul.wat", async () => {
  const source = await Deno.readTextFile(new URL("lib/kernels/batch_matmul.wat", ROOT));
  const rebuild = "run `deno run -A tools/build_wasm_kernels.ts` after editing the .wat";
  const bytes = await assembleWat(source, "batch_matmul.wat");
  assertEquals(BATCH_MATMUL_WASM_BASE64, bytes.toBase64(), rebuild);
  const shared = await assembleWat(sharedMemoryVariant(source, "batch_matmul.wat"), "shared");
  assertEquals(BATCH_MATMUL_SHARED_WASM_BASE64, shared.toBase64(), rebuild);
});

/** `(batch, M, K)·(batch, K, N)` in float64, row-major flat arrays. */
function referenceProduct(
  a: Float32Array,
  b: Float32Array,
  batch: number,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const c = new Float64Array(batch * m * n);
  for (let z = 0; z < batch; z++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[z * m * k + i * k + p]! * b[z * k * n + p * n + j]!;
        c[z * m * n + i * n + j] = s;
      }
    }
  }
  return c;
}

function maxRelError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0, scale = 1e-6;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  return worst / scale;
}

// 4×8 tiles, a 4-column tail (N % 8 = 4), 1-3 single columns, leftover rows (M % 4 ≠ 0), K = 1,
// and attention's shapes (T = 30: no multiple of 4).
const SHAPES: readonly [number, number, number, number][] = [
  [3, 4, 5, 8],
  [2, 7, 3, 12],
  [1, 1, 1, 4],
  [5, 6, 1, 20],
  [8, 32, 64, 32],
  [2, 33, 17, 36],
  [2, 5, 7, 1],
  [3, 9, 4, 15],
  [4, 30, 64, 30],
];

testOnBackends("batchMatMul matches a float64 reference on tile and tail shapes", async () => {
  for (const [batch, m, k, n] of SHAPES) {
    const a = tf.randomNormal([batch, m, k], 0, 1, "float32", m * 7 + k) as tf.Tensor3D;
    const b = tf.randomNormal([batch, k, n], 0, 1, "float32", n * 5 + k) as tf.Tensor3D;
    await assertNoLeak(`batchMatMul ${batch}x${m}x${k}x${n}`, () => {
      const c = batchMatMul(a, b);
      assertEquals(c.shape, [batch, m, n]);
      const want = referenceProduct(
        a.dataSync() as Float32Array,
        b.dataSync() as Float32Array,
        batch,
        m,
        k,
        n,
      );
      const err = maxRelError(c.dataSync(), want);
      assert(err < 1e-5, `shape ${[batch, m, k, n]}: relative error ${err}`);
      c.dispose();
    });
    tf.dispose([a, b]);
  }
});

testOnBackends(
  "batchMatMul's lazy gradients match the float64 reference (A·B and Aᵀ paths)",
  async () => {
    // d/dA Σ W⊙(A·B) = W·Bᵀ and d/dB = Aᵀ·W: check both, and each alone.
    const [batch, m, k, n] = [3, 6, 5, 8];
    const a = tf.randomNormal([batch, m, k], 0, 1, "float32", 1) as tf.Tensor3D;
    const b = tf.randomNormal([batch, k, n], 0, 1, "float32", 2) as tf.Tensor3D;
    const w = tf.randomNormal([batch, m, n], 0, 1, "float32", 3) as tf.Tensor3D;
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(batchMatMul(x, y), w));
    const bT = tf.transpose(b, [0, 2, 1]), aT = tf.transpose(a, [0, 2, 1]);
    const wantA = referenceProduct(
      w.dataSync() as Float32Array,
      bT.dataSync() as Float32Array,
      batch,
      m,
      n,
      k,
    );
    const wantB = referenceProduct(
      aT.dataSync() as Float32Array,
      w.dataSync() as Float32Array,
      batch,
      k,
      m,
      n,
    );
    await assertNoLeak("batchMatMul gradients", () => {
      const [ga, gb] = tf.grads(f)([a, b]);
      assert(maxRelError(ga!.dataSync(), wantA) < 1e-5);
      assert(maxRelError(gb!.dataSync(), wantB) < 1e-5);
      const onlyB = tf.grad((y: tf.Tensor) => f(a, y))(b);
      assert(maxRelError(onlyB.dataSync(), wantB) < 1e-5);
      tf.dispose([ga!, gb!, onlyB]);
    });
    tf.dispose([a, b, w, aT, bT]);
  },
);

Deno.test("wasmBatchMatMul: the kernel reads Aᵀ through strides, and rejects what it cannot compute", async () => {
  await initBackend({ backend: "wasm" }); // LORADROP_WASM_THREADS=2 runs this on the shared memory
  const a = tf.randomNormal([2, 5, 3], 0, 1, "float32", 9) as tf.Tensor3D; // (batch, K, M)
  const b = tf.randomNormal([2, 5, 4], 0, 1, "float32", 10) as tf.Tensor3D; // (batch, K, N)
  const info = wasmBatchMatMulInfo(tf.backend(), a, b, true);
  const c = tf.engine().makeTensorFromTensorInfo(info);
  const want = tf.matMul(a, b, true, false);
  assert(maxRelError(c.dataSync(), want.dataSync()) < 1e-5);
  assert(wasmBatchMatMulSupports([2, 3, 5], [2, 5, 6], false));
  assert(!wasmBatchMatMulSupports([2, 3, 5], [3, 5, 8], false));
  assert(!wasmBatchMatMulSupports([3, 5], [5, 8], false));
  const wrong = tf.zeros([2, 3, 6]);
  assertThrows(
    () => wasmBatchMatMulInfo(tf.backend(), a, wrong, true),
    RangeError,
    "equal batch axes",
  );
  assertThrows(() => wasmBatchMatMulInfo({}, a, b, true), Error, "not tfjs-backend-wasm");
  tf.dispose([a, b, c, want, wrong]);
});

testOnBackends(
  "matMulTransposedA and matMulTransposedB equal xᵀ·dy and dy·Wᵀ",
  async () => {
    for (const n of [8, 6]) {
      const a = tf.randomNormal([9, 5], 0, 1, "float32", n) as tf.Tensor2D; // (K, M)
      const b = tf.randomNormal([9, n], 0, 1, "float32", n + 1) as tf.Tensor2D; // (K, N)
      const aT = tf.transpose(a);
      const want = referenceProduct(
        aT.dataSync() as Float32Array,
        b.dataSync() as Float32Array,
        1,
        5,
        9,
        n,
      );
      await assertNoLeak(`matMulTransposedA N=${n}`, () => {
        const c = matMulTransposedA(a, b);
        assertEquals(c.shape, [5, n]);
        assert(maxRelError(c.dataSync(), want) < 1e-5);
        c.dispose();
      });
      assertThrows(() => matMulTransposedA(a, aT), RangeError, "(K, M) and (K, N)");
      // aᵀ·b again, as (aᵀ)·(bᵀ)ᵀ through matMulTransposedB
      const bT = tf.transpose(b);
      await assertNoLeak(`matMulTransposedB N=${n}`, () => {
        const c = matMulTransposedB(aT, bT);
        assert(maxRelError(c.dataSync(), want) < 1e-5);
        c.dispose();
      });
      assertThrows(() => matMulTransposedB(aT, b), RangeError, "(N, K)");
      tf.dispose([a, b, aT, bT]);
    }
  },
);
