// A user's own data and model through the command lines: `deno task train` and
// `deno task repro --train/--dev` on a CSV pair written here, on USE-lite and on the tiny BERT
// fixture (a local folder, and the same files as a hub id from Hugging Face's cache, offline).
// Step counts are tiny: these check the paths, the hashes and the files, not the scores.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { reproExperiments } from "../lib/repro/plan/experiments.ts";
import { planGrid } from "../lib/repro/run/scheduler.ts";
import { runSpecHash } from "../lib/repro/run/store.ts";
import { loadAdapter } from "../lib/io/adapters.ts";
import { readHfConfig } from "../lib/io/hf_config.ts";
import { initBackend } from "../lib/backend.ts";
import * as tf from "@tensorflow/tfjs-core";
import { runSpecFromFlags, taskFromFlags, TRAIN_DEFAULTS } from "../cli/_run_flags.ts";
import { WORDS, writeModelDir } from "./_tiny_hf_model.ts";
import { runCli } from "./_cli.ts";
import { tempDirTest } from "./_temp_dir.ts";

const cli = (script: string, args: readonly string[], env: Record<string, string> = {}) =>
  runCli(script, args, { env });

/** A CSV pair with a text column `review` and labels `neg`/`pos`, words the tiny tokenizer knows. */
async function writeCsvPair(dir: string): Promise<{ train: string; dev: string }> {
  const words = WORDS.slice(0, -3);
  const rows = (n: number, offset: number) =>
    Array.from({ length: n }, (_, i) => {
      const y = (i + offset) % 2;
      const text = Array.from({ length: 5 }, (_, j) => words[(i * 7 + j * 13 + offset) % 40]);
      return `"${[...text, y ? "good" : "awful"].join(" ")}",${y ? "pos" : "neg"}`;
    });
  const train = `${dir}/reviews.csv`, dev = `${dir}/reviews_dev.csv`;
  await Deno.writeTextFile(train, ["review,stars", ...rows(16, 0)].join("\n") + "\n");
  await Deno.writeTextFile(dev, ["review,stars", ...rows(8, 3)].join("\n") + "\n");
  return { train, dev };
}

const READ = ["--text-field", "review", "--label-field", "stars", "--labels", "neg,pos"];
const TINY = ["--batch-size", "4", "--max-length", "16"];

/** The flags of a command on the CSV pair: the files, how to read them, the tiny sizes. */
function csvPairArgs(train: string, dev: string): string[] {
  return ["--train", train, "--dev", dev, ...READ, ...TINY];
}

tempDirTest(
  "a train run and the same cell of a repro grid have one hash and one stored result",
  "loradrop-train-cell-",
  async (out) => {
    // Pure: the flags of a smoke cell build exactly the smoke grid's spec.
    const cell = reproExperiments("smoke").find((e) => e.id === "overfit")!.runs.find((r) =>
      r.rank === 1 && r.seed === 0
    )!;
    const flags = {
      steps: "12",
      "eval-every": "12",
      "max-length": "32",
      "lora-r": "1",
      "lora-alpha": "2",
      targets: "v,q", // spelling out the default (in any order) changes nothing
      "weight-decay": "0.1",
    };
    const spec = runSpecFromFlags(
      flags,
      "baseline",
      await taskFromFlags({ task: "sentiment-low" }),
      "use-lite",
      TRAIN_DEFAULTS,
    );
    assertEquals(spec, cell);
    assertEquals(await runSpecHash(spec, "wasm"), await runSpecHash(cell, "wasm"));
    // Through the command line: train stores the run where the smoke grid finds it done.
    const args = ["--task", "sentiment-low", "--method", "baseline", "--out", out];
    const trained = await cli("cli/train.ts", [
      ...args,
      ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v]),
    ]);
    assertEquals(trained.code, 0, trained.stderr);
    const summary = JSON.parse(trained.stdout);
    assertEquals(summary.specHash, await runSpecHash(cell, "wasm"));
    const { done } = await planGrid([cell], "wasm", out);
    assertEquals(done.map((r) => r.hash), [summary.specHash]);
  },
);

