/**
 * What one run and one experiment are, as data: {@linkcode RunSpec} (everything that determines a
 * run's result; its hash is the run's identity), {@linkcode ExperimentSpec} (a question of the paper
 * and the runs answering it), the reproduction's presets, and a user's own data as part of a run
 * ({@linkcode TaskDataSpec}). Every stage reads these: planning builds them, running executes and
 * stores them, the report groups stored runs by them.
 *
 * @module
 */

import type { TaskKind } from "../../data/example.ts";
import type { NluMetricName } from "../../metrics/metric.ts";
import type { ModuleName } from "../../models/drop_context.ts";
import type { Pooling } from "../../models/heads.ts";
/** The size of a reproduction. */
export type ReproPreset = "smoke" | "quick" | "full" | "paper";

/** Every preset, smallest first. */
export const REPRO_PRESETS: readonly ReproPreset[] = ["smoke", "quick", "full", "paper"];

/** One training run: everything that determines its result (the run's identity is its hash). */
export interface RunSpec {
  /** Built-in task name (e.g. `sentiment-low`) or a GLUE task for the `paper` preset. */
  readonly task: string;
  /** Base model: `use-lite` (the default) or a Hugging Face folder / hub id. */
  readonly model: string;
  /** Dropout preset name (`lib/dropout/presets.ts`). */
  readonly method: string;
  /** Dropout rate of the method (0 for the baseline). */
  readonly rate: number;
  /** Weight of the consistency loss (0 when the method has none). */
  readonly klWeight: number;
  /** LoRA rank. */
  readonly rank: number;
  /** LoRA α. */
  readonly alpha: number;
  /** One seed; init, data order and masks use independent keys derived from it. */
  readonly seed: number;
  /** Optimiser steps; 0 when the run is sized by `epochs` (the paper preset). */
  readonly steps: number;
  /**
   * Training epochs, used when `steps` is 0: the steps are then epochs × batches per epoch, known
   * once the training set is loaded (Table 6). Absent from the offline presets' runs.
   */
  readonly epochs?: number;
  /** Examples per batch. */
  readonly batchSize: number;
  /** Peak learning rate. */
  readonly learningRate: number;
  /** Evaluate every this many steps (and at the end); 0: once per epoch. */
  readonly evalEvery: number;
  /** Maximum tokens per example. */
  readonly maxLength: number;
  // The fields below are absent from the presets' runs (absent = the default shown), so adding
  // them changed no stored run's hash; `deno task train` and user tasks set them.
  /** A user's own data (`task` is then its name); absent for built-in and GLUE tasks. */
  readonly data?: TaskDataSpec;
  /** HiddenCut's rate in the HiddenKey family when it differs from `rate`. */
  readonly hiddenRate?: number;
  /** The modules LoRA adapts (`["q", "v"]`). */
  readonly targets?: readonly ModuleName[];
  /** The head's sentence vector (by model: mean for USE-lite, BERT's pooler, RoBERTa's `<s>`). */
  readonly pooling?: Pooling;
  /** AdamW weight decay (0.1, Table 6). */
  readonly weightDecay?: number;
  /** Warm-up fraction (0.06, Table 6). */
  readonly warmupRatio?: number;
  /** Gradient-norm clipping (1). */
  readonly maxGradNorm?: number;
  /** Batch similar lengths together (false). */
  readonly groupByLength?: boolean;
  /** Separate init / data-order / mask seeds when they differ from `seed`. */
  readonly seeds?: { readonly init: number; readonly data: number; readonly dropout: number };
}

/** An experiment: a question of the paper and the runs that answer it. */
export interface ExperimentSpec {
  /** A short identifier (`overfit`, `framework`, …). */
  readonly id: string;
  /** A human title. */
  readonly title: string;
  /** Paper claims (`docs/claims.md`) the experiment gives a verdict on. */
  readonly claims: readonly number[];
  /** The runs. */
  readonly runs: readonly RunSpec[];
}

/** One data file of a run: its absolute path and the SHA-256 of its bytes. */
export interface TaskDataFile {
  /** Absolute path (not part of the run's identity). */
  readonly path: string;
  /** Hex SHA-256 of the file's contents. */
  readonly sha256: string;
}

/** A user's task: two files and how to read them (see `loadCustomTask`). */
export interface TaskDataSpec {
  /** The training file. */
  readonly train: TaskDataFile;
  /** The dev file (the scores are measured on it). */
  readonly dev: TaskDataFile;
  /** The field holding the text (`text` when absent). */
  readonly textField?: string;
  /** The field holding the second text of a pair task. */
  readonly textPairField?: string;
  /** The field holding the label (`label` when absent). */
  readonly labelField?: string;
  /** Class names by index (labels may then be names). */
  readonly labels?: readonly string[];
  /** `classification` (when absent) or `regression`. */
  readonly kind?: TaskKind;
  /** The dev metrics, main one first; by default accuracy (+ F1 for two classes) or Pearson + Spearman. */
  readonly metrics?: readonly NluMetricName[];
}
