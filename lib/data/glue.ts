/**
 * Loaders for the paper's GLUE tasks (SST-2, RTE, MRPC, STS-B, CoLA, QNLI) from GLUE's own TSV
 * folders or from the Hugging Face `glue` dataset's parquet files.
 *
 * @module
 */
import { join } from "node:path";
import type { Example, Task, TaskInfo } from "./example.ts";
import { parseGlueTsv, type TsvLayout } from "./_glue_tsv.ts";
import { readGlueParquet } from "./_glue_parquet.ts";

/** The GLUE tasks the paper reports, by their Hugging Face config names. */
export type GlueTaskName = "sst2" | "rte" | "mrpc" | "stsb" | "cola" | "qnli";

/** Every supported GLUE task name. */
export const GLUE_TASK_NAMES: readonly GlueTaskName[] = [
  "sst2",
  "rte",
  "mrpc",
  "stsb",
  "cola",
  "qnli",
];

interface GlueSpec {
  readonly info: Omit<TaskInfo, "source">;
  readonly tsv: TsvLayout;
  /** TSV label cells: names (RTE/QNLI) or numbers. */
  readonly tsvLabels?: readonly string[];
  readonly parquet: { readonly text: string; readonly textPair?: string; readonly label: string };
}

const LICENCE =
  "GLUE per-task terms (see gluebenchmark.com); loradrop does not redistribute GLUE data";

function classification(
  name: GlueTaskName,
  glue: string,
  labels: readonly string[],
  metrics: TaskInfo["metrics"],
  description: string,
): GlueSpec["info"] {
  return {
    name,
    description,
    kind: "classification",
    labels,
    numLabels: labels.length,
    metrics,
    licence: LICENCE,
    glue,
  };
}

const SPECS: Record<GlueTaskName, GlueSpec> = {
  sst2: {
    info: classification(
      "sst2",
      "SST-2",
      ["negative", "positive"],
      ["accuracy"],
      "Movie-review phrase sentiment.",
    ),
    tsv: { text: "sentence", label: "label" },
    parquet: { text: "sentence", label: "label" },
  },
  cola: {
    info: classification(
      "cola",
      "CoLA",
      ["unacceptable", "acceptable"],
      ["mcc"],
      "Grammatical acceptability of a sentence.",
    ),
    // No header: source code, label, original annotation ("*" or empty), sentence.
    tsv: { noHeader: { columns: 4, text: 3, label: 1 } },
    parquet: { text: "sentence", label: "label" },
  },
  mrpc: {
    info: classification(
      "mrpc",
      "MRPC",
      ["not_equivalent", "equivalent"],
      ["accuracy", "f1"],
      "Whether two news sentences are paraphrases.",
    ),
    tsv: { text: "#1 String", textPair: "#2 String", label: "Quality" },
    parquet: { text: "sentence1", textPair: "sentence2", label: "label" },
  },
  rte: {
    info: classification(
      "rte",
      "RTE",
      ["entailment", "not_entailment"],
      ["accuracy"],
      "Whether the first sentence entails the second.",
    ),
    tsv: { text: "sentence1", textPair: "sentence2", label: "label" },
    tsvLabels: ["entailment", "not_entailment"],
    parquet: { text: "sentence1", textPair: "sentence2", label: "label" },
  },
  qnli: {
    info: classification(
      "qnli",
      "QNLI",
      ["entailment", "not_entailment"],
      ["accuracy"],
      "Whether the sentence answers the question.",
    ),
    tsv: { text: "question", textPair: "sentence", label: "label" },
    tsvLabels: ["entailment", "not_entailment"],
    parquet: { text: "question", textPair: "sentence", label: "label" },
  },
  stsb: {
    info: {
      name: "stsb",
      description:
        "Semantic similarity of two sentences, a score in [0, 5] (labels kept unscaled).",
      kind: "regression",
      labels: [],
      numLabels: 1,
      metrics: ["pearson", "spearman"],
      licence: LICENCE,
      glue: "STS-B",
    },
    tsv: { text: "sentence1", textPair: "sentence2", label: "score" },
    parquet: { text: "sentence1", textPair: "sentence2", label: "label" },
  },
};

/** Where a GLUE task's files are and in which format. */
export interface GlueLoadOptions {
  /** `"tsv"` (GLUE's `train.tsv`/`dev.tsv`) or `"parquet"` (Hugging Face); detected when absent. */
  readonly format?: "tsv" | "parquet";
}

function labelParser(spec: GlueSpec, fromTsv: boolean): (v: string | number) => number | string {
  const { kind, numLabels } = spec.info;
  return (v) => {
    if (fromTsv && spec.tsvLabels !== undefined) {
      const i = spec.tsvLabels.indexOf(String(v));
      return i >= 0
        ? i
        : `label must be one of ${spec.tsvLabels.join(", ")}, received "${String(v)}"`;
    }
    const x = typeof v === "number" ? v : v === "" ? NaN : Number(v);
    if (kind === "regression") {
      return Number.isFinite(x) && x >= 0 && x <= 5
        ? x
        : `score must be a number in [0, 5], received "${String(v)}"`;
    }
    return Number.isInteger(x) && x >= 0 && x < numLabels
      ? x
      : `label must be an integer in [0, ${numLabels - 1}], received "${String(v)}"${
        x === -1 ? " (a hidden test label)" : ""
      }`;
  };
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) names.push(e.name);
  } catch (e) {
    throw new Error(`Cannot load GLUE data: cannot read directory ${dir}: ${(e as Error).message}`);
  }
  return names.sort();
}

