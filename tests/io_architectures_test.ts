// A new layout is one descriptor: a toy DistilBERT-like encoder (other config keys, other module
// names, no token types, its own head and tokenizer post-processor) registered as one row of the
// architecture table is read by parseHfConfig and loadHfEncoder, trained with LoRA, saved as a
// PEFT adapter and loaded back — and once the row is gone, nothing knows the layout.
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { testOnBackends } from "./_backends.ts";
import { initBackend } from "../lib/backend.ts";
import { foldIn, randomKey, uniform } from "../lib/random.ts";
import {
  type EncoderArchitecture,
  registerArchitecture,
  unregisterArchitecture,
} from "../lib/io/architectures/table.ts";
import { parseHfConfig } from "../lib/io/hf_config.ts";
import { loadHfEncoder } from "../lib/io/hf_model.ts";
import { type SafetensorsInput, serializeSafetensors } from "../lib/io/safetensors.ts";
import { hfClassificationHead } from "../lib/io/adapter_hf_head.ts";
import { saveAdapter } from "../lib/io/adapter_save.ts";
import { loadAdapter } from "../lib/io/adapter_load.ts";
import { assignAdapter } from "../lib/io/adapter_assign.ts";
import { readSafetensors } from "../lib/io/safetensors.ts";
import { specialTokenLayout } from "../lib/tokenizers/_layout.ts";
import { createTaskModel, type TaskModelOptions } from "../lib/models/task_model.ts";
import type { DropoutPlan } from "../lib/dropout/spec.ts";
import { createAdamW, disposeAdamW } from "../lib/train/adamw.ts";
import { trainStep } from "../lib/train/train_step.ts";
import { encoderForward } from "../lib/models/encoder.ts";
import { findPython, pythonTestName } from "./_python.ts";

/** A DistilBERT-like layout (its config keys and module names; the head's dense uses tanh). */
const TOY: EncoderArchitecture<"toy-distilbert"> = {
  modelType: "toy-distilbert",
  title: "Toy DistilBERT",
  kind: "encoder",
  config: {
    keys: {
      vocabSize: "vocab_size",
      hiddenDim: "dim",
      numLayers: "n_layers",
      numHeads: "n_heads",
      ffnDim: "hidden_dim",
      maxPositions: "max_position_embeddings",
      activation: "activation",
      padTokenId: "pad_token_id",
    }, // no layer-norm key (always 1e-12), no token types
    defaults: { layerNormEps: 1e-12, activation: "gelu", padTokenId: 0, typeVocabSize: 0 },
    positions: "zero",
    check: (json) =>
      json.sinusoidal_pos_embds === true
        ? "sinusoidal_pos_embds true is not supported (loradrop learns its positions)"
        : undefined,
  },
  weights: {
    taskPrefix: "distilbert.",
    kernelLayout: "out-in",
    tokenEmbedding: "embeddings.word_embeddings",
    positionEmbedding: "embeddings.position_embeddings",
    embeddingNorm: "embeddings.LayerNorm",
    layer: "transformer.layer.{i}",
    modules: {
      q: "attention.q_lin",
      k: "attention.k_lin",
      v: "attention.v_lin",
      o: "attention.out_lin",
      "ffn-in": "ffn.lin1",
      "ffn-out": "ffn.lin2",
    },
    attentionNorm: "sa_layer_norm",
    ffnNorm: "output_layer_norm",
    buffers: [],
    otherHeads: [/^vocab_/, /^pre_classifier\./, /^classifier\./],
  },
  head: {
    out: "classifier",
    dense: "pre_classifier",
    pooling: "first",
    describe: "pre_classifier + tanh on the first token, then classifier",
  },
  tokenizer: { postProcessor: "ToyProcessing", clsSep: { pairSeparators: 1, secondTypeId: 0 } },
  peft: {
    targetNames: {
      q: "q_lin",
      k: "k_lin",
      v: "v_lin",
      o: "out_lin",
      "ffn-in": "lin1",
      "ffn-out": "lin2",
    },
  },
};

const DIM = 8, HEADS = 2, LAYERS = 2, FFN = 16, VOCAB = 30, POSITIONS = 16;

const CONFIG = {
  model_type: "toy-distilbert",
  vocab_size: VOCAB,
  dim: DIM,
  n_layers: LAYERS,
  n_heads: HEADS,
  hidden_dim: FFN,
  max_position_embeddings: POSITIONS,
  activation: "gelu",
  pad_token_id: 0,
};

