import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { readJsonLines } from "../lib/train/atomic_file.ts";
import { runCli } from "./_cli.ts";

const run = (args: string[]) => runCli("cli/train.ts", args);

Deno.test({
  name:
    "cli/train.ts trains USE-lite on a built-in task, records it, and does not redo a finished run",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const args = [
      "--task",
      "sentiment-low",
      "--preset",
      "hiddenKey",
      "--steps",
      "2",
      "--batch-size",
      "4",
      "--eval-every",
      "2",
      "--out",
      dir,
    ];
    const first = await run(args);
    assertEquals(first.code, 0, first.stderr);
    const summary = JSON.parse(first.stdout);
    assertEquals(summary.status, "trained");
    assertEquals(summary.steps, 2);
    const results = summary.files[1] as string;
    const records = await readJsonLines(results) as {
      config: { describe: { task: string; preset: string } };
      evaluations: unknown[];
      curves: { loss: number[]; consistencyLoss: number[] };
    }[];
    assertEquals(records.length, 1);
    assertEquals(records[0]!.config.describe.task, "sentiment-low");
    assertEquals(records[0]!.evaluations.length, 1);
    assert(records[0]!.curves.consistencyLoss.every((x) => x > 0), "hiddenKey has a KL term");
    const again = await run(args);
    assertEquals(again.code, 0, again.stderr);
    assertEquals(JSON.parse(again.stdout).status, "already-finished");
    assertEquals((await readJsonLines(results)).length, 1);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("cli/train.ts rejects a bad argument with its name and the usage", async () => {
  const bad = await run(["--task", "sentiment-low", "--lr", "fast"]);
  assertEquals(bad.code, 2);
  assertStringIncludes(bad.stderr, '--lr must be a number > 0, received "fast"');
  assertStringIncludes(bad.stderr, "Usage:");
  const unknown = await run(["--task", "nope"]);
  assertEquals(unknown.code, 2);
  assertStringIncludes(unknown.stderr, "--task must be one of");
});
