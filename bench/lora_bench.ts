// loraLinear forward + backward on wasm at 32·64 = 2048 tokens, in = out = 256 and 512, r = 8:
// linearMatMul (explicit transposes, lazy per-input gradients) against the same layer built on
// tf.matMul (whose gradient uses the transposeA/B flags, slow on wasm; see BENCHMARKS.md).
// Gradients are taken for x (as a lower LoRA layer needs), A and B; W is frozen.
// Run: deno bench -A bench/lora_bench.ts   (LORADROP_BENCH_BACKEND=cpu to compare backends)
import * as tf from "@tensorflow/tfjs-core";
import { type BackendName, initBackend } from "../lib/backend.ts";
import { randomKey, uniform } from "../lib/random.ts";
import { loraLinear } from "../lib/lora/mod.ts";

const backend = (Deno.env.get("LORADROP_BENCH_BACKEND") ?? "wasm") as BackendName;
await initBackend({ backend });

const TOKENS = 32 * 64, R = 8, SCALE = 2;

function rand(seed: number, shape: [number, number], spread: number): tf.Tensor2D {
  const u = uniform(randomKey(seed), shape[0] * shape[1]).map((v) => (2 * v - 1) * spread);
  return tf.tensor2d(u, shape);
}

/** The same layer on tf.matMul: autodiff's matMul gradient with transpose flags. */
function plainLoraLinear(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  bias: tf.Tensor1D,
  a: tf.Tensor2D,
  b: tf.Tensor2D,
): tf.Tensor2D {
  return tf.tidy(() =>
    tf.add(tf.add(tf.matMul(x, w), bias), tf.matMul(tf.mul(tf.matMul(x, a), SCALE), b))
  );
}

for (const d of [256, 512]) {
  const x = rand(1, [TOKENS, d], 1);
  const w = rand(2, [d, d], 1 / Math.sqrt(d));
  const bias = tf.zeros([d]) as tf.Tensor1D;
  const a = rand(3, [d, R], 1 / Math.sqrt(d));
  const b = rand(4, [R, d], 0.1);
  const g = rand(5, [TOKENS, d], 1);
  const step = (f: (xx: tf.Tensor2D, aa: tf.Tensor2D, bb: tf.Tensor2D) => tf.Tensor) => () => {
    const grads = tf.grads((xx, aa, bb) =>
      tf.sum(tf.mul(g, f(xx as tf.Tensor2D, aa as tf.Tensor2D, bb as tf.Tensor2D)))
    )([x, a, b]);
    for (const t of grads) t.dataSync(); // wait for the backend
    tf.dispose(grads);
  };
  const flops = 2 * TOKENS * d * d * 2 + 2 * TOKENS * R * d * 2 * 3; // base fwd+dx, LoRA fwd+bwd
  const group = `loraLinear fwd+bwd ${backend} ${TOKENS}×${d}→${d} r=${R} (~${
    (flops / 1e9).toFixed(2)
  } GFLOP)`;
  Deno.bench({
    name: `linearMatMul d=${d}`,
    group,
    baseline: true,
    fn: step((xx, aa, bb) =>
      loraLinear(xx, { kernel: w, bias }, { a: aa, b: bb }, { scale: SCALE }, { training: false })
    ),
  });
  Deno.bench({
    name: `tf.matMul d=${d}`,
    group,
    fn: step((xx, aa, bb) => plainLoraLinear(xx, w, bias, aa, bb)),
  });
}
