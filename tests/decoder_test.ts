import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import { randomKey } from "../lib/random.ts";
import {
  decoderForward,
  type DecoderModel,
  latterHalfPlan,
  validateDecoder,
} from "../lib/models/decoder.ts";
import { tinyDecoder } from "../lib/models/_tiny_decoder.ts";
import type { DropoutPlan } from "../lib/dropout/spec.ts";
import type { LoraWeights } from "../lib/lora/weights.ts";
import type { Tensor2D, Tensor3D } from "../lib/types.ts";

const NONE: DropoutPlan = { drops: [] };
const EVAL = { training: false } as const;

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

function ids(rows: number[][]): Tensor2D {
  return tf.tensor2d(rows, undefined, "int32");
}

function dispose(model: DecoderModel): void {
  tf.dispose(model.weights as unknown as tf.TensorContainer);
}

const HIDDEN_PLAN: DropoutPlan = {
  drops: [
    { position: "hidden", pattern: "element", rate: 0.3 },
    { position: "attention-logits", pattern: "column", rate: 0.3 },
    { position: "lora-input", pattern: "element", rate: 0.3 },
  ],
};

testOnBackends("decoderForward is an exact identity of the plan in inference mode", () => {
  const model = tinyDecoder();
  const x = ids([[1, 2, 3, 4], [5, 6, 7, 0]]);
  const mask = tf.tensor2d([[1, 1, 1, 1], [1, 1, 1, 0]]) as Tensor2D;
  const input = { inputIds: x, attentionMask: mask };
  const a = decoderForward(model, input, { plan: NONE }, EVAL);
  const b = decoderForward(model, input, { plan: HIDDEN_PLAN }, EVAL);
  assertEquals(a.dataSync(), b.dataSync());
  tf.dispose([a, b, x, mask]);
  dispose(model);
});

testOnBackends("training drops follow the key and the plan's layer range", async () => {
  const model = tinyDecoder();
  const x = ids([[1, 2, 3, 4, 5]]);
  const input = { inputIds: x };
  const ref = decoderForward(model, input, { plan: NONE }, EVAL);
  const train = (plan: DropoutPlan, seed: number) =>
    decoderForward(model, input, { plan }, { training: true, key: randomKey(seed) });
  await assertNoLeak("training forward", () => {
    const a = train(HIDDEN_PLAN, 1), a2 = train(HIDDEN_PLAN, 1), b = train(HIDDEN_PLAN, 2);
    assertEquals(a.dataSync(), a2.dataSync());
    assert(maxAbsDiff(a, b) > 1e-4, "different keys give different masks");
    assert(maxAbsDiff(a, ref) > 1e-4, "training with drops differs from inference");
    tf.dispose([a, a2, b]);
  });
  // Drops only in the latter half: layer 1 of 2. Out of range ([2, 3)): no drop at all.
  const latter: DropoutPlan = {
    drops: [{ position: "hidden", pattern: "element", rate: 0.5, layers: { start: 1, end: 2 } }],
  };
  const outside: DropoutPlan = {
    drops: [{ position: "hidden", pattern: "element", rate: 0.5, layers: { start: 2, end: 3 } }],
  };
  const l = train(latter, 3), o = train(outside, 3);
  assert(maxAbsDiff(l, ref) > 1e-4);
  assertEquals(o.dataSync(), ref.dataSync());
  tf.dispose([l, o, ref, x]);
  dispose(model);
});

testOnBackends(
  "LoRA on q and v of the fused c_attn equals merging A·B into those column slices",
  () => {
    const model = tinyDecoder(2);
    const d = model.config.hiddenDim, r = 2, scale = 1.5;
    const lora = (seed: number): LoraWeights => ({
      a: tf.randomNormal([d, r], 0, 0.5, "float32", seed) as Tensor2D,
      b: tf.randomNormal([r, d], 0, 0.5, "float32", seed + 1) as Tensor2D,
    });
    const adapters = { "layers.0.q": lora(10), "layers.0.v": lora(20), "layers.1.v": lora(30) };
    const merged: DecoderModel = {
      config: model.config,
      weights: {
        ...model.weights,
        layers: model.weights.layers.map((lw, i) => {
          const delta = (m: "q" | "k" | "v") => {
            const w = (adapters as Record<string, LoraWeights>)[`layers.${i}.${m}`];
            return w === undefined ? tf.zeros([d, d]) : tf.mul(tf.matMul(w.a, w.b), scale);
          };
          const kernel = tf.add(
            lw.attention.qkv.kernel,
            tf.concat([delta("q"), delta("k"), delta("v")], 1),
          );
          return {
            ...lw,
            attention: {
              ...lw.attention,
              qkv: { ...lw.attention.qkv, kernel: kernel as Tensor2D },
            },
          };
        }),
      },
    };
    const x = ids([[3, 1, 4, 1, 5, 9]]);
    const withLora = decoderForward(model, { inputIds: x }, {
      plan: NONE,
      adapters,
      loraScale: scale,
    }, EVAL);
    const withMerge = decoderForward(merged, { inputIds: x }, { plan: NONE }, EVAL);
    const plain = decoderForward(model, { inputIds: x }, { plan: NONE }, EVAL);
    assert(
      maxAbsDiff(withLora, withMerge) < 1e-4,
      `LoRA vs merged ${maxAbsDiff(withLora, withMerge)}`,
    );
    assert(maxAbsDiff(withLora, plain) > 1e-3, "the adapters matter");
    tf.dispose([
      withLora,
      withMerge,
      plain,
      x,
      ...merged.weights.layers.map((l) => l.attention.qkv.kernel),
    ]);
    tf.dispose(Object.values(adapters) as unknown as tf.TensorContainer);
    dispose(model);
  },
);

