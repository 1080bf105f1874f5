// The config-driven encoder (pre/post-LN, timing/learned/offset positions, token types), its
// input checks, the heads and the TaskModel contract, on tiny random models.
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import { encoderForward, validateEncoder } from "../lib/models/encoder.ts";
import { tinyEncoder } from "../lib/models/_tiny_encoder.ts";
import { createTaskModel } from "../lib/models/task_model.ts";
import { joinPair, pool } from "../lib/models/heads.ts";
import { randomKey } from "../lib/random.ts";
import type { EncoderConfig } from "../lib/models/encoder_config.ts";
import type { Tensor2D, Tensor3D } from "../lib/types.ts";

const ids = (rows: number[][]) => tf.tensor2d(rows, undefined, "int32") as Tensor2D;
const mask = (rows: number[][]) => tf.tensor2d(rows) as Tensor2D;
const NONE = { plan: { drops: [] } };
const INFER = { training: false };

const BERT_LIKE: Partial<EncoderConfig> = {
  normalization: "post",
  positionEmbedding: "learned",
  embeddingScale: 1,
  typeVocabSize: 2,
  embeddingLayerNorm: true,
  activation: "gelu",
  layerNormEps: 1e-12,
};
const ROBERTA_LIKE: Partial<EncoderConfig> = {
  ...BERT_LIKE,
  typeVocabSize: 1,
  positionOffset: 2,
  padTokenId: 1,
};

for (
  const [name, overrides] of [
    ["USE-lite layout", {}],
    ["BERT layout", BERT_LIKE],
    ["RoBERTa layout", ROBERTA_LIKE],
    ["pre-LN with final LayerNorm", { finalLayerNorm: true }],
  ] as const
) {
  testOnBackends(`encoderForward (${name}): padding does not change real tokens`, () => {
    const model = tinyEncoder(2, overrides);
    const diff = tf.tidy(() => {
      const short = encoderForward(
        model,
        { inputIds: ids([[3, 4, 5]]), attentionMask: mask([[1, 1, 1]]) },
        NONE,
        INFER,
      );
      const padded = encoderForward(
        model,
        {
          inputIds: ids([[3, 4, 5, 7, 7], [6, 6, 6, 6, 6]]),
          attentionMask: mask([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]),
        },
        NONE,
        INFER,
      );
      const real = tf.slice(padded, [0, 0, 0], [1, 3, -1]); // (1, 3, D)
      return tf.max(tf.abs(tf.sub(short, real))).dataSync()[0]!;
    });
    assert(diff < 1e-5, `difference ${diff}`);
  });
}

testOnBackends("encoderForward: token types and positions matter", () => {
  const model = tinyEncoder(3, BERT_LIKE);
  const out = (types: number[][], order: number[][]) =>
    tf.tidy(() =>
      Array.from(
        pool(
          encoderForward(
            model,
            { inputIds: ids(order), attentionMask: mask([[1, 1, 1]]), tokenTypeIds: ids(types) },
            NONE,
            INFER,
          ),
          mask([[1, 1, 1]]),
          "mean",
        ).dataSync(),
      )
    );
  const base = out([[0, 0, 0]], [[3, 4, 5]]);
  assertNotEquals(out([[0, 1, 1]], [[3, 4, 5]]), base);
  assertNotEquals(out([[0, 0, 0]], [[5, 4, 3]]), base); // a bag of words would be equal
});

