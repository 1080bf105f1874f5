/**
 * The browser check (`deno task browser-check`, after `deno task notebooks`): opens what users
 * open in headless Chromium (Debian's, driven by playwright from `.cache/jupyter-venv`) and counts
 * the figures that were really drawn (`.js-plotly-plot .main-svg`):
 *
 * 1. every executed notebook in a stock JupyterLab (no Plotly extension), against its number of
 *    Plotly outputs;
 * 2. one notebook (default `00_getting_started`) run in the page: its live figure must gain points
 *    while the cell runs; then it is saved, reopened, and every figure must draw again;
 * 3. every executed notebook's plain `jupyter nbconvert --to html` export, and the smoke preset's
 *    report, offline: any request that is not a local file is blocked and recorded (an export
 *    may only ask for its template's own `<script src>`: require.js and MathJax; the report for
 *    nothing), and formulas must show as MathML, never as raw TeX.
 *
 * A figure's text fallback or a "plotly.js is not loaded" note left on a page fails the check.
 * Screenshots and the raw result go to the output folder.
 *
 * ```sh
 * deno task browser-check [--executed results/notebooks] [--out results/browser]
 *                         [--report FILE | --preset smoke] [--live NAME.ipynb] [--no-install]
 * ```
 *
 * @module
 */
import { writeReproReport } from "../lib/repro/report/write_report.ts";
import { ensureChromium, ensureJupyter, type JupyterTools } from "./_jupyter_setup.ts";
import { PLOTLY_MIME } from "./_notebook_check.ts";
import { run, tail } from "./_run.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** Options of {@linkcode browserCheck}. */
export interface BrowserCheckOptions {
  /** The executed notebooks (default `results/notebooks`). */
  readonly executedDir?: string;
  /** Screenshots, exports and the raw result (default `results/browser`). */
  readonly outDir?: string;
  /** A report to check (default: the smoke preset's, rewritten from its stored runs). */
  readonly report?: string;
  /** The notebook of `notebooks/` to run live (default `00_getting_started.ipynb`). */
  readonly live?: string;
  /** The live figure's title (a part of it). */
  readonly liveTitle?: string;
  /** Install missing tools (default true). */
  readonly install?: boolean;
  /** Progress lines (default `console.log`). */
  readonly log?: (line: string) => void;
}

/** The outcome of {@linkcode browserCheck}. */
export interface BrowserCheckReport {
  /** One line per check that passed. */
  readonly passed: readonly string[];
  /** One line per check that failed, saying why. */
  readonly failed: readonly string[];
}

interface PageState {
  readonly name: string;
  readonly expectedPlots: number;
  readonly drawn: number;
  readonly fallbacks: readonly string[];
  readonly notLoaded: boolean;
  readonly math: number;
  readonly rawTex: number;
  readonly errors?: readonly string[];
  readonly blocked?: readonly string[];
  readonly allowedBlocked?: readonly string[];
  readonly expectMath?: boolean;
  readonly screenshot?: string;
}

interface LiveResult {
  readonly samples: readonly { t: number; points: number; busy: boolean }[];
  readonly finished: boolean;
  readonly finalPoints: number;
  readonly errors: readonly string[];
  readonly saved?: boolean;
  readonly reopen?: PageState;
}

interface CheckResult {
  readonly pages: readonly PageState[];
  readonly lab?: readonly PageState[];
  readonly live?: LiveResult;
  readonly labBlocked?: readonly string[];
}

function plotlyOutputs(notebook: { cells?: { outputs?: { data?: object }[] }[] }): number {
  return (notebook.cells ?? []).flatMap((c) => c.outputs ?? [])
    .filter((o) => o.data !== undefined && PLOTLY_MIME in o.data).length;
}

function name(path: string): string {
  return path.split("/").at(-1)!.replace(/\.(ipynb|html)$/, "");
}

/** Judges one page's state: the reasons it fails (empty: it passed). */
function pageProblems(p: PageState): string[] {
  const problems: string[] = [];
  if (p.drawn !== p.expectedPlots) problems.push(`${p.drawn} of ${p.expectedPlots} figures drawn`);
  if (p.fallbacks.length > 0) {
    problems.push(`${p.fallbacks.length} figure fallback(s) shown, e.g. "${p.fallbacks[0]}"`);
  }
  if (p.notLoaded) problems.push('a "plotly.js is not loaded" note is on the page');
  if (p.rawTex > 0) problems.push(`${p.rawTex} pieces of raw TeX are visible`);
  if (p.expectMath && p.math === 0) problems.push("no formula was rendered as MathML");
  const unexpected = (p.blocked ?? []).filter((u) => !(p.allowedBlocked ?? []).includes(u));
  if (unexpected.length > 0) problems.push(`requests left the page: ${unexpected.join(", ")}`);
  if ((p.errors ?? []).length > 0) problems.push(`page errors: ${p.errors!.join("; ")}`);
  return problems;
}

