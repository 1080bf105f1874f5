import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { code, md, notebookJson } from "../tools/_nbformat.ts";
import { checkNotebook, isPlotCell, PLOTLY_MIME } from "../tools/_notebook_check.ts";
import { ensureChromium, ensureJupyter } from "../tools/_jupyter_setup.ts";
import { run } from "../tools/_run.ts";
import { barFigure, lineFigure, writeReportHtml } from "../lib/viz/mod.ts";
import { runNotebookPipeline } from "../tools/notebooks.ts";
import { tempDirTest } from "./_temp_dir.ts";

function executedCell(
  outputs: unknown[],
  options: { plot?: boolean; source?: string; count?: number | null } = {},
) {
  return {
    cell_type: "code",
    metadata: options.plot ? { tags: ["plot"] } : {},
    source: options.source ?? "x;",
    outputs,
    execution_count: options.count === undefined ? 1 : options.count,
  };
}
const plotOutput = {
  output_type: "display_data",
  data: { [PLOTLY_MIME]: { data: [], layout: {} }, "text/plain": "fig" },
  metadata: {},
};

Deno.test("checkNotebook passes executed notebooks whose plot cells kept their Plotly output", () => {
  const nb = {
    nbformat: 4,
    cells: [
      { cell_type: "markdown", source: "# t", metadata: {} },
      executedCell([plotOutput], { plot: true }),
      executedCell([plotOutput], { source: "// @plot\nshow();" }),
      executedCell([]),
    ],
  };
  assertEquals(checkNotebook(nb), { codeCells: 3, plotCells: 2, problems: [] });
});

Deno.test("checkNotebook reports error outputs, dropped plot outputs and cells that did not run", () => {
  const nb = {
    nbformat: 4,
    cells: [
      executedCell([{
        output_type: "error",
        ename: "TypeError",
        evalue: "bad rate\nmore",
        traceback: [],
      }]),
      executedCell([{ output_type: "stream", name: "stdout", text: "no figure" }], { plot: true }),
      executedCell([], { count: null, source: "never ran" }),
    ],
  };
  const check = checkNotebook(nb);
  assertEquals(check.problems.map((p) => [p.cell, p.kind]), [
    [0, "error"],
    [1, "missing-plot"],
    [2, "not-executed"],
  ]);
  assertStringIncludes(check.problems[0]!.message, "TypeError: bad rate");
  assertThrows(() => checkNotebook({ nbformat: 3, worksheets: [] }), TypeError, "nbformat 4");
});

Deno.test("isPlotCell accepts the plot tag or a first line // @plot, only on code cells", () => {
  assert(isPlotCell({ cell_type: "code", metadata: { tags: ["plot"] }, source: "" }));
  assert(isPlotCell({ cell_type: "code", metadata: {}, source: ["// @plot\n", "f()"] }));
  assertEquals(isPlotCell({ cell_type: "code", metadata: {}, source: "f() // @plot" }), false);
  assertEquals(
    isPlotCell({ cell_type: "markdown", metadata: { tags: ["plot"] }, source: "" }),
    false,
  );
});

// ---- The pipeline itself, on small generated notebooks. It needs the venv, the kernelspec and
// chromium that `deno task setup:jupyter` installs (.ci/run does so first); tests install nothing.

const setupError = await Promise.all([
  ensureJupyter(false, () => {}),
  ensureChromium(false, () => {}),
])
  .then(() => undefined, (error: Error) => error.message);
if (setupError !== undefined) {
  console.warn(
    `SKIPPING the notebook pipeline test: Jupyter cannot be installed here (${setupError})`,
  );
}

const VIZ = new URL("../lib/viz/mod.ts", import.meta.url).href;

