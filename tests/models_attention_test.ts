// Attention, FFN and the batched matmul: against a plain float64 reference, padding and causal
// masks, the attention-received score, and the hook points' keys.
import * as tf from "@tensorflow/tfjs-core";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertNotEquals,
  assertThrows,
} from "@std/assert";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import { multiHeadAttention } from "../lib/models/attention.ts";
import { batchMatMul } from "../lib/models/batch_matmul.ts";
import { activate, feedForward } from "../lib/models/ffn.ts";
import { layerNorm } from "../lib/models/layer_norm.ts";
import { dropContextAt } from "../lib/models/drop_context.ts";
import { foldIn, randomKey } from "../lib/random.ts";
import type { Tensor2D, Tensor3D } from "../lib/types.ts";

const lin = (i: number, o: number, seed: number) => ({
  kernel: tf.randomNormal([i, o], 0, 0.5, "float32", seed) as Tensor2D,
  bias: tf.randomNormal([o], 0, 0.1, "float32", seed + 1) as tf.Tensor1D,
});

/** softmax(q·kᵀ·s + bias)·v per head, in float64 plain JS; x (T, D) for one sequence. */
function referenceAttention(
  x: number[][],
  w: { q: number[][]; k: number[][]; v: number[][] },
  bq: number[],
  bk: number[],
  bv: number[],
  heads: number,
  dh: number,
  mask: number[],
  causal: boolean,
): number[][] {
  const proj = (m: number[][], b: number[]) =>
    x.map((row) => b.map((bb, j) => bb + row.reduce((s, xi, i) => s + xi * m[i]![j]!, 0)));
  const q = proj(w.q, bq), k = proj(w.k, bk), v = proj(w.v, bv);
  const t = x.length;
  return Array.from({ length: t }, (_, i) => {
    const out: number[] = [];
    for (let h = 0; h < heads; h++) {
      const logits = Array.from({ length: t }, (_, j) => {
        let s = 0;
        for (let d = 0; d < dh; d++) s += q[i]![h * dh + d]! * k[j]![h * dh + d]!;
        s /= Math.sqrt(dh);
        if (mask[j] === 0 || (causal && j > i)) s += -1e9;
        return s;
      });
      const m = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let d = 0; d < dh; d++) {
        out.push(e.reduce((s, ej, j) => s + (ej / z) * v[j]![h * dh + d]!, 0));
      }
    }
    return out;
  });
}

for (const causal of [false, true]) {
  testOnBackends(`multiHeadAttention matches a float64 reference (causal ${causal})`, () => {
    const [t, d, heads, dh] = [5, 6, 2, 3];
    const inner = heads * dh;
    const q = lin(d, inner, 1), k = lin(d, inner, 3), v = lin(d, inner, 5);
    const eye = { kernel: tf.eye(inner) as Tensor2D };
    const x = tf.randomNormal([1, t, d], 0, 1, "float32", 7) as Tensor3D;
    const mask = [1, 1, 1, 1, 0];
    const out = tf.tidy(() =>
      multiHeadAttention(x, { q, k, v, o: eye }, {}, { numHeads: heads, headDim: dh, causal }, {
        plan: { drops: [] },
        layer: 0,
        numLayers: 1,
        loraScale: 1,
        tokenMask: tf.tensor2d([mask]),
      }, { training: false }).output
    );
    const arr = (m: tf.Tensor) => m.arraySync() as number[][];
    const ref = referenceAttention(
      (x.arraySync() as number[][][])[0]!,
      { q: arr(q.kernel), k: arr(k.kernel), v: arr(v.kernel) },
      Array.from(q.bias.dataSync()),
      Array.from(k.bias.dataSync()),
      Array.from(v.bias.dataSync()),
      heads,
      dh,
      mask,
      causal,
    );
    const got = (out.arraySync() as number[][][])[0]!;
    for (let i = 0; i < t; i++) {
      for (let j = 0; j < inner; j++) assertAlmostEquals(got[i]![j]!, ref[i]![j]!, 1e-4);
    }
    tf.dispose([q.kernel, q.bias, k.kernel, k.bias, v.kernel, v.bias, eye.kernel, x, out]);
  });
}

testOnBackends("fused and separate q|k|v projections give the same attention", () => {
  const [d, heads, dh] = [8, 2, 4];
  const inner = heads * dh;
  const qkv = lin(d, 3 * inner, 11);
  const o = lin(inner, d, 13);
  const x = tf.randomNormal([2, 4, d], 0, 1, "float32", 17) as Tensor3D;
  const opts = { plan: { drops: [] }, layer: 0, numLayers: 1, loraScale: 1 };
  const diff = tf.tidy(() => {
    const [kq, kk, kv] = tf.split(qkv.kernel, 3, 1) as Tensor2D[];
    const [bq, bk, bv] = tf.split(qkv.bias, 3, 0) as tf.Tensor1D[];
    const fused = multiHeadAttention(x, { qkv, o }, {}, { numHeads: heads, headDim: dh }, opts, {
      training: false,
    }).output;
    const separate = multiHeadAttention(
      x,
      {
        q: { kernel: kq!, bias: bq! },
        k: { kernel: kk!, bias: bk! },
        v: { kernel: kv!, bias: bv! },
        o,
      },
      {},
      { numHeads: heads, headDim: dh },
      opts,
      { training: false },
    ).output;
    return tf.max(tf.abs(tf.sub(fused, separate))).dataSync()[0]!;
  });
  assert(diff < 1e-6, `difference ${diff}`);
  tf.dispose([qkv.kernel, qkv.bias, o.kernel, o.bias, x]);
});

