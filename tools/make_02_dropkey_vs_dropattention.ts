/**
 * Writes `notebooks/02_dropkey_vs_dropattention.ipynb` (run: `deno run -A
 * tools/make_02_dropkey_vs_dropattention.ts`, or `deno run -A tools/make_notebooks.ts` for all).
 * The cells live here as text so that they can be reviewed and diffed; the notebook in the
 * repository carries no outputs.
 *
 * @module
 */
import { code, md, notebookJson, t } from "./_nbformat.ts";
import { RESULTS_SETUP } from "./_repro_cells.ts";

const cells = [
  md(t`
# 2. DropKey vs DropAttention: same forward pass, different gradients

Two of the framework's methods drop attention, one on each side of the softmax. Take one attention
row (one query, one head) with logits $g_0, \dots, g_{l-1}$ and weights
$w_j = e^{g_j} / Z$, $Z = \sum_i e^{g_i}$, and drop key $m$:

- **DropKey** (Li et al. 2023) drops the *logit*: $g'_m = -\infty$, so the softmax renormalises by
  itself and needs no rescaling: $w'_u = e^{g_u} / S_{\neg m}$ with $S_{\neg m} = \sum_{i \ne m} e^{g_i}$.
- **DropAttention** (Zehui Lin et al. 2019) drops the *weight* and renormalises,
  $\bar w_j = M_j w_j$, $\; w'_j = \bar w_j / \mathrm{NoGrad}\!\left(\sum_i \bar w_i\right)$.
  The paper's footnote: whether the normaliser is a constant for back-propagation (NoGrad) matters,
  and the original paper did not say. "DropAttention" in the paper means *with* NoGrad.

This notebook checks the paper's analysis (§3.1 and App. C) on the **real
attention logits** of the pretrained model — no training is needed: it captures the logits of a few
sentences and differentiates through the two operators of loradrop (\`dropKey\`, \`dropAttention\`).
`),
  code(t`
import * as tf from "@tensorflow/tfjs-core";
import {
  dropAttention,
  dropKey,
  foldIn,
  initFastestBackend,
  randomKey,
  sampleAttentionMask,
} from "@loradrop/core";
import {
  captureAttentionLogits,
  claimVerdicts,
  displaySections,
  equivalenceSection,
  equivalenceTexts,
  measureEquivalence,
  notebookPreset,
  readEquivalence,
  readStoredRuns,
  reproExperiments,
  sharedRunResources,
  writeEquivalence,
} from "@loradrop/core/repro";
import {
  barFigure,
  displayFigure,
  displayTable,
  lineFigure,
  scatterFigure,
} from "@loradrop/core/viz";

${RESULTS_SETUP}
console.log("preset " + preset + " on backend " + backend.active + "; results in " + dir);
`),
  md(t`
## Real attention logits

The same sentences \`deno task repro\` uses for this measurement: the first dev sentences of the
built-in sentiment task (4 with the \`smoke\` preset, 16 otherwise). \`captureAttentionLogits\` runs
the frozen encoder in inference mode and keeps every layer's logits $(1, H, T, T)$, after the
padding bias and before any dropout.
`),
  code(t`
const { base, tokenizer } = await sharedRunResources("use-lite");
const tensorsAtStart = tf.memory().numTensors;
const texts = await equivalenceTexts(preset);
const logits = captureAttentionLogits(base, tokenizer, texts);
const numLayers = base.config.layers.length;
console.log(logits.length + " logit tensors (" + texts.length + " sentences × " + numLayers + " layers), shapes " +
  [...new Set(logits.map((g) => "(" + g.shape.join(", ") + ")"))].slice(0, 4).join(" "));
console.log("first sentence: " + JSON.stringify(texts[0]));
`),
  md(t`
## The forward pass: identical with normalised rescaling

With one dropped element (the paper's footnote: several share the analysis),
DropAttention's rescaled weight is

$$
w'_u = \frac{e^{g_u}}{Z} \cdot \frac{1}{1 - w_m}
     = \frac{e^{g_u}}{Z} \cdot \frac{1}{1 - e^{g_m}/Z}
     = \frac{e^{g_u}}{Z - e^{g_m}}
     = \frac{e^{g_u}}{S_{\neg m}}
$$

— exactly DropKey's (Eq. 13). Everything after the weights is then identical too. The
normalisation is essential: with the usual $1/(1-p)$ the two do not agree. Below, for every
sentence and layer, the largest difference between DropKey and DropAttention under *one shared
mask* at $p = 0.3$, for element and column masks, with each rescaling (log scale; an exact 0 is
drawn at $10^{-12}$).
`),
  code(
    t`
// @plot
const RATE = 0.3;
const maskKey = randomKey(0);
const forward = logits.map((g, i) =>
  tf.tidy(() => {
    const out: Record<string, number> = {};
    for (const [j, pattern] of (["element", "column"] as const).entries()) {
      const mask = sampleAttentionMask(foldIn(foldIn(maskKey, i), j), g.shape, pattern, RATE);
      const ctx = { training: true };
      const viaKey = tf.softmax(dropKey(g, { position: "attention-logits", pattern, rate: RATE }, ctx, { mask }));
      const weights = tf.softmax(g) as tf.Tensor4D;
      const viaAttention = dropAttention(weights, { position: "attention-weights", pattern, rate: RATE }, ctx, { mask });
      const inverseKeep = tf.div(tf.mul(weights, mask), 1 - RATE);
      out[pattern + ", normalised"] = tf.max(tf.abs(tf.sub(viaKey, viaAttention))).dataSync()[0]!;
      out[pattern + ", 1/(1−p)"] = tf.max(tf.abs(tf.sub(viaKey, inverseKeep))).dataSync()[0]!;
    }
    return out;
  })
);
const forwardSeries = Object.keys(forward[0]!).map((name) => ({
  name,
  x: forward.map((_, i) => i),
  y: forward.map((f) => Math.max(f[name]!, 1e-12)),
  labels: forward.map((_, i) => "sentence " + Math.floor(i / numLayers) + ", layer " + (i % numLayers)),
}));
const forwardFigure = scatterFigure(forwardSeries, {
  title: "max |DropKey − DropAttention| under one mask, p = " + RATE,
  xTitle: "sentence × layer",
  yTitle: "max abs. difference",
});
await displayFigure({ ...forwardFigure, layout: { ...forwardFigure.layout, yaxis: { title: { text: "max abs. difference" }, type: "log" } } });
const worst = (name: string) => Math.max(...forward.map((f) => f[name]!));
console.log("normalised rescaling: largest difference " + worst("element, normalised").toExponential(2) + " (element), " +
  worst("column, normalised").toExponential(2) + " (column); with 1/(1−p): " + worst("element, 1/(1−p)").toExponential(2) +
  " (element), " + worst("column, 1/(1−p)").toExponential(2) + " (column)");
`,
    { plot: true },
  ),
  md(t`
## The backward pass: the factor $k$

The outputs are equal, so $\partial O / \partial w'$ is equal; the methods differ only in
$\partial w' / \partial g$. DropKey (Eq. 7):

$$
\frac{\partial w'_u}{\partial g_u} = \frac{e^{g_u} (S_{\neg m} - e^{g_u})}{S_{\neg m}^2},
\qquad \frac{\partial w'_u}{\partial g_m} = 0 .
$$

DropAttention with NoGrad holds $c = 1 - w_m$ constant, so $\partial w'_u = \partial w_u / c$ with the
ordinary softmax derivatives $\partial w_u / \partial g_u = w_u (1 - w_u)$ and
$\partial w_u / \partial g_m = -w_u w_m$ (Eqs. 8-9):

$$
\frac{\partial w'_u}{\partial g_u} = \frac{e^{g_u} \sum_{i \ne u} e^{g_i}}{Z\, S_{\neg m}},
\qquad
\frac{\partial w'_u}{\partial g_m} = -\frac{e^{g_u} e^{g_m}}{Z\, S_{\neg m}} \;\ne 0 :
$$

the dropped logit still receives a gradient. Dividing the two $\partial w'_u / \partial g_u$
(Eqs. 10, 14):

$$
\left(\frac{\partial w'_u}{\partial g_u}\right)^{\text{DropKey}}
= k \left(\frac{\partial w'_u}{\partial g_u}\right)^{\text{DropAttention}},
\qquad
k = \frac{1 - e^{g_u} / S_{\neg m}}{1 - e^{g_u} / Z} < 1 ,
$$

since $S_{\neg m} < Z$ (Eq. 15); $k$ falls as the dropped logit $g_m$ grows. DropKey damps the
gradient exactly when a large logit was dropped; DropAttention's NoGrad injects gradient noise.
Without NoGrad, $w'_u = e^{g_u}/S_{\neg m}$ as a *function*, so its gradients are DropKey's.

One real row: the attention row of the first sentence whose second-largest weight is largest (so
the drop matters), keeping the largest key $u$ and dropping the second-largest $m$.
`),
  code(t`
const first = tf.tidy(() => logits.slice(0, numLayers).map((g) => g.arraySync() as number[][][][]));
const softmaxRow = (row: number[]) => {
  const max = Math.max(...row);
  const e = row.map((g) => Math.exp(g - max));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
};
let chosen = { layer: 0, head: 0, query: 0, row: [] as number[], u: 0, m: 0, wm: -1 };
first.forEach((g, layer) =>
  g[0]!.forEach((rows, head) =>
    rows.forEach((row, query) => {
      const w = softmaxRow(row);
      const order = [...w.keys()].sort((a, b) => w[b]! - w[a]!);
      const u = order[0]!, m = order[1]!;
      if (row.length >= 4 && w[u]! <= 0.9 && w[m]! > chosen.wm) chosen = { layer, head, query, row, u, m, wm: w[m]! };
    })
  )
);
const T = chosen.row.length;
const pieces = tokenizer.tokenize(texts[0]!);
const keyNames = chosen.row.map((_, j) => j + ":" + (pieces.length === T ? pieces[j] : "key"));
console.log("layer " + chosen.layer + ", head " + chosen.head + ", query " + chosen.query + ": keep u = " + keyNames[chosen.u] +
  " (w = " + softmaxRow(chosen.row)[chosen.u]!.toFixed(3) + "), drop m = " + keyNames[chosen.m] + " (w = " + chosen.wm.toFixed(3) + ")");

/** ∂w'_u/∂g for every logit of a row under DropKey, DropAttention with NoGrad, and without it. */
function rowGradients(row: number[], u: number, m: number) {
  return tf.tidy(() => {
    const n = row.length;
    const mask = tf.tensor4d(Float32Array.from(row, (_, j) => (j === m ? 0 : 1)), [1, 1, 1, n]); // (1, 1, 1, Tk)
    const x = tf.tensor4d(Float32Array.from(row), [1, 1, 1, n]); // (1, 1, 1, Tk)
    const pick = tf.reshape(tf.oneHot([u], n), [1, 1, 1, n]); // (1, 1, 1, Tk)
    const ctx = { training: true };
    const gradOfWu = (f: (g: tf.Tensor4D) => tf.Tensor) =>
      Array.from(tf.grad((g: tf.Tensor) => tf.sum(tf.mul(f(g as tf.Tensor4D), pick))) (x).dataSync());
    const drop = (noGrad: boolean) => ({ position: "attention-weights" as const, pattern: "element" as const, rate: 0.5, noGrad });
    return {
      dropKey: gradOfWu((g) => tf.softmax(dropKey(g, { position: "attention-logits", pattern: "element", rate: 0.5 }, ctx, { mask }))),
      noGrad: gradOfWu((g) => dropAttention(tf.softmax(g) as tf.Tensor4D, drop(true), ctx, { mask })),
      plain: gradOfWu((g) => dropAttention(tf.softmax(g) as tf.Tensor4D, drop(false), ctx, { mask })),
    };
  });
}
/** The paper's k for keeping u and dropping m, in float64. */
function kFactor(row: number[], u: number, m: number): number {
  const max = Math.max(...row);
  const e = row.map((g) => Math.exp(g - max));
  const z = e.reduce((a, b) => a + b, 0);
  return (1 - e[u]! / (z - e[m]!)) / (1 - e[u]! / z);
}
`),
  code(
    t`
// @plot
const grads = rowGradients(chosen.row, chosen.u, chosen.m);
await displayFigure(barFigure(keyNames, [
  { name: "DropKey", values: grads.dropKey },
  { name: "DropAttention with NoGrad", values: grads.noGrad },
  { name: "DropAttention without NoGrad", values: grads.plain },
], {
  title: "∂w'_u/∂g_j for one real row (u = " + keyNames[chosen.u] + " kept, m = " + keyNames[chosen.m] + " dropped)",
  yTitle: "gradient",
}));
const measuredK = grads.dropKey[chosen.u]! / grads.noGrad[chosen.u]!;
await displayTable([
  { quantity: "∂w'_u/∂g_m, DropKey", value: grads.dropKey[chosen.m]!.toExponential(3) },
  { quantity: "∂w'_u/∂g_m, DropAttention with NoGrad", value: grads.noGrad[chosen.m]!.toExponential(3) },
  { quantity: "max |DropAttention without NoGrad − DropKey| over the row", value: Math.max(...grads.plain.map((v, j) => Math.abs(v - grads.dropKey[j]!))).toExponential(3) },
  { quantity: "ratio of ∂w'_u/∂g_u, DropKey / DropAttention (measured)", value: measuredK.toFixed(6) },
  { quantity: "k from the paper's formula (float64)", value: kFactor(chosen.row, chosen.u, chosen.m).toFixed(6) },
], ["quantity", "value"]);
`,
    { plot: true },
  ),
  md(t`
Now every other key of the same row in turn as the dropped one: the measured gradient ratio against
the formula, as a function of how large the dropped logit is relative to the kept one. $k$ stays
below 1 and falls as $g_m$ grows: the larger the logit DropKey removes, the more it damps the
gradient of the survivors.
`),
  code(
    t`
// @plot
const candidates = chosen.row.map((_, j) => j).filter((j) => j !== chosen.u)
  .sort((a, b) => chosen.row[a]! - chosen.row[b]!);
const kPoints = candidates.map((m) => {
  const g = rowGradients(chosen.row, chosen.u, m);
  return { x: chosen.row[m]! - chosen.row[chosen.u]!, theory: kFactor(chosen.row, chosen.u, m), measured: g.dropKey[chosen.u]! / g.noGrad[chosen.u]! };
});
await displayFigure(lineFigure([
  { name: "k, paper's formula", x: kPoints.map((p) => p.x), y: kPoints.map((p) => p.theory), dash: "dash" },
  { name: "DropKey / DropAttention, measured by tf.grad", x: kPoints.map((p) => p.x), y: kPoints.map((p) => p.measured), markers: true },
], {
  title: "k against the dropped logit (layer " + chosen.layer + ", head " + chosen.head + ", query " + chosen.query + ")",
  xTitle: "g_m − g_u",
  yTitle: "k",
}));
console.log("largest relative error of the measured ratio: " +
  Math.max(...kPoints.map((p) => Math.abs(p.measured - p.theory) / p.theory)).toExponential(2));
`,
    { plot: true },
  ),
  md(t`
## Over every row: the reproduction's measurement

\`measureEquivalence\` repeats these checks over every captured row (forward under element and column
masks; the gradient ratio, the dropped logit's gradient and the no-NoGrad difference for each row
whose kept weight leaves at least 5 % to the others, where float32 still resolves the ratio). It is
what \`deno task repro\` stores as \`equivalence.json\`; when the results folder has none yet, this
notebook stores it.
`),
  code(
    t`
// @plot
const measured = measureEquivalence(logits);
const stored = await readEquivalence(dir);
if (stored === undefined) {
  console.log("stored " + await writeEquivalence(dir, measured));
} else {
  console.log("equivalence.json already stored in " + dir + " (forward max diff there: " + stored.forwardMaxDiff.toExponential(2) + ")");
}
const input = { preset, experiments: reproExperiments(preset), runs: await readStoredRuns(dir), equivalence: measured };
await displaySections([equivalenceSection(input)]);
`,
    { plot: true },
  ),
  md(t`
## Paper vs here

The paper states its results as equations, so "paper" is what the equations say and "here" is what
the real logits give.
`),
  code(t`
await displayTable([
  { quantity: "DropKey vs DropAttention, normalised rescaling", paper: "identical weights (Eq. 13)", here: "max diff " + measured.forwardMaxDiff.toExponential(2) },
  { quantity: "DropKey vs DropAttention, 1/(1−p) rescaling", paper: "not equal", here: "max diff " + measured.inverseKeepMaxDiff.toExponential(2) },
  { quantity: "gradient ratio at u (DropKey / DropAttention)", paper: "k = (1 − e^g_u/S_¬m)/(1 − e^g_u/Z)", here: "rel. error to k ≤ " + measured.kMaxRelError.toExponential(2) + " over " + measured.rows + " rows" },
  { quantity: "k", paper: "< 1 (Eq. 15)", here: "largest " + measured.kMax.toFixed(4) },
  { quantity: "∂w'_u/∂g_m with NoGrad", paper: "≠ 0 (Eq. 8)", here: "up to " + measured.droppedGradMax.toExponential(2) },
  { quantity: "DropAttention without NoGrad vs DropKey", paper: "same gradients", here: "max diff " + measured.noNoGradMaxDiff.toExponential(2) },
], ["quantity", "paper", "here"]);
`),
  md(t`
## Verdicts

Claims 2 and 3 of the paper (listed in \`docs/claims.md\`), decided by the reproduction's rules.
`),
  code(t`
await displayTable(claimVerdicts(input, [2, 3]).map((v) => ({ ...v })), ["claim", "text", "verdict", "rule", "evidence"]);
tf.dispose(logits);
const leaked = tf.memory().numTensors - tensorsAtStart;
console.log("tensors leaked:", leaked);
if (leaked !== 0) throw new Error("the notebook leaked " + leaked + " tensors");
`),
  md(t`
Next: \`03_unified_framework\` trains with every position and pattern of the framework and asks
which one LoRA prefers.
`),
];

const out = new URL("../notebooks/02_dropkey_vs_dropattention.ipynb", import.meta.url);
await Deno.writeTextFile(out, notebookJson(cells));
console.log(`wrote ${out.pathname} (${cells.length} cells)`);
