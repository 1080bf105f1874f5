/**
 * From command-line flags to the {@linkcode RunSpec} that `deno task repro` executes: the task
 * (a built-in task, a GLUE folder or the user's own CSV/TSV/JSONL files), the model (USE-lite, a
 * Hugging Face folder or hub id) and the training settings. `deno task train` and the user-task
 * mode of `deno task repro` both build their runs here, so a `train` run and the same cell of a
 * `repro` grid have one hash and share one stored result.
 *
 * Optional spec fields are only set when a flag moves them off their default, so that flags
 * spelling out a default (`--targets q,v`) do not make a different run.
 *
 * @module
 */
import { resolve } from "node:path";
import { BUILTIN_TASK_NAMES } from "../lib/data/registry.ts";
import { GLUE_TASK_NAMES } from "../lib/data/glue.ts";
import { PRESET_NAMES } from "../lib/dropout/presets.ts";
import { isHubRepoId } from "../lib/io/hub.ts";
import { architectureRow } from "../lib/io/architectures/table.ts";
import { NLU_METRIC_NAMES, type NluMetricName } from "../lib/metrics/metric.ts";
import { MODULE_NAMES, type ModuleName } from "../lib/models/drop_context.ts";
import { hasConsistency } from "../lib/repro/plan/method_fields.ts";
import type { RunSpec, TaskDataSpec } from "../lib/repro/plan/run_spec.ts";
import { defaultTaskName, describeTaskData } from "../lib/repro/run/task_data.ts";
import { choiceFlag, listFlag, numberFlag, UsageError } from "./_args.ts";

/** Flags that choose the task. */
export const TASK_FLAGS = {
  task: "string",
  train: "string",
  dev: "string",
  name: "string",
  "text-field": "string",
  "text-pair-field": "string",
  "label-field": "string",
  labels: "string",
  kind: "string",
  metrics: "string",
  glue: "string",
  "data-dir": "string",
} as const;

/** Flags that choose the base model. */
export const MODEL_FLAGS = { model: "string", cache: "string" } as const;

/** The usage lines of {@linkcode TASK_FLAGS} and {@linkcode MODEL_FLAGS}. */
export const TASK_MODEL_USAGE = `Task (one of):
  --task NAME            a built-in task: ${BUILTIN_TASK_NAMES.join(", ")}
  --train FILE --dev FILE
                         your own data: .csv, .tsv or .jsonl (a header row / one object a line)
    --text-field F         the text's field (default text)
    --text-pair-field F    the second text of a pair task
    --label-field F        the label's field (default label)
    --labels a,b,...       class names by index (labels may then be names)
    --kind K               classification (default) or regression
    --metrics m,...        dev metrics, main first (default accuracy[,f1] or pearson,spearman;
                           mcc for CoLA-like tasks): ${NLU_METRIC_NAMES.join(", ")}
    --name NAME            the task's name in results (default: the training file's name)
  --glue NAME --data-dir DIR
                         a GLUE task (${GLUE_TASK_NAMES.join(", ")}) from a folder holding
                         NAME/ (parquet or TSV, e.g. rte/ or RTE/)
Model:
  --model M              use-lite (default), a Hugging Face folder (BERT, RoBERTa; config.json +
                         model.safetensors + tokenizer.json) or a hub id from the hub cache
  --cache DIR            a hub cache to read and fill (Hugging Face's cache, HF_HUB_CACHE or
                         HF_HOME/hub, is always read; HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE=1 apply)`;

type Values<K extends string> = { readonly [key in K]?: string | boolean | undefined };

