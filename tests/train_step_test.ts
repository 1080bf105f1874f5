import * as tf from "@tensorflow/tfjs-core";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertNotEquals,
  assertThrows,
} from "@std/assert";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import { toyBase, toySource, toyTaskModel } from "./_train_toy.ts";
import { type RandomKey, randomKey, splitKey } from "../lib/random.ts";
import type { ConsistencySpec, DropoutPlan } from "../lib/dropout/spec.ts";
import type { DropContext } from "../lib/dropout/context.ts";
import { presetPlan } from "../lib/dropout/presets.ts";
import { consistencyLoss, crossEntropy } from "../lib/losses/mod.ts";
import { createTaskModel, type TaskModel } from "../lib/models/task_model.ts";
import { tinyEncoder } from "../lib/models/_tiny_encoder.ts";
import { createAdamW, disposeAdamW } from "../lib/train/adamw.ts";
import { disposeLabeledBatch } from "../lib/train/batches.ts";
import { trainStep } from "../lib/train/train_step.ts";

const DROPS: DropoutPlan["drops"] = [
  { position: "lora-input", pattern: "element", rate: 0.3 },
  { position: "classifier", pattern: "element", rate: 0.3 },
];
const plan = (consistency?: ConsistencySpec): DropoutPlan =>
  consistency === undefined ? { drops: DROPS } : { drops: DROPS, consistency };

interface Call {
  training: boolean;
  key: string | undefined;
  taped: boolean;
}

/** Wraps a model and records every forward call: mode, key and whether a tape was recording. */
function spy(model: TaskModel): { model: TaskModel; calls: Call[] } {
  const calls: Call[] = [];
  const engine = tf.engine() as unknown as { state: { gradientDepth: number } };
  return {
    calls,
    model: {
      kind: model.kind,
      trainable: model.trainable,
      forward(batch, p, ctx: DropContext) {
        calls.push({
          training: ctx.training,
          key: ctx.key?.words.join(":"),
          taped: engine.state.gradientDepth > 0,
        });
        return model.forward(batch, p, ctx);
      },
      dispose: () => model.dispose(),
    },
  };
}

const keyId = (k: RandomKey) => k.words.join(":");

testOnBackends(
  "trainStep runs pass 2 without a tape for branches one, with it for both, and never reuses a key",
  () => {
    const base = toyBase();
    const source = toySource(8, 1);
    const key = randomKey(77);
    const [k1, k2] = splitKey(key).map(keyId);
    const cases: [ConsistencySpec | undefined, Call[]][] = [
      [undefined, [{ training: true, key: k1, taped: true }]],
      [{ kind: "kl", weight: 1, branches: "one" }, [
        { training: true, key: k2, taped: false },
        { training: true, key: k1, taped: true },
      ]],
      [{ kind: "kl", weight: 1, branches: "both" }, [
        { training: true, key: k1, taped: true },
        { training: true, key: k2, taped: true },
      ]],
      [{ kind: "js", weight: 1, branches: "one" }, [
        { training: false, key: undefined, taped: false },
        { training: true, key: k1, taped: true },
      ]],
      [{ kind: "js-hiddencut", weight: 1, branches: "one" }, [
        { training: true, key: k2, taped: false },
        { training: true, key: k1, taped: true },
      ]],
    ];
    for (const [consistency, expected] of cases) {
      const { model, calls } = spy(toyTaskModel(base, randomKey(0)));
      const opt = createAdamW(model.trainable);
      const batch = source.batch([0, 1, 2, 3]);
      const result = trainStep(model, opt, batch, plan(consistency), key, { lr: 1e-2 });
      assertEquals(calls, expected, JSON.stringify(consistency));
      assert(result.applied);
      assertEquals(result.consistencyLoss === undefined, consistency === undefined);
      if (consistency?.kind === "kl") assert(result.consistencyLoss! > 0, "two passes, two masks");
      disposeLabeledBatch(batch);
      disposeAdamW(opt);
      model.dispose();
    }
    tf.dispose([base.embedding, base.kernel]);
  },
);

testOnBackends(
  "trainStep's gradient is the one of the paper's loss (one branch) and of R-Drop's (both)",
  () => {
    const base = toyBase();
    const source = toySource(8, 2);
    const key = randomKey(5);
    const [k1, k2] = splitKey(key);
    const norms: Record<string, number> = {};
    for (const branches of ["one", "both"] as const) {
      const spec: ConsistencySpec = { kind: "kl", weight: 0.7, branches };
      const model = toyTaskModel(base, randomKey(3));
      const batch = source.batch([0, 1, 2, 3, 4, 5]);
      const p = plan(spec);
      // Reference: composed by hand from lib/losses.
      const expected = tf.tidy(() => {
        const fwd = (k: RandomKey) => model.forward(batch.inputs, p, { training: true, key: k });
        const constant = branches === "one" ? fwd(k2!).logits : undefined;
        const { grads } = tf.variableGrads(() => {
          const l1 = fwd(k1!).logits;
          if (constant !== undefined) {
            return tf.add(
              crossEntropy(l1, batch.labels),
              consistencyLoss(spec, l1, constant),
            ) as tf.Scalar;
          }
          const l2 = fwd(k2!).logits;
          const task = tf.div(
            tf.add(crossEntropy(l1, batch.labels), crossEntropy(l2, batch.labels)),
            2,
          );
          return tf.add(task, consistencyLoss(spec, l1, l2)) as tf.Scalar;
        }, Object.values(model.trainable));
        return Math.sqrt(
          Object.values(grads).reduce((s, g) => s + tf.sum(tf.square(g)).dataSync()[0]!, 0),
        );
      });
      const opt = createAdamW(model.trainable);
      const result = trainStep(model, opt, batch, p, key, { lr: 1e-2, maxGradNorm: Infinity });
      assertAlmostEquals(result.gradNorm, expected, 1e-5 * Math.max(1, expected));
      norms[branches] = result.gradNorm;
      disposeLabeledBatch(batch);
      disposeAdamW(opt);
      model.dispose();
    }
    assertNotEquals(norms.one, norms.both);
    tf.dispose([base.embedding, base.kernel]);
  },
);

