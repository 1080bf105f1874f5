// Interop with real PEFT: runs tests/golden/peft_interop.py with a Python that has torch,
// transformers and peft ($LORADROP_PYTHON or the `deno task setup:python` venv; see _python.ts).
// Ignored, saying why, when no such Python is available.
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals } from "@std/assert";
import { initBackend } from "../lib/backend.ts";
import { loadHfDecoder, loadHfEncoder } from "../lib/io/hf_model.ts";
import {
  type AdapterContents,
  assignAdapter,
  hfClassificationHead,
  loadAdapter,
  saveAdapter,
} from "../lib/io/adapters.ts";
import { createTaskModel, type TaskModel } from "../lib/models/task_model.ts";
import { randomKey } from "../lib/random.ts";
import { encoderForward } from "../lib/models/encoder.ts";
import { decoderForward } from "../lib/models/decoder.ts";
import { applyPooler, classificationHead } from "../lib/models/heads.ts";
import type { ModuleName } from "../lib/models/drop_context.ts";
import type { LoraWeights } from "../lib/lora/weights.ts";
import type { Tensor2D } from "../lib/types.ts";
import { findPython, pythonTestName } from "./_python.ts";

const HF = new URL("./fixtures/hf/", import.meta.url).pathname;
const SCRIPT = new URL("./golden/peft_interop.py", import.meta.url).pathname;
const NO_DROPS = { drops: [] } as const;
const EVAL = { training: false } as const;

const probe = await findPython(["torch", "transformers", "peft", "safetensors"]);
const python = probe.python;

interface Job {
  readonly mode: "eval" | "make" | "train";
  readonly kind: "seqcls" | "causallm";
  readonly base: string;
  readonly adapter: string;
  readonly batch: { input_ids: number[][]; attention_mask: number[][]; labels?: number[] };
  readonly out: string;
  readonly seed?: number;
}

