/**
 * The notebook pipeline (`deno task notebooks`): installs Debian's Jupyter packages, the Deno
 * kernel and chromium when missing; executes every `notebooks/*.ipynb` headless with
 * `LORADROP_PRESET=smoke` into an output folder (the sources are never overwritten); fails on
 * error outputs and on plot cells without their Plotly output (re-executing once, since the Deno
 * kernel can drop outputs); exports one executed notebook to offline HTML with plotly.js
 * injected, renders it with headless chromium and checks from the pixels that plots were drawn.
 *
 * Plot cells are code cells tagged `plot` (cell metadata `tags: ["plot"]`) or whose first line is
 * `// @plot`.
 *
 * ```sh
 * deno task notebooks [--preset smoke] [--out results/notebooks] [--no-install] [--no-render]
 *                     [--render NAME.ipynb] [NOTEBOOK.ipynb ...]
 * ```
 *
 * @module
 */
import { ensureChromium, ensureJupyter } from "./_jupyter_setup.ts";
import { checkNotebook, type NotebookCheck } from "./_notebook_check.ts";
import { renderCheck, type RenderResult } from "./_render_check.ts";
import { run, tail } from "./_run.ts";
import {
  choiceFlag,
  defineCommand,
  type ParsedCommandLine,
  runCommand,
  UsageError,
} from "../cli/_args.ts";
import { REPRO_PRESETS } from "../lib/repro/experiments.ts";
import { emitJson, say } from "../cli/_output.ts";

/** Options of {@linkcode runNotebookPipeline}. */
export interface PipelineOptions {
  /** The notebooks to run (default: `notebooks/*.ipynb` of the repository, sorted). */
  readonly notebooks?: readonly string[];
  /** Where executed notebooks, HTML and screenshots go (default `results/notebooks`). */
  readonly outDir?: string;
  /** The `LORADROP_PRESET` for the run (default `smoke`). */
  readonly preset?: string;
  /** Install missing tools with apt-get / `deno jupyter --install` (default true). */
  readonly install?: boolean;
  /** The notebook to render (file name), `false` to skip rendering (default: the first that passed with plots). */
  readonly render?: string | false;
  /** Seconds a single cell may run (default 900). */
  readonly cellTimeoutSeconds?: number;
  /** Progress and summary lines (default `console.log`). */
  readonly log?: (line: string) => void;
}

/** The outcome for one notebook. */
export interface NotebookResult {
  /** The source notebook. */
  readonly source: string;
  /** The executed copy. */
  readonly executed: string;
  /** How many executions it took (2 after a dropped output). */
  readonly attempts: number;
  /** Wall-clock seconds of all attempts. */
  readonly seconds: number;
  /** The check of the last attempt (undefined when execution itself failed). */
  readonly check?: NotebookCheck;
  /** Why it failed (empty when it passed). */
  readonly failures: readonly string[];
}

/** The outcome of {@linkcode runNotebookPipeline}. */
export interface PipelineReport {
  /** One result per notebook. */
  readonly results: readonly NotebookResult[];
  /** The render check, when one ran. */
  readonly render?: RenderResult;
  /** Why the render check failed, if it did. */
  readonly renderFailure?: string;
  /** Whether everything passed. */
  readonly ok: boolean;
}

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

async function defaultNotebooks(): Promise<string[]> {
  const dir = `${ROOT}/notebooks`;
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(".ipynb") && !e.name.startsWith(".")) names.push(e.name);
  }
  return names.sort().map((n) => `${dir}/${n}`);
}

