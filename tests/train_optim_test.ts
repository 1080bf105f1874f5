import * as tf from "@tensorflow/tfjs-core";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertNotEquals,
  assertThrows,
} from "@std/assert";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import {
  adamWStateTensors,
  adamWUpdate,
  createAdamW,
  disposeAdamW,
  loadAdamWState,
} from "../lib/train/adamw.ts";
import { clipByGlobalNorm } from "../lib/train/clip.ts";
import { linearWarmupDecay, resolveWarmupSteps } from "../lib/train/schedule.ts";
import { configHash, stableStringify } from "../lib/train/config_hash.ts";

interface GoldenRecord {
  grads: Record<string, number[]>;
  lr: number;
  norm: number;
  params: Record<string, number[]>;
}
interface Golden {
  steps: number;
  warmup: number;
  peak: number;
  weightDecay: number;
  maxNorm: number;
  shapes: Record<string, number[]>;
  init: Record<string, number[]>;
  records: GoldenRecord[];
}
const golden: Golden = JSON.parse(
  await Deno.readTextFile(new URL("./golden/adamw.json", import.meta.url)),
);

testOnBackends("AdamW + clipping + linear schedule match PyTorch step by step", async () => {
  const params = {
    w: tf.variable(tf.tensor(golden.init.w!, golden.shapes.w!)),
    bias: tf.variable(tf.tensor(golden.init.bias!, golden.shapes.bias!)),
  };
  const opt = createAdamW(params, { weightDecay: golden.weightDecay });
  const schedule = { peakLr: golden.peak, totalSteps: golden.steps, warmupSteps: golden.warmup };
  await assertNoLeak("AdamW steps", () => {
    golden.records.forEach((rec, step) => {
      const lr = linearWarmupDecay(step, schedule);
      assertAlmostEquals(lr, rec.lr, 1e-12);
      tf.tidy(() => {
        const raw = {
          w: tf.tensor(rec.grads.w!, golden.shapes.w!),
          bias: tf.tensor(rec.grads.bias!, golden.shapes.bias!),
        };
        const { grads, norm } = clipByGlobalNorm(raw, golden.maxNorm);
        assertAlmostEquals(norm.dataSync()[0]!, rec.norm, 1e-5);
        adamWUpdate(opt, grads, lr);
      });
      for (const name of ["w", "bias"] as const) {
        const got = params[name].dataSync();
        rec.params[name]!.forEach((x, i) => assertAlmostEquals(got[i]!, x, 2e-6, `${name}[${i}]`));
      }
    });
  });
  assertEquals(opt.step, golden.steps);
  disposeAdamW(opt);
  tf.dispose(Object.values(params));
});

testOnBackends("AdamW state round-trips: a restored optimiser continues identically", () => {
  const make = () => ({ w: tf.variable(tf.tensor1d([0.5, -1, 2])) });
  const grad = (i: number) => tf.tensor1d([Math.sin(i), Math.cos(i), 0.3 * i]);
  const a = make(), optA = createAdamW(a, { weightDecay: 0.1 });
  for (let i = 0; i < 3; i++) tf.tidy(() => adamWUpdate(optA, { w: grad(i) }, 0.01));
  // Snapshot a's state into b (as a checkpoint would), then continue both.
  const saved = adamWStateTensors(optA);
  const snapshot = Object.fromEntries(
    Object.entries(saved.tensors).map(([k, t]) => [k, tf.tensor(t.dataSync(), t.shape)]),
  );
  const b = { w: tf.variable(tf.tensor(a.w.dataSync(), a.w.shape)) };
  const optB = createAdamW(b, { weightDecay: 0.1 });
  loadAdamWState(optB, snapshot, saved.step);
  for (let i = 3; i < 6; i++) {
    tf.tidy(() => adamWUpdate(optA, { w: grad(i) }, 0.01));
    tf.tidy(() => adamWUpdate(optB, { w: grad(i) }, 0.01));
  }
  assertEquals([...b.w.dataSync()], [...a.w.dataSync()]);
  assertThrows(() => loadAdamWState(optB, { "m/w": snapshot["m/w"]! }, 1), TypeError, "v/w");
  assertThrows(() => loadAdamWState(optB, { ...snapshot, "m/x": snapshot["m/w"]! }, 1), TypeError);
  disposeAdamW(optA);
  disposeAdamW(optB);
  tf.dispose([a.w, b.w, ...Object.values(snapshot)]);
});

