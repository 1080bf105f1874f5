import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { encode } from "fast-png";
import { code, md, notebookJson } from "../tools/_nbformat.ts";
import { checkNotebook, isPlotCell, PLOTLY_MIME } from "../tools/_notebook_check.ts";
import { ensureJupyter } from "../tools/_jupyter_setup.ts";
import { countColoredPixels, screenshot } from "../tools/_render_check.ts";
import { ensureChromium } from "../tools/_jupyter_setup.ts";
import { barFigure, lineFigure, writeReportHtml } from "../lib/viz/mod.ts";
import { runNotebookPipeline } from "../tools/notebooks.ts";

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

Deno.test("countColoredPixels counts pixels near the series colours only", () => {
  const width = 10, height = 10;
  const data = new Uint8Array(width * height * 4).fill(255); // white, opaque
  const paint = (i: number, rgb: [number, number, number]) => data.set([...rgb, 255], i * 4);
  for (let i = 0; i < 7; i++) paint(i, [0x1f, 0x77, 0xb4]); // series 0
  paint(20, [0xff, 0x80, 0x10]); // close to series 1 (#ff7f0e)
  paint(30, [0, 0, 0]); // text black
  paint(31, [120, 120, 120]); // grey
  const png = encode({ width, height, data, channels: 4, depth: 8 });
  assertEquals(countColoredPixels(png), 8);
});

// ---- The pipeline itself, on small generated notebooks (needs jupyter + chromium; installs them).

const setupError = await ensureJupyter(true, (line) => console.log(line)).then(
  () => undefined,
  (error: Error) => error.message,
);
if (setupError !== undefined) {
  console.warn(
    `SKIPPING the notebook pipeline test: Jupyter cannot be installed here (${setupError})`,
  );
}

const VIZ = new URL("../lib/viz/mod.ts", import.meta.url).href;

Deno.test({
  name:
    "runNotebookPipeline executes, checks, retries dropped outputs once, and renders a drawn plot",
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
        render: "good.ipynb",
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
      // The render check saw plotly draw, and the control without plotly.js did not.
      assert(report.render?.ok, summary);
      assert(report.render!.plotPixels >= report.render!.controlPixels + 400, summary);
      const html = await Deno.readTextFile(report.render!.html);
      assertStringIncludes(html, 'id="loradrop-plotly-js"');
      assertEquals(report.renderFailure, undefined);
    } finally {
      await Deno.remove(src, { recursive: true });
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name: "runNotebookPipeline refuses to write executed notebooks over their sources",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "loradrop-nb-same-" });
    try {
      await Deno.writeTextFile(`${dir}/a.ipynb`, notebookJson([code("1")]));
      await assertRejects(
        () => runNotebookPipeline({ notebooks: [`${dir}/a.ipynb`], outDir: dir, log: () => {} }),
        Error,
        "would be overwritten",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "writeReportHtml's page draws its figures offline in headless chromium",
  ignore: setupError !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const browser = await ensureChromium(true, (line) => console.log(line));
    const dir = await Deno.makeTempDir({ prefix: "loradrop-report-" });
    try {
      const sections = [
        { heading: "Curves", figure: lineFigure([{ name: "a", y: [1, 3, 2, 5] }]) },
        { figure: barFigure(["x", "y"], [{ name: "b", values: [2, 3], errors: [0.2, 0.4] }]) },
        { table: { rows: [{ run: "r1", acc: 0.5 }], columns: ["run", "acc"] } },
      ];
      await writeReportHtml(`${dir}/report.html`, sections, { title: "Report" });
      await writeReportHtml(`${dir}/control.html`, sections, {
        title: "Report",
        plotlyJs: "/* no plotly.js */",
      });
      await screenshot(browser, `${dir}/report.html`, `${dir}/report.png`, 1000, 1200);
      await screenshot(browser, `${dir}/control.html`, `${dir}/control.png`, 1000, 1200);
      const drawn = countColoredPixels(await Deno.readFile(`${dir}/report.png`));
      const control = countColoredPixels(await Deno.readFile(`${dir}/control.png`));
      assert(drawn >= control + 400, `series-coloured pixels: ${drawn} drawn, ${control} control`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
