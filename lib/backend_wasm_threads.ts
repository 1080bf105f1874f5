/**
 * Opt-in multi-threaded wasm backend under Deno.
 *
 * tfjs-backend-wasm ships a threaded SIMD build (XNNPACK with a pthread pool), but its Node glue
 * cannot start under Deno as shipped, for three reasons this module works around during
 * `tf.setBackend("wasm")` only:
 *
 * 1. The glue creates each pthread worker with `node:worker_threads` from a `blob:` URL, which
 *    Deno's `Worker` rejects (`ERR_WORKER_PATH`). We hand it the absolute path of our own small
 *    CommonJS bootstrap instead; it speaks Emscripten's pthread worker protocol (`load`, `run`,
 *    `cancel`, `processProxyingQueue`) and loads the package's own `wasm-out` glue by path, so the
 *    main script that tfjs sends as a `Blob` is never evaluated.
 * 2. tfjs caps the pool at half the logical cores (it assumes two hyper-threads per core), so on a
 *    2-core machine it always picks 1 thread. While the module initialises, `os.cpus()` reports at
 *    least twice the requested count, so the cap equals what the caller asked for.
 * 3. The workers would keep Deno alive: once loaded they are `unref`ed.
 *
 * The backend is still named `"wasm"`; the thread count is fixed for the life of the process.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfWasm from "@tensorflow/tfjs-backend-wasm";
import os from "node:os";

/** The largest thread count: tfjs pre-creates 8 pthread workers and XNNPACK's pool uses at most 8. */
export const MAX_WASM_THREADS = 8;

/** How long the pthread workers may take to load before {@linkcode initWasmThreads} gives up. */
const LOAD_TIMEOUT_MS = 60_000;

/**
 * Checks a wasm thread count (an integer from 1 to {@linkcode MAX_WASM_THREADS}).
 *
 * @param value The count, or its decimal text (e.g. from `LORADROP_WASM_THREADS`).
 * @returns The count.
 * @example
 * ```ts
 * import { parseWasmThreads } from "./backend_wasm_threads.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 * assertEquals(parseWasmThreads("2"), 2);
 * assertThrows(() => parseWasmThreads(0), RangeError, "received 0");
 * assertThrows(() => parseWasmThreads("two"), RangeError, 'received "two"');
 * ```
 */
export function parseWasmThreads(value: string | number): number {
  const n = typeof value === "number" ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    const shown = typeof value === "number" ? String(value) : `"${value}"`;
    throw new RangeError(
      `Cannot use wasm threads: expected an integer from 1 to ${MAX_WASM_THREADS}, received ${shown}`,
    );
  }
  return n;
}

/**
 * Reads `LORADROP_WASM_THREADS` (unset, empty or no `--allow-env`: undefined).
 *
 * @returns The checked thread count, or undefined.
 * @example
 * ```ts
 * import { readEnvWasmThreads } from "./backend_wasm_threads.ts";
 * import { assertEquals } from "@std/assert";
 * Deno.env.set("LORADROP_WASM_THREADS", "2");
 * assertEquals(readEnvWasmThreads(), 2);
 * Deno.env.delete("LORADROP_WASM_THREADS");
 * assertEquals(readEnvWasmThreads(), undefined);
 * ```
 */
export function readEnvWasmThreads(): number | undefined {
  let text: string | undefined;
  try {
    text = Deno.env.get("LORADROP_WASM_THREADS");
  } catch {
    return undefined; // no --allow-env: the single-threaded default
  }
  return text === undefined || text.trim() === "" ? undefined : parseWasmThreads(text);
}

/** The part of the Emscripten module (tfjs's `backend.wasm`) this file touches. */
interface PThreadWorker {
  unref(): void;
}
interface WasmBackendWithThreads {
  wasm?: { PThread?: { runningWorkers: PThreadWorker[]; unusedWorkers: PThreadWorker[] } };
}

/** The wasm backend instance when it has been initialised, else undefined. */
function wasmBackend(): WasmBackendWithThreads | undefined {
  const registry = tf.engine().registry as Record<string, unknown>;
  return registry["wasm"] as WasmBackendWithThreads | undefined;
}

