/**
 * `deno task repro`: reproduces the paper on the embedded default model (USE-lite) and the
 * offline tasks, caching every run by its hash — or, with `--train FILE --dev FILE`, asks the
 * paper's question on your own task and model: does HiddenKey (DropKey, HiddenCut) help here?
 *
 * ```sh
 * deno task repro                         # preset "quick" (≤ 60 min on 2 cores)
 * deno task repro --preset smoke          # ≤ 3 min, used by CI and the notebook check
 * deno task repro --jobs 2 --shard 1/4    # a quarter of the grid over 2 worker processes
 * deno task repro merge --preset full results/full-shard-*   # join shards, then write the report
 * deno task repro report --preset quick   # rewrite report.html and tables from stored runs
 * deno task repro --preset paper --model roberta-large --glue ~/glue_data --backend tensorflow
 * deno task repro --preset paper --model DIR --glue DIR --tasks rte --seeds 0 --epochs 1  # a trial
 * deno task repro --train a.csv --dev b.csv --preset quick  # your task: results/a-quick/
 * deno task repro nlg --preset smoke      # the NLG track (Table 2), see cli/repro_nlg.ts
 * ```
 * The `paper` preset runs the paper's own settings (RoBERTa-large on GLUE, Table 6): `--model` is a
 * Hugging Face folder or hub id (from the hub cache, `--cache` or `$LORADROP_CACHE`), `--glue` the
 * GLUE data folder (or `$LORADROP_GLUE_DIR`); worker processes receive both through the
 * environment. It is meant for a GPU or tfjs-node: RoBERTa-large on wasm trains ~15 tokens/s.
 * Outputs: `results/<preset>/runs/*.json` (one per run), `results/<preset>/tables/*.csv`,
 * `results/<preset>/report.html` (self-contained, offline) and `equivalence.json`.
 *
 * On a user's task (`--train`/`--dev`, the same data flags as `deno task train`) the grid is a
 * regime check and every method of `--methods` against the baseline over paired seeds; its runs
 * are the `RunSpec`s `deno task train` makes from the same flags. Outputs in
 * `results/<task>-<preset>/`: `runs/`, `verdicts.json`, `tables/*.csv`, `report.html`.
 *
 * Progress goes to stderr; the last line on stdout lists every file written.
 *
 * @module
 */
import process from "node:process";
import { resolve } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { BACKEND_NAMES } from "../lib/backend.ts";
import { initCliBackend } from "./_backend.ts";
import { PRESET_NAMES } from "../lib/dropout/presets.ts";
import {
  captureAttentionLogits,
  equivalenceTexts,
  measureEquivalence,
} from "../lib/repro/report/equivalence.ts";
import {
  disposeRunResources,
  executeRun,
  glueTaskDir,
  loadRunResources,
  loadRunTask,
  type RunResources,
} from "../lib/repro/run/execute.ts";
import { reproExperiments } from "../lib/repro/plan/experiments.ts";
import { hasConsistency } from "../lib/repro/plan/method_fields.ts";
import { REPRO_TRACKS, trackResultsDir } from "../lib/repro/plan/tracks.ts";
import {
  type ExperimentSpec,
  REPRO_PRESETS,
  type ReproPreset,
  type RunSpec,
} from "../lib/repro/plan/run_spec.ts";
import {
  overrideRuns,
  PAPER_MODEL,
  PAPER_TASK_NAMES,
  type RunOverrides,
} from "../lib/repro/plan/paper_settings.ts";
import { estimateGridSeconds } from "../lib/repro/plan/estimate.ts";
import { parseShard, planGrid, runGrid, type Shard } from "../lib/repro/run/scheduler.ts";
import { mergeStoredRuns } from "../lib/repro/run/store.ts";
import {
  USER_TASK_METHODS,
  USER_TASK_PRESETS,
  USER_TASK_SCALES,
  userTaskExperiments,
  type UserTaskPreset,
} from "../lib/repro/plan/user_experiments.ts";
import { writeUserTaskReport } from "../lib/repro/report/user_report.ts";
import { writeReproReport } from "../lib/repro/report/write_report.ts";
import { modelNeedsDownload } from "../lib/repro/run/worker_permissions.ts";
import { writeFileAtomic } from "../lib/train/atomic_file.ts";
import {
  choiceFlag,
  defineCommand,
  listFlag,
  numberFlag,
  type ParsedCommandLine,
  runCommand,
  UsageError,
} from "./_args.ts";
import { paint, say } from "./_output.ts";
import {
  hasSeparateHiddenRate,
  isDirectory,
  modelFromFlag,
  RUN_FLAGS,
  runSpecFromFlags,
  TASK_FLAGS,
  taskFromFlags,
  TRAIN_DEFAULTS,
} from "./_run_flags.ts";

