/**
 * The reproduction notebooks' shared helper: for the experiments a notebook shows, it runs the
 * preset's missing runs in this process into the same results folder that `deno task repro`
 * writes (`results/<preset>/runs/<hash>.json`, cached by run hash, so the notebook and the CLI
 * reuse each other's runs), while a live figure shows the current run's training loss and dev
 * score updating in place. It then reads every stored run back as the report's
 * {@linkcode ReportInput}, so a notebook displays the same sections, from the same numbers, as
 * `report.html`.
 *
 * @module
 */
import type { EvalEvent, StepEvent } from "../../train/train.ts";
import {
  displayBundle,
  displayFigure,
  displayTable,
  type DisplayTarget,
} from "../../viz/display.ts";
import type { Figure } from "../../viz/figure.ts";
import { lineFigure } from "../../viz/line.ts";
import { liveFigure } from "../../viz/live.ts";
import type { ReportSection } from "../../viz/report.ts";
import {
  executeRun,
  type ExecuteRunOptions,
  loadRunResources,
  type RunResources,
} from "../run/execute.ts";
import { reproExperiments } from "../plan/experiments.ts";
import {
  type ExperimentSpec,
  REPRO_PRESETS,
  type ReproPreset,
  type RunSpec,
} from "../plan/run_spec.ts";
import type { EquivalenceResult } from "./equivalence.ts";
import { planGrid, runGrid } from "../run/scheduler.ts";
import type { ReportInput } from "./sections.ts";
import { readStoredRuns, type StoredRun } from "../run/store.ts";
import { writeFileAtomic } from "../../train/atomic_file.ts";
import { readJsonFile } from "../../train/json_file.ts";
import { type ClaimVerdict, evaluateClaims } from "./verdicts.ts";

/**
 * The preset a notebook runs: `LORADROP_PRESET`, `quick` when it is unset or empty.
 *
 * @param value The preset's name (default: the `LORADROP_PRESET` environment variable).
 * @returns The preset.
 * @example
 * ```ts
 * import { notebookPreset } from "@loradrop/core/repro";
 * import { assertEquals, assertThrows } from "@std/assert";
 * assertEquals(notebookPreset("smoke"), "smoke");
 * assertEquals(notebookPreset(""), "quick");
 * assertThrows(() => notebookPreset("huge"), RangeError, '"huge"');
 * ```
 */
export function notebookPreset(value: string | undefined = envPreset()): ReproPreset {
  if (value === undefined || value === "") return "quick";
  if (!(REPRO_PRESETS as readonly string[]).includes(value)) {
    throw new RangeError(
      `Cannot choose the notebook's preset: LORADROP_PRESET must be one of ${
        REPRO_PRESETS.join(", ")
      }, received "${value}"`,
    );
  }
  return value as ReproPreset;
}

function envPreset(): string | undefined {
  try {
    return Deno.env.get("LORADROP_PRESET");
  } catch {
    return undefined; // no --allow-env: the default preset
  }
}

/** Trains one run and stores it, as {@linkcode executeRun} does (replaceable in tests). */
export type NotebookExecutor = (spec: RunSpec, options: ExecuteRunOptions) => Promise<StoredRun>;

const resourcesByModel = new Map<string, Promise<RunResources>>();

/**
 * The base model and tokenizer of `model`, loaded once per process and kept (a notebook's cells
 * share them: training, logit capture, model sizes).
 *
 * @param model The model of the runs' specs (`use-lite` for the offline presets).
 * @returns The shared resources.
 * @example
 * ```ts ignore
 * import { sharedRunResources } from "@loradrop/core/repro";
 * const { base, tokenizer } = await sharedRunResources("use-lite");
 * ```
 */
export function sharedRunResources(model = "use-lite"): Promise<RunResources> {
  let resources = resourcesByModel.get(model);
  if (resources === undefined) {
    resources = loadRunResources(model);
    resourcesByModel.set(model, resources);
    resources.catch(() => resourcesByModel.delete(model));
  }
  return resources;
}

/**
 * The default executor: {@linkcode executeRun} with the base model of the run's spec from
 * {@linkcode sharedRunResources}.
 *
 * @returns The executor.
 * @example
 * ```ts
 * import { defaultNotebookExecutor } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(typeof defaultNotebookExecutor(), "function"); // nothing is loaded until a run starts
 * ```
 */
export function defaultNotebookExecutor(): NotebookExecutor {
  return async (spec, options) => executeRun(spec, await sharedRunResources(spec.model), options);
}

