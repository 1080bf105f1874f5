// Hugging Face's sequence-classification heads for task models: a checkpoint's own classifier
// initialises them, a classifier of another size is an error unless asked to start afresh.
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals, assertRejects } from "@std/assert";
import { initBackend } from "../lib/backend.ts";
import { loadHfEncoder } from "../lib/io/hf_model.ts";
import { hfClassificationHead } from "../lib/io/adapters.ts";
import { readSafetensors, type SafetensorsInput, writeSafetensors } from "../lib/io/safetensors.ts";
import { createTaskModel } from "../lib/models/task_model.ts";
import { randomKey } from "../lib/random.ts";

const HF = new URL("./fixtures/hf/", import.meta.url).pathname;

/** A copy of a fixture checkpoint with extra tensors (a fine-tuned classifier). */
async function withHead(name: string, extra: Record<string, SafetensorsInput>): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.copyFile(`${HF}${name}/config.json`, `${dir}/config.json`);
  const src = await readSafetensors(`${HF}${name}/model.safetensors`);
  const tensors: Record<string, SafetensorsInput> = { ...extra };
  for (const [k, e] of src.tensors) tensors[k] = { shape: e.shape, data: e.data };
  await writeSafetensors(`${dir}/model.safetensors`, tensors);
  return dir;
}

function ramp(n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i + 1) * scale);
}

Deno.test("hfClassificationHead starts RoBERTa and BERT heads from the checkpoint's classifier", async () => {
  await initBackend({ backend: "cpu" });
  const d = 32;
  const cases = [
    {
      name: "roberta",
      extra: {
        "classifier.dense.weight": { shape: [d, d], data: ramp(d * d, 0.1) },
        "classifier.dense.bias": { shape: [d], data: ramp(d, 0.2) },
        "classifier.out_proj.weight": { shape: [3, d], data: ramp(3 * d, 0.3) },
        "classifier.out_proj.bias": { shape: [3], data: ramp(3, 0.4) },
      },
      out: "classifier.out_proj",
    },
    {
      name: "bert",
      extra: {
        "classifier.weight": { shape: [3, d], data: ramp(3 * d, 0.3) },
        "classifier.bias": { shape: [3], data: ramp(3, 0.4) },
      },
      out: "classifier",
    },
  ] as const;
  for (const c of cases) {
    const dir = await withHead(c.name, c.extra);
    const base = await loadHfEncoder(dir);
    assert(base.ignoredKeys.includes(`${c.out}.weight`));
    const head = await hfClassificationHead(base, { kind: "classification", numClasses: 3 });
    assertEquals(head.pooling, c.name === "roberta" ? "first" : "pooler");
    const model = createTaskModel(base, { head }, randomKey(0));
    // torch's (out, in) weight is the transposed kernel.
    const kernel = model.trainable["head.kernel"]!;
    const weight = (c.extra as Record<string, SafetensorsInput>)[`${c.out}.weight`]!;
    const expected = tf.transpose(tf.tensor2d(weight.data as Float32Array, [3, d])); // (in, out)
    assertEquals(kernel.arraySync(), expected.arraySync());
    assertEquals(
      Array.from(model.trainable["head.bias"]!.dataSync()),
      Array.from(ramp(3, 0.4)),
    );
    if (c.name === "roberta") {
      assertEquals(
        Array.from(model.trainable["head.dense.bias"]!.dataSync()),
        Array.from(ramp(d, 0.2)),
      );
    }
    await assertRejects(
      () => hfClassificationHead(base, { kind: "classification", numClasses: 2 }),
      RangeError,
      `the checkpoint's ${c.out} has 3 outputs, the task 2`,
    );
    const fresh = await hfClassificationHead(base, {
      kind: "classification",
      numClasses: 2,
      ignoreMismatchedHead: true,
    });
    assertEquals(fresh.init, undefined);
    model.dispose();
    tf.dispose(
      [
        expected,
        head.init?.out,
        head.init?.dense,
        base.weights,
        base.pooler,
      ] as unknown as tf.TensorContainer,
    );
    await Deno.remove(dir, { recursive: true });
  }
});
