/**
 * Writes `notebooks/00_getting_started.ipynb` (run: `deno run -A tools/make_getting_started.ts`).
 * The notebook's cells live here as text so that they can be reviewed and diffed; the notebook in
 * the repository carries no outputs (the pipeline executes it into `results/notebooks/`).
 *
 * @module
 */
import { code, md, notebookJson, t } from "./_nbformat.ts";

const cells = [
  md(t`
# Getting started with loradrop: dropout masks from explicit keys

loradrop implements *LoRA Meets Dropout under a Unified Framework* (Wang et al., Findings of ACL
2024). The paper describes every transformer dropout method by three choices:

- **where** it drops: the attention logits (DropKey), the attention weights (DropAttention), the
  hidden representation after the feed-forward block (HiddenCut), the LoRA input, the embeddings
  or the classifier input;
- **which pattern** of entries it drops: single elements, whole columns (keys, tokens, features)
  or one contiguous span of tokens;
- **how it compensates** the train/inference gap: rescaling and, optionally, a consistency loss
  between two dropout passes.

This notebook draws the masks of these patterns, checks their statistics against theory and shows
the two attention operators. Everything comes from code run here, from explicit random keys.

How much it computes depends on \`LORADROP_PRESET\` (\`smoke\`, \`quick\` — the default —, \`full\`,
\`paper\`); CI runs it with \`smoke\`.
`),
  code(t`
import * as tf from "@tensorflow/tfjs-core";
import {
  dropAt,
  dropAttention,
  dropKey,
  foldIn,
  initFastestBackend,
  PRESET_NAMES,
  presetPlan,
  randomKey,
  sampleAttentionMask,
  sampleRepresentationMask,
  spanLength,
  splitKey,
  uniform,
} from "@loradrop/core";
import {
  barFigure,
  displayFigure,
  displayTable,
  heatmapFigure,
  lineFigure,
  liveFigure,
} from "@loradrop/core/viz";

// How much to draw per preset: masks per point, sequence length, draws of the live figure.
const SIZES = {
  smoke: { draws: 8, tokens: 16, liveDraws: 200 },
  quick: { draws: 64, tokens: 32, liveDraws: 120 },
  full: { draws: 256, tokens: 64, liveDraws: 400 },
  paper: { draws: 1024, tokens: 128, liveDraws: 1000 },
};
const preset = Deno.env.get("LORADROP_PRESET") ?? "quick";
if (!(preset in SIZES)) {
  throw new RangeError("LORADROP_PRESET must be one of " + Object.keys(SIZES).join(", ") + ", received " + preset);
}
const { draws, tokens, liveDraws } = SIZES[preset as keyof typeof SIZES];
const backend = await initFastestBackend({ log: console.log });
const tensorsAtStart = tf.memory().numTensors;
console.log("preset " + preset + ": " + draws + " masks per point, " + tokens + " tokens; backend " + backend.active);
`),
  md(t`
## Explicit random keys

TensorFlow.js's seeded random ops return the *same* values on every call, so a two-pass
consistency loss built on them would compare two identical masks. loradrop draws every mask from a
key instead (as JAX does): the same key always gives the same mask, and keys derived with
\`splitKey\` or \`foldIn(key, i)\` give independent ones. A model derives one key per layer and
position, \`foldIn(foldIn(key, layer), position)\`.
`),
  code(t`
const root = randomKey(0);
const [maskKey, otherKey] = splitKey(root);
const column = (key: ReturnType<typeof randomKey>) =>
  tf.tidy(() => sampleAttentionMask(key, [1, 1, 1, tokens], "column", 0.3).reshape([tokens]).arraySync() as number[]);
const a = column(maskKey);
const b = column(maskKey);
const c = column(otherKey);
const same = a.every((v, i) => v === b[i]);
const differs = a.some((v, i) => v !== c[i]);
console.log("same key, same mask:      ", same, a.join(""));
console.log("other key, another mask:  ", differs, c.join(""));
if (!same || !differs) throw new Error("random keys are not behaving as documented");
`),
  md(t`
## What the patterns look like

For attention of shape $(B, H, T_q, T_k)$ a keep-mask $M$ holds 1 where an entry is kept:

- **element**: $M_{bhqk} \sim \mathrm{Bernoulli}(1-p)$ independently;
- **column**: a key is dropped for every query at once, $M_{bhqk} = m_{bhk}$ (DropKey's and
  HiddenKey's choice);
- **span**: one contiguous run of $\max(1, \lfloor pT \rfloor)$ keys is dropped.

Below, one $T \times T$ mask per pattern at $p = 0.3$ (blue kept, white dropped; rows are queries,
columns keys).
`),
  code(
    t`
// @plot
const RATE = 0.3;
const ATTENTION_PATTERNS = ["element", "column", "span"] as const;
const binary: [number, string][] = [[0, "#ffffff"], [1, "#1f77b4"]];
for (const [i, pattern] of ATTENTION_PATTERNS.entries()) {
  const image = tf.tidy(() => {
    const mask = sampleAttentionMask(foldIn(root, i), [1, 1, tokens, tokens], pattern, RATE);
    return tf.broadcastTo(mask, [1, 1, tokens, tokens]).reshape([tokens, tokens]).arraySync() as number[][]; // (Tq, Tk)
  });
  const kept = image.flat().reduce((s, v) => s + v, 0);
  await displayFigure(heatmapFigure(image, {
    title: pattern + " mask, p = " + RATE + ": " + kept + " of " + tokens * tokens + " kept",
    xTitle: "key",
    yTitle: "query",
    colorscale: binary,
    zmin: 0,
    zmax: 1,
    showScale: false,
    height: 320,
    width: 480,
  }));
}
`,
    { plot: true },
  ),
  md(t`
HiddenCut drops parts of the representation $h \in \mathbb{R}^{T \times D}$ after the feed-forward
block: single entries (**element**), whole feature dimensions (**column-feature**), whole tokens
(**column-token**) or one contiguous run of tokens (**span**). Each image is one example's
$T \times D$ mask.
`),
  code(
    t`
// @plot
const REPRESENTATION_PATTERNS = ["element", "column-feature", "column-token", "span"] as const;
const features = 24;
for (const [i, pattern] of REPRESENTATION_PATTERNS.entries()) {
  const image = tf.tidy(() => {
    const mask = sampleRepresentationMask(foldIn(root, 10 + i), [1, tokens, features], pattern, RATE);
    return tf.broadcastTo(mask, [1, tokens, features]).reshape([tokens, features]).arraySync() as number[][]; // (T, D)
  });
  await displayFigure(heatmapFigure(image, {
    title: "HiddenCut " + pattern,
    xTitle: "feature",
    yTitle: "token",
    colorscale: binary,
    zmin: 0,
    zmax: 1,
    showScale: false,
    height: 320,
    width: 480,
  }));
}
`,
    { plot: true },
  ),
  md(t`
## Kept fractions: theory and measurement

For element and column masks the expected kept fraction is $1 - p$. A span drops exactly
$\max(1, \lfloor pT \rfloor)$ of $T$ keys, so its kept fraction is $1 - \max(1, \lfloor pT \rfloor)/T$
(a staircase in $p$; 1 at $p = 0$). Each point below averages the preset's number of masks of
shape $(4, 2, T, T)$.
`),
  code(
    t`
// @plot
const rates = Array.from({ length: 11 }, (_, i) => i * 0.05);
function keptFractions(pattern: "element" | "column" | "span", rate: number, n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, d) =>
    tf.tidy(() => {
      const shape = [4, 2, tokens, tokens] as [number, number, number, number];
      const mask = tf.broadcastTo(sampleAttentionMask(foldIn(randomKey(seed), d), shape, pattern, rate), shape);
      return mask.mean().arraySync() as number;
    }));
}
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const measured = ATTENTION_PATTERNS.map((pattern, i) => ({
  name: pattern + " (measured)",
  x: rates,
  y: rates.map((rate, r) => mean(keptFractions(pattern, rate, draws, 1000 * i + r))),
  markers: true,
}));
const theory = [
  { name: "1 − p (element, column)", x: rates, y: rates.map((p) => 1 - p), dash: "dash" as const },
  {
    name: "1 − max(1, ⌊pT⌋)/T (span)",
    x: rates,
    y: rates.map((p) => 1 - spanLength(p, tokens) / tokens),
    dash: "dot" as const,
  },
];
await displayFigure(lineFigure([...measured, ...theory], {
  title: "Kept fraction against the drop rate (T = " + tokens + ")",
  xTitle: "drop rate p",
  yTitle: "kept fraction",
}));
`,
    { plot: true },
  ),
  md(t`
The same comparison as a table at two rates, with the spread over draws. Element masks average
many independent entries, so they sit closest to $1-p$; column masks average only $T$ entries per
head and scatter more; spans have no randomness in their size at all.
`),
  code(t`
const rows = [];
for (const rate of [0.1, 0.3]) {
  for (const [i, pattern] of ATTENTION_PATTERNS.entries()) {
    const fractions = keptFractions(pattern, rate, draws, 7000 + 100 * i + Math.round(rate * 10));
    rows.push({
      pattern,
      rate,
      theory: pattern === "span" ? 1 - spanLength(rate, tokens) / tokens : 1 - rate,
      measured: mean(fractions),
      std: std(fractions),
    });
  }
}
await displayTable(rows, ["pattern", "rate", { key: "theory", digits: 4 }, { key: "measured", digits: 4 }, { key: "std", digits: 4 }]);
`),
  code(
    t`
// @plot
const at = rows.filter((r) => r.rate === 0.3);
await displayFigure(barFigure(at.map((r) => r.pattern), [
  { name: "measured ± std", values: at.map((r) => r.measured), errors: at.map((r) => r.std) },
  { name: "theory", values: at.map((r) => r.theory) },
], { title: "Kept fraction at p = 0.3 over " + draws + " masks", yTitle: "kept fraction" }));
`,
    { plot: true },
  ),
  md(t`
## A live figure

Figures can be redrawn in place while a loop runs (the same mechanism shows training curves as
they come in). Here the running mean of the kept fraction converges to its expectation as more
masks are drawn.
`),
  code(
    t`
// @plot
const live = await liveFigure(lineFigure(ATTENTION_PATTERNS.map((p) => ({ name: p, x: [], y: [] })), {
  title: "Running mean of the kept fraction, p = 0.3",
  xTitle: "masks drawn",
  yTitle: "kept fraction",
}), { minIntervalMs: 250 });
const sums = ATTENTION_PATTERNS.map(() => 0);
for (let n = 1; n <= liveDraws; n++) {
  for (const [i, pattern] of ATTENTION_PATTERNS.entries()) {
    sums[i]! += keptFractions(pattern, 0.3, 1, 50_000 + 1000 * i + n)[0]!;
    await live.push(pattern, n, sums[i]! / n);
  }
  // A short pause per draw so that the movement can be seen; a training loop's steps take longer.
  await new Promise((resolve) => setTimeout(resolve, 20));
}
await live.flush();
`,
    { plot: true },
  ),
  md(t`
## DropKey and DropAttention

DropKey masks the logits before the softmax,
$A = \mathrm{softmax}(S + \log M)$ (a dropped logit becomes a large negative number), while
DropAttention masks the weights after it and renormalises,
$A' = (W \odot M) / \mathrm{NoGrad}\big(\sum_k (W \odot M)_k\big)$. With the same mask both give
the same forward output — the paper's point is that their *gradients* differ (NoGrad). In inference
mode (\`training: false\`) every operator returns its input tensor itself.
`),
  code(t`
const shape = [2, 2, tokens, tokens] as [number, number, number, number];
const dk = dropAt(presetPlan("dropKey-column", { rate: 0.3 }), "attention-logits", 0, 1);
const da = dropAt(presetPlan("dropAttention-column", { rate: 0.3 }), "attention-weights", 0, 1);
const [logitKey, dropMaskKey] = splitKey(randomKey(42));
const maxDifference = tf.tidy(() => {
  const logits = tf.tensor4d(uniform(logitKey, shape.reduce((a, b) => a * b, 1)), shape).mul(4) as tf.Tensor4D;
  const mask = sampleAttentionMask(dropMaskKey, shape, "column", 0.3); // (B, H, 1, Tk)
  const viaKey = tf.softmax(dropKey(logits, dk, { training: true }, { mask }));
  const viaAttention = dropAttention(tf.softmax(logits) as tf.Tensor4D, da, { training: true }, { mask });
  if (dropKey(logits, dk, { training: false }) !== logits) throw new Error("dropKey is not an identity in inference");
  return viaKey.sub(viaAttention).abs().max().arraySync() as number;
});
console.log("max |DropKey − DropAttention| with the same mask:", maxDifference.toExponential(2));
try {
  tf.tidy(() => dropKey(tf.zeros(shape) as tf.Tensor4D, dk, { training: true }));
} catch (error) {
  console.log("training without a key or mask:", (error as Error).message);
}
`),
  md(t`
## The methods as presets

Every method the paper compares is a named plan: its drops (position, pattern, rate) and its
consistency loss.
`),
  code(t`
await displayTable(PRESET_NAMES.map((name) => {
  const plan = presetPlan(name, { rate: 0.1 });
  return {
    preset: name,
    drops: plan.drops.map((d) => d.position + " / " + d.pattern).join(", ") || "none",
    consistency: plan.consistency === undefined ? "" : plan.consistency.kind + " (α = " + plan.consistency.weight + ")",
  };
}), ["preset", "drops", "consistency"]);
`),
  code(t`
// Every tensor made above was disposed.
const leaked = tf.memory().numTensors - tensorsAtStart;
console.log("tensors leaked:", leaked);
if (leaked !== 0) throw new Error("the notebook leaked " + leaked + " tensors");
`),
  md(t`
Next: the other notebooks train LoRA with these drops and compare them with the paper's tables.
`),
];

const out = new URL("../notebooks/00_getting_started.ipynb", import.meta.url);
await Deno.writeTextFile(out, notebookJson(cells));
console.log(`wrote ${out.pathname} (${cells.length} cells)`);
