import { assertEquals, assertThrows } from "@std/assert";
import { tensorflowBackendInstalled } from "../lib/backend.ts";
import { chooseFastestBackend } from "../lib/backend_fastest.ts";
import { shouldSetUpTensorflow } from "../cli/_backend.ts";

const base = { tensorflowInstalled: false, cores: 2, jobs: 1 } as const;

Deno.test("chooseFastestBackend: a backend asked for by name wins, --backend before LORADROP_BACKEND", () => {
  const installed = { ...base, tensorflowInstalled: true };
  assertEquals(chooseFastestBackend({ ...installed, requested: "wasm" }).backend, "wasm");
  assertEquals(chooseFastestBackend({ ...installed, envBackend: "cpu" }).backend, "cpu");
  assertEquals(
    chooseFastestBackend({ ...installed, requested: "wasm", envBackend: "cpu" }).reason,
    "asked for by --backend",
  );
  assertThrows(() => chooseFastestBackend({ ...base, requested: "cuda" }), TypeError, '"cuda"');
});

Deno.test("chooseFastestBackend: tensorflow when set up, else wasm with a thread per core for one process", () => {
  assertEquals(chooseFastestBackend({ ...base, tensorflowInstalled: true }).backend, "tensorflow");
  assertEquals(chooseFastestBackend(base), {
    backend: "wasm",
    threads: 2,
    reason: "tensorflow is not set up (deno task setup:native builds it); 2 threads, one per core",
  });
  assertEquals(chooseFastestBackend({ ...base, cores: 16 }).threads, 8);
  // Worker processes of --jobs stay on one thread each; a single core needs no threads.
  assertEquals(chooseFastestBackend({ ...base, jobs: 2 }).threads, undefined);
  assertEquals(chooseFastestBackend({ ...base, cores: 1 }).threads, undefined);
  assertEquals(chooseFastestBackend({ ...base, jobs: 2, envWasmThreads: 3 }).threads, 3);
  assertEquals(
    chooseFastestBackend({ ...base, tensorflowInstalled: undefined }).reason.startsWith(
      "whether tensorflow is set up cannot be checked",
    ),
    true,
  );
});

Deno.test("shouldSetUpTensorflow: never with a named backend, --no-setup or LORADROP_NO_SETUP", () => {
  const saved = ["LORADROP_NO_SETUP", "LORADROP_BACKEND"].map((k) => [k, Deno.env.get(k)] as const);
  try {
    Deno.env.delete("LORADROP_BACKEND");
    Deno.env.set("LORADROP_NO_SETUP", "1");
    assertEquals(shouldSetUpTensorflow({ jobs: 1 }), false);
    Deno.env.delete("LORADROP_NO_SETUP");
    assertEquals(shouldSetUpTensorflow({ jobs: 1, noSetup: true }), false);
    assertEquals(shouldSetUpTensorflow({ jobs: 1, requested: "tensorflow" }), false);
    Deno.env.set("LORADROP_BACKEND", "wasm");
    assertEquals(shouldSetUpTensorflow({ jobs: 1 }), false);
    // With nothing against it, the answer is whether tfjs-node is missing here.
    Deno.env.delete("LORADROP_BACKEND");
    assertEquals(shouldSetUpTensorflow({ jobs: 1 }), tensorflowBackendInstalled() === false);
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
});
