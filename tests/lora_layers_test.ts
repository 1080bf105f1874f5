import * as tf from "@tensorflow/tfjs-core";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import { randomKey, uniform } from "../lib/random.ts";
import type { ResolvedDrop } from "../lib/dropout/spec.ts";
import { dropRepresentation } from "../lib/dropout/drop_representation.ts";
import {
  initLora,
  kaimingUniformBound,
  type LinearWeights,
  loraFusedLinear,
  loraLinear,
  loraScale,
  type LoraWeights,
  mergeLora,
  unmergeLora,
  validateLoraConfig,
} from "../lib/lora/mod.ts";

function rand(seed: number, shape: number[], spread = 1): tf.Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const u = uniform(randomKey(seed), n).map((v) => (2 * v - 1) * spread);
  return tf.tensor(u, shape);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

function randomBase(seed: number, inDim: number, outDim: number): LinearWeights {
  return {
    kernel: rand(seed, [inDim, outDim]) as tf.Tensor2D,
    bias: rand(seed + 1, [outDim]) as tf.Tensor1D,
  };
}

function randomAdapter(seed: number, inDim: number, r: number, outDim: number): LoraWeights {
  return {
    a: rand(seed, [inDim, r]) as tf.Tensor2D,
    b: rand(seed + 1, [r, outDim]) as tf.Tensor2D,
  };
}

const elementDrop: ResolvedDrop = { position: "lora-input", pattern: "element", rate: 0.3 };

testOnBackends("loraLinear with a fresh adapter equals x·W + b exactly", async () => {
  const base = randomBase(1, 8, 6);
  const adapter = initLora(randomKey(2), 8, 6, { r: 4, alpha: 16 });
  const x = rand(3, [2, 5, 8]);
  await assertNoLeak("loraLinear at init", () => {
    tf.tidy(() => {
      const expected = tf.reshape(
        tf.add(tf.matMul(tf.reshape(x, [10, 8]), base.kernel), base.bias!),
        [2, 5, 6],
      );
      for (const training of [false, true]) {
        const y = loraLinear(x, base, adapter, { scale: 4, inputDrop: elementDrop }, {
          training,
          key: randomKey(4),
        });
        assertEquals(y.shape, [2, 5, 6]);
        assertEquals(Array.from(y.dataSync()), Array.from(expected.dataSync()));
      }
    });
  });
  tf.dispose([base.kernel, base.bias!, adapter.a, adapter.b, x]);
});

testOnBackends("loraLinear adds scale·x·A·B and drops only the LoRA branch input", () => {
  const base = randomBase(10, 6, 5);
  const adapter = randomAdapter(12, 6, 3, 5);
  const x = rand(14, [3, 4, 6]);
  tf.tidy(() => {
    const x2 = tf.reshape(x, [12, 6]);
    const plain = tf.add(tf.matMul(x2, base.kernel), base.bias!);
    const update = tf.mul(tf.matMul(tf.matMul(x2, adapter.a), adapter.b), 1.5);
    const y = loraLinear(x, base, adapter, { scale: 1.5 }, { training: false });
    assert(maxAbsDiff(y, tf.reshape(tf.add(plain, update), [3, 4, 5])) < 1e-5);
    // Inference: the input drop is an identity.
    const yInfer = loraLinear(x, base, adapter, { scale: 1.5, inputDrop: elementDrop }, {
      training: false,
    });
    assertEquals(Array.from(yInfer.dataSync()), Array.from(y.dataSync()));
    // Training: the base path sees x, the LoRA branch sees dropRepresentation(x) with the same key.
    const key = randomKey(15);
    const yTrain = loraLinear(x, base, adapter, { scale: 1.5, inputDrop: elementDrop }, {
      training: true,
      key,
    });
    const dropped = tf.reshape(dropRepresentation(x, elementDrop, { training: true, key }), [
      12,
      6,
    ]);
    const expected = tf.add(
      plain,
      tf.mul(tf.matMul(tf.matMul(dropped, adapter.a), adapter.b), 1.5),
    );
    assert(maxAbsDiff(yTrain, tf.reshape(expected, [3, 4, 5])) < 1e-5);
    assert(maxAbsDiff(yTrain, y) > 1e-3, "the drop changed nothing");
    // Without a key, training with a drop is an error (no silent identity).
    assertThrows(
      () =>
        loraLinear(x, base, adapter, { scale: 1.5, inputDrop: elementDrop }, { training: true }),
      TypeError,
    );
  });
  tf.dispose([base.kernel, base.bias!, adapter.a, adapter.b, x]);
});