/** Random weights of the toy layout, by safetensors key (linear weights `(out, in)`). */
function toyCheckpoint(): Record<string, SafetensorsInput> {
  const key = randomKey(7);
  let n = 0;
  const tensor = (shape: number[], scale: number, offset = 0): SafetensorsInput => {
    const u = uniform(foldIn(key, n++), shape.reduce((a, b) => a * b, 1));
    return { shape, data: u.map((x) => offset + (2 * x - 1) * scale) };
  };
  const out: Record<string, SafetensorsInput> = {
    "distilbert.embeddings.word_embeddings.weight": tensor([VOCAB, DIM], 1),
    "distilbert.embeddings.position_embeddings.weight": tensor([POSITIONS, DIM], 0.3),
    "distilbert.embeddings.LayerNorm.weight": tensor([DIM], 0.1, 1),
    "distilbert.embeddings.LayerNorm.bias": tensor([DIM], 0.1),
    "vocab_projector.weight": tensor([VOCAB, DIM], 0.1), // another task class's head: skipped
  };
  const linear = (name: string, inDim: number, outDim: number) => {
    out[`${name}.weight`] = tensor([outDim, inDim], 1 / Math.sqrt(inDim));
    out[`${name}.bias`] = tensor([outDim], 0.1);
  };
  const norm = (name: string) => {
    out[`${name}.weight`] = tensor([DIM], 0.1, 1);
    out[`${name}.bias`] = tensor([DIM], 0.1);
  };
  for (let i = 0; i < LAYERS; i++) {
    const l = `distilbert.transformer.layer.${i}`;
    for (const m of ["q_lin", "k_lin", "v_lin", "out_lin"]) linear(`${l}.attention.${m}`, DIM, DIM);
    linear(`${l}.ffn.lin1`, DIM, FFN);
    linear(`${l}.ffn.lin2`, FFN, DIM);
    norm(`${l}.sa_layer_norm`);
    norm(`${l}.output_layer_norm`);
  }
  return out;
}

/** `(out, in)` stored data as the `(in, out)` kernel loradrop holds. */
function kernelOf(entry: SafetensorsInput): number[] {
  const [rows, cols] = entry.shape as [number, number];
  const data = entry.data as Float32Array;
  return Array.from(
    { length: rows * cols },
    (_, j) => data[(j % rows) * cols + Math.floor(j / rows)]!,
  );
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assertEquals(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) assertAlmostEquals(actual[i]!, expected[i]!, 1e-6, what);
}

