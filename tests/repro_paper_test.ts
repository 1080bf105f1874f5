// The `paper` preset end to end on the tiny RoBERTa fixture (tests/fixtures/hf/roberta, HF format)
// and tiny GLUE folders: GLUE TSV written here (RTE, SST-2) and the Hugging Face parquet fixtures
// (tests/fixtures/glue). The tiny model has no tokenizer, so each test writes one into the model
// folder: a word-level vocabulary (a WordPiece model whose words are whole) in RoBERTa's layout
// (<s> a </s></s> b </s>, pad 1), small enough for the model's 120 embedding rows.
// Table 6's epochs are scaled down (overrideRuns / --epochs) so every run takes a step or two.
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend.ts";
import {
  disposeRunResources,
  executeRun,
  glueTaskDir,
  loadRunResources,
  loadRunTask,
} from "../lib/repro/run/execute.ts";
import { reproExperiments } from "../lib/repro/plan/experiments.ts";
import type { RunSpec } from "../lib/repro/plan/run_spec.ts";
import { overrideRuns, PAPER_SETTINGS, paperSettings } from "../lib/repro/plan/paper_settings.ts";
import { hasStoredRun, readStoredRuns, runSpecHash } from "../lib/repro/run/store.ts";
import { writeReproReport } from "../lib/repro/report/write_report.ts";
import { testOnBackends } from "./_backends.ts";
import { WORDS, writeModelDir } from "./_tiny_hf_model.ts";
import { tempDirTest, withTempDir } from "./_temp_dir.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const PARQUET_GLUE = `${ROOT}tests/fixtures/glue`;
const CLI = `${ROOT}cli/repro.ts`;

/** A deterministic sentence over the tokenizer's words. */
function sentence(i: number, length: number): string {
  const content = WORDS.slice(0, -3);
  return Array.from({ length }, (_, j) => content[(i * 7 + j * 13) % content.length]).join(" ");
}

/** GLUE's TSV distribution for RTE (pairs, named labels) and SST-2 (single texts). */
async function writeGlueTsv(dir: string, train = 24, dev = 8): Promise<string> {
  await Deno.mkdir(`${dir}/RTE`, { recursive: true });
  await Deno.mkdir(`${dir}/SST-2`, { recursive: true });
  for (const [file, n, offset] of [["train.tsv", train, 0], ["dev.tsv", dev, 1000]] as const) {
    const rte = ["index\tsentence1\tsentence2\tlabel"];
    const sst = ["sentence\tlabel"];
    for (let i = 0; i < n; i++) {
      const k = offset + i;
      // Long premises, so the RTE pairs exceed the tiny model's 38 positions and get cut.
      rte.push(
        `${i}\t${sentence(k, 30)}\t${sentence(k + 1, 12)}\t${
          k % 2 ? "entailment" : "not_entailment"
        }`,
      );
      sst.push(`${sentence(k, 6)} ${k % 2 ? "good" : "bad"} .\t${k % 2}`);
    }
    await Deno.writeTextFile(`${dir}/RTE/${file}`, rte.join("\n") + "\n");
    await Deno.writeTextFile(`${dir}/SST-2/${file}`, sst.join("\n") + "\n");
  }
  return dir;
}

/** Sets (or deletes) an environment variable for the duration of `fn`. */
async function withEnv(name: string, value: string | undefined, fn: () => Promise<void>) {
  const saved = Deno.env.get(name);
  if (value === undefined) Deno.env.delete(name);
  else Deno.env.set(name, value);
  try {
    await fn();
  } finally {
    if (saved === undefined) Deno.env.delete(name);
    else Deno.env.set(name, saved);
  }
}

/** The paper preset's runs of one method on one task, scaled down. */
function paperRun(model: string, task: string, method: string, epochs = 2): RunSpec {
  const runs = overrideRuns(reproExperiments("paper"), { model, tasks: [task], seeds: [0], epochs })
    .flatMap((e) => e.runs);
  const run = runs.find((r) => r.task === task && r.method === method && r.rank === 8);
  if (run === undefined) throw new Error(`no ${method} run on ${task}`);
  return run;
}

