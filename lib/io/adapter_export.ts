/**
 * A trained run's adapter, ready to share and to predict with: the PEFT files (`saveAdapter`) plus
 * `loradrop_adapter.json`, which records what PEFT's config cannot — the task (kind, label names,
 * metrics), the head layout, the input length, the dropout method with its rates and plan, the
 * seeds and the dev evaluation the adapter reached.
 *
 * @module
 */
import type { ModuleName } from "../models/drop_context.ts";
import type { HeadLayout, TaskModel } from "../models/task_model.ts";
import type { EvalRecord, RunRecord, TrainSeeds } from "../train/run_record.ts";
import { writeFileAtomic } from "../train/atomic_file.ts";
import { saveAdapter } from "./adapter_save.ts";
import { architectureRow, encoderModelTypes, type HfEncoderType } from "./architectures/table.ts";
import { orList } from "../_or_list.ts";

/** The file, next to `adapter_config.json`, that {@linkcode saveTrainedAdapter} writes. */
export const ADAPTER_METADATA_FILE = "loradrop_adapter.json";

/** The base models a trained adapter can name: USE-lite or an encoder of the architecture table. */
export type TrainedBaseType = "use-lite" | HfEncoderType;

/** The names of {@linkcode TrainedBaseType}: `use-lite` and the table's encoders. */
function trainedBaseTypes(): string[] {
  return ["use-lite", ...encoderModelTypes()];
}

/** What a trained adapter's folder records besides PEFT's files. */
export interface TrainedAdapterMetadata {
  /** Always `"loradrop-adapter"`. */
  readonly format: "loradrop-adapter";
  /** The layout version (1). */
  readonly version: 1;
  /** The base model: `use-lite@<version>`, a local Hugging Face folder or a hub id. */
  readonly base: { readonly name: string; readonly modelType: TrainedBaseType };
  /** The task: its name, kind, class names (by index), metrics (the first is the main one). */
  readonly task: {
    readonly name: string;
    readonly kind: "classification" | "regression";
    readonly labels: readonly string[];
    readonly metrics: readonly string[];
  };
  /** The head's layout. */
  readonly head: HeadLayout;
  /** LoRA's settings. */
  readonly lora: {
    readonly r: number;
    readonly alpha: number;
    readonly rsLora: boolean;
    readonly targets: readonly ModuleName[];
  };
  /** How text became ids (the longest sequence) and the dev evaluation's batch size. */
  readonly input: { readonly maxLength: number; readonly evalBatchSize?: number };
  /** The dropout method: its preset name (`custom` without one), rates and the full plan. */
  readonly dropout: {
    readonly method: string;
    readonly rates: Readonly<Record<string, number>>;
    readonly plan: unknown;
  };
  /** The run's seeds. */
  readonly seeds: TrainSeeds;
  /** The run's description (`RunRecord.config.describe`, e.g. a run spec), for reproduction. */
  readonly describe: unknown;
  /** The run's id (see `RunRecord.runId`). */
  readonly runId: string;
  /** The last dev evaluation (the state the adapter holds), if one ran. */
  readonly dev?: EvalRecord;
}

/** What {@linkcode saveTrainedAdapter} needs besides the model. */
export interface SaveTrainedAdapterOptions {
  /** The base model's name and type. */
  readonly base: { readonly name: string; readonly modelType: TrainedBaseType };
  /** The task's name, kind, label names and metrics (e.g. from the task's card). */
  readonly task: TrainedAdapterMetadata["task"];
  /** LoRA's settings the model was made with. */
  readonly lora: {
    readonly r: number;
    readonly alpha: number;
    readonly rsLora?: boolean;
    readonly targets: readonly ModuleName[];
  };
  /** The input settings the run used. */
  readonly input: TrainedAdapterMetadata["input"];
  /** The finished run's record (plan, preset and rates from `config.describe`, seeds, evaluations). */
  readonly record: RunRecord;
}

