// The matrix products of a training step of the default model on wasm, one call each: XNNPACK's
// 2-D products at the step's shapes (the floor of a single-threaded step), with a kept right
// operand and with a fresh transpose per call (what kept transposed weights save), and attention's
// batched products through loradrop's SIMD kernel against tfjs-backend-wasm's own BatchMatMul.
// Run: deno bench -A bench/matmul_bench.ts   (GFLOP/s = 2·M·K·N / time)
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend.ts";
import { linearMatMul } from "../lib/lora/linear_matmul.ts";
import { batchMatMul } from "../lib/models/batch_matmul.ts";

await initBackend({ backend: "wasm" });

// 2-D (M, K)·(K, N): FFN in/out and the fused q|k|v projection at 1,024 tokens.
for (const [m, k, n] of [[1024, 512, 512], [1024, 512, 1536], [1024, 1536, 512]] as const) {
  const a = tf.randomNormal([m, k]) as tf.Tensor2D;
  const b = tf.randomNormal([k, n]) as tf.Tensor2D;
  const w = tf.transpose(b) as tf.Tensor2D; // (N, K), a weight stored the other way round
  Deno.bench(`linearMatMul ${m}×${k}·${k}×${n} (${(2 * m * k * n / 1e9).toFixed(2)} GFLOP)`, {
    group: `2-D ${m}×${k}×${n}`,
    baseline: true,
  }, () => {
    linearMatMul(a, b).dispose();
  });
  // XNNPACK packs a new right operand on first sight: a fresh transpose per call repacks.
  Deno.bench("  the same with a fresh tf.transpose(W) per call", {
    group: `2-D ${m}×${k}×${n}`,
  }, () => {
    tf.tidy(() => linearMatMul(a, tf.transpose(w) as tf.Tensor2D)).dispose();
  });
}

// Attention: (B·H = 128 heads of 32 tokens) Q·Kᵀ and P·V at head size 128.
const q = tf.randomNormal([32, 4, 32, 128]) as tf.Tensor4D;
const kT = tf.randomNormal([32, 4, 128, 32]) as tf.Tensor4D;
const p = tf.softmax(tf.randomNormal([32, 4, 32, 32])) as tf.Tensor4D;
const v = tf.randomNormal([32, 4, 32, 128]) as tf.Tensor4D;
const flop = (2 * 128 * 32 * 128 * 32 / 1e9).toFixed(3);
Deno.bench(`Q·Kᵀ loradrop batchMatMul (${flop} GFLOP)`, { group: "scores", baseline: true }, () => {
  batchMatMul(q, kT).dispose();
});
Deno.bench("Q·Kᵀ tf.matMul (tfjs-backend-wasm)", { group: "scores" }, () => {
  tf.matMul(q, kT).dispose();
});
Deno.bench(`P·V loradrop batchMatMul (${flop} GFLOP)`, { group: "context", baseline: true }, () => {
  batchMatMul(p, v).dispose();
});
Deno.bench("P·V tf.matMul (tfjs-backend-wasm)", { group: "context" }, () => {
  tf.matMul(p, v).dispose();
});
