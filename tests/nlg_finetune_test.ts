import * as tf from "@tensorflow/tfjs-core";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../lib/backend.ts";
import { randomKey } from "../lib/random.ts";
import { decoderForward, latterHalfPlan } from "../lib/models/decoder.ts";
import { tinyDecoder } from "../lib/models/_tiny_decoder.ts";
import { createDecoderTaskModel, lmTargetLoss } from "../lib/models/decoder_task_model.ts";
import { crossEntropy } from "../lib/losses/mod.ts";
import { createAdamW, disposeAdamW } from "../lib/train/adamw.ts";
import { trainStep } from "../lib/train/train_step.ts";
import { disposeLabeledBatch } from "../lib/train/batches.ts";
import type { DropoutPlan } from "../lib/dropout/spec.ts";
import { finetuneE2e, lmBatchSource, NLG_FINETUNE_PRESETS } from "../lib/nlg/finetune/mod.ts";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import { nlgPresetSpec, nlgRunSpecs } from "../lib/repro/plan/nlg_experiments.ts";
import {
  executeNlgRun,
  type NlgResources,
  type NlgStoredRun,
} from "../lib/repro/run/nlg_execute.ts";
import { nlgTable, nlgTableSection } from "../lib/repro/report/nlg_sections.ts";
import { planGrid } from "../lib/repro/run/scheduler.ts";
import { readStoredRuns } from "../lib/repro/run/store.ts";

const encode = (s: string) =>
  s.split(" ").filter((w) => w.length > 0).map((w) => 3 + (w.length % 9));
const pairs = [
  { context: "a bb", reference: "ccc dddd" },
  { context: "eeeee", reference: "ff g hh" },
  { context: "x yy zzz", reference: "w" },
];
const hiddenKey: DropoutPlan = {
  drops: [
    { position: "attention-logits", pattern: "column", rate: 0.3 },
    { position: "hidden", pattern: "element", rate: 0.3 },
  ],
  consistency: { kind: "kl", weight: 1, branches: "one" },
};

testOnBackends(
  "lmTargetLoss counts only target positions, with label smoothing",
  async (backend) => {
    await initBackend({ backend });
    await assertNoLeak("lmTargetLoss", () => {
      tf.tidy(() => {
        const logits = tf.randomNormal([2, 4, 7], 0, 2, "float32", 1) as tf.Tensor3D;
        const labels = tf.tensor2d([[-100, -100, 3, 5], [-100, 6, 0, -100]], undefined, "int32");
        const loss = lmTargetLoss(logits, labels, 0.1).dataSync()[0]!;
        const rows = [[0, 2, 3], [0, 3, 5], [1, 1, 6], [1, 2, 0]];
        const picked = tf.stack(
          rows.map(([b, t]) => tf.slice(logits, [b!, t!, 0], [1, 1, 7]).reshape([7])),
        );
        const manual = crossEntropy(picked, tf.tensor1d(rows.map((r) => r[2]!), "int32"), {
          labelSmoothing: 0.1,
        }).dataSync()[0]!;
        assertAlmostEquals(loss, manual, 1e-5);
        // logits at ignored positions do not matter
        const other = tf.where(
          tf.expandDims(tf.greaterEqual(labels, 0), 2),
          logits,
          tf.fill([2, 4, 7], 50),
        );
        assertAlmostEquals(lmTargetLoss(other, labels, 0.1).dataSync()[0]!, loss, 1e-5);
      });
    });
    assertThrows(() => lmTargetLoss(tf.zeros([1, 2, 3]), tf.zeros([1, 2]), 0), TypeError, "int32");
  },
);

testOnBackends(
  "decoder task model drops only in the latter half of the layers",
  async (backend) => {
    await initBackend({ backend });
    const base = tinyDecoder(2, { numLayers: 4 });
    const model = createDecoderTaskModel(base, {}, randomKey(1));
    // Make the adapters non-trivial so they matter.
    for (const v of Object.values(model.trainable)) {
      v.assign(
        tf.randomNormal(v.shape, 0, 0.2, "float32", 3),
      );
    }
    const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6]], undefined, "int32");
    const mask = tf.ones([1, 6]) as tf.Tensor2D;
    const ctx = { training: true, key: randomKey(9) } as const;
    const plan: DropoutPlan = { drops: hiddenKey.drops };
    await assertNoLeak("forward", () => {
      tf.tidy(() => {
        const got = model.forward({ inputIds: ids, attentionMask: mask }, plan, ctx).logits;
        const opts = { adapters: model.adapters, loraScale: model.loraScale };
        const latter = decoderForward(base, { inputIds: ids, attentionMask: mask }, {
          plan: latterHalfPlan(plan, 4),
          ...opts,
        }, ctx);
        const all = decoderForward(
          base,
          { inputIds: ids, attentionMask: mask },
          { plan, ...opts },
          ctx,
        );
        const diff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
        assertEquals(diff(got, latter), 0);
        assert(diff(got, all) > 1e-4);
        const clean = model.logits(ids, mask);
        assert(diff(got, clean) > 1e-4); // training drops something
      });
    });
    model.dispose();
    tf.dispose([ids, mask, base.weights as unknown as tf.TensorContainer]);
  },
);

