/**
 * The training loop that fine-tuning (`train`) and pretraining (`pretrainDecoder`) share: the
 * learning-rate schedule, resuming from a checkpoint (variables, AdamW moments and the loop's
 * state), the evaluation and checkpoint cadence, an early stop, and the progress bar. What a
 * step computes — its batch, its loss, what it trains and records — is the caller's `step`.
 *
 * A checkpoint holds `param/<name>` for every variable of the optimiser, AdamW's `m/<name>` and
 * `v/<name>`, and the caller's whole state as the sidecar's `state` (`./checkpoint.ts`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { NamedTensors } from "../types.ts";
import { type AdamW, adamWStateTensors, loadAdamWState } from "./adamw.ts";
import { loadCheckpoint, restoreVariables, saveCheckpoint } from "./checkpoint.ts";
import type { JsonValue } from "./config_hash.ts";
import { createProgress } from "./progress.ts";
import { type LinearScheduleOptions, linearWarmupDecay } from "./schedule.ts";

/** The part of a run's state the loop reads and writes; the caller's state extends it. */
export interface TrainingLoopState {
  /** Completed steps. */
  step: number;
  /** Completed steps at which the run was resumed from a checkpoint. */
  resumedAt: number[];
  /** Time spent in steps (ms), over all sessions of the run. */
  trainTimeMs: number;
}

/** What a step returns: at least its loss (shown by the progress bar). */
export interface TrainingStepOutcome {
  /** The step's loss. */
  readonly loss: number;
}

/** Where and when {@linkcode runTrainingLoop} writes checkpoints, and how it resumes. */
export interface TrainingLoopCheckpoints<S extends TrainingLoopState> {
  /** The checkpoint folder. */
  readonly dir: string;
  /** The run's id, stored in the sidecar and required on resume. */
  readonly runId: string;
  /** Checkpoint every this many steps. */
  readonly every: number;
  /** Also checkpoint after every evaluation. */
  readonly afterEvaluation: boolean;
  /** Also checkpoint after the last step. */
  readonly atEnd: boolean;
  /** Continue from the folder's checkpoint when there is one. */
  readonly resume: boolean;
  /**
   * Asked when the checkpoint's steps are all done: true ends the loop at once (status
   * `already-finished`, the variables holding the checkpoint's values, nothing written).
   */
  readonly finished?: (state: S) => boolean | Promise<boolean>;
  /** Called once the run continues from a checkpoint (its step already in `resumedAt`). */
  readonly onResume?: (state: S) => void | Promise<void>;
  /** Called before each checkpoint is written (e.g. to bring a wall-time field up to date). */
  readonly beforeSave?: (state: S) => void;
}

/** Options of {@linkcode runTrainingLoop}. */
export interface TrainingLoopOptions<
  S extends TrainingLoopState,
  O extends TrainingStepOutcome,
> {
  /** The run's total steps. */
  readonly totalSteps: number;
  /** The learning rate of each step (`linearWarmupDecay`). */
  readonly schedule: LinearScheduleOptions;
  /** The optimiser the step updates; its `params` and moments are what a checkpoint holds. */
  readonly optimizer: AdamW;
  /** The state of a fresh run (replaced by a checkpoint's when the run resumes). */
  readonly state: S;
  /**
   * Runs step `state.step` (0-based) at learning rate `lr` and records what the caller keeps
   * (curves, …) in `state`; the loop then counts the step. Every tensor it creates is disposed.
   */
  readonly step: (state: S, lr: number) => O | Promise<O>;
  /** Called after every step, with the step counted. */
  readonly onStep?: (state: S, outcome: O, lr: number) => void | Promise<void>;
  /** Evaluation every `every` steps (when given) and after the last step. */
  readonly evaluate?: {
    /** The evaluation cadence in steps; without it only after the last step. */
    readonly every?: number | undefined;
    /** Evaluates and records the result in `state`. */
    readonly run: (state: S) => void | Promise<void>;
  };
  /** Checkpoints; without them nothing is written and nothing resumed. */
  readonly checkpoint?: TrainingLoopCheckpoints<S>;
  /** Called once before the first step this call runs (not when no step remains). */
  readonly beforeFirstStep?: (state: S) => void | Promise<void>;
  /** Draw a progress bar; by default exactly when stderr is a terminal. */
  readonly progress?: boolean | undefined;
  /** Checkpoint and stop once this many steps are done (status `stopped`). */
  readonly stopAfter?: number | undefined;
}

/** What {@linkcode runTrainingLoop} returns. */
export interface TrainingLoopResult<S extends TrainingLoopState> {
  /** The final state. */
  readonly state: S;
  /**
   * `trained` from scratch, `resumed` from a checkpoint, `already-finished` (a complete
   * checkpoint that `finished` accepted: nothing trained) or `stopped` by `stopAfter`.
   */
  readonly status: "trained" | "resumed" | "already-finished" | "stopped";
}

