/**
 * Fine-tuning: the two-pass dropout step over `model.trainable` in the shared training loop
 * (`./loop.ts`: AdamW with linear warm-up and decay, checkpoints that make a killed run resumable
 * to the same final result), periodic dev evaluation, events for live curves and a results record.
 *
 * Files under `outDir` (when given):
 * - `results.jsonl`: one {@linkcode RunRecord} per finished run;
 * - `runs/<runId[0:16]>/events.jsonl`: every evaluation, appended as it happens;
 * - `runs/<runId[0:16]>/checkpoint.json` + `checkpoint-<step>.safetensors`: the latest checkpoint
 *   (written every `checkpointEvery` steps, after every evaluation and at the end).
 *
 * Rerunning the same configuration (same config, seeds and backend) resumes from the checkpoint;
 * a run that already finished is not trained again: its record is returned and its final
 * variables are restored.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { foldIn, type RandomKey, randomKey } from "../random.ts";
import { type DropoutPlan, validatePlan } from "../dropout/spec.ts";
import type { TaskModel } from "../models/task_model.ts";
import type { NluMetricName } from "../metrics/metric.ts";
import { createAdamW, disposeAdamW } from "./adamw.ts";
import { appendJsonLine, readJsonLines } from "./atomic_file.ts";
import { type BatchSource, createDataOrder, disposeLabeledBatch } from "./batches.ts";
import { configHash, type JsonValue } from "./config_hash.ts";
import { evaluate } from "./evaluate.ts";
import { checkStepMemory } from "./memory_check.ts";
import { runTrainingLoop, type TrainingLoopState } from "./loop.ts";
import {
  bestEvaluation,
  type EvalRecord,
  type PeakMemory,
  type RunRecord,
  type TrainCurves,
  type TrainSeeds,
} from "./run_record.ts";
import { type LinearScheduleOptions, linearWarmupDecay } from "./schedule.ts";
import { type StepResult, trainStep } from "./train_step.ts";

// Each seed feeds its own stream, so equal seed numbers still give independent init, data order
// and masks (randomKey(s) alone would hand all three the same key).
const STREAM_INIT = 1, STREAM_DATA = 2, STREAM_DROPOUT = 3;
function streamKey(seed: number, stream: number): RandomKey {
  return foldIn(randomKey(seed), stream);
}

/** What `onStep` receives after every step. */
export interface StepEvent extends StepResult {
  /** Completed steps (this step's 1-based number). */
  readonly step: number;
  /** The run's total steps. */
  readonly totalSteps: number;
  /** Completed epochs (fractional). */
  readonly epoch: number;
  /** This step's learning rate. */
  readonly lr: number;
}

/** What `onEval` receives after every evaluation. */
export interface EvalEvent extends EvalRecord {
  /** The run's total steps. */
  readonly totalSteps: number;
}

/** Options of {@linkcode train}. */
export interface TrainOptions {
  /** Builds the model from the init key (`foldIn(randomKey(seeds.init), 1)`): adapters and head only depend on it. */
  readonly makeModel: (initKey: RandomKey) => TaskModel | Promise<TaskModel>;
  /** The training examples. */
  readonly train: BatchSource;
  /** The dev examples; without them no evaluation runs. */
  readonly dev?: BatchSource | undefined;
  /** The dev metrics, the first being the main one; `accuracy` or `pearson` by model kind by default. */
  readonly metrics?: readonly NluMetricName[];
  /** The dropout plan. */
  readonly plan: DropoutPlan;
  /** Separate seeds for initialisation, data order and dropout masks. */
  readonly seeds: TrainSeeds;
  /** Examples per step. */
  readonly batchSize: number;
  /** Batch examples of similar length together (needs `train.lengths`); false by default. */
  readonly groupByLength?: boolean;
  /** Total steps; or give `epochs`. */
  readonly steps?: number;
  /** Total epochs (`epochs` times the batches of an epoch, rounded); or give `steps`. */
  readonly epochs?: number;
  /** Peak learning rate. */
  readonly lr: number;
  /** AdamW's decoupled weight decay; 0.1 by default (Table 6). */
  readonly weightDecay?: number;
  /** Warm-up as a fraction of the steps; 0.06 by default (Table 6). Exclusive with `warmupSteps`. */
  readonly warmupRatio?: number;
  /** Warm-up in steps (Table 7: 500). */
  readonly warmupSteps?: number;
  /** AdamW β1 (0.9). */
  readonly beta1?: number;
  /** AdamW β2 (0.999). */
  readonly beta2?: number;
  /** AdamW ε (1e-8). */
  readonly epsilon?: number;
  /** Global gradient-norm clipping; 1 by default, `Infinity` for none. */
  readonly maxGradNorm?: number;
  /** Evaluate every this many steps (and always at the end). */
  readonly evalEvery?: number;
  /** Batch size of evaluation; `batchSize` by default. */
  readonly evalBatchSize?: number;
  /** Checkpoint every this many steps (and after every evaluation, and at the end); 50 by default. */
  readonly checkpointEvery?: number;
  /** Where results, events and checkpoints go; nothing is written without it. */
  readonly outDir?: string;
  /** Resume from a checkpoint of the same run (default true). */
  readonly resume?: boolean;
  /** A description of the run (task, model, preset, …), part of the hashed config. */
  readonly describe?: { readonly [key: string]: JsonValue };
  /** Regression: what the consistency MSE compares (`logits` by default). */
  readonly regressionConsistencyOn?: "logits" | "pooled";
  /** Called after every step. */
  readonly onStep?: (event: StepEvent) => void | Promise<void>;
  /** Called after every evaluation. */
  readonly onEval?: (event: EvalEvent) => void | Promise<void>;
  /** Called once with the final record. */
  readonly onEnd?: (record: RunRecord) => void | Promise<void>;
  /** Draw a progress bar; by default exactly when stderr is a terminal. */
  readonly progress?: boolean;
}

