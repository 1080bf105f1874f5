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
 * ```
 * Outputs: `results/<preset>/runs/*.json` (one per run), `results/<preset>/tables/*.csv`,
 * `results/<preset>/report.html` (self-contained, offline) and `equivalence.json`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend, parseBackendName } from "../lib/backend.ts";
import { loadTask } from "../lib/data/registry.ts";
import { captureAttentionLogits, measureEquivalence } from "../lib/repro/equivalence.ts";
import {
  disposeRunResources,
  executeRun,
  loadRunResources,
  type RunResources,
} from "../lib/repro/execute.ts";
import process from "node:process";
import {
  REPRO_PRESETS,
  reproExperiments,
  type ReproPreset,
  type RunSpec,
} from "../lib/repro/experiments.ts";
import { parseShard, planGrid, runGrid } from "../lib/repro/scheduler.ts";
import { mergeStoredRuns } from "../lib/repro/store.ts";
import { writeReproReport } from "../lib/repro/write_report.ts";
import { writeFileAtomic } from "../lib/train/atomic_file.ts";

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
    help: { type: "boolean", short: "h" },
  },
});

if (values.help) {
  console.log(
    `usage: deno task repro [run|merge|report] [--preset ${REPRO_PRESETS.join("|")}] [--jobs N]
       [--shard i/n] [--out DIR] [--backend wasm|cpu|webgpu|tensorflow] [--only overfit,framework,...]
  merge: deno task repro merge --preset P SHARD_DIR... (copies finished runs, then writes the report)`,
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

if (command === "merge") {
  const copied = await mergeStoredRuns(dir, positionals.slice(1).map((d) => `${d}`));
  console.log(`merged ${copied} run(s) into ${dir}`);
} else if (command === "run") {
  if (preset === "paper") {
    throw new Error(
      'Cannot run the "paper" preset here: it needs RoBERTa-large and GLUE on a GPU or tfjs-node ' +
        "(deno task setup:native). Download them and use the library's loadHfModel/loadGlueTask with train(); " +
        "the offline presets are smoke, quick and full.",
    );
  }
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
  const experiments = reproExperiments(preset).filter((e) => !only || only.includes(e.id));
  const shard = values.shard ? parseShard(values.shard) : { index: 0, count: 1 };
  const { todo, done } = await planGrid(
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
  let resources: RunResources | undefined;
  const shared = async () => resources ??= await loadRunResources("use-lite");
  // Claims 2-3 on real logits take seconds: measured by shard 1 in this process.
  if (shard.index === 0) {
    const { base, tokenizer } = await shared();
    const texts = (await loadTask("sentiment")).dev.slice(0, preset === "smoke" ? 4 : 16);
    const logits = captureAttentionLogits(base, tokenizer, texts.map((e) => e.text));
    const result = measureEquivalence(logits);
    tf.dispose(logits);
    await writeFileAtomic(`${dir}/equivalence.json`, JSON.stringify(result));
    console.log(
      `equivalence on real logits: forward max diff ${result.forwardMaxDiff.toExponential(2)}, ` +
        `k rel. err. ${result.kMaxRelError.toExponential(2)} over ${result.rows} rows`,
    );
  }
  const outcome = await runGrid(todo, {
    dir,
    backend: info.active,
    jobs,
    executeInProcess: async (run) => {
      await executeRun(run.spec, await shared(), { dir, backend: info.active, progress: false });
    },
    onRunEnd: (run, error) => logRun(run.spec, error),
  });
  if (resources) disposeRunResources(resources);
  if (outcome.failed.length > 0) {
    console.error(
      `${outcome.failed.length} run(s) failed; rerunning the same command retries them`,
    );
    process.exitCode = 1;
  }
}

function logRun(spec: RunSpec, error?: string): void {
  if (Deno.stderr.isTerminal() && !error) return; // the progress bar shows it
  const what = `${spec.method}${spec.rate ? ` p=${spec.rate}` : ""}${
    spec.rank !== 8 ? ` r=${spec.rank}` : ""
  }`;
  console.log(
    `${error ? "FAILED" : "done"}: ${what} on ${spec.task}, seed ${spec.seed}${
      error ? `\n${error}` : ""
    }`,
  );
}

const written = await writeReproReport(dir, preset);
console.log(`wrote ${written.length} file(s): ${written.at(-1)}`);
