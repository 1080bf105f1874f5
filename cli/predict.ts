/**
 * `deno task predict`: runs a trained adapter (`deno task train --save-adapter DIR`) on a CSV,
 * TSV or JSONL file and writes one prediction per example as JSONL: the input's id (its 0-based
 * row), the label (a class name, or the value for regression) and the class probabilities.
 *
 * ```sh
 * deno task predict --adapter out/adapter --input reviews_dev.csv --out predictions.jsonl
 * ```
 *
 * The base model is the one the adapter's `loradrop_adapter.json` names (`use-lite`, a local
 * Hugging Face folder or a hub id), the label names and metrics are the task's from the same file,
 * and the input is tokenised with the run's maximum length, so on the run's dev file the metrics
 * printed are the run's final dev metrics.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { BACKEND_NAMES, initBackend } from "../lib/backend.ts";
import { loadCustomData } from "../lib/data/custom.ts";
import { assignAdapter, loadAdapter, readAdapterMetadata } from "../lib/io/adapters.ts";
import type { TrainedAdapterMetadata } from "../lib/io/adapters.ts";
import { computeMetrics, type NluMetricName } from "../lib/metrics/metric.ts";
import { createTaskModel } from "../lib/models/task_model.ts";
import { randomKey } from "../lib/random.ts";
import {
  disposeRunResources,
  loadRunResources,
  type RunResources,
} from "../lib/repro/run/execute.ts";
import { writeFileAtomic } from "../lib/train/atomic_file.ts";
import { disposeLabeledBatch, inOrderBatches } from "../lib/train/batches.ts";
import { textBatchSource } from "../lib/train/text_source.ts";
import { choiceFlag, defineCommand, numberFlag, runCommand, UsageError } from "./_args.ts";
import { emitJson, say } from "./_output.ts";

/** The command line of `deno task predict`. */
export const PREDICT_COMMAND = defineCommand({
  command: "deno task predict",
  usage: `Usage: deno task predict --adapter DIR --input FILE --out FILE [options]

  --adapter DIR          a trained adapter (deno task train --save-adapter DIR)
  --input FILE           examples as CSV (header row), TSV or JSONL; the label column is optional
  --out FILE             the predictions, one JSON line per example:
                         {"id": row, "label": name or value, "probabilities": {name: p, ...}}
  --text-field NAME      the text column (default text)
  --text-pair-field NAME the second text of sentence pairs
  --label-field NAME     the label column (default label); with labels, the metrics are printed
  --format csv|jsonl     default: from the file's extension
  --batch-size B         examples per forward pass (default: the run's evaluation batch)
  --cache DIR            the hub cache for a Hugging Face base model
  --backend NAME         ${BACKEND_NAMES.join(", ")} (default wasm, or LORADROP_BACKEND)

Prints a JSON summary (count, metrics when the input has labels) on stdout.`,
  flags: {
    adapter: "string",
    input: "string",
    out: "string",
    "text-field": "string",
    "text-pair-field": "string",
    "label-field": "string",
    format: "string",
    "batch-size": "string",
    cache: "string",
    backend: "string",
  },
});

function required(name: string, value: string | undefined): string {
  if (value === undefined || value === "") {
    throw new UsageError(`--${name} is required`);
  }
  return value;
}

/** Whether the input's first row has the label column (the file is read again in full later). */
async function hasLabels(path: string, field: string, format: "csv" | "jsonl"): Promise<boolean> {
  const text = await Deno.readTextFile(path);
  const first = text.replace(/^\ufeff/, "").split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
  if (format === "jsonl") {
    try {
      return Object.hasOwn(JSON.parse(first), field);
    } catch {
      return true; // let the reader name the bad line
    }
  }
  const delimiter = /\.tsv$/i.test(path) ? "\t" : ",";
  return first.split(delimiter).map((c) => c.trim().replace(/^"|"$/g, "")).includes(field);
}

/** The input as examples; without a label column every example gets label 0 (not scored). */
async function readInput(
  path: string,
  meta: TrainedAdapterMetadata,
  fields: { text?: string; pair?: string; label: string; format: "csv" | "jsonl" },
) {
  const labeled = await hasLabels(path, fields.label, fields.format);
  let source = path;
  let tmp: string | undefined;
  if (!labeled) {
    // Add the missing column as an empty-free constant so that the data reader's checks apply.
    tmp = await Deno.makeTempFile({ suffix: fields.format === "csv" ? ".csv" : ".jsonl" });
    const text = (await Deno.readTextFile(path)).replace(/^\ufeff/, "");
    if (fields.format === "jsonl") {
      const lines = text.split(/\r?\n/).map((l) =>
        l.trim() === "" ? l : JSON.stringify({ ...JSON.parse(l), [fields.label]: 0 })
      );
      await Deno.writeTextFile(tmp, lines.join("\n"));
    } else {
      throw new UsageError(
        `--input ${path} has no "${fields.label}" column; give --label-field, or JSONL input for unlabeled examples`,
      );
    }
    source = tmp;
  }
  try {
    const examples = await loadCustomData(source, {
      format: fields.format,
      kind: meta.task.kind,
      labelField: fields.label,
      ...(fields.text === undefined ? {} : { textField: fields.text }),
      ...(fields.pair === undefined ? {} : { textPairField: fields.pair }),
      ...(meta.task.kind === "classification" && labeled ? { labels: meta.task.labels } : {}),
    });
    return { examples, labeled };
  } finally {
    if (tmp !== undefined) await Deno.remove(tmp);
  }
}

