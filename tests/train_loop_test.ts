import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import { testOnBackends } from "./_backends.ts";
import { type ToyBase, toyBase, toySource, toyTaskModel } from "./_train_toy.ts";
import type { DropoutPlan } from "../lib/dropout/spec.ts";
import { readJsonLines } from "../lib/train/atomic_file.ts";
import { type BatchSource, createDataOrder } from "../lib/train/batches.ts";
import { randomKey } from "../lib/random.ts";
import { presetPlan } from "../lib/dropout/presets.ts";
import { createTaskModel } from "../lib/models/task_model.ts";
import { tinyEncoder } from "../lib/models/_tiny_encoder.ts";
import type { RunRecord } from "../lib/train/run_record.ts";
import { train, type TrainOptions } from "../lib/train/train.ts";

const PLAN: DropoutPlan = {
  drops: [
    { position: "lora-input", pattern: "element", rate: 0.2 },
    { position: "classifier", pattern: "element", rate: 0.2 },
  ],
  consistency: { kind: "kl", weight: 0.5, branches: "one" },
};

function options(base: ToyBase, extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    makeModel: (key) => toyTaskModel(base, key),
    train: toySource(48, 1),
    dev: toySource(32, 2),
    plan: PLAN,
    seeds: { init: 1, data: 2, dropout: 3 },
    batchSize: 8,
    steps: 12,
    lr: 0.05,
    evalEvery: 5,
    progress: false,
    ...extra,
  };
}

async function values(model: { trainable: Record<string, tf.Variable> }) {
  const out: Record<string, number[]> = {};
  for (const [n, v] of Object.entries(model.trainable)) out[n] = [...(await v.data())];
  return out;
}

testOnBackends(
  "train: same seeds give the same curve; each seed changes its own part",
  async () => {
    const base = toyBase();
    const before = tf.memory().numTensors;
    const run = async (seeds: TrainOptions["seeds"]) => {
      const { record, model } = await train(options(base, { seeds, dev: undefined }));
      model.dispose();
      return record.curves.loss;
    };
    const a = await run({ init: 1, data: 2, dropout: 3 });
    assertEquals(await run({ init: 1, data: 2, dropout: 3 }), a);
    const otherDropout = await run({ init: 1, data: 2, dropout: 4 });
    const otherData = await run({ init: 1, data: 5, dropout: 3 });
    const otherInit = await run({ init: 6, data: 2, dropout: 3 });
    for (const other of [otherDropout, otherData, otherInit]) assertNotEquals(other, a);
    // The dropout seed does not move the initialisation: the first step's task loss is the same
    // (LoRA's B starts at 0 but the classifier drop differs, so compare the no-drop case instead).
    const noDrop = (seeds: TrainOptions["seeds"]) =>
      train(options(base, { seeds, dev: undefined, plan: { drops: [] } }));
    const x = await noDrop({ init: 1, data: 2, dropout: 3 });
    const y = await noDrop({ init: 1, data: 2, dropout: 9 });
    assertEquals(x.record.curves.loss, y.record.curves.loss);
    x.model.dispose();
    y.model.dispose();
    assertEquals(tf.memory().numTensors, before, "train leaked tensors");
    tf.dispose([base.embedding, base.kernel]);
  },
);

testOnBackends(
  "train: loss falls, dev accuracy beats chance, events fire, a record is appended",
  async () => {
    const base = toyBase();
    const dir = await Deno.makeTempDir();
    const steps: number[] = [];
    const evals: number[] = [];
    let ended = 0;
    const tensorsBefore = tf.memory().numTensors;
    const { record, model, status } = await train(options(base, {
      steps: 120,
      evalEvery: 40,
      outDir: dir,
      describe: { task: "toy" },
      onStep: (e) => {
        steps.push(e.step);
      },
      onEval: (e) => {
        evals.push(e.step);
      },
      onEnd: () => {
        ended++;
      },
    }));
    assertEquals(status, "trained");
    assertEquals(steps, Array.from({ length: 120 }, (_, i) => i + 1));
    assertEquals(evals, [40, 80, 120]);
    assertEquals(ended, 1);
    const loss = record.curves.loss;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert(
      mean(loss.slice(-10)) < 0.8 * mean(loss.slice(0, 10)),
      `loss ${loss[0]} -> ${loss.at(-1)}`,
    );
    const dev = toySource(32, 2);
    const majority =
      Math.max(...[0, 1].map((c) => [...dev.labels as number[]].filter((l) => l === c).length)) /
      32;
    assert(
      record.final!.value > majority,
      `accuracy ${record.final!.value} vs majority ${majority}`,
    );
    assertEquals(record.curves.consistencyLoss.length, 120);
    assertEquals(record.config.describe, { task: "toy" });
    assertEquals(record.backend, tf.getBackend());
    assert(record.tokensPerSecond > 0 && record.peakMemory.numBytes > 0);
    assertEquals(record.runId.length, 64);
    const lines = await readJsonLines(`${dir}/results.jsonl`) as RunRecord[];
    assertEquals(lines.length, 1);
    assertEquals(lines[0]!.curves.loss, loss);
    const events = await readJsonLines(`${dir}/runs/${record.runId.slice(0, 16)}/events.jsonl`);
    assertEquals(events.map((e) => (e as { step: number }).step), [40, 80, 120]);
    model.dispose();
    assertEquals(tf.memory().numTensors, tensorsBefore, "training with evaluations leaked tensors");
    tf.dispose([base.embedding, base.kernel]);
    await Deno.remove(dir, { recursive: true });
  },
);

