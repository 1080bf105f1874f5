// loadAdapter against hostile adapter folders: a target_modules regex that would make a
// backtracking engine run forever, unsupported regex syntax, non-float dtypes and NaN/Infinity
// in the tensors. Each is a clear error naming the value, never a hang or a silent load.
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals, assertRejects } from "@std/assert";
import { initBackend } from "../lib/backend.ts";
import { loadHfEncoder } from "../lib/io/hf_model.ts";
import {
  readSafetensors,
  type SafetensorsInput,
  serializeSafetensors,
} from "../lib/io/safetensors.ts";
import { loadAdapter } from "../lib/io/adapters.ts";

const HF = new URL("./fixtures/hf/", import.meta.url).pathname;
const FIXTURE = `${HF}roberta_cls_lora`;
const QA = "base_model.model.roberta.encoder.layer.1.attention.self.query.lora_A.weight";

/** A copy of the RoBERTa fixture adapter in a new temporary folder, edited. */
async function variant(
  edit: (t: Record<string, SafetensorsInput>, c: Record<string, unknown>) => void,
): Promise<string> {
  const src = await readSafetensors(`${FIXTURE}/adapter_model.safetensors`);
  const config = JSON.parse(await Deno.readTextFile(`${FIXTURE}/adapter_config.json`));
  const dir = await Deno.makeTempDir();
  const tensors: Record<string, SafetensorsInput> = {};
  for (const [k, e] of src.tensors) tensors[k] = { shape: e.shape, data: e.data.slice() };
  edit(tensors, config);
  await Deno.writeFile(`${dir}/adapter_model.safetensors`, serializeSafetensors(tensors));
  await Deno.writeTextFile(`${dir}/adapter_config.json`, JSON.stringify(config));
  return dir;
}

/**
 * Runs loadAdapter in a child Deno process so that a hang fails the test after `ms` instead of
 * blocking it; resolves with the error message, or "loaded".
 */
async function loadInChild(dir: string, ms: number): Promise<string> {
  const adapters = new URL("../lib/io/adapters.ts", import.meta.url).href;
  const hfModel = new URL("../lib/io/hf_model.ts", import.meta.url).href;
  const backend = new URL("../lib/backend.ts", import.meta.url).href;
  const code = `
    import { loadAdapter } from ${JSON.stringify(adapters)};
    import { loadHfEncoder } from ${JSON.stringify(hfModel)};
    import { initBackend } from ${JSON.stringify(backend)};
    await initBackend({ backend: "cpu" });
    const base = await loadHfEncoder(${JSON.stringify(`${HF}roberta`)});
    try {
      await loadAdapter(${JSON.stringify(dir)}, base);
      console.log("loaded");
    } catch (error) {
      console.log(error.message);
    }
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", "--quiet", code],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(ms),
  }).output().catch((error: Error) => {
    throw new Error(`loadAdapter did not return within ${ms} ms (${error.name})`);
  });
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("loadAdapter matches a catastrophic target_modules regex in linear time", async () => {
  const dir = await variant((_, c) => c.target_modules = "(.*.*.*)*X");
  try {
    const message = await loadInChild(dir, 120_000);
    assert(
      message.includes(`target_modules "(.*.*.*)*X" selects no roberta module`),
      message,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadAdapter reads a target_modules regex with PEFT's full-match semantics", async () => {
  await initBackend({ backend: "cpu" });
  const base = await loadHfEncoder(`${HF}roberta`);
  const patterns = [
    "roberta\\.encoder\\.layer\\.\\d+\\.attention\\.self\\.(query|value)",
    ".*\\.(query|value)",
    "^.*encoder\\.layer\\.[0-9]{1,2}\\.attention\\.self\\.(?:query|value)$",
  ];
  for (const pattern of patterns) {
    const dir = await variant((_, c) => c.target_modules = pattern);
    const loaded = await loadAdapter(dir, base);
    assertEquals(loaded.settings.targetModules, ["q", "v"], pattern);
    tf.dispose([loaded.adapters, loaded.head, loaded.headDense] as unknown as tf.TensorContainer);
    await Deno.remove(dir, { recursive: true });
  }
  tf.dispose(base.weights as unknown as tf.TensorContainer);
});

Deno.test("loadAdapter names unsupported regex syntax and per-layer selections", async () => {
  await initBackend({ backend: "cpu" });
  const base = await loadHfEncoder(`${HF}roberta`);
  const cases: [string, string][] = [
    ["(?=query).*", `"(?=query).*": a look-around at offset 0 is not supported`],
    ["(query)\\1", "a back-reference or octal escape at offset 7 is not supported"],
    ["(?i).*QUERY", "an inline flag or extension group at offset 0 is not supported"],
    [".*query\\b", 'the escape "\\b" at offset 7 is not supported'],
    [".*(query|value", 'missing ")" for the group at offset 2'],
    [
      ".*layer\\.0\\.attention\\.self\\.(query|value)",
      "selects [q, v] in layer 0 but [] in layer 1",
    ],
  ];
  for (const [pattern, message] of cases) {
    const dir = await variant((_, c) => c.target_modules = pattern);
    const error = await assertRejects(() => loadAdapter(dir, base), Error);
    assert(error.message.includes(message), `${error.message}\n  should include: ${message}`);
    assert(error.message.startsWith(`Cannot load adapter ${dir}: `), error.message);
    await Deno.remove(dir, { recursive: true });
  }
  tf.dispose(base.weights as unknown as tf.TensorContainer);
});

Deno.test("loadAdapter rejects non-float dtypes and NaN/Infinity, naming the tensor", async () => {
  await initBackend({ backend: "cpu" });
  const base = await loadHfEncoder(`${HF}roberta`);
  const before = tf.memory().numTensors;
  const poison = (value: number) => (t: Record<string, SafetensorsInput>) => {
    const data = t[QA]!.data.slice() as Float32Array;
    data[5] = value;
    t[QA] = { shape: t[QA]!.shape, data };
  };
  const cases: [Parameters<typeof variant>[0], string][] = [
    [(t) => {
      t[QA] = { shape: t[QA]!.shape, data: Int32Array.from(t[QA]!.data, Math.round) };
    }, `key "${QA}" must have a float dtype, received I32`],
    [poison(NaN), `key "${QA}" holds NaN at index 5, expected finite values`],
    [poison(Infinity), `key "${QA}" holds Infinity at index 5, expected finite values`],
    [
      (t) => {
        const bias = "base_model.model.classifier.out_proj.bias";
        t[bias] = {
          shape: t[bias]!.shape,
          data: Float32Array.from(t[bias]!.data, () => -Infinity),
        };
      },
      `key "base_model.model.classifier.out_proj.bias" holds -Infinity at index 0`,
    ],
    [(_, c) => c.exclude_modules = ["query"], 'exclude_modules ["query"] is not supported'],
  ];
  cases.push([poison(3e7), `key "${QA}" holds 30000000 at index 5, beyond ±1000000`]);
  for (const [edit, message] of cases) {
    const dir = await variant(edit);
    const error = await assertRejects(() => loadAdapter(dir, base), Error);
    assert(error.message.includes(message), `${error.message}\n  should include: ${message}`);
    assert(error.message.startsWith(`Cannot load adapter ${dir}: `), error.message);
    await Deno.remove(dir, { recursive: true });
  }
  assertEquals(tf.memory().numTensors, before, "failed loads leave no tensors behind");
  tf.dispose(base.weights as unknown as tf.TensorContainer);
});
