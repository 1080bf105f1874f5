/**
 * Choosing and reporting the TensorFlow.js backend.
 *
 * `wasm` is the default (fast on CPUs, single-threaded unless `threads` or
 * `LORADROP_WASM_THREADS` asks for more), `cpu` is the pure-JS fallback,
 * `webgpu` uses Deno's `navigator.gpu`, and `tensorflow` loads tfjs-node-gpu or tfjs-node
 * when one of them is installed (never a hard dependency).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import "./kernels/wasm_identity.ts";
import "./kernels/wasm_gather.ts";
// tfjs-core's npm bundle ships no gradients; the union package registers all of them.
import "@tensorflow/tfjs";
import { initWasmThreads, readEnvWasmThreads } from "./backend_wasm_threads.ts";

/** The backends loradrop can run on. */
export type BackendName = "wasm" | "cpu" | "webgpu" | "tensorflow";

/** Every backend name, in order of preference for CPUs. */
export const BACKEND_NAMES: readonly BackendName[] = ["wasm", "cpu", "webgpu", "tensorflow"];

/** Options of {@linkcode initBackend}. */
export interface InitBackendOptions {
  /** The backend to use; defaults to `LORADROP_BACKEND` or else `wasm`. */
  backend?: BackendName;
  /**
   * wasm only: XNNPACK threads, 1 to 8; defaults to `LORADROP_WASM_THREADS` (read for `wasm`
   * only) or else tfjs's single-threaded build. More than 1 starts pthread workers (see
   * `backend_wasm_threads.ts`); the backend is still named `wasm`, the count is fixed once the
   * wasm backend has started, and failing to start the threads throws (no fallback).
   */
  threads?: number;
}

/** What {@linkcode initBackend} reports about the active backend. */
export interface BackendInfo {
  /** The backend loradrop asked for. */
  requested: BackendName;
  /** The backend tfjs reports as active (equal to `requested`, or initBackend throws). */
  active: string;
  /** For `tensorflow`: which package provided it. */
  provider?: string;
  /** For `wasm` when a thread count was asked for: the count XNNPACK reports. */
  threads?: number;
}

function readEnvBackend(): string | undefined {
  try {
    return Deno.env.get("LORADROP_BACKEND") || undefined;
  } catch {
    return undefined; // no --allow-env: fall back to the default
  }
}

/**
 * Checks that a string names a backend.
 *
 * @param name The candidate name.
 * @returns The name, typed.
 * @example
 * ```ts
 * import { parseBackendName } from "@loradrop/core";
 * import { assertEquals, assertThrows } from "@std/assert";
 * assertEquals(parseBackendName("cpu"), "cpu");
 * assertThrows(() => parseBackendName("cuda"), TypeError);
 * ```
 */
export function parseBackendName(name: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw new TypeError(
    `Cannot select backend: expected one of ${BACKEND_NAMES.join(", ")}, received "${name}"`,
  );
}

function shimNodeUtil(util: Record<string, unknown>): void {
  // tfjs-node calls helpers that Node removed and Deno's node:util lacks.
  util.isNullOrUndefined ??= (v: unknown) => v === null || v === undefined;
  util.isArray ??= Array.isArray;
}

const TFJS_NODE_VERSION = "4.22.0";

/**
 * Where a tfjs-node package with its native addon is: a `file:` URL of its entry module in a
 * node_modules folder (the project's, or the cwd's), `npm:` when only Deno's global npm cache has
 * it, `null` when it is absent (or has no addon: fetched without its install script), undefined
 * when this cannot be checked (no read/env permission).
 */