Deno.test('reproExperiments("paper") takes Table 6\'s settings per task; the offline presets keep their steps', () => {
  const runs = reproExperiments("paper").flatMap((e) => e.runs);
  for (const task of ["rte", "mrpc", "stsb", "sst2"] as const) {
    const s = PAPER_SETTINGS[task];
    const own = runs.filter((r) => r.task === task);
    assert(own.length > 0, task);
    for (const r of own) {
      assertEquals(
        [r.learningRate, r.batchSize, r.maxLength, r.epochs, r.steps, r.evalEvery],
        [s.learningRate, s.batchSize, s.maxLength, s.epochs, 0, 0],
        task,
      );
      assertEquals(r.model, "roberta-large");
    }
  }
  // Table 6: RTE 4e-4 / 30 epochs / 64 / 512; STS-B 3e-4 / 10 / 32 / 128; CoLA 2e-4 / 40 / 32 / 128.
  assertEquals(paperSettings("rte"), {
    learningRate: 4e-4,
    epochs: 30,
    batchSize: 64,
    maxLength: 512,
    metric: "accuracy",
  });
  assertEquals([paperSettings("stsb").metric, paperSettings("stsb").maxLength], ["pearson", 128]);
  assertEquals([paperSettings("cola").learningRate, paperSettings("cola").epochs], [2e-4, 40]);
  // Runs of the other presets have no epochs field, so their hashes (and cached runs) stay valid.
  for (const preset of ["smoke", "quick", "full"] as const) {
    for (const r of reproExperiments(preset).flatMap((e) => e.runs)) {
      assert(!("epochs" in r) && r.steps > 0, preset);
    }
  }
});

Deno.test("overrideRuns scales the paper grid down and rejects what it cannot apply", async () => {
  const paper = reproExperiments("paper");
  const small = overrideRuns(paper, { tasks: ["mrpc"], seeds: [1], epochs: 0.5, model: "/m" });
  const runs = small.flatMap((e) => e.runs);
  // Single-task experiments (overfit, cost) move to the chosen task, with that task's Table 6 row.
  assertEquals(new Set(small.map((e) => e.runs.length > 0)), new Set([true]));
  for (const r of runs) {
    assertEquals([r.task, r.seed, r.epochs, r.steps, r.model], ["mrpc", 1, 0.5, 0, "/m"]);
    assertEquals([r.learningRate, r.batchSize], [3e-4, 32]);
  }
  const fixed = overrideRuns(paper, { steps: 3 }).flatMap((e) => e.runs);
  assert(fixed.every((r) => r.steps === 3 && r.epochs === undefined));
  // A scaled-down run is another run.
  assert(
    await runSpecHash(paper[0]!.runs[0]!, "cpu") !==
      await runSpecHash(overrideRuns(paper, { epochs: 1 })[0]!.runs[0]!, "cpu"),
  );
  const errors: [Parameters<typeof overrideRuns>[1], string][] = [
    [{ epochs: 1, steps: 2 }, "not both"],
    [{ steps: 1.5 }, "steps must be a positive integer, received 1.5"],
    [{ epochs: -1 }, "epochs must be a positive number, received -1"],
    [{ tasks: [] }, "tasks must not be empty"],
  ];
  for (const [overrides, message] of errors) {
    let thrown: Error | undefined;
    try {
      overrideRuns(paper, overrides);
    } catch (e) {
      thrown = e as Error;
    }
    assertStringIncludes(thrown?.message ?? "no error", message);
  }
  let thrown: Error | undefined;
  try {
    overrideRuns(reproExperiments("smoke"), { epochs: 1 });
  } catch (e) {
    thrown = e as Error;
  }
  assertStringIncludes(thrown?.message ?? "no error", "fixed steps");
});