testOnBackends(
  "a HiddenKey step on the decoder LM changes only LoRA, leaks nothing, has a masked KL term",
  async (backend) => {
    await initBackend({ backend });
    const base = tinyDecoder(3);
    const model = createDecoderTaskModel(base, {}, randomKey(2));
    const opt = createAdamW(model.trainable);
    const source = lmBatchSource(pairs, encode, { eosId: 2, maxLength: 10 });
    const baseBefore = base.weights.layers[1]!.attention.qkv.kernel.arraySync();
    const bBefore = model.trainable["layers.1.v.lora_b"]!.arraySync();
    await assertNoLeak("trainStep", () => {
      const batch = source.batch([0, 1, 2]);
      try {
        const r = trainStep(model, opt, batch, hiddenKey, randomKey(4), { lr: 1e-2 });
        assert(r.applied && Number.isFinite(r.loss));
        assert(r.consistencyLoss! > 0, `consistency ${r.consistencyLoss}`);
      } finally {
        disposeLabeledBatch(batch);
      }
    });
    assertEquals(base.weights.layers[1]!.attention.qkv.kernel.arraySync(), baseBefore);
    assert(
      JSON.stringify(model.trainable["layers.1.v.lora_b"]!.arraySync()) !== JSON.stringify(bBefore),
    );
    disposeAdamW(opt);
    model.dispose();
    tf.dispose(base.weights as unknown as tf.TensorContainer);
  },
);

Deno.test("lmBatchSource names a pair longer than the model's positions", () => {
  assertThrows(
    () => lmBatchSource(pairs, encode, { eosId: 2, maxLength: 4 }),
    RangeError,
    "pair 0 has 5 tokens, more than maxLength 4",
  );
});

Deno.test("finetuneE2e learns to realise a toy MR, records the run and reuses it", async () => {
  await initBackend({ backend: "wasm" });
  const base = tinyDecoder(1, { maxPositions: 24 });
  const letters = "abcdefghijk";
  const tokenizer = {
    name: "toy",
    encode: (s: string) =>
      [...s].filter((c) => letters.includes(c)).map((c) => letters.indexOf(c) + 1),
    decode: (ids: readonly number[]) => ids.map((i) => letters[i - 1] ?? "?").join(""),
  };
  const ex = { mr: "name[ab], food[c]", references: ["kjihg"] };
  const out = await Deno.makeTempDir();
  try {
    const options = {
      base,
      baseName: "tiny",
      tokenizer,
      eosId: 0,
      train: [ex],
      evaluation: [ex],
      plan: { drops: [] },
      seeds: { init: 0, data: 0, dropout: 0 },
      settings: {
        ...NLG_FINETUNE_PRESETS.smoke,
        steps: 150,
        lr: 5e-2,
        warmupSteps: 10,
        labelSmoothing: 0,
        decoding: { ...NLG_FINETUNE_PRESETS.smoke.decoding, maxNewTokens: 8 },
      },
      outDir: out,
      progress: false,
    };
    const before = tf.memory().numTensors;
    const r = await finetuneE2e(options);
    assertEquals(tf.memory().numTensors, before);
    const losses = r.record.curves.taskLoss;
    assert(losses.at(-1)! < 0.5 * losses[0]!, `loss ${losses[0]} → ${losses.at(-1)}`);
    assertEquals(r.generations[0]!.hypothesis, "kjihg");
    assertAlmostEquals(r.scores.rougeL, 100, 1e-9);
    const again = await finetuneE2e(options);
    assertEquals(again.record.runId, r.record.runId);
    assertEquals(again.generations, r.generations);
  } finally {
    tf.dispose(base.weights as unknown as tf.TensorContainer);
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("NLG repro: runs execute, are stored by spec hash, and fill the Table-2 section", async () => {
  await initBackend({ backend: "wasm" });
  const base = tinyDecoder(5, { maxPositions: 24 });
  const letters = "abcdefghijk";
  const ex = (name: string, ref: string) => ({ mr: `name[${name}]`, references: [ref] });
  const resources: NlgResources = {
    preset: "smoke",
    model: nlgPresetSpec("smoke").model,
    base,
    baseName: "tiny",
    tokenizer: {
      name: "toy",
      encode: (s: string) =>
        [...s].filter((c) => letters.includes(c)).map((c) => letters.indexOf(c) + 1),
      decode: (ids: readonly number[]) => ids.map((i) => letters[i - 1] ?? "?").join(""),
    },
    eosId: 0,
    train: [ex("ab", "abc"), ex("cd", "cde"), ex("ef", "efg")],
    test: [ex("ab", "abc"), ex("gh", "ghi")],
  };
  const dir = await Deno.makeTempDir();
  try {
    const specs = nlgRunSpecs("smoke").filter((s) =>
      s.method === "baseline" || s.method === "hiddenKey"
    );
    for (const spec of specs) await executeNlgRun(spec, resources, { dir, backend: "wasm" });
    const { todo, done } = await planGrid(specs, "wasm", dir);
    assertEquals([todo.length, done.length], [0, 2]);
    const runs = await readStoredRuns(dir) as NlgStoredRun[];
    const rows = nlgTable(runs);
    assertEquals(rows.map((r) => r.method), ["baseline", "hiddenKey"]);
    const hk = runs.find((r) => r.spec.method === "hiddenKey")!;
    assert(hk.record.curves.consistencyLoss.length === hk.record.steps);
    assertEquals(hk.nlg.generations.length, 2);
    const table = nlgTableSection({ preset: "smoke", runs }).table!;
    assertEquals(table.rows.length, 2);
    assertEquals(table.rows[1]!["paper BLEU"], "69.76 ± 0.51");
  } finally {
    tf.dispose(base.weights as unknown as tf.TensorContainer);
    await Deno.remove(dir, { recursive: true });
  }
});
