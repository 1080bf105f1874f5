// The pattern and compensation tables are the only place a new pattern or loss is added: a toy
// row registered through the public functions runs end to end (operators, presets, a model
// forward, a training step), and is gone again after unregistering.
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import { toyBase, toySource, toyTaskModel } from "./_train_toy.ts";
import { type RandomKey, randomKey, splitKey, uniform } from "../lib/random.ts";
import {
  DROP_PATTERNS,
  type DropPatternRow,
  registerDropPattern,
  unregisterDropPattern,
} from "../lib/dropout/patterns.ts";
import { type DropoutPlan, validateDropSpec, validatePlan } from "../lib/dropout/spec.ts";
import { dropKey } from "../lib/dropout/drop_key.ts";
import { dropRepresentation } from "../lib/dropout/drop_representation.ts";
import { MASKED_LOGIT } from "../lib/dropout/masked_logit.ts";
import { PRESET_NAMES, presetNames, presetPlan } from "../lib/dropout/presets.ts";
import {
  CONSISTENCY_KINDS,
  registerCompensation,
  unregisterCompensation,
} from "../lib/losses/compensations.ts";
import { stopGradient } from "../lib/losses/stop_gradient.ts";
import { encoderForward } from "../lib/models/encoder.ts";
import { tinyEncoder } from "../lib/models/_tiny_encoder.ts";
import type { TaskModel } from "../lib/models/task_model.ts";
import { createAdamW, disposeAdamW } from "../lib/train/adamw.ts";
import { disposeLabeledBatch } from "../lib/train/batches.ts";
import { trainStep } from "../lib/train/train_step.ts";

/**
 * A 2-D checkerboard over the last two axes: entry (i, j) of a (query, key) or (token, feature)
 * plane is kept when `i + j + parity` is even, the parity drawn once per plane from the key. The
 * rate is ignored (a toy). `calls` counts the samples drawn.
 */
function checkerboard(): { row: DropPatternRow; calls: { n: number } } {
  const calls = { n: 0 };
  const board = (key: RandomKey, shape: readonly number[]): tf.Tensor => {
    calls.n++;
    const [rows, cols] = [shape[shape.length - 2]!, shape[shape.length - 1]!];
    const planes = shape.slice(0, -2).reduce((a, b) => a * b, 1);
    const parity = uniform(key, planes);
    const out = new Float32Array(planes * rows * cols);
    for (let p = 0; p < planes; p++) {
      const offset = parity[p]! < 0.5 ? 0 : 1;
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          out[(p * rows + i) * cols + j] = (i + j + offset) % 2 ? 0 : 1;
        }
      }
    }
    return tf.tensor(out, [...shape]);
  };
  return {
    calls,
    row: {
      name: "checkerboard",
      positions: ["attention-logits", "attention-weights", "hidden"],
      attention: { sample: (key, shape) => board(key, shape) as tf.Tensor4D, maskAxes: [] },
      representation: {
        sample: (key, shape, _rate, { value }) => tf.tidy(() => tf.mul(board(key, shape), value)),
        maskAxes: [],
        ranks: [3],
      },
      rescale: "none",
    },
  };
}

/** Whether every (i, j) plane of `kept` (1 kept, 0 dropped) is a checkerboard. */
function isCheckerboard(kept: number[], shape: readonly number[]): boolean {
  const [rows, cols] = [shape[shape.length - 2]!, shape[shape.length - 1]!];
  for (let p = 0; p < kept.length / (rows * cols); p++) {
    const first = kept[p * rows * cols]!;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const want = (i + j) % 2 === 0 ? first : 1 - first;
        if (kept[(p * rows + i) * cols + j] !== want) return false;
      }
    }
  }
  return true;
}

