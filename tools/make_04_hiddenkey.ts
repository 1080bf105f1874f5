/**
 * Writes `notebooks/04_hiddenkey.ipynb` (run: `deno run -A tools/make_04_hiddenkey.ts`, or
 * `deno run -A tools/make_notebooks.ts` for all). The cells live here as text so that they can be
 * reviewed and diffed; the notebook in the repository carries no outputs.
 *
 * @module
 */
import { code, md, notebookJson, t } from "./_nbformat.ts";
import { knownEvidenceCells, RESULTS_SETUP, verdictsCells } from "./_repro_cells.ts";

const cells = [
  md(t`
# 4. HiddenKey: the best positions, patterns and compensation together

From the framework's comparison (notebook 03) the paper builds its method (§4):

- **HiddenKey⁻** = column-wise DropKey on the attention logits + element-wise HiddenCut on the
  feed-forward output (each at its preferred pattern);
- **HiddenKey** = HiddenKey⁻ + a bidirectional KL consistency loss between two forward passes with
  independent masks (R-Drop, Eq. 11), back-propagated through one branch only:

$$
\mathcal{L} = \mathcal{L}_\text{task}(P_1)
  + \alpha \cdot \tfrac{1}{2}\Big[ D_\text{KL}\big(P_1 \,\|\, \mathrm{sg}(P_2)\big)
  + D_\text{KL}\big(\mathrm{sg}(P_2) \,\|\, P_1\big) \Big],
$$

where $P_1, P_2$ are the two passes' output distributions and $\mathrm{sg}$ stops the gradient. The
paper compares it with a JS-style loss against the *inference* distribution $\bar P$ (Eq. 12,
$D_\text{KL}(P_1 \| \bar P)$, HiddenCut's compensation) and with adding input (Cutoff) or output
dropout on top of HiddenKey⁻.

Its findings (Table 1, Table 8): HiddenKey⁻ beats each of its parts; KL improves **every** dataset
while JS changes nothing on average; input/output dropout gives no consistent gain; HiddenKey beats
the baseline by +1.41 on average (+3.62 on RTE), with paired-test p-values between 0.024 and 0.080.

This notebook runs the reproduction's \`compensation\` and \`significance\` experiments at the preset
chosen by \`LORADROP_PRESET\` (default \`quick\`) and sets them beside those tables.
`),
  code(t`
import { initFastestBackend, presetPlan } from "@loradrop/core";
import {
  claimsSection,
  COMPENSATION_METHODS,
  compensationSection,
  displaySections,
  methodTable,
  notebookPreset,
  PAPER_TABLE1,
  displayKnownEvidence,
  reproExperiments,
  runNotebookExperiments,
  significanceSection,
  updateEvidence,
} from "@loradrop/core/repro";
import { barFigure, displayFigure, displayTable } from "@loradrop/core/viz";

${RESULTS_SETUP}
const experiments = reproExperiments(preset).filter((e) => e.id === "compensation" || e.id === "significance");
console.log("preset " + preset + " on backend " + backend.active + "; results in " + dir);
`),
  ...knownEvidenceCells([8, 9, 10, 11]),
  md(t`
## The methods as plans

Each row is one of loradrop's named plans: its drops and its consistency loss (\`branches: "one"\`
is the paper's single back-propagated branch; \`hiddenKey-both\`, in notebook 05, trains both).
`),
  code(t`
const methods = [...new Set(experiments.flatMap((e) => e.runs.map((r) => r.method)))];
await displayTable(methods.map((method) => {
  const plan = presetPlan(method, { rate: 0.1 });
  const mine = experiments.flatMap((e) => e.runs).filter((r) => r.method === method);
  return {
    method,
    drops: plan.drops.map((d) => d.position + " / " + d.pattern).join(" + ") || "none",
    consistency: plan.consistency === undefined ? "" : plan.consistency.kind + ", " + (plan.consistency.branches === "one" ? "one branch" : "both branches") + ", α = " + plan.consistency.weight,
    rates: [...new Set(mine.map((r) => r.rate))].join(", "),
    seeds: [...new Set(mine.map((r) => r.seed))].length,
  };
}), ["method", "drops", "consistency", "rates", "seeds"]);
`),
  md(t`
## The runs

Stored runs are read; missing ones train here, with the current run's training loss and dev score
redrawn in place. A KL run does two forward passes per step, so it takes longer.
`),
  code(
    t`
// @plot
const runs = await runNotebookExperiments({ preset, experiments: ["compensation", "significance"], dir, backend: backend.active });
const input = runs.input;
`,
    { plot: true },
  ),
  md(t`
## Table 1 (compensation block) and Table 8, reproduced

First every seed's score (averaged over the preset's tasks) for HiddenKey and the methods it is
tested against: Table 8's tests are *paired* over seeds, so what matters is whether HiddenKey wins
seed by seed. Then the report's sections: the compensation table and the paired tests.
`),
  code(
    t`
// @plot
const compared = ["baseline", "dropKey-column", "hiddenCut-element", ...COMPENSATION_METHODS];
const table = methodTable(input.runs, compared, runs.tasks);
const present = table.rows.filter((r) => r.avg !== undefined);
const allSeeds = [...new Set(present.flatMap((r) => runs.tasks.flatMap((t) => [...r.cells[t]!.summary.bySeed.keys()])))].sort((a, b) => a - b);
// Only seeds every method ran on every task: the pairs Table 8's tests use.
const seeds = allSeeds.filter((seed) => present.every((r) => runs.tasks.every((t) => r.cells[t]!.summary.bySeed.has(seed))));
if (seeds.length < allSeeds.length) console.log("left out incomplete seeds: " + allSeeds.filter((s) => !seeds.includes(s)).join(", "));
const seedScore = (row: (typeof present)[number], seed: number) =>
  runs.tasks.reduce((sum, t) => sum + row.cells[t]!.summary.bySeed.get(seed)!, 0) / runs.tasks.length;
await displayFigure(barFigure(present.map((r) => r.method), seeds.map((seed) => ({
  name: "seed " + seed,
  values: present.map((r) => seedScore(r, seed)),
})), { title: "Best dev score per seed (mean over tasks)", yTitle: "best dev score" }));
await displaySections([compensationSection(input), significanceSection(input)]);
`,
    { plot: true },
  ),
  md(t`
## Paper vs here

Table 1's compensation block (RoBERTa-large, GLUE average) beside this preset's average over its
tasks, each method's difference to HiddenKey⁻, and — for claim 9 — the KL gain task by task.
`),
  code(t`
const paperRow = (m: string) => PAPER_TABLE1.find((r) => r.preset === m);
const hereAvg = (m: string) => table.rows.find((r) => r.method === m)?.avg;
const fmt = (x: number | undefined, sign = false) => (x === undefined ? "–" : (sign && x >= 0 ? "+" : "") + x.toFixed(2));
const diff = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b);
await displayTable(["baseline", "dropKey-column", "hiddenCut-element", ...COMPENSATION_METHODS].map((m) => ({
  method: m,
  "paper avg": fmt(paperRow(m)?.avg),
  "paper − HiddenKey⁻": m === "hiddenKey-minus" ? "" : fmt(diff(paperRow(m)?.avg, paperRow("hiddenKey-minus")?.avg), true),
  "here avg": hereAvg(m) === undefined ? "not run" : fmt(hereAvg(m)),
  "here − HiddenKey⁻": m === "hiddenKey-minus" ? "" : fmt(diff(hereAvg(m), hereAvg("hiddenKey-minus")), true),
})), ["method", "paper avg", "paper − HiddenKey⁻", "here avg", "here − HiddenKey⁻"]);

const paperTasks = ["rte", "mrpc", "stsb", "sst2"] as const;
const cellOf = (m: string, t: string) => table.rows.find((r) => r.method === m)?.cells[t]?.summary.median;
await displayTable([
  ...paperTasks.map((t) => ({
    task: "paper: " + t.toUpperCase(),
    "HiddenKey⁻": fmt(paperRow("hiddenKey-minus")!.scores[t]),
    HiddenKey: fmt(paperRow("hiddenKey")!.scores[t]),
    "KL gain": fmt(paperRow("hiddenKey")!.scores[t] - paperRow("hiddenKey-minus")!.scores[t], true),
  })),
  ...runs.tasks.map((t) => ({
    task: "here: " + t,
    "HiddenKey⁻": fmt(cellOf("hiddenKey-minus", t)),
    HiddenKey: fmt(cellOf("hiddenKey", t)),
    "KL gain": fmt(diff(cellOf("hiddenKey", t), cellOf("hiddenKey-minus", t)), true),
  })),
], ["task", "HiddenKey⁻", "HiddenKey", "KL gain"]);
`),
  ...verdictsCells(
    [8, 9, 10, 11],
    `; claims whose methods this
preset does not run (e.g. + input / + output outside \`full\`) are reported as not testable.`,
  ),
  md(t`
Next: \`05_cost\` measures what the second pass costs, and the variant that trains both branches.
`),
];

const out = new URL("../notebooks/04_hiddenkey.ipynb", import.meta.url);
await Deno.writeTextFile(out, notebookJson(cells));
console.log(`wrote ${out.pathname} (${cells.length} cells)`);
