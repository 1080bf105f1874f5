/**
 * The paper's NLU training settings (the paper's Table 6) as data: per GLUE task the peak
 * learning rate, epochs, global batch size, maximum sequence length and the metric the paper
 * reports; shared by every task AdamW with weight decay 0.1, warm-up over 6 % of the steps and a
 * linear decay, LoRA r = 8, α = 16 on q and v. The `paper` preset of `deno task repro` builds its
 * runs from these, and {@linkcode overrideRuns} scales them down (fewer epochs, steps, tasks or
 * seeds) for a trial run or a test.
 *
 * The LLaMA2-7B columns of Table 6 are not here: loradrop has no LLaMA loader.
 *
 * @module
 */
import type { NluMetricName } from "../../metrics/metric.ts";
import type { ExperimentSpec, RunSpec } from "./run_spec.ts";
import type { GlueTaskName } from "../../data/glue.ts";

/** The GLUE tasks the paper trains RoBERTa-large on (Tables 1 and 4): the GLUE loader's tasks. */
export type PaperTaskName = GlueTaskName;

/** Every task of {@linkcode PAPER_SETTINGS}, in the paper's column order. */
export const PAPER_TASK_NAMES: readonly PaperTaskName[] = [
  "rte",
  "mrpc",
  "stsb",
  "sst2",
  "cola",
  "qnli",
];

/** One column of Table 6. */
export interface PaperTaskSettings {
  /** Peak learning rate. */
  readonly learningRate: number;
  /** Training epochs. */
  readonly epochs: number;
  /** Global batch size (microsoft/LoRA's per-device size × 8 GPUs). */
  readonly batchSize: number;
  /** Maximum sequence length, special tokens included. */
  readonly maxLength: number;
  /** The metric the paper reports (accuracy, Pearson for STS-B, Matthews for CoLA). */
  readonly metric: NluMetricName;
}

/** Table 6, per task. */
export const PAPER_SETTINGS: Readonly<Record<PaperTaskName, PaperTaskSettings>> = {
  rte: { learningRate: 4e-4, epochs: 30, batchSize: 64, maxLength: 512, metric: "accuracy" },
  mrpc: { learningRate: 3e-4, epochs: 30, batchSize: 32, maxLength: 512, metric: "accuracy" },
  stsb: { learningRate: 3e-4, epochs: 10, batchSize: 32, maxLength: 128, metric: "pearson" },
  sst2: { learningRate: 4e-4, epochs: 10, batchSize: 64, maxLength: 512, metric: "accuracy" },
  cola: { learningRate: 2e-4, epochs: 40, batchSize: 32, maxLength: 128, metric: "mcc" },
  qnli: { learningRate: 2e-4, epochs: 10, batchSize: 32, maxLength: 512, metric: "accuracy" },
};

/** What Table 6 shares across tasks: the optimiser, its schedule and LoRA. */
export const PAPER_SHARED_SETTINGS: {
  readonly optimizer: "adamw";
  readonly weightDecay: number;
  readonly warmupRatio: number;
  readonly schedule: "linear";
  readonly lora: {
    readonly r: number;
    readonly alpha: number;
    readonly targets: readonly ["q", "v"];
  };
} = {
  optimizer: "adamw",
  weightDecay: 0.1,
  warmupRatio: 0.06,
  schedule: "linear",
  lora: { r: 8, alpha: 16, targets: ["q", "v"] },
};

/** The Hugging Face hub id of the paper's NLU model. */
export const PAPER_MODEL = "roberta-large";

/**
 * Whether `name` is a task of {@linkcode PAPER_SETTINGS}.
 *
 * @param name A task name.
 * @returns True for `rte`, `mrpc`, `stsb`, `sst2`, `cola`, `qnli`.
 * @example
 * ```ts
 * import { isPaperTask } from "./paper_settings.ts";
 * import { assert } from "@std/assert";
 * assert(isPaperTask("rte") && !isPaperTask("sentiment-low"));
 * ```
 */
export function isPaperTask(name: string): name is PaperTaskName {
  return (PAPER_TASK_NAMES as readonly string[]).includes(name);
}

/**
 * The Table 6 column of a task.
 *
 * @param task `rte`, `mrpc`, `stsb`, `sst2`, `cola` or `qnli`.
 * @returns Its learning rate, epochs, batch size, maximum length and metric.
 * @example
 * ```ts
 * import { paperSettings } from "./paper_settings.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 * assertEquals(paperSettings("cola").metric, "mcc");
 * assertThrows(() => paperSettings("mnli"), RangeError, '"mnli"');
 * ```
 */
export function paperSettings(task: string): PaperTaskSettings {
  if (!isPaperTask(task)) {
    throw new RangeError(
      `Cannot look up Table 6: task must be one of ${
        PAPER_TASK_NAMES.join(", ")
      }, received "${task}"`,
    );
  }
  return PAPER_SETTINGS[task];
}

/**
 * The run fields Table 6 fixes for a task: learning rate, batch size, maximum length and epochs
 * (`steps` 0: the steps follow from the epochs once the training set's size is known; `evalEvery`
 * 0: evaluate once per epoch).
 *
 * @param task A paper task.
 * @returns The fields of its {@linkcode RunSpec}s.
 * @example
 * ```ts
 * import { paperRunFields } from "./paper_settings.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(paperRunFields("rte"), { learningRate: 4e-4, batchSize: 64, maxLength: 512, epochs: 30, steps: 0, evalEvery: 0 });
 * ```
 */