function findTfjsNode(pkg: string): string | null | undefined {
  const local = `node_modules/.deno/${
    pkg.replace("/", "+")
  }@${TFJS_NODE_VERSION}/node_modules/${pkg}`;
  const addon = "lib/napi-v8/tfjs_binding.node";
  const has = (path: string) => {
    try {
      Deno.statSync(path);
      return true;
    } catch {
      return false;
    }
  };
  try {
    const roots: string[] = [];
    if (import.meta.url.startsWith("file:")) {
      roots.push(decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, ""));
    }
    roots.push(Deno.cwd());
    for (const root of roots) {
      if (has(`${root}/${local}/${addon}`)) return `file://${root}/${local}/dist/index.js`;
    }
    const home = Deno.env.get("DENO_DIR") ??
      `${Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? ""}/.cache`}/deno`;
    if (has(`${home}/npm/registry.npmjs.org/${pkg}/${TFJS_NODE_VERSION}/${addon}`)) {
      return `npm:${pkg}@${TFJS_NODE_VERSION}`;
    }
    return null;
  } catch {
    return undefined;
  }
}

/**
 * Whether the `tensorflow` backend is set up here: tfjs-node (or tfjs-node-gpu) with its native
 * addon, as `deno task setup:native` leaves it. Nothing is loaded or installed.
 *
 * @returns true when a package with its addon is found, false when none is, undefined when this
 *   cannot be checked (no read or env permission).
 * @example
 * ```ts
 * import { tensorflowBackendInstalled } from "@loradrop/core";
 * import { assert } from "@std/assert";
 * assert([true, false, undefined].includes(tensorflowBackendInstalled()));
 * ```
 */
export function tensorflowBackendInstalled(): boolean | undefined {
  const found = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"].map(findTfjsNode);
  if (found.some((f) => typeof f === "string")) return true;
  return found.every((f) => f === null) ? false : undefined;
}

async function loadTensorflowBackend(): Promise<string> {
  const util = await import("node:util");
  // tfjs-node's require("util") is the default export (the namespace object is read-only).
  shimNodeUtil((util as unknown as { default: Record<string, unknown> }).default);
  try {
    // TensorFlow's C++ start-up banners (oneDNN, CPU features) unless the user asked for them.
    if (Deno.env.get("TF_CPP_MIN_LOG_LEVEL") === undefined) {
      Deno.env.set("TF_CPP_MIN_LOG_LEVEL", "2");
    }
  } catch {
    // no --allow-env: keep TensorFlow's default logging
  }
  const failures: string[] = [];
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    // Importing an absent package would make Deno fetch it (without its native addon).
    const found = findTfjsNode(pkg);
    if (found === null) {
      failures.push(`${pkg}: not installed (no native addon)`);
      continue;
    }
    try {
      // A file: URL into node_modules loads the package (sharing tfjs with loradrop) without
      // recording the optional package in deno.lock, as an npm: specifier would; a variable
      // specifier keeps it out of the module graph either way.
      await import(found ?? `npm:${pkg}@${TFJS_NODE_VERSION}`);
      if (failures.length > 0 && !failures[0]!.includes("not installed")) {
        // tfjs-node-gpu is installed but did not load (CUDA/cuDNN missing?): say so once.
        console.warn(`loradrop: using ${pkg} on the CPU; ${failures[0]}`);
      }
      return pkg;
    } catch (error) {
      failures.push(`${pkg}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(
    `Cannot initialise backend "tensorflow": neither tfjs-node-gpu nor tfjs-node loads ` +
      `(${failures.join("; ")}). Run "deno task setup:native" to install tfjs-node.`,
  );
}

/**
 * Activates a TensorFlow.js backend and checks that it really is active
 * (`tf.setBackend` returns false and silently keeps another backend on failure).
 *
 * @param options Which backend; otherwise `LORADROP_BACKEND`, otherwise `wasm`. For `wasm`,
 *   `threads` (or `LORADROP_WASM_THREADS`) selects the multi-threaded build.
 * @returns What is active.
 * @example
 * ```ts
 * import { initBackend } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * const info = await initBackend({ backend: "cpu" });
 * assertEquals(info.active, "cpu");
 * ```
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const requested = options.backend ?? parseBackendName(readEnvBackend() ?? "wasm");
  parseBackendName(requested);
  let provider: string | undefined;
  const threads = options.threads ?? (requested === "wasm" ? readEnvWasmThreads() : undefined);
  if (threads !== undefined && requested !== "wasm") {
    throw new TypeError(
      `Cannot use ${threads} threads: expected backend "wasm", received "${requested}"`,
    );
  }
  if (threads !== undefined) {
    await initWasmThreads(threads);
  } else if (requested === "webgpu") {
    await import("@tensorflow/tfjs-backend-webgpu");
  } else if (requested === "tensorflow") {
    provider = await loadTensorflowBackend();
  }
  let ok = false;
  let reason = "tf.setBackend returned false";
  try {
    ok = await tf.setBackend(requested);
  } catch (error) {
    reason = (error as Error).message;
  }
  if (!ok || tf.getBackend() !== requested) {
    if (requested === "webgpu" && !("gpu" in navigator)) reason = "navigator.gpu is missing";
    throw new Error(
      `Cannot initialise backend "${requested}": ${reason}; the active backend is "${tf.getBackend()}"`,
    );
  }
  await tf.ready();
  const info: BackendInfo = { requested, active: tf.getBackend() };
  if (provider !== undefined) info.provider = provider;
  if (threads !== undefined) info.threads = threads;
  return info;
}
