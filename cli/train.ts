/**
 * `deno task train`: fine-tunes a model with LoRA under one dropout method on one task — a
 * built-in task, a GLUE folder or your own CSV/TSV/JSONL files — evaluates it on the dev set and
 * stores the run exactly as `deno task repro` stores the cells of its grids.
 *
 * ```sh
 * deno task train --task sentiment-low --method hiddenKey --steps 150
 * deno task train --train reviews.csv --dev reviews_dev.csv --labels neg,pos --save-adapter out/ad
 * deno task train --glue rte --data-dir ~/glue_data --model FacebookAI/roberta-base --epochs 1
 * ```
 *
 * The flags become a {@linkcode RunSpec} (cli/_run_flags.ts) that `executeRun` trains: the run is
 * `<out>/runs/<hash>.json` with its checkpoints in `<out>/train/<hash[0:16]>/`. Rerunning the same
 * command resumes a killed run and reports a finished one without training; the same cell of a
 * `repro` grid (same flags, `--out results/<preset>`) is the same stored run.
 *
 * @module
 */
import { initCliBackend } from "./_backend.ts";
import { BACKEND_NAMES } from "../lib/backend.ts";
import { ADAPTER_METADATA_FILE, saveTrainedAdapter } from "../lib/io/adapters.ts";
import {
  disposeRunResources,
  executeRun,
  loadRunResources,
  type RunResources,
  type TrainedRun,
} from "../lib/repro/run/execute.ts";
import { runSpecHash, type StoredRun, storedRunState } from "../lib/repro/run/store.ts";
import { choiceFlag, defineCommand, numberFlag, runCommand, UsageError } from "./_args.ts";
import { emitJson, periodicLines, say } from "./_output.ts";
import {
  methodFromFlags,
  MODEL_FLAGS,
  modelFromFlag,
  RUN_FLAGS,
  RUN_USAGE,
  runSpecFromFlags,
  TASK_FLAGS,
  TASK_MODEL_USAGE,
  taskFromFlags,
  TRAIN_DEFAULTS,
} from "./_run_flags.ts";

/** The command line of `deno task train`. */
export const TRAIN_COMMAND = defineCommand({
  command: "deno task train",
  usage:
    `Usage: deno task train (--task NAME | --train FILE --dev FILE | --glue NAME --data-dir DIR)
                       [--model M] [--method NAME] [options]

${TASK_MODEL_USAGE}
${RUN_USAGE}
Output:
  --out DIR              results folder (default results/train): runs/<hash>.json, train/<hash>/
  --save-adapter DIR     write the trained adapter in PEFT's format (+ head, dropout settings)
  --checkpoint-every N   default 25
  --no-resume            start over even if a checkpoint exists
  --backend NAME         ${BACKEND_NAMES.join(", ")} (default: LORADROP_BACKEND, else the fastest
                         set up: tensorflow after deno task setup:native, else wasm with a thread
                         per core)

Prints a JSON summary on stdout; progress and evaluations go to stderr.`,
  flags: {
    ...TASK_FLAGS,
    ...MODEL_FLAGS,
    ...RUN_FLAGS,
    backend: "string",
    out: "string",
    "save-adapter": "string",
    "checkpoint-every": "string",
    "no-resume": "boolean",
  },
});

/**
 * Writes the adapter of a trained run (`saveTrainedAdapter`): PEFT's `adapter_model.safetensors`
 * and `adapter_config.json` (LoRA + the task head), and `loradrop_adapter.json` with the task's
 * labels, the head, the input length, the method, rates, plan and seeds, which
 * `deno task predict` reads.
 */
async function exportAdapter(
  dir: string,
  trained: TrainedRun,
  resources: RunResources,
): Promise<string[]> {
  const { spec, model, task, record } = trained;
  const describe = record.config.describe as { maxLengthUsed?: number } | undefined;
  await saveTrainedAdapter(dir, model, {
    base: {
      name: spec.model,
      modelType: resources.source === "hf" ? resources.base.modelType : "use-lite",
    },
    task: {
      name: task.card.name,
      kind: task.card.kind,
      labels: task.card.labels,
      metrics: record.config.metrics as string[],
    },
    lora: { r: spec.rank, alpha: spec.alpha, targets: [...(spec.targets ?? ["q", "v"])] },
    input: {
      maxLength: describe?.maxLengthUsed ?? spec.maxLength,
      evalBatchSize: record.config.evalBatchSize as number,
    },
    record,
  });
  return [
    `${dir}/adapter_model.safetensors`,
    `${dir}/adapter_config.json`,
    `${dir}/${ADAPTER_METADATA_FILE}`,
  ];
}