/** The `<script src>` URLs of an exported page's template (outside any cell output). */
function templateScripts(html: string): string[] {
  const head = html.slice(0, html.indexOf("<body"));
  return [...head.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) =>
    m[1]!.replaceAll("&amp;", "&")
  );
}

async function exportHtml(tools: JupyterTools, notebook: string, outDir: string): Promise<string> {
  const res = await run(
    [tools.jupyter, "nbconvert", "--to", "html", "--output-dir", outDir, notebook],
    { env: tools.env, timeoutMs: 5 * 60_000 },
  );
  const html = `${outDir}/${name(notebook)}.html`;
  if (res.code !== 0) throw new Error(`Cannot export ${notebook} to HTML:\n${tail(res.stderr)}`);
  return html;
}

/**
 * Runs the whole browser check.
 *
 * @param options Folders, report, live notebook, install choice.
 * @returns The lines of the checks that passed and failed.
 */
export async function browserCheck(options: BrowserCheckOptions = {}): Promise<BrowserCheckReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const install = options.install ?? true;
  const executedDir = await Deno.realPath(options.executedDir ?? `${ROOT}/results/notebooks`);
  const outArg = options.outDir ?? `${ROOT}/results/browser`;
  await Deno.remove(outArg, { recursive: true }).catch(() => {});
  for (const sub of ["lab", "nbconvert", "live"]) {
    await Deno.mkdir(`${outArg}/${sub}`, { recursive: true });
  }
  const outDir = await Deno.realPath(outArg);
  const tools = await ensureJupyter(install, log);
  const chromium = await ensureChromium(install, log);

  const executed = [...Deno.readDirSync(executedDir)]
    .filter((e) => e.isFile && e.name.endsWith(".ipynb")).map((e) => e.name).sort();
  if (executed.length === 0) {
    throw new Error(
      `Cannot run the browser check: ${executedDir} holds no executed notebooks (run "deno task notebooks" first)`,
    );
  }
  const pages: Record<string, unknown>[] = [];
  const labNotebooks: Record<string, unknown>[] = [];
  for (const file of executed) {
    const text = await Deno.readTextFile(`${executedDir}/${file}`);
    const expectedPlots = plotlyOutputs(JSON.parse(text));
    // In JupyterLab, MathJax typesets the TeX: raw TeX left on the page still fails the check.
    const nb = JSON.parse(text) as { cells: { cell_type: string; source: string | string[] }[] };
    // A formula: a "$" in a markdown cell outside code (fenced blocks and code spans).
    const expectMath = nb.cells.some((c) =>
      c.cell_type === "markdown" &&
      [c.source].flat().join("").replace(/```[\s\S]*?```/g, "").replace(/`[^`]*`/g, "")
        .includes("$")
    );
    // The signature is over the content, so the copy stays trusted.
    await Deno.writeTextFile(`${outDir}/lab/${file}`, text);
    labNotebooks.push({ name: name(file), path: `lab/${file}`, expectedPlots });
    const html = await exportHtml(tools, `${executedDir}/${file}`, `${outDir}/nbconvert`);
    pages.push({
      name: `nbconvert-${name(file)}`,
      file: html,
      expectedPlots,
      expectMath,
      allowedBlocked: templateScripts(await Deno.readTextFile(html)),
    });
  }
  let report = options.report;
  if (report === undefined) {
    const dir = `${ROOT}/results/smoke`;
    log(`writing the smoke preset's report from ${dir}`);
    report = (await writeReproReport(dir, "smoke")).find((p) => p.endsWith("/report.html"))!;
  }
  const reportHtml = await Deno.readTextFile(report);
  pages.push({
    name: "report",
    file: await Deno.realPath(report),
    expectedPlots: (reportHtml.match(/class="loradrop-plot"/g) ?? []).length,
    expectMath: reportHtml.includes("<math"),
    allowedBlocked: [],
  });

  const liveName = options.live ?? "00_getting_started.ipynb";
  const liveSource = await Deno.readTextFile(`${ROOT}/notebooks/${liveName}`);
  // The copy imports the library by absolute URL, so it runs from another folder.
  const liveFile = `${outDir}/live/${liveName}`;
  await Deno.writeTextFile(
    liveFile,
    liveSource.replaceAll(
      '\\"../mod.ts\\"',
      JSON.stringify(JSON.stringify(`file://${ROOT}/mod.ts`)).slice(1, -1),
    )
      .replaceAll(
        '\\"../results\\"',
        JSON.stringify(JSON.stringify(`${ROOT}/results`)).slice(1, -1),
      ),
  );
  const plan = {
    outDir: await Deno.realPath(outDir),
    chromium,
    pages,
    lab: {
      jupyter: tools.jupyter,
      root: await Deno.realPath(outDir),
      logDir: await Deno.realPath(outDir),
      env: { ...tools.env, LORADROP_PRESET: "smoke", NO_COLOR: "1" },
      notebooks: labNotebooks,
      live: {
        name: `live-${name(liveName)}`,
        path: `live/${liveName}`,
        file: await Deno.realPath(liveFile),
        title: options.liveTitle ?? "Running mean",
        timeoutSeconds: 600,
        reopen: true,
      },
    },
  };
  await Deno.writeTextFile(`${outDir}/plan.json`, JSON.stringify(plan, null, 1));
  log(
    `browser check: ${executed.length} notebooks in JupyterLab and as nbconvert HTML, the report, ${liveName} live`,
  );
  const res = await run(
    [
      tools.python,
      `${ROOT}/tools/_browser_check.py`,
      `${outDir}/plan.json`,
      `${outDir}/result.json`,
    ],
    { env: tools.env, timeoutMs: 20 * 60_000 },
  );
  if (res.code !== 0) {
    throw new Error(`Cannot run the browser check (exit ${res.code}):\n${tail(res.stderr, 30)}`);
  }
  const result = JSON.parse(await Deno.readTextFile(`${outDir}/result.json`)) as CheckResult;
  const passed: string[] = [];
  const failed: string[] = [];
  const judge = (label: string, problems: string[], detail: string) =>
    (problems.length === 0 ? passed : failed).push(
      `${label}: ${problems.length === 0 ? detail : problems.join("; ")}`,
    );
  for (const p of result.lab ?? []) {
    judge(`JupyterLab ${p.name}`, pageProblems(p), `${p.drawn}/${p.expectedPlots} figures drawn`);
  }
  if ((result.labBlocked ?? []).length > 0) {
    failed.push(`JupyterLab: requests left the machine: ${result.labBlocked!.join(", ")}`);
  }
  for (const p of result.pages) {
    judge(
      p.name,
      pageProblems(p),
      `${p.drawn}/${p.expectedPlots} figures drawn offline, ${p.math} formulas`,
    );
  }
  const live = result.live;
  if (live === undefined) {
    failed.push("live run: did not run");
  } else {
    const during = live.samples.filter((s) => s.busy && s.points > 0 && s.points < live.finalPoints)
      .map((s) => s.points);
    const distinct = new Set(during).size;
    const problems: string[] = [];
    if (!live.finished) problems.push("the notebook did not finish");
    if (distinct < 2) {
      problems.push(
        `the live figure showed ${distinct} intermediate point counts while running (final ${live.finalPoints})`,
      );
    }
    if (live.errors.length > 0) problems.push(`page errors: ${live.errors.join("; ")}`);
    judge(
      "live run",
      problems,
      `the live figure grew through ${distinct} intermediate point counts to ${live.finalPoints}`,
    );
    if (live.reopen === undefined) {
      failed.push("reopened after the run: not reached");
    } else {
      const reopenProblems = pageProblems({ ...live.reopen, name: "reopen" });
      if (!live.saved) reopenProblems.push("the notebook was not saved");
      judge(
        "reopened after the run",
        reopenProblems,
        `${live.reopen.drawn}/${live.reopen.expectedPlots} figures drawn`,
      );
    }
  }
  for (const line of passed) log(`  ok     ${line}`);
  for (const line of failed) log(`  FAILED ${line}`);
  log(`browser check: ${passed.length} passed, ${failed.length} failed (screenshots in ${outDir})`);
  return { passed, failed };
}

function parseArgs(args: readonly string[]): BrowserCheckOptions {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new TypeError(`Cannot parse arguments: ${a} needs a value`);
      return v;
    };
    if (a === "--executed") out.executedDir = value();
    else if (a === "--out") out.outDir = value();
    else if (a === "--report") out.report = value();
    else if (a === "--live") out.live = value();
    else if (a === "--no-install") out.install = false;
    else throw new TypeError(`Cannot parse arguments: unknown argument ${a}`);
  }
  return out as BrowserCheckOptions;
}

if (import.meta.main) {
  let options: BrowserCheckOptions;
  try {
    options = parseArgs(Deno.args);
  } catch (error) {
    console.error(`browser-check: ${(error as Error).message}`);
    Deno.exit(2);
  }
  try {
    const report = await browserCheck(options);
    Deno.exit(report.failed.length === 0 ? 0 : 1);
  } catch (error) {
    console.error(`browser-check: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