const { task: _t, glue: _g, "data-dir": _d, ...USER_TASK_FLAGS } = TASK_FLAGS;
const {
  method: _m,
  preset: _p,
  seed: _s,
  "init-seed": _is,
  "data-seed": _ds,
  "dropout-seed": _dr,
  epochs: _e,
  steps: _st,
  ...USER_RUN_FLAGS
} = RUN_FLAGS;

/** The command line of `deno task repro`. */
export const REPRO_COMMAND = defineCommand({
  command: "deno task repro",
  usage: `Usage: deno task repro [run|merge|report] [--preset ${REPRO_PRESETS.join("|")}] [--jobs N]
         [--shard i/n] [--out DIR] [--backend ${BACKEND_NAMES.join("|")}] [--no-setup]
         [--only ID,...]
  run (default)   run the grid (cached runs are skipped), then write the report
  merge DIR...    copy the finished runs of shard folders, then write the report
  report          rewrite the report from stored runs
  --backend B     default: LORADROP_BACKEND, else the fastest set up (tensorflow, else wasm);
                  without one, tensorflow is set up on first use (~1-1.5 min, .cache/tfjs-native/)
  --no-setup      never set tensorflow up from here (also LORADROP_NO_SETUP=1)
  --only ID,...   experiments: regime, framework, compensation, significance, overfit, cost
                  (with --train: regime, comparison)
Paper preset (RoBERTa-large on GLUE, Table 6):
  --model DIR_OR_HUB_ID --glue GLUE_DIR [--cache DIR] [--tasks rte,mrpc] [--seeds 0,1]
  [--epochs E | --steps N]   (the last four scale a trial run down)
Your own task (presets smoke, quick, full):
  --train FILE --dev FILE    .csv/.tsv/.jsonl, read with --text-field, --text-pair-field,
                             --label-field, --labels, --kind, --metrics, --name (as deno task train)
  --model M                  use-lite (default), a Hugging Face folder or hub id
  --methods a,b,...          default ${USER_TASK_METHODS.join(",")}
  --seeds N | a,b,...        N seeds 0..N-1 (smoke 2, quick 3, full 5) or a list
  --steps N                  steps per run (smoke 12, quick 100, full 300; the regime run: 3x)
  --rate P --hidden-rate P --kl-weight A, --lr, --batch-size, --max-length, --lora-r, --lora-alpha,
  --targets, --pooling, --eval-every, --weight-decay, --warmup-ratio, --max-grad-norm,
  --group-by-length          as deno task train
  Results in <out>/<task>-<preset>/: runs/, verdicts.json, tables/, report.html.
NLG track: deno task repro nlg --help`,
  positionals: true,
  flags: {
    preset: "string",
    jobs: "string",
    shard: "string",
    out: "string",
    backend: "string",
    "no-setup": "boolean",
    only: "string",
    model: "string",
    glue: "string",
    cache: "string",
    tasks: "string",
    seeds: "string",
    epochs: "string",
    steps: "string",
    methods: "string",
    ...USER_TASK_FLAGS,
    ...USER_RUN_FLAGS,
  },
});

type Values = ParsedCommandLine<typeof REPRO_COMMAND.flags>["values"];

/** The grid to run: the paper's presets or a user's task. */
interface Grid {
  readonly dir: string;
  readonly experiments: readonly ExperimentSpec[];
  /** The model the runs share (loaded once per process). */
  readonly model: string;
  readonly cacheDir?: string;
  readonly paper: boolean;
  readonly userTask: boolean;
  readonly preset: string;
}

const PAPER_FLAGS = ["glue", "tasks", "epochs"] as const;

