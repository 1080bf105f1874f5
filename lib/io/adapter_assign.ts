/**
 * Copying an adapter's weights into a task model's trainable variables.
 *
 * @module
 */
import type { Tensor } from "../types.ts";
import type { TaskModel } from "../models/task_model.ts";
import type { AdapterContents } from "./adapter_save.ts";

/**
 * Copies a loaded adapter's weights into a task model's trainable variables (strict: every
 * adapter and the head, RoBERTa's `head.dense` included, must match the model's keys and shapes).
 *
 * @param model The task model (e.g. made with the adapter's r, α, targets and head layout).
 * @param contents The adapter, e.g. from `loadAdapter`.
 * @returns Nothing; the model's variables hold the adapter's values.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { createTaskModel } from "@loradrop/core/models";
 * import { tinyEncoder } from "../models/_tiny_encoder.ts";
 * import { randomKey } from "@loradrop/core";
 * import { assignAdapter } from "@loradrop/core/io";
 * import { taskModelAdapter } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const base = tinyEncoder();
 * const opts = { head: { kind: "classification", numClasses: 2, pooling: "mean" } } as const;
 * const m1 = createTaskModel(base, opts, randomKey(1));
 * const m2 = createTaskModel(base, opts, randomKey(2));
 * assignAdapter(m2, taskModelAdapter(m1));
 * assertEquals(m2.trainable["head.kernel"]!.arraySync(), m1.trainable["head.kernel"]!.arraySync());
 * m1.dispose(); m2.dispose();
 * tf.dispose(base.weights as unknown as tf.TensorContainer);
 * ```
 */
export function assignAdapter(model: TaskModel, contents: AdapterContents): void {
  const pairs: [string, Tensor][] = [];
  for (const [key, w] of Object.entries(contents.adapters)) {
    pairs.push([`${key}.lora_a`, w.a], [`${key}.lora_b`, w.b]);
  }
  if (contents.head !== undefined) {
    pairs.push(["head.kernel", contents.head.kernel]);
    if (contents.head.bias !== undefined) pairs.push(["head.bias", contents.head.bias]);
  }
  if (contents.headDense !== undefined && "head.dense.kernel" in model.trainable) {
    pairs.push(["head.dense.kernel", contents.headDense.kernel]);
    if (contents.headDense.bias !== undefined) {
      pairs.push(["head.dense.bias", contents.headDense.bias]);
    }
  }
  const names = new Set(pairs.map(([n]) => n));
  for (const name of Object.keys(model.trainable)) {
    if (!names.has(name)) {
      throw new TypeError(
        `Cannot assign adapter: the model's "${name}" has no value in the adapter`,
      );
    }
  }
  for (const [name, value] of pairs) {
    const v = model.trainable[name];
    if (v === undefined) {
      throw new TypeError(
        `Cannot assign adapter: "${name}" is not a trainable variable of the model`,
      );
    }
    if (v.shape.join(",") !== value.shape.join(",")) {
      throw new RangeError(
        `Cannot assign adapter: "${name}" has shape [${value.shape}], the model's [${v.shape}]`,
      );
    }
  }
  for (const [name, value] of pairs) model.trainable[name]!.assign(value);
}