testOnBackends("encoderForward: clear errors for bad input", () => {
  const model = tinyEncoder();
  const run = (inputIds: Tensor2D, attentionMask: Tensor2D, tokenTypeIds?: Tensor2D) => () =>
    encoderForward(
      model,
      { inputIds, attentionMask, ...(tokenTypeIds ? { tokenTypeIds } : {}) },
      NONE,
      INFER,
    );
  assertThrows(
    run(ids([[3, 16]]), mask([[1, 1]])),
    RangeError,
    "inputIds must lie in [0, 16), received values in [3, 16]",
  );
  assertThrows(run(tf.tensor2d([[3, 4]]) as Tensor2D, mask([[1, 1]])), TypeError, "int32");
  assertThrows(run(ids([[3, 4]]), mask([[1, 1, 1]])), RangeError, "attentionMask must be (1, 2)");
  assertThrows(run(ids([[3, 4]]), mask([[1, 1]]), ids([[0, 1]])), TypeError, "no token types");
  assertThrows(
    run(ids([Array.from({ length: 13 }, () => 3)]), mask([Array.from({ length: 13 }, () => 1)])),
    RangeError,
    "sequence length 13 exceeds the model's maximum of 12",
  );
  assertThrows(
    () =>
      encoderForward(model, { inputIds: ids([[3]]), attentionMask: mask([[1]]) }, {
        plan: { drops: [] },
        adapters: {
          "layers.5.q": { a: tf.zeros([8, 2]) as Tensor2D, b: tf.zeros([2, 8]) as Tensor2D },
        },
      }, INFER),
    RangeError,
    '"layers.5.q"',
  );
});

testOnBackends("validateEncoder names the weight whose shape is wrong", () => {
  const model = tinyEncoder();
  const layers = [...model.weights.layers];
  layers[1] = {
    ...layers[1]!,
    ffn: { ...layers[1]!.ffn, out: { kernel: tf.zeros([16, 11]) as Tensor2D } },
  };
  assertThrows(
    () => validateEncoder({ ...model, weights: { ...model.weights, layers } }),
    RangeError,
    "layers.1.ffn-out.kernel must have shape [16,12], received [16,11]",
  );
});

testOnBackends(
  "encoderForward: training keys, lora-input and embedding drops, HiddenCut spans",
  async () => {
    const model = tinyEncoder(4);
    const task = createTaskModel(model, {
      lora: { targets: ["q", "k", "v", "o", "ffn-in", "ffn-out"], r: 2, alpha: 4 },
      head: { kind: "regression", pooling: "mean" },
    }, randomKey(1));
    // make B non-zero so the lora-input drop changes the output
    for (const [name, v] of Object.entries(task.trainable)) {
      if (name.endsWith("lora_b")) {
        v.assign(
          tf.randomNormal(v.shape, 0, 0.5, "float32", name.length),
        );
      }
    }
    const batch = {
      inputIds: ids([[3, 4, 5, 6], [7, 8, 0, 0]]),
      attentionMask: mask([[1, 1, 1, 1], [1, 1, 0, 0]]),
    };
    const plans = [
      { drops: [{ position: "lora-input", pattern: "element", rate: 0.3 }] },
      { drops: [{ position: "embedding", pattern: "column-token", rate: 0.3 }] },
      { drops: [{ position: "hidden", pattern: "span", rate: 0.5, spanStart: "attention-top40" }] },
      { drops: [{ position: "attention-weights", pattern: "element", rate: 0.3 }] },
    ] as const;
    const run = (plan: (typeof plans)[number], seed: number) =>
      tf.tidy(() =>
        Array.from(
          task.forward(batch, plan, { training: true, key: randomKey(seed) }).logits.dataSync(),
        )
      );
    const clean = tf.tidy(() =>
      Array.from(task.forward(batch, { drops: [] }, INFER).logits.dataSync())
    );
    assertEquals(task.forward(batch, { drops: [] }, INFER).logits.shape, [2]);
    for (const plan of plans) {
      assertEquals(run(plan, 1), run(plan, 1));
      const seeds = [1, 2, 3, 4].map((s) => run(plan, s));
      assert(
        seeds.some((s) => JSON.stringify(s) !== JSON.stringify(clean)),
        `${plan.drops[0].position} changed nothing`,
      );
      assert(seeds.every((s) => s.every(Number.isFinite)));
    }
    await assertNoLeak("task forward", () => void run(plans[2], 5));
    task.dispose();
  },
);