function userTaskGrid(values: Values, preset: string): Promise<Grid> {
  return (async () => {
    const userPreset = choiceFlag("preset", preset, USER_TASK_PRESETS) as UserTaskPreset;
    for (const f of PAPER_FLAGS) {
      if (values[f] !== undefined) {
        throw new UsageError(`--${f} applies to the paper preset, received it with --train`);
      }
    }
    const selection = await taskFromFlags(values);
    const model = modelFromFlag(values.model);
    const scale = USER_TASK_SCALES[userPreset];
    const methods = values.methods === undefined
      ? [...USER_TASK_METHODS]
      : listFlag("methods", values.methods, PRESET_NAMES);
    if (methods.every((m) => m === "baseline")) {
      throw new UsageError(
        `--methods needs a method besides baseline, received "${values.methods}"`,
      );
    }
    if (values["kl-weight"] !== undefined && !methods.some(hasConsistency)) {
      throw new UsageError(
        `--kl-weight changes nothing: none of --methods ${
          methods.join(",")
        } has a consistency term`,
      );
    }
    if (values["hidden-rate"] !== undefined && !methods.some(hasSeparateHiddenRate)) {
      throw new UsageError(
        `--hidden-rate changes nothing: none of --methods ${
          methods.join(",")
        } is in the HiddenKey family`,
      );
    }
    const seedsText = values.seeds ?? String(scale.seeds);
    const seeds = /^\d+$/.test(seedsText.trim())
      ? Array.from(
        { length: numberFlag("seeds", seedsText, { integer: true, min: 1, max: 1000 })! },
        (_, i) => i,
      )
      : listFlag("seeds", seedsText).map((s) => numberFlag("seeds", s, { integer: true, min: 0 })!);
    const rate = numberFlag("rate", values.rate, { fallback: 0.1, greaterThan: 0, lessThan: 1 });
    const klWeight = numberFlag("kl-weight", values["kl-weight"], { fallback: 1, greaterThan: 0 });
    const hiddenRate = numberFlag("hidden-rate", values["hidden-rate"], {
      greaterThan: 0,
      lessThan: 1,
    });
    // The template is the baseline's run: rates and KL come from the plan, per method.
    const { rate: _r, "kl-weight": _k, "hidden-rate": _h, ...runFlags } = values;
    const template = runSpecFromFlags(runFlags, "baseline", selection, model, {
      ...TRAIN_DEFAULTS,
      steps: scale.steps,
      evalEvery: scale.evalEvery,
    });
    const experiments = userTaskExperiments({
      template,
      rate,
      klWeight,
      ...(hiddenRate === undefined ? {} : { hiddenRate }),
      methods,
      seeds,
    });
    return {
      dir: `${values.out ?? "results"}/${selection.task}-${userPreset}`,
      experiments,
      model,
      ...(values.cache === undefined ? {} : { cacheDir: resolve(values.cache) }),
      paper: false,
      userTask: true,
      preset: userPreset,
    };
  })();
}

function paperGrid(values: Values, preset: ReproPreset): Grid {
  const userFlags = [
    ...Object.keys(USER_TASK_FLAGS),
    ...Object.keys(USER_RUN_FLAGS),
    "methods",
  ] as (keyof Values)[];
  const used = userFlags.find((f) => values[f] !== undefined && values[f] !== false);
  if (used !== undefined) {
    throw new UsageError(`--${used} applies to your own task (--train FILE --dev FILE)`);
  }
  const flags = ["model", "glue", "cache", "tasks", "seeds", "epochs", "steps"] as const;
  if (preset !== "paper") {
    const extra = flags.find((f) => values[f] !== undefined);
    if (extra !== undefined) {
      throw new UsageError(
        `--${extra} applies to the paper preset or your own task (--train), received it with --preset ${preset}`,
      );
    }
    return {
      dir: trackResultsDir(REPRO_TRACKS.nlu, values.out ?? "results", preset),
      experiments: reproExperiments(preset),
      model: "use-lite",
      paper: false,
      userTask: false,
      preset,
    };
  }
  const epochs = numberFlag("epochs", values.epochs, { greaterThan: 0 });
  const steps = numberFlag("steps", values.steps, { integer: true, min: 1 });
  if (epochs !== undefined && steps !== undefined) {
    throw new UsageError(`give --steps or --epochs, not both`);
  }
  const tasks = values.tasks === undefined
    ? undefined
    : listFlag("tasks", values.tasks, PAPER_TASK_NAMES);
  const seeds = values.seeds === undefined
    ? undefined
    : listFlag("seeds", values.seeds).map((s) =>
      numberFlag("seeds", s, { integer: true, min: 0 })!
    );
  // A local folder is named by its absolute path, so worker processes find it too.
  const model = values.model === undefined ? PAPER_MODEL : modelFromFlag(values.model);
  if (values.glue !== undefined) {
    if (!isDirectory(values.glue)) {
      throw new UsageError(`--glue must be the GLUE data folder, received "${values.glue}"`);
    }
    Deno.env.set("LORADROP_GLUE_DIR", resolve(values.glue));
  }
  if (values.cache !== undefined) Deno.env.set("LORADROP_CACHE", resolve(values.cache));
  const overrides: RunOverrides = {
    ...(values.model === undefined ? {} : { model }),
    ...(epochs === undefined ? {} : { epochs }),
    ...(steps === undefined ? {} : { steps }),
    ...(tasks === undefined ? {} : { tasks }),
    ...(seeds === undefined ? {} : { seeds }),
  };
  return {
    dir: trackResultsDir(REPRO_TRACKS.nlu, values.out ?? "results", preset),
    experiments: overrideRuns(reproExperiments(preset), overrides),
    model,
    ...(values.cache === undefined ? {} : { cacheDir: resolve(values.cache) }),
    paper: true,
    userTask: false,
    preset,
  };
}

