/**
 * Training checkpoints: named float tensors in a safetensors file plus a JSON sidecar
 * (`checkpoint.json`) holding the run's state. The tensor file is written first under a
 * step-numbered name, then the sidecar is replaced atomically: the sidecar is the commit point,
 * so a run killed at any moment leaves the previous complete checkpoint readable.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseSafetensors, serializeSafetensors } from "../io/safetensors.ts";
import type { NamedTensors, Variable } from "../types.ts";
import { writeFileAtomic } from "./atomic_file.ts";
import { readJsonFile } from "./json_file.ts";
import type { JsonValue } from "./config_hash.ts";

/** The sidecar's format tag. */
export const CHECKPOINT_FORMAT = "loradrop-checkpoint";

/** The JSON sidecar of a checkpoint. */
export interface CheckpointSidecar {
  /** Always {@linkcode CHECKPOINT_FORMAT}. */
  readonly format: typeof CHECKPOINT_FORMAT;
  /** The sidecar layout version (1). */
  readonly version: 1;
  /** The run the checkpoint belongs to. */
  readonly runId: string;
  /** Completed training steps. */
  readonly step: number;
  /** The tensor file's name, inside the checkpoint folder. */
  readonly tensorsFile: string;
  /** SHA-256 (hex) of the tensor file. */
  readonly tensorsSha256: string;
  /** Whatever else the trainer needs to continue (data position, keys, curves, …). */
  readonly state: JsonValue;
}

/** A checkpoint read back by {@linkcode loadCheckpoint}. */
export interface LoadedCheckpoint {
  /** The sidecar. */
  readonly sidecar: CheckpointSidecar;
  /** The tensors by name, as float32 arrays with their shapes. */
  readonly tensors: ReadonlyMap<
    string,
    { readonly shape: readonly number[]; readonly data: Float32Array }
  >;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Writes a checkpoint into `dir`: `checkpoint-<step>.safetensors` then `checkpoint.json`
 * (atomically), then removes the tensor files of older checkpoints.
 *
 * @param dir The checkpoint folder (created if missing).
 * @param runId The run's id (checked on load).
 * @param step Completed training steps.
 * @param tensors The float tensors to save (read back from the device, not disposed).
 * @param state The rest of the trainer's state, as JSON.
 * @returns Resolves once the checkpoint is committed.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { loadCheckpoint, saveCheckpoint } from "@loradrop/core/train";
 * import { assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * const dir = await Deno.makeTempDir();
 * const w = tf.tensor2d([[1, 2]]);
 * await saveCheckpoint(dir, "run-a", 3, { w }, { epoch: 0 });
 * const back = await loadCheckpoint(dir, "run-a");
 * assertEquals(back?.sidecar.step, 3);
 * assertEquals([...back!.tensors.get("w")!.data], [1, 2]);
 * w.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveCheckpoint(
  dir: string,
  runId: string,
  step: number,
  tensors: NamedTensors,
  state: JsonValue,
): Promise<void> {
  if (!Number.isInteger(step) || step < 0) {
    throw new RangeError(
      `Cannot save a checkpoint: step must be a non-negative integer, received ${step}`,
    );
  }
  const inputs: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== "float32") {
      throw new TypeError(
        `Cannot save a checkpoint: tensor "${name}" must be float32, received ${t.dtype}`,
      );
    }
    inputs[name] = { shape: [...t.shape], data: (await t.data()) as Float32Array };
  }
  const bytes = serializeSafetensors(inputs, { format: "loradrop", step: String(step) });
  const tensorsFile = `checkpoint-${step}.safetensors`;
  await writeFileAtomic(`${dir}/${tensorsFile}`, bytes);
  const sidecar: CheckpointSidecar = {
    format: CHECKPOINT_FORMAT,
    version: 1,
    runId,
    step,
    tensorsFile,
    tensorsSha256: await sha256Hex(bytes),
    state,
  };
  await writeFileAtomic(`${dir}/checkpoint.json`, JSON.stringify(sidecar) + "\n");
  for await (const entry of Deno.readDir(dir)) {
    if (/^checkpoint-\d+\.safetensors$/.test(entry.name) && entry.name !== tensorsFile) {
      await Deno.remove(`${dir}/${entry.name}`).catch(() => {});
    }
  }
}