async function resumeFrom<S extends TrainingLoopState>(
  checkpoints: TrainingLoopCheckpoints<S>,
  optimizer: AdamW,
): Promise<S | undefined> {
  const checkpoint = await loadCheckpoint(checkpoints.dir, checkpoints.runId);
  if (checkpoint === undefined) return undefined;
  restoreVariables(checkpoint, "param/", optimizer.params);
  const moments: NamedTensors = {};
  try {
    for (const [name, entry] of checkpoint.tensors) {
      if (name.startsWith("m/") || name.startsWith("v/")) {
        moments[name] = tf.tensor(entry.data, [...entry.shape], "float32");
      }
    }
    const state = checkpoint.sidecar.state as unknown as S;
    loadAdamWState(optimizer, moments, state.step);
    return state;
  } finally {
    tf.dispose(Object.values(moments));
  }
}

/**
 * Runs the steps of a run from its checkpoint (or from `state`) to `totalSteps`: each step at
 * the schedule's learning rate, then `onStep`, an evaluation when due, a checkpoint when due.
 * An error thrown by a step ends the loop with the last checkpoint on disk.
 *
 * @param options The steps, the step, schedule, optimiser, evaluation and checkpoints.
 * @returns The final state and how the run went.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { adamWUpdate, createAdamW, disposeAdamW, runTrainingLoop } from "@loradrop/core/train";
 * import { assert, assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * // Minimise (w - 3)²: one AdamW update per step.
 * const w = tf.tidy(() => tf.variable(tf.scalar(0)));
 * const optimizer = createAdamW({ w });
 * const dir = await Deno.makeTempDir();
 * const run = () =>
 *   runTrainingLoop({
 *     totalSteps: 40,
 *     schedule: { peakLr: 0.3, totalSteps: 40, warmupSteps: 0 },
 *     optimizer,
 *     state: { step: 0, resumedAt: [] as number[], trainTimeMs: 0, losses: [] as number[] },
 *     step: (state, lr) => {
 *       const loss = tf.tidy(() => {
 *         const { value, grads } = tf.variableGrads(() => tf.square(tf.sub(w, 3)) as tf.Scalar, [w]);
 *         adamWUpdate(optimizer, { w: grads[w.name]! }, lr);
 *         return value.dataSync()[0]!;
 *       });
 *       state.losses.push(loss);
 *       return { loss };
 *     },
 *     checkpoint: { dir, runId: "quadratic", every: 10, afterEvaluation: false, atEnd: true, resume: true },
 *     progress: false,
 *   });
 * const first = await run();
 * assertEquals(first.status, "trained");
 * assert(first.state.losses.at(-1)! < first.state.losses[0]!);
 * // A second call finds the finished checkpoint: no step remains.
 * const again = await run();
 * assertEquals([again.status, again.state.step, again.state.resumedAt], ["resumed", 40, [40]]);
 * disposeAdamW(optimizer);
 * w.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runTrainingLoop<S extends TrainingLoopState, O extends TrainingStepOutcome>(
  options: TrainingLoopOptions<S, O>,
): Promise<TrainingLoopResult<S>> {
  const { totalSteps, optimizer, checkpoint, evaluate } = options;
  let state = options.state;
  let status: TrainingLoopResult<S>["status"] = "trained";
  const restored = checkpoint?.resume === true
    ? await resumeFrom(checkpoint, optimizer)
    : undefined;
  if (restored !== undefined) {
    state = restored;
    if (state.step >= totalSteps && (await checkpoint!.finished?.(state)) === true) {
      return { state, status: "already-finished" };
    }
    state.resumedAt.push(state.step);
    status = "resumed";
    await checkpoint!.onResume?.(state);
  }
  const save = async (): Promise<void> => {
    if (checkpoint === undefined) return;
    checkpoint.beforeSave?.(state);
    const tensors: NamedTensors = {};
    for (const [name, v] of Object.entries(optimizer.params)) tensors[`param/${name}`] = v;
    Object.assign(tensors, adamWStateTensors(optimizer).tensors);
    await saveCheckpoint(
      checkpoint.dir,
      checkpoint.runId,
      state.step,
      tensors,
      state as unknown as JsonValue,
    );
  };

  if (state.step < totalSteps) await options.beforeFirstStep?.(state);
  const progress = createProgress(totalSteps, state.step, options.progress);
  try {
    while (state.step < totalSteps) {
      if (options.stopAfter !== undefined && state.step >= options.stopAfter) {
        await save();
        return { state, status: "stopped" };
      }
      const t0 = performance.now();
      const lr = linearWarmupDecay(state.step, options.schedule);
      const outcome = await options.step(state, lr);
      state.trainTimeMs += performance.now() - t0;
      state.step += 1;
      progress.update(state.step, outcome.loss);
      await options.onStep?.(state, outcome, lr);
      const end = state.step === totalSteps;
      let evaluated = false;
      if (evaluate !== undefined) {
        const every = evaluate.every;
        if ((every !== undefined && state.step % every === 0) || end) {
          await evaluate.run(state);
          evaluated = true;
        }
      }
      if (
        checkpoint !== undefined &&
        ((evaluated && checkpoint.afterEvaluation) || (end && checkpoint.atEnd) ||
          (state.step % checkpoint.every === 0 && !end))
      ) {
        await save();
      }
    }
  } finally {
    progress.stop();
  }
  return { state, status };
}
