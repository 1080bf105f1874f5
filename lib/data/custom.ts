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
  /**
   * Read bytes that are not UTF-8 as U+FFFD (the replacement character) instead of failing;
   * `false` by default.
   */
  readonly allowInvalidUtf8?: boolean;
}

interface Row {
  readonly line: number;
  readonly record: Record<string, unknown>;
}

/** A failure at one line: the caller adds the file's name. */
class LineError extends Error {
  constructor(readonly reason: string, readonly line?: number) {
    super(reason);
  }
}

function csvRows(content: string, delimiter: string): Row[] {
  // the header is the first non-empty line (csv-parse skips the BOM and empty lines before it)
  const headerLine = (content.replace(/^\ufeff/, "").match(/^(?:\r?\n)*/)![0].match(/\n/g) ?? [])
    .length + 1;
  let parsed: { record: Record<string, unknown>; info: { lines: number } }[];
  try {
    parsed = parseCsv(content, {
      columns: (header: string[]) => {
        // csv-parse would keep the last of two equal column names and silently drop the first
        const twice = header.find((name, i) => header.indexOf(name) !== i);
        if (twice !== undefined) {
          throw new LineError(`column name ${JSON.stringify(twice)} occurs twice`, headerLine);
        }
        return header;
      },
      bom: true,
      info: true,
      delimiter,
      skip_empty_lines: true,
    }) as typeof parsed;
  } catch (e) {
    if (e instanceof LineError) throw e;
    throw new LineError((e as Error).message, (e as { lines?: number }).lines);
  }
  return parsed.map(({ record, info }) => ({ line: info.lines, record }));
}

/** The first key a JSON object's text names twice at its top level (JSON.parse keeps the last). */
function repeatedKey(json: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let atKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === "\\" ? 2 : 1;
      if (depth === 1 && atKey) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        atKey = false;
      }
      i = end;
    } else if (c === "{" || c === "[") {
      depth++;
      atKey = depth === 1;
    } else if (c === "}" || c === "]") {
      depth--;
    } else if (c === "," && depth === 1) {
      atKey = true;
    }
  }
  return undefined;
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
      throw new LineError(`invalid JSON: ${(e as Error).message}`, i + 1);
    }
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      throw new LineError(
        `expected a JSON object, received ${text.slice(0, 60)}`,
        i + 1,
      );
    }
    const twice = repeatedKey(text);
    if (twice !== undefined) {
      throw new LineError(`key ${JSON.stringify(twice)} occurs twice in one object`, i + 1);
    }
    rows.push({ line: i + 1, record: record as Record<string, unknown> });
  });
  return rows;
}

/**
 * The largest class index a custom task accepts without class names: a head of more than 10,000
 * classes is almost surely a mistaken label column (ids, years, prices), not a task.
 */
export const MAX_CUSTOM_CLASS_INDEX = 9_999;

// a plain decimal number: no hex ("0x10"), no blanks (" " is 0 for `Number`), no "Infinity"
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseLabel(value: unknown, options: CustomDataOptions): number | string {
  const kind = options.kind ?? "classification";
  const names = options.labels;
  if (value === undefined || value === null || value === "") return "the label is missing";
  if (kind === "regression") {
    const x = typeof value === "number"
      ? value
      : typeof value === "string" && DECIMAL.test(value.trim())
      ? Number(value)
      : NaN;
    return Number.isFinite(x)
      ? x
      : `label must be a finite decimal number, received ${JSON.stringify(value)}`;
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
  if (names === undefined && Number.isInteger(x) && x > MAX_CUSTOM_CLASS_INDEX) {
    return `label must be a class index of at most ${MAX_CUSTOM_CLASS_INDEX}, received ${
      JSON.stringify(value)
    } (name the classes with labels if the column holds names)`;
  }
  if (Number.isInteger(x) && x >= 0 && (names === undefined || x < names.length)) return x;
  return names === undefined
    ? `label must be a non-negative integer class index, received ${JSON.stringify(value)}`
    : `label must be one of ${names.join(", ")} or an index below ${names.length}, received ${
      JSON.stringify(value)
    }`;
}

function at(source: string | undefined, line: number | undefined): string {
  if (line === undefined) return source === undefined ? "" : ` (${source})`;
  return source === undefined ? ` (line ${line})` : ` (${source} line ${line})`;
}

interface ParsedRows {
  readonly examples: Example[];
  /** The line of each example (for CSV, the line on which its record ends). */
  readonly lines: number[];
}

function parseRows(
  content: string,
  options: CustomDataOptions & { readonly format: "csv" | "jsonl" },
  source: string | undefined,
): ParsedRows {
  const textField = options.textField ?? "text";
  const labelField = options.labelField ?? "label";
  const pairField = options.textPairField;
  if (options.format !== "csv" && options.format !== "jsonl") {
    throw new RangeError(
      `Cannot read custom data: format must be "csv" or "jsonl", received ${
        String(options.format)
      }${at(source, undefined)}`,
    );
  }
  let rows: Row[];
  try {
    rows = options.format === "csv"
      ? csvRows(content, options.delimiter ?? ",")
      : jsonlRows(content);
  } catch (e) {
    if (!(e instanceof LineError)) throw e;
    throw new Error(`Cannot read custom data: ${e.reason}${at(source, e.line)}`);
  }
  const examples = rows.map(({ line, record }) => {
    const fail = (reason: string): never => {
      throw new Error(`Cannot read custom data: ${reason}${at(source, line)}`);
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
  return { examples, lines: rows.map((r) => r.line) };
}

/**
 * Parses custom data from a string.
 *
 * @param content The file's content.
 * @param options The format (required here) and field names.
 * @param source The file's name, for error messages.
 * @returns The examples, in file order.
 * @throws {Error} For a row that is malformed, lacks a field, has an empty text or a bad
 * label, or a CSV header (JSONL object) that names a column (key) twice: the message names the value, the reason and
 * the line (for CSV, the line on which the record ends).
 * @example
 * ```ts
 * import { parseCustomData } from "@loradrop/core/data";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const csv = 'review,stars\n"Great, really",pos\nMeh,neg\n';
 * const options = { format: "csv", textField: "review", labelField: "stars", labels: ["neg", "pos"] } as const;
 * assertEquals(parseCustomData(csv, options), [
 *   { text: "Great, really", label: 1 },
 *   { text: "Meh", label: 0 },
 * ]);
 * assertThrows(() => parseCustomData(csv + "Fine,ok\n", options, "a.csv"), Error, '"ok" (a.csv line 4)');
 * ```
 */
export function parseCustomData(
  content: string,
  options: CustomDataOptions & { readonly format: "csv" | "jsonl" },
  source?: string,
): Example[] {
  return parseRows(content, options, source).examples;
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
 * Decodes UTF-8, or names the line and bytes of the first invalid sequence.
 *
 * @param bytes The file's bytes.
 * @param path The file, for the message.
 * @param lenient Replace invalid sequences by U+FFFD instead.
 * @returns The text.
 */
function decodeUtf8(bytes: Uint8Array, path: string, lenient: boolean): string {
  try {
    return new TextDecoder("utf-8", { fatal: !lenient }).decode(bytes);
  } catch {
    // the shortest prefix that fails to decode (streaming, so a prefix may end mid-character)
    let lo = 0, hi = bytes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid + 1), {
          stream: true,
        });
        lo = mid + 1;
      } catch {
        hi = mid;
      }
    }
    let line = 1;
    for (let i = 0; i < lo; i++) if (bytes[i] === 0x0a) line++;
    const shown = Array.from(
      bytes.subarray(Math.max(0, lo - 3), lo + 1),
      (b) => `0x${b.toString(16).padStart(2, "0")}`,
    ).join(" ");
    throw new TypeError(
      `Cannot read custom data: the file is not valid UTF-8, received bytes ${shown} at offset ${lo} (${path} line ${line}); re-encode it as UTF-8, or pass allowInvalidUtf8 to read such bytes as U+FFFD`,
    );
  }
}

async function readRows(path: string, options: CustomDataOptions): Promise<ParsedRows> {
  const format = formatOf(path, options);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new Error(`Cannot read custom data: cannot read ${path}: ${(e as Error).message}`);
  }
  const content = decodeUtf8(bytes, path, options.allowInvalidUtf8 ?? false);
  const delimiter = options.delimiter ?? (/\.tsv$/i.test(path) ? "\t" : ",");
  return parseRows(content, { ...options, format, delimiter }, path);
}