testOnBackends(
  "a separate LM head equal to the embeddings gives the tied logits; right padding leaves real positions alone",
  () => {
    const model = tinyDecoder(3);
    const untied: DecoderModel = {
      config: model.config,
      weights: {
        ...model.weights,
        lmHead: { kernel: tf.transpose(model.weights.tokenEmbedding) as Tensor2D },
      },
    };
    const short = ids([[4, 8, 2]]);
    const padded = ids([[4, 8, 2, 0, 0]]);
    const mask = tf.tensor2d([[1, 1, 1, 0, 0]]) as Tensor2D;
    const tied = decoderForward(model, { inputIds: short }, { plan: NONE }, EVAL);
    const separate = decoderForward(untied, { inputIds: short }, { plan: NONE }, EVAL);
    assert(maxAbsDiff(tied, separate) < 1e-5);
    const long = decoderForward(
      model,
      { inputIds: padded, attentionMask: mask },
      { plan: NONE },
      EVAL,
    );
    const real = tf.slice(long, [0, 0, 0], [1, 3, -1]);
    assert(maxAbsDiff(real, tied) < 1e-5);
    tf.dispose([tied, separate, long, real, short, padded, mask, untied.weights.lmHead!.kernel]);
    dispose(model);
  },
);

testOnBackends(
  "gradients reach the LoRA variables with drops in training, and a step leaks nothing",
  async () => {
    const model = tinyDecoder(4);
    const d = model.config.hiddenDim;
    const a = tf.variable(tf.randomNormal([d, 2], 0, 0.3, "float32", 5));
    const b = tf.variable(tf.randomNormal([2, d], 0, 0.3, "float32", 6));
    const adapters = { "layers.1.v": { a: a as unknown as Tensor2D, b: b as unknown as Tensor2D } };
    const x = ids([[1, 2, 3, 4], [4, 3, 2, 1]]);
    await assertNoLeak("training step", () => {
      const { value, grads } = tf.variableGrads(() =>
        tf.mean(
          decoderForward(model, { inputIds: x }, { plan: HIDDEN_PLAN, adapters, loraScale: 2 }, {
            training: true,
            key: randomKey(9),
          }) as Tensor3D,
        ) as tf.Scalar, [a, b]);
      for (const v of [a, b]) {
        const g = grads[v.name]!;
        const norm = tf.tidy(() => tf.norm(g).dataSync()[0]!);
        assert(Number.isFinite(norm) && norm > 0, `gradient of ${v.name}: ${norm}`);
      }
      tf.dispose([value, ...Object.values(grads)]);
    });
    tf.dispose([a, b, x]);
    dispose(model);
  },
);

testOnBackends("decoderForward and validateDecoder reject bad input, naming the value", () => {
  const model = tinyDecoder();
  const long = ids([Array.from({ length: 11 }, () => 1)]);
  const high = ids([[1, 12]]);
  const x = ids([[1, 2]]);
  assertThrows(
    () => decoderForward(model, { inputIds: long }, { plan: NONE }, EVAL),
    RangeError,
    "length 11",
  );
  assertThrows(
    () => decoderForward(model, { inputIds: high }, { plan: NONE }, EVAL),
    RangeError,
    "[1, 12]",
  );
  const a = { a: tf.zeros([8, 1]) as Tensor2D, b: tf.zeros([1, 8]) as Tensor2D };
  assertThrows(
    () =>
      decoderForward(model, { inputIds: x }, { plan: NONE, adapters: { "layers.2.q": a } }, EVAL),
    RangeError,
    `"layers.2.q"`,
  );
  const bad = { ...model, weights: { ...model.weights, layers: model.weights.layers.slice(0, 1) } };
  assertThrows(() => validateDecoder(bad), RangeError, "config has 2 layers and weights 1");
  assertNotEquals(validateDecoder(model), undefined);
  tf.dispose([long, high, x, a.a, a.b]);
  dispose(model);
});

Deno.test("latterHalfPlan limits layer-wise drops to the latter half and leaves the rest", () => {
  const plan = latterHalfPlan({
    drops: [
      { position: "hidden", pattern: "element", rate: 0.1 },
      { position: "embedding", pattern: "element", rate: 0.1 },
      { position: "attention-logits", pattern: "column", rate: 0.2, layers: { start: 0, end: 1 } },
    ],
    consistency: { kind: "kl", weight: 1, branches: "one" },
  }, 5);
  assertEquals(plan.drops.map((d) => d.layers), [{ start: 2, end: 5 }, undefined, {
    start: 0,
    end: 1,
  }]);
  assertEquals(plan.consistency?.kind, "kl");
  assertThrows(() => latterHalfPlan({ drops: [] }, 0), RangeError, "received 0");
});

testOnBackends(
  "HiddenCut spans starting in the most-attended tokens run in the decoder without leaks",
  async () => {
    const model = tinyDecoder(5);
    const x = ids([[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 0, 0]]);
    const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]]) as Tensor2D;
    const plan = latterHalfPlan({
      drops: [{ position: "hidden", pattern: "span", rate: 0.3, spanStart: "attention-top40" }],
    }, model.config.numLayers);
    const input = { inputIds: x, attentionMask: mask };
    const ref = decoderForward(model, input, { plan: NONE }, EVAL);
    await assertNoLeak("HiddenCut forward", () => {
      const y = decoderForward(model, input, { plan }, { training: true, key: randomKey(4) });
      assert(maxAbsDiff(y, ref) > 1e-4);
      assert(tf.tidy(() => tf.all(tf.isFinite(y)).dataSync()[0]) === 1);
      y.dispose();
    });
    tf.dispose([ref, x, mask]);
    dispose(model);
  },
);
