/**
 * The results record of one training run (one JSON line in `results.jsonl`) and the pieces of
 * it that a checkpoint carries while the run is under way.
 *
 * @module
 */
import type { JsonValue } from "./config_hash.ts";

/** The three independent seeds of a run. */
export interface TrainSeeds {
  /** Adapter and head initialisation. */
  readonly init: number;
  /** Data order (one permutation per epoch). */
  readonly data: number;
  /** Dropout masks (one key per step, split between the passes). */
  readonly dropout: number;
}

/** One evaluation on the dev split. */
export interface EvalRecord {
  /** Completed training steps when it ran. */
  readonly step: number;
  /** Completed epochs (fractional). */
  readonly epoch: number;
  /** Metric values by name. */
  readonly metrics: Readonly<Record<string, number>>;
  /** The mean dev task loss. */
  readonly loss: number;
}

/** Per-step training curves, index `i` being step `i + 1`. */
export interface TrainCurves {
  /** Total loss (task + consistency). */
  readonly loss: number[];
  /** Task loss. */
  readonly taskLoss: number[];
  /** Weighted consistency term (empty without consistency). */
  readonly consistencyLoss: number[];
  /** Gradient norm before clipping. */
  readonly gradNorm: number[];
  /** Learning rate used. */
  readonly lr: number[];
}

/** A metric value at a step. */
export interface MetricAt {
  /** The metric's name. */
  readonly metric: string;
  /** Its value. */
  readonly value: number;
  /** Completed steps at that evaluation. */
  readonly step: number;
}

/** Peak tensor memory seen by `tf.memory()` during the run. */
export interface PeakMemory {
  /** Largest `numBytes`. */
  readonly numBytes: number;
  /** Largest `numTensors`. */
  readonly numTensors: number;
}

/** The JSON record appended to `results.jsonl` when a run finishes. */
export interface RunRecord {
  /** Always `"loradrop-run"`. */
  readonly format: "loradrop-run";
  /** The layout version (1). */
  readonly version: 1;
  /** SHA-256 of `{config, seeds, backend}`: the run's identity (resume key). */
  readonly runId: string;
  /** SHA-256 of `config` alone (groups the seeds of one setting). */
  readonly configHash: string;
  /** Everything that defines the run except the seeds and the backend. */
  readonly config: { readonly [key: string]: JsonValue };
  /** The seeds. */
  readonly seeds: TrainSeeds;
  /** The TensorFlow.js backend. */
  readonly backend: string;
  /** ISO time the run first started. */
  readonly startedAt: string;
  /** ISO time it finished. */
  readonly finishedAt: string;
  /** Steps completed. */
  readonly steps: number;
  /** Epochs completed (fractional). */
  readonly epochs: number;
  /** Completed steps at which the run was resumed from a checkpoint. */
  readonly resumedAt: readonly number[];
  /** Every dev evaluation, in order. */
  readonly evaluations: readonly EvalRecord[];
  /** The training curves. */
  readonly curves: TrainCurves;
  /** Wall time over all sessions of the run, in ms (training + evaluation + checkpoints). */
  readonly wallTimeMs: number;
  /** Time spent in training steps (batching included), in ms. */
  readonly trainTimeMs: number;
  /** Real (non-padding) training tokens processed. */
  readonly tokens: number;
  /** `tokens / trainTime`. */
  readonly tokensPerSecond: number;
  /** `steps / trainTime`. */
  readonly stepsPerSecond: number;
  /** Peak tensor memory. */
  readonly peakMemory: PeakMemory;
  /** The best main-metric evaluation (all NLU metrics are higher-is-better), if any ran. */
  readonly best?: MetricAt;
  /** The last evaluation's main metric. */
  readonly final?: MetricAt;
}

/**
 * The best evaluation of a main metric (highest value; ties keep the earliest).
 *
 * @param evaluations The evaluations.
 * @param metric The main metric's name.
 * @returns The best one, or undefined when there is none.
 * @example
 * ```ts
 * import { bestEvaluation } from "@loradrop/core/train";
 * import { assertEquals } from "@std/assert";
 * const evals = [
 *   { step: 10, epoch: 1, metrics: { accuracy: 0.7 }, loss: 0.6 },
 *   { step: 20, epoch: 2, metrics: { accuracy: 0.8 }, loss: 0.5 },
 *   { step: 30, epoch: 3, metrics: { accuracy: 0.8 }, loss: 0.4 },
 * ];
 * assertEquals(bestEvaluation(evals, "accuracy"), { metric: "accuracy", value: 0.8, step: 20 });
 * ```
 */
export function bestEvaluation(
  evaluations: readonly EvalRecord[],
  metric: string,
): MetricAt | undefined {
  let best: MetricAt | undefined;
  for (const e of evaluations) {
    const value = e.metrics[metric];
    if (value === undefined || Number.isNaN(value)) continue;
    if (best === undefined || value > best.value) best = { metric, value, step: e.step };
  }
  return best;
}
