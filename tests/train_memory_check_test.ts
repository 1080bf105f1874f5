// The memory check before training: an oversized batch is refused at once with the batch size that
// fits, instead of minutes of work ending in a wasm abort.
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals, assertRejects } from "@std/assert";
import { testOnBackends } from "./_backends.ts";
import { createTaskModel } from "../lib/models/task_model.ts";
import { tinyEncoder } from "../lib/models/_tiny_encoder.ts";
import { randomKey } from "../lib/random.ts";
import type { BatchSource, LabeledBatch } from "../lib/train/batches.ts";
import { checkStepMemory, WASM_HEAP_BYTES } from "../lib/train/memory_check.ts";
import { train } from "../lib/train/train.ts";

const TOKENS = 12; // the tiny encoder's longest input

/** `size` copies of one 12-token example (nothing is stored per example). */
function repeatedSource(size: number): BatchSource {
  return {
    size,
    labels: { length: size } as ArrayLike<number>,
    batch(indices: readonly number[]): LabeledBatch {
      const b = indices.length;
      return {
        inputs: {
          inputIds: tf.fill([b, TOKENS], 5, "int32") as tf.Tensor2D, // (B, T)
          attentionMask: tf.ones([b, TOKENS]) as tf.Tensor2D, // (B, T)
        },
        labels: tf.tensor1d(indices.map((i) => i % 2), "int32"),
        tokens: b * TOKENS,
      };
    },
  };
}

const HEAD = { kind: "classification", numClasses: 2, pooling: "mean" } as const;
const PLAN = { drops: [{ position: "hidden", pattern: "element", rate: 0.1 }] } as const;

testOnBackends("checkStepMemory measures without changing the model", async () => {
  const model = createTaskModel(tinyEncoder(), { head: HEAD }, randomKey(0));
  const before = Object.values(model.trainable).map((v) => Array.from(v.dataSync()));
  const tensors = tf.memory().numTensors;
  const estimate = (await checkStepMemory(model, repeatedSource(64), PLAN, 32))!;
  assertEquals(Object.values(model.trainable).map((v) => Array.from(v.dataSync())), before);
  assertEquals(tf.memory().numTensors, tensors);
  assertEquals(estimate.tokens, TOKENS);
  assert(estimate.bytesPerExample > 0, `${estimate.bytesPerExample} bytes per example`);
  assertEquals(
    estimate.bytesForBatch,
    estimate.bytesForOne + 31 * estimate.bytesPerExample,
  );
  assert(estimate.maxBatchSize >= 32);
  model.dispose();
});

testOnBackends("train refuses a batch that cannot fit before its first step", async (backend) => {
  const model = createTaskModel(tinyEncoder(), { head: HEAD }, randomKey(0));
  const probe = (await checkStepMemory(model, repeatedSource(64), PLAN, 32))!;
  model.dispose();
  // a batch size whose estimate exceeds even 24 GiB of available memory, or the 4 GiB wasm heap
  const limit = backend === "wasm" ? WASM_HEAP_BYTES : Deno.systemMemoryInfo().available;
  const batchSize = Math.ceil(limit / probe.bytesPerExample) + 1;
  let steps = 0;
  const error = await assertRejects(
    () =>
      train({
        makeModel: (key) => createTaskModel(tinyEncoder(), { head: HEAD }, key),
        train: repeatedSource(batchSize),
        plan: PLAN,
        seeds: { init: 0, data: 0, dropout: 0 },
        batchSize,
        steps: 1,
        lr: 1e-3,
        progress: false,
        onStep: () => {
          steps++;
        },
      }),
    RangeError,
    `Cannot train: a step of batch size ${batchSize} with ${TOKENS}-token examples needs about`,
  );
  assert(error.message.includes("use a batch size of at most"), error.message);
  assert(
    error.message.includes(backend === "wasm" ? "4 GiB heap" : `the ${backend} backend`),
    error.message,
  );
  assertEquals(steps, 0);
});

testOnBackends("train names a step the backend could not allocate", async (backend) => {
  const error = await assertRejects(
    () =>
      train({
        makeModel: (key) => {
          const model = createTaskModel(tinyEncoder(), { head: HEAD }, key);
          return {
            ...model,
            forward: (batch, plan, ctx) => {
              // what the wasm module throws when its heap cannot grow (the probe's small batches pass)
              if (batch.inputIds.shape[0] === 8) {
                throw new WebAssembly.RuntimeError("table index is out of bounds");
              }
              return model.forward(batch, plan, ctx);
            },
          };
        },
        train: repeatedSource(16),
        plan: PLAN,
        seeds: { init: 0, data: 0, dropout: 0 },
        batchSize: 8,
        steps: 2,
        lr: 1e-3,
        progress: false,
      }),
    RangeError,
    `Cannot train: the ${backend} backend failed at step 1 of 2 on a batch of 8 examples × ${TOKENS} tokens (table index is out of bounds), which is how it reports running out of memory`,
  );
  assert(error.cause instanceof WebAssembly.RuntimeError);
});