testOnBackends("AdamW weight decay is decoupled and skips biases by default", () => {
  const p = { w: tf.variable(tf.tensor1d([2])), bias: tf.variable(tf.tensor1d([2])) };
  const opt = createAdamW(p, { weightDecay: 0.5 });
  // Zero gradients: Adam's own step is 0, so only the decay moves w: 2 · (1 − 0.1 · 0.5).
  tf.tidy(() => adamWUpdate(opt, { w: tf.zeros([1]), bias: tf.zeros([1]) }, 0.1));
  assertAlmostEquals(p.w.dataSync()[0]!, 1.9, 1e-6);
  assertEquals(p.bias.dataSync()[0], 2);
  // A parameter without a gradient is skipped entirely (no decay), as in PyTorch.
  tf.tidy(() => adamWUpdate(opt, { bias: tf.zeros([1]) }, 0.1));
  assertAlmostEquals(p.w.dataSync()[0]!, 1.9, 1e-6);
  assertThrows(() => adamWUpdate(opt, { x: tf.zeros([1]) }, 0.1), TypeError, '"x"');
  assertThrows(() => adamWUpdate(opt, { w: tf.zeros([2]), bias: tf.zeros([1]) }, 0.1), RangeError);
  assertThrows(() => adamWUpdate(opt, { w: tf.zeros([1]), bias: tf.zeros([1]) }, NaN), RangeError);
  assertThrows(() => createAdamW(p, { beta1: 1 }), RangeError, "beta1");
  assertThrows(() => createAdamW({}), TypeError);
  disposeAdamW(opt);
  tf.dispose(Object.values(p));
});

testOnBackends("clipByGlobalNorm leaves small gradients unchanged", () => {
  tf.tidy(() => {
    const { grads, norm } = clipByGlobalNorm({ a: tf.tensor1d([0.3, 0.4]) }, 1);
    assertAlmostEquals(norm.dataSync()[0]!, 0.5, 1e-6);
    assertEquals([...grads.a!.dataSync()], [...tf.tensor1d([0.3, 0.4]).dataSync()]);
  });
  assertThrows(() => clipByGlobalNorm({ a: tf.scalar(1) }, 0), RangeError, "received 0");
});

Deno.test("linearWarmupDecay warms up, peaks, decays to zero and rejects bad input", () => {
  const o = { peakLr: 1, totalSteps: 100, warmupRatio: 0.06 };
  assertEquals(resolveWarmupSteps(o), 6);
  const lrs = Array.from({ length: 100 }, (_, s) => linearWarmupDecay(s, o));
  assertEquals(Math.max(...lrs), 1);
  assertEquals(lrs.indexOf(1), 6);
  for (let s = 1; s < 6; s++) assert(lrs[s]! > lrs[s - 1]!);
  for (let s = 7; s < 100; s++) assert(lrs[s]! < lrs[s - 1]!);
  assert(lrs[99]! > 0 && lrs[99]! < 0.02);
  assertEquals(linearWarmupDecay(0, { peakLr: 3, totalSteps: 5 }), 3);
  assertThrows(() => linearWarmupDecay(100, o), RangeError, "received 100");
  assertThrows(() => resolveWarmupSteps({ ...o, warmupSteps: 3 }), TypeError, "not both");
  assertThrows(() => resolveWarmupSteps({ peakLr: 1, totalSteps: 0 }), RangeError);
});

Deno.test("configHash is key-order independent and rejects non-JSON values", async () => {
  const a = { lr: 4e-4, plan: { drops: [{ position: "hidden", rate: 0.1 }] }, skip: undefined };
  const b = { plan: { drops: [{ rate: 0.1, position: "hidden" }] }, lr: 4e-4 };
  assertEquals(stableStringify(a), stableStringify(b));
  assertEquals(await configHash(a), await configHash(b));
  assertNotEquals(await configHash(a), await configHash({ ...b, lr: 3e-4 }));
  assertEquals((await configHash(a)).length, 64);
  assertThrows(() => stableStringify({ lr: NaN }), TypeError, "config.lr");
  assertThrows(() => stableStringify({ f: () => 1 }), TypeError, "config.f");
  assertThrows(() => stableStringify({ d: new Date(0) }), TypeError, "Date");
});
