/**
 * `deno task repro`: reproduces the paper on the embedded default model (USE-lite) and the
 * offline tasks, caching every run by its hash.
 *
 * ```sh
 * deno task repro                         # preset "quick" (≤ 60 min on 2 cores)
 * deno task repro --preset smoke          # ≤ 3 min, used by CI and the notebook check
 * deno task repro --jobs 2 --shard 1/4    # a quarter of the grid over 2 worker processes
 * deno task repro merge --preset full results/full-shard-*   # join shards, then write the report
 * deno task repro report --preset quick   # rewrite report.html and tables from stored runs
 * deno task repro --preset paper --model roberta-large --glue ~/glue_data --backend tensorflow
 * deno task repro --preset paper --model DIR --glue DIR --tasks rte --seeds 0 --epochs 1  # a trial
 * deno task repro nlg --preset smoke      # the NLG track (Table 2), see cli/repro_nlg.ts
 * ```
 * The `paper` preset runs the paper's own settings (RoBERTa-large on GLUE, Table 6): `--model` is a
 * Hugging Face folder or hub id (from the hub cache, `--cache` or `$LORADROP_CACHE`), `--glue` the
 * GLUE data folder (or `$LORADROP_GLUE_DIR`); worker processes receive both through the
 * environment. It is meant for a GPU or tfjs-node: RoBERTa-large on wasm trains ~15 tokens/s.
 * Outputs: `results/<preset>/runs/*.json` (one per run), `results/<preset>/tables/*.csv`,
 * `results/<preset>/report.html` (self-contained, offline) and `equivalence.json`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend, parseBackendName } from "../lib/backend.ts";
import {
  captureAttentionLogits,
  equivalenceTexts,
  measureEquivalence,
} from "../lib/repro/equivalence.ts";
import {
  disposeRunResources,
  executeRun,
  glueTaskDir,
  loadRunResources,
  loadRunTask,
  type RunResources,
} from "../lib/repro/execute.ts";
import process from "node:process";
import { resolve } from "node:path";
import {
  REPRO_PRESETS,
  reproExperiments,
  type ReproPreset,
  type RunSpec,
} from "../lib/repro/experiments.ts";
import {
  isPaperTask,
  overrideRuns,
  PAPER_MODEL,
  PAPER_TASK_NAMES,
  type RunOverrides,
} from "../lib/repro/paper_settings.ts";
import { parseShard, planGrid, runGrid } from "../lib/repro/scheduler.ts";
import { mergeStoredRuns } from "../lib/repro/store.ts";
import { writeReproReport } from "../lib/repro/write_report.ts";
import { writeFileAtomic } from "../lib/train/atomic_file.ts";

// The NLG track (paper Table 2) has its own runner: `deno task repro nlg [--preset …]`.
if (Deno.args[0] === "nlg") {
  const { main } = await import("./repro_nlg.ts");
  Deno.exit(await main(Deno.args.slice(1)));
}

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    preset: { type: "string", default: Deno.env.get("LORADROP_PRESET") ?? "quick" },
    jobs: { type: "string", default: String(navigator.hardwareConcurrency || 1) },
    shard: { type: "string" },
    out: { type: "string", default: "results" },
    backend: { type: "string" },
    only: { type: "string" },
    model: { type: "string" },
    glue: { type: "string" },
    cache: { type: "string" },
    tasks: { type: "string" },
    seeds: { type: "string" },
    epochs: { type: "string" },
    steps: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help) {
  console.log(
    `usage: deno task repro [run|merge|report] [--preset ${REPRO_PRESETS.join("|")}] [--jobs N]
       [--shard i/n] [--out DIR] [--backend wasm|cpu|webgpu|tensorflow] [--only overfit,framework,...]
  merge: deno task repro merge --preset P SHARD_DIR... (copies finished runs, then writes the report)
  paper: --model DIR_OR_HUB_ID --glue GLUE_DIR [--cache DIR] [--tasks rte,mrpc] [--seeds 0,1]
         [--epochs E | --steps N]  (Table 6's settings; the last four scale a trial run down)`,
  );
  Deno.exit(0);
}

const command = positionals[0] ?? "run";
if (!["run", "merge", "report"].includes(command)) {
  throw new TypeError(
    `Cannot run repro: command must be run, merge or report, received "${command}"`,
  );
}
if (!(REPRO_PRESETS as readonly string[]).includes(values.preset!)) {
  throw new TypeError(
    `Cannot run repro: --preset must be one of ${
      REPRO_PRESETS.join(", ")
    }, received "${values.preset}"`,
  );
}
const preset = values.preset as ReproPreset;
const dir = `${values.out}/${preset}`;
await Deno.mkdir(dir, { recursive: true });

const paper = paperOptions();
// The grid, scaled down for a paper trial (--tasks, --seeds, --epochs, --steps).
const allExperiments = paper
  ? overrideRuns(reproExperiments(preset), paper.overrides)
  : reproExperiments(preset);

if (command === "merge") {
  // Every run of every shard is checked (hash recomputed from its spec) before any is copied.
  let copied: number;
  try {
    copied = await mergeStoredRuns(dir, positionals.slice(1).map((d) => `${d}`));
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(1);
  }
  console.log(`merged ${copied} run(s) into ${dir}`);
} else if (command === "run") {
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new RangeError(
      `Cannot run repro: --jobs must be a positive integer, received "${values.jobs}"`,
    );
  }
  const info = await initBackend(
    values.backend ? { backend: parseBackendName(values.backend) } : {},
  );
  const only = values.only?.split(",").map((s) => s.trim());
  const experiments = allExperiments.filter((e) => !only || only.includes(e.id));
  const shard = values.shard ? parseShard(values.shard) : { index: 0, count: 1 };
  if (paper) {
    // Every task's GLUE folder must exist before any run starts (a clear error, not N failed runs).
    for (const task of new Set(experiments.flatMap((e) => e.runs.map((r) => r.task)))) {
      await glueTaskDir(task);
    }
  }
  const { todo, done, corrupt } = await planGrid(
    experiments.flatMap((e) => e.runs),
    info.active,
    dir,
    shard,
  );
  console.log(
    `loradrop repro: preset ${preset}, backend ${info.active}, ${done.length} run(s) cached, ${todo.length} to run ` +
      `with ${Math.min(jobs, Math.max(1, todo.length))} job(s)` +
      (values.shard ? `, shard ${values.shard}` : ""),
  );
  for (const c of corrupt) {
    console.error(`stored run ${c.path} is not a valid run (${c.reason}); running it again`);
  }
  let resources: RunResources | undefined;
  const shared = async () =>
    resources ??= paper
      ? await loadRunResources(paper.model, paper.cacheDir ? { cacheDir: paper.cacheDir } : {})
      : await loadRunResources("use-lite");
  // Claims 2-3 on real logits take seconds: measured by shard 1 in this process.
  if (shard.index === 0) {
    const { base, tokenizer } = await shared();
    const texts = paper
      ? (await loadRunTask(experiments.flatMap((e) => e.runs)[0]?.task ?? "rte")).dev.slice(0, 16)
        .map((e) => e.text)
      : await equivalenceTexts(preset);
    const logits = captureAttentionLogits(base, tokenizer, texts);
    const result = measureEquivalence(logits);
    tf.dispose(logits);
    await writeFileAtomic(`${dir}/equivalence.json`, JSON.stringify(result));
    console.log(
      `equivalence on real logits: forward max diff ${result.forwardMaxDiff.toExponential(2)}, ` +
        `k rel. err. ${result.kMaxRelError.toExponential(2)} over ${result.rows} rows`,
    );
    // A large model should not stay loaded here while worker processes load their own.
    if (paper && jobs > 1 && todo.length > 1 && resources) {
      disposeRunResources(resources);
      resources = undefined;
    }
  }
  const outcome = await runGrid(todo, {
    dir,
    backend: info.active,
    jobs,
    executeInProcess: async (run) => {
      await executeRun(run.spec, await shared(), { dir, backend: info.active, progress: false });
    },
    onRunEnd: (run, error, busy) => logRun(run.spec, error, busy),
  });
  if (resources) disposeRunResources(resources);
  if (outcome.failed.length > 0) {
    console.error(
      `${outcome.failed.length} run(s) failed; rerunning the same command retries them`,
    );
    process.exitCode = 1;
  }
  if (outcome.busy.length > 0) {
    console.error(
      `${outcome.busy.length} run(s) skipped: another process is running them; the report ` +
        `includes them once they are stored (the process that finishes last writes it)`,
    );
  }
}

/**
 * The `paper` preset's options (undefined for the other presets, which reject them). The GLUE and
 * cache folders go into the environment, which worker processes inherit.
 */