/**
 * Runs `deno task train`.
 *
 * @param argv The arguments.
 * @returns The exit code: 0, 1 (the run failed) or 2 (bad arguments).
 */
export function main(argv: readonly string[]): Promise<number> {
  return runCommand(TRAIN_COMMAND, argv, async ({ values }) => {
    const selection = await taskFromFlags(values);
    const model = modelFromFlag(values.model);
    if (values.cache !== undefined && model === "use-lite") {
      throw new UsageError(`--cache applies to Hugging Face models, received it with use-lite`);
    }
    const method = methodFromFlags(values, TRAIN_DEFAULTS.method);
    const spec = runSpecFromFlags(values, method, selection, model, TRAIN_DEFAULTS);
    const checkpointEvery = numberFlag("checkpoint-every", values["checkpoint-every"], {
      fallback: 25,
      integer: true,
      min: 1,
    });
    const backendName = values.backend === undefined
      ? undefined
      : choiceFlag("backend", values.backend, BACKEND_NAMES);
    const out = values.out ?? "results/train";
    const resume = !values["no-resume"];
    const adapterDir = values["save-adapter"];

    // A single run does not set tensorflow up itself (deno task repro does, on first use).
    const backend = await initCliBackend({ requested: backendName, jobs: 1, noSetup: true });
    const hash = await runSpecHash(spec, backend.active);
    const state = await storedRunState(out, hash);
    if (state.state === "corrupt") {
      say(`stored run ${state.path} is not a valid run (${state.reason}); training it again`);
    }
    const stored = resume && adapterDir === undefined && state.state === "finished"
      ? state.run
      : undefined;
    say(
      `loradrop train: ${spec.task} with ${method} on ${model}, backend ${backend.active}, run ${
        hash.slice(0, 12)
      } in ${out}`,
    );
    if (stored !== undefined) {
      say("this run has already finished: nothing to train (--no-resume starts it over)");
      emitJson(summary(stored, "already-finished", out, []));
      return 0;
    }
    const resources = await loadRunResources(
      model,
      values.cache === undefined ? {} : { cacheDir: values.cache },
    );
    try {
      const log = periodicLines();
      const written: string[] = [];
      let status: TrainedRun["status"] = "trained";
      const run = await executeRun(spec, resources, {
        dir: out,
        backend: backend.active,
        checkpointEvery,
        resume,
        ...(selection.glueDir === undefined ? {} : { glueDir: selection.glueDir }),
        onStep: (e) =>
          log(() =>
            `step ${e.step}/${e.totalSteps} loss ${e.loss.toFixed(4)} lr ${e.lr.toExponential(2)}`
          ),
        onEval: (e) => {
          const metrics = Object.entries(e.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`);
          say(`eval at step ${e.step}: ${metrics.join(", ")}, dev loss ${e.loss.toFixed(4)}`);
        },
        afterTraining: async (trained) => {
          status = trained.status;
          if (adapterDir !== undefined) {
            written.push(...await exportAdapter(adapterDir, trained, resources));
          }
        },
      });
      emitJson(summary(run, status, out, written));
    } finally {
      disposeRunResources(resources);
    }
  });
}

function summary(
  run: StoredRun,
  status: string,
  out: string,
  adapterFiles: readonly string[],
): Record<string, unknown> {
  const { record, spec } = run;
  const loss = record.curves.loss;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    status,
    runId: record.runId,
    specHash: run.specHash,
    task: spec.task,
    model: spec.model,
    method: spec.method,
    steps: record.steps,
    trainLossFirst10: mean(loss.slice(0, 10)),
    trainLossLast10: mean(loss.slice(-10)),
    best: record.best,
    final: record.final,
    wallTimeSeconds: record.wallTimeMs / 1000,
    tokensPerSecond: record.tokensPerSecond,
    files: [
      `${out}/runs/${run.specHash}.json`,
      `${out}/train/${run.specHash.slice(0, 16)}/results.jsonl`,
      ...adapterFiles,
    ],
  };
}

if (import.meta.main) Deno.exit(await main(Deno.args));
