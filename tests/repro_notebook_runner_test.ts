import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { reproExperiments } from "../lib/repro/plan/experiments.ts";
import type { RunSpec } from "../lib/repro/plan/run_spec.ts";
import {
  claimVerdicts,
  displaySections,
  type NotebookExecutor,
  runNotebookExperiments,
} from "../lib/repro/report/notebook_runner.ts";
import { runSpecHash, saveStoredRun, type StoredRun } from "../lib/repro/run/store.ts";
import type { RunRecord } from "../lib/train/run_record.ts";
import type { DisplayTarget, RawDisplayOptions } from "../lib/viz/display.ts";
import type { Figure } from "../lib/viz/figure.ts";
import { PLOTLY_LOADER_CLASS } from "../lib/viz/plotly_loader.ts";

/** A fake trainer: emits one step event per step and one evaluation, then stores a record. */
function fakeExecutor(calls: RunSpec[], failOn?: string): NotebookExecutor {
  return async (spec, options) => {
    calls.push(spec);
    if (spec.method === failOn) throw new Error(`fake failure of ${spec.method}`);
    const taskLoss: number[] = [];
    for (let step = 1; step <= spec.steps; step++) {
      const loss = 1 / step + spec.seed;
      taskLoss.push(loss);
      await options.onStep?.({
        step,
        totalSteps: spec.steps,
        epoch: step / 10,
        lr: 1e-3,
        loss,
        taskLoss: loss,
        gradNorm: 1,
        applied: true,
        peakBytes: 1,
      });
    }
    const evaluation = {
      step: spec.steps,
      epoch: 1,
      metrics: { accuracy: 0.5 + spec.seed / 10 },
      loss: 1,
    };
    await options.onEval?.({ ...evaluation, totalSteps: spec.steps });
    const record = {
      evaluations: [evaluation],
      curves: { loss: taskLoss, taskLoss, consistencyLoss: [], gradNorm: [], lr: [] },
      best: { metric: "accuracy", value: evaluation.metrics.accuracy, step: spec.steps },
      stepsPerSecond: 10,
      tokensPerSecond: 1000,
      peakMemory: { numBytes: 2 ** 20, numTensors: 10 },
    } as unknown as RunRecord;
    const run: StoredRun = {
      spec,
      specHash: await runSpecHash(spec, options.backend),
      backend: options.backend,
      record,
    };
    await saveStoredRun(options.dir, run);
    return run;
  };
}

/**
 * A display target that records every bundle sent and every in-place update, except the
 * plotly.js loader that precedes its first figure.
 */
function recordingTarget() {
  const sent: { figure?: Figure; markdown?: unknown; options: RawDisplayOptions }[] = [];
  const target: DisplayTarget = {
    display: (bundle, options) => {
      if (String(bundle["text/html"] ?? "").includes(PLOTLY_LOADER_CLASS)) return;
      sent.push({
        ...(bundle["application/vnd.plotly.v1+json"]
          ? { figure: structuredClone(bundle["application/vnd.plotly.v1+json"]) as Figure }
          : {}),
        ...(bundle["text/markdown"] ? { markdown: bundle["text/markdown"] } : {}),
        options,
      });
    },
    print: () => {},
  };
  return { target, sent };
}

const quiet = { log: () => {}, settleMs: 0, minIntervalMs: 0 };

