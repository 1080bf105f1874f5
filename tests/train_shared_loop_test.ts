import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals, assertRejects } from "@std/assert";
import { initBackend } from "../lib/backend.ts";
import { type AdamW, adamWUpdate, createAdamW, disposeAdamW } from "../lib/train/adamw.ts";
import {
  runTrainingLoop,
  type TrainingLoopCheckpoints,
  type TrainingLoopOptions,
  type TrainingLoopState,
} from "../lib/train/loop.ts";

interface ToyState extends TrainingLoopState {
  losses: number[];
  lrs: number[];
  evaluatedAt: number[];
}

/** A loop minimising (w - 3)² with one AdamW update per step; records where it saved. */
function toyLoop(
  optimizer: AdamW,
  extra: Partial<TrainingLoopOptions<ToyState, { loss: number }>> = {},
  saves: number[] = [],
): TrainingLoopOptions<ToyState, { loss: number }> {
  const w = optimizer.params.w!;
  return {
    totalSteps: 10,
    schedule: { peakLr: 0.2, totalSteps: 10, warmupSteps: 2 },
    optimizer,
    state: { step: 0, resumedAt: [], trainTimeMs: 0, losses: [], lrs: [], evaluatedAt: [] },
    step: (state, lr) => {
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.square(tf.sub(w, 3)).sum() as tf.Scalar,
          [w],
        );
        adamWUpdate(optimizer, { w: grads[w.name]! }, lr);
        return value.dataSync()[0]!;
      });
      state.losses.push(loss);
      state.lrs.push(lr);
      return { loss };
    },
    evaluate: { every: 4, run: (state) => void state.evaluatedAt.push(state.step) },
    progress: false,
    ...extra,
    ...(extra.checkpoint === undefined ? {} : {
      checkpoint: { ...extra.checkpoint, beforeSave: (state) => void saves.push(state.step) },
    }),
  };
}

function checkpoints(
  dir: string,
  extra: Partial<TrainingLoopCheckpoints<ToyState>> = {},
): TrainingLoopCheckpoints<ToyState> {
  return {
    dir,
    runId: "toy",
    every: 3,
    afterEvaluation: true,
    atEnd: true,
    resume: true,
    ...extra,
  };
}

async function withToy(fn: (optimizer: AdamW, dir: string) => Promise<void>): Promise<void> {
  await initBackend({ backend: "cpu" });
  const before = tf.memory().numTensors;
  const w = tf.tidy(() => tf.variable(tf.zeros([2])));
  const optimizer = createAdamW({ w });
  const dir = await Deno.makeTempDir();
  try {
    await fn(optimizer, dir);
  } finally {
    disposeAdamW(optimizer);
    w.dispose();
    await Deno.remove(dir, { recursive: true });
  }
  assertEquals(tf.memory().numTensors, before, "every tensor of the steps was disposed");
}

Deno.test("runTrainingLoop: schedule, evaluation and both checkpoint cadences", async () => {
  await withToy(async (optimizer, dir) => {
    const saves: number[] = [];
    const run = await runTrainingLoop(
      toyLoop(optimizer, { checkpoint: checkpoints(dir) }, saves),
    );
    assertEquals(run.status, "trained");
    assertEquals(run.state.step, 10);
    assertEquals(run.state.lrs.slice(0, 3), [0, 0.1, 0.2]);
    assertEquals(run.state.evaluatedAt, [4, 8, 10]);
    assertEquals(saves, [3, 4, 6, 8, 9, 10], "every 3, after each evaluation, at the end");
    assert(run.state.losses.at(-1)! < run.state.losses[0]!);
  });
  await withToy(async (optimizer, dir) => {
    const saves: number[] = [];
    const checkpoint = checkpoints(dir, { afterEvaluation: false, atEnd: false });
    await runTrainingLoop(toyLoop(optimizer, { checkpoint }, saves));
    assertEquals(saves, [3, 6, 9], "every 3 only, never at the end");
  });
});

Deno.test("runTrainingLoop: a stopped run resumes to the uninterrupted result", async () => {
  let full: ToyState | undefined, fullW: number[] = [];
  await withToy(async (optimizer, dir) => {
    full = (await runTrainingLoop(toyLoop(optimizer, { checkpoint: checkpoints(dir) }))).state;
    fullW = [...optimizer.params.w!.dataSync()];
  });
  await withToy(async (optimizer, dir) => {
    const stopped = await runTrainingLoop(
      toyLoop(optimizer, { checkpoint: checkpoints(dir), stopAfter: 5 }),
    );
    assertEquals([stopped.status, stopped.state.step], ["stopped", 5]);
    tf.tidy(() => optimizer.params.w!.assign(tf.zeros([2]))); // a new process starts from fresh variables
    const resumedAt: number[] = [];
    const resumed = await runTrainingLoop(
      toyLoop(optimizer, {
        checkpoint: checkpoints(dir, { onResume: (s) => void resumedAt.push(s.step) }),
      }),
    );
    assertEquals(resumed.status, "resumed");
    assertEquals(resumedAt, [5]);
    assertEquals(resumed.state.resumedAt, [5]);
    assertEquals(resumed.state.losses, full!.losses);
    assertEquals(resumed.state.evaluatedAt, full!.evaluatedAt);
    assertEquals([...optimizer.params.w!.dataSync()], fullW);
  });
});

Deno.test("runTrainingLoop: a complete checkpoint ends at once when finished accepts it", async () => {
  await withToy(async (optimizer, dir) => {
    await runTrainingLoop(toyLoop(optimizer, { checkpoint: checkpoints(dir) }));
    const trained = [...optimizer.params.w!.dataSync()];
    tf.tidy(() => optimizer.params.w!.assign(tf.zeros([2])));
    let steps = 0;
    const again = await runTrainingLoop(
      toyLoop(optimizer, {
        checkpoint: checkpoints(dir, { finished: () => true }),
        beforeFirstStep: () => void steps++,
      }),
    );
    assertEquals(again.status, "already-finished");
    assertEquals(again.state.resumedAt, []);
    assertEquals(steps, 0);
    assertEquals([...optimizer.params.w!.dataSync()], trained, "the checkpoint's variables");
  });
});

Deno.test("runTrainingLoop: a failing step leaves the last checkpoint and no tensor", async () => {
  await withToy(async (optimizer, dir) => {
    const options = toyLoop(optimizer, { checkpoint: checkpoints(dir) });
    await assertRejects(
      () =>
        runTrainingLoop({
          ...options,
          step: (state, lr) => {
            if (state.step === 7) throw new RangeError("Cannot step: toy failure at step 8");
            return options.step(state, lr);
          },
        }),
      RangeError,
      "toy failure at step 8",
    );
    assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/checkpoint.json`)).step, 6);
  });
});
