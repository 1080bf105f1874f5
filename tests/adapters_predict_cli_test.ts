// deno task predict on a tiny trained run: the adapter written by `train --save-adapter`
// reproduces the run's dev metrics on the dev file, and bad command lines exit 2 with one line.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";

import { runCli as run } from "./_cli.ts";
import { tempDirTest, withTempDir } from "./_temp_dir.ts";

const TRAIN = "cli/train.ts";
const PREDICT = "cli/predict.ts";

const GOOD = ["great", "lovely", "wonderful", "superb", "delightful", "excellent", "fine", "nice"];
const BAD = ["awful", "terrible", "dreadful", "poor", "boring", "horrible", "bad", "dull"];

function csv(rows: [string, string][]): string {
  return "text,label\n" + rows.map(([t, l]) => `"${t}",${l}`).join("\n") + "\n";
}

function examples(words: string[], label: string, template: string): [string, string][] {
  return words.map((w) => [template.replace("X", w), label]);
}

tempDirTest(
  "deno task predict reproduces the dev metrics of the run that saved the adapter",
  "loradrop-predict-",
  async (dir) => {
    await Deno.writeTextFile(
      `${dir}/train.csv`,
      csv([
        ...examples(GOOD, "pos", "the film was X"),
        ...examples(BAD, "neg", "the film was X"),
      ]),
    );
    await Deno.writeTextFile(
      `${dir}/dev.csv`,
      csv([
        ...examples(GOOD.slice(0, 5), "pos", "a X story"),
        ...examples(BAD.slice(0, 5), "neg", "a X story"),
      ]),
    );
    const adapter = `${dir}/adapter`;
    const trained = await run(TRAIN, [
      ...["--train", `${dir}/train.csv`, "--dev", `${dir}/dev.csv`, "--labels", "neg,pos"],
      ...["--method", "hiddenKey", "--steps", "4", "--batch-size", "8", "--eval-every", "4"],
      ...["--lr", "5e-3", "--backend", "cpu", "--out", `${dir}/results`],
      ...["--save-adapter", adapter],
    ]);
    assertEquals(trained.code, 0, trained.stderr);
    const summary = JSON.parse(trained.stdout);
    const meta = JSON.parse(await Deno.readTextFile(`${adapter}/loradrop_adapter.json`));
    assertEquals(meta.task.labels, ["neg", "pos"]);
    assertEquals(meta.dropout.method, "hiddenKey");
    assertEquals(typeof meta.seeds.dropout, "number");
    assertEquals(meta.dev.step, 4);

    const out = `${dir}/predictions.jsonl`;
    const predicted = await run(PREDICT, [
      ...["--adapter", adapter, "--input", `${dir}/dev.csv`, "--out", out, "--backend", "cpu"],
    ]);
    assertEquals(predicted.code, 0, predicted.stderr);
    const result = JSON.parse(predicted.stdout);
    assertEquals(result.predictions, 10);
    assertEquals(result.metrics, meta.dev.metrics);
    assertEquals(result.metrics[summary.final.metric], summary.final.value);
    const lines = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.map((l) => l.id), [...Array(10).keys()]);
    for (const l of lines) {
      assert(["neg", "pos"].includes(l.label), JSON.stringify(l));
      const p = l.probabilities as Record<string, number>;
      assertEquals(Object.keys(p), ["neg", "pos"]);
      assert(Math.abs(p.neg! + p.pos! - 1) < 1e-5, JSON.stringify(l));
      assertEquals(l.label, p.pos! > p.neg! ? "pos" : "neg");
    }
    // Unlabeled JSONL input: predictions, no metrics.
    await Deno.writeTextFile(`${dir}/new.jsonl`, '{"text": "a great story"}\n');
    const unlabeled = await run(PREDICT, [
      ...["--adapter", adapter, "--input", `${dir}/new.jsonl`, "--out", `${dir}/new_out.jsonl`],
      ...["--backend", "cpu"],
    ]);
    assertEquals(unlabeled.code, 0, unlabeled.stderr);
    assertEquals(JSON.parse(unlabeled.stdout).metrics, undefined);
  },
);

Deno.test({
  name: "deno task predict: bad command lines are one line naming the flag, exit 2",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const help = await run(PREDICT, ["--help"]);
    assertEquals(help.code, 0);
    assertStringIncludes(help.stdout, "Usage: deno task predict --adapter DIR");
    const cases: [string[], string][] = [
      [["--input", "x.csv", "--out", "y"], "deno task predict: --adapter is required"],
      [["--adapter", "a", "--out", "y"], "deno task predict: --input is required"],
      [
        ["--adapter", "a", "--input", "x.csv", "--out", "y", "--batch-size", "0"],
        'deno task predict: --batch-size must be an integer >= 1, received "0"',
      ],
      [
        ["--adapter", "a", "--input", "x.csv", "--out", "y", "--format", "xml"],
        'deno task predict: --format must be one of csv, jsonl, received "xml"',
      ],
    ];
    for (const [args, line] of cases) {
      const r = await run(PREDICT, args);
      assertEquals(r.code, 2, r.stderr);
      // The first line of the command's own (Deno may print a node_modules notice before it).
      assertEquals(r.stderr.split("\n").find((l) => l.startsWith("deno task predict:")), line);
    }
    await withTempDir("loradrop-predict-", async (dir) => {
      const missing = await run(PREDICT, ["--adapter", dir, "--input", "x.csv", "--out", "y"]);
      assertEquals(missing.code, 1);
      assertStringIncludes(
        missing.stderr,
        `Cannot read adapter metadata ${dir}/loradrop_adapter.json`,
      );
    });
  },
});