/**
 * Reads a custom data file (see {@linkcode parseCustomData}). The file must be UTF-8 unless
 * `allowInvalidUtf8` is set.
 *
 * @param path A `.csv`/`.tsv` or `.jsonl`/`.ndjson` file (or any file with `options.format`).
 * @param options Field names and label handling; `.tsv` files default to a tab delimiter.
 * @returns The examples, in file order.
 * @throws {Error} As {@linkcode parseCustomData}, with the file's path in the message.
 * @throws {TypeError} For bytes that are not UTF-8 (naming the line and the bytes).
 * @example
 * ```ts
 * import { loadCustomData } from "@loradrop/core/data";
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
  return (await readRows(path, options)).examples;
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
 * @returns The task; without `labels`, the number of classes is the largest training label + 1.
 * @throws {RangeError} When a file has no examples, or (without `labels`) a dev label is beyond
 * the classes the training data defines: the message names the dev file, line and label.
 * @example
 * ```ts
 * import { loadCustomTask } from "@loradrop/core/data";
 * import { assertEquals, assertRejects } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/train.csv`, "text,label\nyes,1\nno,0\n");
 * await Deno.writeTextFile(`${dir}/dev.csv`, "text,label\nsure,1\n");
 * const task = await loadCustomTask({ train: `${dir}/train.csv`, dev: `${dir}/dev.csv` });
 * assertEquals(task.card.numLabels, 2);
 * assertEquals(task.card.metrics, ["accuracy", "f1"]);
 * await Deno.writeTextFile(`${dir}/dev.csv`, "text,label\nsure,5\n");
 * await assertRejects(
 *   () => loadCustomTask({ train: `${dir}/train.csv`, dev: `${dir}/dev.csv` }),
 *   RangeError,
 *   "dev label 5 is not a class of the training data",
 * );
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadCustomTask(options: CustomTaskOptions): Promise<Task> {
  const { examples: train } = await readRows(options.train, options);
  const { examples: dev, lines: devLines } = await readRows(options.dev, options);
  if (train.length === 0 || dev.length === 0) {
    throw new RangeError(
      `Cannot load custom task: train and dev need at least one example, received ${train.length} and ${dev.length}`,
    );
  }
  const kind = options.kind ?? "classification";
  let numLabels = 1;
  if (kind !== "regression") {
    // a loop, not Math.max(...labels): spreading 100k+ values overflows the call stack
    let largest = 0;
    for (const e of train) largest = Math.max(largest, e.label);
    numLabels = options.labels?.length ?? largest + 1;
    // the head is sized by the training data: a dev label beyond it is a mistake, not a class
    const beyond = dev.findIndex((e) => e.label >= numLabels);
    if (beyond >= 0) {
      throw new RangeError(
        `Cannot load custom task: dev label ${
          dev[beyond]!.label
        } is not a class of the training data, whose labels are 0 to ${
          numLabels - 1
        } (${options.dev} line ${devLines[beyond]})`,
      );
    }
  }
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