export function paperRunFields(
  task: string,
): Pick<RunSpec, "learningRate" | "batchSize" | "maxLength" | "steps" | "evalEvery"> & {
  readonly epochs: number;
} {
  const s = paperSettings(task);
  return {
    learningRate: s.learningRate,
    batchSize: s.batchSize,
    maxLength: s.maxLength,
    epochs: s.epochs,
    steps: 0,
    evalEvery: 0,
  };
}

/** Changes {@linkcode overrideRuns} makes to every run. */
export interface RunOverrides {
  /** The base model (a Hugging Face folder or hub id) instead of the preset's. */
  readonly model?: string;
  /** Epochs instead of Table 6's (the steps follow from the data). */
  readonly epochs?: number;
  /** A fixed number of steps instead of epochs. */
  readonly steps?: number;
  /** Keep only the runs on these tasks (an experiment on one other task moves to the first). */
  readonly tasks?: readonly string[];
  /** Keep only the runs with these seeds (an experiment on one other seed moves to the first). */
  readonly seeds?: readonly number[];
}

function positive(value: number | undefined, name: string, integer: boolean): void {
  if (value === undefined) return;
  if (!(Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value)))) {
    throw new RangeError(
      `Cannot override runs: ${name} must be a positive ${
        integer ? "integer" : "number"
      }, received ${value}`,
    );
  }
}

/**
 * Scales a preset's experiments: another model, fewer epochs or a fixed number of steps, a
 * subset of tasks and seeds. Runs keep every other field, so a scaled-down run is a different
 * run (another hash) from the full one.
 *
 * @param experiments The preset's experiments (`reproExperiments("paper")`).
 * @param overrides What to change.
 * @returns New experiments (the input is not modified); experiments left without runs are kept,
 * empty.
 * @example
 * ```ts
 * import { overrideRuns } from "./paper_settings.ts";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assert, assertThrows } from "@std/assert";
 * const small = overrideRuns(reproExperiments("paper"), { tasks: ["rte"], seeds: [0], steps: 2 });
 * const runs = small.flatMap((e) => e.runs);
 * assert(runs.length > 0 && runs.every((r) => r.task === "rte" && r.seed === 0 && r.steps === 2));
 * assertThrows(() => overrideRuns([], { epochs: 0 }), RangeError, "epochs");
 * ```
 */
export function overrideRuns(
  experiments: readonly ExperimentSpec[],
  overrides: RunOverrides,
): ExperimentSpec[] {
  positive(overrides.epochs, "epochs", false);
  positive(overrides.steps, "steps", true);
  if (overrides.epochs !== undefined && overrides.steps !== undefined) {
    throw new TypeError(
      `Cannot override runs: give epochs or steps, not both (received ${overrides.epochs} and ${overrides.steps})`,
    );
  }
  if (overrides.model !== undefined && overrides.model.trim() === "") {
    throw new TypeError('Cannot override runs: model must be a folder or a hub id, received ""');
  }
  for (const [name, list] of [["tasks", overrides.tasks], ["seeds", overrides.seeds]] as const) {
    if (list !== undefined && list.length === 0) {
      throw new RangeError(`Cannot override runs: ${name} must not be empty`);
    }
  }
  const keep = (run: RunSpec) =>
    (overrides.tasks === undefined || overrides.tasks.includes(run.task)) &&
    (overrides.seeds === undefined || overrides.seeds.includes(run.seed));
  const change = (run: RunSpec): RunSpec => {
    const out: { -readonly [K in keyof RunSpec]: RunSpec[K] } = { ...run };
    if (overrides.model !== undefined) out.model = overrides.model;
    if (overrides.steps !== undefined) {
      out.steps = overrides.steps;
      delete out.epochs;
    }
    if (overrides.epochs !== undefined) {
      if (run.steps > 0 && run.epochs === undefined) {
        throw new TypeError(
          `Cannot override runs: epochs apply to runs sized by epochs (the paper preset); the run on "${run.task}" has ${run.steps} fixed steps`,
        );
      }
      out.steps = 0;
      out.epochs = overrides.epochs;
    }
    return out;
  };
  return experiments.map((e) => {
    // An experiment on one task or one seed (overfit, cost) moves to the first one kept.
    const tasks = new Set(e.runs.map((r) => r.task));
    const seeds = new Set(e.runs.map((r) => r.seed));
    const moved = e.runs.map((r) => {
      let out = r;
      const task = overrides.tasks?.[0];
      if (task !== undefined && tasks.size === 1 && !overrides.tasks!.includes(r.task)) {
        out = { ...out, ...retask(out, task), task };
      }
      const seed = overrides.seeds?.[0];
      if (seed !== undefined && seeds.size === 1 && !overrides.seeds!.includes(r.seed)) {
        out = { ...out, seed };
      }
      return out;
    });
    return { ...e, runs: moved.filter(keep).map(change) };
  });
}

/** The Table 6 fields of another paper task, when the run follows Table 6. */
function retask(run: RunSpec, task: string): Partial<RunSpec> {
  return run.epochs !== undefined && isPaperTask(run.task) && isPaperTask(task)
    ? paperRunFields(task)
    : {};
}
