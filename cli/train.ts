/**
 * Fine-tunes USE-lite with LoRA on a built-in task under a dropout preset and writes the results.
 *
 * ```sh
 * deno run -A cli/train.ts --task sentiment-low --preset hiddenKey --steps 150 --out results/cli
 * ```
 *
 * Rerunning the same command resumes a killed run from its last checkpoint (and does nothing for
 * a finished one). `--help` lists the options.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { initBackend, parseBackendName } from "../lib/backend.ts";
import { BUILTIN_TASK_NAMES, type BuiltinTaskName, loadTask } from "../lib/data/registry.ts";
import { PRESET_NAMES, presetPlan } from "../lib/dropout/presets.ts";
import { disposeUseLite, loadUseLite } from "../lib/io/use_lite.ts";
import { MODULE_NAMES, type ModuleName } from "../lib/models/drop_context.ts";
import type { Pooling } from "../lib/models/heads.ts";
import { createTaskModel } from "../lib/models/task_model.ts";
import { loadUseLiteTokenizer } from "../lib/tokenizers/use_lite.ts";
import { textBatchSource } from "../lib/train/text_source.ts";
import { train } from "../lib/train/train.ts";

const HELP = `Usage: deno run -A cli/train.ts --task NAME [options]

  --task NAME            built-in task: ${BUILTIN_TASK_NAMES.join(", ")}
  --preset NAME          dropout preset (default hiddenKey): ${PRESET_NAMES.join(", ")}
  --rate P               the preset's drop rate (default 0.1)
  --hidden-rate P        HiddenCut rate of the HiddenKey family (default: --rate)
  --kl-weight A          consistency weight (default 1)
  --steps N | --epochs E training length (default 150 steps)
  --batch-size B         default 16
  --lr LR                peak learning rate (default 1e-3; the paper used 4e-4 on RoBERTa-large)
  --weight-decay WD      default 0.1 (Table 6)
  --warmup-ratio R       default 0.06 (Table 6)
  --max-grad-norm G      default 1
  --lora-r R --lora-alpha A --targets q,v   LoRA (default 8, 16, q,v)
  --pooling mean|first|pooler               sentence vector for the head (default mean)
  --max-length T         tokens per example (default 128, USE-lite's limit)
  --seed S               init, data and dropout seeds (override: --init-seed, --data-seed, --dropout-seed)
  --eval-every N         dev evaluation period in steps (default 25; always at the end)
  --checkpoint-every N   default 25
  --group-by-length      batch similar lengths together
  --backend NAME         wasm (default), cpu, webgpu, tensorflow
  --out DIR              results folder (default results/train)
  --no-resume            start over even if a checkpoint exists
`;

function fail(message: string): never {
  console.error(`cli/train.ts: ${message}\n\n${HELP}`);
  Deno.exit(2);
}

function number(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const x = Number(value);
  if (value.trim() === "" || !Number.isFinite(x)) {
    fail(`--${name} must be a number, received "${value}"`);
  }
  return x;
}

function integer(name: string, value: string | undefined, fallback: number): number {
  const x = number(name, value, fallback);
  if (!Number.isSafeInteger(x)) fail(`--${name} must be an integer, received "${value}"`);
  return x;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    task: { type: "string" },
    preset: { type: "string", default: "hiddenKey" },
    rate: { type: "string" },
    "hidden-rate": { type: "string" },
    "kl-weight": { type: "string" },
    steps: { type: "string" },
    epochs: { type: "string" },
    "batch-size": { type: "string" },
    lr: { type: "string" },
    "weight-decay": { type: "string" },
    "warmup-ratio": { type: "string" },
    "max-grad-norm": { type: "string" },
    "lora-r": { type: "string" },
    "lora-alpha": { type: "string" },
    targets: { type: "string", default: "q,v" },
    pooling: { type: "string", default: "mean" },
    "max-length": { type: "string" },
    seed: { type: "string" },
    "init-seed": { type: "string" },
    "data-seed": { type: "string" },
    "dropout-seed": { type: "string" },
    "eval-every": { type: "string" },
    "checkpoint-every": { type: "string" },
    "group-by-length": { type: "boolean", default: false },
    backend: { type: "string" },
    out: { type: "string", default: "results/train" },
    "no-resume": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
  strict: true,
});

if (values.help) {
  console.log(HELP);
  Deno.exit(0);
}
const taskName = values.task;
if (taskName === undefined) fail("--task is required");
if (!(BUILTIN_TASK_NAMES as readonly string[]).includes(taskName)) {
  fail(`unknown task "${taskName}"`);
}
const pooling = values.pooling as Pooling;
if (!["mean", "first", "pooler"].includes(pooling)) {
  fail(`--pooling must be mean, first or pooler, received "${pooling}"`);
}
const targets = values.targets.split(",").map((t) => t.trim()) as ModuleName[];
for (const t of targets) {
  if (!MODULE_NAMES.includes(t)) {
    fail(`--targets: unknown module "${t}" (${MODULE_NAMES.join(", ")})`);
  }
}
if (values.steps !== undefined && values.epochs !== undefined) {
  fail("give --steps or --epochs, not both");
}
const seed = integer("seed", values.seed, 0);
const seeds = {
  init: integer("init-seed", values["init-seed"], seed),
  data: integer("data-seed", values["data-seed"], seed),
  dropout: integer("dropout-seed", values["dropout-seed"], seed),
};
const rate = number("rate", values.rate, 0.1);
const plan = presetPlan(values.preset, {
  rate,
  hiddenRate: number("hidden-rate", values["hidden-rate"], rate),
  klWeight: number("kl-weight", values["kl-weight"], 1),
});
const lora = {
  r: integer("lora-r", values["lora-r"], 8),
  alpha: number("lora-alpha", values["lora-alpha"], 16),
  targets,
};
const maxLength = integer("max-length", values["max-length"], 128);

const backend = await initBackend(
  values.backend === undefined ? {} : { backend: parseBackendName(values.backend) },
);
const task = await loadTask(taskName as BuiltinTaskName);
const tokenizer = await loadUseLiteTokenizer();
const base = await loadUseLite();
const kind = task.card.kind;
// USE-lite has no token-type table: pairs are one sequence `a </s> b`.
const sourceOptions = { kind, maxLength, tokenTypes: base.config.typeVocabSize > 0 };
const trainSource = textBatchSource(task.train, tokenizer, sourceOptions);
const devSource = textBatchSource(task.dev, tokenizer, sourceOptions);
console.error(
  `loradrop train: ${task.card.name} (${task.train.length} train / ${task.dev.length} dev), ` +
    `preset ${values.preset}, backend ${backend.active}, out ${values.out}`,
);

let lastLog = performance.now();
try {
  const { record, model, status } = await train({
    makeModel: (key) =>
      createTaskModel(base, {
        lora,
        head: kind === "classification"
          ? { kind, numClasses: task.card.numLabels, pooling }
          : { kind, pooling },
      }, key),
    train: trainSource,
    dev: devSource,
    metrics: task.card.metrics,
    plan,
    seeds,
    batchSize: integer("batch-size", values["batch-size"], 16),
    ...(values.epochs === undefined
      ? { steps: integer("steps", values.steps, 150) }
      : { epochs: number("epochs", values.epochs, 1) }),
    lr: number("lr", values.lr, 1e-3),
    weightDecay: number("weight-decay", values["weight-decay"], 0.1),
    warmupRatio: number("warmup-ratio", values["warmup-ratio"], 0.06),
    maxGradNorm: number("max-grad-norm", values["max-grad-norm"], 1),
    evalEvery: integer("eval-every", values["eval-every"], 25),
    checkpointEvery: integer("checkpoint-every", values["checkpoint-every"], 25),
    groupByLength: values["group-by-length"],
    outDir: values.out,
    resume: !values["no-resume"],
    describe: {
      task: task.card.name,
      model: "use-lite@0.2.0",
      preset: values.preset,
      rate,
      hiddenRate: number("hidden-rate", values["hidden-rate"], rate),
      klWeight: number("kl-weight", values["kl-weight"], 1),
      lora: { r: lora.r, alpha: lora.alpha, targets: [...targets] },
      pooling,
      maxLength,
    },
    onStep: (e) => {
      // Without a terminal there is no progress bar: log a line every 10 s instead.
      if (!Deno.stderr.isTerminal() && performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        console.error(
          `step ${e.step}/${e.totalSteps} loss ${e.loss.toFixed(4)} lr ${e.lr.toExponential(2)}`,
        );
      }
    },
    onEval: (e) => {
      const metrics = Object.entries(e.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ");
      console.error(`\neval at step ${e.step}: ${metrics}, dev loss ${e.loss.toFixed(4)}`);
    },
  });
  const loss = record.curves.loss;
  const head = loss.slice(0, 10), tail = loss.slice(-10);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  console.log(JSON.stringify(
    {
      status,
      runId: record.runId,
      task: task.card.name,
      preset: values.preset,
      steps: record.steps,
      trainLossFirst10: mean(head),
      trainLossLast10: mean(tail),
      best: record.best,
      final: record.final,
      wallTimeSeconds: record.wallTimeMs / 1000,
      tokensPerSecond: record.tokensPerSecond,
      results: `${values.out}/results.jsonl`,
    },
    null,
    2,
  ));
  model.dispose();
} finally {
  disposeUseLite(base);
}