function fail(dir: string, what: string): never {
  throw new TypeError(`Cannot save trained adapter ${dir}: ${what}`);
}

/** Whether PEFT's sequence-classification class for `modelType` computes the same head. */
function checkHeadLayout(dir: string, modelType: TrainedBaseType, head: HeadLayout): void {
  const row = architectureRow(modelType);
  if (row?.kind !== "encoder") return; // USE-lite: any head
  const expected = row.head;
  const wantsDense = expected.dense !== undefined;
  if (head.pooling !== expected.pooling || head.dense !== wantsDense) {
    const denseWords = wantsDense
      ? `${head.dense ? " with" : " without"} a dense layer`
      : head.dense
      ? " with a dense layer"
      : "";
    fail(
      dir,
      `${row.title}'s classification head is ${expected.describe}, received pooling "${head.pooling}"${denseWords}`,
    );
  }
}

/**
 * Writes a trained task model as a PEFT adapter (`adapter_config.json`,
 * `adapter_model.safetensors`, the head under `modules_to_save`) plus
 * {@linkcode ADAPTER_METADATA_FILE} with the task, the dropout method, rates and seeds; every file
 * is written atomically. For BERT, RoBERTa (any layout of the architecture table) the head must
 * have Hugging Face's layout (the layout's `head` descriptor), so that
 * `PeftModel.from_pretrained(AutoModelForSequenceClassification…)` computes the same logits.
 *
 * @param dir The folder (created if missing).
 * @param model The trained task model.
 * @param options The base, task, LoRA and input settings and the run's record.
 * @returns Resolves when the files are written.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { createTaskModel } from "@loradrop/core/models";
 * import { tinyEncoder } from "../models/_tiny_encoder.ts";
 * import { randomKey } from "@loradrop/core";
 * import { readAdapterMetadata, saveTrainedAdapter } from "@loradrop/core/io";
 * import type { RunRecord } from "@loradrop/core/train";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const base = tinyEncoder();
 * const model = createTaskModel(base, { lora: { r: 2, alpha: 4 }, head: { kind: "classification", numClasses: 2, pooling: "mean" } }, randomKey(0));
 * const record = {
 *   runId: "abc", seeds: { init: 0, data: 1, dropout: 2 }, evaluations: [],
 *   config: { plan: { drops: [] }, describe: { preset: "baseline", rate: 0.1 } },
 * } as unknown as RunRecord;
 * const dir = await Deno.makeTempDir();
 * await saveTrainedAdapter(dir, model, {
 *   base: { name: "use-lite@0.2.0", modelType: "use-lite" },
 *   task: { name: "toy", kind: "classification", labels: ["no", "yes"], metrics: ["accuracy"] },
 *   lora: { r: 2, alpha: 4, targets: ["q", "v"] }, input: { maxLength: 16 }, record,
 * });
 * const meta = await readAdapterMetadata(dir);
 * assertEquals(meta.dropout.method, "baseline");
 * assertEquals(meta.seeds.dropout, 2);
 * model.dispose();
 * tf.dispose(base.weights as unknown as tf.TensorContainer);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveTrainedAdapter(
  dir: string,
  model: TaskModel,
  options: SaveTrainedAdapterOptions,
): Promise<void> {
  const { base, task, lora, input, record } = options;
  const head = model.headLayout;
  if (head === undefined) fail(dir, "the model has no pooled head (headLayout)");
  if (!trainedBaseTypes().includes(base.modelType)) {
    fail(
      dir,
      `base.modelType must be ${orList(trainedBaseTypes())}, received "${base.modelType}"`,
    );
  }
  checkHeadLayout(dir, base.modelType, head);
  if (task.kind !== model.kind) {
    fail(dir, `task.kind is "${task.kind}" but the model is a ${model.kind} model`);
  }
  const outputs = model.trainable["head.kernel"]?.shape[1];
  const expected = task.kind === "regression" ? 1 : task.labels.length;
  if (outputs !== expected) {
    fail(
      dir,
      `the head has ${outputs} outputs, the task ${expected} (${
        task.kind === "regression" ? "regression" : `labels [${task.labels.join(", ")}]`
      })`,
    );
  }
  await saveAdapter(dir, model, {
    modelType: base.modelType,
    baseModelName: base.name,
    targetModules: lora.targets,
    r: lora.r,
    alpha: lora.alpha,
    rsLora: lora.rsLora ?? false,
  });
  const describe = (record.config.describe ?? {}) as Record<string, unknown>;
  const rates: Record<string, number> = {};
  for (const key of ["rate", "hiddenRate", "klWeight"]) {
    if (typeof describe[key] === "number") rates[key] = describe[key] as number;
  }
  const last = record.evaluations.at(-1);
  const metadata: TrainedAdapterMetadata = {
    format: "loradrop-adapter",
    version: 1,
    base: { name: base.name, modelType: base.modelType },
    task: { ...task, labels: [...task.labels], metrics: [...task.metrics] },
    head: { pooling: head.pooling, dense: head.dense },
    lora: {
      r: lora.r,
      alpha: lora.alpha,
      rsLora: lora.rsLora ?? false,
      targets: [...lora.targets],
    },
    input: { ...input },
    dropout: {
      method: typeof describe.method === "string"
        ? describe.method
        : typeof describe.preset === "string"
        ? describe.preset
        : "custom",
      rates,
      plan: record.config.plan,
    },
    seeds: { ...record.seeds },
    describe,
    runId: record.runId,
    ...(last === undefined ? {} : { dev: last }),
  };
  await writeFileAtomic(
    `${dir}/${ADAPTER_METADATA_FILE}`,
    JSON.stringify(metadata, null, 2) + "\n",
  );
}

/**
 * Reads and checks {@linkcode ADAPTER_METADATA_FILE} of a trained adapter's folder.
 *
 * @param dir The adapter's folder.
 * @returns The metadata.
 * @example
 * ```ts
 * import { readAdapterMetadata } from "@loradrop/core/io";
 * import { assertRejects } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * await assertRejects(() => readAdapterMetadata(dir), Error, "loradrop_adapter.json");
 * await Deno.remove(dir);
 * ```
 */
