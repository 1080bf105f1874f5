/**
 * Writes `notebooks/05_cost.ipynb` (run: `deno run -A tools/make_05_cost.ts`, or `deno run -A
 * tools/make_notebooks.ts` for all). The cells live here as text so that they can be reviewed and
 * diffed; the notebook in the repository carries no outputs.
 *
 * @module
 */
import { code, md, notebookJson, t } from "./_nbformat.ts";
import { RESULTS_SETUP } from "./_repro_cells.ts";

const cells = [
  md(t`
# 5. What dropout costs: time per step, throughput, memory, and training both branches

The paper's one stated limitation is cost (§7): HiddenKey's KL loss needs a
second forward pass, so training takes **about 50 % longer**; HiddenKey⁻ (no extra loss) costs about
as much as plain LoRA. It reports neither memory nor throughput — reviewers asked for them — and
leaves as future work back-propagating **both** branches (each batch then trains twice, which could
halve the number of steps).

Where the time goes, with $F$ one forward pass and $B$ one backward pass of a step:

| method | passes per step | cost |
|---|---|---|
| LoRA, and any single-pass dropout | forward + backward | $F + B$ |
| HiddenKey (KL, one branch: the second pass is a constant) | 2 forward + 1 backward | $2F + B$ |
| \`hiddenKey-both\` (KL through both branches) | 2 forward + 2 backward | $2F + 2B$ |

With LoRA the base weights are frozen, so $B$ holds no weight gradients for them — only activation
gradients, and only above the first adapter — which makes $B$ cheaper than the usual $2F$, and the
second forward pass relatively *more* expensive. \`trainingStepFlops\` counts these matrix products
for the model at hand; the measurements below come from the trainer's records of the runs (the
median ms per optimiser step, real tokens per second, and the peak of \`tf.memory().numBytes\`).
`),
  code(t`
import { initFastestBackend, presetPlan } from "@loradrop/core";
import { loadTask } from "@loradrop/core/data";
import {
  claimVerdicts,
  costSection,
  costTable,
  displaySections,
  notebookPreset,
  reproExperiments,
  runNotebookExperiments,
  selectRuns,
  sharedRunResources,
  trainingStepFlops,
} from "@loradrop/core/repro";
import { barFigure, displayFigure, displayTable } from "@loradrop/core/viz";

${RESULTS_SETUP}
const cost = reproExperiments(preset).find((e) => e.id === "cost")!;
// The both-branch variant: from the preset when it times it, else one run beside HiddenKey's.
const hiddenKeyRun = cost.runs.find((r) => r.method === "hiddenKey")!;
const extraRuns = cost.runs.some((r) => r.method === "hiddenKey-both") ? [] : [{ ...hiddenKeyRun, method: "hiddenKey-both" }];
const methods = [...cost.runs.map((r) => r.method), ...extraRuns.map((r) => r.method)];
console.log("preset " + preset + " on backend " + backend.active + "; results in " + dir);
console.log("timed methods: " + methods.join(", ") + (extraRuns.length ? " (hiddenKey-both added by this notebook)" : ""));
`),
  md(t`
## The runs

One run per method (the preset's first seed, rank 8, the same batch size and length), read from
the results folder when stored, trained here otherwise — live curves as before. The cost table uses
every stored rank-8 run of a method, so it also averages over runs other notebooks made.
`),
  code(
    t`
// @plot
const runs = await runNotebookExperiments({ preset, experiments: ["cost"], extraRuns, dir, backend: backend.active });
const input = runs.input;
`,
    { plot: true },
  ),
  code(t`
await displaySections([costSection(input)]);
`),
  md(t`
## Measured against the FLOP model

The FLOP model's step cost of each method relative to the baseline's, for this model and the runs'
batch shape (sequences counted at the maximum length), next to the measured ms/step ratio. The FLOP
model counts matrix products only: the dropout masks, generated in JavaScript, and the consistency
loss itself are extra time it does not see.
`),
  code(
    t`
// @plot
const { base } = await sharedRunResources("use-lite");
const task = await loadTask(hiddenKeyRun.task as Parameters<typeof loadTask>[0]);
const rows = costTable(input.runs, methods);
const flopsOf = (method: string) => {
  const branches = presetPlan(method, { rate: 0.1 }).consistency?.branches;
  return trainingStepFlops({
    layers: base.config.layers,
    batch: hiddenKeyRun.batchSize,
    seqLen: hiddenKeyRun.maxLength,
    lora: { r: hiddenKeyRun.rank, targets: ["q", "v"] },
    numOutputs: task.card.kind === "classification" ? task.card.numLabels : 1,
    consistency: branches ?? "none",
  });
};
const baseFlops = flopsOf("baseline");
console.log("baseline step: forward " + (baseFlops.forward / 1e9).toFixed(3) + " GFLOP, backward " +
  (baseFlops.backward / 1e9).toFixed(3) + " GFLOP (backward/forward = " + (baseFlops.backward / baseFlops.forward).toFixed(2) + ")");
const timed = rows.filter((r) => r.relativeToBaseline !== undefined);
await displayFigure(barFigure(timed.map((r) => r.method), [
  { name: "measured ms/step ÷ baseline", values: timed.map((r) => r.relativeToBaseline!) },
  { name: "FLOP model ÷ baseline", values: timed.map((r) => flopsOf(r.method).total / baseFlops.total) },
], { title: "Step cost relative to LoRA without dropout", yTitle: "× baseline" }));
await displayFigure(barFigure(rows.map((r) => r.method), [
  { name: "tokens/s", values: rows.map((r) => r.tokensPerSecond) },
], { title: "Training throughput (real tokens per second)", yTitle: "tokens/s" }));
await displayFigure(barFigure(rows.map((r) => r.method), [
  { name: "peak tensor memory (MB)", values: rows.map((r) => r.peakMB) },
], { title: "Peak tensor memory during training", yTitle: "MB" }));
`,
    { plot: true },
  ),
  md(t`
## One branch or both?

HiddenKey computes the KL term with the second pass held constant, so only the first pass is
back-propagated. \`hiddenKey-both\` differentiates through both passes (R-Drop's original form,
which also averages the task loss over the two passes): one more backward pass per step, but every
batch trains the adapters twice. At the same number of steps, what does it cost and what does it
buy? (One seed at the \`smoke\` and \`quick\` presets: a first look, not a test.)
`),
  code(t`
const pair = ["hiddenKey", "hiddenKey-both"].map((method) => {
  const mine = selectRuns(input.runs, { ...hiddenKeyRun, method });
  const run = mine[0];
  const row = rows.find((r) => r.method === method);
  const lastConsistency = run?.record.curves.consistencyLoss.at(-1);
  return {
    method,
    "ms/step": row ? row.msPerStep.toFixed(0) : "–",
    "× baseline": row?.relativeToBaseline === undefined ? "–" : row.relativeToBaseline.toFixed(2),
    "best dev score": run?.record.best ? (run.record.best.value * 100).toFixed(2) : "–",
    "final task loss": run ? run.record.curves.taskLoss.at(-1)!.toFixed(4) : "–",
    "final consistency term": lastConsistency === undefined ? "–" : lastConsistency.toFixed(4),
    "peak MB": row ? row.peakMB.toFixed(1) : "–",
  };
});
await displayTable(pair, ["method", "ms/step", "× baseline", "best dev score", "final task loss", "final consistency term", "peak MB"]);
`),
  md(t`
## Paper vs here

"Paper" is what the paper states (it prints no cost table); "FLOP model" is the count for this
model; "here" is measured on this machine's backend.
`),
  code(t`
const rel = (m: string) => rows.find((r) => r.method === m)?.relativeToBaseline;
const flopRel = (m: string) => flopsOf(m).total / baseFlops.total;
const fmt = (x: number | undefined, unit = "×") => (x === undefined ? "not run" : x.toFixed(2) + " " + unit);
const peak = (m: string) => rows.find((r) => r.method === m)?.peakMB;
await displayTable([
  { quantity: "HiddenKey step time ÷ baseline", paper: "≈ 1.5 (\"about 50 % longer\")", "FLOP model": fmt(flopRel("hiddenKey")), here: fmt(rel("hiddenKey")) },
  { quantity: "HiddenKey⁻ step time ÷ baseline", paper: "≈ 1 (no extra pass)", "FLOP model": fmt(flopRel("hiddenKey-minus")), here: fmt(rel("hiddenKey-minus")) },
  { quantity: "both branches step time ÷ baseline", paper: "future work, not measured", "FLOP model": fmt(flopRel("hiddenKey-both")), here: fmt(rel("hiddenKey-both")) },
  { quantity: "peak memory, baseline", paper: "not reported", "FLOP model": "", here: fmt(peak("baseline"), "MB") },
  { quantity: "peak memory, HiddenKey", paper: "not reported", "FLOP model": "", here: fmt(peak("hiddenKey"), "MB") },
], ["quantity", "paper", "FLOP model", "here"]);
`),
  md(t`
## Verdict

Claim 16 of the paper (listed in \`docs/claims.md\`), decided by the reproduction's rule.
`),
  code(t`
await displayTable(claimVerdicts(input, [16]).map((v) => ({ ...v })), ["claim", "text", "verdict", "rule", "evidence"]);
`),
  md(t`
That closes the tour: \`deno task repro --preset full\` runs every experiment of these notebooks at
the larger scale (resumable, shardable over machines) and writes the same sections into
\`results/full/report.html\`; the notebooks, rerun with \`LORADROP_PRESET=full\`, then read those runs.
`),
];

const out = new URL("../notebooks/05_cost.ipynb", import.meta.url);
await Deno.writeTextFile(out, notebookJson(cells));
console.log(`wrote ${out.pathname} (${cells.length} cells)`);