testOnBackends(
  "train: a run killed mid-way resumes to bit-identical variables and record",
  async () => {
    const base = toyBase();
    const dirA = await Deno.makeTempDir(), dirB = await Deno.makeTempDir();
    const common = { steps: 17, evalEvery: 5, checkpointEvery: 3 };
    const full = await train(options(base, { ...common, outDir: dirA }));
    const expected = await values(full.model);
    full.model.dispose();

    const stop = new Error("simulated kill");
    const seen: number[] = [];
    await assertRejects(
      () =>
        train(options(base, {
          ...common,
          outDir: dirB,
          onStep: (e) => {
            if (e.step === 8) throw stop;
          },
        })),
      Error,
      "simulated kill",
    );
    // Finished evaluations are already on disk: step 5 (the checkpoint after it is at step 6).
    const runDir = `${dirB}/runs/${full.record.runId.slice(0, 16)}`;
    assertEquals((await readJsonLines(`${runDir}/events.jsonl`)).length, 1);
    assertEquals(JSON.parse(await Deno.readTextFile(`${runDir}/checkpoint.json`)).step, 6);

    const resumed = await train(options(base, {
      ...common,
      outDir: dirB,
      onStep: (e) => {
        seen.push(e.step);
      },
    }));
    assertEquals(resumed.status, "resumed");
    assertEquals(seen[0], 7, "resumed from the step-6 checkpoint");
    assertEquals(await values(resumed.model), expected);
    assertEquals(resumed.record.curves, full.record.curves);
    assertEquals(resumed.record.evaluations, full.record.evaluations);
    assertEquals(resumed.record.resumedAt, [6]);
    assertEquals(resumed.record.runId, full.record.runId);
    resumed.model.dispose();

    // A third run of the same config trains nothing and appends nothing.
    const again = await train(options(base, { ...common, outDir: dirB }));
    assertEquals(again.status, "already-finished");
    assertEquals(await values(again.model), expected);
    assertEquals((await readJsonLines(`${dirB}/results.jsonl`)).length, 1);
    again.model.dispose();
    tf.dispose([base.embedding, base.kernel]);
    await Deno.remove(dirA, { recursive: true });
    await Deno.remove(dirB, { recursive: true });
  },
);

testOnBackends(
  "train: a non-finite loss stops the run naming the step and the last finite loss",
  async () => {
    const base = toyBase();
    const good = toySource(16, 7, "regression");
    const labels = [...good.labels as number[]];
    let step = 0;
    // The third step's batch gets NaN targets (the memory check's probe batches of one and two
    // examples are not steps).
    const source: BatchSource = {
      size: good.size,
      labels,
      batch(indices) {
        if (indices.length === 4) step++;
        const b = good.batch(indices);
        if (step !== 3 || indices.length !== 4) return b;
        b.labels.dispose();
        return { ...b, labels: tf.fill([indices.length], NaN) };
      },
    };
    await assertRejects(
      () =>
        train({
          ...options(base),
          makeModel: (key) => toyTaskModel(base, key, "regression"),
          train: source,
          dev: undefined,
          batchSize: 4,
        }),
      Error,
      "loss became NaN at step 3 of 12; the last finite loss was",
    );
    tf.dispose([base.embedding, base.kernel]);
  },
);

Deno.test("train rejects bad options with errors naming the value", async () => {
  const base = toyBase();
  await assertRejects(() => train(options(base, { batchSize: 0 })), RangeError, "received 0");
  await assertRejects(() => train(options(base, { steps: 5, epochs: 2 })), TypeError, "not both");
  await assertRejects(
    () => train(options(base, { seeds: { init: 1, data: 1.5, dropout: 0 } })),
    TypeError,
    "seeds.data",
  );
  await assertRejects(() => train(options(base, { lr: NaN })), RangeError, "lr");
  tf.dispose([base.embedding, base.kernel]);
});

