// The tensorflow backend (tfjs-node built by `deno task setup:native`). Runs when the addon is
// present, and is ignored (with the reason in its name) where setup:native has not been run.
import * as tf from "@tensorflow/tfjs-core";
import { assertEquals, assertRejects } from "@std/assert";
import { initBackend } from "../lib/backend.ts";

const PKG_DIR = new URL(
  "../node_modules/.deno/@tensorflow+tfjs-node@4.22.0/node_modules/@tensorflow/tfjs-node/",
  import.meta.url,
);

function installed(): boolean {
  try {
    Deno.statSync(new URL("lib/napi-v8/tfjs_binding.node", PKG_DIR));
    return true;
  } catch {
    return false;
  }
}

const ready = installed();

Deno.test({
  name: `initBackend("tensorflow") activates tfjs-node and computes with it${
    ready ? "" : " (needs deno task setup:native)"
  }`,
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const info = await initBackend({ backend: "tensorflow" });
    assertEquals(info.active, "tensorflow");
    assertEquals(info.provider?.startsWith("@tensorflow/tfjs-node"), true);
    const before = tf.memory().numTensors;
    const got = tf.tidy(() =>
      Array.from(tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]])).dataSync())
    );
    assertEquals(got, [19, 22, 43, 50]);
    // A gradient through a kernel tfjs-node runs natively.
    const g = tf.tidy(() =>
      Array.from(tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, -2])).dataSync())
    );
    assertEquals(g, [2, -4]);
    assertEquals(tf.memory().numTensors, before);
    await initBackend({ backend: "cpu" }); // leave the default for the tests that follow
  },
});

Deno.test({
  name: "initBackend rejects an unknown backend before loading anything",
  fn: async () => {
    await assertRejects(
      // @ts-expect-error: an untyped caller's wrong name
      () => initBackend({ backend: "tensorflow-gpu" }),
      TypeError,
      '"tensorflow-gpu"',
    );
  },
});