testOnBackends(
  "a registered layout loads, trains with LoRA and round-trips a PEFT adapter",
  async () => {
    const tmp = await Deno.makeTempDir();
    registerArchitecture(TOY);
    const disposables: tf.TensorContainer[] = [];
    try {
      // config.json through the row's keys.
      const arch = parseHfConfig(CONFIG, "config.json");
      if (arch.kind !== "encoder") throw new Error("expected an encoder");
      assertEquals(arch.modelType, "toy-distilbert");
      assertEquals(arch.encoder.layers.length, LAYERS);
      assertEquals(arch.encoder.layers[0], {
        inputDim: DIM,
        hiddenDim: DIM,
        numHeads: HEADS,
        headDim: DIM / HEADS,
        ffnDim: FFN,
      });
      assertEquals([arch.encoder.typeVocabSize, arch.encoder.positionOffset], [0, 0]);
      assertEquals(arch.encoder.layerNormEps, 1e-12);
      assertThrows(
        () => parseHfConfig({ ...CONFIG, n_heads: 3 }, "config.json"),
        Error,
        "dim 8 is not divisible by n_heads 3",
      );
      assertThrows(
        () => parseHfConfig({ ...CONFIG, sinusoidal_pos_embds: true }, "config.json"),
        Error,
        "sinusoidal_pos_embds true is not supported",
      );

      // The checkpoint through the row's module names: every module lands where it belongs.
      const modelDir = `${tmp}/model`;
      await Deno.mkdir(modelDir);
      const checkpoint = toyCheckpoint();
      await Deno.writeTextFile(`${modelDir}/config.json`, JSON.stringify(CONFIG));
      await Deno.writeFile(`${modelDir}/model.safetensors`, serializeSafetensors(checkpoint));
      const base = await loadHfEncoder(modelDir);
      disposables.push(base.weights as unknown as tf.TensorContainer);
      assertEquals(base.modelType, "toy-distilbert");
      assertEquals(base.ignoredKeys, ["vocab_projector.weight"]);
      assertEquals(base.pooler, undefined);
      assertEquals(base.weights.tokenTypeEmbedding, undefined);
      const layer1 = base.weights.layers[1]!;
      const attention = layer1.attention;
      if (!("q" in attention)) throw new Error("expected separate q, k, v projections");
      const l1 = "distilbert.transformer.layer.1";
      const modules = [
        [attention.q, `${l1}.attention.q_lin`],
        [attention.k, `${l1}.attention.k_lin`],
        [attention.v, `${l1}.attention.v_lin`],
        [attention.o, `${l1}.attention.out_lin`],
        [layer1.ffn.in, `${l1}.ffn.lin1`],
        [layer1.ffn.out, `${l1}.ffn.lin2`],
      ] as const;
      for (const [weights, name] of modules) {
        assertClose(await weights.kernel.data(), kernelOf(checkpoint[`${name}.weight`]!), name);
      }
      assertClose(
        await layer1.attentionNorm.gamma.data(),
        checkpoint[`${l1}.sa_layer_norm.weight`]!.data as Float32Array,
        "sa_layer_norm",
      );

      // The head the row describes: the first token through a trained dense layer.
      const head = await hfClassificationHead(base, { kind: "classification", numClasses: 2 });
      assertEquals([head.pooling, head.dense], ["first", true]);
      const lora = { r: 2, alpha: 4, targets: ["q", "v", "ffn-out"] as const };
      const options: TaskModelOptions = { lora: { ...lora, targets: [...lora.targets] }, head };
      const model = createTaskModel(base, options, randomKey(1));

      // Two LoRA steps.
      const inputIds = tf.tensor2d([[2, 5, 9, 3, 0, 0], [2, 7, 7, 11, 4, 3]], [2, 6], "int32");
      const attentionMask = tf.tensor2d([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], [2, 6], "int32");
      const labels = tf.tensor1d([0, 1], "int32");
      disposables.push(inputIds, attentionMask, labels);
      const batch = { inputs: { inputIds, attentionMask }, labels, tokens: 10 };
      const plan: DropoutPlan = { drops: [{ position: "hidden", pattern: "element", rate: 0.1 }] };
      const opt = createAdamW(model.trainable);
      for (let step = 0; step < 2; step++) {
        const result = trainStep(model, opt, batch, plan, foldIn(randomKey(2), step), { lr: 1e-2 });
        assert(result.applied && Number.isFinite(result.loss), `step ${step}: ${result.loss}`);
      }
      disposeAdamW(opt);
      const trainedB = await model.trainable["layers.1.v.lora_b"]!.data();
      assert(trainedB.some((x) => x !== 0), "LoRA's B left zero: training did not reach it");

      // The PEFT adapter uses the row's names.
      const adapterDir = `${tmp}/adapter`;
      await saveAdapter(adapterDir, model, {
        modelType: "toy-distilbert",
        baseModelName: modelDir,
        targetModules: lora.targets,
        r: lora.r,
        alpha: lora.alpha,
      });
      const config = JSON.parse(await Deno.readTextFile(`${adapterDir}/adapter_config.json`));
      assertEquals(config.target_modules, ["q_lin", "v_lin", "lin2"]);
      const keys = [
        ...(await readSafetensors(`${adapterDir}/adapter_model.safetensors`)).tensors.keys(),
      ];
      for (
        const k of [
          "base_model.model.distilbert.transformer.layer.1.attention.v_lin.lora_B.weight",
          "base_model.model.distilbert.transformer.layer.0.ffn.lin2.lora_A.weight",
          "base_model.model.pre_classifier.weight",
          "base_model.model.classifier.bias",
        ]
      ) assert(keys.includes(k), `missing ${k} in [${keys.join(", ")}]`);

      // Loaded back into a fresh model, it predicts what the trained model predicts.
      const adapter = await loadAdapter(adapterDir, base);
      disposables.push(adapter as unknown as tf.TensorContainer);
      assertEquals(adapter.settings.targetModules, ["q", "v", "ffn-out"]);
      const fresh = createTaskModel(base, options, randomKey(99));
      assignAdapter(fresh, adapter);
      const predict = (m: typeof model) =>
        tf.tidy(() => m.forward(batch.inputs, plan, { training: false }).logits);
      const [trained, reloaded] = [predict(model), predict(fresh)];
      disposables.push(trained, reloaded);
      assertClose(await reloaded.data(), await trained.data(), "logits after the round trip");
      model.dispose();
      fresh.dispose();

      // The tokenizer's post-processor of the row.
      const layout = specialTokenLayout({
        type: "ToyProcessing",
        cls: ["[CLS]", 101],
        sep: ["[SEP]", 102],
      });
      assertEquals(layout.pair.middle.map((p) => p.id), [102]);
      assertEquals(layout.pair.typeIdB, 0);
    } finally {
      unregisterArchitecture("toy-distilbert");
      tf.dispose(disposables);
    }
    // Without the row the layout is unknown again.
    await assertRejects(() => loadHfEncoder(`${tmp}/model`), Error, `"toy-distilbert"`);
    assertThrows(() => specialTokenLayout({ type: "ToyProcessing" }), TypeError, "ToyProcessing");
    await Deno.remove(tmp, { recursive: true });
  },
);