function text(values: Values<string>, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

/** The task of a run as the flags give it. */
export interface TaskSelection {
  /** The run's `task` field. */
  readonly task: string;
  /** The user's own files, when given. */
  readonly data?: TaskDataSpec;
  /** The GLUE data folder (absolute), for `--glue`. */
  readonly glueDir?: string;
}

/**
 * Reads the task flags. Own files are digested (and parsed once, so a bad row is reported before
 * anything trains).
 *
 * @param values The parsed flags.
 * @param fallbackTask The built-in task when no task flag is given (none: the flags are required).
 * @returns The selection.
 * @throws {UsageError} For missing, conflicting or unused task flags.
 * @example
 * ```ts
 * import { taskFromFlags } from "./_run_flags.ts";
 * import { UsageError } from "./_args.ts";
 * import { assertEquals, assertRejects } from "@std/assert";
 * assertEquals(await taskFromFlags({ task: "sentiment-low" }), { task: "sentiment-low" });
 * await assertRejects(() => taskFromFlags({ train: "a.csv" }), UsageError, "--dev");
 * await assertRejects(() => taskFromFlags({ task: "x.csv" }), UsageError, '--task must be one of');
 * ```
 */
export async function taskFromFlags(
  values: Values<keyof typeof TASK_FLAGS>,
  fallbackTask?: string,
): Promise<TaskSelection> {
  const task = text(values, "task"), train = text(values, "train"), dev = text(values, "dev");
  const glue = text(values, "glue"), dataDir = text(values, "data-dir");
  const chosen = [task && "--task", (train || dev) && "--train/--dev", glue && "--glue"].filter(
    Boolean,
  );
  if (chosen.length > 1) {
    throw new UsageError(`give one task: ${chosen.join(" or ")}, received both`);
  }
  const fileFlags = [
    "text-field",
    "text-pair-field",
    "label-field",
    "labels",
    "kind",
    "metrics",
    "name",
  ] as const;
  const usedFileFlags = fileFlags.filter((f) => text(values, f) !== undefined);
  if (train === undefined && dev === undefined && usedFileFlags.length > 0) {
    throw new UsageError(
      `--${usedFileFlags[0]} applies to --train/--dev files, received it without them`,
    );
  }
  if (dataDir !== undefined && glue === undefined) {
    throw new UsageError(`--data-dir applies to --glue NAME, received it without --glue`);
  }
  if (glue !== undefined) {
    const name = choiceFlag("glue", glue, GLUE_TASK_NAMES);
    if (dataDir === undefined) throw new UsageError(`--glue ${name} needs --data-dir DIR`);
    if (!isDirectory(dataDir)) {
      throw new UsageError(`--data-dir must be a folder, received "${dataDir}"`);
    }
    return { task: name, glueDir: resolve(dataDir) };
  }
  if (train !== undefined || dev !== undefined) {
    if (train === undefined) throw new UsageError(`--dev needs --train FILE as well`);
    if (dev === undefined) throw new UsageError(`--train needs --dev FILE as well`);
    for (const [flag, path] of [["train", train], ["dev", dev]] as const) {
      if (!isFile(path)) {
        throw new UsageError(`--${flag} must be a readable file, received "${path}"`);
      }
      if (!/\.(csv|tsv|jsonl|ndjson)$/i.test(path)) {
        throw new UsageError(
          `--${flag} must end in .csv, .tsv, .jsonl or .ndjson, received "${path}"`,
        );
      }
    }
    const kind = choiceFlag("kind", text(values, "kind") ?? "classification", [
      "classification",
      "regression",
    ]);
    const labelsText = text(values, "labels");
    if (labelsText !== undefined && kind === "regression") {
      throw new UsageError(
        `--labels applies to classification, received it with --kind regression`,
      );
    }
    const labels = labelsText === undefined ? undefined : listFlag("labels", labelsText);
    if (labels !== undefined && labels.length < 2) {
      throw new UsageError(`--labels must name at least two classes, received "${labelsText}"`);
    }
    const metricsText = text(values, "metrics");
    const metrics = metricsText === undefined
      ? undefined
      : listFlag("metrics", metricsText, NLU_METRIC_NAMES);
    const fits: readonly NluMetricName[] = kind === "regression"
      ? ["pearson", "spearman"]
      : ["accuracy", "f1", "mcc"];
    const misfit = metrics?.find((m) => !fits.includes(m));
    if (misfit !== undefined) {
      throw new UsageError(
        `--metrics for ${kind} must be among ${fits.join(", ")}, received "${misfit}"`,
      );
    }
    const opt = (flag: string) => text(values, flag);
    const data = await describeTaskData({
      train,
      dev,
      kind,
      ...(opt("text-field") === undefined ? {} : { textField: opt("text-field")! }),
      ...(opt("text-pair-field") === undefined ? {} : { textPairField: opt("text-pair-field")! }),
      ...(opt("label-field") === undefined ? {} : { labelField: opt("label-field")! }),
      ...(labels === undefined ? {} : { labels }),
      ...(metrics === undefined ? {} : { metrics }),
    });
    // The default kind is left out of the spec, like every other default.
    const { kind: _, ...withoutKind } = data;
    return {
      task: opt("name") ?? defaultTaskName(train),
      data: kind === "classification" ? withoutKind : data,
    };
  }
  const name = task ?? fallbackTask;
  if (name === undefined) {
    throw new UsageError(
      `give a task: --task NAME, --train FILE --dev FILE or --glue NAME --data-dir DIR`,
    );
  }
  return { task: choiceFlag("task", name, BUILTIN_TASK_NAMES) };
}

/**
 * Reads `--model`: `use-lite`, a local folder (named by its absolute path, so worker processes
 * and later runs find it) or a hub id.
 *
 * @param value The flag's text.
 * @returns The run's `model` field.
 * @example
 * ```ts
 * import { modelFromFlag } from "./_run_flags.ts";
 * import { UsageError } from "./_args.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 * assertEquals(modelFromFlag(undefined), "use-lite");
 * assertEquals(modelFromFlag("FacebookAI/roberta-base"), "FacebookAI/roberta-base");
 * assertThrows(() => modelFromFlag("./no/such/folder"), UsageError, "--model");
 * ```
 */
export function modelFromFlag(value: string | undefined): string {
  if (value === undefined || value === "use-lite") return "use-lite";
  if (isDirectory(value)) {
    let modelType: unknown;
    try {
      modelType = (JSON.parse(Deno.readTextFileSync(`${value}/config.json`)) as {
        model_type?: unknown;
      }).model_type;
    } catch {
      modelType = undefined; // loading the model names what is missing or malformed
    }
    const row = typeof modelType === "string" ? architectureRow(modelType) : undefined;
    if (row?.kind === "decoder") {
      throw new UsageError(
        `--model must be an encoder (BERT or RoBERTa layout) for classification and regression, received "${value}", a ${row.title} decoder (its track is deno task repro nlg)`,
      );
    }
    return resolve(value);
  }
  if (isHubRepoId(value) && !value.startsWith(".")) return value;
  throw new UsageError(
    `--model must be use-lite, a model folder or a hub id like owner/name, received "${value}" (no such folder)`,
  );
}

/** Flags of the training settings of one run. */
export const RUN_FLAGS = {
  method: "string",
  preset: "string",
  rate: "string",
  "hidden-rate": "string",
  "kl-weight": "string",
  steps: "string",
  epochs: "string",
  "batch-size": "string",
  lr: "string",
  "weight-decay": "string",
  "warmup-ratio": "string",
  "max-grad-norm": "string",
  "lora-r": "string",
  "lora-alpha": "string",
  targets: "string",
  pooling: "string",
  "max-length": "string",
  seed: "string",
  "init-seed": "string",
  "data-seed": "string",
  "dropout-seed": "string",
  "eval-every": "string",
  "group-by-length": "boolean",
} as const;

/** The usage lines of {@linkcode RUN_FLAGS}. */
export const RUN_USAGE = `Training:
  --method NAME          dropout method (default hiddenKey; --preset is an older name for it):
                         ${PRESET_NAMES.join(", ")}
  --rate P               the method's drop rate in [0, 1) (default 0.1; not with baseline)
  --hidden-rate P        HiddenCut's rate in the HiddenKey family (default: --rate)
  --kl-weight A          consistency weight of hiddenKey, hiddenKey-both, +js (default 1)
  --steps N | --epochs E training length (default 150 steps)
  --batch-size B         default 16
  --lr LR                peak learning rate (default 1e-3; the paper used 4e-4 on RoBERTa-large)
  --weight-decay WD      default 0.1 (Table 6)
  --warmup-ratio R       default 0.06 (Table 6)
  --max-grad-norm G      default 1
  --lora-r R --lora-alpha A --targets q,v   LoRA (default 8, 16, q,v; modules ${
  MODULE_NAMES.join(",")
})
  --pooling mean|first|pooler               sentence vector of the head (default by model)
  --max-length T         tokens per example (default 128)
  --seed S               init, data and dropout seeds (override: --init-seed, --data-seed, --dropout-seed)
  --eval-every N         dev evaluation period in steps (default 25, or once per epoch with --epochs)
  --group-by-length      batch similar lengths together`;

/** Defaults of {@linkcode runSpecFromFlags} that differ between commands. */
export interface RunDefaults {
  /** The method when `--method` is absent. */
  readonly method: string;
  /** Steps when neither `--steps` nor `--epochs` is given. */
  readonly steps: number;
  /** Evaluation period. */
  readonly evalEvery: number;
  /** Examples per batch. */
  readonly batchSize: number;
  /** Peak learning rate. */
  readonly learningRate: number;
  /** Tokens per example. */
  readonly maxLength: number;
}

/** `deno task train`'s defaults. */
export const TRAIN_DEFAULTS: RunDefaults = {
  method: "hiddenKey",
  steps: 150,
  evalEvery: 25,
  batchSize: 16,
  learningRate: 1e-3,
  maxLength: 128,
};

/**
 * Whether `--hidden-rate` means something for a method: the HiddenKey family, whose HiddenCut
 * rate may differ from its DropKey rate.
 *
 * @param method A dropout preset name.
 * @returns True for hiddenKey*.
 * @example
 * ```ts
 * import { hasSeparateHiddenRate } from "./_run_flags.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals([hasSeparateHiddenRate("hiddenKey-minus"), hasSeparateHiddenRate("dropKey-column")], [true, false]);
 * ```
 */
export function hasSeparateHiddenRate(method: string): boolean {
  return method.startsWith("hiddenKey");
}

/**
 * Builds the run spec of one method from the flags (the method given separately, so `repro`
 * can build one per method of `--methods`).
 *
 * @param values The parsed flags.
 * @param method The dropout method of this run.
 * @param selection The task ({@linkcode taskFromFlags}).
 * @param model The model ({@linkcode modelFromFlag}).
 * @param defaults The command's defaults.
 * @returns The spec (seed from `--seed`).
 * @throws {UsageError} For a bad value or a flag that changes nothing for this method.
 * @example
 * ```ts
 * import { runSpecFromFlags, TRAIN_DEFAULTS } from "./_run_flags.ts";
 * import { UsageError } from "./_args.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const spec = runSpecFromFlags({ steps: "12", "lora-r": "1", "lora-alpha": "2" }, "baseline", { task: "sentiment-low" }, "use-lite", TRAIN_DEFAULTS);
 * assertEquals([spec.rate, spec.klWeight, spec.rank, spec.steps], [0, 0, 1, 12]);
 * assertThrows(() => runSpecFromFlags({ rate: "0.2" }, "baseline", { task: "sentiment-low" }, "use-lite", TRAIN_DEFAULTS), UsageError, "--rate");
 * ```
 */
export function runSpecFromFlags(
  values: Values<keyof typeof RUN_FLAGS>,
  method: string,
  selection: TaskSelection,
  model: string,
  defaults: RunDefaults,
): RunSpec {
  const v = (name: keyof typeof RUN_FLAGS) => text(values, name);
  choiceFlag("method", method, PRESET_NAMES);
  const baseline = method === "baseline";
  if (baseline && v("rate") !== undefined) {
    throw new UsageError(
      `--rate changes nothing for baseline (no dropout), received "${v("rate")}"`,
    );
  }
  if (!hasConsistency(method) && v("kl-weight") !== undefined) {
    throw new UsageError(
      `--kl-weight changes nothing for ${method} (no consistency term; hiddenKey, hiddenKey-both and +js have one), received "${
        v("kl-weight")
      }"`,
    );
  }
  if (!hasSeparateHiddenRate(method) && v("hidden-rate") !== undefined) {
    throw new UsageError(
      `--hidden-rate applies to the HiddenKey family only (its HiddenCut part), received it with ${method}`,
    );
  }
  const rate = baseline ? 0 : numberFlag("rate", v("rate"), { fallback: 0.1, min: 0, lessThan: 1 });
  const hiddenRate = numberFlag("hidden-rate", v("hidden-rate"), { min: 0, lessThan: 1 });
  const klWeight = hasConsistency(method)
    ? numberFlag("kl-weight", v("kl-weight"), { fallback: 1, greaterThan: 0 })
    : 0;
  if (v("steps") !== undefined && v("epochs") !== undefined) {
    throw new UsageError(`give --steps or --epochs, not both`);
  }
  const epochs = numberFlag("epochs", v("epochs"), { greaterThan: 0 });
  const steps = epochs !== undefined
    ? 0
    : numberFlag("steps", v("steps"), { fallback: defaults.steps, integer: true, min: 1 });
  const evalEvery = numberFlag("eval-every", v("eval-every"), {
    fallback: epochs !== undefined ? 0 : defaults.evalEvery,
    integer: true,
    min: epochs !== undefined ? 0 : 1,
  });
  const seed = numberFlag("seed", v("seed"), { fallback: 0, integer: true, min: 0 });
  const seeds = {
    init: numberFlag("init-seed", v("init-seed"), { fallback: seed, integer: true, min: 0 }),
    data: numberFlag("data-seed", v("data-seed"), { fallback: seed, integer: true, min: 0 }),
    dropout: numberFlag("dropout-seed", v("dropout-seed"), {
      fallback: seed,
      integer: true,
      min: 0,
    }),
  };
  const targets = v("targets") === undefined
    ? undefined
    : listFlag("targets", v("targets")!, MODULE_NAMES) as ModuleName[];
  const sortedTargets = targets && MODULE_NAMES.filter((m) => targets.includes(m));
  const defaultTargets = sortedTargets?.join(",") === "q,v";
  const pooling = v("pooling") === undefined
    ? undefined
    : choiceFlag("pooling", v("pooling")!, ["mean", "first", "pooler"]);
  const weightDecay = numberFlag("weight-decay", v("weight-decay"), { min: 0 });
  const warmupRatio = numberFlag("warmup-ratio", v("warmup-ratio"), { min: 0, lessThan: 1 });
  const maxGradNorm = numberFlag("max-grad-norm", v("max-grad-norm"), { greaterThan: 0 });
  const spec: RunSpec = {
    task: selection.task,
    model,
    method,
    rate,
    klWeight,
    rank: numberFlag("lora-r", v("lora-r"), { fallback: 8, integer: true, min: 1 }),
    alpha: numberFlag("lora-alpha", v("lora-alpha"), { fallback: 16, greaterThan: 0 }),
    seed,
    steps,
    ...(epochs === undefined ? {} : { epochs }),
    batchSize: numberFlag("batch-size", v("batch-size"), {
      fallback: defaults.batchSize,
      integer: true,
      min: 1,
    }),
    learningRate: numberFlag("lr", v("lr"), { fallback: defaults.learningRate, greaterThan: 0 }),
    evalEvery,
    maxLength: numberFlag("max-length", v("max-length"), {
      fallback: defaults.maxLength,
      integer: true,
      min: 2,
    }),
    ...(selection.data === undefined ? {} : { data: selection.data }),
    ...(hiddenRate === undefined || hiddenRate === rate ? {} : { hiddenRate }),
    ...(sortedTargets === undefined || defaultTargets ? {} : { targets: sortedTargets }),
    ...(pooling === undefined ? {} : { pooling }),
    ...(weightDecay === undefined || weightDecay === 0.1 ? {} : { weightDecay }),
    ...(warmupRatio === undefined || warmupRatio === 0.06 ? {} : { warmupRatio }),
    ...(maxGradNorm === undefined || maxGradNorm === 1 ? {} : { maxGradNorm }),
    ...(values["group-by-length"] === true ? { groupByLength: true } : {}),
    ...(seeds.init === seed && seeds.data === seed && seeds.dropout === seed ? {} : { seeds }),
  };
  return spec;
}

/**
 * The method of `--method` (or its older name `--preset`).
 *
 * @param values The parsed flags.
 * @param fallback The method when neither is given.
 * @returns The method's name (checked).
 * @example
 * ```ts
 * import { methodFromFlags } from "./_run_flags.ts";
 * import { UsageError } from "./_args.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 * assertEquals(methodFromFlags({ preset: "dropKey-column" }, "hiddenKey"), "dropKey-column");
 * assertThrows(() => methodFromFlags({ method: "dropout" }, "hiddenKey"), UsageError, '"dropout"');
 * ```
 */
export function methodFromFlags(
  values: Values<"method" | "preset">,
  fallback: string,
): string {
  const method = text(values, "method"), preset = text(values, "preset");
  if (method !== undefined && preset !== undefined) {
    throw new UsageError(`give --method or its older name --preset, not both`);
  }
  const name = method ?? preset ?? fallback;
  return choiceFlag(
    method === undefined && preset !== undefined ? "preset" : "method",
    name,
    PRESET_NAMES,
  );
}

/**
 * Whether a path is an existing folder (false when it cannot be read).
 *
 * @param path The path.
 * @returns True for a folder.
 * @example
 * ```ts
 * import { isDirectory } from "./_run_flags.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals([isDirectory(Deno.cwd()), isDirectory("./no/such/folder")], [true, false]);
 * ```
 */
export function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
