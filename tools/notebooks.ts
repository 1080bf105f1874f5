/**
 * The notebook pipeline (`deno task notebooks`): installs JupyterLab's venv and the Deno
 * kernelspec into `.cache/` when missing (see `deno task setup:jupyter`); executes every
 * `notebooks/*.ipynb` headless with `LORADROP_PRESET=smoke` into an output folder (the sources
 * are never overwritten); fails on error outputs and on plot cells without their Plotly output
 * (re-executing once, since the Deno kernel can drop outputs); signs the executed copies with
 * `jupyter trust` (they were executed by this user, so JupyterLab runs their figure scripts when
 * they are opened). `deno task browser-check` then opens them in a browser.
 *
 * Plot cells are code cells tagged `plot` (cell metadata `tags: ["plot"]`) or whose first line is
 * `// @plot`.
 *
 * ```sh
 * deno task notebooks [--preset smoke] [--out results/notebooks] [--no-install] [NOTEBOOK.ipynb ...]
 * ```
 *
 * @module
 */
import { ensureJupyter, type JupyterTools } from "./_jupyter_setup.ts";
import { checkNotebook, type NotebookCheck } from "./_notebook_check.ts";
import { run, tail } from "./_run.ts";
import {
  choiceFlag,
  defineCommand,
  type ParsedCommandLine,
  runCommand,
  UsageError,
} from "../cli/_args.ts";
import { REPRO_PRESETS } from "../lib/repro/plan/run_spec.ts";
import { emitJson, say } from "../cli/_output.ts";

/** Options of {@linkcode runNotebookPipeline}. */
export interface PipelineOptions {
  /** The notebooks to run (default: `notebooks/*.ipynb` of the repository, sorted). */
  readonly notebooks?: readonly string[];
  /** Where executed notebooks, HTML and screenshots go (default `results/notebooks`). */
  readonly outDir?: string;
  /** The `LORADROP_PRESET` for the run (default `smoke`). */
  readonly preset?: string;
  /** Install missing tools into `.cache/` (default true). */
  readonly install?: boolean;
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
  tools: JupyterTools,
  source: string,
  outDir: string,
  preset: string,
  cellTimeoutSeconds: number,
): Promise<{ executed: string; failure?: string }> {
  const name = source.split("/").at(-1)!.replace(/\.ipynb$/, "");
  const executed = `${outDir}/${name}.ipynb`;
  await Deno.remove(executed).catch(() => {});
  const res = await run([
    tools.jupyter,
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
  ], {
    env: { ...tools.env, LORADROP_PRESET: preset, NO_COLOR: "1" },
    timeoutMs: 60 * 60_000,
  });
  const made = await Deno.stat(executed).then(() => true, () => false);
  if (res.code !== 0 || !made) {
    return { executed, failure: `execution failed (exit ${res.code}):\n${tail(res.stderr)}` };
  }
  const trust = await run([tools.jupyter, "trust", executed], { env: tools.env });
  if (trust.code !== 0) {
    return {
      executed,
      failure: `jupyter trust failed (exit ${trust.code}):\n${tail(trust.stderr)}`,
    };
  }
  return { executed };
}

async function runOne(
  tools: JupyterTools,
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
    const res = await execute(tools, source, outDir, preset, cellTimeoutSeconds);
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
 * @param options Notebooks, output folder, preset, install choice.
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
  const tools = await ensureJupyter(install, log);

  const results: NotebookResult[] = [];
  for (const nb of notebooks) {
    const r = await runOne(tools, nb, outDir, preset, cellTimeoutSeconds, log);
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

  const failed = results.filter((r) => r.failures.length > 0).length;
  const ok = failed === 0;
  log(`notebooks: ${results.length - failed} passed, ${failed} failed`);
  return { results, ok };
}

/** The command line of `deno task notebooks`. */
export const NOTEBOOKS_COMMAND = defineCommand({
  command: "deno task notebooks",
  usage: `Usage: deno task notebooks [NOTEBOOK.ipynb ...] [--out DIR] [--preset ${
    REPRO_PRESETS.join("|")
  }]
       [--no-install]
  Executes the notebooks headless (default: notebooks/*.ipynb), checks that every plot cell kept
  its output, and signs the executed copies (deno task browser-check then opens them).
  --out DIR       executed notebooks (default results/notebooks)
  --preset P      the results the notebooks read (default smoke)
  --no-install    do not install missing tools (deno task setup:jupyter) into .cache/`,
  positionals: true,
  flags: {
    out: "string",
    preset: "string",
    "no-install": "boolean",
  },
});

function pipelineOptions(
  values: ParsedCommandLine<typeof NOTEBOOKS_COMMAND.flags>["values"],
  notebooks: readonly string[],
): PipelineOptions {
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
  };
}

if (import.meta.main) {
  Deno.exit(
    await runCommand(NOTEBOOKS_COMMAND, Deno.args, async ({ values, positionals }) => {
      // Progress on stderr; the report (notebooks, executed copies) as JSON on stdout.
      const report = await runNotebookPipeline({
        ...pipelineOptions(values, positionals),
        log: say,
      });
      emitJson(report);
      return report.ok ? 0 : 1;
    }),
  );
}
