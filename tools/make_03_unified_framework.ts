/**
 * Writes `notebooks/03_unified_framework.ipynb` (run: `deno run -A
 * tools/make_03_unified_framework.ts`, or `deno run -A tools/make_notebooks.ts` for all). The
 * cells live here as text so that they can be reviewed and diffed; the notebook in the repository
 * carries no outputs.
 *
 * @module
 */
import { code, md, notebookJson, t } from "./_nbformat.ts";
import { knownEvidenceCells, RESULTS_SETUP, verdictsCells } from "./_repro_cells.ts";

const cells = [
  md(t`
# 3. The unified framework: where, which pattern, how to compensate

The paper (§3) describes every transformer dropout method by three
choices and compares them with LoRA on RoBERTa-large (Table 1, Fig. 4).

**Where** the mask $M \in \{0, 1\}$ acts, and the rescaling each position implies:

| method | position | operation |
|---|---|---|
| DropKey | attention logits $S$, before the softmax | $A = \mathrm{softmax}(S + \log M)$ ($\log 0$: a large negative number) — the softmax renormalises, no rescaling |
| DropAttention | attention weights $W$, after the softmax | $A = (W \odot M) \,/\, \mathrm{NoGrad}\big(\sum_k (W \odot M)_k\big)$ — normalised rescaling |
| HiddenCut | the feed-forward block's output $h$, before the residual | $h' = h \odot M \cdot c$, $c = 1/(1-p)$ for element and column masks, $c = 1$ for a span |

**Which pattern** of entries $M$ drops, at rate $p$:

- **element**: every entry independently, $M \sim \mathrm{Bernoulli}(1-p)$;
- **column**: a whole key for every query of a head, $M_{bhqk} = m_{bhk}$ (HiddenCut: a whole
  token, or a whole feature);
- **span**: one contiguous run of $\max(1, \lfloor pT \rfloor)$ keys or tokens.

**How to compensate** the gap between training (with drops) and inference (without): the
rescaling above, and optionally a consistency loss between two passes — the subject of
\`04_hiddenkey\`.

The paper's findings with LoRA (Table 1): every method beats the no-dropout baseline; by position
**DropKey > HiddenCut > DropAttention**; DropKey prefers **column**, HiddenCut **element**; and
DropAttention degrades fastest as the rate grows (its NoGrad gradient noise, notebook 02).

This notebook runs the reproduction's \`framework\` experiment at the preset chosen by
\`LORADROP_PRESET\` (default \`quick\`) and sets its numbers beside Table 1.
`),
  code(t`
import { initFastestBackend, presetPlan } from "@loradrop/core";
import {
  claimsSection,
  displaySections,
  FRAMEWORK_METHODS,
  frameworkSections,
  methodTable,
  notebookPreset,
  PAPER_TABLE1,
  displayKnownEvidence,
  reproExperiments,
  runNotebookExperiments,
  updateEvidence,
} from "@loradrop/core/repro";
import { barFigure, displayFigure, displayTable } from "@loradrop/core/viz";

${RESULTS_SETUP}
const framework = reproExperiments(preset).find((e) => e.id === "framework")!;
console.log("preset " + preset + " on backend " + backend.active + "; results in " + dir);
`),
  ...knownEvidenceCells([4, 5, 6, 7]),
  md(t`
## The grid at this preset

Each method is a named dropout plan (\`presetPlan\`); the preset decides which of the paper's ten
position × pattern combinations it trains, at which rates, on which tasks and with how many seeds.
The \`full\` preset runs all ten over the paper's rate grid {0.01, 0.02, 0.05, 0.1, 0.15, 0.2}.
`),
  code(t`
const methods = [...new Set(framework.runs.map((r) => r.method))];
await displayTable(methods.map((method) => {
  const mine = framework.runs.filter((r) => r.method === method);
  const plan = presetPlan(method, { rate: 0.1 });
  return {
    method,
    drops: plan.drops.map((d) => d.position + " / " + d.pattern).join(", ") || "none",
    rates: [...new Set(mine.map((r) => r.rate))].join(", "),
    tasks: [...new Set(mine.map((r) => r.task))].join(", "),
    seeds: [...new Set(mine.map((r) => r.seed))].length,
    runs: mine.length,
  };
}), ["method", "drops", "rates", "tasks", "seeds", "runs"]);
const notRun = FRAMEWORK_METHODS.filter((m) => !methods.includes(m));
if (notRun.length > 0) console.log("not in this preset: " + notRun.join(", "));
`),
  md(t`
## The runs

Stored runs are read; missing ones train here, with the current run's training loss and dev score
redrawn in place.
`),
  code(
    t`
// @plot
const runs = await runNotebookExperiments({ preset, experiments: ["framework"], dir, backend: backend.active });
const input = runs.input;
`,
    { plot: true },
  ),
  md(t`
## Table 1 and Fig. 4, reproduced

First the scores per method and task (best dev score × 100, median over seeds at each method's best
rate, ± the standard deviation over seeds), then the report's Table-1 section and, when the preset
has at least two rates, the score-against-rate curves of Fig. 4.
`),
  code(
    t`
// @plot
const table = methodTable(input.runs, ["baseline", ...FRAMEWORK_METHODS], runs.tasks);
const measuredRows = table.rows.filter((r) => runs.tasks.some((t) => r.cells[t] !== undefined));
await displayFigure(barFigure(measuredRows.map((r) => r.method), runs.tasks.map((task) => ({
  name: task,
  values: measuredRows.map((r) => r.cells[task]?.summary.median ?? 0),
  errors: measuredRows.map((r) => r.cells[task]?.summary.std ?? 0),
})), { title: "Dev score by method (median ± std over seeds, best rate)", yTitle: "best dev score" }));
const sections = frameworkSections(input);
await displaySections(sections);
const rateFigures = sections.filter((s) => s.figure !== undefined).length;
console.log(rateFigures > 0 ? rateFigures + " score-against-rate figure(s)" : "one rate per method at this preset: no Fig. 4 curves");
`,
    { plot: true },
  ),
  md(t`
## Paper vs here

The paper's Table 1 average (RTE, MRPC, STS-B, SST-2 with RoBERTa-large) beside the average over
this preset's tasks, with each method's gain over the baseline and its rank among the methods
measured here (ranked the same way on both sides, so the orderings can be compared even though
the absolute numbers cannot).
`),
  code(t`
const paperAvg = (m: string) => PAPER_TABLE1.find((r) => r.preset === m)?.avg;
const measured = table.rows.filter((r) => r.avg !== undefined);
const rankBy = (value: (m: string) => number | undefined) => {
  const order = measured.map((r) => r.method).filter((m) => value(m) !== undefined).sort((a, b) => value(b)! - value(a)!);
  return (m: string) => (order.includes(m) ? order.indexOf(m) + 1 : undefined);
};
const hereAvg = (m: string) => table.rows.find((r) => r.method === m)?.avg;
const paperRank = rankBy(paperAvg), hereRank = rankBy(hereAvg);
const fmt = (x: number | undefined, sign = false) => (x === undefined ? "–" : (sign && x >= 0 ? "+" : "") + x.toFixed(2));
await displayTable(["baseline", ...FRAMEWORK_METHODS].map((m) => ({
  method: m,
  "paper avg": fmt(paperAvg(m)),
  "paper vs baseline": m === "baseline" || paperAvg(m) === undefined ? "" : fmt(paperAvg(m)! - paperAvg("baseline")!, true),
  "paper rank": paperRank(m) ?? "",
  "here avg": hereAvg(m) === undefined ? "not run" : fmt(hereAvg(m)),
  "here vs baseline": m === "baseline" || hereAvg(m) === undefined || hereAvg("baseline") === undefined
    ? ""
    : fmt(hereAvg(m)! - hereAvg("baseline")!, true),
  "here rank": hereRank(m) ?? "",
})), ["method", "paper avg", "paper vs baseline", "paper rank", "here avg", "here vs baseline", "here rank"]);
const best = (family: string, avg: (m: string) => number | undefined) => {
  const members = FRAMEWORK_METHODS.filter((m) => m.startsWith(family) && avg(m) !== undefined);
  return members.length === 0 ? undefined : members.reduce((a, b) => (avg(b)! > avg(a)! ? b : a));
};
await displayTable(["dropKey", "hiddenCut", "dropAttention"].map((family) => {
  const p = best(family, paperAvg), h = best(family, hereAvg);
  return {
    position: family,
    "paper: best pattern": p ? p + " " + fmt(paperAvg(p)) : "–",
    "here: best pattern": h ? h + " " + fmt(hereAvg(h)) : "not run",
    "here: patterns measured": FRAMEWORK_METHODS.filter((m) => m.startsWith(family) && hereAvg(m) !== undefined).length,
  };
}), ["position", "paper: best pattern", "here: best pattern", "here: patterns measured"]);
`),
  ...verdictsCells(
    [4, 5, 6, 7],
    `. A claim needs the methods
it compares: with the \`smoke\` and \`quick\` grids (a few methods, one rate) some are not testable,
and the verdict says so rather than guessing.`,
  ),
  md(t`
Next: \`04_hiddenkey\` combines the best position-pattern pairs and adds the consistency loss.
`),
];

const out = new URL("../notebooks/03_unified_framework.ipynb", import.meta.url);
await Deno.writeTextFile(out, notebookJson(cells));
console.log(`wrote ${out.pathname} (${cells.length} cells)`);