testOnBackends("createTaskModel: identity at init, names, options, dispose", () => {
  const model = tinyEncoder(5);
  const before = tf.memory().numTensors;
  const task = createTaskModel(model, {
    head: { kind: "classification", numClasses: 3, pooling: "first" },
  }, randomKey(2));
  assertEquals(Object.keys(task.trainable).sort(), [
    "head.bias",
    "head.kernel",
    "layers.0.q.lora_a",
    "layers.0.q.lora_b",
    "layers.0.v.lora_a",
    "layers.0.v.lora_b",
    "layers.1.q.lora_a",
    "layers.1.q.lora_b",
    "layers.1.v.lora_a",
    "layers.1.v.lora_b",
  ]);
  assertEquals(task.trainable["layers.0.q.lora_a"]!.shape, [8, 8]); // (in, r) with default r = 8
  const batch = { inputIds: ids([[3, 4, 5]]), attentionMask: mask([[1, 1, 1]]) };
  const diff = tf.tidy(() => {
    const withLora = task.forward(batch, { drops: [] }, INFER).pooled;
    const plain = pool(encoderForward(model, batch, NONE, INFER), batch.attentionMask, "first");
    return tf.max(tf.abs(tf.sub(withLora, plain))).dataSync()[0]!;
  });
  assertEquals(diff, 0);
  task.dispose();
  tf.dispose([batch.inputIds, batch.attentionMask]);
  assertEquals(tf.memory().numTensors, before);
  assertThrows(() => task.forward(batch, { drops: [] }, INFER), Error, "disposed");
  const opts = (head: object, lora: object = {}) => () =>
    createTaskModel(model, { head: head as never, lora }, randomKey(0));
  assertThrows(
    opts({ kind: "classification", numClasses: 1, pooling: "mean" }),
    RangeError,
    "numClasses",
  );
  assertThrows(opts({ kind: "regression", pooling: "pooler" }), TypeError, "pooler");
  assertThrows(
    opts({ kind: "regression", pooling: "mean" }, { targets: ["query"] }),
    TypeError,
    '"query"',
  );
  assertThrows(opts({ kind: "regression", pooling: "mean" }, { r: 0 }), RangeError);
});

testOnBackends("TaskModel gradients reach LoRA and head variables only", () => {
  const model = tinyEncoder(6);
  const task = createTaskModel(model, {
    head: { kind: "classification", numClasses: 2, pooling: "mean" },
  }, randomKey(3));
  const batch = {
    inputIds: ids([[3, 4, 5], [6, 7, 0]]),
    attentionMask: mask([[1, 1, 1], [1, 1, 0]]),
  };
  const labels = tf.oneHot(tf.tensor1d([0, 1], "int32"), 2);
  const { value, grads } = tf.variableGrads(() =>
    tf.losses.softmaxCrossEntropy(
      labels,
      task.forward(batch, { drops: [] }, INFER).logits,
    ) as tf.Scalar
  );
  const byName = new Map(Object.entries(task.trainable).map(([k, v]) => [v.name, k]));
  assertEquals(
    Object.keys(grads).map((n) => byName.get(n)).sort(),
    Object.keys(task.trainable).sort(),
  );
  const norm = (k: string) => tf.norm(grads[task.trainable[k]!.name]!).dataSync()[0]!;
  assert(norm("head.kernel") > 0 && norm("layers.0.v.lora_b") > 0);
  assertEquals(norm("layers.0.v.lora_a"), 0); // B = 0 at init: no gradient reaches A yet
  tf.dispose([value, labels, ...Object.values(grads)]);
  task.dispose();
});

Deno.test("joinPair trims the longer segment and marks segment types", () => {
  const bert = { prefix: [101], separator: [102], suffix: [102], segmentTypes: true };
  const { inputIds, tokenTypeIds } = joinPair([1, 2, 3, 4], [5, 6], bert, 7);
  assertEquals(inputIds, [101, 1, 2, 102, 5, 6, 102]);
  assertEquals(tokenTypeIds, [0, 0, 0, 0, 1, 1, 1]);
  assertThrows(() => joinPair([1], [2], bert, 3), RangeError, "maxLength");
});

testOnBackends("pool: an all-padding row gives zeros, not NaN", () => {
  const h = tf.ones([2, 2, 3]) as Tensor3D;
  const out = pool(h, mask([[0, 0], [1, 0]]), "mean").arraySync() as number[][];
  assertEquals(out, [[0, 0, 0], [1, 1, 1]]);
});