/**
 * The pthread worker bootstrap, CommonJS for `node:worker_threads`. `GLUE` (prepended when the file
 * is written) is the absolute path of the package's threaded Emscripten glue.
 */
const BOOTSTRAP = `
"use strict";
const { parentPort } = require("node:worker_threads");
let mod = {};
let started = false;
const early = [];
// The glue posts to its parent with a global postMessage and announces readiness with startWorker.
globalThis.postMessage = (message, transfer) => parentPort.postMessage(message, transfer);
globalThis.startWorker = (instance) => {
  mod = instance;
  parentPort.postMessage({ cmd: "loaded" });
};
function load(data) {
  const factory = require(GLUE);
  const m = {
    ENVIRONMENT_IS_PTHREAD: true,
    wasmModule: data.wasmModule,
    wasmMemory: data.wasmMemory,
    buffer: data.wasmMemory.buffer,
  };
  m.instantiateWasm = (imports, receive) => {
    const instance = new WebAssembly.Instance(m.wasmModule, imports);
    receive(instance);
    m.wasmModule = null;
    return instance.exports;
  };
  for (const name of data.handlers) {
    m[name] = (...args) => parentPort.postMessage({ cmd: "callHandler", handler: name, args });
  }
  mod = m;
  factory(m);
}
function run(data) {
  mod.__emscripten_thread_init(data.pthread_ptr, 0, 0, 1);
  mod.establishStackSpace();
  mod.PThread.receiveObjectTransfer(data);
  mod.PThread.threadInitTLS();
  if (!started) {
    started = true;
    for (const queue of early.splice(0)) mod.executeNotifiedProxyingQueue(queue);
  }
  try {
    mod.invokeEntryPoint(data.start_routine, data.arg);
  } catch (error) {
    if (error === "unwind") return;
    if (error instanceof mod.ExitStatus) {
      if (!mod.keepRuntimeAlive()) mod.__emscripten_thread_exit(error.status);
      return;
    }
    throw error;
  }
}
parentPort.on("message", (data) => {
  try {
    if (data.cmd === "load") {
      try {
        load(data);
      } catch (error) {
        // Uncaught in a worker, this ends the process: say which file failed.
        throw new Error("Cannot start wasm threads: a pthread worker could not load " + GLUE +
          ": " + (error && error.message));
      }
    }
    else if (data.cmd === "run") run(data);
    else if (data.cmd === "cancel") {
      if (mod._pthread_self()) mod.__emscripten_thread_exit(-1);
    } else if (data.cmd === "processProxyingQueue") {
      if (started) mod.executeNotifiedProxyingQueue(data.queue);
      else early.push(data.queue);
    } else if (data.target !== "setimmediate" && data.cmd) {
      throw new Error("loradrop pthread bootstrap: unknown command " + data.cmd);
    }
  } catch (error) {
    if (mod.__emscripten_thread_crashed) mod.__emscripten_thread_crashed();
    throw error;
  }
});
`;

/** The package's threaded Emscripten glue, as a file path. */
function threadedGluePath(): string {
  const entry = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
  const glue = new URL("../wasm-out/tfjs-backend-wasm-threaded-simd.js", entry);
  if (glue.protocol !== "file:") {
    throw new Error(
      `Cannot start wasm threads: expected @tensorflow/tfjs-backend-wasm on disk, received ${entry}`,
    );
  }
  const path = decodeURIComponent(glue.pathname);
  try {
    Deno.statSync(path);
  } catch (error) {
    throw new Error(
      `Cannot start wasm threads: expected the threaded glue at ${path}, received ${
        (error as Error).name
      }`,
    );
  }
  return path;
}

function threadsWord(n: number): string {
  return n === 1 ? "1 thread" : `${n} threads`;
}

/** Runs `init` with the three work-arounds in place, and undoes them afterwards. */
async function withThreadPatches<T>(
  threads: number,
  bootstrapPath: string,
  init: () => Promise<T>,
): Promise<T> {
  const createObjectURL = URL.createObjectURL;
  const osCpus = os.cpus;
  const webWorker = globalThis.Worker;
  URL.createObjectURL = (object: Blob) =>
    object instanceof Blob && object.type === "application/javascript"
      ? bootstrapPath
      : createObjectURL(object);
  // tfjs uses half the logical cores and reads only their number: report twice the requested
  // count (placeholder entries, so no --allow-sys is needed).
  os.cpus = () =>
    Array.from({ length: 2 * threads }, () => ({
      model: "loradrop wasm threads",
      speed: 0,
      times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 },
    }));
  try {
    return await init();
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = osCpus;
    // The glue replaces the global Worker with node's for its own use: give Deno's back.
    globalThis.Worker = webWorker;
  }
}

