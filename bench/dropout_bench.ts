// Cost of each dropout operator per call (forward; mask drawn from a fresh key every call) at
// B = 32, H = 4, T = 64, d = 256 on wasm, next to plain softmax attention and the FFN output
// projection of one layer (attention's products through loradrop's batchMatMul, as in the model,
// and through tf.matMul). Run: deno bench -A bench/dropout_bench.ts
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend.ts";
import { foldIn, randomKey, uniform } from "../lib/random.ts";
import { dropKey } from "../lib/dropout/drop_key.ts";
import { dropAttention } from "../lib/dropout/drop_attention.ts";
import { dropRepresentation } from "../lib/dropout/drop_representation.ts";
import type { DropPattern, ResolvedDrop } from "../lib/dropout/spec.ts";
import { batchMatMul } from "../lib/models/batch_matmul.ts";

await initBackend({ backend: (Deno.env.get("LORADROP_BACKEND") ?? "wasm") as "wasm" | "cpu" });

const [B, H, T, D] = [32, 4, 64, 256];
const DH = D / H;
const RATE = 0.1;

function randomTensor(seed: number, shape: number[]): tf.Tensor {
  const u = uniform(randomKey(seed), shape.reduce((a, b) => a * b, 1));
  return tf.tensor(u.map((x) => 2 * x - 1), shape);
}

const q = randomTensor(1, [B, H, T, DH]) as tf.Tensor4D;
const kT = tf.transpose(randomTensor(2, [B, H, T, DH]), [0, 1, 3, 2]) as tf.Tensor4D; // (B, H, dh, T)
const v = randomTensor(3, [B, H, T, DH]) as tf.Tensor4D;
const logits = tf.matMul(q, kT) as tf.Tensor4D; // (B, H, T, T)
const weights = tf.softmax(logits) as tf.Tensor4D;
const hidden = randomTensor(4, [B, T, D]);
const ffnIn = randomTensor(5, [B * T, 4 * D]) as tf.Tensor2D; // (B·T, 4d)
const ffnKernel = randomTensor(6, [4 * D, D]) as tf.Tensor2D; // (4d, d)
const tokenMask = tf.ones([B, T]) as tf.Tensor2D;
const attentionReceived = tf.sum(weights, [1, 2]) as tf.Tensor2D; // (B, T)

let step = 0;
const nextCtx = () => ({ training: true, key: foldIn(randomKey(0), step++) });

Deno.bench("baseline: softmax attention (QKᵀ, softmax, ·V)", { group: "reference" }, () => {
  tf.dispose(tf.tidy(() => batchMatMul(tf.softmax(batchMatMul(q, kT)), v)));
});
Deno.bench("  the same with tf.matMul (tfjs's kernel)", { group: "reference" }, () => {
  tf.dispose(tf.tidy(() => tf.matMul(tf.softmax(tf.matMul(q, kT)), v)));
});
Deno.bench("baseline: softmax alone (B,H,T,T)", { group: "reference" }, () => {
  tf.dispose(tf.softmax(logits));
});
Deno.bench("baseline: FFN output projection (B·T,4d)×(4d,d)", { group: "reference" }, () => {
  tf.dispose(tf.matMul(ffnIn, ffnKernel));
});

for (const pattern of ["element", "column", "span"] as DropPattern[]) {
  const dk: ResolvedDrop = { position: "attention-logits", pattern, rate: RATE };
  const da: ResolvedDrop = { position: "attention-weights", pattern, rate: RATE };
  Deno.bench(`dropKey ${pattern}`, { group: "attention" }, () => {
    tf.dispose(dropKey(logits, dk, nextCtx(), { tokenMask }));
  });
  Deno.bench(`dropAttention ${pattern} (NoGrad)`, { group: "attention" }, () => {
    tf.dispose(dropAttention(weights, da, nextCtx(), { tokenMask }));
  });
}

const representations: [string, ResolvedDrop][] = [
  ["element", { position: "hidden", pattern: "element", rate: RATE }],
  ["column-feature", { position: "hidden", pattern: "column-feature", rate: RATE }],
  ["column-token", { position: "hidden", pattern: "column-token", rate: RATE }],
  ["span uniform", { position: "hidden", pattern: "span", rate: RATE }],
  ["span attention-top40", {
    position: "hidden",
    pattern: "span",
    rate: RATE,
    spanStart: "attention-top40",
  }],
];
for (const [name, drop] of representations) {
  Deno.bench(`dropRepresentation ${name}`, { group: "representation" }, () => {
    tf.dispose(dropRepresentation(hidden, drop, nextCtx(), { tokenMask, attentionReceived }));
  });
}

Deno.bench("forward+backward: softmax ∘ dropKey column", { group: "gradient" }, () => {
  const ctx = nextCtx();
  const drop: ResolvedDrop = { position: "attention-logits", pattern: "column", rate: RATE };
  tf.dispose(
    tf.grad((l: tf.Tensor) => tf.sum(tf.softmax(dropKey(l as tf.Tensor4D, drop, ctx))))(logits),
  );
});
Deno.bench("forward+backward: dropAttention column ∘ softmax", { group: "gradient" }, () => {
  const ctx = nextCtx();
  const drop: ResolvedDrop = { position: "attention-weights", pattern: "column", rate: RATE };
  tf.dispose(
    tf.grad((l: tf.Tensor) =>
      tf.sum(tf.mul(dropAttention(tf.softmax(l) as tf.Tensor4D, drop, ctx), logits))
    )(logits),
  );
});
Deno.bench("forward+backward: softmax alone", { group: "gradient", baseline: true }, () => {
  tf.dispose(tf.grad((l: tf.Tensor) => tf.sum(tf.mul(tf.softmax(l), logits)))(logits));
});