Deno.test("registerArchitecture rejects a row that the readers could not follow", () => {
  const bad = (patch: Record<string, unknown>, message: string) =>
    assertThrows(
      () => registerArchitecture({ ...TOY, ...patch } as unknown as EncoderArchitecture),
      TypeError,
      message,
    );
  bad({ modelType: "bert" }, "already registered");
  bad(
    { weights: { ...TOY.weights, layer: "transformer.layer" } },
    "weights.layer must contain {i}",
  );
  bad({ head: { ...TOY.head, dense: undefined } }, `a "first" head needs head.dense`);
  bad(
    { weights: { ...TOY.weights, modules: { ...TOY.weights.modules, v: undefined } } },
    "weights.modules.v",
  );
  assertThrows(() => unregisterArchitecture("roberta"), TypeError, "built-in");
});

const probe = await findPython(["torch", "transformers", "safetensors"]);
const SCRIPT = new URL("./golden/distilbert_hidden.py", import.meta.url).pathname;

Deno.test({
  name: pythonTestName(
    "the toy row reads a real transformers DistilBertModel: the same hidden states (1e-5)",
    probe,
  ),
  ignore: probe.python === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await initBackend({ backend: "cpu" });
    const tmp = await Deno.makeTempDir();
    const batch = {
      input_ids: [[2, 5, 9, 3, 0, 0], [2, 7, 7, 11, 4, 3]],
      attention_mask: [[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]],
    };
    await Deno.writeTextFile(`${tmp}/batch.json`, JSON.stringify(batch));
    const out = await new Deno.Command(probe.python!, {
      args: [SCRIPT, `${tmp}/model`, `${tmp}/batch.json`, `${tmp}/hidden.json`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`distilbert_hidden.py failed:\n${new TextDecoder().decode(out.stderr)}`);
    }
    const expected = JSON.parse(await Deno.readTextFile(`${tmp}/hidden.json`));
    // The folder names model_type "distilbert"; the toy row is registered under its own name.
    const config = JSON.parse(await Deno.readTextFile(`${tmp}/model/config.json`));
    assertEquals(config.model_type, "distilbert");
    await Deno.writeTextFile(
      `${tmp}/model/config.json`,
      JSON.stringify({ ...config, model_type: "toy-distilbert" }),
    );
    registerArchitecture(TOY);
    try {
      const base = await loadHfEncoder(`${tmp}/model`);
      const hidden = tf.tidy(() =>
        encoderForward(
          base,
          {
            inputIds: tf.tensor2d(batch.input_ids, undefined, "int32"),
            attentionMask: tf.tensor2d(batch.attention_mask),
          },
          { plan: { drops: [] } },
          { training: false },
        )
      ); // (B, T, D)
      assertEquals(hidden.shape, expected.shape);
      const values = await hidden.data();
      const d = expected.shape[2];
      // Padding positions are not compared (their values are each library's convention).
      batch.attention_mask.flat().forEach((real, token) => {
        if (real === 0) return;
        for (let j = 0; j < d; j++) {
          const i = token * d + j;
          assertAlmostEquals(values[i]!, expected.hidden[i], 1e-5, `token ${token}, feature ${j}`);
        }
      });
      tf.dispose([hidden, base.weights as unknown as tf.TensorContainer]);
    } finally {
      unregisterArchitecture("toy-distilbert");
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
