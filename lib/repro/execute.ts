/**
 * Executes one {@linkcode RunSpec}: the default model (USE-lite) and its tokenizer, a built-in
 * task, the method's dropout plan, LoRA on q and v — then the trainer, with the run's own
 * checkpoint folder so a killed run resumes where it stopped.
 *
 * @module
 */
import { BUILTIN_TASK_NAMES, type BuiltinTaskName, loadTask } from "../data/registry.ts";
import { presetPlan } from "../dropout/presets.ts";
import { disposeUseLite, loadUseLite, type UseLiteModel } from "../io/use_lite.ts";
import { createTaskModel } from "../models/task_model.ts";
import { loadUseLiteTokenizer } from "../tokenizers/use_lite.ts";
import type { TextTokenizer } from "../tokenizers/load.ts";
import { textBatchSource } from "../train/text_source.ts";
import { type EvalEvent, type StepEvent, train } from "../train/train.ts";
import type { RunSpec } from "./experiments.ts";
import { runSpecHash, saveStoredRun, type StoredRun } from "./store.ts";

/** What every run of a process shares: the frozen base model and its tokenizer. */
export interface RunResources {
  /** The model name the resources are for. */
  readonly model: string;
  /** The frozen pretrained base. */
  readonly base: UseLiteModel;
  /** Its tokenizer. */
  readonly tokenizer: TextTokenizer;
}

/**
 * Loads the base model and tokenizer of `model` once per process.
 *
 * @param model `use-lite` (the only model of the offline presets).
 * @returns The resources; free them with {@linkcode disposeRunResources}.
 * @example
 * ```ts ignore
 * import { loadRunResources } from "./execute.ts";
 * const resources = await loadRunResources("use-lite");
 * ```
 */
export async function loadRunResources(model: string): Promise<RunResources> {
  if (model !== "use-lite") {
    throw new TypeError(
      `Cannot load run resources: the offline presets run "use-lite"; received "${model}" (paper-scale models run through the paper preset's loader)`,
    );
  }
  const [base, tokenizer] = await Promise.all([loadUseLite(), loadUseLiteTokenizer()]);
  return { model, base, tokenizer };
}

/**
 * Frees what {@linkcode loadRunResources} loaded.
 *
 * @param resources The resources.
 * @returns Nothing.
 * @example
 * ```ts ignore
 * import { disposeRunResources, loadRunResources } from "./execute.ts";
 * disposeRunResources(await loadRunResources("use-lite"));
 * ```
 */
export function disposeRunResources(resources: RunResources): void {
  disposeUseLite(resources.base);
}

/** Options of {@linkcode executeRun}. */
export interface ExecuteRunOptions {
  /** The results folder (`runs/` and `train/` go below it). */
  readonly dir: string;
  /** The active backend's name (part of the run's identity). */
  readonly backend: string;
  /** Per-step events (live curves). */
  readonly onStep?: (event: StepEvent) => void | Promise<void>;
  /** Per-evaluation events. */
  readonly onEval?: (event: EvalEvent) => void | Promise<void>;
  /** Draw the trainer's progress bar (default: when stderr is a terminal). */
  readonly progress?: boolean;
}

function checkTaskName(name: string): BuiltinTaskName {
  if (!(BUILTIN_TASK_NAMES as readonly string[]).includes(name)) {
    throw new TypeError(
      `Cannot execute run: task must be one of ${
        BUILTIN_TASK_NAMES.join(", ")
      }, received "${name}"`,
    );
  }
  return name as BuiltinTaskName;
}

/**
 * Trains one run and stores its record (`<dir>/runs/<hash>.json`). Its checkpoints live in
 * `<dir>/train/<hash[0:16]>/`, so rerunning a killed run resumes it.
 *
 * @param spec The run.
 * @param resources The loaded base model and tokenizer.
 * @param options Folder, backend, events.
 * @returns The stored run.
 * @example
 * ```ts ignore
 * import { executeRun, loadRunResources } from "./execute.ts";
 * import { reproExperiments } from "./experiments.ts";
 * const spec = reproExperiments("smoke")[0]!.runs[0]!;
 * const run = await executeRun(spec, await loadRunResources("use-lite"), { dir: "results/x", backend: "wasm" });
 * ```
 */
export async function executeRun(
  spec: RunSpec,
  resources: RunResources,
  options: ExecuteRunOptions,
): Promise<StoredRun> {
  if (spec.model !== resources.model) {
    throw new TypeError(
      `Cannot execute run: it needs model "${spec.model}" but the loaded one is "${resources.model}"`,
    );
  }
  const task = await loadTask(checkTaskName(spec.task));
  const kind = task.card.kind;
  const sourceOptions = { kind, maxLength: spec.maxLength };
  const trainSource = textBatchSource(task.train, resources.tokenizer, sourceOptions);
  const devSource = textBatchSource(task.dev, resources.tokenizer, sourceOptions);
  const plan = presetPlan(spec.method, {
    rate: spec.rate,
    ...(spec.klWeight > 0 ? { klWeight: spec.klWeight } : {}),
  });
  const specHash = await runSpecHash(spec, options.backend);
  const result = await train({
    makeModel: (initKey) =>
      createTaskModel(resources.base, {
        lora: { r: spec.rank, alpha: spec.alpha, targets: ["q", "v"] },
        head: kind === "classification"
          ? { kind, numClasses: task.card.numLabels, pooling: "mean" }
          : { kind, pooling: "mean" },
      }, initKey),
    train: trainSource,
    dev: devSource,
    metrics: task.card.metrics,
    plan,
    // Independent streams for init, data order and masks, all fixed by the run's seed.
    seeds: { init: spec.seed, data: 1_000_003 + spec.seed, dropout: 2_000_003 + spec.seed },
    batchSize: spec.batchSize,
    steps: spec.steps,
    lr: spec.learningRate,
    evalEvery: spec.evalEvery,
    // Evaluation needs no tape: larger batches cost less per example.
    evalBatchSize: Math.max(spec.batchSize, 64),
    outDir: `${options.dir}/train/${specHash.slice(0, 16)}`,
    describe: { ...spec },
    ...(options.onStep ? { onStep: options.onStep } : {}),
    ...(options.onEval ? { onEval: options.onEval } : {}),
    ...(options.progress === undefined ? {} : { progress: options.progress }),
  });
  result.model.dispose();
  const stored: StoredRun = { spec, specHash, backend: options.backend, record: result.record };
  await saveStoredRun(options.dir, stored);
  return stored;
}