testOnBackends(
  "mergeLora equals the unmerged layer in inference and unmergeLora restores W",
  async () => {
    const base = randomBase(20, 16, 12);
    const adapter = randomAdapter(22, 16, 4, 12);
    const x = rand(24, [2, 7, 16]);
    const scale = loraScale({ r: 4, alpha: 8 });
    await assertNoLeak("merge and unmerge", () => {
      const merged = mergeLora(base, adapter, scale);
      const restored = unmergeLora(merged, adapter, scale);
      tf.tidy(() => {
        const y = loraLinear(x, base, adapter, { scale }, { training: false });
        const yMerged = loraLinear(x, merged, undefined, { scale }, { training: false });
        assert(maxAbsDiff(y, yMerged) < 1e-4, `merged differs by ${maxAbsDiff(y, yMerged)}`);
        assert(maxAbsDiff(merged.kernel, base.kernel) > 1e-2, "merge changed nothing");
        assert(maxAbsDiff(restored.kernel, base.kernel) < 1e-5);
        assertEquals(Array.from(restored.bias!.dataSync()), Array.from(base.bias!.dataSync()));
      });
      // New tensors: disposing them leaves the inputs intact.
      tf.dispose([merged.kernel, merged.bias!, restored.kernel, restored.bias!]);
      assert(!base.kernel.isDisposed && !base.bias!.isDisposed);
    });
    tf.dispose([base.kernel, base.bias!, adapter.a, adapter.b, x]);
  },
);

Deno.test("loraScale is α/r, or α/√r with rsLora, and invalid configs raise naming the value", () => {
  assertEquals(loraScale({ r: 8, alpha: 16 }), 2);
  assertEquals(loraScale({ r: 16, alpha: 16, rsLora: true }), 4);
  assertAlmostEquals(loraScale({ r: 8, alpha: 16, rsLora: true }), 16 / Math.sqrt(8));
  assertEquals(loraScale({ r: 8, alpha: 16, rsLora: false }), 2);
  for (const r of [0, -1, 1.5, NaN]) {
    assertThrows(() => loraScale({ r, alpha: 16 }), RangeError, `received ${r}`);
  }
  for (const alpha of [0, -2, Infinity, NaN]) {
    assertThrows(() => validateLoraConfig({ r: 8, alpha }), RangeError, `received ${alpha}`);
  }
  assertThrows(() => initLora(randomKey(0), 0, 4, { r: 2, alpha: 4 }), RangeError, "inDim");
  assertThrows(() => initLora(randomKey(0), 4, 4, { r: 2.5, alpha: 4 }), RangeError, "2.5");
});

