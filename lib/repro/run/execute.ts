/**
 * Executes one {@linkcode RunSpec}: the base model and its tokenizer (the default USE-lite, or a
 * Hugging Face BERT/RoBERTa checkpoint for the `paper` preset), a built-in task or a GLUE task,
 * the method's dropout plan, LoRA on q and v — then the trainer, with the run's own checkpoint
 * folder so a killed run resumes where it stopped.
 *
 * @module
 */
import { join, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { BUILTIN_TASK_NAMES, type BuiltinTaskName, loadTask } from "../../data/registry.ts";
import type { Task } from "../../data/example.ts";
import { loadGlueTask } from "../../data/glue.ts";
import { type HfEncoderModel, loadHfEncoder } from "../../io/hf_model.ts";
import { hfClassificationHead } from "../../io/adapter_hf_head.ts";
import { encoderArchitecture } from "../../io/architectures/table.ts";
import { hubFile, type HubOptions } from "../../io/hub.ts";
import { disposeUseLite, loadUseLite, type UseLiteModel } from "../../io/use_lite.ts";
import type { NluMetricName } from "../../metrics/metric.ts";
import { createTaskModel, type TaskModelOptions } from "../../models/task_model.ts";
import { checkTokenizerMatchesModel } from "../../tokenizers/check_vocab.ts";
import { loadUseLiteTokenizer } from "../../tokenizers/use_lite.ts";
import { loadTokenizerFromDir, type TextTokenizer } from "../../tokenizers/load.ts";
import type { BatchSource } from "../../train/batches.ts";
import { textBatchSource } from "../../train/text_source.ts";
import { type EvalEvent, type StepEvent, train } from "../../train/train.ts";
import type { RunSpec } from "../plan/run_spec.ts";
import {
  isPaperTask,
  PAPER_SHARED_SETTINGS,
  PAPER_TASK_NAMES,
  paperSettings,
  type PaperTaskName,
} from "../plan/paper_settings.ts";
import { executeLocked } from "./locked_run.ts";
import { dropoutPlanOf } from "./dropout_plan.ts";
import { saveStoredRun, type StoredRun } from "./store.ts";
import { loadTaskData, taskDataIdentity } from "./task_data.ts";
import type { TaskModel } from "../../models/task_model.ts";
import type { JsonValue } from "../../train/config_hash.ts";

/** The resources of the default model: USE-lite and its tokenizer. */
export interface UseLiteRunResources {
  /** `use-lite`. */
  readonly source: "use-lite";
  /** The model name the resources are for (`use-lite`). */
  readonly model: string;
  /** The frozen pretrained base. */
  readonly base: UseLiteModel;
  /** Its tokenizer. */
  readonly tokenizer: TextTokenizer;
}

/** The resources of a Hugging Face encoder (BERT, RoBERTa) and the tokenizer of its folder. */
export interface HfRunResources {
  /** `hf`. */
  readonly source: "hf";
  /** The model name the resources are for (the folder or hub id of the runs' specs). */
  readonly model: string;
  /** The frozen pretrained encoder. */
  readonly base: HfEncoderModel;
  /** The tokenizer read from the model's folder. */
  readonly tokenizer: TextTokenizer;
}

/** What every run of a process shares: the frozen base model and its tokenizer. */
export type RunResources = UseLiteRunResources | HfRunResources;

/** Options of {@linkcode loadRunResources} for Hugging Face models. */
export interface LoadRunResourcesOptions extends HubOptions {
  /**
   * The folder holding the model's files (`config.json`, `model.safetensors`, `tokenizer.json`,
   * `tokenizer_config.json`) when `model` is only the runs' name for it; default: `model` itself,
   * a folder or a hub id resolved through the cache (`cacheDir`, `$LORADROP_CACHE`).
   */
  readonly modelDir?: string;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Loads the base model and tokenizer of `model` once per process: `use-lite` (the offline
 * presets' model) or a Hugging Face BERT/RoBERTa encoder.
 *
 * @param model `use-lite`.
 * @returns The resources; free them with {@linkcode disposeRunResources}.
 * @example
 * ```ts ignore
 * import { loadRunResources } from "@loradrop/core/repro";
 * const resources = await loadRunResources("use-lite");
 * ```
 */
export function loadRunResources(model: "use-lite"): Promise<UseLiteRunResources>;
/**
 * Loads the base model and tokenizer of `model` once per process: `use-lite` (the offline
 * presets' model) or a Hugging Face BERT/RoBERTa encoder: a local folder, or a hub id such as
 * `roberta-large` whose files are taken from the hub cache (downloaded when the hub is
 * reachable; offline, the error says where to put them). The tokenizer is read from the same
 * folder (`tokenizer.json`, `tokenizer_config.json`) and must fit the model's vocabulary.
 *
 * @param model `use-lite`, a model folder or a hub id.
 * @param options Where the files are (`modelDir`), the hub cache and revision.
 * @returns The resources; free them with {@linkcode disposeRunResources}.
 * @example
 * ```ts ignore
 * import { loadRunResources } from "@loradrop/core/repro";
 * const resources = await loadRunResources("roberta-large", { modelDir: "/data/roberta-large" });
 * ```
 */
export function loadRunResources(
  model: string,
  options?: LoadRunResourcesOptions,
): Promise<RunResources>;
export async function loadRunResources(
  model: string,
  options: LoadRunResourcesOptions = {},
): Promise<RunResources> {
  if (model === "use-lite" && options.modelDir === undefined) {
    const [base, tokenizer] = await Promise.all([loadUseLite(), loadUseLiteTokenizer()]);
    return { source: "use-lite", model, base, tokenizer };
  }
  if (typeof model !== "string" || model.trim() === "") {
    throw new TypeError(
      `Cannot load run resources: model must be "use-lite", a folder or a hub id, received ${
        JSON.stringify(model)
      }`,
    );
  }
  const { modelDir, ...hub } = options;
  const source = modelDir ?? model;
  const local = await isDir(source);
  if (modelDir !== undefined && !local) {
    throw new Error(
      `Cannot load run resources for "${model}": modelDir ${modelDir} is not a folder`,
    );
  }
  const base = await loadHfEncoder(source, hub);
  try {
    if (!local) {
      // Hub id: the tokenizer files sit next to config.json in the cache folder.
      for (const file of ["tokenizer.json", "tokenizer_config.json"]) {
        try {
          await hubFile(source, file, hub);
        } catch (error) {
          throw new Error(
            `Cannot load the tokenizer of "${source}": ${(error as Error).message}`,
          );
        }
      }
    }
    const tokenizer = await loadTokenizerFromDir(base.dir);
    checkTokenizerMatchesModel(tokenizer, base.config.vocabSize);
    return { source: "hf", model, base, tokenizer };
  } catch (error) {
    disposeEncoder(base);
    throw error;
  }
}

function disposeEncoder(base: HfEncoderModel): void {
  tf.dispose(base.weights as unknown as tf.TensorContainer);
  if (base.pooler !== undefined) tf.dispose(base.pooler as unknown as tf.TensorContainer);
}

/**
 * Frees what {@linkcode loadRunResources} loaded.
 *
 * @param resources The resources.
 * @returns Nothing.
 * @example
 * ```ts ignore
 * import { disposeRunResources, loadRunResources } from "@loradrop/core/repro";
 * disposeRunResources(await loadRunResources("use-lite"));
 * ```
 */
export function disposeRunResources(resources: RunResources): void {
  if (resources.source === "hf") disposeEncoder(resources.base);
  else disposeUseLite(resources.base);
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
  /** Checkpoint every this many steps (the trainer's default: 50). */
  readonly checkpointEvery?: number;
  /** Resume from the run's checkpoint (default true); false starts it over. */
  readonly resume?: boolean;
  /**
   * Called with the trained model (and its task) before it is disposed, e.g. to export the
   * adapter; also for a run that had already finished, whose model is read from its checkpoint.
   */
  readonly afterTraining?: (trained: TrainedRun) => void | Promise<void>;
  /**
   * The GLUE data folder, for GLUE tasks: it holds one folder per task, named like Hugging Face's
   * configs (`rte/`, `sst2/`, parquet or TSV) or like GLUE's distribution (`RTE/`, `SST-2/`,
   * `STS-B/`, `CoLA/`). Default `$LORADROP_GLUE_DIR`.
   */
  readonly glueDir?: string;
  /** Told when a run's lock is taken over from an ended process (default: a warning). */
  readonly onNotice?: (message: string) => void;
}

/** What {@linkcode ExecuteRunOptions.afterTraining} receives. */
export interface TrainedRun {
  /** The run. */
  readonly spec: RunSpec;
  /** The task it trained on. */
  readonly task: Task;
  /** The trained task model (disposed after the callback). */
  readonly model: TaskModel;
  /** The run's record. */
  readonly record: StoredRun["record"];
  /** Whether it trained now, resumed, or had already finished. */
  readonly status: "trained" | "resumed" | "already-finished";
}

/** GLUE's own folder names (glue_data/…), next to the Hugging Face config names. */
const GLUE_FOLDER_NAMES: Readonly<Record<PaperTaskName, string>> = {
  rte: "RTE",
  mrpc: "MRPC",
  stsb: "STS-B",
  sst2: "SST-2",
  cola: "CoLA",
  qnli: "QNLI",
};

function envGlueDir(): string | undefined {
  try {
    return Deno.env.get("LORADROP_GLUE_DIR") || undefined;
  } catch {
    return undefined; // no --allow-env
  }
}

/**
 * The folder of one GLUE task inside a GLUE data folder (`<dir>/rte` or `<dir>/RTE`).
 *
 * @param task A GLUE task of the paper (`rte`, `mrpc`, `stsb`, `sst2`, `cola`, `qnli`).
 * @param glueDir The GLUE data folder; default `$LORADROP_GLUE_DIR`.
 * @returns The task's folder.
 * @example
 * ```ts
 * import { glueTaskDir } from "@loradrop/core/repro";
 * import { assertEquals, assertRejects } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/STS-B`);
 * assertEquals(await glueTaskDir("stsb", dir), `${dir}/STS-B`);
 * await assertRejects(() => glueTaskDir("rte", dir), Error, "RTE");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function glueTaskDir(task: string, glueDir?: string): Promise<string> {
  if (!isPaperTask(task)) {
    throw new TypeError(
      `Cannot locate GLUE data: task must be one of ${
        PAPER_TASK_NAMES.join(", ")
      }, received "${task}"`,
    );
  }
  const fromEnv = glueDir === undefined;
  const dir = glueDir ?? envGlueDir();
  if (dir === undefined) {
    throw new Error(
      `Cannot load GLUE task "${task}": no GLUE data folder was given; set LORADROP_GLUE_DIR ` +
        `(or pass --glue DIR to deno task repro, glueDir to executeRun) to a folder holding ${task}/ or ${
          GLUE_FOLDER_NAMES[task]
        }/`,
    );
  }
  if (!(await isDir(dir))) {
    throw new Error(
      `Cannot load GLUE task "${task}": the GLUE data folder ${dir}${
        fromEnv ? " (from LORADROP_GLUE_DIR)" : ""
      } does not exist`,
    );
  }
  const candidates = [join(dir, task), join(dir, GLUE_FOLDER_NAMES[task])];
  for (const c of candidates) if (await isDir(c)) return c;
  throw new Error(
    `Cannot load GLUE task "${task}": the GLUE data folder ${dir} has neither ${task}/ nor ${
      GLUE_FOLDER_NAMES[task]
    }/`,
  );
}

const glueCache = new Map<string, Promise<Task>>();

/**
 * The task of a run: a built-in task by name, or a GLUE task read from the GLUE data folder
 * (each folder is read once per process).
 *
 * @param name A built-in task (`sentiment-low`, …) or a GLUE task (`rte`, `mrpc`, `stsb`, `sst2`,
 * `cola`, `qnli`).
 * @param glueDir The GLUE data folder; default `$LORADROP_GLUE_DIR`.
 * @returns The task.
 * @example
 * ```ts
 * import { loadRunTask } from "@loradrop/core/repro";
 * import { assertEquals, assertRejects } from "@std/assert";
 * const glue = new URL("../../../tests/fixtures/glue", import.meta.url).pathname;
 * assertEquals((await loadRunTask("stsb", glue)).card.kind, "regression");
 * await assertRejects(() => loadRunTask("mnli", glue), TypeError, '"mnli"');
 * ```
 */
export async function loadRunTask(name: string, glueDir?: string): Promise<Task> {
  if ((BUILTIN_TASK_NAMES as readonly string[]).includes(name)) {
    return await loadTask(name as BuiltinTaskName);
  }
  if (!isPaperTask(name)) {
    throw new TypeError(
      `Cannot execute run: task must be a built-in task (${
        BUILTIN_TASK_NAMES.join(", ")
      }) or a GLUE task (${PAPER_TASK_NAMES.join(", ")}), received "${name}"`,
    );
  }
  const dir = resolve(await glueTaskDir(name, glueDir));
  const key = `${name}\u0000${dir}`;
  let task = glueCache.get(key);
  if (task === undefined) {
    task = loadGlueTask(name, dir);
    glueCache.set(key, task);
    task.catch(() => glueCache.delete(key));
  }
  return await task;
}

/**
 * The task of a run spec: the user's own files ({@linkcode RunSpec.data}), else a built-in or GLUE
 * task by name ({@linkcode loadRunTask}).
 *
 * @param spec The run.
 * @param glueDir The GLUE data folder; default `$LORADROP_GLUE_DIR`.
 * @returns The task.
 * @example
 * ```ts
 * import { loadSpecTask } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const spec = reproExperiments("smoke")[0]!.runs[0]!;
 * assertEquals((await loadSpecTask(spec)).card.name, spec.task);
 * ```
 */
export function loadSpecTask(spec: RunSpec, glueDir?: string): Promise<Task> {
  return spec.data === undefined
    ? loadRunTask(spec.task, glueDir)
    : loadTaskData(spec.task, spec.data);
}

/**
 * The head of a task model over a base. USE-lite: masked mean pooling (its own pooler is an
 * L2-normalised sentence embedding). BERT and RoBERTa: Hugging Face's sequence-classification
 * head (`hfClassificationHead`), so that the adapter exports whole to PEFT — BERT's pretrained
 * pooler (frozen, as in BertForSequenceClassification under PEFT) then a linear layer; RoBERTa's
 * RobertaClassificationHead, a trainable dense D×D layer and tanh on `<s>` then `out_proj`, as
 * microsoft/LoRA's RoBERTa runs train it. A checkpoint's own classifier of the task's size is the
 * initial head; one of another size is replaced by a random head, with a notice. A requested
 * pooling overrides the layout; a BERT checkpoint without a pooler pools its first token.
 */
async function headFor(
  resources: RunResources,
  kind: "classification" | "regression",
  numLabels: number,
  requested: TaskModelOptions["head"]["pooling"] | undefined,
  notice: (message: string) => void,
): Promise<TaskModelOptions["head"]> {
  // The layout's head (its row of the architecture table); a pooler head needs the checkpoint's pooler.
  const layout = resources.source === "hf"
    ? encoderArchitecture(resources.base.modelType, "choose the classification head").head
    : undefined;
  const hfLayout = layout !== undefined &&
    !(layout.pooling === "pooler" && resources.base.pooler === undefined);
  if (requested === undefined && resources.source === "hf" && hfLayout) {
    const head = await hfClassificationHead(resources.base, {
      kind,
      numClasses: numLabels,
      ignoreMismatchedHead: true,
    });
    if (
      head.init === undefined &&
      resources.base.ignoredKeys.some((k) =>
        [layout.out, layout.dense].some((m) => m !== undefined && k.startsWith(`${m}.`))
      )
    ) {
      notice(
        `the checkpoint ${resources.model} has a classifier for another number of outputs than the task's ${
          kind === "regression" ? 1 : numLabels
        }: training starts from a random head`,
      );
    }
    return head;
  }
  const pooling = requested ??
    (resources.source === "use-lite"
      ? "mean"
      : resources.base.pooler !== undefined
      ? "pooler"
      : "first");
  return kind === "classification" ? { kind, numClasses: numLabels, pooling } : { kind, pooling };
}

/** The paper's metric first (Pearson for STS-B, MCC for CoLA), then the task's others. */
function metricsFor(taskName: string, cardMetrics: readonly NluMetricName[]): NluMetricName[] {
  if (!isPaperTask(taskName)) return [...cardMetrics];
  const main = paperSettings(taskName).metric;
  return [main, ...cardMetrics.filter((m) => m !== main)];
}

/**
 * Tokenized splits per task object, tokenizer and length: a grid tokenizes each task once per
 * process (built-in and GLUE tasks are loaded once per process, so their objects repeat).
 */
const sourceCache = new WeakMap<
  Task,
  WeakMap<TextTokenizer, Map<number, { trainSource: BatchSource; devSource: BatchSource }>>
>();

function taskSources(
  task: Task,
  tokenizer: TextTokenizer,
  kind: "classification" | "regression",
  maxLength: number,
): { trainSource: BatchSource; devSource: BatchSource } {
  let byTokenizer = sourceCache.get(task);
  if (byTokenizer === undefined) sourceCache.set(task, byTokenizer = new WeakMap());
  let byLength = byTokenizer.get(tokenizer);
  if (byLength === undefined) byTokenizer.set(tokenizer, byLength = new Map());
  let sources = byLength.get(maxLength);
  if (sources === undefined) {
    const options = { kind, maxLength };
    sources = {
      trainSource: textBatchSource(task.train, tokenizer, options),
      devSource: textBatchSource(task.dev, tokenizer, options),
    };
    byLength.set(maxLength, sources);
  }
  return sources;
}

/** Steps and evaluation interval: fixed steps, or epochs × batches per epoch (Table 6). */
function schedule(spec: RunSpec, trainSize: number): { steps: number; evalEvery: number } {
  const perEpoch = Math.ceil(trainSize / spec.batchSize);
  let steps = spec.steps;
  if (steps === 0) {
    const epochs = spec.epochs;
    if (epochs === undefined || !Number.isFinite(epochs) || epochs <= 0) {
      throw new RangeError(
        `Cannot execute run on "${spec.task}": steps is 0, so epochs must be a number > 0, received ${epochs}`,
      );
    }
    steps = Math.max(1, Math.round(epochs * perEpoch));
  }
  return { steps, evalEvery: spec.evalEvery > 0 ? spec.evalEvery : perEpoch };
}

/**
 * Trains one run and stores its record (`<dir>/runs/<hash>.json`). Its checkpoints live in
 * `<dir>/train/<hash[0:16]>/`, so rerunning a killed run resumes it. The run is locked while it
 * trains (`<dir>/locks/<hash>.lock`): a run that another live process is training is a
 * `RunLockedError` naming it, and a run that was stored meanwhile is returned, not trained again.
 *
 * @param spec The run.
 * @param resources The loaded base model and tokenizer.
 * @param options Folder, backend, events.
 * @returns The stored run.
 * @throws {RunLockedError} When another live process is training the run.
 * @example
 * ```ts ignore
 * import { executeRun, loadRunResources } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * const spec = reproExperiments("smoke")[0]!.runs[0]!;
 * const run = await executeRun(spec, await loadRunResources("use-lite"), { dir: "results/x", backend: "wasm" });
 * ```
 */
export async function executeRun(
  spec: RunSpec,
  resources: RunResources,
  options: ExecuteRunOptions,
): Promise<StoredRun> {
  return await executeLocked(spec, resources.model, {
    dir: options.dir,
    backend: options.backend,
    ...(options.onNotice === undefined ? {} : { onNotice: options.onNotice }),
    // Unless the caller starts it over, or needs the trained model (which the trainer rebuilds
    // from its checkpoint), a run another process finished meanwhile is not trained again.
    reuseStored: options.resume !== false && options.afterTraining === undefined,
  }, (specHash) => trainAndStore(spec, specHash, resources, options));
}

async function trainAndStore(
  spec: RunSpec,
  specHash: string,
  resources: RunResources,
  options: ExecuteRunOptions,
): Promise<StoredRun> {
  const task = await loadSpecTask(spec, options.glueDir);
  const kind = task.card.kind;
  const hf = resources.source === "hf";
  // As Hugging Face's run_glue.py: no longer than the tokenizer and the model take.
  const maxLength = hf
    ? Math.min(
      spec.maxLength,
      resources.tokenizer.modelMaxLength,
      resources.base.config.maxPositions,
    )
    : spec.maxLength;
  const { trainSource, devSource } = taskSources(task, resources.tokenizer, kind, maxLength);
  const plan = dropoutPlanOf(spec);
  const { steps, evalEvery } = schedule(spec, task.train.length);
  const head = await headFor(
    resources,
    kind,
    task.card.numLabels,
    spec.pooling,
    options.onNotice ?? ((m) => console.warn(`Warning: ${m}`)),
  );
  const paper = isPaperTask(spec.task) && spec.data === undefined;
  const result = await train({
    makeModel: (initKey) =>
      createTaskModel(resources.base, {
        lora: { r: spec.rank, alpha: spec.alpha, targets: [...(spec.targets ?? ["q", "v"])] },
        head,
      }, initKey),
    train: trainSource,
    dev: devSource,
    metrics: spec.data === undefined ? metricsFor(spec.task, task.card.metrics) : task.card.metrics,
    plan,
    // train() derives independent init, data-order and mask streams from each seed.
    seeds: spec.seeds ?? { init: spec.seed, data: spec.seed, dropout: spec.seed },
    batchSize: spec.batchSize,
    steps,
    lr: spec.learningRate,
    evalEvery,
    ...(spec.weightDecay !== undefined
      ? { weightDecay: spec.weightDecay }
      : paper
      ? { weightDecay: PAPER_SHARED_SETTINGS.weightDecay }
      : {}),
    ...(spec.warmupRatio !== undefined
      ? { warmupRatio: spec.warmupRatio }
      : paper
      ? { warmupRatio: PAPER_SHARED_SETTINGS.warmupRatio }
      : {}),
    ...(spec.maxGradNorm === undefined ? {} : { maxGradNorm: spec.maxGradNorm }),
    ...(spec.groupByLength ? { groupByLength: true } : {}),
    // Evaluation needs no tape: larger batches cost less per example (256: a low-data dev split
    // in one batch; not for large encoders, whose (B, H, T, T) attention at T = 512 already fills
    // memory at the training batch size).
    evalBatchSize: hf ? spec.batchSize : Math.max(spec.batchSize, 256),
    outDir: `${options.dir}/train/${specHash.slice(0, 16)}`,
    describe: {
      ...spec,
      ...(spec.data === undefined ? {} : { data: taskDataIdentity(spec.data) }),
      ...(maxLength === spec.maxLength ? {} : { maxLengthUsed: maxLength }),
    } as { readonly [key: string]: JsonValue },
    ...(options.onStep ? { onStep: options.onStep } : {}),
    ...(options.onEval ? { onEval: options.onEval } : {}),
    ...(options.progress === undefined ? {} : { progress: options.progress }),
    ...(options.checkpointEvery === undefined ? {} : { checkpointEvery: options.checkpointEvery }),
    ...(options.resume === undefined ? {} : { resume: options.resume }),
  }).finally(() => {
    // createTaskModel copied the checkpoint's head values.
    tf.dispose([head.init?.out, head.init?.dense] as unknown as tf.TensorContainer);
  });
  try {
    await options.afterTraining?.({
      spec,
      task,
      model: result.model,
      record: result.record,
      status: result.status,
    });
  } finally {
    result.model.dispose();
  }
  const stored: StoredRun = { spec, specHash, backend: options.backend, record: result.record };
  await saveStoredRun(options.dir, stored);
  return stored;
}
