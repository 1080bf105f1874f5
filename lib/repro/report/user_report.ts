/**
 * Writes the outputs of a comparison on a user's task from its stored runs: `verdicts.json`
 * (the regime and each method against the baseline), `tables/*.csv` and `report.html`, which
 * opens with the answer in one sentence per method.
 *
 * @module
 */
import { writeReportHtml } from "../../viz/report.ts";
import type { ReportSection } from "../../viz/report.ts";
import { lineFigure } from "../../viz/line.ts";
import { writeFileAtomic } from "../../train/atomic_file.ts";
import { writeSectionTables } from "./write_report.ts";
import type { ExperimentSpec, RunSpec } from "../plan/run_spec.ts";
import { readStoredRun, runSpecHash, type StoredRun } from "../run/store.ts";
import { taskDataIdentity } from "../run/task_data.ts";
import {
  type MethodVerdict,
  methodVerdict,
  type PairedDifference,
  type RegimeVerdict,
  regimeVerdict,
  seedScores,
} from "./user_verdicts.ts";

/** What `verdicts.json` holds. */
export interface UserTaskVerdicts {
  /** The task's name. */
  readonly task: string;
  /** The model. */
  readonly model: string;
  /** The backend the runs ran on. */
  readonly backend: string;
  /** How scores and verdicts were obtained. */
  readonly protocol: string;
  /** The regime check. */
  readonly regime: RegimeVerdict;
  /** Each method against the baseline. */
  readonly methods: readonly MethodVerdict[];
  /** Planned runs and how many have finished. */
  readonly runs: { readonly planned: number; readonly finished: number };
}

async function storedOf(
  dir: string,
  specs: readonly RunSpec[],
  backend: string,
): Promise<(StoredRun | undefined)[]> {
  return await Promise.all(
    specs.map(async (s) => readStoredRun(dir, await runSpecHash(s, backend))),
  );
}

const PROTOCOL =
  "Score: the task's main dev metric x 100, best over the run's evaluations (the paper's protocol, i.e. early stopping on the dev set) and at the end of training. Every method runs with the same seeds (init, data order, dropout masks); a verdict uses the paired differences method - baseline: better or worse only when the 95% paired-t interval excludes 0, otherwise inconclusive. The drop rate and KL weight are the ones given, not tuned on the dev set.";

/**
 * Computes the verdicts of a user-task comparison from the runs stored in `dir`.
 *
 * @param dir The results folder.
 * @param experiments The `regime` and `comparison` experiments (`userTaskExperiments`).
 * @param backend The backend (part of every run's hash).
 * @returns The verdicts (methods without finished pairs get `not enough pairs`).
 * @example
 * ```ts
 * import { userTaskVerdicts } from "@loradrop/core/repro";
 * import { userTaskExperiments } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const template = reproExperiments("smoke")[0]!.runs[0]!;
 * const experiments = userTaskExperiments({ template, rate: 0.1, klWeight: 1, methods: ["hiddenKey"], seeds: [0, 1] });
 * const v = await userTaskVerdicts(await Deno.makeTempDir(), experiments, "wasm");
 * assertEquals([v.regime.overfits, v.methods[0]!.best.outcome, v.runs.finished], [false, "not enough pairs", 0]);
 * ```
 */
export async function userTaskVerdicts(
  dir: string,
  experiments: readonly ExperimentSpec[],
  backend: string,
): Promise<UserTaskVerdicts> {
  const regimeSpecs = experiments.find((e) => e.id === "regime")?.runs ?? [];
  const comparison = experiments.find((e) => e.id === "comparison")?.runs ?? [];
  const first = comparison[0] ?? regimeSpecs[0];
  if (first === undefined) {
    throw new TypeError("Cannot judge the comparison: the experiments hold no runs");
  }
  const [regimeRun] = await storedOf(dir, regimeSpecs, backend);
  const stored = await storedOf(dir, comparison, backend);
  const byMethod = new Map<string, { seed: number; record: StoredRun["record"] }[]>();
  comparison.forEach((spec, i) => {
    const list = byMethod.get(spec.method) ?? [];
    const run = stored[i];
    if (run !== undefined) list.push({ seed: spec.seed, record: run.record });
    byMethod.set(spec.method, list);
  });
  const baseline = seedScores(byMethod.get("baseline") ?? []);
  const methods = [...byMethod.keys()].filter((m) => m !== "baseline").map((m) =>
    methodVerdict(m, seedScores(byMethod.get(m)!), baseline)
  );
  const finished = stored.filter(Boolean).length + (regimeRun === undefined ? 0 : 1);
  return {
    task: first.task,
    model: first.model,
    backend,
    protocol: PROTOCOL,
    regime: regimeVerdict(first.task, regimeRun === undefined ? [] : [regimeRun]),
    methods,
    runs: { planned: comparison.length + regimeSpecs.length, finished },
  };
}

const fmt = (x: number | null | undefined) =>
  x === null || x === undefined ? "–" : `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(2)}`;
