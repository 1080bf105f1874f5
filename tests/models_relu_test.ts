// loradrop's ReLU: the same values and gradient as tfjs's (0 at x = 0), on every test backend.
import * as tf from "@tensorflow/tfjs-core";
import { assertEquals, assertThrows } from "@std/assert";
import { relu } from "../lib/models/relu.ts";
import { assertNoLeak, testOnBackends } from "./_backends.ts";

testOnBackends("relu equals tf.relu, values and gradient, and does not leak", async () => {
  const x = tf.tensor2d([[-2, -0.5, 0, 0.25], [1, -1e-7, 3, 0]]);
  const w = tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 8]]);
  await assertNoLeak("relu", () => {
    const y = relu(x), want = tf.relu(x);
    assertEquals(Array.from(y.dataSync()), Array.from(want.dataSync()));
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(relu(v), w)))(x);
    const gWant = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), w)))(x);
    assertEquals(Array.from(g.dataSync()), Array.from(gWant.dataSync()));
    assertEquals(Array.from(g.dataSync()), [0, 0, 0, 4, 5, 0, 7, 0]);
    tf.dispose([y, want, g, gWant]);
  });
  assertThrows(() => relu(tf.tensor1d([1], "int32")), TypeError, "float32");
  tf.dispose([x, w]);
});