/**
 * Reads the checkpoint in `dir`, or returns undefined when there is none. A checkpoint of
 * another run, a tensor file whose hash differs from the sidecar's, or a malformed sidecar is an
 * error (never a silent fresh start).
 *
 * @param dir The checkpoint folder.
 * @param runId The expected run id.
 * @returns The checkpoint, or undefined.
 * @example
 * ```ts
 * import { loadCheckpoint } from "@loradrop/core/train";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * assertEquals(await loadCheckpoint(dir, "run-a"), undefined);
 * await Deno.remove(dir);
 * ```
 */
export async function loadCheckpoint(
  dir: string,
  runId: string,
): Promise<LoadedCheckpoint | undefined> {
  const sidecarPath = `${dir}/checkpoint.json`;
  const sidecar = await readJsonFile(sidecarPath, `checkpoint ${sidecarPath}`) as
    | CheckpointSidecar
    | undefined;
  if (sidecar === undefined) return undefined;
  if (sidecar?.format !== CHECKPOINT_FORMAT || sidecar.version !== 1) {
    throw new TypeError(
      `Cannot read checkpoint ${sidecarPath}: expected format "${CHECKPOINT_FORMAT}" version 1, received "${sidecar?.format}" version ${sidecar?.version}`,
    );
  }
  if (sidecar.runId !== runId) {
    throw new Error(
      `Cannot resume from ${sidecarPath}: it belongs to run ${sidecar.runId}, expected ${runId}`,
    );
  }
  if (!/^checkpoint-\d+\.safetensors$/.test(sidecar.tensorsFile)) {
    throw new TypeError(
      `Cannot read checkpoint ${sidecarPath}: bad tensor file name "${sidecar.tensorsFile}"`,
    );
  }
  const tensorsPath = `${dir}/${sidecar.tensorsFile}`;
  const bytes = await Deno.readFile(tensorsPath);
  const hash = await sha256Hex(bytes);
  if (hash !== sidecar.tensorsSha256) {
    throw new Error(
      `Cannot resume from ${tensorsPath}: its SHA-256 is ${hash}, the sidecar expects ${sidecar.tensorsSha256}`,
    );
  }
  const file = parseSafetensors(bytes, tensorsPath);
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, entry] of file.tensors) {
    if (!(entry.data instanceof Float32Array)) {
      throw new TypeError(`Cannot read checkpoint ${tensorsPath}: tensor "${name}" is not float`);
    }
    tensors.set(name, { shape: entry.shape, data: entry.data });
  }
  return { sidecar, tensors };
}

/**
 * Copies checkpoint tensors into variables, strictly: every variable must be present with its
 * shape, and there must be no extra tensor under `prefix`.
 *
 * @param checkpoint The loaded checkpoint.
 * @param prefix The tensor-name prefix of this group (e.g. `"param/"`).
 * @param variables The variables to restore, by name without the prefix.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { restoreVariables } from "@loradrop/core/train";
 * import { assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.zeros([2]));
 * const checkpoint = {
 *   sidecar: {} as never,
 *   tensors: new Map([["param/w", { shape: [2], data: new Float32Array([5, 6]) }]]),
 * };
 * restoreVariables(checkpoint, "param/", { w });
 * assertEquals([...w.dataSync()], [5, 6]);
 * w.dispose();
 * ```
 */
export function restoreVariables(
  checkpoint: LoadedCheckpoint,
  prefix: string,
  variables: Readonly<Record<string, Variable>>,
): void {
  for (const name of checkpoint.tensors.keys()) {
    if (name.startsWith(prefix) && !(name.slice(prefix.length) in variables)) {
      throw new TypeError(`Cannot restore checkpoint: unknown tensor "${name}"`);
    }
  }
  for (const [name, v] of Object.entries(variables)) {
    const entry = checkpoint.tensors.get(prefix + name);
    if (entry === undefined) {
      throw new TypeError(`Cannot restore checkpoint: missing tensor "${prefix + name}"`);
    }
    if (!tf.util.arraysEqual([...entry.shape], v.shape)) {
      throw new RangeError(
        `Cannot restore checkpoint: "${
          prefix + name
        }" has shape [${entry.shape}], expected [${v.shape}]`,
      );
    }
    tf.tidy(() => v.assign(tf.tensor(entry.data, [...entry.shape], "float32")));
  }
}