const ci = (d: PairedDifference) =>
  d.ci95 === null ? "–" : `[${fmt(d.ci95[0])}, ${fmt(d.ci95[1])}]`;

function sections(
  verdicts: UserTaskVerdicts,
  regimeRun: StoredRun | undefined,
  spec: RunSpec,
): ReportSection[] {
  const out: ReportSection[] = [];
  const settings = `Task ${verdicts.task}${
    spec.data === undefined
      ? ""
      : ` (files with SHA-256 ${spec.data.train.sha256.slice(0, 12)}… / ${
        spec.data.dev.sha256.slice(0, 12)
      }…)`
  }, model ${verdicts.model}, backend ${verdicts.backend}; ${spec.steps} steps, batch ${spec.batchSize}, lr ${spec.learningRate}, LoRA r ${spec.rank} α ${spec.alpha}, max length ${spec.maxLength}; ${verdicts.runs.finished} of ${verdicts.runs.planned} runs finished.`;
  out.push({
    heading: "The answer",
    text: [...verdicts.methods.map((m) => m.sentence), verdicts.regime.sentence, settings].join(
      "\n\n",
    ),
  });
  out.push({
    heading: "Each method against the baseline",
    text:
      `Paired differences in points (method − baseline), mean over seeds with the 95% confidence interval. ${verdicts.protocol}`,
    table: {
      rows: verdicts.methods.map((m) => ({
        method: m.method,
        seeds: m.best.n,
        "best: diff": fmt(m.best.meanDifference),
        "best: 95% CI": ci(m.best),
        verdict: m.best.outcome,
        "detectable ≈": m.best.minimumDetectable === null
          ? "–"
          : m.best.minimumDetectable.toFixed(2),
        "final: diff": fmt(m.final.meanDifference),
        "final: 95% CI": ci(m.final),
        "final: verdict": m.final.outcome,
      })),
      columns: [
        "method",
        "seeds",
        "best: diff",
        "best: 95% CI",
        "verdict",
        "detectable ≈",
        "final: diff",
        "final: 95% CI",
        "final: verdict",
      ],
    },
  });
  const evals = regimeRun?.record.evaluations ?? [];
  const metric = regimeRun?.record.best?.metric;
  out.push({
    heading: "Is the baseline overfitting? (regime check)",
    text:
      `One baseline run three times as long as the comparison's, evaluated often; the rule of the paper's grids: the baseline ${verdicts.regime.rule}. Here: ${verdicts.regime.reason}.`,
    ...(evals.length >= 2 && metric !== undefined
      ? {
        figure: lineFigure([
          { name: "dev loss", x: evals.map((e) => e.step), y: evals.map((e) => e.loss) },
          {
            name: `dev ${metric}`,
            x: evals.map((e) => e.step),
            y: evals.map((e) => e.metrics[metric] ?? 0),
          },
        ], { title: "Long baseline run", xTitle: "step" }),
      }
      : {}),
  });
  return out;
}

/**
 * Writes `verdicts.json`, `tables/*.csv` and `report.html` of a user-task comparison.
 *
 * @param dir The results folder (where the runs are stored).
 * @param experiments The `regime` and `comparison` experiments.
 * @param backend The backend of the runs.
 * @returns The paths written.
 * @example
 * ```ts
 * import { writeUserTaskReport } from "@loradrop/core/repro";
 * import { userTaskExperiments } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assert } from "@std/assert";
 * const template = reproExperiments("smoke")[0]!.runs[0]!;
 * const experiments = userTaskExperiments({ template, rate: 0.1, klWeight: 1, methods: ["hiddenKey"], seeds: [0, 1] });
 * const paths = await writeUserTaskReport(await Deno.makeTempDir(), experiments, "wasm");
 * assert(paths.some((p) => p.endsWith("verdicts.json")) && paths.some((p) => p.endsWith("report.html")));
 * ```
 */
export async function writeUserTaskReport(
  dir: string,
  experiments: readonly ExperimentSpec[],
  backend: string,
): Promise<string[]> {
  const verdicts = await userTaskVerdicts(dir, experiments, backend);
  const regimeSpecs = experiments.find((e) => e.id === "regime")?.runs ?? [];
  const [regimeRun] = await storedOf(dir, regimeSpecs, backend);
  const spec = (experiments.find((e) => e.id === "comparison")?.runs ?? regimeSpecs)[0]!;
  const written: string[] = [];
  const json = `${dir}/verdicts.json`;
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(
    json,
    JSON.stringify(
      {
        ...verdicts,
        ...(spec.data === undefined ? {} : { data: taskDataIdentity(spec.data) }),
      },
      null,
      2,
    ),
  );
  written.push(json);
  const all = sections(verdicts, regimeRun, spec);
  for (const path of await writeSectionTables(dir, all)) written.push(path);
  const html = `${dir}/report.html`;
  await writeReportHtml(html, all, { title: `loradrop: does dropout help on ${verdicts.task}?` });
  written.push(html);
  return written;
}
