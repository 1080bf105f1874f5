/**
 * The plain data types every loader returns: examples, task cards and tasks.
 *
 * @module
 */
import type { NluMetricName } from "../metrics/metric.ts";

/** One example: a text, an optional second text (sentence pairs) and a label. */
export interface Example {
  /** The (first) text. */
  readonly text: string;
  /** The second text of a sentence-pair task. */
  readonly textPair?: string;
  /** A class index for classification, a value for regression. */
  readonly label: number;
}

/** Whether labels are class indices or real values. */
export type TaskKind = "classification" | "regression";

/** Where a task's data comes from. */
export interface TaskSource {
  /** An npm package pinned with its version (`"sentiment@5.0.2"`), or the kind of files read. */
  readonly origin: string;
  /** The files read, relative to the package or absolute. */
  readonly paths: readonly string[];
}

/** The static description of a task: what it is, before any data is read. */
export interface TaskInfo {
  /** The task's registry name. */
  readonly name: string;
  /** One sentence on what an example is and what the label means. */
  readonly description: string;
  /** Classification or regression. */
  readonly kind: TaskKind;
  /** Class names by index (classification); `[]` for regression. */
  readonly labels: readonly string[];
  /** Number of model outputs: the number of classes, or 1 for regression. */
  readonly numLabels: number;
  /** The metrics reported, the first being the main one. */
  readonly metrics: readonly NluMetricName[];
  /** The data's licence. */
  readonly licence: string;
  /** Where the data comes from. */
  readonly source: TaskSource;
  /** The GLUE task(s) this task stands in for, or the GLUE task itself. */
  readonly glue: string;
  /** The seed of the fixed split (`permutation(randomKey(seed), n)`), if the loader splits. */
  readonly splitSeed?: number;
}

/** Label standardisation of a regression task: `label = (raw − mean) / std`. */
export interface Standardisation {
  /** Mean of the raw training targets. */
  readonly mean: number;
  /** Standard deviation (population) of the raw training targets. */
  readonly std: number;
}

/** A task's card once loaded: its info plus measured split sizes. */
export interface TaskCard extends TaskInfo {
  /** Number of examples per split. */
  readonly sizes: { readonly train: number; readonly dev: number; readonly test?: number };
  /** How regression labels were standardised, when they were. */
  readonly standardisation?: Standardisation;
}

/** A loaded task: its card and its splits. */
export interface Task {
  /** What the task is and how big each split is. */
  readonly card: TaskCard;
  /** Training examples. */
  readonly train: readonly Example[];
  /** Development (validation) examples: the split results are reported on. */
  readonly dev: readonly Example[];
  /** Held-out test examples, where the task has labelled ones. */
  readonly test?: readonly Example[];
}