/** Options of {@linkcode runNotebookExperiments}. */
export interface NotebookRunOptions {
  /** The preset whose runs to use. */
  readonly preset: ReproPreset;
  /** The ids of the experiments the notebook shows (`overfit`, `framework`, `compensation`, `significance`, `cost`). */
  readonly experiments: readonly string[];
  /** The preset's results folder, shared with `deno task repro` (e.g. `../results/smoke` from `notebooks/`). */
  readonly dir: string;
  /** The active backend's name (part of every run's identity). */
  readonly backend: string;
  /** Runs the notebook needs beyond the preset's experiments (stored in the same folder). */
  readonly extraRuns?: readonly RunSpec[];
  /** Trains one run (default {@linkcode defaultNotebookExecutor}). */
  readonly execute?: NotebookExecutor;
  /** Where the live figure goes (default: the Jupyter kernel, or text on the console). */
  readonly target?: DisplayTarget;
  /** Redraw the live figure at most this often (default 500 ms). */
  readonly minIntervalMs?: number;
  /** Pause after each display so the kernel flushes it (default 100 ms). */
  readonly settleMs?: number;
  /** Progress lines (default `console.log`). */
  readonly log?: (line: string) => void;
}

/** What {@linkcode runNotebookExperiments} returns. */
export interface NotebookRuns {
  /** Every stored run of the folder with the preset's experiments: the report sections' input. */
  readonly input: ReportInput;
  /** The preset's tasks (the columns of its tables). */
  readonly tasks: readonly string[];
  /** The notebook's runs (experiments and extra runs), deduplicated by hash. */
  readonly planned: number;
  /** How many of them were already stored. */
  readonly cached: number;
  /** The runs trained now. */
  readonly ran: readonly StoredRun[];
}

/**
 * A short label of a run: method, rate, rank (when not 8), task and seed.
 *
 * @param spec The run.
 * @returns The label.
 * @example
 * ```ts
 * import { runLabel } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const spec = reproExperiments("smoke").find((e) => e.id === "overfit")!.runs[0]!;
 * assertEquals(runLabel(spec), "baseline r=1 on sentiment-low, seed 0");
 * ```
 */
export function runLabel(spec: RunSpec): string {
  return `${spec.method}${spec.rate > 0 ? ` p=${spec.rate}` : ""}${
    spec.rank !== 8 ? ` r=${spec.rank}` : ""
  } on ${spec.task}, seed ${spec.seed}`;
}

/** Train loss (left axis) and dev score (right axis) of one run. */
function curveFigure(
  title: string,
  loss: { x: number[]; y: number[] },
  dev: { x: number[]; y: number[] },
): Figure {
  const base = lineFigure([
    { name: "train loss", x: loss.x, y: loss.y },
    { name: "dev score", x: dev.x, y: dev.y, markers: true },
  ], { title, xTitle: "step", yTitle: "training (task) loss" });
  return {
    data: [base.data[0]!, { ...base.data[1]!, yaxis: "y2" }],
    layout: {
      ...base.layout,
      yaxis2: { title: { text: "dev score (× 100)" }, overlaying: "y", side: "right" },
      margin: { l: 60, r: 70, t: 50, b: 50 },
      legend: { orientation: "h", y: -0.25 },
    },
  };
}

function mainMetric(metrics: Readonly<Record<string, number>>, name?: string): number | undefined {
  const v = name === undefined ? Object.values(metrics)[0] : metrics[name];
  return v === undefined || !Number.isFinite(v) ? undefined : v * 100;
}

/** The curves stored in a run's record. */
function storedCurves(
  run: StoredRun,
): { loss: { x: number[]; y: number[] }; dev: { x: number[]; y: number[] } } {
  const loss = { x: [] as number[], y: [] as number[] };
  run.record.curves.taskLoss.forEach((v, i) => {
    if (Number.isFinite(v)) {
      loss.x.push(i + 1);
      loss.y.push(v);
    }
  });
  const dev = { x: [] as number[], y: [] as number[] };
  for (const e of run.record.evaluations) {
    const v = mainMetric(e.metrics, run.record.best?.metric);
    if (v !== undefined) {
      dev.x.push(e.step);
      dev.y.push(v);
    }
  }
  return { loss, dev };
}

