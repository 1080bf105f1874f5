/**
 * A user's own data set as part of a {@linkcode RunSpec}: the training and dev files (CSV, TSV or
 * JSONL) with the SHA-256 of their contents and how to read them. A run on such a task is
 * identified by the contents, not by where the files lie: the same files elsewhere (another
 * folder, another machine of a sharded grid) give the same run hash, and an edited file gives a
 * new one. The files are checked against their digests when a run loads them.
 *
 * @module
 */
import { basename, extname, resolve } from "node:path";
import type { Task } from "../../data/example.ts";
import { type CustomDataOptions, loadCustomTask } from "../../data/custom.ts";
import type { JsonValue } from "../../train/config_hash.ts";
import type { NluMetricName } from "../../metrics/metric.ts";
import type { TaskDataFile, TaskDataSpec } from "../plan/run_spec.ts";

/** How to read a user's task files: everything of {@linkcode TaskDataSpec} but the digests. */
export interface TaskDataOptions
  extends
    Pick<CustomDataOptions, "textField" | "textPairField" | "labelField" | "labels" | "kind"> {
  /** The training file. */
  readonly train: string;
  /** The dev file. */
  readonly dev: string;
  /** The dev metrics, main one first. */
  readonly metrics?: readonly NluMetricName[];
}

async function fileDigest(path: string, role: string): Promise<TaskDataFile> {
  const absolute = resolve(path);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(absolute);
  } catch (error) {
    throw new Error(`Cannot read the ${role} file ${path}: ${(error as Error).message}`);
  }
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  const sha256 = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { path: absolute, sha256 };
}

/**
 * Describes a user's task for a run spec: resolves the paths and digests both files. The files
 * are parsed once here too, so a malformed row is reported before any run is planned.
 *
 * @param options The files and how to read them.
 * @returns The data spec.
 * @example
 * ```ts
 * import { describeTaskData } from "@loradrop/core/repro";
 * import { assertEquals, assertRejects } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.csv`, "text,label\nyes,1\nno,0\n");
 * await Deno.writeTextFile(`${dir}/b.csv`, "text,label\nsure,1\n");
 * const data = await describeTaskData({ train: `${dir}/a.csv`, dev: `${dir}/b.csv` });
 * assertEquals(data.train.sha256.length, 64);
 * await Deno.writeTextFile(`${dir}/c.csv`, "text,label\nmaybe,x\n");
 * await assertRejects(() => describeTaskData({ train: `${dir}/c.csv`, dev: `${dir}/b.csv` }), Error, "line 2");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function describeTaskData(options: TaskDataOptions): Promise<TaskDataSpec> {
  const data: TaskDataSpec = {
    train: await fileDigest(options.train, "training"),
    dev: await fileDigest(options.dev, "dev"),
    ...(options.textField === undefined ? {} : { textField: options.textField }),
    ...(options.textPairField === undefined ? {} : { textPairField: options.textPairField }),
    ...(options.labelField === undefined ? {} : { labelField: options.labelField }),
    ...(options.labels === undefined ? {} : { labels: [...options.labels] }),
    ...(options.kind === undefined ? {} : { kind: options.kind }),
    ...(options.metrics === undefined ? {} : { metrics: [...options.metrics] }),
  };
  await loadTaskData("check", data);
  return data;
}

/**
 * The part of a data spec that identifies a run: the digests and reading options, without the
 * paths.
 *
 * @param data The data spec.
 * @returns A JSON value for the run's hash.
 * @example
 * ```ts
 * import { taskDataIdentity } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const at = (dir: string) => ({ train: { path: `${dir}/a.csv`, sha256: "aa" }, dev: { path: `${dir}/b.csv`, sha256: "bb" } });
 * assertEquals(taskDataIdentity(at("/x")), taskDataIdentity(at("/y")));
 * ```
 */
export function taskDataIdentity(data: TaskDataSpec): JsonValue {
  const { train, dev, ...reading } = data;
  return { ...reading, train: train.sha256, dev: dev.sha256 } as JsonValue;
}

/**
 * A task name for a data spec when the user gave none: the training file's name without its
 * extension (`reviews_train.csv` → `reviews_train`).
 *
 * @param trainPath The training file.
 * @returns The name.
 * @example
 * ```ts
 * import { defaultTaskName } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(defaultTaskName("/data/reviews_train.csv"), "reviews_train");
 * ```
 */
export function defaultTaskName(trainPath: string): string {
  const file = basename(trainPath);
  return file.slice(0, file.length - extname(file).length) || file;
}

const loaded = new Map<string, Promise<Task>>();

/**
 * Loads a user's task for a run (once per process per contents), after checking that both files
 * still have the digests of the spec: a file edited after the grid was planned is an error, not
 * a silently different run.
 *
 * @param name The task's name (its card's name).
 * @param data The data spec.
 * @returns The task.
 * @example
 * ```ts
 * import { describeTaskData, loadTaskData } from "@loradrop/core/repro";
 * import { assertEquals, assertRejects } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.jsonl`, '{"text":"good","label":"pos"}\n{"text":"bad","label":"neg"}\n');
 * await Deno.writeTextFile(`${dir}/b.jsonl`, '{"text":"fine","label":"pos"}\n');
 * const data = await describeTaskData({ train: `${dir}/a.jsonl`, dev: `${dir}/b.jsonl`, labels: ["neg", "pos"] });
 * assertEquals((await loadTaskData("mine", data)).card.numLabels, 2);
 * await Deno.writeTextFile(`${dir}/b.jsonl`, '{"text":"fine","label":"neg"}\n');
 * await assertRejects(() => loadTaskData("mine", data), Error, "changed");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadTaskData(name: string, data: TaskDataSpec): Promise<Task> {
  for (const [role, file] of [["training", data.train], ["dev", data.dev]] as const) {
    const now = await fileDigest(file.path, role);
    if (now.sha256 !== file.sha256) {
      throw new Error(
        `Cannot load task "${name}": the ${role} file ${file.path} changed since the run was planned (SHA-256 ${
          now.sha256.slice(0, 12)
        }…, expected ${file.sha256.slice(0, 12)}…); plan the runs again`,
      );
    }
  }
  const key = JSON.stringify([name, taskDataIdentity(data)]);
  let task = loaded.get(key);
  if (task === undefined) {
    task = loadCustomTask({
      name,
      train: data.train.path,
      dev: data.dev.path,
      ...(data.textField === undefined ? {} : { textField: data.textField }),
      ...(data.textPairField === undefined ? {} : { textPairField: data.textPairField }),
      ...(data.labelField === undefined ? {} : { labelField: data.labelField }),
      ...(data.labels === undefined ? {} : { labels: data.labels }),
      ...(data.kind === undefined ? {} : { kind: data.kind }),
      ...(data.metrics === undefined ? {} : { metrics: data.metrics }),
    });
    loaded.set(key, task);
    task.catch(() => loaded.delete(key));
  }
  return await task;
}