Deno.test("createDataOrder covers every example once per epoch, with or without length grouping", () => {
  const lengths = Array.from({ length: 50 }, (_, i) => (i * 7) % 13);
  for (const options of [{ batchSize: 8 }, { batchSize: 8, lengths }]) {
    const order = createDataOrder(randomKey(4), 50, options);
    for (const epoch of [0, 1]) {
      const seen = Array.from(
        { length: order.batchesPerEpoch },
        (_, b) => order.at(epoch * order.batchesPerEpoch + b).indices,
      ).flat();
      assertEquals([...seen].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
    }
    assertNotEquals(order.at(0).indices, order.at(order.batchesPerEpoch).indices);
    assertEquals(createDataOrder(randomKey(4), 50, options).at(9), order.at(9));
  }
  // Grouped batches hold similar lengths: their spread is far below the plain batches'.
  const spread = (o: ReturnType<typeof createDataOrder>) => {
    let total = 0;
    for (let s = 0; s < o.batchesPerEpoch; s++) {
      const ls = o.at(s).indices.map((i) => lengths[i]!);
      total += Math.max(...ls) - Math.min(...ls);
    }
    return total;
  };
  const grouped = spread(createDataOrder(randomKey(4), 50, { batchSize: 8, lengths }));
  const plain = spread(createDataOrder(randomKey(4), 50, { batchSize: 8 }));
  assert(grouped < plain / 2, `grouped spread ${grouped}, plain ${plain}`);
});

testOnBackends("train with groupByLength trains on length-grouped batches", async () => {
  const base = toyBase();
  const grouped = await train(options(base, { groupByLength: true, dev: undefined }));
  const plain = await train(options(base, { dev: undefined }));
  assertEquals(grouped.record.config.groupByLength, true);
  assertNotEquals(grouped.record.curves.loss, plain.record.curves.loss);
  assertNotEquals(grouped.record.runId, plain.record.runId);
  grouped.model.dispose();
  plain.model.dispose();
  const { lengths: _, ...noLengths } = toySource(8, 1);
  await assertRejects(
    () => train(options(base, { groupByLength: true, train: noLengths })),
    TypeError,
    "groupByLength",
  );
  tf.dispose([base.embedding, base.kernel]);
});

testOnBackends(
  "train on the tiny encoder with HiddenKey: same seeds, same curve; new dropout seed, new curve",
  async () => {
    const base = tinyEncoder(2);
    const ids = Array.from(
      { length: 12 },
      (_, i) => [3 + (i % 5), 4 + (i % 7), 5 + (i % 3), i % 2 ? 0 : 9],
    );
    const labels = ids.map((_, i) => i % 2);
    const source: BatchSource = {
      size: ids.length,
      labels,
      batch: (indices) => ({
        inputs: {
          inputIds: tf.tensor2d(indices.map((i) => ids[i]!), [indices.length, 4], "int32"),
          attentionMask: tf.tensor2d(indices.map((i) => ids[i]!.map((t) => (t === 0 ? 0 : 1))), [
            indices.length,
            4,
          ]),
        },
        labels: tf.tensor1d(indices.map((i) => labels[i]!), "int32"),
        tokens: indices.reduce((s, i) => s + ids[i]!.filter((t) => t !== 0).length, 0),
      }),
    };
    const run = async (dropout: number) => {
      const { record, model } = await train({
        makeModel: (key) =>
          createTaskModel(base, {
            head: { kind: "classification", numClasses: 2, pooling: "mean" },
          }, key),
        train: source,
        plan: presetPlan("hiddenKey", { rate: 0.2 }),
        seeds: { init: 0, data: 0, dropout },
        batchSize: 4,
        steps: 5,
        lr: 1e-2,
        progress: false,
      });
      model.dispose();
      return record.curves;
    };
    const a = await run(1);
    assertEquals(await run(1), a);
    const b = await run(2);
    assertNotEquals(b.loss, a.loss);
    assert(a.consistencyLoss.every((x) => x > 0), "two passes draw different masks");
    const collect = (x: unknown): tf.Tensor[] =>
      x instanceof tf.Tensor
        ? [x]
        : x !== null && typeof x === "object"
        ? Object.values(x).flatMap(collect)
        : [];
    tf.dispose(collect(base.weights));
  },
);