/**
 * Makes sure the runs of a notebook's experiments exist in the preset's results folder: stored
 * runs are reused, missing ones are trained here one after another while a live figure shows the
 * current run's training loss and dev score (redrawn in place). When nothing is missing the figure
 * shows the curves of one stored run instead, so the cell always has its figure. A run that fails
 * makes the call reject after the others ran (rerunning resumes: finished runs are stored).
 *
 * @param options Preset, experiment ids, results folder, backend, executor and display target.
 * @returns The report input over every stored run of the folder, and what was run now.
 * @example
 * ```ts
 * import { runNotebookExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * const printed: string[] = [];
 * const out = await runNotebookExperiments({
 *   preset: "smoke", experiments: [], dir, backend: "cpu",
 *   target: { print: (t) => printed.push(t) }, log: () => {},
 * });
 * assertEquals([out.planned, out.input.runs.length], [0, 0]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runNotebookExperiments(options: NotebookRunOptions): Promise<NotebookRuns> {
  const all = reproExperiments(options.preset);
  const chosen: ExperimentSpec[] = options.experiments.map((id) => {
    const e = all.find((x) => x.id === id);
    if (e === undefined) {
      throw new RangeError(
        `Cannot run the notebook's experiments: experiment must be one of ${
          all.map((x) => x.id).join(", ")
        }, received "${id}"`,
      );
    }
    return e;
  });
  const log = options.log ?? ((line: string) => console.log(line));
  const execute = options.execute ?? defaultNotebookExecutor();
  const specs = [...chosen.flatMap((e) => e.runs), ...(options.extraRuns ?? [])];
  const { todo, done } = await planGrid(specs, options.backend, options.dir);
  // Shortest runs first: the live figure starts moving early.
  todo.reverse();
  const display = {
    ...(options.target === undefined ? {} : { target: options.target }),
    ...(options.settleMs === undefined ? {} : { settleMs: options.settleMs }),
  };
  const what = chosen.map((e) => e.id).join(" + ") || "no experiment";
  log(
    `${what} (preset ${options.preset}, backend ${options.backend}): ${
      done.length + todo.length
    } run(s), ${done.length} stored in ${options.dir}, ${todo.length} to train`,
  );

  const ran: StoredRun[] = [];
  if (specs.length > 0 && todo.length === 0) {
    const stored = await readStoredRuns(options.dir);
    const mine = stored.filter((r) => done.some((d) => d.hash === r.specHash));
    const last = mine.at(-1);
    if (last !== undefined) {
      const { loss, dev } = storedCurves(last);
      await displayFigure(
        curveFigure(
          `All ${done.length} run(s) were stored: curves of ${
            runLabel(last.spec)
          }, from its record`,
          loss,
          dev,
        ),
        display,
      );
    }
  } else if (todo.length > 0) {
    const live = await liveFigure(
      curveFigure(`Starting ${todo.length} run(s)…`, { x: [], y: [] }, { x: [], y: [] }),
      { ...display, minIntervalMs: options.minIntervalMs ?? 500 },
    );
    let index = 0;
    let started = 0;
    const outcome = await runGrid(todo, {
      dir: options.dir,
      backend: options.backend,
      jobs: 1,
      progress: false,
      executeInProcess: async (planned) => {
        index += 1;
        started = performance.now();
        const title = `Run ${index}/${todo.length}: ${runLabel(planned.spec)}`;
        await live.set(curveFigure(title, { x: [], y: [] }, { x: [], y: [] }));
        let metricName: string | undefined;
        const stored = await execute(planned.spec, {
          dir: options.dir,
          backend: options.backend,
          progress: false,
          onStep: async (e: StepEvent) => {
            if (Number.isFinite(e.taskLoss)) await live.push("train loss", e.step, e.taskLoss);
          },
          onEval: async (e: EvalEvent) => {
            metricName ??= Object.keys(e.metrics)[0];
            const v = mainMetric(e.metrics, metricName);
            if (v !== undefined) await live.push("dev score", e.step, v);
          },
        });
        ran.push(stored);
        await live.flush();
      },
      onRunEnd: (planned, error) => {
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        log(
          `  ${error === undefined ? "done" : "FAILED"} ${index}/${todo.length}: ${
            runLabel(planned.spec)
          } (${seconds} s)${error === undefined ? "" : `\n${error}`}`,
        );
      },
    });
    if (outcome.failed.length > 0) {
      const first = outcome.failed[0]!;
      throw new Error(
        `Cannot finish the notebook's runs: ${outcome.failed.length} of ${todo.length} failed, ` +
          `first ${runLabel(first.spec)}: ${first.error.split("\n")[0]}`,
      );
    }
  }

  const runs = await readStoredRuns(options.dir);
  const equivalence = await readEquivalence(options.dir);
  const framework = all.find((e) => e.id === "framework");
  const tasks = [...new Set((framework?.runs ?? []).map((r) => r.task))];
  return {
    input: {
      preset: options.preset,
      experiments: all,
      runs,
      ...(equivalence === undefined ? {} : { equivalence }),
    },
    tasks,
    planned: done.length + todo.length,
    cached: done.length,
    ran,
  };
}

/**
 * Reads `equivalence.json` of a results folder (claims 2-3, written by `deno task repro` or by
 * the DropKey/DropAttention notebook).
 *
 * @param dir The preset's results folder.
 * @returns The measurements, or undefined when the file does not exist.
 * @example
 * ```ts
 * import { readEquivalence } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(await readEquivalence("/nonexistent-folder"), undefined);
 * ```
 */