async function execute(
  source: string,
  outDir: string,
  preset: string,
  cellTimeoutSeconds: number,
): Promise<{ executed: string; failure?: string }> {
  const name = source.split("/").at(-1)!.replace(/\.ipynb$/, "");
  const executed = `${outDir}/${name}.ipynb`;
  await Deno.remove(executed).catch(() => {});
  const res = await run([
    "jupyter",
    "nbconvert",
    "--to",
    "notebook",
    "--execute",
    "--allow-errors",
    "--ExecutePreprocessor.kernel_name=deno",
    `--ExecutePreprocessor.timeout=${cellTimeoutSeconds}`,
    "--output-dir",
    outDir,
    "--output",
    name,
    source,
  ], { env: { LORADROP_PRESET: preset, NO_COLOR: "1" }, timeoutMs: 60 * 60_000 });
  const made = await Deno.stat(executed).then(() => true, () => false);
  if (res.code !== 0 || !made) {
    return { executed, failure: `execution failed (exit ${res.code}):\n${tail(res.stderr)}` };
  }
  return { executed };
}

async function runOne(
  source: string,
  outDir: string,
  preset: string,
  cellTimeoutSeconds: number,
  log: (line: string) => void,
): Promise<NotebookResult> {
  const start = performance.now();
  let attempts = 0;
  let executed = "";
  let check: NotebookCheck | undefined;
  let failures: string[] = [];
  while (attempts < 2) {
    attempts += 1;
    const res = await execute(source, outDir, preset, cellTimeoutSeconds);
    executed = res.executed;
    if (res.failure !== undefined) {
      failures = [res.failure];
      check = undefined;
      break;
    }
    check = checkNotebook(JSON.parse(await Deno.readTextFile(executed)));
    failures = check.problems.map((p) => p.message);
    const onlyDropped = check.problems.length > 0 &&
      check.problems.every((p) => p.kind === "missing-plot");
    if (!onlyDropped) break;
    if (attempts < 2) log(`  ${failures.join("; ")}: re-executing once (dropped output?)`);
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    source,
    executed,
    attempts,
    seconds,
    ...(check === undefined ? {} : { check }),
    failures,
  };
}

/**
 * Runs the whole pipeline and prints a summary.
 *
 * @param options Notebooks, output folder, preset, install and render choices.
 * @returns What passed and failed.
 */
export async function runNotebookPipeline(options: PipelineOptions = {}): Promise<PipelineReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const install = options.install ?? true;
  const preset = options.preset ?? "smoke";
  const cellTimeoutSeconds = options.cellTimeoutSeconds ?? 900;
  const notebooks = [...(options.notebooks ?? await defaultNotebooks())].map((p) =>
    p.startsWith("/") ? p : `${Deno.cwd()}/${p}`
  );
  if (notebooks.length === 0) throw new Error("Cannot run notebooks: no .ipynb files were given");
  const outArg = options.outDir ?? `${ROOT}/results/notebooks`;
  await Deno.mkdir(outArg, { recursive: true });
  const outDir = await Deno.realPath(outArg);
  for (const nb of notebooks) {
    const dir = await Deno.realPath(nb.slice(0, nb.lastIndexOf("/")) || "/");
    if (dir === outDir) {
      throw new Error(
        `Cannot run notebooks: the output folder ${outDir} holds the source ${nb}, which would be overwritten`,
      );
    }
  }
  log(`notebooks: preset=${preset}, output in ${outDir}`);
  await ensureJupyter(install, log);

  const results: NotebookResult[] = [];
  for (const nb of notebooks) {
    const r = await runOne(nb, outDir, preset, cellTimeoutSeconds, log);
    results.push(r);
    const name = nb.split("/").at(-1);
    const counts = r.check === undefined
      ? ""
      : `${r.check.codeCells} code cells, ${r.check.plotCells} plot cells, `;
    log(
      `  ${r.failures.length === 0 ? "ok    " : "FAILED"} ${name} (${counts}${r.attempts} run${
        r.attempts > 1 ? "s" : ""
      }, ${r.seconds.toFixed(1)} s)`,
    );
    for (const f of r.failures) log(`         ${f.replaceAll("\n", "\n         ")}`);
  }

  let render: RenderResult | undefined;
  let renderFailure: string | undefined;
  if (options.render !== false) {
    const candidate = options.render === undefined
      ? results.find((r) => r.failures.length === 0 && (r.check?.plotCells ?? 0) > 0)
      : results.find((r) => r.source.endsWith(`/${options.render}`));
    if (candidate === undefined) {
      renderFailure = options.render === undefined
        ? "no notebook passed with a plot cell, so none could be rendered"
        : `the notebook to render, ${options.render}, was not run`;
    } else {
      try {
        const browser = await ensureChromium(install, log);
        render = await renderCheck(candidate.executed, { browser, outDir });
        log(
          `  render ${render.png}: ${render.plotPixels} series-coloured pixels with plotly.js, ` +
            `${render.controlPixels} without -> ${render.ok ? "plot drawn" : "NO PLOT DRAWN"}`,
        );
        if (!render.ok) renderFailure = `no plot was drawn in ${render.png}`;
      } catch (error) {
        renderFailure = (error as Error).message;
      }
    }
    if (renderFailure !== undefined) log(`  render FAILED: ${renderFailure}`);
  }

  const failed = results.filter((r) => r.failures.length > 0).length;
  const ok = failed === 0 && renderFailure === undefined;
  log(
    `notebooks: ${results.length - failed} passed, ${failed} failed` +
      (options.render === false
        ? ""
        : `; render check ${renderFailure === undefined ? "passed" : "failed"}`),
  );
  return {
    results,
    ...(render === undefined ? {} : { render }),
    ...(renderFailure === undefined ? {} : { renderFailure }),
    ok,
  };
}