testOnBackends(
  "a registered pattern runs through dropKey, dropRepresentation, presets and the encoder",
  async () => {
    const { row, calls } = checkerboard();
    registerDropPattern(row);
    try {
      assert(DROP_PATTERNS.includes("checkerboard"));
      validateDropSpec({ position: "hidden", pattern: "checkerboard", rate: 0.5 });
      assertThrows(
        () => validateDropSpec({ position: "embedding", pattern: "checkerboard", rate: 0.5 }),
        TypeError,
        'does not act at position "embedding"',
      );
      assertThrows(() => registerDropPattern(row), TypeError, "already registered");

      const ctx = { training: true, key: randomKey(3) };
      const logits = tf.randomNormal([2, 3, 5, 6], 0, 1, "float32", 7) as tf.Tensor4D;
      const attention = {
        position: "attention-logits",
        pattern: "checkerboard",
        rate: 0.5,
      } as const;
      const dropped = dropKey(logits, attention, ctx);
      const [before, after] = [await logits.data(), await dropped.data()];
      const keptLogits = Array.from(after, (v, i) => v === before[i] ? 1 : 0);
      assert(isCheckerboard(keptLogits, logits.shape));
      assert(Array.from(after).every((v, i) => v === before[i] || v < MASKED_LOGIT / 2));

      const x = tf.ones([2, 4, 6]);
      const hidden = { position: "hidden", pattern: "checkerboard", rate: 0.5 } as const;
      const y = dropRepresentation(x, hidden, ctx);
      assert(isCheckerboard(Array.from(await y.data()), x.shape), "kept ones stay 1: no rescaling");
      tf.dispose([logits, dropped, x, y]);

      assert(presetNames().includes("dropKey-checkerboard"));
      assert(presetNames().includes("hiddenCut-checkerboard"));
      assert(!presetNames().includes("hiddenKey-checkerboard"));
      assert(!PRESET_NAMES.includes("dropKey-checkerboard"), "PRESET_NAMES lists the built-ins");
      const model = tinyEncoder(4);
      const input = {
        inputIds: tf.tensor2d([[3, 4, 5, 6], [7, 8, 9, 0]], undefined, "int32") as tf.Tensor2D,
        attentionMask: tf.tensor2d([[1, 1, 1, 1], [1, 1, 1, 0]]) as tf.Tensor2D,
      };
      for (const name of ["dropKey-checkerboard", "hiddenCut-checkerboard"]) {
        const plan = { plan: presetPlan(name, { rate: 0.5 }) };
        calls.n = 0;
        await assertNoLeak(name, () => {
          const [infer, trainA, trainB] = tf.tidy(() =>
            [
              encoderForward(model, input, plan, { training: false }),
              encoderForward(model, input, plan, { training: true, key: randomKey(1) }),
              encoderForward(model, input, plan, { training: true, key: randomKey(1) }),
            ].map((t) => Array.from(t.dataSync()))
          );
          assert(trainA!.every(Number.isFinite), name);
          assertEquals(trainA, trainB, `${name}: the same key gives the same masks`);
          assert(
            trainA!.some((v, i) => Math.abs(v - infer![i]!) > 1e-4),
            `${name} changes training`,
          );
        });
        assertEquals(
          calls.n,
          2 * model.config.layers.length,
          `${name}: one mask per layer and pass`,
        );
      }
      tf.dispose([input.inputIds, input.attentionMask]);
    } finally {
      unregisterDropPattern("checkerboard");
    }
    assert(!DROP_PATTERNS.includes("checkerboard"));
    assert(!presetNames().includes("dropKey-checkerboard"));
    assertThrows(
      () => validateDropSpec({ position: "hidden", pattern: "checkerboard", rate: 0.5 }),
      TypeError,
      "pattern must be one of",
    );
    assertThrows(() => unregisterDropPattern("element"), TypeError, "built-in");
  },
);

/** Records the training flag of every forward pass. */
function recording(model: TaskModel): { model: TaskModel; training: boolean[] } {
  const training: boolean[] = [];
  return {
    training,
    model: {
      ...model,
      forward: (batch, plan, ctx) => {
        training.push(ctx.training);
        return model.forward(batch, plan, ctx);
      },
    },
  };
}

testOnBackends("a registered compensation loss drives trainStep's second pass and its term", () => {
  // Mean squared difference of the logits: the same function, two second-pass modes.
  let lossCalls = 0;
  const l2 = (a: tf.Tensor, b: tf.Tensor, o: { stopGradientSecond: boolean }) => {
    lossCalls++;
    return tf.mean(tf.square(tf.sub(a, o.stopGradientSecond ? stopGradient(b) : b)));
  };
  registerCompensation({ kind: "toy-l2-to-inference", loss: l2, secondPass: "inference" });
  registerCompensation({ kind: "toy-l2", loss: l2, secondPass: "dropout" });
  try {
    assert(CONSISTENCY_KINDS.includes("toy-l2"));
    const base = toyBase();
    const source = toySource(8, 4);
    const key = randomKey(21);
    const [k1, k2] = splitKey(key);
    for (
      const [kind, second] of [["toy-l2-to-inference", false], ["toy-l2", true]] as const
    ) {
      const plan: DropoutPlan = validatePlan({
        drops: [{ position: "classifier", pattern: "element", rate: 0.3 }],
        consistency: { kind, weight: 0.5, branches: "one" },
      });
      const { model, training } = recording(toyTaskModel(base, randomKey(2)));
      const batch = source.batch([0, 1, 2, 3]);
      const expected = tf.tidy(() => {
        const out1 = model.forward(batch.inputs, plan, { training: true, key: k1! }).logits;
        const out2 = model.forward(
          batch.inputs,
          plan,
          second ? { training: true, key: k2! } : { training: false },
        ).logits;
        return 0.5 * tf.mean(tf.square(tf.sub(out1, out2))).dataSync()[0]!;
      });
      training.length = 0;
      lossCalls = 0;
      const opt = createAdamW(model.trainable);
      const result = trainStep(model, opt, batch, plan, key, { lr: 1e-2 });
      assertEquals(training, [second, true], `${kind}: pass 2 first (no tape), then pass 1`);
      assertEquals(lossCalls, 1, kind);
      assert(result.applied && expected > 0, kind);
      assertAlmostEquals(result.consistencyLoss!, expected, 1e-6 * Math.max(1, expected), kind);
      disposeLabeledBatch(batch);
      disposeAdamW(opt);
      model.dispose();
    }
    tf.dispose([base.embedding, base.kernel]);
  } finally {
    unregisterCompensation("toy-l2-to-inference");
    unregisterCompensation("toy-l2");
  }
  assertThrows(
    () => validatePlan({ drops: [], consistency: { kind: "toy-l2", weight: 1, branches: "one" } }),
    TypeError,
    "kl, js, js-hiddencut or mse",
  );
  assertThrows(() => unregisterCompensation("js"), TypeError, "built-in");
});