export async function readEquivalence(dir: string): Promise<EquivalenceResult | undefined> {
  const path = `${dir}/equivalence.json`;
  const parsed = await readJsonFile(path) as Partial<EquivalenceResult> | undefined;
  if (parsed === undefined) return undefined;
  if (typeof parsed.forwardMaxDiff !== "number" || typeof parsed.kMax !== "number") {
    throw new Error(
      `Cannot read ${path}: expected the measurements of measureEquivalence, received keys ${
        Object.keys(parsed).join(", ")
      }`,
    );
  }
  return parsed as EquivalenceResult;
}

/**
 * Stores the measurements of `measureEquivalence` as `equivalence.json` in a results folder
 * (atomically, creating the folder), where `readEquivalence` and the report find them.
 *
 * @param dir The results folder (e.g. `results/quick`).
 * @param result The measurements.
 * @returns The path written.
 * @example
 * ```ts
 * import { readEquivalence, writeEquivalence } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * await writeEquivalence(dir, {
 *   forwardMaxDiff: 0,
 *   inverseKeepMaxDiff: 0.5,
 *   kMaxRelError: 1e-6,
 *   kMax: 0.99,
 *   droppedGradMax: 0.1,
 *   noNoGradMaxDiff: 0,
 *   rows: 4,
 *   kCurve: { droppedLogit: [0], k: [0.99] },
 * });
 * assertEquals((await readEquivalence(dir))?.kMax, 0.99);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeEquivalence(dir: string, result: EquivalenceResult): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/equivalence.json`;
  await writeFileAtomic(path, JSON.stringify(result));
  return path;
}

/**
 * The verdicts of some of the paper's claims, decided by the same rules as the report.
 *
 * @param input The report input (stored runs, preset, equivalence measurements).
 * @param claims The claim numbers (`docs/claims.md`) a notebook covers.
 * @returns Their verdicts, in claim order.
 * @example
 * ```ts
 * import { claimVerdicts } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const input = { preset: "smoke" as const, experiments: reproExperiments("smoke"), runs: [] };
 * const v = claimVerdicts(input, [1, 16]);
 * assertEquals(v.map((c) => [c.claim, c.verdict]), [[1, "not testable here"], [16, "not testable here"]]);
 * ```
 */
export function claimVerdicts(input: ReportInput, claims: readonly number[]): ClaimVerdict[] {
  const all = evaluateClaims(input);
  for (const c of claims) {
    if (!all.some((v) => v.claim === c)) {
      throw new RangeError(
        `Cannot give claim verdicts: claim must be one of ${
          all.map((v) => v.claim).join(", ")
        }, received ${c}`,
      );
    }
  }
  return all.filter((v) => claims.includes(v.claim));
}

/**
 * Shows report sections in a notebook: heading and text as markdown, then the figure and the
 * table (outside Jupyter, as text).
 *
 * @param sections The sections (e.g. from `overfitSections`).
 * @param options Display target and settle time.
 * @returns Nothing (a promise resolved once every display is out; no value, so a notebook cell
 *   ending with it shows no result).
 * @example
 * ```ts
 * import { displaySections } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const printed: string[] = [];
 * await displaySections([{ heading: "A", text: "b", table: { rows: [{ x: 1 }], columns: ["x"] } }], {
 *   target: { print: (t) => printed.push(t) },
 * });
 * assertEquals(printed, ["### A\n\nb", "x\n-\n1"]);
 * ```
 */
export async function displaySections(
  sections: readonly ReportSection[],
  options: { readonly target?: DisplayTarget; readonly settleMs?: number } = {},
): Promise<void> {
  for (const s of sections) {
    const parts = [
      ...(s.heading === undefined ? [] : [`### ${s.heading}`]),
      ...(s.text === undefined ? [] : [s.text]),
    ];
    if (parts.length > 0) {
      const markdown = parts.join("\n\n");
      await displayBundle({ "text/markdown": markdown, "text/plain": markdown }, options);
    }
    if (s.figure !== undefined) {
      await displayFigure(s.figure, options);
    }
    if (s.table !== undefined) await displayTable(s.table.rows, s.table.columns, options);
  }
}