tempDirTest(
  "deno task repro --train/--dev compares the methods on a CSV pair: verdicts.json, a report opening with the answer, runs train can reuse",
  "loradrop-user-task-",
  async (tmp) => {
    const { train, dev } = await writeCsvPair(tmp);
    const grid = [
      ...csvPairArgs(train, dev),
      "--preset",
      "smoke",
      "--steps",
      "2",
      "--eval-every",
      "1",
      "--seeds",
      "2",
      "--methods",
      "hiddenKey",
      "--out",
      tmp,
      "--jobs",
      "1",
    ];
    const first = await cli("cli/repro.ts", grid);
    assertEquals(first.code, 0, first.stderr);
    assertStringIncludes(first.stderr, "0 run(s) cached, 5 to run");
    const dir = `${tmp}/reviews-smoke`;
    const lastLine = first.stdout.trim().split("\n").at(-1)!;
    assertStringIncludes(lastLine, `${dir}/verdicts.json`);
    assertStringIncludes(lastLine, `${dir}/report.html`);
    for (const path of lastLine.split(": ")[1]!.split(" ")) await Deno.stat(path);
    const verdicts = JSON.parse(await Deno.readTextFile(`${dir}/verdicts.json`));
    assertEquals(verdicts.task, "reviews");
    assertEquals(verdicts.runs, { planned: 5, finished: 5 });
    assertEquals(verdicts.methods.length, 1);
    const hk = verdicts.methods[0];
    assertEquals([hk.method, hk.metric, hk.best.n, hk.seeds], ["hiddenKey", "accuracy", 2, [
      0,
      1,
    ]]);
    assert(["better", "worse", "inconclusive"].includes(hk.best.outcome), hk.best.outcome);
    assert(
      hk.best.ci95[0] <= hk.best.meanDifference && hk.best.meanDifference <= hk.best.ci95[1],
    );
    assertStringIncludes(hk.sentence, "hiddenKey: ");
    // The regime rule of the paper's grids, applied to the one long baseline run (3 × 2 steps).
    assertEquals([verdicts.regime.task, verdicts.regime.steps, verdicts.regime.seeds], [
      "reviews",
      6,
      [0],
    ]);
    assertStringIncludes(verdicts.regime.sentence, "Regime: ");
    // The report opens with the answer: the first section's text is the methods' sentences.
    const html = await Deno.readTextFile(`${dir}/report.html`);
    const answer = html.indexOf("The answer");
    assert(answer >= 0 && answer < html.indexOf("Each method against the baseline"));
    assert(html.indexOf("hiddenKey: ") > answer);
    // Rerunning finds everything cached; train with a cell's flags finds its run finished.
    const again = await cli("cli/repro.ts", grid);
    assertEquals(again.code, 0, again.stderr);
    assertStringIncludes(again.stderr, "5 run(s) cached, 0 to run");
    const cell = await cli("cli/train.ts", [
      ...csvPairArgs(train, dev),
      "--method",
      "hiddenKey",
      "--steps",
      "2",
      "--eval-every",
      "1",
      "--seed",
      "1",
      "--out",
      dir,
    ]);
    assertEquals(cell.code, 0, cell.stderr);
    assertEquals(JSON.parse(cell.stdout).status, "already-finished");
    // An edited data file is another run (its contents are its identity).
    await Deno.writeTextFile(dev, (await Deno.readTextFile(dev)) + '"the film was good",pos\n');
    const edited = await cli("cli/repro.ts", [...grid.slice(0, -2), "--only", "regime"]);
    assertEquals(edited.code, 0, edited.stderr);
    assertStringIncludes(edited.stderr, "0 run(s) cached, 1 to run");
  },
);

tempDirTest(
  "deno task train fine-tunes a local BERT folder and the same files as an offline hub id, and saves an adapter that loads back",
  "loradrop-user-model-",
  async (tmp) => {
    const { train, dev } = await writeCsvPair(tmp);
    const modelDir = await writeModelDir(`${tmp}/tiny-bert`, "bert");
    const args = [
      ...csvPairArgs(train, dev),
      "--steps",
      "2",
      "--eval-every",
      "2",
      "--backend",
      "cpu",
    ];
    const local = await cli("cli/train.ts", [
      ...args,
      "--model",
      modelDir,
      "--out",
      `${tmp}/local`,
      "--save-adapter",
      `${tmp}/adapter`,
    ]);
    assertEquals(local.code, 0, local.stderr);
    const summary = JSON.parse(local.stdout);
    assertEquals([summary.model, summary.status, summary.best.metric], [
      modelDir,
      "trained",
      "accuracy",
    ]);
    assert(summary.files.includes(`${tmp}/adapter/adapter_model.safetensors`));
    const meta = JSON.parse(await Deno.readTextFile(`${tmp}/adapter/loradrop_adapter.json`));
    assertEquals([meta.dropout.method, meta.dropout.rates.rate, meta.dropout.rates.klWeight], [
      "hiddenKey",
      0.1,
      1,
    ]);
    assertEquals(meta.task.labels, ["neg", "pos"]);
    await initBackend({ backend: "cpu" });
    const { arch } = await readHfConfig(modelDir);
    if (arch.kind !== "encoder" || arch.modelType !== "bert") {
      throw new TypeError(`expected BERT, received ${arch.modelType}`);
    }
    const adapter = await loadAdapter(`${tmp}/adapter`, {
      modelType: "bert",
      config: arch.encoder,
    });
    assertEquals(Object.keys(adapter.adapters).length, 2 * arch.encoder.layers.length);
    assertEquals(adapter.head?.kernel.shape, [arch.encoder.layers.at(-1)!.hiddenDim, 2]);
    tf.dispose(adapter as unknown as tf.TensorContainer);
    // The same files in Hugging Face's cache layout, named by a hub id, with the hub offline.
    const commit = "a".repeat(40);
    const snapshot = `${tmp}/hf/hub/models--tiny--bert/snapshots/${commit}`;
    await Deno.mkdir(snapshot, { recursive: true });
    for await (const f of Deno.readDir(modelDir)) {
      await Deno.copyFile(`${modelDir}/${f.name}`, `${snapshot}/${f.name}`);
    }
    await Deno.mkdir(`${tmp}/hf/hub/models--tiny--bert/refs`);
    await Deno.writeTextFile(`${tmp}/hf/hub/models--tiny--bert/refs/main`, commit);
    const hub = await cli("cli/train.ts", [
      ...args,
      "--model",
      "tiny/bert",
      "--out",
      `${tmp}/hub`,
    ], {
      HF_HOME: `${tmp}/hf`,
      HF_HUB_OFFLINE: "1",
    });
    assertEquals(hub.code, 0, hub.stderr);
    assertEquals(JSON.parse(hub.stdout).model, "tiny/bert");
    // Offline, a model in no cache is one clear line, not a download attempt or a stack.
    const missing = await cli("cli/train.ts", [...args, "--model", "tiny/absent"], {
      HF_HOME: `${tmp}/hf`,
      HF_HUB_OFFLINE: "1",
    });
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, "HF_HUB_OFFLINE");
    assert(!/^\s+at /m.test(missing.stderr), missing.stderr);
  },
);