/** The parquet files of one split: `<split>-*.parquet` or `<split>/*.parquet`. */
async function parquetFiles(dir: string, names: string[], split: string): Promise<string[]> {
  const flat = names.filter((n) => n.startsWith(`${split}-`) && n.endsWith(".parquet"));
  if (flat.length > 0) return flat.map((n) => join(dir, n));
  if (names.includes(split)) {
    const nested = (await listDir(join(dir, split))).filter((n) => n.endsWith(".parquet"));
    return nested.map((n) => join(dir, split, n));
  }
  return [];
}

/**
 * Loads a GLUE task's labelled splits: train, and dev (GLUE's `dev.tsv`, Hugging Face's
 * `validation`), on which the paper reports. Unlabelled test files are not read.
 *
 * `dir` is the task's own folder, either GLUE's TSV distribution (`glue_data/SST-2/` with
 * `train.tsv` and `dev.tsv`; CoLA's files have no header; RTE and QNLI labels are
 * `entailment`/`not_entailment`) or the Hugging Face `glue` dataset's parquet folder
 * (`glue/sst2/` with `train-00000-of-00001.parquet`, `validation-….parquet`, or `train/*.parquet`).
 * Labels follow the Hugging Face convention: for RTE and QNLI 0 is entailment.
 *
 * @param name The task (`"sst2"`, `"rte"`, `"mrpc"`, `"stsb"`, `"cola"`, `"qnli"`).
 * @param dir The task's folder.
 * @param options The format, when it should not be detected from the files present.
 * @returns The task with its card; STS-B labels are the raw scores in [0, 5].
 * @throws {Error} For a missing file, a wrong header, or a bad row (with its line or row number).
 * @throws {RangeError} For a split without examples (naming its files).
 * @example
 * ```ts
 * import { loadGlueTask } from "@loradrop/core/data";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/train.tsv`, "sentence\tlabel\ngreat fun \t1\ndull \t0\n");
 * await Deno.writeTextFile(`${dir}/dev.tsv`, "sentence\tlabel\nnot bad at all \t1\n");
 * const task = await loadGlueTask("sst2", dir);
 * assertEquals(task.train[1], { text: "dull ", label: 0 });
 * assertEquals(task.card.sizes, { train: 2, dev: 1 });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadGlueTask(
  name: GlueTaskName,
  dir: string,
  options: GlueLoadOptions = {},
): Promise<Task> {
  const spec = SPECS[name];
  if (spec === undefined) {
    throw new RangeError(
      `Cannot load GLUE data: unknown task "${name}", expected one of ${
        GLUE_TASK_NAMES.join(", ")
      }`,
    );
  }
  const names = await listDir(dir);
  const format = options.format ??
    (names.includes("train.tsv")
      ? "tsv"
      : (await parquetFiles(dir, names, "train")).length > 0
      ? "parquet"
      : undefined);
  if (format === undefined) {
    throw new Error(
      `Cannot load GLUE ${name}: ${dir} has neither train.tsv (GLUE) nor train-*.parquet (Hugging Face)`,
    );
  }
  const splits: Example[][] = [];
  const paths: string[] = [];
  for (const [split, tsvName] of [["train", "train.tsv"], ["validation", "dev.tsv"]] as const) {
    if (format === "tsv") {
      const path = join(dir, tsvName);
      let content: string;
      try {
        content = await Deno.readTextFile(path);
      } catch (e) {
        throw new Error(`Cannot load GLUE ${name}: cannot read ${path}: ${(e as Error).message}`);
      }
      const examples = parseGlueTsv(content, spec.tsv, labelParser(spec, true), `${name} ${path}`);
      if (examples.length === 0) {
        throw new RangeError(
          `Cannot load GLUE ${name}: the ${split} split needs at least one example, received 0 (${path})`,
        );
      }
      splits.push(examples);
      paths.push(path);
    } else {
      const files = await parquetFiles(dir, names, split);
      if (files.length === 0) {
        throw new Error(`Cannot load GLUE ${name}: ${dir} has no ${split}-*.parquet file`);
      }
      const examples: Example[] = [];
      for (const file of files) {
        const rows = await readGlueParquet(
          file,
          spec.parquet,
          labelParser(spec, false),
          `${name} ${file}`,
        );
        // one push per row: push(...rows) overflows the call stack for 100k+ rows (QNLI)
        for (const row of rows) examples.push(row);
      }
      if (examples.length === 0) {
        throw new RangeError(
          `Cannot load GLUE ${name}: the ${split} split needs at least one example, received 0 (${
            files.join(", ")
          })`,
        );
      }
      splits.push(examples);
      for (const file of files) paths.push(file);
    }
  }
  const [train, dev] = splits as [Example[], Example[]];
  const source = {
    origin: format === "tsv" ? "GLUE TSV" : "Hugging Face glue parquet",
    paths,
  };
  return {
    card: { ...spec.info, source, sizes: { train: train.length, dev: dev.length } },
    train,
    dev,
  };
}
