import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals, assertRejects } from "@std/assert";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import { loadHfDecoder, loadHfEncoder, loadHfModel } from "../lib/io/hf_model.ts";
import {
  readSafetensors,
  type SafetensorsInput,
  serializeSafetensors,
} from "../lib/io/safetensors.ts";
import { encoderForward } from "../lib/models/encoder.ts";
import { decoderForward } from "../lib/models/decoder.ts";
import type { Tensor2D } from "../lib/types.ts";

const HF = new URL("./fixtures/hf/", import.meta.url).pathname;

async function golden(name: string) {
  const file = await readSafetensors(`${HF}${name}/golden.safetensors`);
  const get = (k: string) => {
    const e = file.tensors.get(k);
    if (e === undefined) throw new Error(`golden ${name} lacks ${k}`);
    return e;
  };
  return { get, has: (k: string) => file.tensors.has(k) };
}

function int2d(e: { shape: readonly number[]; data: Float32Array | Int32Array }): Tensor2D {
  return tf.tensor2d(Int32Array.from(e.data), e.shape as [number, number], "int32");
}

function maxAbsDiff(a: Float32Array | Int32Array | Uint8Array, b: Float32Array): number {
  assertEquals(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

for (const name of ["bert", "roberta"] as const) {
  testOnBackends(
    `loadHfModel ${name}: last hidden states match transformers within 1e-4`,
    async () => {
      const model = await loadHfEncoder(`${HF}${name}`);
      const g = await golden(name);
      const inputIds = int2d(g.get("input_ids"));
      const attentionMask = tf.cast(int2d(g.get("attention_mask")), "float32") as Tensor2D;
      const tokenTypeIds = g.has("token_type_ids") ? int2d(g.get("token_type_ids")) : undefined;
      const input = { inputIds, attentionMask, ...(tokenTypeIds ? { tokenTypeIds } : {}) };
      await assertNoLeak(`${name} forward`, () => {
        const h = encoderForward(model, input, { plan: { drops: [] } }, { training: false });
        const expected = g.get("last_hidden_state");
        assertEquals(h.shape, [...expected.shape]);
        const diff = maxAbsDiff(h.dataSync() as Float32Array, expected.data as Float32Array);
        assert(diff <= 1e-4, `max |Δ| ${diff}`);
        h.dispose();
      });
      if (name === "bert") assert(model.pooler !== undefined, "BertModel's pooler is loaded");
      if (name === "roberta") assert(model.ignoredKeys.every((k) => k.startsWith("lm_head.")));
      tf.dispose([inputIds, attentionMask, ...(tokenTypeIds ? [tokenTypeIds] : [])]);
      tf.dispose(model.weights as unknown as tf.TensorContainer);
      if (model.pooler) tf.dispose(model.pooler as unknown as tf.TensorContainer);
    },
  );
}

testOnBackends(
  "loadHfModel gpt2: decoder logits match transformers within 1e-4 (tied head)",
  async () => {
    const model = await loadHfDecoder(`${HF}gpt2`);
    assertEquals(model.weights.lmHead, undefined);
    const g = await golden("gpt2");
    const inputIds = int2d(g.get("input_ids"));
    const attentionMask = tf.cast(int2d(g.get("attention_mask")), "float32") as Tensor2D;
    await assertNoLeak("gpt2 forward", () => {
      const logits = decoderForward(model, { inputIds, attentionMask }, { plan: { drops: [] } }, {
        training: false,
      });
      const expected = g.get("logits");
      assertEquals(logits.shape, [...expected.shape]);
      const diff = maxAbsDiff(logits.dataSync() as Float32Array, expected.data as Float32Array);
      assert(diff <= 1e-4, `max |Δ| ${diff}`);
      logits.dispose();
    });
    tf.dispose([inputIds, attentionMask]);
    tf.dispose(model.weights as unknown as tf.TensorContainer);
  },
);

/** Copies a fixture folder, letting `edit` change the tensors or the config. */
async function variant(
  name: string,
  edit: (tensors: Record<string, SafetensorsInput>, config: Record<string, unknown>) => void,
): Promise<string> {
  const dir = await Deno.makeTempDir();
  const file = await readSafetensors(`${HF}${name}/model.safetensors`);
  const tensors: Record<string, SafetensorsInput> = {};
  for (const [k, e] of file.tensors) tensors[k] = { shape: e.shape, data: e.data };
  const config = JSON.parse(await Deno.readTextFile(`${HF}${name}/config.json`));
  edit(tensors, config);
  await Deno.writeFile(`${dir}/model.safetensors`, serializeSafetensors(tensors, { format: "pt" }));
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(config));
  return dir;
}

Deno.test("loadHfModel rejects missing, unexpected, misshapen and truncated tensors, naming file and key", async () => {
  await import("../lib/backend.ts").then((m) => m.initBackend({ backend: "cpu" }));
  const before = tf.memory().numTensors;
  const missing = await variant("roberta", (t) => {
    delete t["roberta.encoder.layer.1.attention.self.value.bias"];
  });
  await assertRejects(
    () => loadHfModel(missing),
    Error,
    `tensor "roberta.encoder.layer.1.attention.self.value.bias" is missing`,
  );
  const unexpected = await variant("bert", (t) => {
    t["encoder.layer.0.attention.self.rotary.weight"] = { shape: [1], data: new Float32Array(1) };
  });
  const error = await assertRejects(() => loadHfModel(unexpected), Error);
  assert(error.message.includes(`"encoder.layer.0.attention.self.rotary.weight"`), error.message);
  assert(error.message.includes(`${unexpected}/model.safetensors`), error.message);
  const misshapen = await variant("gpt2", (t) => {
    t["transformer.h.0.mlp.c_fc.bias"] = { shape: [127], data: new Float32Array(127) };
  });
  await assertRejects(
    () => loadHfModel(misshapen),
    Error,
    `tensor "transformer.h.0.mlp.c_fc.bias" has shape [127], expected [128]`,
  );
  // Nothing created by the failed loads is left behind.
  assertEquals(tf.memory().numTensors, before);
  const truncated = await variant("bert", () => {});
  const bytes = await Deno.readFile(`${truncated}/model.safetensors`);
  await Deno.writeFile(`${truncated}/model.safetensors`, bytes.subarray(0, bytes.length - 100));
  await assertRejects(() => loadHfModel(truncated), Error, `${truncated}/model.safetensors`);
  for (const d of [missing, unexpected, misshapen, truncated]) {
    await Deno.remove(d, { recursive: true });
  }
});

Deno.test("loadHfModel rejects NaN, infinite and bit-flipped weights, naming file, key and index", async () => {
  await import("../lib/backend.ts").then((m) => m.initBackend({ backend: "cpu" }));
  const before = tf.memory().numTensors;
  const cases: [string, number, string][] = [
    ["bert", NaN, "holds NaN at index 3, expected finite values"],
    ["gpt2", -Infinity, "holds -Infinity at index 3, expected finite values"],
    ["roberta", 1.1e38, "holds 1.1e+38 at index 3, beyond ±1000000"],
  ];
  for (const [name, bad, message] of cases) {
    let key = "";
    const dir = await variant(name, (t) => {
      // a query (or fused qkv) projection of the first layer: a weight the loader reads
      key = Object.keys(t).find((k) =>
        /layer\.0\.attention\.self\.query\.weight|h\.0\.attn\.c_attn\.weight/.test(k)
      )!;
      const data = Float32Array.from(t[key]!.data as Float32Array);
      data[3] = bad;
      t[key] = { shape: t[key]!.shape, data };
    });
    await assertRejects(
      () => loadHfModel(dir),
      RangeError,
      `weight "${key}" ${message} (${dir}/model.safetensors)`,
    );
    await Deno.remove(dir, { recursive: true });
  }
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("loadHfModel names unsupported architectures and refuses pickles", async () => {
  const llama = await variant("bert", (_, c) => {
    c.model_type = "llama";
    c.architectures = ["LlamaForCausalLM"];
  });
  await assertRejects(() => loadHfModel(llama), Error, `model_type "llama" (LlamaForCausalLM)`);
  const pickled = await Deno.makeTempDir();
  await Deno.copyFile(`${HF}bert/config.json`, `${pickled}/config.json`);
  await Deno.writeFile(`${pickled}/pytorch_model.bin`, new Uint8Array(8));
  await assertRejects(() => loadHfModel(pickled), Error, "never unpickles");
  await assertRejects(() => loadHfModel("./no/such/dir"), Error, "neither a folder nor a hub");
  for (const d of [llama, pickled]) await Deno.remove(d, { recursive: true });
});

Deno.test("loadHfModel reads a hub repository through the cache (local server)", async () => {
  await import("../lib/backend.ts").then((m) => m.initBackend({ backend: "cpu" }));
  const cacheDir = await Deno.makeTempDir();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const m = new URL(req.url).pathname.match(/^\/tiny\/(\w+)\/resolve\/main\/(.+)$/);
    try {
      return new Response(await Deno.readFile(`${HF}${m![1]}/${m![2]}`));
    } catch {
      return new Response("Entry not found", { status: 404 });
    }
  });
  try {
    const endpoint = `http://127.0.0.1:${server.addr.port}`;
    const model = await loadHfModel("tiny/gpt2", { cacheDir, endpoint });
    assertEquals(model.modelType, "gpt2");
    assert(model.dir.startsWith(cacheDir));
    tf.dispose(model.weights as unknown as tf.TensorContainer);
  } finally {
    await server.shutdown();
  }
  await Deno.remove(cacheDir, { recursive: true });
});

Deno.test("loadHfModel reads sharded checkpoints (model.safetensors.index.json) like a single file", async () => {
  await import("../lib/backend.ts").then((m) => m.initBackend({ backend: "cpu" }));
  const dir = await Deno.makeTempDir();
  const file = await readSafetensors(`${HF}bert/model.safetensors`);
  const shards: Record<string, SafetensorsInput>[] = [{}, {}];
  const weightMap: Record<string, string> = {};
  let i = 0;
  for (const [k, e] of file.tensors) {
    const s = i++ % 2;
    shards[s]![k] = { shape: e.shape, data: e.data };
    weightMap[k] = `model-0000${s + 1}-of-00002.safetensors`;
  }
  for (const s of [0, 1]) {
    await Deno.writeFile(
      `${dir}/model-0000${s + 1}-of-00002.safetensors`,
      serializeSafetensors(shards[s]!),
    );
  }
  await Deno.writeTextFile(
    `${dir}/model.safetensors.index.json`,
    JSON.stringify({ metadata: {}, weight_map: weightMap }),
  );
  await Deno.copyFile(`${HF}bert/config.json`, `${dir}/config.json`);
  const sharded = await loadHfEncoder(dir);
  const single = await loadHfEncoder(`${HF}bert`);
  assertEquals(
    await sharded.weights.layers[1]!.ffn.out.kernel.data(),
    await single.weights.layers[1]!.ffn.out.kernel.data(),
  );
  tf.dispose(
    [
      sharded.weights,
      sharded.pooler,
      single.weights,
      single.pooler,
    ] as unknown as tf.TensorContainer,
  );
  // A key in two shards is an error naming both files.
  const dup = Object.keys(shards[0]!)[0]!;
  shards[1]![dup] = shards[0]![dup]!;
  await Deno.writeFile(`${dir}/model-00002-of-00002.safetensors`, serializeSafetensors(shards[1]!));
  await assertRejects(() => loadHfModel(dir), Error, `tensor "${dup}" also appears in`);
  await Deno.remove(dir, { recursive: true });
});
