import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { initBackend } from "../lib/backend.ts";
import { MAX_WASM_THREADS, parseWasmThreads } from "../lib/backend_wasm_threads.ts";

interface ProbeResult {
  info: { requested: string; active: string; threads?: number };
  product: number[];
  gradient: number[];
  mismatch: string;
}

const PROBE = new URL("./_wasm_threads_probe.ts", import.meta.url).pathname;
const EXIT_TIMEOUT_MS = 90_000;

/** Runs the probe in its own process; fails when it errs or does not exit by itself. */
async function probe(threads?: number): Promise<ProbeResult> {
  const args = ["run", "--allow-read", "--allow-write", "--allow-env", PROBE];
  if (threads !== undefined) args.push(String(threads));
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, EXIT_TIMEOUT_MS);
  const out = await child.output();
  clearTimeout(timer);
  const stderr = new TextDecoder().decode(out.stderr);
  assert(!timedOut, `the probe (threads ${threads}) did not exit within ${EXIT_TIMEOUT_MS} ms`);
  assert(out.success, `the probe (threads ${threads}) failed:\n${stderr}`);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as ProbeResult;
}

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  assertEquals(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

Deno.test({
  name: "wasm with 2 threads matches 1 thread (matmul, gradient) and the process exits by itself",
  // Each probe is a subprocess: the thread count is fixed per process.
  fn: async () => {
    const [single, threaded] = [await probe(), await probe(2)];
    assertEquals(single.info, { requested: "wasm", active: "wasm" });
    assertEquals(threaded.info, { requested: "wasm", active: "wasm", threads: 2 });
    const dp = maxAbsDiff(single.product, threaded.product);
    const dg = maxAbsDiff(single.gradient, threaded.gradient);
    assert(dp <= 1e-5, `matmul differs by ${dp}`);
    assert(dg <= 1e-5, `gradient differs by ${dg}`);
    assert(single.gradient.some((v) => v !== 0), "the gradient is all zeros");
    // Another count once wasm runs is an error, not a silent keep.
    assertStringIncludes(threaded.mismatch, "Cannot use 3 threads on wasm");
    assertStringIncludes(threaded.mismatch, "already running with 2 threads");
    assertStringIncludes(single.mismatch, "already running with 1 thread");
  },
});

Deno.test("parseWasmThreads accepts 1 to 8 and names a bad value", () => {
  assertEquals(parseWasmThreads(1), 1);
  assertEquals(parseWasmThreads(` ${MAX_WASM_THREADS} `), MAX_WASM_THREADS);
  for (const bad of [0, 9, 1.5, -2, NaN]) {
    assertThrows(() => parseWasmThreads(bad), RangeError, `received ${bad}`);
  }
  for (const bad of ["", "2x", "0x2", "1e0"]) {
    assertThrows(() => parseWasmThreads(bad), RangeError, `received "${bad}"`);
  }
});

Deno.test("initBackend rejects a bad thread count and threads on other backends", async () => {
  await assertRejects(
    () => initBackend({ backend: "wasm", threads: 0 }),
    RangeError,
    "from 1 to 8",
  );
  await assertRejects(
    () => initBackend({ backend: "cpu", threads: 2 }),
    TypeError,
    'expected backend "wasm", received "cpu"',
  );
});

Deno.test("LORADROP_WASM_THREADS is read for wasm only and checked", async () => {
  const old = Deno.env.get("LORADROP_WASM_THREADS");
  try {
    Deno.env.set("LORADROP_WASM_THREADS", "lots");
    await assertRejects(() => initBackend({ backend: "wasm" }), RangeError, 'received "lots"');
    // Other backends ignore it, so a global setting does not break cpu runs.
    assertEquals((await initBackend({ backend: "cpu" })).active, "cpu");
  } finally {
    if (old === undefined) Deno.env.delete("LORADROP_WASM_THREADS");
    else Deno.env.set("LORADROP_WASM_THREADS", old);
  }
});