testOnBackends(
  "initLora draws A Kaiming-uniform with bound 1/√in from the key and B = 0",
  async () => {
    const inDim = 256, r = 64;
    const bound = kaimingUniformBound(inDim);
    assertAlmostEquals(bound, 1 / 16, 1e-12);
    assertAlmostEquals(kaimingUniformBound(10, 0), Math.sqrt(6 / 10), 1e-12);
    await assertNoLeak("initLora", () => {
      const { a, b } = initLora(randomKey(7), inDim, 32, { r, alpha: 16 });
      assert(a.trainable && b.trainable);
      assertEquals(a.shape, [inDim, r]);
      assertEquals(b.shape, [r, 32]);
      const values = a.dataSync();
      const n = values.length;
      let sum = 0, sq = 0, max = 0;
      for (const v of values) {
        sum += v;
        sq += v * v;
        max = Math.max(max, Math.abs(v));
      }
      const mean = sum / n, variance = sq / n - mean * mean;
      assert(max <= bound && max > 0.99 * bound, `max |a| ${max}, bound ${bound}`);
      // U(−c, c): mean 0 (sd c/√(3n)), variance c²/3.
      assert(Math.abs(mean) < 4 * bound / Math.sqrt(3 * n), `mean ${mean}`);
      assert(Math.abs(variance / (bound * bound / 3) - 1) < 0.03, `variance ${variance}`);
      assertEquals(Array.from(b.dataSync()).every((v) => v === 0), true);
      // Same key → same A; another key → another A.
      const again = initLora(randomKey(7), inDim, 32, { r, alpha: 16 });
      const other = initLora(randomKey(8), inDim, 32, { r, alpha: 16 });
      assertEquals(maxAbsDiff(again.a, a), 0);
      assert(maxAbsDiff(other.a, a) > 0.01);
      tf.dispose([a, b, again.a, again.b, other.a, other.b]);
    });
  },
);

testOnBackends(
  "loraFusedLinear equals separate loraLinear calls on the kernel's column blocks",
  async () => {
    const d = 5, inDim = 7;
    const base = randomBase(30, inDim, 3 * d);
    const q = randomAdapter(32, inDim, 2, d), v = randomAdapter(34, inDim, 3, d);
    const x = rand(36, [2, 3, inDim]);
    const options = { scale: 2, inputDrop: elementDrop };
    await assertNoLeak("loraFusedLinear", () => {
      tf.tidy(() => {
        const blocks = tf.split(base.kernel, 3, 1) as tf.Tensor2D[];
        const biases = tf.split(base.bias!, 3) as tf.Tensor1D[];
        for (const training of [false, true]) {
          const ctx = { training, key: randomKey(37) };
          const fused = loraFusedLinear(
            x,
            base,
            [{ size: d, adapter: q }, { size: d }, { size: d, adapter: v }],
            options,
            ctx,
          );
          const parts = [q, undefined, v].map((adapter, i) =>
            loraLinear(x, { kernel: blocks[i]!, bias: biases[i]! }, adapter, options, ctx)
          );
          assertEquals(fused.shape, [2, 3, 3 * d]);
          const diff = maxAbsDiff(fused, tf.concat(parts, 2));
          assert(diff < 1e-5, `training=${training}: differs by ${diff}`);
        }
      });
    });
    assertThrows(
      () => loraFusedLinear(x, base, [{ size: d }, { size: d }], options, { training: false }),
      RangeError,
      "5 + 5 = 10",
    );
    assertThrows(
      () =>
        loraFusedLinear(x, base, [{ size: 2 * d, adapter: q }, { size: d }], options, {
          training: false,
        }),
      RangeError,
      "slice 0",
    );
    tf.dispose([base.kernel, base.bias!, q.a, q.b, v.a, v.b, x]);
  },
);

testOnBackends("loraLinear rejects mismatched shapes and a non-finite scale", () => {
  const base = randomBase(40, 4, 3);
  const adapter = randomAdapter(42, 4, 2, 3);
  const x = rand(44, [2, 5]);
  assertThrows(
    () => loraLinear(x, base, adapter, { scale: 1 }, { training: false }),
    RangeError,
    "(..., 4), received [2,5]",
  );
  const bad = { a: adapter.b, b: adapter.a };
  const x4 = rand(45, [2, 4]);
  assertThrows(
    () => loraLinear(x4, base, bad, { scale: 1 }, { training: false }),
    RangeError,
    "adapter shapes",
  );
  assertThrows(
    () => loraLinear(x4, base, adapter, { scale: NaN }, { training: false }),
    RangeError,
    "received NaN",
  );
  tf.dispose([base.kernel, base.bias!, adapter.a, adapter.b, x, x4]);
});