testOnBackends("attentionReceived: each real query gives weight 1, padding keys get ~0", () => {
  const qkv = lin(4, 12, 21), o = lin(4, 4, 23);
  const x = tf.randomNormal([2, 4, 4], 0, 1, "float32", 25) as Tensor3D;
  const mask = tf.tensor2d([[1, 1, 1, 1], [1, 1, 0, 0]]);
  const { output, attentionReceived } = multiHeadAttention(
    x,
    { qkv, o },
    {},
    { numHeads: 2, headDim: 2 },
    {
      plan: { drops: [] },
      layer: 0,
      numLayers: 1,
      loraScale: 1,
      tokenMask: mask as Tensor2D,
      returnAttentionReceived: true,
    },
    { training: false },
  );
  const r = attentionReceived!.arraySync() as number[][];
  assertAlmostEquals(r[0]!.reduce((a, b) => a + b), 4, 1e-4);
  assertAlmostEquals(r[1]!.reduce((a, b) => a + b), 2, 1e-4);
  assert(r[1]![2]! < 1e-6 && r[1]![3]! < 1e-6);
  tf.dispose([qkv.kernel, qkv.bias, o.kernel, o.bias, x, mask, output, attentionReceived!]);
});

testOnBackends("multiHeadAttention rejects mismatched shapes with the expected shape", () => {
  const qkv = lin(4, 12, 31), o = lin(6, 4, 33);
  const x = tf.zeros([1, 3, 5]) as Tensor3D;
  const opts = { plan: { drops: [] }, layer: 0, numLayers: 1, loraScale: 1 };
  assertThrows(
    () =>
      multiHeadAttention(x, { qkv, o }, {}, { numHeads: 2, headDim: 2 }, opts, { training: false }),
    RangeError,
    "the qkv kernel must be (5, 12)",
  );
  assertThrows(
    () =>
      multiHeadAttention(
        tf.zeros([3, 4]) as unknown as Tensor3D,
        { qkv, o },
        {},
        {
          numHeads: 2,
          headDim: 2,
        },
        opts,
        { training: false },
      ),
    RangeError,
    "(B, T, D)",
  );
  tf.dispose([qkv.kernel, qkv.bias, o.kernel, o.bias, x]);
});

testOnBackends("batchMatMul's explicit-transpose gradient equals tf.matMul's", () => {
  const a = tf.randomNormal([2, 3, 4, 5], 0, 1, "float32", 41);
  const b = tf.randomNormal([2, 3, 5, 6], 0, 1, "float32", 43);
  const w = tf.randomNormal([2, 3, 4, 6], 0, 1, "float32", 45);
  const f = (mm: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) =>
    tf.sum(tf.mul(mm(x, y), w));
  const [ga, gb] = tf.grads(f(batchMatMul))([a, b]);
  const [ra, rb] = tf.grads(f((x, y) => tf.matMul(x, y)))([a, b]);
  const d = (p: tf.Tensor, q: tf.Tensor) => tf.max(tf.abs(tf.sub(p, q))).dataSync()[0]!;
  assert(d(ga!, ra!) < 1e-4 && d(gb!, rb!) < 1e-4);
  assertThrows(() => batchMatMul(a, tf.zeros([2, 3, 4, 6])), RangeError, "inner dimensions");
  tf.dispose([a, b, w, ga!, gb!, ra!, rb!]);
});

testOnBackends("feedForward: activations, hidden drop keyed per layer, no leak", async () => {
  const w = { in: lin(4, 8, 51), out: lin(8, 4, 53) };
  const x = tf.randomNormal([2, 3, 4], 0, 1, "float32", 55) as Tensor3D;
  const plan = { drops: [{ position: "hidden", pattern: "element", rate: 0.5 }] } as const;
  const run = (layer: number, key = randomKey(0)) =>
    tf.tidy(() =>
      Array.from(
        feedForward(x, w, {}, { activation: "gelu", plan, layer, numLayers: 2, loraScale: 1 }, {
          training: true,
          key,
        }).dataSync(),
      )
    );
  assertEquals(run(0), run(0));
  assertNotEquals(run(0), run(1));
  await assertNoLeak("feedForward", () => void run(1));
  const g = activate(tf.tensor1d([-1, 0, 2]), "gelu").dataSync();
  // 0.5·x·(1 + erf(x/√2)) at -1 and 2
  assertAlmostEquals(g[0]!, -0.158655, 1e-5);
  assertAlmostEquals(g[2]!, 1.954500, 1e-5);
  assertThrows(() => activate(x, "swish" as "relu"), TypeError, '"swish"');
  tf.dispose([w.in.kernel, w.in.bias, w.out.kernel, w.out.bias, x]);
});

testOnBackends("layerNorm normalises the last axis and checks sizes", () => {
  const x = tf.tensor2d([[1, 2, 3, 4], [2, 2, 2, 6]]);
  const y = layerNorm(x, { gamma: tf.ones([4]), beta: tf.zeros([4]) }, 1e-12);
  const m = tf.moments(y, -1);
  for (const v of m.mean.dataSync()) assertAlmostEquals(v, 0, 1e-6);
  for (const v of m.variance.dataSync()) assertAlmostEquals(v, 1, 1e-4);
  assertThrows(
    () => layerNorm(x, { gamma: tf.ones([3]), beta: tf.zeros([3]) }, 1e-6),
    RangeError,
    "size 4",
  );
});

Deno.test("dropContextAt derives the documented keys", () => {
  const key = randomKey(9);
  assertEquals(
    dropContextAt({ training: true, key }, 2, "attention-logits").key,
    foldIn(foldIn(key, 2), 0),
  );
  assertEquals(
    dropContextAt({ training: true, key }, 2, "lora-input", "v").key,
    foldIn(foldIn(foldIn(key, 2), 3), 2),
  );
});