function describeRun(spec: RunSpec): string {
  return `${spec.method}${spec.rate ? ` p=${spec.rate}` : ""}${
    spec.rank !== 8 ? ` r=${spec.rank}` : ""
  } on ${spec.task}, seed ${spec.seed}${spec.steps > 0 ? `, ${spec.steps} steps` : ""}`;
}

async function runTheGrid(
  grid: Grid,
  experiments: readonly ExperimentSpec[],
  options: { jobs: number; shard: Shard; shardText?: string; backend?: string; noSetup?: boolean },
): Promise<{ backend: string; failed: number }> {
  const info = await initCliBackend({
    requested: options.backend === undefined
      ? undefined
      : choiceFlag("backend", options.backend, BACKEND_NAMES),
    jobs: options.jobs,
    noSetup: options.noSetup === true,
  });
  const { dir } = grid;
  await Deno.mkdir(dir, { recursive: true });
  if (grid.paper) {
    // Every task's GLUE folder must exist before any run starts (a clear error, not N failed runs).
    for (const task of new Set(experiments.flatMap((e) => e.runs.map((r) => r.task)))) {
      await glueTaskDir(task);
    }
  }
  const { todo, done, corrupt } = await planGrid(
    experiments.flatMap((e) => e.runs),
    info.active,
    dir,
    options.shard,
  );
  say(
    `loradrop repro: ${
      grid.userTask
        ? `task ${experiments[0]?.runs[0]?.task} (preset ${grid.preset})`
        : `preset ${grid.preset}`
    }, backend ${info.active}, ${done.length} run(s) cached, ${todo.length} to run ` +
      `with ${Math.min(options.jobs, Math.max(1, todo.length))} job(s)` +
      (options.shardText ? `, shard ${options.shardText}` : "") + `, in ${dir}`,
  );
  for (const c of corrupt) {
    say(`stored run ${c.path} is not a valid run (${c.reason}); running it again`);
  }
  const seconds = estimateGridSeconds(todo.map((r) => r.spec), info.active, options.jobs);
  if (seconds !== undefined && todo.length > 0) {
    const minutes = (x: number) => `${Math.max(1, Math.round(x / 60))} min`;
    const onTensorflow = estimateGridSeconds(todo.map((r) => r.spec), "tensorflow", options.jobs)!;
    say(
      `loradrop repro: roughly ${minutes(seconds)} on ${info.active} if the cores are idle ` +
        `(per-step costs measured on 2 cores)` +
        (info.active === "wasm" ? `; tensorflow: ~${minutes(onTensorflow)}` : ""),
    );
  }
  let resources: RunResources | undefined;
  const shared = async () =>
    resources ??= await loadRunResources(
      grid.model,
      grid.cacheDir === undefined ? {} : { cacheDir: grid.cacheDir },
    );
  // Claims 2-3 on real logits take seconds: measured by shard 1 in this process.
  if (options.shard.index === 0 && !grid.userTask) {
    const { base, tokenizer } = await shared();
    const first = experiments.flatMap((e) => e.runs)[0];
    const texts = grid.paper
      ? (await loadRunTask(first?.task ?? "rte")).dev.slice(0, 16).map((e) => e.text)
      : await equivalenceTexts(grid.preset as ReproPreset);
    const logits = captureAttentionLogits(base, tokenizer, texts);
    const result = measureEquivalence(logits);
    tf.dispose(logits);
    await writeFileAtomic(`${dir}/equivalence.json`, JSON.stringify(result));
    say(
      `equivalence on real logits: forward max diff ${result.forwardMaxDiff.toExponential(2)}, ` +
        `k rel. err. ${result.kMaxRelError.toExponential(2)} over ${result.rows} rows`,
    );
    // A large model should not stay loaded here while worker processes load their own.
    if (grid.paper && options.jobs > 1 && todo.length > 1 && resources) {
      disposeRunResources(resources);
      resources = undefined;
    }
  }
  const outcome = await runGrid(todo, {
    dir,
    backend: info.active,
    jobs: options.jobs,
    workerScript: new URL("./repro_worker.ts", import.meta.url),
    executeInProcess: async (run) => {
      await executeRun(run.spec, await shared(), { dir, backend: info.active, progress: false });
    },
    onRunEnd: (run, error, busy) => {
      // On a terminal the progress bar shows finished runs; failures are always printed.
      if (error === undefined && Deno.stderr.isTerminal()) return;
      say(
        `${busy ? "skipped" : error ? paint("FAILED", "red") : "done"}: ${describeRun(run.spec)}${
          busy ? ` (${error})` : error ? `\n${error}` : ""
        }`,
      );
    },
  });
  if (resources) disposeRunResources(resources);
  if (outcome.failed.length > 0) {
    say(`${outcome.failed.length} run(s) failed; rerunning the same command retries them`);
  }
  if (outcome.busy.length > 0) {
    say(
      `${outcome.busy.length} run(s) skipped: another process is running them; the report ` +
        `includes them once they are stored (the process that finishes last writes it)`,
    );
  }
  return { backend: info.active, failed: outcome.failed.length };
}