/**
 * Runs `deno task predict`.
 *
 * @param argv The arguments.
 * @returns The exit code: 0, 1 (prediction failed) or 2 (bad arguments).
 */
export function main(argv: readonly string[]): Promise<number> {
  return runCommand(PREDICT_COMMAND, argv, async ({ values }) => {
    const adapterDir = required("adapter", values.adapter);
    const input = required("input", values.input);
    const out = required("out", values.out);
    const format = values.format === undefined
      ? (/\.jsonl?$/i.test(input) ? "jsonl" : "csv")
      : choiceFlag("format", values.format, ["csv", "jsonl"] as const);
    const batchSizeFlag = numberFlag("batch-size", values["batch-size"], {
      integer: true,
      min: 1,
    });
    const backendName = values.backend === undefined
      ? undefined
      : choiceFlag("backend", values.backend, BACKEND_NAMES);
    const meta = await readAdapterMetadata(adapterDir);
    const { examples, labeled } = await readInput(input, meta, {
      ...(values["text-field"] === undefined ? {} : { text: values["text-field"] }),
      ...(values["text-pair-field"] === undefined ? {} : { pair: values["text-pair-field"] }),
      label: values["label-field"] ?? "label",
      format,
    });
    if (examples.length === 0) throw new RangeError(`Cannot predict: ${input} has no examples`);
    const backend = await initBackend(backendName === undefined ? {} : { backend: backendName });
    say(
      `loradrop predict: ${examples.length} examples of ${input} with ${adapterDir} on ${meta.base.name}, backend ${backend.active}`,
    );
    const resources: RunResources = await loadRunResources(
      meta.base.name,
      values.cache === undefined ? {} : { cacheDir: values.cache },
    );
    try {
      const rows = await predict(resources, adapterDir, meta, examples, batchSizeFlag);
      const { kind, labels } = meta.task;
      const lines = rows.map((r, id) =>
        JSON.stringify(
          kind === "regression" ? { id, label: r.value } : {
            id,
            label: labels[r.index] ?? String(r.index),
            probabilities: Object.fromEntries(
              r.probabilities.map((p, c) => [labels[c] ?? String(c), p]),
            ),
          },
        )
      );
      await writeFileAtomic(out, lines.join("\n") + "\n");
      const predictions = rows.map((r) => kind === "regression" ? r.value : r.index);
      const metrics = labeled
        ? computeMetrics(
          meta.task.metrics as NluMetricName[],
          predictions,
          examples.map((e) => e.label),
        )
        : undefined;
      emitJson({
        predictions: lines.length,
        out,
        ...(metrics === undefined ? {} : { metrics }),
        ...(meta.dev === undefined ? {} : { trainingDevMetrics: meta.dev.metrics }),
      });
    } finally {
      disposeRunResources(resources);
    }
  });
}

interface Prediction {
  readonly index: number;
  readonly value: number;
  readonly probabilities: number[];
}

/** The adapted model's predictions for the examples, in order. */
async function predict(
  resources: RunResources,
  adapterDir: string,
  meta: TrainedAdapterMetadata,
  examples: Parameters<typeof textBatchSource>[0],
  batchSize: number | undefined,
): Promise<Prediction[]> {
  const { kind, labels } = meta.task;
  const base = resources.base;
  const adapter = await loadAdapter(adapterDir, {
    modelType: meta.base.modelType,
    config: base.config,
  }, { r: meta.lora.r, alpha: meta.lora.alpha, targetModules: meta.lora.targets });
  const model = createTaskModel(base, {
    lora: {
      r: meta.lora.r,
      alpha: meta.lora.alpha,
      rsLora: meta.lora.rsLora,
      targets: meta.lora.targets,
    },
    head: {
      kind,
      pooling: meta.head.pooling,
      dense: meta.head.dense,
      ...(kind === "classification" ? { numClasses: labels.length } : {}),
    },
  }, randomKey(0));
  try {
    assignAdapter(model, adapter);
  } finally {
    tf.dispose(
      [adapter.adapters, adapter.head, adapter.headDense] as unknown as tf.TensorContainer,
    );
  }
  try {
    const source = textBatchSource(examples, resources.tokenizer, {
      kind,
      maxLength: meta.input.maxLength,
    });
    const size = batchSize ?? meta.input.evalBatchSize ?? 32;
    const out: Prediction[] = [];
    for (const indices of inOrderBatches(source.size, size)) {
      const batch = source.batch(indices);
      try {
        const [scores, argmax] = tf.tidy(() => {
          const { logits } = model.forward(batch.inputs, { drops: [] }, { training: false });
          return kind === "classification"
            ? [tf.softmax(logits), tf.argMax(logits, -1)] // (B, C), (B)
            : [logits, logits]; // (B), (B)
        });
        const s = scores.arraySync() as number[][] | number[];
        const a = argmax.dataSync();
        indices.forEach((_, i) => {
          out.push(
            kind === "classification"
              ? { index: a[i]!, value: a[i]!, probabilities: s[i] as number[] }
              : { index: 0, value: s[i] as number, probabilities: [] },
          );
        });
        tf.dispose([scores, argmax]);
      } finally {
        disposeLabeledBatch(batch);
      }
    }
    return out;
  } finally {
    model.dispose();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