testOnBackends(
  "the paper path trains RoBERTa (tiny) on GLUE TSV and parquet, stores runs and writes the report",
  (backend) =>
    withTempDir("loradrop-paper-", async (tmp) => {
      const modelDir = await writeModelDir(`${tmp}/tiny-roberta`);
      const glue = await writeGlueTsv(`${tmp}/glue_data`);
      const dir = `${tmp}/results`;
      const resources = await loadRunResources(modelDir);
      assertEquals(resources.source, "hf");
      assertEquals(resources.tokenizer.padId, 1);
      const before = tf.memory().numTensors;
      // RTE from GLUE TSV: 24 examples at batch 64 is one step per epoch; 2 epochs, 2 evaluations.
      const rte = paperRun(modelDir, "rte", "hiddenKey");
      assertEquals([rte.batchSize, rte.learningRate, rte.maxLength], [64, 4e-4, 512]);
      const stored = await executeRun(rte, resources, { dir, backend, glueDir: glue });
      assert(await hasStoredRun(dir, stored.specHash));
      const record = stored.record;
      assertEquals(record.curves.loss.length, 2);
      assertEquals(record.evaluations.map((e) => e.step), [1, 2]);
      assert(record.curves.consistencyLoss.every((x) => x > 0), "hiddenKey has its KL term");
      assertEquals(Object.keys(record.evaluations[0]!.metrics)[0], "accuracy");
      const config = record.config as unknown as {
        weightDecay: number;
        warmupRatio: number;
        steps: number;
        describe: { maxLengthUsed?: number; task: string };
      };
      assertEquals([config.weightDecay, config.warmupRatio, config.steps], [0.1, 0.06, 2]);
      // The tiny model takes 38 positions: the run records the length it really used.
      assertEquals(config.describe.maxLengthUsed, 38);
      // STS-B (regression, Pearson first) and CoLA (MCC) from the parquet fixtures (3 train rows).
      for (const [task, metric] of [["stsb", "pearson"], ["cola", "mcc"]] as const) {
        const spec = paperRun(modelDir, task, "baseline", 1);
        const run = await executeRun(spec, resources, { dir, backend, glueDir: PARQUET_GLUE });
        assertEquals(Object.keys(run.record.evaluations.at(-1)!.metrics)[0], metric, task);
        assertEquals(run.record.curves.loss.length, 1, task);
      }
      assertEquals(tf.memory().numTensors, before, "executeRun leaves no tensors behind");
      // The GLUE folder can also come from LORADROP_GLUE_DIR.
      await withEnv("LORADROP_GLUE_DIR", glue, async () => {
        const sst2 = paperRun(modelDir, "sst2", "baseline", 1);
        const run = await executeRun(sst2, resources, { dir, backend });
        assertEquals(run.spec.task, "sst2");
      });
      disposeRunResources(resources);
      assertEquals((await readStoredRuns(dir)).length, 4);
      const written = await writeReproReport(dir, "paper");
      const html = await Deno.readTextFile(written.at(-1)!);
      assertStringIncludes(html, "loradrop reproduction (paper)");
      assertStringIncludes(html, "4 finished run(s)");
    }),
);

tempDirTest(
  "deno task repro --preset paper --model DIR --glue DIR runs its grid over workers and writes the report",
  "loradrop-paper-cli-",
  async (tmp) => {
    const modelDir = await writeModelDir(`${tmp}/tiny-roberta`);
    const glue = await writeGlueTsv(`${tmp}/glue_data`, 12, 6);
    const out = `${tmp}/results`;
    const args = [
      "--preset",
      "paper",
      "--model",
      modelDir,
      "--glue",
      glue,
      "--out",
      out,
      "--only",
      "cost",
      "--tasks",
      "sst2",
      "--seeds",
      "0",
      "--epochs",
      "1",
      "--backend",
      "cpu",
    ];
    // In this process: the GLUE folder reaches executeRun through LORADROP_GLUE_DIR.
    const first = await repro([...args, "--jobs", "1"]);
    assertEquals(first.code, 0, first.stderr + first.stdout);
    assertStringIncludes(first.stderr, "0 run(s) cached, 7 to run with 1 job(s)");
    const runs = await readStoredRuns(`${out}/paper`);
    assertEquals(runs.length, 7, "the cost experiment's 7 methods");
    for (const r of runs) {
      assertEquals([r.spec.model, r.spec.task, r.spec.epochs, r.backend], [
        modelDir,
        "sst2",
        1,
        "cpu",
      ]);
      assertEquals(r.record.evaluations.length, 1);
    }
    const equivalence = JSON.parse(await Deno.readTextFile(`${out}/paper/equivalence.json`));
    assert(equivalence.rows > 0, "claims 2-3 measured on the model's own attention logits");
    const report = await Deno.readTextFile(`${out}/paper/report.html`);
    assertStringIncludes(report, "loradrop reproduction (paper)");
    // The report describes the scaled-down grid that ran, not Table 6's.
    assertStringIncludes(report, "on the GLUE tasks sst2, 1 seed(s), 1 epoch(s) per run");
    assertStringIncludes(report, "7 finished run(s) of 7");
    // Rerunning finds every run cached (same specs, same hashes).
    const again = await repro([...args, "--jobs", "2"]);
    assertEquals(again.code, 0, again.stderr);
    assertStringIncludes(again.stderr, "7 run(s) cached, 0 to run");
    // A hub id from --cache, offline, over worker processes (they inherit --glue and --cache).
    const cache = `${tmp}/cache`;
    await writeModelDir(`${cache}/roberta-large/main`);
    const hubArgs = args.map((a) => (a === modelDir ? "roberta-large" : a));
    const hub = await repro(
      [...hubArgs, "--cache", cache, "--out", `${tmp}/hub`, "--jobs", "2"],
      { LORADROP_HF_ENDPOINT: "http://127.0.0.1:9" },
    );
    assertEquals(hub.code, 0, hub.stderr + hub.stdout);
    assertStringIncludes(hub.stderr, "7 to run with 2 job(s)");
    const hubRuns = await readStoredRuns(`${tmp}/hub/paper`);
    assertEquals(hubRuns.map((r) => r.spec.model), Array(7).fill("roberta-large"));
  },
);