/**
 * Runs `deno task repro` (the NLG track is `deno task repro nlg`, see `cli/repro_nlg.ts`).
 *
 * @param argv The arguments.
 * @returns The exit code: 0, 1 (a run failed) or 2 (bad arguments).
 */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === "nlg") {
    const nlg = await import("./repro_nlg.ts");
    return await nlg.main(argv.slice(1));
  }
  return await runCommand(REPRO_COMMAND, argv, async ({ values, positionals }) => {
    const command = positionals[0] ?? "run";
    if (!["run", "merge", "report"].includes(command)) {
      throw new UsageError(`the command must be run, merge or report, received "${command}"`);
    }
    if (command !== "merge" && positionals.length > 1) {
      throw new UsageError(`${command} takes no folders, received "${positionals[1]}"`);
    }
    const userTask = values.train !== undefined || values.dev !== undefined;
    const presetText = values.preset ?? (Deno.env.get("LORADROP_PRESET") || "quick");
    const grid = userTask
      ? await userTaskGrid(values, presetText)
      : paperGrid(values, choiceFlag("preset", presetText, REPRO_PRESETS));
    const ids = grid.experiments.map((e) => e.id);
    const only = values.only === undefined ? undefined : listFlag("only", values.only, ids);
    const experiments = grid.experiments.filter((e) => !only || only.includes(e.id));
    // The network only when a model may have to be downloaded from the hub.
    if (!experiments.some((e) => e.runs.some((r) => modelNeedsDownload(r.model)))) {
      await Deno.permissions.revoke({ name: "net" });
    }
    const jobs = numberFlag("jobs", values.jobs, {
      fallback: navigator.hardwareConcurrency || 1,
      integer: true,
      min: 1,
    });
    const shardText = values.shard;
    let shard: Shard = { index: 0, count: 1 };
    if (shardText !== undefined) {
      try {
        shard = parseShard(shardText);
      } catch {
        throw new UsageError(`--shard must be i/n with 1 <= i <= n, received "${shardText}"`);
      }
    }
    if (command !== "run") {
      for (const f of ["jobs", "shard", "only"] as const) {
        if (values[f] !== undefined) {
          throw new UsageError(`--${f} applies to run, received it with ${command}`);
        }
      }
    }
    let code = 0;
    let backend = values.backend ?? (Deno.env.get("LORADROP_BACKEND") || "wasm");
    if (command === "merge") {
      const sources = positionals.slice(1);
      if (sources.length === 0) throw new UsageError(`merge needs one or more shard folders`);
      const copied = await mergeStoredRuns(grid.dir, sources);
      say(`merged ${copied} run(s) into ${grid.dir}`);
    } else if (command === "run") {
      const ran = await runTheGrid(grid, experiments, {
        jobs,
        shard,
        ...(shardText === undefined ? {} : { shardText }),
        ...(values.backend === undefined ? {} : { backend: values.backend }),
        noSetup: values["no-setup"],
      });
      backend = ran.backend;
      if (ran.failed > 0) code = 1;
    } else {
      choiceFlag("backend", backend, BACKEND_NAMES);
    }
    const written = grid.userTask
      ? await writeUserTaskReport(grid.dir, grid.experiments, backend)
      : await writeReproReport(grid.dir, grid.preset as ReproPreset, grid.experiments, {
        onInvalid: (path, reason) => say(`skipped ${path} in the report: ${reason}`),
        log: say,
      });
    if (grid.userTask) {
      const verdicts = JSON.parse(await Deno.readTextFile(`${grid.dir}/verdicts.json`));
      for (const m of verdicts.methods) say(m.sentence);
      say(verdicts.regime.sentence);
    }
    console.log(`wrote ${written.length} file(s): ${written.join(" ")}`);
    process.exitCode = code;
    return code;
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
