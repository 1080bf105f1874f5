// The wasm backend's row-copying GatherV2: the same rows as a plain JS lookup on every shape, the
// fallback for other axes, and a clear error for an index out of range.
import * as tf from "@tensorflow/tfjs-core";
import { assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../lib/backend.ts";
import { assertNoLeak } from "./_backends.ts";

function lookup(table: number[][], ids: number[]): number[][] {
  return ids.map((i) => table[i]!);
}

Deno.test("wasm GatherV2: rows along axis 0 (any index shape, negative axis), fallback for axis 1", async () => {
  await initBackend({ backend: "wasm" });
  const rows = Array.from({ length: 7 }, (_, r) => Array.from({ length: 5 }, (_, c) => r * 10 + c));
  const table = tf.tensor2d(rows);
  await assertNoLeak("gather", () =>
    tf.tidy(() => {
      const ids = [6, 0, 3, 3];
      const a = tf.gather(table, tf.tensor1d(ids, "int32"));
      assertEquals(a.arraySync(), lookup(rows, ids));
      const b = tf.gather(table, tf.tensor2d([[1, 2], [5, 4]], [2, 2], "int32"), -2);
      assertEquals(b.shape, [2, 2, 5]);
      assertEquals(b.arraySync(), [lookup(rows, [1, 2]), lookup(rows, [5, 4])]);
      const c = tf.gather(table, tf.tensor1d([4, 1], "int32"), 1); // tfjs's own kernel
      assertEquals(c.arraySync(), rows.map((r) => [r[4]!, r[1]!]));
      const ints = tf.gather(tf.tensor1d([9, 8, 7], "int32"), tf.tensor1d([2, 2, 0], "int32"));
      assertEquals(Array.from(ints.dataSync()), [7, 7, 9]);
      const cube = tf.gather(tf.reshape(table, [7, 1, 5]), tf.tensor1d([5], "int32"));
      assertEquals(cube.arraySync(), [[rows[5]!]]);
    }));
  const bad = tf.tensor1d([1, 7], "int32");
  assertThrows(() => tf.gather(table, bad), RangeError, "expected indices in [0, 6], received 7");
  tf.dispose([table, bad]);
});