/** The command line of `deno task notebooks`. */
export const NOTEBOOKS_COMMAND = defineCommand({
  command: "deno task notebooks",
  usage: `Usage: deno task notebooks [NOTEBOOK.ipynb ...] [--out DIR] [--preset ${
    REPRO_PRESETS.join("|")
  }]
       [--render NOTEBOOK.ipynb | --no-render] [--no-install]
  Executes the notebooks headless (default: notebooks/*.ipynb), checks that every plot cell kept
  its output, and renders one in headless Chromium.
  --out DIR       executed notebooks, HTML and screenshots (default results/notebooks)
  --preset P      the results the notebooks read (default smoke)
  --render NB     the notebook to render (default: the first that passed with plots)
  --no-render     skip the rendering check
  --no-install    do not install missing tools (Jupyter, Chromium) with apt-get`,
  positionals: true,
  flags: {
    out: "string",
    preset: "string",
    render: "string",
    "no-render": "boolean",
    "no-install": "boolean",
  },
});

function pipelineOptions(
  values: ParsedCommandLine<typeof NOTEBOOKS_COMMAND.flags>["values"],
  notebooks: readonly string[],
): PipelineOptions {
  if (values.render !== undefined && values["no-render"]) {
    throw new UsageError("give --render NOTEBOOK or --no-render, not both");
  }
  for (const nb of notebooks) {
    if (!nb.endsWith(".ipynb")) {
      throw new UsageError(`notebooks must be .ipynb files, received "${nb}"`);
    }
  }
  return {
    install: !values["no-install"],
    ...(notebooks.length > 0 ? { notebooks } : {}),
    ...(values.out === undefined ? {} : { outDir: values.out }),
    ...(values.preset === undefined
      ? {}
      : { preset: choiceFlag("preset", values.preset, REPRO_PRESETS) }),
    ...(values["no-render"] ? { render: false as const } : {}),
    ...(values.render === undefined ? {} : { render: values.render }),
  };
}

if (import.meta.main) {
  Deno.exit(
    await runCommand(NOTEBOOKS_COMMAND, Deno.args, async ({ values, positionals }) => {
      // Progress on stderr; the report (notebooks, executed copies, screenshots) as JSON on stdout.
      const report = await runNotebookPipeline({
        ...pipelineOptions(values, positionals),
        log: say,
      });
      emitJson(report);
      return report.ok ? 0 : 1;
    }),
  );
}
