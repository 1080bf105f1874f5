/**
 * The Deno permissions of a `repro` worker process: what its runs need and nothing else. It
 * writes only the results folder and loradrop's cache (tokenizers, hub downloads), loads native
 * addons only from the project's `node_modules` and `.cache` (tfjs-node and `sharp` are native),
 * reaches the network only when a run's model is a hub id that may have to be downloaded, and
 * starts no process.
 *
 * @module
 */
import { resolve } from "node:path";
import { hubOffline, isHubRepoId } from "../../io/hub.ts";
import type { RunSpec } from "../plan/run_spec.ts";

/** What {@linkcode workerPermissionFlags} looks at. */
export interface WorkerPermissionInput {
  /** The results folder. */
  readonly dir: string;
  /** The backend name (`tensorflow` loads tfjs-node, wherever Deno put it). */
  readonly backend: string;
  /** The runs the worker may receive. */
  readonly specs: readonly RunSpec[];
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env
  }
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Whether a run's model may have to be downloaded: a hub id (not `use-lite`, not a folder) while
 * downloads are allowed (`HF_HUB_OFFLINE` unset).
 *
 * @param model A spec's model.
 * @returns True when the worker needs the network for it.
 * @example
 * ```ts
 * import { modelNeedsDownload } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(modelNeedsDownload("use-lite"), false);
 * assertEquals(modelNeedsDownload(await Deno.makeTempDir()), false);
 * ```
 */
export function modelNeedsDownload(model: string): boolean {
  return model !== "use-lite" && !isDirectory(model) && isHubRepoId(model) && !hubOffline();
}

/**
 * The permission flags of a worker (`deno run <flags> cli/repro_worker.ts`).
 *
 * @param input Results folder, backend and the runs.
 * @returns The flags.
 * @example
 * ```ts
 * import { workerPermissionFlags } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assert } from "@std/assert";
 * const specs = reproExperiments("smoke")[0]!.runs;
 * const flags = workerPermissionFlags({ dir: "results/smoke", backend: "wasm", specs });
 * assert(flags.some((f) => f.startsWith("--allow-write=") && f.includes("results/smoke")));
 * assert(!flags.some((f) => f === "-A" || f.startsWith("--allow-net") || f.startsWith("--allow-run")));
 * ```
 */
export function workerPermissionFlags(input: WorkerPermissionInput): string[] {
  const root = resolve(new URL("../../..", import.meta.url).pathname);
  const home = env("HOME") ?? env("USERPROFILE");
  const cache = env("LORADROP_CACHE") ??
    (home === undefined ? undefined : `${home}/.cache/loradrop`);
  const write = [resolve(input.dir), ...(cache === undefined ? [] : [resolve(cache)])];
  // Threaded wasm writes its pthread bootstrap to a temporary file.
  if (env("LORADROP_WASM_THREADS") !== undefined) write.push(env("TMPDIR") ?? "/tmp");
  const tensorflow = input.backend === "tensorflow";
  const flags = [
    // Code, npm packages, data, models and caches are read wherever their flags point.
    "--allow-read",
    `--allow-write=${write.join(",")}`,
    "--allow-env",
    // tfjs-node is loaded from Deno's npm cache when the project has no copy: any path.
    tensorflow ? "--allow-ffi" : `--allow-ffi=${root}/node_modules,${root}/.cache`,
    // Read-only system facts: the host (run locks), free memory (the trainer's step check), …
    "--allow-sys",
  ];
  if (input.specs.some((s) => modelNeedsDownload(s.model))) flags.push("--allow-net");
  return flags;
}
