/**
 * Writes `notebooks/01_lora_overfits.ipynb` (run: `deno run -A tools/make_01_lora_overfits.ts`, or
 * `deno run -A tools/make_notebooks.ts` for all). The cells live here as text so that they can be
 * reviewed and diffed; the notebook in the repository carries no outputs.
 *
 * @module
 */
import { code, md, notebookJson, t } from "./_nbformat.ts";
import { RESULTS_SETUP } from "./_repro_cells.ts";

const cells = [
  md(t`
# 1. LoRA overfits

LoRA (Hu et al. 2021) freezes a pretrained weight $W_0 \in \mathbb{R}^{d_\text{in} \times d_\text{out}}$
and trains a low-rank update,

$$
h = x W_0 + \frac{\alpha}{r}\, x A B, \qquad A \in \mathbb{R}^{d_\text{in} \times r},\;
B \in \mathbb{R}^{r \times d_\text{out}},\; B = 0 \text{ at initialisation},
$$

so an adapted matrix costs $r\,(d_\text{in} + d_\text{out})$ trainable parameters instead of
$d_\text{in} d_\text{out}$. With $r = 8$ on the query and value projections of RoBERTa-large's 24
layers that is $24 \cdot 2 \cdot 8 \cdot (1024 + 1024) = 786{,}432$ parameters, 0.22 % of the model.

The paper (§5, Fig. 5 and 6) argues that this is still a lot of freedom —
amplified by the frozen model it steers — and that LoRA **overfits** when nothing regularises it:

- **Fig. 5**: without dropout, dev accuracy on RTE first rises with the rank, then falls;
- **Fig. 6**: the baseline's training loss quickly goes to zero while its dev accuracy peaks and
  then declines; HiddenKey⁻ (column DropKey + element HiddenCut) slows the loss and stays above
  the baseline, and HiddenKey (+ KL) keeps improving.

This notebook runs the \`overfit\` experiment of the reproduction — LoRA without dropout over the
preset's ranks (α = 2r, so the scale α/r stays 2), plus HiddenKey⁻ and HiddenKey at rank 8 — on the
default model (USE-lite) and an offline task, and compares the shapes with the paper's. The runs are
the ones \`deno task repro\` makes: a run already stored under \`results/<preset>/\` is read, not
trained again. \`LORADROP_PRESET\` chooses the preset (\`smoke\`, \`quick\` — the default —, \`full\`).
`),
  code(t`
import { initFastestBackend } from "@loradrop/core";
import {
  claimsSection,
  displaySections,
  displayKnownEvidence,
  lossCurveSections,
  methodTable,
  notebookPreset,
  overfitSections,
  PAPER_TABLE1,
  rankCurve,
  regimeSection,
  reproExperiments,
  runNotebookExperiments,
  selectRuns,
  sharedRunResources,
  updateEvidence,
} from "@loradrop/core/repro";
import { displayFigure, displayTable, lineFigure, scatterFigure } from "@loradrop/core/viz";

${RESULTS_SETUP}
const overfit = reproExperiments(preset).find((e) => e.id === "overfit")!;
const task = overfit.runs[0]!.task;
// The sweep's ranks; rank 8 (α = 16) is also the other experiments' baseline, so it joins the sweep.
const ranks = [...new Set([...overfit.runs.filter((r) => r.method === "baseline").map((r) => r.rank), 8])].sort((a, b) => a - b);
const seeds = [...new Set(overfit.runs.map((r) => r.seed))];
console.log("preset " + preset + " on backend " + backend.active + "; results in " + dir);
console.log("task " + task + ", ranks " + ranks.join(", ") + ", seeds " + seeds.join(", ") + ", " +
  overfit.runs[0]!.steps + " steps of " + overfit.runs[0]!.batchSize + " examples per run");
`),
  md(t`
## What is known before anything runs here

The reproduction writes its evidence to \`results/<preset>/regime.json\` (does the no-dropout
baseline overfit, per task, by a stated rule) and \`verdicts.json\` (one verdict per claim, with its
paired difference and 95% CI). When this preset has no local results yet, the cell shows the
**committed reference results** (\`reference/<preset>/\`), labelled with the commit, machine,
backend and date that made them; the cells further down then produce this machine's own.
`),
  code(t`
await displayKnownEvidence(dir, preset, [1], { regime: true });
`),
  md(t`
## How many parameters does a rank buy?

The formula above, applied to the model's own layer sizes (LoRA on q and v of every layer, as in
the paper), next to RoBERTa-large's. The classification head is trained too and is not counted, as
in the paper.
`),
  code(t`
const { base } = await sharedRunResources("use-lite");
const layers = base.config.layers;
const loraParams = (r: number, dims: readonly { inputDim: number; numHeads: number; headDim: number }[]) =>
  dims.reduce((s, l) => s + 2 * r * (l.inputDim + l.numHeads * l.headDim), 0); // q and v
// Every frozen tensor of the model, found by walking its weights.
function countParams(x: unknown): number {
  if (x === null || typeof x !== "object") return 0;
  if ("shape" in x && "size" in x && Array.isArray(x.shape)) return x.size as number;
  return Object.values(x).reduce((s: number, v) => s + countParams(v), 0);
}
const frozen = countParams(base.weights);
const roberta = Array.from({ length: 24 }, () => ({ inputDim: 1024, numHeads: 16, headDim: 64 }));
const percent = (n: number, of: number) => (100 * n / of).toFixed(2) + " %";
await displayTable(ranks.map((r) => ({
  rank: r,
  "USE-lite LoRA": loraParams(r, layers),
  "of USE-lite": percent(loraParams(r, layers), frozen),
  "RoBERTa-large LoRA": loraParams(r, roberta),
  "of RoBERTa-large (355 M)": percent(loraParams(r, roberta), 355e6),
})), ["rank", "USE-lite LoRA", "of USE-lite", "RoBERTa-large LoRA", "of RoBERTa-large (355 M)"]);
console.log("USE-lite: " + layers.length + " layers, " + frozen.toLocaleString("en") + " frozen parameters");
`),
  md(t`
## The runs

The helper below (\`runNotebookExperiments\`, shared by the notebooks) plans the experiment's runs,
skips the ones already stored in the results folder (a run's identity is the hash of its spec and
the backend) and trains the rest here. While a run trains, the figure redraws in place: its
training (task) loss at every step and its dev score at every evaluation.
`),
  code(
    t`
// @plot
// The regime check's long baseline runs join the rank sweep when the preset has them.
const ids = reproExperiments(preset).map((e) => e.id).filter((id) => id === "overfit" || id === "regime");
const runs = await runNotebookExperiments({ preset, experiments: ids, dir, backend: backend.active });
const input = runs.input;
`,
    { plot: true },
  ),
  md(t`
## Does the baseline overfit here? (the regime check)

The paper's argument rests on LoRA overfitting (§5): a dropout method can only help where the
no-dropout model overfits. The rule below — applied to the mean curves over seeds of long,
frequently evaluated baseline runs — decides it per task, and the dropout claims (4-11) are only
tested on tasks where it holds. The cell writes \`regime.json\` and \`verdicts.json\` of this results
folder from the stored runs and shows what they hold. Then the train and dev loss of the baseline
against HiddenKey⁻ and HiddenKey over training (mean over seeds), with each method's best and final
dev score: dropout should keep the dev loss from rising.
`),
  code(t`
const evidence = await updateEvidence(dir, input);
await displaySections([regimeSection(evidence), ...lossCurveSections(input, ["baseline", "hiddenKey-minus", "hiddenKey"])]);
`),
  md(t`
## Fig. 5 and Fig. 6, reproduced

The same sections as the reproduction's \`report.html\`: the dev score (best dev accuracy × 100,
median over seeds) against the rank without dropout, then the training loss against the dev score
over evaluations (mean over seeds). Below them, every run's score so that the spread over seeds is
visible.
`),
  code(
    t`
// @plot
await displaySections(overfitSections(input));
const sweep = selectRuns(input.runs, { method: "baseline", task }).filter((r) => r.spec.alpha === 2 * r.spec.rank && r.record.best);
await displayFigure(scatterFigure(seeds.map((seed) => {
  const mine = sweep.filter((r) => r.spec.seed === seed).sort((a, b) => a.spec.rank - b.spec.rank);
  return {
    name: "seed " + seed,
    x: mine.map((r) => r.spec.rank),
    y: mine.map((r) => r.record.best!.value * 100),
    labels: mine.map((r) => "r = " + r.spec.rank + ", best at step " + r.record.best!.step),
  };
}), { title: "Every run of the rank sweep (no dropout)", xTitle: "rank r", yTitle: "best dev score" }));
`,
    { plot: true },
  ),
  md(t`
The overfitting signature over time: the training loss per step (mean over seeds) of the smallest
and largest rank without dropout and of the two HiddenKey variants at rank 8. Dropout keeps the
training loss higher; the question of Fig. 6 is whether that buys a better dev score.
`),
  code(
    t`
// @plot
function meanLossCurve(where: Record<string, string | number>) {
  const mine = selectRuns(input.runs, { task, ...where });
  const steps = Math.min(...mine.map((r) => r.record.curves.taskLoss.length));
  if (mine.length === 0 || !Number.isFinite(steps)) return undefined;
  const y = Array.from({ length: steps }, (_, i) => mine.reduce((s, r) => s + r.record.curves.taskLoss[i]!, 0) / mine.length);
  return { x: y.map((_, i) => i + 1), y, runs: mine.length };
}
const lossSeries = [
  { name: "baseline r = " + Math.min(...ranks), where: { method: "baseline", rank: Math.min(...ranks) } },
  { name: "baseline r = " + Math.max(...ranks), where: { method: "baseline", rank: Math.max(...ranks) } },
  { name: "HiddenKey⁻ r = 8", where: { method: "hiddenKey-minus", rank: 8 } },
  { name: "HiddenKey r = 8", where: { method: "hiddenKey", rank: 8 } },
].flatMap((s) => {
  const c = meanLossCurve(s.where);
  return c && c.y.every(Number.isFinite) ? [{ name: s.name + " (" + c.runs + " runs)", x: c.x, y: c.y }] : [];
});
await displayFigure(lineFigure(lossSeries, { title: "Training (task) loss per step, mean over seeds", xTitle: "step", yTitle: "task loss" }));
`,
    { plot: true },
  ),
  md(t`
## Paper vs here

The paper prints no numbers for Fig. 5 and 6 (only images), so the comparison is of shapes; the
scores below are the paper's Table 1 averages over RTE, MRPC, STS-B and SST-2 with RoBERTa-large
beside this preset's scores on its overfitting task (best dev score × 100, median over seeds, at
rank 8). Absolute numbers are not comparable — a 7 M-parameter model on a small offline task
against RoBERTa-large on GLUE —; orderings and gaps are.
`),
  code(t`
const scores = methodTable(input.runs, ["baseline", "hiddenKey-minus", "hiddenKey"], [task]);
const here = (m: string) => scores.rows.find((r) => r.method === m)?.cells[task]?.summary.median;
const paper = (m: string) => PAPER_TABLE1.find((r) => r.preset === m)!.avg;
const fmt = (x: number | undefined, sign = false) => x === undefined ? "not run" : (sign && x >= 0 ? "+" : "") + x.toFixed(2);
const sweepCurve = rankCurve(input.runs, task);
const sweepText = sweepCurve.x.map((r, i) => "r=" + r + ": " + sweepCurve.y[i]!.toFixed(2)).join(", ") || "not run";
const lastLoss = (name: string) => lossSeries.find((s) => s.name.startsWith(name))?.y.at(-1);
await displayTable([
  { quantity: "dev score against rank, no dropout", paper: "rises, then falls (Fig. 5, RTE; no numbers printed)", here: sweepText },
  { quantity: "baseline: LoRA without dropout", paper: paper("baseline").toFixed(2), here: fmt(here("baseline")) },
  { quantity: "HiddenKey⁻", paper: paper("hiddenKey-minus").toFixed(2), here: fmt(here("hiddenKey-minus")) },
  { quantity: "HiddenKey", paper: paper("hiddenKey").toFixed(2), here: fmt(here("hiddenKey")) },
  {
    quantity: "HiddenKey − baseline",
    paper: fmt(paper("hiddenKey") - paper("baseline"), true),
    here: fmt(here("hiddenKey") === undefined || here("baseline") === undefined ? undefined : here("hiddenKey")! - here("baseline")!, true),
  },
  {
    quantity: "final training loss, baseline r = 8 vs HiddenKey⁻",
    paper: "baseline near zero, HiddenKey⁻ larger (Fig. 6)",
    here: fmt(meanLossCurve({ method: "baseline", rank: 8 })?.y.at(-1)) + " vs " + fmt(lastLoss("HiddenKey⁻")),
  },
], ["quantity", "paper", "here"]);
`),
  md(t`
## Verdict

Claim 1 of the paper (listed in \`docs/claims.md\`), as \`verdicts.json\` holds it: the peak rank (an
interior rank, chosen by leave-one-seed-out so that no seed picks its own peak) against the smallest
and the largest rank, paired over seeds, with 95% CIs and Holm's correction. With fewer than three
ranks (the \`smoke\` preset) the rise-then-fall shape cannot be tested, and the verdict says so.
`),
  code(t`
await displaySections([claimsSection(evidence, [1])]);
`),
  md(t`
Next: \`02_dropkey_vs_dropattention\` looks inside the attention: why dropping a key before the
softmax and dropping a weight after it give the same forward pass but different gradients.
`),
];

const out = new URL("../notebooks/01_lora_overfits.ipynb", import.meta.url);
await Deno.writeTextFile(out, notebookJson(cells));
console.log(`wrote ${out.pathname} (${cells.length} cells)`);
