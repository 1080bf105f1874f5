import * as tf from "@tensorflow/tfjs-core";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "@std/assert";
import { initBackend } from "../lib/backend.ts";
import { randomKey } from "../lib/random.ts";
import { decoderForward } from "../lib/models/decoder.ts";
import { loadHfDecoder } from "../lib/io/hf_model.ts";
import { tinyDecoder } from "../lib/models/_tiny_decoder.ts";
import { loadUseLiteTokenizer } from "../lib/tokenizers/use_lite.ts";
import { generateE2eStyle, linearizeMr } from "../lib/nlg/data/mod.ts";
import {
  disposeTrainableDecoder,
  encodeDocuments,
  initDecoder,
  loadPretrainCorpus,
  PRETRAIN_PRESETS,
  pretrainDecoder,
  type PretrainSettings,
  saveDecoderAsGpt2,
} from "../lib/nlg/pretrain/mod.ts";
import { findPython, pythonTestName } from "./_python.ts";

Deno.test("loadPretrainCorpus reads ~3.5 M words from the three npm sources, split deterministically", async () => {
  const a = await loadPretrainCorpus();
  const total = Object.values(a.words).reduce((x, y) => x + y, 0);
  assert(total > 3.3e6 && total < 3.8e6, `corpus has ${total} words`);
  assert(a.words.sotu! > 1.5e6 && a.words.mobyDick! > 2e5 && a.words.wordnet! > 1e6);
  const ratio = a.validation.length / (a.train.length + a.validation.length);
  assertAlmostEquals(ratio, 0.02, 0.002);
  const b = await loadPretrainCorpus();
  assertEquals(b.validation, a.validation);
  const train = new Set(a.train);
  assert(a.validation.filter((d) => train.has(d)).length < 0.01 * a.validation.length);
});

Deno.test("encodeDocuments with a word cache equals USE-lite encoding each whole document", async () => {
  const tok = await loadUseLiteTokenizer();
  const corpus = await loadPretrainCorpus({ maxWordsPerSource: 3000 });
  const docs = [...corpus.train.slice(0, 20), ...corpus.train.slice(-20)];
  const stream = encodeDocuments(docs, (w) => tok.encode(w), 2);
  const whole = docs.flatMap((d) => [...tok.encode(d), 2]);
  assertEquals([...stream], whole);
});

Deno.test("USE-lite maps no character of E2E-style contexts or references to the unknown id 0", async () => {
  const tok = await loadUseLiteTokenizer();
  const data = generateE2eStyle(randomKey(0));
  for (const ex of [...data.train, ...data.test]) {
    for (const text of [linearizeMr(ex.mr), ...ex.references]) {
      const ids = tok.encode(text);
      assert(!ids.includes(0), `unknown piece in "${text}"`);
      assertEquals(tok.decode(ids), text);
    }
  }
});

Deno.test("a decoder saved as GPT-2 reads back through loadHfDecoder with identical logits", async () => {
  await initBackend({ backend: "cpu" });
  const config = { ...tinyConfig, vocabSize: 40 };
  const model = initDecoder(config, randomKey(3));
  const dir = await Deno.makeTempDir();
  try {
    await saveDecoderAsGpt2(dir, model);
    const back = await loadHfDecoder(dir);
    const ids = tf.tensor2d([[1, 5, 9, 30]], undefined, "int32");
    const run = (m: typeof model | typeof back) =>
      decoderForward(m, { inputIds: ids }, { plan: { drops: [] } }, { training: false });
    const [x, y] = [run(model), run(back)];
    assertEquals(x.arraySync(), y.arraySync());
    tf.dispose([ids, x, y, back.weights as unknown as tf.TensorContainer]);
  } finally {
    disposeTrainableDecoder(model);
    await Deno.remove(dir, { recursive: true });
  }
});

const tinyConfig = {
  vocabSize: 8000,
  maxPositions: 16,
  hiddenDim: 32,
  numLayers: 2,
  numHeads: 2,
  headDim: 16,
  ffnDim: 64,
  layerNormEps: 1e-5,
  activation: "gelu-tanh",
} as const;

const tinySettings: PretrainSettings = {
  ...PRETRAIN_PRESETS.smoke,
  name: "test",
  model: { hiddenDim: 32, numLayers: 2, numHeads: 2, ffnDim: 64, maxPositions: 16 },
  maxWordsPerSource: 2000,
  seqLength: 16,
  batchSize: 4,
  steps: 16,
  lr: 1e-2,
  warmupSteps: 2,
  evalEvery: 8,
  validationWindows: 8,
  checkpointEvery: 4,
};