export async function readAdapterMetadata(dir: string): Promise<TrainedAdapterMetadata> {
  const path = `${dir}/${ADAPTER_METADATA_FILE}`;
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    throw new Error(
      `Cannot read adapter metadata ${path}: ${
        (error as Error).message
      } (it is written by saveTrainedAdapter, e.g. deno task train --save-adapter)`,
    );
  }
  const bad = (what: string): never => {
    throw new TypeError(`Cannot read adapter metadata ${path}: ${what}`);
  };
  if (meta?.format !== "loradrop-adapter" || meta.version !== 1) {
    bad(
      `format must be "loradrop-adapter" version 1, received ${
        JSON.stringify(meta?.format)
      } version ${JSON.stringify(meta?.version)}`,
    );
  }
  const m = meta as unknown as TrainedAdapterMetadata;
  if (
    typeof m.base?.name !== "string" || !trainedBaseTypes().includes(m.base.modelType)
  ) {
    bad(`base must name a ${orList(trainedBaseTypes())} model, received ${JSON.stringify(m.base)}`);
  }
  if (!["classification", "regression"].includes(m.task?.kind) || !Array.isArray(m.task.labels)) {
    bad(`task must have a kind and labels, received ${JSON.stringify(m.task)}`);
  }
  if (!["mean", "first", "pooler"].includes(m.head?.pooling) || typeof m.head.dense !== "boolean") {
    bad(`head must have a pooling and a dense flag, received ${JSON.stringify(m.head)}`);
  }
  if (!Number.isInteger(m.input?.maxLength) || m.input.maxLength < 2) {
    bad(`input.maxLength must be an integer >= 2, received ${JSON.stringify(m.input?.maxLength)}`);
  }
  return m;
}
