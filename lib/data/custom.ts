/**
 * Custom data sets from CSV or JSONL files, with options naming the text, text-pair and label
 * fields. A bad row is an Error naming its line and the reason.
 *
 * @module
 */
import { parse as parseCsv } from "csv-parse/sync";
import type { Example, Task, TaskKind } from "./example.ts";
import type { NluMetricName } from "../metrics/metric.ts";

/** How to read a custom data file. */
export interface CustomDataOptions {
  /** `"csv"` (with a header row) or `"jsonl"` (one JSON object per line); from the extension when absent. */
  readonly format?: "csv" | "jsonl";
  /** The field holding the text; `"text"` by default. */
  readonly textField?: string;
  /** The field holding the second text of a sentence-pair task. */
  readonly textPairField?: string;
  /** The field holding the label; `"label"` by default. */
  readonly labelField?: string;
  /** `"classification"` (default) or `"regression"`. */
  readonly kind?: TaskKind;
  /**
   * Class names by index. A classification label may then be a name or an index; without
   * them it must be a non-negative integer (or a string of one).
   */
  readonly labels?: readonly string[];
  /** The CSV field delimiter, `","` by default (`"\t"` for TSV). */
  readonly delimiter?: string;
}

interface Row {
  readonly line: number;
  readonly record: Record<string, unknown>;
}

function csvRows(content: string, delimiter: string): Row[] {
  let parsed: { record: Record<string, unknown>; info: { lines: number } }[];
  try {
    parsed = parseCsv(content, {
      columns: true,
      bom: true,
      info: true,
      delimiter,
      skip_empty_lines: true,
    }) as typeof parsed;
  } catch (e) {
    const line = (e as { lines?: number }).lines;
    throw new Error(
      `Cannot read custom data${line === undefined ? "" : `: line ${line}`}: ${
        (e as Error).message
      }`,
    );
  }
  return parsed.map(({ record, info }) => ({ line: info.lines, record }));
}

function jsonlRows(content: string): Row[] {
  const rows: Row[] = [];
  const lines = content.replace(/^\ufeff/, "").split(/\r?\n/);
  lines.forEach((text, i) => {
    if (text.trim() === "") return;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (e) {
      throw new Error(
        `Cannot read custom data: line ${i + 1}: invalid JSON: ${(e as Error).message}`,
      );
    }
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      throw new Error(
        `Cannot read custom data: line ${i + 1}: expected a JSON object, received ${
          text.slice(0, 60)
        }`,
      );
    }
    rows.push({ line: i + 1, record: record as Record<string, unknown> });
  });
  return rows;
}

function parseLabel(value: unknown, options: CustomDataOptions): number | string {
  const kind = options.kind ?? "classification";
  const names = options.labels;
  if (value === undefined || value === null || value === "") return "the label is missing";
  if (kind === "regression") {
    const x = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
    return Number.isFinite(x)
      ? x
      : `label must be a finite number, received ${JSON.stringify(value)}`;
  }
  if (names !== undefined && typeof value === "string") {
    const i = names.indexOf(value);
    if (i >= 0) return i;
  }
  const x = typeof value === "number"
    ? value
    : typeof value === "string" && /^\d+$/.test(value.trim())
    ? Number(value)
    : NaN;
  if (Number.isInteger(x) && x >= 0 && (names === undefined || x < names.length)) return x;
  return names === undefined
    ? `label must be a non-negative integer class index, received ${JSON.stringify(value)}`
    : `label must be one of ${names.join(", ")} or an index below ${names.length}, received ${
      JSON.stringify(value)
    }`;
}

/**
 * Parses custom data from a string.
 *
 * @param content The file's content.
 * @param options The format (required here) and field names.
 * @returns The examples, in file order.
 * @throws {Error} For a row that is malformed, lacks a field, has an empty text or a bad
 * label: the message names the line (for CSV, the line on which the record ends) and the reason.
 * @example
 * ```ts
 * import { parseCustomData } from "./custom.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const csv = 'review,stars\n"Great, really",pos\nMeh,neg\n';
 * const options = { format: "csv", textField: "review", labelField: "stars", labels: ["neg", "pos"] } as const;
 * assertEquals(parseCustomData(csv, options), [
 *   { text: "Great, really", label: 1 },
 *   { text: "Meh", label: 0 },
 * ]);
 * assertThrows(() => parseCustomData(csv + "Fine,ok\n", options), Error, "line 4");
 * ```
 */