async function repro(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean: Record<string, string> = { ...Deno.env.toObject(), NO_COLOR: "1", ...env };
  delete clean.LORADROP_GLUE_DIR;
  if (env.LORADROP_GLUE_DIR) clean.LORADROP_GLUE_DIR = env.LORADROP_GLUE_DIR;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: clean,
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

tempDirTest(
  "deno task repro --preset paper names a missing GLUE folder, an unknown task, a missing model",
  "loradrop-paper-cli-",
  async (tmp) => {
    const modelDir = await writeModelDir(`${tmp}/tiny-roberta`);
    const base = ["--preset", "paper", "--out", `${tmp}/results`, "--backend", "cpu"];
    const small = ["--only", "cost", "--tasks", "rte", "--seeds", "0", "--steps", "1"];
    const noGlue = await repro([...base, ...small, "--model", modelDir]);
    assert(noGlue.code !== 0);
    assertStringIncludes(noGlue.stderr, "LORADROP_GLUE_DIR");
    const unknown = await repro([...base, "--model", modelDir, "--tasks", "mnli"]);
    assert(unknown.code !== 0);
    assertStringIncludes(
      unknown.stderr,
      '--tasks must be among rte, mrpc, stsb, sst2, cola, qnli, received "mnli"',
    );
    const glue = await writeGlueTsv(`${tmp}/glue_data`, 4, 2);
    const noModel = await repro([
      ...base,
      ...small,
      "--model",
      `${tmp}/nope/roberta`,
      "--glue",
      glue,
    ]);
    assert(noModel.code !== 0);
    assertStringIncludes(noModel.stderr, `${tmp}/nope/roberta`);
    assertStringIncludes(noModel.stderr, "--model must be use-lite, a model folder or a hub id");
    assertEquals(noModel.code, 2);
    const otherPreset = await repro(["--preset", "smoke", "--model", modelDir]);
    assert(otherPreset.code !== 0);
    assertStringIncludes(
      otherPreset.stderr,
      "--model applies to the paper preset or your own task (--train)",
    );
    assertEquals(otherPreset.code, 2);
  },
);

tempDirTest(
  "GLUE tasks need a GLUE folder (option or LORADROP_GLUE_DIR) that holds them; other task names are rejected",
  "loradrop-paper-",
  async (tmp) => {
    await initBackend({ backend: "cpu" });
    await withEnv("LORADROP_GLUE_DIR", undefined, async () => {
      await assertRejects(() => loadRunTask("rte"), Error, "set LORADROP_GLUE_DIR");
    });
    await withEnv("LORADROP_GLUE_DIR", `${tmp}/missing`, async () => {
      await assertRejects(
        () => loadRunTask("rte"),
        Error,
        `${tmp}/missing (from LORADROP_GLUE_DIR) does not exist`,
      );
    });
    await assertRejects(() => glueTaskDir("mrpc", tmp), Error, "has neither mrpc/ nor MRPC/");
    await assertRejects(() => loadRunTask("mnli", tmp), TypeError, 'received "mnli"');
    // GLUE's folder names and Hugging Face's both resolve.
    const glue = await writeGlueTsv(`${tmp}/glue_data`, 4, 2);
    assertEquals(await glueTaskDir("sst2", glue), `${glue}/SST-2`);
    assertEquals(await glueTaskDir("qnli", PARQUET_GLUE), `${PARQUET_GLUE}/qnli`);
    assertEquals((await loadRunTask("rte", glue)).card.sizes, { train: 4, dev: 2 });
    // executeRun reports the same errors, before any training.
    const modelDir = await writeModelDir(`${tmp}/tiny-roberta`);
    const resources = await loadRunResources(modelDir);
    try {
      const rte = paperRun(modelDir, "rte", "baseline", 1);
      await withEnv("LORADROP_GLUE_DIR", undefined, async () => {
        await assertRejects(
          () => executeRun(rte, resources, { dir: `${tmp}/r`, backend: "cpu" }),
          Error,
          "LORADROP_GLUE_DIR",
        );
      });
      await assertRejects(
        () =>
          executeRun({ ...rte, task: "mnli" }, resources, {
            dir: `${tmp}/r`,
            backend: "cpu",
            glueDir: glue,
          }),
        TypeError,
        'received "mnli"',
      );
      const { epochs: _, ...noEpochs } = rte;
      await assertRejects(
        () => executeRun(noEpochs, resources, { dir: `${tmp}/r`, backend: "cpu", glueDir: glue }),
        RangeError,
        "steps is 0, so epochs must be a number > 0",
      );
    } finally {
      disposeRunResources(resources);
    }
  },
);

tempDirTest(
  "loadRunResources reads a folder or a hub id from the cache, and names what is missing",
  "loradrop-paper-",
  async (tmp) => {
    await initBackend({ backend: "cpu" });
    // Nothing listens on port 9: any download attempt fails at once.
    const offline = { endpoint: "http://127.0.0.1:9" };
    const before = tf.memory().numTensors;
    await assertRejects(
      () => loadRunResources(`${tmp}/nope/roberta`),
      Error,
      `"${tmp}/nope/roberta": it is neither a folder nor a hub repository id`,
    );
    const cacheDir = `${tmp}/cache`;
    await assertRejects(
      () => loadRunResources("roberta-large", { cacheDir, ...offline }),
      Error,
      "pass their local folder",
    );
    // A hub id whose files are in the cache loads without the network.
    await writeModelDir(`${cacheDir}/roberta-large/main`);
    const fromCache = await loadRunResources("roberta-large", { cacheDir, ...offline });
    assertEquals([fromCache.source, fromCache.model], ["hf", "roberta-large"]);
    assertEquals(fromCache.source === "hf" && fromCache.base.modelType, "roberta");
    disposeRunResources(fromCache);
    // ... and so does a name with modelDir pointing at the files.
    const named = await loadRunResources("roberta-large", {
      modelDir: `${cacheDir}/roberta-large/main`,
    });
    assertEquals(named.model, "roberta-large");
    disposeRunResources(named);
    await assertRejects(
      () => loadRunResources("roberta-large", { modelDir: `${tmp}/absent` }),
      Error,
      `modelDir ${tmp}/absent is not a folder`,
    );
    // Checkpoint without its tokenizer files, and a tokenizer too big for the model.
    const bare = `${tmp}/bare`;
    await writeModelDir(bare);
    await Deno.remove(`${bare}/tokenizer.json`);
    await assertRejects(() => loadRunResources(bare), Error, "has no tokenizer.json");
    await Deno.copyFile(
      `${ROOT}tests/golden/tokenizers_hub/roberta/tokenizer.json`,
      `${bare}/tokenizer.json`,
    );
    await assertRejects(() => loadRunResources(bare), Error, "embedding table has 120 rows");
    // GPT-2 is a decoder: not a base for the NLU task models.
    await assertRejects(
      () => loadRunResources(`${ROOT}tests/fixtures/hf/gpt2`),
      TypeError,
      "gpt2",
    );
    assertEquals(tf.memory().numTensors, before, "failed loads free the weights they read");
  },
);
