// Test helper: registers one Deno.test per backend (cpu and wasm by default).
import * as tf from "@tensorflow/tfjs-core";
import { type BackendName, initBackend } from "../lib/backend.ts";

/** The backends every numeric test runs on; `LORADROP_TEST_BACKENDS=cpu,wasm,tensorflow` overrides. */
export const TEST_BACKENDS: readonly BackendName[] = (Deno.env.get("LORADROP_TEST_BACKENDS") ??
  "cpu,wasm").split(",").map((s) => s.trim() as BackendName);

/** Registers `fn` as `name [backend]` for every test backend. */
export function testOnBackends(
  name: string,
  fn: (backend: BackendName) => void | Promise<void>,
  options: { ignore?: boolean } = {},
): void {
  for (const backend of TEST_BACKENDS) {
    Deno.test({
      name: `${name} [${backend}]`,
      ignore: options.ignore ?? false,
      sanitizeResources: false,
      sanitizeOps: false,
      fn: async () => {
        await initBackend({ backend });
        await fn(backend);
      },
    });
  }
}

/** Runs `fn` and fails when it leaves tensors behind. */
export async function assertNoLeak(what: string, fn: () => void | Promise<void>): Promise<void> {
  const before = tf.memory().numTensors;
  await fn();
  const after = tf.memory().numTensors;
  if (after !== before) {
    throw new Error(`${what} leaked ${after - before} tensors (${before} before, ${after} after)`);
  }
}
