/**
 * The reproduction's result store: one JSON file per finished run,
 * `<dir>/runs/<specHash>.json` = `{ spec, specHash, backend, record }`, written atomically.
 * A run is finished exactly when its file exists, so a killed grid loses nothing finished and
 * shards from several machines merge by copying files.
 *
 * @module
 */
import { configHash } from "../../train/config_hash.ts";
import { writeFileAtomic } from "../../train/atomic_file.ts";
import type { RunRecord } from "../../train/run_record.ts";
import type { RunSpec } from "../plan/run_spec.ts";
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
 * import { runSpecHash } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
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

const HASH_PATTERN = /^[0-9a-f]{64}$/;

/**
 * Whether `text` has the form of a run's hash (64 lowercase hex digits): the only names a stored
 * run's file may take, so a record cannot name a path outside `runs/`.
 *
 * @param text A candidate hash.
 * @returns True for 64 lowercase hex digits.
 * @example
 * ```ts
 * import { isRunHash } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(isRunHash("0".repeat(64)), true);
 * assertEquals(isRunHash("../../../pwned"), false);
 * ```
 */
export function isRunHash(text: unknown): text is string {
  return typeof text === "string" && HASH_PATTERN.test(text);
}

function runPath(dir: string, specHash: string): string {
  if (!isRunHash(specHash)) {
    throw new RangeError(
      `Cannot locate a stored run: its hash must be 64 lowercase hex digits, received ${
        JSON.stringify(specHash)
      }`,
    );
  }
  return `${dir}/runs/${specHash}.json`;
}

/**
 * Checks that a parsed file is a stored run whose hash is the one its spec and backend give
 * (recomputed, never taken on trust) and, when `expectedHash` is given, the one its file is named
 * after.
 *
 * @param value The parsed JSON.
 * @param expectedHash The hash its file name says.
 * @returns The run, or the reason it is not a valid one.
 * @example
 * ```ts
 * import { runSpecHash, validateStoredRun } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assert, assertEquals } from "@std/assert";
 * const spec = reproExperiments("smoke")[0]!.runs[0]!;
 * const specHash = await runSpecHash(spec, "cpu");
 * const record = { format: "loradrop-run" };
 * assert("run" in await validateStoredRun({ spec, specHash, backend: "cpu", record }));
 * const forged = await validateStoredRun({ spec, specHash: "../../x", backend: "cpu", record });
 * assertEquals("reason" in forged, true);
 * ```
 */
export async function validateStoredRun(
  value: unknown,
  expectedHash?: string,
): Promise<{ run: StoredRun } | { reason: string }> {
  const run = value as Partial<StoredRun> | null;
  if (typeof run !== "object" || run === null || Array.isArray(run)) {
    return { reason: "expected a JSON object {spec, specHash, backend, record}" };
  }
  if (typeof run.spec !== "object" || run.spec === null) return { reason: "it has no spec" };
  if (typeof run.record !== "object" || run.record === null) return { reason: "it has no record" };
  if (typeof run.backend !== "string") return { reason: "it has no backend name" };
  if (!isRunHash(run.specHash)) {
    return {
      reason: `its specHash ${JSON.stringify(run.specHash)} is not 64 lowercase hex digits`,
    };
  }
  let actual: string;
  try {
    actual = await runSpecHash(run.spec, run.backend);
  } catch (error) {
    return { reason: `its spec cannot be hashed (${(error as Error).message})` };
  }
  if (actual !== run.specHash) {
    return {
      reason: `its specHash ${run.specHash} is not the hash of its spec and backend (${actual}; ` +
        `an edited file, or one stored by another RUN_FORMAT_VERSION)`,
    };
  }
  if (expectedHash !== undefined && expectedHash !== actual) {
    return { reason: `its file is named ${expectedHash}.json but it holds run ${actual}` };
  }
  return { run: run as StoredRun };
}

/**
 * Saves a finished run (atomically). Its hash is recomputed from its spec and backend: a run
 * whose `specHash` is not that hash is refused.
 *
 * @param dir The results folder.
 * @param run The run.
 * @returns Nothing.
 * @example
 * ```ts
 * import { readStoredRuns, saveStoredRun } from "@loradrop/core/repro";
 * import { assertEquals, assertRejects } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * assertEquals((await readStoredRuns(dir)).length, 0);
 * const run = { spec: {} as never, specHash: "../../pwned", backend: "cpu", record: {} as never };
 * await assertRejects(() => saveStoredRun(dir, run), TypeError, "../../pwned");
 * ```
 */
export async function saveStoredRun(dir: string, run: StoredRun): Promise<void> {
  const checked = await validateStoredRun(run);
  if ("reason" in checked) {
    throw new TypeError(`Cannot save a stored run: ${checked.reason}`);
  }
  await Deno.mkdir(`${dir}/runs`, { recursive: true });
  await writeFileAtomic(runPath(dir, run.specHash), JSON.stringify(run));
}

/** What {@linkcode storedRunState} found. */
export type StoredRunState =
  | { readonly state: "finished"; readonly run: StoredRun }
  | { readonly state: "missing" }
  | { readonly state: "corrupt"; readonly path: string; readonly reason: string };