Deno.test("pretrainDecoder lowers validation perplexity, resumes a stopped run exactly and reuses its cache", async () => {
  await initBackend({ backend: "wasm" });
  const cacheA = await Deno.makeTempDir();
  const cacheB = await Deno.makeTempDir();
  try {
    const before = tf.memory().numTensors;
    const full = await pretrainDecoder({ preset: tinySettings, cacheDir: cacheA, progress: false });
    assertEquals(full.status, "trained");
    const ppl = full.info!.validation.map((v) => v.perplexity);
    assert(ppl[1]! < 0.5 * 8000 && ppl[1]! < ppl[0]!, `validation perplexity ${ppl}`);
    assert(full.dir.startsWith(`${cacheA}/decoders/`));

    const stopped = await pretrainDecoder({
      preset: tinySettings,
      cacheDir: cacheB,
      progress: false,
      stopAfter: 8,
    });
    assertEquals(stopped.status, "stopped");
    tf.dispose(stopped.model.weights as unknown as tf.TensorContainer);
    const resumed = await pretrainDecoder({
      preset: tinySettings,
      cacheDir: cacheB,
      progress: false,
    });
    assertEquals(resumed.status, "resumed");
    assertEquals(resumed.info!.resumedAt, [8]);
    assertEquals(resumed.info!.loss, full.info!.loss);
    assertEquals(
      resumed.model.weights.layers[1]!.attention.qkv.kernel.arraySync(),
      full.model.weights.layers[1]!.attention.qkv.kernel.arraySync(),
    );

    const cached = await pretrainDecoder({
      preset: tinySettings,
      cacheDir: cacheA,
      progress: false,
    });
    assertEquals(cached.status, "cached");
    assertEquals(cached.info!.validationPerplexity, full.info!.validationPerplexity);
    for (const r of [full, resumed, cached]) {
      tf.dispose(r.model.weights as unknown as tf.TensorContainer);
    }
    assertEquals(tf.memory().numTensors, before);
  } finally {
    await Deno.remove(cacheA, { recursive: true });
    await Deno.remove(cacheB, { recursive: true });
  }
});

Deno.test("pretrainDecoder names a bad preset", async () => {
  await assertRejects(() => pretrainDecoder({ preset: "huge" as "smoke" }), RangeError, '"huge"');
  await assertRejects(
    () => pretrainDecoder({ preset: { ...tinySettings, steps: 0 } }),
    RangeError,
    "steps",
  );
});

// Python transformers reads the saved folder as GPT2LMHeadModel with the same logits (ignored,
// saying why, when no Python with torch + transformers is found; see _python.ts).
const probe = await findPython(["torch", "transformers"]);
const python = probe.python;

Deno.test({
  name: pythonTestName(
    "a decoder saved as GPT-2 loads in Python transformers with the same logits",
    probe,
  ),
  ignore: python === undefined,
  fn: async () => {
    await initBackend({ backend: "cpu" });
    // Random weights of unit scale (not GPT-2's small init), so the logits are far from 0.
    const model = tinyDecoder(4);
    const dir = await Deno.makeTempDir();
    try {
      await saveDecoderAsGpt2(dir, model);
      const ids = [[1, 5, 9, 11, 2, 7]];
      const script = [
        "import json, sys, torch, transformers",
        "m = transformers.GPT2LMHeadModel.from_pretrained(sys.argv[1]).eval()",
        "with torch.no_grad():",
        "  out = m(torch.tensor(json.loads(sys.argv[2]))).logits",
        "print(json.dumps(out.tolist()))",
      ].join("\n");
      const out = await new Deno.Command(python!, {
        args: ["-c", script, dir, JSON.stringify(ids)],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
      const theirs = JSON.parse(new TextDecoder().decode(out.stdout)) as number[][][];
      const input = tf.tensor2d(ids, undefined, "int32");
      const ours = decoderForward(model, { inputIds: input }, { plan: { drops: [] } }, {
        training: false,
      });
      const mine = ours.arraySync();
      let maxDiff = 0;
      mine[0]!.forEach((row, t) =>
        row.forEach((v, k) => maxDiff = Math.max(maxDiff, Math.abs(v - theirs[0]![t]![k]!)))
      );
      const scale = Math.max(...mine.flat(2).map(Math.abs));
      assert(scale > 0.5, `logits too small to compare: ${scale}`);
      assert(maxDiff < 1e-4 * scale, `max |logit difference| ${maxDiff} at scale ${scale}`);
      tf.dispose([input, ours]);
    } finally {
      tf.dispose(model.weights as unknown as tf.TensorContainer);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
