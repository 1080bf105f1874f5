/**
 * What every track's run execution shares, whatever it trains: the run must be for the loaded
 * base model, it is identified by its spec's hash, it trains under its run lock, and a run another
 * process stored meanwhile is returned instead of being trained again.
 *
 * @module
 */
import type { RunSpec } from "../plan/run_spec.ts";
import { withRunLock } from "./run_lock.ts";
import { runSpecHash, type StoredRun, storedRunState } from "./store.ts";

/** Where and how a run is executed. */
export interface LockedRunOptions {
  /** The results folder (`runs/`, `locks/` below it). */
  readonly dir: string;
  /** The backend's name (part of the run's identity). */
  readonly backend: string;
  /** Told when the run's lock is taken over from an ended process (default: a warning). */
  readonly onNotice?: (message: string) => void;
  /** Return a run stored meanwhile instead of training it (default true). */
  readonly reuseStored?: boolean;
}

/**
 * Executes one run once: checks it is for the loaded model, takes its lock, returns it if stored
 * meanwhile, else calls `trainAndStore` with its hash.
 *
 * @param spec The run.
 * @param loadedModel The base model the resources hold (`spec.model` must name it).
 * @param options Folder, backend, lock notices.
 * @param trainAndStore Trains the run and stores it under the hash.
 * @returns The stored run.
 * @throws {TypeError} When the run needs another model than the loaded one.
 * @example
 * ```ts
 * import { executeLocked } from "./locked_run.ts";
 * import { reproExperiments, type StoredRun } from "@loradrop/core/repro";
 * import { assertEquals, assertRejects } from "@std/assert";
 * const spec = reproExperiments("smoke")[0]!.runs[0]!;
 * const dir = await Deno.makeTempDir();
 * const train = (specHash: string) => Promise.resolve({ spec, specHash } as StoredRun);
 * const run = await executeLocked(spec, spec.model, { dir, backend: "cpu" }, train);
 * assertEquals(run.specHash.length, 64);
 * await assertRejects(() => executeLocked(spec, "bert", { dir, backend: "cpu" }, train), TypeError, "bert");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function executeLocked<R extends StoredRun>(
  spec: RunSpec,
  loadedModel: string,
  options: LockedRunOptions,
  trainAndStore: (specHash: string) => Promise<R>,
): Promise<R> {
  if (spec.model !== loadedModel) {
    throw new TypeError(
      `Cannot execute run: it needs model "${spec.model}" but the loaded one is "${loadedModel}"`,
    );
  }
  const specHash = await runSpecHash(spec, options.backend);
  return await withRunLock(options.dir, specHash, async () => {
    if (options.reuseStored !== false) {
      const found = await storedRunState(options.dir, specHash);
      if (found.state === "finished") return found.run as R;
    }
    return await trainAndStore(specHash);
  }, options.onNotice);
}
