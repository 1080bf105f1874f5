import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { initBackend, parseBackendName } from "../lib/backend.ts";

Deno.test("initBackend activates cpu and wasm and reports them", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    const info = await initBackend({ backend });
    assertEquals(info.active, backend);
  }
});

Deno.test("initBackend reads LORADROP_BACKEND", async () => {
  const old = Deno.env.get("LORADROP_BACKEND");
  Deno.env.set("LORADROP_BACKEND", "cpu");
  try {
    assertEquals((await initBackend()).active, "cpu");
    Deno.env.set("LORADROP_BACKEND", "tpu");
    await assertRejects(() => initBackend(), TypeError, '"tpu"');
  } finally {
    if (old === undefined) Deno.env.delete("LORADROP_BACKEND");
    else Deno.env.set("LORADROP_BACKEND", old);
  }
});

Deno.test("parseBackendName rejects unknown names with the value in the message", () => {
  assertThrows(() => parseBackendName("gpu"), TypeError, 'received "gpu"');
});