Deno.test({
  name:
    "runNotebookPipeline executes, checks, retries dropped outputs once, and signs what it executed",
  ignore: setupError !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const src = await Deno.makeTempDir({ prefix: "loradrop-nb-src-" });
    const out = await Deno.makeTempDir({ prefix: "loradrop-nb-out-" });
    try {
      const good = notebookJson([
        md("# A figure"),
        code(
          `import { displayFigure, lineFigure } from "${VIZ}";\nconsole.log(Deno.env.get("LORADROP_PRESET"));`,
        ),
        code(
          `await displayFigure(lineFigure([{ name: "a", y: [1, 3, 2, 4] }, { name: "b", y: [2, 1, 3, 2] }], { title: "Two lines" }));`,
          { plot: true },
        ),
      ]);
      const failing = notebookJson([
        code(`throw new RangeError("a deliberate failure");`),
        code(`console.log("after the error");`),
      ]);
      // A plot cell that never displays a figure: what a dropped output looks like afterwards.
      const dropped = notebookJson([code(`console.log("no figure here");`, { plot: true })]);
      await Deno.writeTextFile(`${src}/good.ipynb`, good);
      await Deno.writeTextFile(`${src}/failing.ipynb`, failing);
      await Deno.writeTextFile(`${src}/dropped.ipynb`, dropped);
      const lines: string[] = [];
      const report = await runNotebookPipeline({
        notebooks: [`${src}/good.ipynb`, `${src}/failing.ipynb`, `${src}/dropped.ipynb`],
        outDir: out,
        install: false,
        log: (line) => void lines.push(line),
      });
      const summary = lines.join("\n");
      assertEquals(report.ok, false, summary);
      const [g, f, d] = report.results;
      assertEquals(g!.failures, [], summary);
      assertEquals(g!.check?.plotCells, 1);
      assertEquals(g!.attempts, 1);
      // The preset reached the kernel.
      const executed = JSON.parse(await Deno.readTextFile(g!.executed));
      assertStringIncludes(JSON.stringify(executed.cells[1].outputs), "smoke");
      assertEquals(f!.attempts, 1); // a real error is not retried
      assertStringIncludes(f!.failures.join("\n"), "RangeError: a deliberate failure");
      assertEquals(d!.attempts, 2); // a missing plot output is re-executed once
      assertStringIncludes(d!.failures.join("\n"), "has no application/vnd.plotly.v1+json output");
      assertStringIncludes(summary, "notebooks: 1 passed, 2 failed");
      // The sources are untouched.
      assertEquals(await Deno.readTextFile(`${src}/good.ipynb`), good);
      // The figure cell holds the plotly.js loader before the figure.
      const outputs = executed.cells[2].outputs as { data: Record<string, unknown> }[];
      assertStringIncludes(JSON.stringify(outputs[0]!.data["text/html"]), "loradrop-plotly-js");
      assert(PLOTLY_MIME in outputs[1]!.data);
      // The executed copy is signed: JupyterLab runs its figure scripts when it is opened.
      const tools = await ensureJupyter(false, () => {});
      const again = await run([tools.jupyter, "trust", g!.executed], { env: tools.env });
      assertStringIncludes(again.stdout + again.stderr, "already signed");
    } finally {
      await Deno.remove(src, { recursive: true });
      await Deno.remove(out, { recursive: true });
    }
  },
});

tempDirTest(
  "runNotebookPipeline refuses to write executed notebooks over their sources",
  "loradrop-nb-same-",
  async (dir) => {
    await Deno.writeTextFile(`${dir}/a.ipynb`, notebookJson([code("1")]));
    await assertRejects(
      () => runNotebookPipeline({ notebooks: [`${dir}/a.ipynb`], outDir: dir, log: () => {} }),
      Error,
      "would be overwritten",
    );
  },
);

tempDirTest(
  "the browser check's page mode counts figures drawn offline and their fallbacks",
  "loradrop-browser-",
  async (dir) => {
    const tools = await ensureJupyter(false, () => {});
    const chromium = await ensureChromium(false, () => {});
    const sections = [
      {
        heading: "Curves",
        text: "With $p = 0.1$.",
        figure: lineFigure([{ name: "a", y: [1, 3, 2, 5] }]),
      },
      { figure: barFigure(["x", "y"], [{ name: "b", values: [2, 3], errors: [0.2, 0.4] }]) },
    ];
    await writeReportHtml(`${dir}/report.html`, sections, { title: "Report" });
    // A control whose "plotly.js" defines nothing: no figure may count as drawn.
    await writeReportHtml(`${dir}/control.html`, sections, {
      title: "Report",
      plotlyJs: "/* no plotly.js */",
    });
    const page = (name: string) => ({ name, file: `${dir}/${name}.html`, expectedPlots: 2 });
    await Deno.writeTextFile(
      `${dir}/plan.json`,
      JSON.stringify({ outDir: dir, chromium, pages: [page("report"), page("control")] }),
    );
    const script = new URL("../tools/_browser_check.py", import.meta.url).pathname;
    const res = await run([tools.python, script, `${dir}/plan.json`, `${dir}/result.json`], {
      env: tools.env,
      timeoutMs: 5 * 60_000,
    });
    assertEquals(res.code, 0, res.stderr);
    const [report, control] = JSON.parse(await Deno.readTextFile(`${dir}/result.json`)).pages;
    assertEquals([report.drawn, report.fallbacks, report.blocked, report.rawTex], [2, [], [], 0]);
    assert(report.math >= 1, JSON.stringify(report));
    assertEquals(control.drawn, 0);
    assertEquals(control.fallbacks.length, 2);
    assert(control.notLoaded, JSON.stringify(control));
  },
  { ignore: setupError !== undefined },
);
