/**
 * The reproduction's result store: one JSON file per finished run,
 * `<dir>/runs/<specHash>.json` = `{ spec, specHash, backend, record }`, written atomically.
 * A run is finished exactly when its file exists, so a killed grid loses nothing finished and
 * shards from several machines merge by copying files.
 *
 * @module
 */
import { configHash } from "../train/config_hash.ts";
import { writeFileAtomic } from "../train/atomic_file.ts";
import type { RunRecord } from "../train/run_record.ts";
import type { RunSpec } from "./experiments.ts";
import { taskDataIdentity } from "./task_data.ts";

/** One stored run. */
export interface StoredRun {
  /** The run's spec. */
  readonly spec: RunSpec;
  /** `configHash({spec, backend})`. */
  readonly specHash: string;
  /** The backend it ran on. */
  readonly backend: string;
  /** The trainer's record. */
  readonly record: RunRecord;
}

/**
 * The version of what a run computes. Part of every run's hash: bump it when a change to the
 * trainer, the models or the data changes results, so that stored runs of the old code are not
 * reused as if they were new ones.
 */
export const RUN_FORMAT_VERSION = 2;

/**
 * The identity of a run: the hash of its spec, backend and {@linkcode RUN_FORMAT_VERSION} (the
 * same spec on another backend is another run, since results differ in the last bits). A user's
 * data files count by their contents (SHA-256), not by their paths.
 *
 * @param spec The run spec.
 * @param backend The backend name.
 * @returns A hex SHA-256.
 * @example
 * ```ts
 * import { runSpecHash } from "./store.ts";
 * import { reproExperiments } from "./experiments.ts";
 * import { assertEquals } from "@std/assert";
 * const spec = reproExperiments("smoke")[0]!.runs[0]!;
 * assertEquals(await runSpecHash(spec, "wasm"), await runSpecHash({ ...spec }, "wasm"));
 * ```
 */
export function runSpecHash(spec: RunSpec, backend: string): Promise<string> {
  const identity = spec.data === undefined
    ? { ...spec }
    : { ...spec, data: taskDataIdentity(spec.data) };
  return configHash({ spec: identity, backend, version: RUN_FORMAT_VERSION });
}

function runPath(dir: string, specHash: string): string {
  return `${dir}/runs/${specHash}.json`;
}

/**
 * Saves a finished run (atomically).
 *
 * @param dir The results folder.
 * @param run The run.
 * @returns Nothing.
 * @example
 * ```ts
 * import { readStoredRuns, saveStoredRun } from "./store.ts";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * assertEquals((await readStoredRuns(dir)).length, 0);
 * ```
 */
export async function saveStoredRun(dir: string, run: StoredRun): Promise<void> {
  await Deno.mkdir(`${dir}/runs`, { recursive: true });
  await writeFileAtomic(runPath(dir, run.specHash), JSON.stringify(run));
}

/**
 * Whether a run has finished in `dir`.
 *
 * @param dir The results folder.
 * @param specHash The run's hash.
 * @returns True when its file exists.
 * @example
 * ```ts
 * import { hasStoredRun } from "./store.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(await hasStoredRun(await Deno.makeTempDir(), "abc"), false);
 * ```
 */
export async function hasStoredRun(dir: string, specHash: string): Promise<boolean> {
  try {
    await Deno.stat(runPath(dir, specHash));
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Reads one finished run by its hash.
 *
 * @param dir The results folder.
 * @param specHash The run's hash.
 * @returns The run, or undefined when it has not finished in `dir`.
 * @example
 * ```ts
 * import { readStoredRun } from "./store.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(await readStoredRun(await Deno.makeTempDir(), "abc"), undefined);
 * ```
 */
export async function readStoredRun(dir: string, specHash: string): Promise<StoredRun | undefined> {
  const path = runPath(dir, specHash);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as StoredRun;
  } catch (error) {
    throw new Error(`Cannot read stored run ${path}: ${(error as Error).message}`);
  }
}

/**
 * Reads every finished run in `dir`. A file that is not a stored run is an error naming it.
 *
 * @param dir The results folder.
 * @returns The runs (empty when the folder does not exist yet).
 * @example
 * ```ts
 * import { readStoredRuns } from "./store.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(await readStoredRuns("/nonexistent-folder"), []);
 * ```
 */
export async function readStoredRuns(dir: string): Promise<StoredRun[]> {
  const out: StoredRun[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(`${dir}/runs`)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return out;
    throw error;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isFile || !entry.name.endsWith(".json")) continue;
    const path = `${dir}/runs/${entry.name}`;
    let parsed: StoredRun;
    try {
      parsed = JSON.parse(await Deno.readTextFile(path)) as StoredRun;
    } catch (error) {
      throw new Error(`Cannot read stored run ${path}: ${(error as Error).message}`);
    }
    if (!parsed.spec || !parsed.record || typeof parsed.specHash !== "string") {
      throw new Error(`Cannot read stored run ${path}: expected {spec, specHash, record}`);
    }
    out.push(parsed);
  }
  return out;
}

/**
 * Copies the runs of other results folders (shards) into `dir`; identical hashes are skipped.
 *
 * @param dir The destination folder.
 * @param sources Shard folders.
 * @returns How many runs were copied.
 * @example
 * ```ts
 * import { mergeStoredRuns } from "./store.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(await mergeStoredRuns(await Deno.makeTempDir(), []), 0);
 * ```
 */
export async function mergeStoredRuns(dir: string, sources: readonly string[]): Promise<number> {
  let copied = 0;
  for (const source of sources) {
    for (const run of await readStoredRuns(source)) {
      if (await hasStoredRun(dir, run.specHash)) continue;
      await saveStoredRun(dir, run);
      copied++;
    }
  }
  return copied;
}