Deno.test("runNotebookExperiments trains only missing runs, with live curves, and reads them back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cost = reproExperiments("smoke").find((e) => e.id === "cost")!;
    const calls: RunSpec[] = [];
    const { target, sent } = recordingTarget();
    const first = await runNotebookExperiments({
      preset: "smoke",
      experiments: ["cost"],
      dir,
      backend: "cpu",
      execute: fakeExecutor(calls),
      target,
      ...quiet,
    });
    assertEquals(calls.length, cost.runs.length);
    const n = cost.runs.length;
    assertEquals([first.planned, first.cached, first.ran.length], [n, 0, n]);
    assertEquals(first.input.runs.length, n);
    assertEquals(first.tasks, ["sentiment-low"]);
    // One display, then only in-place updates of it; the last shows the last run's curves.
    const ids = new Set(sent.map((s) => s.options.display_id));
    assertEquals(ids.size, 1);
    assertEquals(sent[0]!.options.update, undefined);
    assert(sent.slice(1).every((s) => s.options.update === true));
    const last = sent.at(-1)!.figure!;
    const lastSpec = calls.at(-1)!;
    assertStringIncludes(String((last.layout.title as { text: string }).text), `Run ${n}/${n}`);
    assertEquals(
      last.data[0]!.y,
      Array.from({ length: lastSpec.steps }, (_, i) => 1 / (i + 1) + lastSpec.seed),
    );
    assertEquals(last.data[1]!.x, [lastSpec.steps]);
    assertEquals(last.data[1]!.yaxis, "y2");

    // A second call trains nothing and shows one stored run's curves instead.
    const again = recordingTarget();
    const second = await runNotebookExperiments({
      preset: "smoke",
      experiments: ["cost"],
      dir,
      backend: "cpu",
      execute: fakeExecutor(calls),
      target: again.target,
      ...quiet,
    });
    assertEquals(calls.length, n);
    assertEquals([second.planned, second.cached, second.ran.length], [n, n, 0]);
    assertEquals(again.sent.length, 1);
    assertStringIncludes(
      String((again.sent[0]!.figure!.layout.title as { text: string }).text),
      "stored",
    );
    assertEquals(again.sent[0]!.figure!.data[0]!.y!.constructor, Array);
    assert((again.sent[0]!.figure!.data[0]!.y as number[]).length > 0);

    // A run on another backend is another run; extra runs are trained too.
    const extra = { ...cost.runs[0]!, method: "dropAttention-element", rate: 0.1, klWeight: 0 };
    const third = await runNotebookExperiments({
      preset: "smoke",
      experiments: ["cost"],
      dir,
      backend: "cpu",
      extraRuns: [extra],
      execute: fakeExecutor(calls),
      target: recordingTarget().target,
      ...quiet,
    });
    assertEquals(calls.at(-1)!.method, "dropAttention-element");
    assertEquals([third.planned, third.cached, third.ran.length], [n + 1, n, 1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runNotebookExperiments runs the other runs, then rejects naming the run that failed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const n = reproExperiments("smoke").find((e) => e.id === "cost")!.runs.length;
    const calls: RunSpec[] = [];
    await assertRejects(
      () =>
        runNotebookExperiments({
          preset: "smoke",
          experiments: ["cost"],
          dir,
          backend: "cpu",
          execute: fakeExecutor(calls, "dropKey-column"),
          target: recordingTarget().target,
          ...quiet,
        }),
      Error,
      `1 of ${n} failed, first dropKey-column p=0.1 on sentiment-low, seed 0: Error: fake failure of dropKey-column`,
    );
    assertEquals(calls.length, n);
    const retry: RunSpec[] = [];
    const out = await runNotebookExperiments({
      preset: "smoke",
      experiments: ["cost"],
      dir,
      backend: "cpu",
      execute: fakeExecutor(retry),
      target: recordingTarget().target,
      ...quiet,
    });
    assertEquals(retry.map((s) => s.method), ["dropKey-column"]);
    assertEquals(out.cached, n - 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runNotebookExperiments rejects an unknown experiment id by name", async () => {
  await assertRejects(
    () =>
      runNotebookExperiments({
        preset: "smoke",
        experiments: ["overfit", "overfitting"],
        dir: "/nonexistent-folder",
        backend: "cpu",
        execute: () => Promise.reject(new Error("not called")),
        ...quiet,
      }),
    RangeError,
    '"overfitting"',
  );
});

Deno.test("claimVerdicts decides the chosen claims from stored runs and rejects unknown claims", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await runNotebookExperiments({
      preset: "smoke",
      experiments: ["overfit"],
      dir,
      backend: "cpu",
      execute: fakeExecutor([]),
      target: recordingTarget().target,
      ...quiet,
    });
    // Smoke's two ranks cannot show a rise and a fall (claim 1), and its short baseline runs
    // cannot show overfitting, so the dropout claim 10 is not testable either.
    const verdicts = claimVerdicts(out.input, [10, 1]);
    assertEquals(verdicts.map((v) => [v.claim, v.verdict]), [
      [1, "not testable here"],
      [10, "not testable here"],
    ]);
    assert(verdicts[1]!.evidence.includes("does not overfit"), verdicts[1]!.evidence);
    let error: unknown;
    try {
      claimVerdicts(out.input, [99]);
    } catch (e) {
      error = e;
    }
    assert(error instanceof RangeError && error.message.includes("received 99"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("displaySections sends markdown, then the figure, then the table, in section order", async () => {
  const { target, sent } = recordingTarget();
  await displaySections([
    { heading: "H", text: "t" },
    { figure: { data: [{ type: "scatter", x: [0], y: [1] }], layout: {} } },
    { table: { rows: [{ a: 1 }], columns: ["a"] } },
  ], { target, settleMs: 0 });
  assertEquals(sent.map((s) => [s.markdown ?? null, s.figure !== undefined]), [
    ["### H\n\nt", false],
    [null, true],
    [null, false],
  ]);
});