/** What {@linkcode train} returns. */
export interface TrainResult {
  /** The run's record (also appended to `results.jsonl`). */
  readonly record: RunRecord;
  /** The trained model (the caller disposes it). */
  readonly model: TaskModel;
  /** `trained` from scratch, `resumed` from a checkpoint, or `already-finished` (nothing trained). */
  readonly status: "trained" | "resumed" | "already-finished";
}

/** The loop's state, saved in every checkpoint's sidecar. */
interface LoopState extends TrainingLoopState {
  startedAt: string;
  curves: TrainCurves;
  evaluations: EvalRecord[];
  wallTimeMs: number;
  tokens: number;
  peakMemory: PeakMemory;
  data: { epoch: number; batchInEpoch: number; seed: number; key: readonly number[] };
  dropout: { seed: number; key: readonly number[] };
}

function positiveInt(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Cannot train: ${name} must be a positive integer, received ${value}`);
  }
  return value;
}

function checkSeeds(seeds: TrainSeeds): void {
  if (seeds === null || typeof seeds !== "object") {
    throw new TypeError(`Cannot train: seeds must be { init, data, dropout }, received ${seeds}`);
  }
  for (const name of ["init", "data", "dropout"] as const) {
    if (!Number.isSafeInteger(seeds[name])) {
      throw new TypeError(
        `Cannot train: seeds.${name} must be a safe integer, received ${seeds[name]}`,
      );
    }
  }
}

function totalSteps(options: TrainOptions, perEpoch: number): number {
  const steps = positiveInt(options.steps, "steps");
  if (steps !== undefined && options.epochs !== undefined) {
    throw new TypeError(
      `Cannot train: give steps or epochs, not both (received ${steps} and ${options.epochs})`,
    );
  }
  if (steps !== undefined) return steps;
  const epochs = options.epochs;
  if (epochs === undefined || !Number.isFinite(epochs) || epochs <= 0) {
    throw new RangeError(`Cannot train: give steps or epochs > 0, received epochs ${epochs}`);
  }
  return Math.max(1, Math.round(epochs * perEpoch));
}

/**
 * A clear error for a step the backend could not allocate: the wasm module reports it as
 * `Aborted()`, `table index is out of bounds` or `memory access out of bounds`, the JS backends as
 * `Array buffer allocation failed`. Undefined for any other error.
 */
function outOfMemoryError(
  error: unknown,
  backend: string,
  step: number,
  steps: number,
  batch: { readonly inputs: { readonly inputIds: { readonly shape: readonly number[] } } },
): RangeError | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const wasmTrap = typeof WebAssembly !== "undefined" && error instanceof WebAssembly.RuntimeError;
  if (
    !wasmTrap && !/Aborted\(|out of memory|allocation failed|Invalid array length/i.test(message)
  ) {
    return undefined;
  }
  const [b, t] = batch.inputs.inputIds.shape;
  return new RangeError(
    `Cannot train: the ${backend} backend failed at step ${
      step + 1
    } of ${steps} on a batch of ${b} examples × ${t} tokens (${message}), which is how it reports running out of memory; use a smaller batch size or maxLength${
      backend === "wasm" ? ", or the tensorflow backend (deno task setup:native)" : ""
    }`,
    { cause: error },
  );
}

function sampleMemory(peak: PeakMemory): PeakMemory {
  const m = tf.memory();
  return {
    numBytes: Math.max(peak.numBytes, m.numBytes),
    numTensors: Math.max(peak.numTensors, m.numTensors),
  };
}

/**
 * Fine-tunes `model.trainable` of a task model. See the module documentation for the files
 * written and the resume rules. Before the first step, `checkStepMemory` (`./memory_check.ts`)
 * measures a step on the longest examples and refuses a batch size that cannot fit.
 *
 * @param options Model factory, data, plan, seeds, optimiser settings, evaluation, output.
 * @returns The record, the model and how the run went.
 * @throws {RangeError} For a batch size the backend cannot hold (naming the largest that fits),
 * and for a step the backend could not allocate after all.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { createTaskModel } from "@loradrop/core/models";
 * import { tinyEncoder } from "../models/_tiny_encoder.ts";
 * import { train } from "@loradrop/core/train";
 * import { assert, assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const base = tinyEncoder();
 * // Label 1 when token 3 occurs, else 0.
 * const ids = Array.from({ length: 16 }, (_, i) => [3 + (i % 2 ? 0 : 1), 5 + (i % 5), 6 + (i % 7)]);
 * const labels = ids.map((row) => (row[0] === 3 ? 1 : 0));
 * const source = {
 *   size: ids.length,
 *   labels,
 *   batch: (indices: readonly number[]) => ({
 *     inputs: { inputIds: tf.tensor2d(indices.map((i) => ids[i]!), undefined, "int32"), attentionMask: tf.ones([indices.length, 3]) as tf.Tensor2D },
 *     labels: tf.tensor1d(indices.map((i) => labels[i]!), "int32"),
 *     tokens: 3 * indices.length,
 *   }),
 * };
 * const { record, model } = await train({
 *   makeModel: (key) => createTaskModel(base, { head: { kind: "classification", numClasses: 2, pooling: "mean" } }, key),
 *   train: source, dev: source,
 *   plan: { drops: [{ position: "hidden", pattern: "element", rate: 0.1 }] },
 *   seeds: { init: 0, data: 0, dropout: 0 },
 *   batchSize: 8, steps: 20, lr: 1e-2,
 * });
 * assertEquals(record.curves.loss.length, 20);
 * assert(record.final!.value >= 0.5);
 * model.dispose();
 * ```
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  validatePlan(options.plan);
  checkSeeds(options.seeds);
  const batchSize = positiveInt(options.batchSize, "batchSize")!;
  if (options.groupByLength === true && options.train.lengths === undefined) {
    throw new TypeError(
      "Cannot train: groupByLength needs per-example lengths, but the training source has none",
    );
  }
  const dataKey = streamKey(options.seeds.data, STREAM_DATA);
  const order = createDataOrder(
    dataKey,
    options.train.size,
    options.groupByLength === true ? { batchSize, lengths: options.train.lengths! } : { batchSize },
  );
  const perEpoch = order.batchesPerEpoch;
  const steps = totalSteps(options, perEpoch);
  const evalEvery = positiveInt(options.evalEvery, "evalEvery");
  const evalBatchSize = positiveInt(options.evalBatchSize, "evalBatchSize") ?? batchSize;
  const checkpointEvery = positiveInt(options.checkpointEvery, "checkpointEvery") ?? 50;
  if (!Number.isFinite(options.lr) || options.lr < 0) {
    throw new RangeError(`Cannot train: lr must be a finite number >= 0, received ${options.lr}`);
  }
  const warmup = options.warmupSteps === undefined
    ? { warmupRatio: options.warmupRatio ?? 0.06 }
    : { warmupSteps: options.warmupSteps };
  const schedule: LinearScheduleOptions = { peakLr: options.lr, totalSteps: steps, ...warmup };
  linearWarmupDecay(0, schedule); // validates the warm-up
  const weightDecay = options.weightDecay ?? 0.1;
  const maxGradNorm = options.maxGradNorm ?? 1;
  const backend = tf.getBackend();

  // Resolved after the model is built (the kind decides the default metric).
  let model: TaskModel | undefined = await options.makeModel(
    streamKey(options.seeds.init, STREAM_INIT),
  );
  try {
    if (Object.keys(model.trainable).length === 0) {
      throw new TypeError("Cannot train: model.trainable is empty");
    }
    const metrics: readonly NluMetricName[] = options.metrics ??
      (model.kind === "classification" ? ["accuracy"] : ["pearson"]);
    const config: { [key: string]: JsonValue } = {
      describe: options.describe ?? {},
      kind: model.kind,
      plan: options.plan as unknown as JsonValue,
      trainSize: options.train.size,
      devSize: options.dev?.size ?? 0,
      batchSize,
      groupByLength: options.groupByLength === true,
      steps,
      lr: options.lr,
      ...warmup,
      weightDecay,
      beta1: options.beta1 ?? 0.9,
      beta2: options.beta2 ?? 0.999,
      epsilon: options.epsilon ?? 1e-8,
      maxGradNorm: maxGradNorm === Infinity ? "none" : maxGradNorm,
      evalEvery: evalEvery ?? "end",
      evalBatchSize,
      metrics: [...metrics],
      regressionConsistencyOn: options.regressionConsistencyOn ?? "logits",
      trainable: Object.fromEntries(
        Object.entries(model.trainable).map(([k, v]) => [k, [...v.shape]]),
      ),
    };
    const seeds = { ...options.seeds };
    const hash = await configHash(config);
    const runId = await configHash({ config, seeds: { ...seeds }, backend });
    const runDir = options.outDir === undefined
      ? undefined
      : `${options.outDir}/runs/${runId.slice(0, 16)}`;
    const resultsPath = options.outDir === undefined
      ? undefined
      : `${options.outDir}/results.jsonl`;
    const resume = options.resume ?? true;

    const opt = createAdamW(model.trainable, {
      weightDecay,
      beta1: config.beta1 as number,
      beta2: config.beta2 as number,
      epsilon: config.epsilon as number,
    });
    try {
      const dropoutKey = streamKey(seeds.dropout, STREAM_DROPOUT);
      const eventsPath = runDir === undefined ? undefined : `${runDir}/events.jsonl`;
      const sessionStart = performance.now();
      let wallBefore = 0; // the wall time of earlier sessions, from a checkpoint
      const wallNow = () => wallBefore + (performance.now() - sessionStart);
      let previous: RunRecord | undefined; // the stored record of a finished run
      const loop = await runTrainingLoop<LoopState, StepResult>({
        totalSteps: steps,
        schedule,
        optimizer: opt,
        state: {
          step: 0,
          startedAt: new Date().toISOString(),
          curves: { loss: [], taskLoss: [], consistencyLoss: [], gradNorm: [], lr: [] },
          evaluations: [],
          wallTimeMs: 0,
          trainTimeMs: 0,
          tokens: 0,
          peakMemory: sampleMemory({ numBytes: 0, numTensors: 0 }),
          resumedAt: [],
          data: { epoch: 0, batchInEpoch: 0, seed: seeds.data, key: [...dataKey.words] },
          dropout: { seed: seeds.dropout, key: [...dropoutKey.words] },
        },
        step: (state, lr) => {
          const step = state.step;
          const batch = options.train.batch(order.at(step).indices);
          let result: StepResult;
          try {
            result = trainStep(model!, opt, batch, options.plan, foldIn(dropoutKey, step), {
              lr,
              maxGradNorm,
              ...(options.regressionConsistencyOn === undefined
                ? {}
                : { regressionConsistencyOn: options.regressionConsistencyOn }),
            });
          } catch (error) {
            throw outOfMemoryError(error, backend, step, steps, batch) ?? error;
          } finally {
            disposeLabeledBatch(batch);
          }
          if (!result.applied) {
            const last = state.curves.loss.length;
            throw new Error(
              `Cannot train: the loss became ${result.loss} at step ${step + 1} of ${steps}; ` +
                (last === 0
                  ? "there was no finite loss before it"
                  : `the last finite loss was ${state.curves.loss[last - 1]} at step ${last}`) +
                " (lower the learning rate or the dropout rates)",
            );
          }
          state.tokens += batch.tokens;
          state.curves.loss.push(result.loss);
          state.curves.taskLoss.push(result.taskLoss);
          if (result.consistencyLoss !== undefined) {
            state.curves.consistencyLoss.push(result.consistencyLoss);
          }
          state.curves.gradNorm.push(result.gradNorm);
          state.curves.lr.push(lr);
          state.peakMemory = sampleMemory({
            numBytes: Math.max(state.peakMemory.numBytes, result.peakBytes),
            numTensors: state.peakMemory.numTensors,
          });
          const next = order.at(step + 1);
          state.data = { ...state.data, epoch: next.epoch, batchInEpoch: next.batchInEpoch };
          return result;
        },
        onStep: (state, result, lr) =>
          options.onStep?.({
            ...result,
            step: state.step,
            totalSteps: steps,
            epoch: state.step / perEpoch,
            lr,
          }),
        ...(options.dev === undefined ? {} : {
          evaluate: {
            every: evalEvery,
            run: async (state: LoopState) => {
              const result = evaluate(model!, options.dev!, {
                batchSize: evalBatchSize,
                metrics,
                plan: options.plan,
              });
              const record: EvalRecord = {
                step: state.step,
                epoch: state.step / perEpoch,
                metrics: result.metrics,
                loss: result.loss,
              };
              state.evaluations.push(record);
              state.peakMemory = sampleMemory(state.peakMemory);
              if (eventsPath !== undefined) {
                await appendJsonLine(eventsPath, { type: "eval", ...record });
              }
              await options.onEval?.({ ...record, totalSteps: steps });
            },
          },
        }),
        ...(runDir === undefined ? {} : {
          checkpoint: {
            dir: runDir,
            runId,
            every: checkpointEvery,
            afterEvaluation: true,
            atEnd: true,
            resume,
            // A finished run whose record is stored is not trained again.
            finished: async () => {
              if (resultsPath === undefined) return false;
              previous = (await readJsonLines(resultsPath)).find((r) =>
                (r as RunRecord | null)?.runId === runId
              ) as RunRecord | undefined;
              return previous !== undefined;
            },
            onResume: async (state: LoopState) => {
              wallBefore = state.wallTimeMs;
              await appendJsonLine(eventsPath!, {
                type: "resume",
                step: state.step,
                at: new Date().toISOString(),
              });
            },
            beforeSave: (state: LoopState) => {
              state.wallTimeMs = wallNow();
            },
          },
        }),
        // an oversized batch is refused in a second, not after minutes of paging and a wasm abort
        beforeFirstStep: async () => {
          await checkStepMemory(model!, options.train, options.plan, batchSize);
        },
        progress: options.progress,
      });
      const state = loop.state;
      if (loop.status === "already-finished") {
        const finished = model;
        model = undefined; // handed to the caller
        return { record: previous!, model: finished, status: "already-finished" };
      }
      const status: TrainResult["status"] = loop.status === "resumed" ? "resumed" : "trained";

      const mainMetric = metrics[0]!;
      const lastEval = state.evaluations.at(-1);
      const best = bestEvaluation(state.evaluations, mainMetric);
      const trainSeconds = state.trainTimeMs / 1000;
      const record: RunRecord = {
        format: "loradrop-run",
        version: 1,
        runId,
        configHash: hash,
        config,
        seeds,
        backend,
        startedAt: state.startedAt,
        finishedAt: new Date().toISOString(),
        steps: state.step,
        epochs: state.step / perEpoch,
        resumedAt: state.resumedAt,
        evaluations: state.evaluations,
        curves: state.curves,
        wallTimeMs: wallNow(),
        trainTimeMs: state.trainTimeMs,
        tokens: state.tokens,
        tokensPerSecond: trainSeconds > 0 ? state.tokens / trainSeconds : 0,
        stepsPerSecond: trainSeconds > 0 ? state.step / trainSeconds : 0,
        peakMemory: state.peakMemory,
        ...(best === undefined ? {} : { best }),
        ...(lastEval === undefined || lastEval.metrics[mainMetric] === undefined ? {} : {
          final: { metric: mainMetric, value: lastEval.metrics[mainMetric]!, step: lastEval.step },
        }),
      };
      if (resultsPath !== undefined) await appendJsonLine(resultsPath, record);
      await options.onEnd?.(record);
      const trained = model;
      model = undefined; // handed to the caller
      return { record, model: trained, status };
    } finally {
      disposeAdamW(opt);
    }
  } finally {
    model?.dispose();
  }
}