export function parseCustomData(
  content: string,
  options: CustomDataOptions & { readonly format: "csv" | "jsonl" },
): Example[] {
  const textField = options.textField ?? "text";
  const labelField = options.labelField ?? "label";
  const pairField = options.textPairField;
  const rows = options.format === "csv"
    ? csvRows(content, options.delimiter ?? ",")
    : options.format === "jsonl"
    ? jsonlRows(content)
    : undefined;
  if (rows === undefined) {
    throw new RangeError(
      `Cannot read custom data: format must be "csv" or "jsonl", received ${
        String(options.format)
      }`,
    );
  }
  return rows.map(({ line, record }) => {
    const fail = (reason: string): never => {
      throw new Error(`Cannot read custom data: line ${line}: ${reason}`);
    };
    const textOf = (field: string) => {
      if (!Object.hasOwn(record, field)) {
        fail(`no field "${field}" (fields: ${Object.keys(record).join(", ")})`);
      }
      const v = record[field];
      if (typeof v !== "string") {
        fail(`field "${field}" must be a string, received ${JSON.stringify(v)}`);
      }
      if ((v as string).trim() === "") fail(`field "${field}" is empty`);
      return v as string;
    };
    const text = textOf(textField);
    const pair = pairField === undefined ? undefined : textOf(pairField);
    if (!Object.hasOwn(record, labelField)) {
      fail(`no field "${labelField}" (fields: ${Object.keys(record).join(", ")})`);
    }
    const label = parseLabel(record[labelField], options);
    if (typeof label === "string") fail(label);
    return pair === undefined
      ? { text, label: label as number }
      : { text, textPair: pair, label: label as number };
  });
}

function formatOf(path: string, options: CustomDataOptions): "csv" | "jsonl" {
  if (options.format) return options.format;
  if (/\.(csv|tsv)$/i.test(path)) return "csv";
  if (/\.(jsonl|ndjson)$/i.test(path)) return "jsonl";
  throw new RangeError(
    `Cannot read custom data: cannot tell the format of ${path} from its extension; pass format "csv" or "jsonl"`,
  );
}

/**
 * Reads a custom data file (see {@linkcode parseCustomData}).
 *
 * @param path A `.csv`/`.tsv` or `.jsonl`/`.ndjson` file (or any file with `options.format`).
 * @param options Field names and label handling; `.tsv` files default to a tab delimiter.
 * @returns The examples, in file order.
 * @example
 * ```ts
 * import { loadCustomData } from "./custom.ts";
 * import { assertEquals } from "@std/assert";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await Deno.writeTextFile(path, '{"q": "Is it?", "a": "It is.", "y": 0.5}\n');
 * const examples = await loadCustomData(path, {
 *   textField: "q", textPairField: "a", labelField: "y", kind: "regression",
 * });
 * assertEquals(examples, [{ text: "Is it?", textPair: "It is.", label: 0.5 }]);
 * await Deno.remove(path);
 * ```
 */
export async function loadCustomData(
  path: string,
  options: CustomDataOptions = {},
): Promise<Example[]> {
  const format = formatOf(path, options);
  let content: string;
  try {
    content = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`Cannot read custom data: cannot read ${path}: ${(e as Error).message}`);
  }
  const delimiter = options.delimiter ?? (/\.tsv$/i.test(path) ? "\t" : ",");
  try {
    return parseCustomData(content, { ...options, format, delimiter });
  } catch (e) {
    (e as Error).message = (e as Error).message.replace("custom data", `custom data ${path}`);
    throw e;
  }
}

/** Files and options of a custom task. */
export interface CustomTaskOptions extends CustomDataOptions {
  /** The task's name in its card; `"custom"` by default. */
  readonly name?: string;
  /** The training file. */
  readonly train: string;
  /** The dev file (results are reported on it). */
  readonly dev: string;
  /** Metrics; by default accuracy (+ F1 for two classes) or Pearson + Spearman. */
  readonly metrics?: readonly NluMetricName[];
}

/**
 * Loads a custom task from a training and a dev file, with a card.
 *
 * @param options The files, the field names and label handling.
 * @returns The task; without `labels`, the number of classes is the largest label + 1.
 * @example
 * ```ts
 * import { loadCustomTask } from "./custom.ts";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/train.csv`, "text,label\nyes,1\nno,0\n");
 * await Deno.writeTextFile(`${dir}/dev.csv`, "text,label\nsure,1\n");
 * const task = await loadCustomTask({ train: `${dir}/train.csv`, dev: `${dir}/dev.csv` });
 * assertEquals(task.card.numLabels, 2);
 * assertEquals(task.card.metrics, ["accuracy", "f1"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadCustomTask(options: CustomTaskOptions): Promise<Task> {
  const train = await loadCustomData(options.train, options);
  const dev = await loadCustomData(options.dev, options);
  if (train.length === 0 || dev.length === 0) {
    throw new RangeError(
      `Cannot load custom task: train and dev need at least one example, received ${train.length} and ${dev.length}`,
    );
  }
  const kind = options.kind ?? "classification";
  const numLabels = kind === "regression" ? 1 : options.labels?.length ??
    Math.max(...train.map((e) => e.label), ...dev.map((e) => e.label)) + 1;
  const labels = kind === "regression"
    ? []
    : options.labels ?? Array.from({ length: numLabels }, (_, i) => String(i));
  const metrics = options.metrics ??
    (kind === "regression"
      ? ["pearson", "spearman"] as const
      : numLabels === 2
      ? ["accuracy", "f1"] as const
      : ["accuracy"] as const);
  return {
    card: {
      name: options.name ?? "custom",
      description: `Custom ${kind} data from ${options.train} and ${options.dev}.`,
      kind,
      labels,
      numLabels,
      metrics,
      licence: "as given by the data's owner",
      source: { origin: `custom ${options.format ?? "file"}`, paths: [options.train, options.dev] },
      glue: "none",
      sizes: { train: train.length, dev: dev.length },
    },
    train,
    dev,
  };
}