/**
 * Initialises the wasm backend with `threads` XNNPACK threads (and makes it the active backend).
 * `1` is tfjs's ordinary single-threaded SIMD build; more start pthread workers (see the module
 * notes). The count is fixed for the process: asking for another count once the wasm backend exists
 * throws. Throws when the threads cannot start, never falls back. More than one thread needs
 * `--allow-read` and `--allow-write` (a temporary bootstrap file, removed once the workers have
 * loaded it).
 *
 * @param threads The thread count, 1 to {@linkcode MAX_WASM_THREADS}.
 * @returns The thread count XNNPACK reports.
 * @example
 * ```ts
 * import { initWasmThreads } from "./backend_wasm_threads.ts";
 * import { assertRejects } from "@std/assert";
 * await assertRejects(() => initWasmThreads(9), RangeError, "from 1 to 8");
 * ```
 */
export async function initWasmThreads(threads: number): Promise<number> {
  parseWasmThreads(threads);
  // tf.findBackend would start the backend (single-threaded) as a side effect: read the registry.
  if (wasmBackend() !== undefined) {
    const current = tfWasm.getThreadsCount();
    if (current !== threads) {
      throw new Error(
        `Cannot use ${threadsWord(threads)} on wasm: expected the thread count before the wasm ` +
          `backend starts, received a backend already running with ${threadsWord(current)}`,
      );
    }
    return current;
  }
  if (threads === 1) {
    if (!(await tf.setBackend("wasm"))) {
      throw new Error(`Cannot initialise backend "wasm": tf.setBackend returned false`);
    }
    return tfWasm.getThreadsCount();
  }
  const glue = threadedGluePath();
  let bootstrapPath: string;
  try {
    bootstrapPath = Deno.makeTempFileSync({ prefix: "loradrop-pthread-", suffix: ".cjs" });
    Deno.writeTextFileSync(bootstrapPath, `const GLUE = ${JSON.stringify(glue)};\n${BOOTSTRAP}`);
  } catch (error) {
    throw new Error(
      `Cannot start ${threadsWord(threads)} on wasm: expected to write a temporary pthread ` +
        `bootstrap file (--allow-write), received ${(error as Error).message}`,
    );
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    tfWasm.setThreadsCount(threads);
    const started = await withThreadPatches(threads, bootstrapPath, () =>
      Promise.race([
        tf.setBackend("wasm"),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() =>
            reject(
              new Error(
                `Cannot start ${threadsWord(threads)} on wasm: expected the pthread workers to ` +
                  `load, received no answer within ${LOAD_TIMEOUT_MS / 1000} s`,
              ),
            ), LOAD_TIMEOUT_MS);
        }),
      ]));
    if (!started) {
      throw new Error(
        `Cannot start ${threadsWord(threads)} on wasm: tf.setBackend("wasm") returned false`,
      );
    }
  } finally {
    clearTimeout(timer);
    try {
      Deno.removeSync(bootstrapPath);
    } catch {
      // already gone: nothing to clean
    }
  }
  const pthread = wasmBackend()?.wasm?.PThread;
  if (pthread === undefined) {
    throw new Error(
      `Cannot start ${threadsWord(threads)} on wasm: expected the threaded SIMD build, ` +
        `received a build without pthreads (is WASM_HAS_SIMD_SUPPORT false?)`,
    );
  }
  // Idle pool threads wait forever: they must not keep Deno running.
  for (const worker of [...pthread.runningWorkers, ...pthread.unusedWorkers]) worker.unref();
  const actual = tfWasm.getThreadsCount();
  if (actual !== threads) {
    throw new Error(
      `Cannot start ${threadsWord(threads)} on wasm: expected XNNPACK to report ${threads}, ` +
        `received ${actual}`,
    );
  }
  return actual;
}