/**
 * Reads one run of `dir` by its hash and checks it: a file that does not parse, lacks a part or
 * does not hold the run its name says is `corrupt` (and so not finished).
 *
 * @param dir The results folder.
 * @param specHash The run's hash.
 * @returns Finished (with the run), missing, or corrupt (with the reason).
 * @example
 * ```ts
 * import { storedRunState } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * const hash = "a".repeat(64);
 * assertEquals((await storedRunState(dir, hash)).state, "missing");
 * await Deno.mkdir(`${dir}/runs`);
 * await Deno.writeTextFile(`${dir}/runs/${hash}.json`, '{"spec": {"ta');
 * assertEquals((await storedRunState(dir, hash)).state, "corrupt");
 * ```
 */
export async function storedRunState(dir: string, specHash: string): Promise<StoredRunState> {
  const path = runPath(dir, specHash);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { state: "missing" };
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { state: "corrupt", path, reason: `it is not JSON (${(error as Error).message})` };
  }
  const checked = await validateStoredRun(parsed, specHash);
  return "run" in checked
    ? { state: "finished", run: checked.run }
    : { state: "corrupt", path, reason: checked.reason };
}

/**
 * Whether a run has finished in `dir`: its file exists and holds a valid run (a corrupt file is
 * not a finished run).
 *
 * @param dir The results folder.
 * @param specHash The run's hash.
 * @returns True when its file exists and is valid.
 * @example
 * ```ts
 * import { hasStoredRun } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(await hasStoredRun(await Deno.makeTempDir(), "a".repeat(64)), false);
 * ```
 */
export async function hasStoredRun(dir: string, specHash: string): Promise<boolean> {
  return (await storedRunState(dir, specHash)).state === "finished";
}

/**
 * Reads one finished run by its hash, checked as by {@linkcode storedRunState}.
 *
 * @param dir The results folder.
 * @param specHash The run's hash.
 * @returns The run, or undefined when it has not finished in `dir`; a corrupt file is an error
 * naming it and why.
 * @example
 * ```ts
 * import { readStoredRun } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(await readStoredRun(await Deno.makeTempDir(), "a".repeat(64)), undefined);
 * ```
 */
export async function readStoredRun(dir: string, specHash: string): Promise<StoredRun | undefined> {
  const found = await storedRunState(dir, specHash);
  if (found.state === "corrupt") {
    throw new Error(`Cannot read stored run ${found.path}: ${found.reason}`);
  }
  return found.state === "finished" ? found.run : undefined;
}

/** Options of {@linkcode readStoredRuns}. */
export interface ReadStoredRunsOptions {
  /**
   * Called with each file that is not a valid stored run, which is then skipped; without it such
   * a file is an error naming it.
   */
  readonly onInvalid?: (path: string, reason: string) => void;
}

/**
 * Reads every finished run in `dir`, each checked as by {@linkcode storedRunState}. A file that
 * is not a valid stored run is an error naming it, or is skipped and reported to `onInvalid`.
 *
 * @param dir The results folder.
 * @param options Where invalid files are reported.
 * @returns The runs (empty when the folder does not exist yet).
 * @example
 * ```ts
 * import { readStoredRuns } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(await readStoredRuns("/nonexistent-folder"), []);
 * ```
 */
export async function readStoredRuns(
  dir: string,
  options: ReadStoredRunsOptions = {},
): Promise<StoredRun[]> {
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
    const name = entry.name.slice(0, -".json".length);
    const found = isRunHash(name) ? await storedRunState(dir, name) : {
      state: "corrupt" as const,
      path,
      reason: "its file name is not a run's hash",
    };
    if (found.state === "finished") {
      out.push(found.run);
    } else if (found.state === "corrupt") {
      if (options.onInvalid === undefined) {
        throw new Error(
          `Cannot read stored run ${path}: ${found.reason} (move it away, or rerun the grid to ` +
            `replace it)`,
        );
      }
      options.onInvalid(path, found.reason);
    }
  }
  return out;
}

/**
 * Copies the runs of other results folders (shards) into `dir`; identical hashes are skipped.
 * Every run is checked first (its hash recomputed from its spec and backend, its file named
 * after it): a shard holding an invalid run is refused before anything is copied.
 *
 * @param dir The destination folder.
 * @param sources Shard folders.
 * @returns How many runs were copied.
 * @example
 * ```ts
 * import { mergeStoredRuns } from "@loradrop/core/repro";
 * import { assertEquals, assertRejects } from "@std/assert";
 * assertEquals(await mergeStoredRuns(await Deno.makeTempDir(), []), 0);
 * const shard = await Deno.makeTempDir();
 * await Deno.mkdir(`${shard}/runs`);
 * await Deno.writeTextFile(`${shard}/runs/x.json`, '{"specHash": "../../pwned"}');
 * await assertRejects(() => mergeStoredRuns(shard + "-out", [shard]), Error, "x.json");
 * ```
 */
export async function mergeStoredRuns(dir: string, sources: readonly string[]): Promise<number> {
  const runs: StoredRun[] = [];
  for (const source of sources) {
    try {
      if (!(await Deno.stat(source)).isDirectory) throw new Error("not a folder");
    } catch (error) {
      throw new Error(
        `Cannot merge shard ${source}: expected a results folder, received ${
          error instanceof Deno.errors.NotFound ? "a missing path" : (error as Error).message
        }`,
      );
    }
    runs.push(
      ...await readStoredRuns(source, {
        onInvalid: (path, reason) => {
          throw new Error(
            `Cannot merge shard ${source}: ${path} is not a valid stored run: ${reason}`,
          );
        },
      }),
    );
  }
  let copied = 0;
  for (const run of runs) {
    if (await hasStoredRun(dir, run.specHash)) continue;
    await saveStoredRun(dir, run);
    copied++;
  }
  return copied;
}