function paperOptions():
  | { model: string; cacheDir?: string; overrides: RunOverrides }
  | undefined {
  const flags = ["model", "glue", "cache", "tasks", "seeds", "epochs", "steps"] as const;
  if (preset !== "paper") {
    const used = flags.filter((f) => values[f] !== undefined);
    if (used.length > 0) {
      throw new TypeError(
        `Cannot run repro: --${
          used[0]
        } applies to the paper preset only, received it with --preset ${preset}`,
      );
    }
    return undefined;
  }
  const number = (flag: "epochs" | "steps") => {
    const v = values[flag];
    if (v === undefined) return undefined;
    const x = Number(v);
    if (v.trim() === "" || !Number.isFinite(x) || x <= 0) {
      throw new RangeError(`Cannot run repro: --${flag} must be a number > 0, received "${v}"`);
    }
    return x;
  };
  const list = (flag: "tasks" | "seeds") => values[flag]?.split(",").map((s) => s.trim());
  const epochs = number("epochs"), steps = number("steps"), tasks = list("tasks");
  const seeds = list("seeds")?.map((s) => {
    if (!/^\d+$/.test(s)) {
      throw new RangeError(
        `Cannot run repro: --seeds must be integers, received "${values.seeds}"`,
      );
    }
    return Number(s);
  });
  for (const task of tasks ?? []) {
    if (!isPaperTask(task)) {
      throw new RangeError(
        `Cannot run repro: --tasks must be among ${
          PAPER_TASK_NAMES.join(", ")
        }, received "${task}"`,
      );
    }
  }
  // A local folder is named by its absolute path, so worker processes find it too.
  const model = values.model === undefined
    ? PAPER_MODEL
    : isDirectory(values.model)
    ? resolve(values.model)
    : values.model;
  if (values.glue !== undefined) Deno.env.set("LORADROP_GLUE_DIR", resolve(values.glue));
  if (values.cache !== undefined) Deno.env.set("LORADROP_CACHE", resolve(values.cache));
  return {
    model,
    ...(values.cache === undefined ? {} : { cacheDir: resolve(values.cache) }),
    overrides: {
      ...(values.model === undefined ? {} : { model }),
      ...(epochs === undefined ? {} : { epochs }),
      ...(steps === undefined ? {} : { steps }),
      ...(tasks === undefined ? {} : { tasks }),
      ...(seeds === undefined ? {} : { seeds }),
    },
  };
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function logRun(spec: RunSpec, error?: string, busy = false): void {
  if (Deno.stderr.isTerminal() && !error) return; // the progress bar shows it
  const what = `${spec.method}${spec.rate ? ` p=${spec.rate}` : ""}${
    spec.rank !== 8 ? ` r=${spec.rank}` : ""
  }`;
  console.log(
    `${busy ? "skipped" : error ? "FAILED" : "done"}: ${what} on ${spec.task}, seed ${spec.seed}${
      busy ? ` (${error})` : error ? `\n${error}` : ""
    }`,
  );
}

const written = await writeReproReport(dir, preset, allExperiments, {
  onInvalid: (path, reason) => console.error(`skipped ${path} in the report: ${reason}`),
  log: (line) => console.log(line),
});
console.log(`wrote ${written.length} file(s): ${written.at(-1)}`);