testOnBackends(
  "trainStep leaves the tensor count constant and touches only model.trainable",
  async () => {
    const base = tinyEncoder(3);
    const baseTensors: tf.Tensor[] = [];
    const collect = (x: unknown): void => {
      if (x instanceof tf.Tensor) baseTensors.push(x);
      else if (x !== null && typeof x === "object") Object.values(x).forEach(collect);
    };
    collect(base.weights);
    const before = baseTensors.map((t) => t.dataSync().slice());
    const model = createTaskModel(base, {
      head: { kind: "classification", numClasses: 2, pooling: "mean" },
    }, randomKey(1));
    const initial = Object.fromEntries(
      Object.entries(model.trainable).map(([n, v]) => [n, v.dataSync().slice()]),
    );
    const opt = createAdamW(model.trainable, { weightDecay: 0.1 });
    const ids = [[3, 4, 5, 6], [7, 8, 9, 0], [10, 11, 0, 0]];
    const make = () => ({
      inputs: {
        inputIds: tf.tensor2d(ids, [3, 4], "int32"),
        attentionMask: tf.tensor2d(ids.map((r) => r.map((t) => (t === 0 ? 0 : 1))), [3, 4]),
      },
      labels: tf.tensor1d([0, 1, 1], "int32"),
      tokens: 9,
    });
    const plans = [
      presetPlan("hiddenKey", { rate: 0.2 }),
      presetPlan("hiddenKey-both", { rate: 0.2 }),
      presetPlan("hiddenKey-minus+js", { rate: 0.2 }),
      presetPlan("baseline", { rate: 0 }),
    ];
    for (const [i, p] of plans.entries()) {
      const batch = make();
      // The first step of a plan may create lazily cached tensors; count from the second on.
      trainStep(model, opt, batch, p, randomKey(100 + i), { lr: 1e-2 });
      await assertNoLeak(`3 training steps of plan ${i}`, () => {
        for (let s = 0; s < 3; s++) {
          const r = trainStep(model, opt, batch, p, randomKey(10 * i + s), { lr: 1e-2 });
          assert(r.applied && Number.isFinite(r.loss));
        }
      });
      disposeLabeledBatch(batch);
    }
    baseTensors.forEach((t, i) =>
      assertEquals(t.dataSync(), before[i], `base tensor ${i} changed`)
    );
    for (const [name, v] of Object.entries(model.trainable)) {
      assertNotEquals([...v.dataSync()], [...initial[name]!], `${name} did not train`);
    }
    disposeAdamW(opt);
    model.dispose();
    tf.dispose(baseTensors);
  },
);

testOnBackends("trainStep reports a non-finite loss without changing any variable", () => {
  const base = toyBase();
  const model = toyTaskModel(base, randomKey(0), "regression");
  const opt = createAdamW(model.trainable);
  const good = toySource(4, 3, "regression").batch([0, 1, 2, 3]);
  const bad = { ...good, labels: tf.tensor1d([0.5, NaN, 0.1, 0.2]) };
  const snapshot = Object.values(model.trainable).map((v) => v.dataSync().slice());
  const result = trainStep(model, opt, bad, plan(), randomKey(1), { lr: 1e-2 });
  assertEquals(result.applied, false);
  assert(Number.isNaN(result.loss));
  assertEquals(opt.step, 0);
  Object.values(model.trainable).forEach((v, i) => assertEquals(v.dataSync(), snapshot[i]));
  assertThrows(
    () =>
      trainStep(
        model,
        opt,
        { ...good, labels: tf.tensor1d([0, 1, 0, 1], "int32") },
        plan(),
        randomKey(1),
        { lr: 1 },
      ),
    TypeError,
    "regression labels must be float32",
  );
  tf.dispose(bad.labels);
  disposeLabeledBatch(good);
  disposeAdamW(opt);
  model.dispose();
  tf.dispose([base.embedding, base.kernel]);
});

testOnBackends("trainStep on regression uses MSE consistency, on the outputs or on pooled", () => {
  const base = toyBase();
  const source = toySource(6, 4, "regression");
  const results: number[] = [];
  for (const on of ["logits", "pooled"] as const) {
    const model = toyTaskModel(base, randomKey(0), "regression");
    const opt = createAdamW(model.trainable);
    const batch = source.batch([0, 1, 2, 3, 4, 5]);
    const p = plan({ kind: "kl", weight: 1, branches: "one" });
    const options = { lr: 1e-2, regressionConsistencyOn: on };
    // LoRA's B starts at 0, so lora-input masks change `pooled` only from the second step on.
    trainStep(model, opt, batch, p, randomKey(8), options);
    const r = trainStep(model, opt, batch, p, randomKey(9), options);
    assert(r.applied && r.consistencyLoss! > 0);
    results.push(r.consistencyLoss!);
    disposeLabeledBatch(batch);
    disposeAdamW(opt);
    model.dispose();
  }
  assertNotEquals(results[0], results[1]);
  tf.dispose([base.embedding, base.kernel]);
});
