/**
 * Whether a training step of the requested batch size fits in memory, decided before training
 * starts: two small probe steps (one and two of the longest examples) measure the tensor memory a
 * step needs per example, which is extrapolated to the batch size and compared with what the
 * backend can hold: the wasm backend's 4 GiB heap (wasm32), otherwise the machine's available
 * memory. Without the check an oversized batch runs for minutes and then dies inside the wasm
 * module (`Aborted()`, `table index is out of bounds`) without saying why.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { DropoutPlan } from "../dropout/spec.ts";
import type { TaskModel } from "../models/task_model.ts";
import { randomKey } from "../random.ts";
import { createAdamW, disposeAdamW } from "./adamw.ts";
import { type BatchSource, disposeLabeledBatch } from "./batches.ts";
import { trainStep } from "./train_step.ts";

/**
 * The most memory tfjs-backend-wasm 4.22 can grow to: wasm32 addresses 4 GiB, and its build caps
 * the heap at 4 GiB − 64 KiB.
 */
export const WASM_HEAP_BYTES = 4_294_901_760;

/**
 * The share of the limit a step's tensors may fill: the heap also holds kernel scratch buffers,
 * packed weights and the allocator's fragmentation, none of which `tf.memory()` counts.
 */
const USABLE_SHARE = 0.75;

/** What {@linkcode checkStepMemory} measured. */
export interface StepMemoryEstimate {
  /** Tokens per example in the probe batches (the longest example's length). */
  readonly tokens: number;
  /** Peak tensor bytes of a step of one example (everything already allocated included). */
  readonly bytesForOne: number;
  /** Additional peak bytes per further example. */
  readonly bytesPerExample: number;
  /** The estimated peak of a step of the requested batch size. */
  readonly bytesForBatch: number;
  /** The bytes a step may use on this backend (a share of its limit). */
  readonly limitBytes: number;
  /** The largest batch size the estimate allows. */
  readonly maxBatchSize: number;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 2 : 1)} GiB`;
}

/** The bytes a backend can hold, and how to say it. */
function backendLimit(backend: string): { bytes: number; what: string } {
  if (backend === "wasm") {
    return { bytes: WASM_HEAP_BYTES, what: "the wasm backend's 4 GiB heap (a wasm32 limit)" };
  }
  const available = Deno.systemMemoryInfo().available;
  return {
    bytes: available + tf.memory().numBytes,
    what: `the ${gib(available)} of memory available to the ${backend} backend`,
  };
}

/**
 * Measures the memory of a training step on the longest examples of `source` and throws when
 * `batchSize` would not fit (see the module documentation). The probe steps use their own
 * optimiser with learning rate 0, so the model's variables and the run's optimiser are untouched.
 *
 * @param model The task model.
 * @param source The training examples.
 * @param plan The dropout plan (a consistency term doubles the forward passes).
 * @param batchSize The requested batch size.
 * @returns The estimate, when the batch fits; nothing is measured for batches of one or two.
 * @throws {RangeError} When the estimated step exceeds the backend's memory: the message names the
 * batch size, the estimate, the limit, the largest batch size that fits and what to do.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { createTaskModel } from "@loradrop/core/models";
 * import { tinyEncoder } from "../models/_tiny_encoder.ts";
 * import { randomKey } from "@loradrop/core";
 * import { checkStepMemory } from "@loradrop/core/train";
 * import { assert, assertRejects } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const model = createTaskModel(tinyEncoder(), { head: { kind: "classification", numClasses: 2, pooling: "mean" } }, randomKey(0));
 * const source = {
 *   size: 4,
 *   labels: [0, 1, 0, 1],
 *   lengths: [3, 3, 3, 3],
 *   batch: (indices: readonly number[]) => ({
 *     inputs: { inputIds: tf.fill([indices.length, 3], 4, "int32") as tf.Tensor2D, attentionMask: tf.ones([indices.length, 3]) as tf.Tensor2D },
 *     labels: tf.tensor1d(indices.map((i) => i % 2), "int32"),
 *     tokens: 3 * indices.length,
 *   }),
 * };
 * const plan = { drops: [] };
 * const estimate = (await checkStepMemory(model, source, plan, 4))!;
 * assert(estimate.bytesPerExample > 0 && estimate.maxBatchSize >= 4);
 * const huge = { ...source, size: 2 ** 40 }; // a step is at most the whole data set
 * await assertRejects(() => checkStepMemory(model, huge, plan, 2 ** 40), RangeError, "use a batch size of at most");
 * model.dispose();
 * ```
 */
export async function checkStepMemory(
  model: TaskModel,
  source: BatchSource,
  plan: DropoutPlan,
  batchSize: number,
): Promise<StepMemoryEstimate | undefined> {
  if (batchSize <= 2 || source.size < 2) return undefined;
  // the two longest examples: every probe batch is as wide as the widest real batch
  let first = 0, second = 1;
  const lengths = source.lengths;
  if (lengths !== undefined) {
    if (lengths[second]! > lengths[first]!) [first, second] = [second, first];
    for (let i = 2; i < Math.min(source.size, lengths.length); i++) {
      if (lengths[i]! > lengths[first]!) [first, second] = [i, first];
      else if (lengths[i]! > lengths[second]!) second = i;
    }
  }
  const probeOpt = createAdamW(model.trainable);
  const peakOf = async (indices: number[]): Promise<{ bytes: number; tokens: number }> => {
    const batch = source.batch(indices);
    try {
      const tokens = batch.inputs.inputIds.shape[1];
      const info = await tf.profile(() => {
        trainStep(model, probeOpt, batch, plan, randomKey(0), { lr: 0 });
      });
      return { bytes: info.peakBytes, tokens };
    } finally {
      disposeLabeledBatch(batch);
    }
  };
  let one: { bytes: number; tokens: number }, two: { bytes: number; tokens: number };
  try {
    one = await peakOf([first]);
    two = await peakOf([first, second]);
  } finally {
    disposeAdamW(probeOpt);
  }
  const perExample = Math.max(two.bytes - one.bytes, 1);
  const examples = Math.min(batchSize, source.size);
  const forBatch = one.bytes + (examples - 1) * perExample;
  const backend = tf.getBackend();
  const limit = backendLimit(backend);
  const usable = limit.bytes * USABLE_SHARE;
  const maxBatchSize = Math.max(0, Math.floor((usable - one.bytes) / perExample) + 1);
  if (forBatch > usable) {
    throw new RangeError(
      `Cannot train: a step of batch size ${batchSize}${
        examples < batchSize ? ` (all ${examples} training examples)` : ""
      } with ${two.tokens}-token examples needs about ${gib(forBatch)} of tensors (${
        (perExample / 2 ** 20).toFixed(1)
      } MiB per example, measured), more than ${
        Math.round(USABLE_SHARE * 100)
      }% of ${limit.what}; use ${
        maxBatchSize >= 1
          ? `a batch size of at most ${maxBatchSize}, or a shorter maxLength`
          : "a shorter maxLength (not even one example fits)"
      }${
        backend === "wasm"
          ? ", or the tensorflow backend (deno task setup:native), which has no such heap limit"
          : ""
      }`,
    );
  }
  return {
    tokens: two.tokens,
    bytesForOne: one.bytes,
    bytesPerExample: perExample,
    bytesForBatch: forBatch,
    limitBytes: usable,
    maxBatchSize,
  };
}