/** Runs every job in one Python process (importing torch once) and returns PEFT's logits per job. */
async function runJobs(
  jobs: Job[],
  work: string,
): Promise<{ shape: number[]; logits: number[] }[]> {
  await Deno.writeTextFile(`${work}/jobs.json`, JSON.stringify(jobs));
  const out = await new Deno.Command(python!, {
    args: [SCRIPT, "jobs", "--jobs", `${work}/jobs.json`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`peft_interop.py failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return await Promise.all(jobs.map(async (j) => JSON.parse(await Deno.readTextFile(j.out))));
}

// Right-padded ids for the tiny models (vocab 120): RoBERTa <s>=0, </s>=2, pad=1.
const IDS = [[0, 17, 45, 99, 7, 2], [0, 60, 33, 2, 1, 1]];
const MASK = [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]];

function batchTensors() {
  return {
    inputIds: tf.tensor2d(IDS, undefined, "int32") as Tensor2D,
    attentionMask: tf.tensor2d(MASK) as Tensor2D,
  };
}

/** A task model's inference logits for the RoBERTa batch. */
function taskLogits(model: TaskModel): Float32Array {
  const batch = batchTensors();
  const logits = tf.tidy(() => model.forward(batch, NO_DROPS, EVAL).logits);
  const values = logits.dataSync() as Float32Array;
  tf.dispose([logits, batch.inputIds, batch.attentionMask]);
  return values;
}

/** Frees a loaded adapter (LoRA weights and head) and its base model's weights. */
function disposeWithBase(adapter: AdapterContents, base: { readonly weights: unknown }): void {
  tf.dispose(
    [
      adapter.adapters,
      adapter.head,
      adapter.headDense,
      base.weights,
    ] as unknown as tf.TensorContainer,
  );
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertEquals(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function randomAdapters(
  numLayers: number,
  targets: ModuleName[],
  d: number,
  r: number,
  seed: number,
) {
  const out: Record<string, LoraWeights> = {};
  let s = seed;
  for (let i = 0; i < numLayers; i++) {
    for (const m of targets) {
      out[`layers.${i}.${m}`] = {
        a: tf.randomNormal([d, r], 0, 0.3, "float32", s++) as Tensor2D,
        b: tf.randomNormal([r, d], 0, 0.3, "float32", s++) as Tensor2D,
      };
    }
  }
  return out;
}

Deno.test({
  name: pythonTestName(
    "adapters interoperate with real PEFT both ways (RoBERTa, BERT, GPT-2; 1e-4)",
    probe,
  ),
  ignore: python === undefined,
  fn: async (t) => {
    await initBackend({ backend: "cpu" });
    const work = await Deno.makeTempDir();
    const jobs: Job[] = [];
    const checks: { name: string; check: (peftLogits: number[]) => Promise<void> }[] = [];
    /** PEFT runs `adapter` on `base` (an eval job); its logits must equal `values` within 1e-4. */
    const expectPeftLogits = (
      name: string,
      kind: Job["kind"],
      base: string,
      adapter: string,
      batch: Job["batch"],
      values: ArrayLike<number>,
    ) => {
      jobs.push({ mode: "eval", kind, base, adapter, batch, out: `${adapter}.json` });
      checks.push({
        name,
        check: (theirs) => {
          const diff = maxAbsDiff(values, theirs);
          assert(diff <= 1e-4, `max |Δ| ${diff}`);
          return Promise.resolve();
        },
      });
    };
    /**
     * PEFT makes the adapter `work/folder` (`job`: a random one, or a few AdamW steps); loradrop's
     * logits with it, from `ours`, must equal PEFT's within 1e-4.
     */
    const expectLoradropLogits = (
      name: string,
      folder: string,
      job: Omit<Job, "adapter" | "out">,
      ours: (adapter: string) => Promise<ArrayLike<number>>,
    ) => {
      const adapter = `${work}/${folder}`;
      jobs.push({ ...job, adapter, out: `${adapter}.json` });
      checks.push({
        name,
        check: async (theirs) => {
          const diff = maxAbsDiff(await ours(adapter), theirs);
          assert(diff <= 1e-4, `max |Δ| ${diff}`);
        },
      });
    };
    const enc = { input_ids: IDS, attention_mask: MASK };

    // loradrop → PEFT: encoders with q, v and the head (rsLora to check the scale too).
    for (const modelType of ["roberta", "bert"] as const) {
      const base = await loadHfEncoder(`${HF}${modelType}`);
      const d = 32;
      const contents: AdapterContents = {
        adapters: randomAdapters(2, ["q", "v"], d, 4, 100),
        head: {
          kernel: tf.randomNormal([d, 3], 0, 0.5, "float32", 1) as Tensor2D,
          bias: tf.randomNormal([3], 0, 0.5, "float32", 2) as tf.Tensor1D,
        },
        ...(modelType === "roberta"
          ? {
            headDense: {
              kernel: tf.randomNormal([d, d], 0, 0.3, "float32", 3) as Tensor2D,
              bias: tf.randomNormal([d], 0, 0.1, "float32", 4) as tf.Tensor1D,
            },
          }
          : {}),
      };
      const dir = `${work}/${modelType}_ours`;
      await saveAdapter(dir, contents, {
        modelType,
        baseModelName: `${HF}${modelType}`,
        targetModules: ["q", "v"],
        r: 4,
        alpha: 6,
        rsLora: true,
      });
      const batch = batchTensors();
      const ours = tf.tidy(() => {
        const h = encoderForward(base, batch, {
          plan: NO_DROPS,
          adapters: contents.adapters,
          loraScale: 6 / 2,
        }, EVAL);
        const pooler = modelType === "roberta"
          ? {
            pooling: "first",
            dense: contents.headDense!,
            activation: "tanh",
            l2Normalize: false,
          } as const
          : base.pooler!;
        return classificationHead(
          applyPooler(h, batch.attentionMask, pooler),
          contents.head!,
          NO_DROPS,
          EVAL,
        );
      });
      const values = ours.dataSync().slice();
      tf.dispose([ours, batch.inputIds, batch.attentionMask]);
      tf.dispose([contents, base.weights, base.pooler] as unknown as tf.TensorContainer);
      expectPeftLogits(
        `loradrop ${modelType} adapter → PEFT`,
        "seqcls",
        `${HF}${modelType}`,
        dir,
        enc,
        values,
      );
    }

    // PEFT → loradrop: a fresh random RoBERTa adapter made by PEFT.
    expectLoradropLogits(
      "PEFT RoBERTa adapter → loradrop",
      "roberta_peft",
      { mode: "make", kind: "seqcls", base: `${HF}roberta`, batch: enc, seed: 7 },
      async (made) => {
        const base = await loadHfEncoder(`${HF}roberta`);
        const adapter = await loadAdapter(made, base, {
          r: 4,
          alpha: 8,
          targetModules: ["q", "v"],
        });
        const batch = batchTensors();
        const ours = tf.tidy(() => {
          const h = encoderForward(base, batch, {
            plan: NO_DROPS,
            adapters: adapter.adapters,
            loraScale: adapter.loraScale,
          }, EVAL);
          return classificationHead(
            applyPooler(h, batch.attentionMask, adapter.pooler!),
            adapter.head!,
            NO_DROPS,
            EVAL,
          );
        });
        const values = ours.dataSync().slice();
        tf.dispose([ours, batch.inputIds, batch.attentionMask]);
        disposeWithBase(adapter, base);
        return values;
      },
    );

    // A RoBERTa task model with Hugging Face's head (trainable classifier.dense + out_proj on
    // <s>), every trainable value random, saved whole and run by PEFT's
    // AutoModelForSequenceClassification.
    {
      const base = await loadHfEncoder(`${HF}roberta`);
      const head = await hfClassificationHead(base, { kind: "classification", numClasses: 3 });
      const lora = { r: 4, alpha: 8, targets: ["q", "v"] as ModuleName[] };
      const model = createTaskModel(base, { lora, head }, randomKey(11));
      let seed = 300;
      for (const v of Object.values(model.trainable)) {
        v.assign(tf.randomNormal(v.shape, 0, 0.3, "float32", seed++));
      }
      const dir = `${work}/roberta_task_model`;
      await saveAdapter(dir, model, {
        modelType: "roberta",
        baseModelName: `${HF}roberta`,
        targetModules: lora.targets,
        r: lora.r,
        alpha: lora.alpha,
      });
      const values = taskLogits(model);
      model.dispose();
      tf.dispose(base.weights as unknown as tf.TensorContainer);
      expectPeftLogits(
        "loradrop RoBERTa task model (HF head) → PEFT",
        "seqcls",
        `${HF}roberta`,
        dir,
        enc,
        values,
      );
    }

    // PEFT → loradrop: an adapter trained for a few AdamW steps in PEFT, loaded into a task model.
    expectLoradropLogits(
      "PEFT-trained RoBERTa adapter → loradrop task model",
      "roberta_peft_trained",
      {
        mode: "train",
        kind: "seqcls",
        base: `${HF}roberta`,
        batch: { ...enc, labels: [2, 0] },
        seed: 9,
      },
      async (trained) => {
        const base = await loadHfEncoder(`${HF}roberta`);
        const adapter = await loadAdapter(trained, base);
        assertEquals(adapter.settings.targetModules, ["q", "v"]);
        const head = await hfClassificationHead(base, { kind: "classification", numClasses: 3 });
        const { r, alpha } = adapter.settings;
        const model = createTaskModel(base, {
          lora: { r, alpha, targets: ["q", "v"] },
          head,
        }, randomKey(0));
        assignAdapter(model, adapter);
        const values = taskLogits(model);
        model.dispose();
        disposeWithBase(adapter, base);
        return values;
      },
    );

    // GPT-2 both ways: loradrop's q/v (+ o) on the fused c_attn, and PEFT's plain c_attn LoRA.
    const ids = [[5, 17, 45, 99, 7, 2], [60, 33, 2, 8, 119, 119]];
    const dec = { input_ids: ids, attention_mask: MASK };
    const gpt2Batch = () => ({
      inputIds: tf.tensor2d(ids, undefined, "int32") as Tensor2D,
      attentionMask: tf.tensor2d(MASK) as Tensor2D,
    });
    {
      const base = await loadHfDecoder(`${HF}gpt2`);
      const adapters = randomAdapters(2, ["q", "v", "o"], 32, 2, 200);
      const dir = `${work}/gpt2_ours`;
      await saveAdapter(dir, { adapters }, {
        modelType: "gpt2",
        baseModelName: `${HF}gpt2`,
        targetModules: ["q", "v", "o"],
        r: 2,
        alpha: 4,
      });
      const batch = gpt2Batch();
      const ours = decoderForward(base, batch, { plan: NO_DROPS, adapters, loraScale: 2 }, EVAL);
      const values = ours.dataSync().slice();
      tf.dispose([ours, batch.inputIds, batch.attentionMask]);
      tf.dispose([adapters, base.weights] as unknown as tf.TensorContainer);
      expectPeftLogits(
        "loradrop GPT-2 q/v/o adapter → PEFT",
        "causallm",
        `${HF}gpt2`,
        dir,
        dec,
        values,
      );
    }
    expectLoradropLogits(
      "PEFT GPT-2 c_attn adapter → loradrop",
      "gpt2_peft",
      { mode: "make", kind: "causallm", base: `${HF}gpt2`, batch: dec, seed: 8 },
      async (madeGpt2) => {
        const base = await loadHfDecoder(`${HF}gpt2`);
        const loaded = await loadAdapter(madeGpt2, base, { targetModules: ["q", "k", "v"] });
        const batch = gpt2Batch();
        const ours = decoderForward(base, batch, {
          plan: NO_DROPS,
          adapters: loaded.adapters,
          loraScale: loaded.loraScale,
        }, EVAL);
        const values = ours.dataSync().slice();
        tf.dispose([ours, batch.inputIds, batch.attentionMask]);
        tf.dispose([loaded.adapters, base.weights] as unknown as tf.TensorContainer);
        return values;
      },
    );

    const results = await runJobs(jobs, work);
    for (let i = 0; i < checks.length; i++) {
      await t.step(checks[i]!.name, () => checks[i]!.check(results[i]!.logits));
    }
    await Deno.remove(work, { recursive: true });
  },
});
