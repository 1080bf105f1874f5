import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals, assertRejects } from "@std/assert";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import { initBackend } from "../lib/backend.ts";
import { randomKey } from "../lib/random.ts";
import { loadHfDecoder, loadHfEncoder } from "../lib/io/hf_model.ts";
import {
  readSafetensors,
  type SafetensorsInput,
  serializeSafetensors,
} from "../lib/io/safetensors.ts";
import {
  type AdapterContents,
  assignAdapter,
  loadAdapter,
  saveAdapter,
  taskModelAdapter,
} from "../lib/io/adapters.ts";
import { encoderForward } from "../lib/models/encoder.ts";
import { decoderForward } from "../lib/models/decoder.ts";
import { applyPooler, classificationHead } from "../lib/models/heads.ts";
import { createTaskModel } from "../lib/models/task_model.ts";
import type { ModuleName } from "../lib/models/drop_context.ts";
import type { LoraWeights } from "../lib/lora/weights.ts";
import type { Tensor2D } from "../lib/types.ts";

const HF = new URL("./fixtures/hf/", import.meta.url).pathname;
const NO_DROPS = { drops: [] } as const;
const EVAL = { training: false } as const;

async function goldenBatch(name: string) {
  const g = (await readSafetensors(`${HF}${name}/golden.safetensors`)).tensors;
  const ids = g.get("input_ids")!;
  const shape = ids.shape as [number, number];
  return {
    inputIds: tf.tensor2d(Int32Array.from(ids.data), shape, "int32"),
    attentionMask: tf.tensor2d(Float32Array.from(g.get("attention_mask")!.data), shape),
    expected: g.get("logits")?.data as Float32Array | undefined,
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertEquals(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function disposeAll(...xs: unknown[]): void {
  tf.dispose(xs.filter((x) => x !== undefined) as unknown as tf.TensorContainer);
}

testOnBackends("a PEFT-saved RoBERTa adapter gives PEFT's logits in loradrop (1e-4)", async () => {
  const base = await loadHfEncoder(`${HF}roberta`);
  const adapter = await loadAdapter(`${HF}roberta_cls_lora`, base, {
    r: 4,
    alpha: 8,
    targetModules: ["q", "v"],
  });
  const batch = await goldenBatch("roberta_cls_lora");
  await assertNoLeak("PEFT adapter forward", () => {
    const logits = tf.tidy(() => {
      const h = encoderForward(base, batch, {
        plan: NO_DROPS,
        adapters: adapter.adapters,
        loraScale: adapter.loraScale,
      }, EVAL);
      const pooled = applyPooler(h, batch.attentionMask, adapter.pooler!);
      return classificationHead(pooled, adapter.head!, NO_DROPS, EVAL);
    });
    const diff = maxAbsDiff(logits.dataSync(), batch.expected!);
    assert(diff <= 1e-4, `max |Δ| ${diff}`);
    logits.dispose();
  });
  // The same through a task model, as a user would run it.
  const model = createTaskModel(
    { ...base, pooler: adapter.pooler! },
    {
      lora: { r: 4, alpha: 8, targets: ["q", "v"] },
      head: { kind: "classification", numClasses: 3, pooling: "pooler" },
    },
    randomKey(0),
  );
  assignAdapter(model, adapter);
  const { logits } = model.forward(batch, NO_DROPS, EVAL);
  assert(maxAbsDiff(logits.dataSync(), batch.expected!) <= 1e-4);
  // Without the adapter the logits differ: the comparison above can fail.
  const bare = createTaskModel({ ...base, pooler: adapter.pooler! }, {
    lora: { r: 4, alpha: 8, targets: ["q", "v"] },
    head: { kind: "classification", numClasses: 3, pooling: "pooler" },
  }, randomKey(0));
  assignAdapter(bare, { ...adapter, adapters: mapValues(adapter.adapters, zeroB) });
  const bareLogits = bare.forward(batch, NO_DROPS, EVAL).logits;
  assert(maxAbsDiff(bareLogits.dataSync(), batch.expected!) > 1e-3);
  model.dispose();
  bare.dispose();
  disposeAll(
    logits,
    bareLogits,
    batch.inputIds,
    batch.attentionMask,
    base.weights,
    adapter.adapters,
    adapter.head,
    adapter.headDense,
  );
});

function mapValues<T, U>(o: Readonly<Record<string, T>>, f: (t: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

function zeroB(w: LoraWeights): LoraWeights {
  return { a: w.a, b: tf.zerosLike(w.b) };
}

/** Random adapters with non-zero B for the given targets. */
function randomAdapters(
  dims: (layer: number, m: ModuleName) => [number, number],
  numLayers: number,
  targets: readonly ModuleName[],
  r: number,
  seed: number,
): Record<string, LoraWeights> {
  const out: Record<string, LoraWeights> = {};
  let s = seed;
  for (let i = 0; i < numLayers; i++) {
    for (const m of targets) {
      const [inDim, outDim] = dims(i, m);
      out[`layers.${i}.${m}`] = {
        a: tf.randomNormal([inDim, r], 0, 0.3, "float32", s++) as Tensor2D,
        b: tf.randomNormal([r, outDim], 0, 0.3, "float32", s++) as Tensor2D,
      };
    }
  }
  return out;
}

async function assertSameContents(a: AdapterContents, b: AdapterContents): Promise<void> {
  assertEquals(Object.keys(b.adapters).sort(), Object.keys(a.adapters).sort());
  for (const [k, w] of Object.entries(a.adapters)) {
    assertEquals(await b.adapters[k]!.a.data(), await w.a.data(), `${k}.a`);
    assertEquals(await b.adapters[k]!.b.data(), await w.b.data(), `${k}.b`);
  }
  for (const part of ["head", "headDense"] as const) {
    assertEquals(a[part] === undefined, b[part] === undefined, part);
    if (a[part] !== undefined) {
      assertEquals(await b[part]!.kernel.data(), await a[part]!.kernel.data(), `${part}.kernel`);
      assertEquals(await b[part]!.bias!.data(), await a[part]!.bias!.data(), `${part}.bias`);
    }
  }
}

Deno.test("saveAdapter → loadAdapter round-trips BERT adapters on every module and the classifier", async () => {
  await initBackend({ backend: "cpu" });
  const base = await loadHfEncoder(`${HF}bert`);
  const targets: ModuleName[] = ["q", "k", "v", "o", "ffn-in", "ffn-out"];
  const dims = (_: number, m: ModuleName): [number, number] =>
    m === "ffn-in" ? [32, 64] : m === "ffn-out" ? [64, 32] : [32, 32];
  const contents: AdapterContents = {
    adapters: randomAdapters(dims, 2, targets, 2, 10),
    head: {
      kernel: tf.randomNormal([32, 5]) as Tensor2D,
      bias: tf.randomNormal([5]) as tf.Tensor1D,
    },
  };
  const dir = await Deno.makeTempDir();
  const options = {
    modelType: "bert",
    baseModelName: "bert-tiny",
    targetModules: targets,
    r: 2,
    alpha: 3,
    rsLora: true,
  } as const;
  await saveAdapter(dir, contents, options);
  const config = JSON.parse(await Deno.readTextFile(`${dir}/adapter_config.json`));
  assertEquals(config.peft_type, "LORA");
  assertEquals(config.task_type, "SEQ_CLS");
  assertEquals(config.modules_to_save, ["classifier"]);
  assertEquals(typeof config.target_modules, "string"); // ffn-out needs a regex (output.dense is ambiguous)
  const file = await readSafetensors(`${dir}/adapter_model.safetensors`);
  assertEquals(
    file.tensors.get("base_model.model.bert.encoder.layer.1.output.dense.lora_A.weight")?.shape,
    [2, 64],
  );
  assertEquals(
    file.tensors.get("base_model.model.bert.encoder.layer.1.output.dense.lora_B.weight")?.shape,
    [32, 2],
  );
  assertEquals(file.tensors.get("base_model.model.classifier.weight")?.shape, [5, 32]);
  const loaded = await loadAdapter(dir, base, {
    r: 2,
    alpha: 3,
    rsLora: true,
    targetModules: targets,
  });
  assertEquals(loaded.settings.targetModules, targets);
  assertEquals(loaded.loraScale, 3 / Math.sqrt(2));
  await assertSameContents(contents, loaded);
  disposeAll(
    contents.adapters,
    contents.head,
    loaded.adapters,
    loaded.head,
    base.weights,
    base.pooler,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("saveAdapter → loadAdapter round-trips a RoBERTa task model (q, v, classifier.dense + out_proj)", async () => {
  await initBackend({ backend: "cpu" });
  const base = await loadHfEncoder(`${HF}roberta`);
  const peft = await loadAdapter(`${HF}roberta_cls_lora`, base);
  const model = createTaskModel({ ...base, pooler: peft.pooler! }, {
    lora: { r: 4, alpha: 8, targets: ["q", "v"] },
    head: { kind: "classification", numClasses: 3, pooling: "pooler" },
  }, randomKey(3));
  assignAdapter(model, peft);
  const dir = await Deno.makeTempDir();
  const contents = taskModelAdapter(model, peft.pooler);
  await saveAdapter(dir, model, {
    pooler: peft.pooler!,
    modelType: "roberta",
    baseModelName: "roberta",
    targetModules: ["q", "v"],
    r: 4,
    alpha: 8,
  });
  // Same keys and shapes as the file PEFT wrote.
  const ours = await readSafetensors(`${dir}/adapter_model.safetensors`);
  const theirs = await readSafetensors(`${HF}roberta_cls_lora/adapter_model.safetensors`);
  assertEquals([...ours.tensors.keys()].sort(), [...theirs.tensors.keys()].sort());
  for (const [k, e] of theirs.tensors) assertEquals(ours.tensors.get(k)!.data, e.data, k);
  const again = await loadAdapter(dir, base, { r: 4, alpha: 8, targetModules: ["q", "v"] });
  await assertSameContents(contents, again);
  model.dispose();
  disposeAll(
    base.weights,
    peft.adapters,
    peft.head,
    peft.headDense,
    again.adapters,
    again.head,
    again.headDense,
  );
  await Deno.remove(dir, { recursive: true });
});

testOnBackends(
  "GPT-2 q/v LoRA on the fused c_attn survives PEFT's layout (and PEFT's shared-A form loads exactly)",
  async () => {
    const base = await loadHfDecoder(`${HF}gpt2`);
    const dims = (_: number, m: ModuleName): [number, number] =>
      m === "ffn-in" ? [32, 128] : m === "ffn-out" ? [128, 32] : [32, 32];
    const adapters = randomAdapters(dims, 2, ["q", "v", "ffn-out"], 3, 40);
    const dir = await Deno.makeTempDir();
    await saveAdapter(dir, { adapters }, {
      modelType: "gpt2",
      baseModelName: "gpt2",
      targetModules: ["q", "v", "ffn-out"],
      r: 3,
      alpha: 6,
    });
    const config = JSON.parse(await Deno.readTextFile(`${dir}/adapter_config.json`));
    assertEquals(config.target_modules, ["c_attn", "mlp.c_proj"]);
    assertEquals(config.rank_pattern, { c_attn: 6 });
    assertEquals(config.alpha_pattern, { c_attn: 12 });
    const loaded = await loadAdapter(dir, base, {
      r: 3,
      alpha: 6,
      targetModules: ["q", "v", "ffn-out"],
    });
    await assertSameContents({ adapters }, loaded);
    const batch = await goldenBatch("gpt2");
    const run = (a: Record<string, LoraWeights>, scale: number) =>
      decoderForward(base, batch, { plan: NO_DROPS, adapters: a, loraScale: scale }, EVAL);
    const reference = run(adapters, 2);
    const plain = run({}, 2);
    assert(
      maxAbsDiff(reference.dataSync(), plain.dataSync()) > 1e-3,
      "the adapters change the logits",
    );
    // Without loradrop's metadata (as from another tool) c_attn loads as q, k, v sharing A.
    const file = await readSafetensors(`${dir}/adapter_model.safetensors`);
    const tensors: Record<string, SafetensorsInput> = {};
    for (const [k, e] of file.tensors) tensors[k] = { shape: e.shape, data: e.data };
    await Deno.writeFile(`${dir}/adapter_model.safetensors`, serializeSafetensors(tensors));
    await assertRejects(() => loadAdapter(dir, base), Error, "c_attn's slices have rank 6");
    config.target_modules = ["c_attn"];
    config.r = 6;
    config.lora_alpha = 12;
    config.rank_pattern = {};
    config.alpha_pattern = {};
    for (const k of Object.keys(tensors)) if (k.includes("mlp.c_proj")) delete tensors[k];
    await Deno.writeFile(`${dir}/adapter_model.safetensors`, serializeSafetensors(tensors));
    await Deno.writeTextFile(`${dir}/adapter_config.json`, JSON.stringify(config));
    const shared = await loadAdapter(dir, base, {
      r: 6,
      alpha: 12,
      targetModules: ["q", "k", "v"],
    });
    const qvOnly = Object.fromEntries(
      Object.entries(adapters).filter(([k]) => !k.endsWith("ffn-out")),
    );
    const a = run(qvOnly, 2);
    const b = run(shared.adapters, shared.loraScale);
    const diff = maxAbsDiff(a.dataSync(), b.dataSync());
    assert(diff <= 1e-5, `max |Δ| ${diff}`);
    disposeAll(
      reference,
      plain,
      a,
      b,
      adapters,
      loaded.adapters,
      shared.adapters,
      batch.inputIds,
      batch.attentionMask,
      base.weights,
    );
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test("loadAdapter is strict: missing and unknown keys, shapes and config values are named", async () => {
  await initBackend({ backend: "cpu" });
  const base = await loadHfEncoder(`${HF}roberta`);
  const src = await readSafetensors(`${HF}roberta_cls_lora/adapter_model.safetensors`);
  const config = JSON.parse(await Deno.readTextFile(`${HF}roberta_cls_lora/adapter_config.json`));
  const before = tf.memory().numTensors;
  const variant = async (
    edit: (t: Record<string, SafetensorsInput>, c: Record<string, unknown>) => void,
  ) => {
    const dir = await Deno.makeTempDir();
    const tensors: Record<string, SafetensorsInput> = {};
    for (const [k, e] of src.tensors) tensors[k] = { shape: e.shape, data: e.data };
    const c = structuredClone(config);
    edit(tensors, c);
    await Deno.writeFile(`${dir}/adapter_model.safetensors`, serializeSafetensors(tensors));
    await Deno.writeTextFile(`${dir}/adapter_config.json`, JSON.stringify(c));
    return dir;
  };
  const qA = "base_model.model.roberta.encoder.layer.1.attention.self.query.lora_A.weight";
  const cases: [Parameters<typeof variant>[0], string][] = [
    [(t) => delete t[qA], `key "${qA}" is missing`],
    [(t) => {
      t["base_model.model.roberta.encoder.layer.0.attention.self.key.lora_A.weight"] = t[qA]!;
    }, `unknown key "base_model.model.roberta.encoder.layer.0.attention.self.key.lora_A.weight"`],
    [(t) => {
      t[qA] = { shape: [4, 31], data: new Float32Array(124) };
    }, `key "${qA}" has shape [4,31], expected [4,32]`],
    [
      (t) => delete t["base_model.model.classifier.out_proj.bias"],
      `"base_model.model.classifier.out_proj.bias" is missing`,
    ],
    [(_, c) => c.peft_type = "IA3", `peft_type is "IA3"`],
    [(_, c) => c.use_dora = true, "use_dora true is not supported"],
    [
      (_, c) => c.r = 8,
      `key "base_model.model.roberta.encoder.layer.0.attention.self.query.lora_A.weight" has shape [4,32], expected [8,32]`,
    ],
    [
      (_, c) => c.target_modules = ["query"],
      `unknown keys "base_model.model.roberta.encoder.layer.0.attention.self.value.lora_A.weight"`,
    ],
    [
      (_, c) => c.target_modules = ["rotary"],
      `target_modules ["rotary"] selects no roberta module`,
    ],
  ];
  for (const [edit, message] of cases) {
    const dir = await variant(edit);
    const error = await assertRejects(() => loadAdapter(dir, base), Error);
    assert(error.message.includes(message), `${error.message}\n  should include: ${message}`);
    assert(error.message.includes(dir), error.message);
    await Deno.remove(dir, { recursive: true });
  }
  const dir = await variant(() => {});
  await assertRejects(() => loadAdapter(dir, base, { alpha: 16 }), Error, "lora_alpha is 8");
  await assertRejects(
    () => loadAdapter(dir, base, { targetModules: ["q", "k", "v"] }),
    Error,
    "target modules are [q, v], expected [q, k, v]",
  );
  await assertRejects(() => loadAdapter(dir, base, { rsLora: true }), Error, "use_rslora is false");
  await Deno.remove(dir, { recursive: true });
  assertEquals(tf.memory().numTensors, before, "failed loads leave no tensors behind");
  disposeAll(base.weights);
});

Deno.test("saveAdapter rejects adapters that disagree with its options", async () => {
  await initBackend({ backend: "cpu" });
  const lora = (r: number) => ({
    a: tf.zeros([8, r]) as Tensor2D,
    b: tf.zeros([r, 8]) as Tensor2D,
  });
  const dir = await Deno.makeTempDir();
  const opts = {
    modelType: "bert",
    baseModelName: "b",
    targetModules: ["q", "v"],
    r: 2,
    alpha: 4,
  } as const;
  const cases: [AdapterContents, string][] = [
    [{ adapters: { "layers.0.q": lora(2) } }, `"layers.0.v" is missing`],
    [
      { adapters: { "layers.0.q": lora(2), "layers.0.v": lora(3) } },
      `"layers.0.v" must have rank r = 2`,
    ],
    [
      { adapters: { "layers.0.q": lora(2), "layers.0.o": lora(2) } },
      `"layers.0.o" is not among targetModules`,
    ],
    [{ adapters: { "layer0.q": lora(2) } }, `received "layer0.q"`],
  ];
  for (const [contents, message] of cases) {
    await assertRejects(() => saveAdapter(dir, contents, opts), Error, message);
    disposeAll(contents.adapters);
  }
  const head = { kernel: tf.zeros([8, 2]) as Tensor2D };
  const qv = { "layers.0.q": lora(2), "layers.0.v": lora(2) };
  await assertRejects(
    () => saveAdapter(dir, { adapters: qv, head }, { ...opts, modelType: "roberta" }),
    TypeError,
    "needs headDense",
  );
  disposeAll(qv, head);
  await Deno.remove(dir, { recursive: true });
});
