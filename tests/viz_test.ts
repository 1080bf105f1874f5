import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  barFigure,
  displayFigure,
  displayTable,
  type DisplayTarget,
  figureBundle,
  heatmapFigure,
  lineFigure,
  liveFigure,
  packScript,
  PLOTLY_LOADING_GLOBAL,
  PLOTLY_MIME,
  plotlyLoaderHtml,
  readPlotlyJs,
  reportHtml,
  scatterFigure,
  tableFigure,
} from "../lib/viz/mod.ts";

interface Sent {
  bundle: Record<string, unknown>;
  options: { raw: true; display_id?: string; update?: boolean };
}

function recordingTarget(): { target: DisplayTarget; sent: Sent[]; printed: string[] } {
  const sent: Sent[] = [];
  const printed: string[] = [];
  return {
    sent,
    printed,
    target: {
      display: (bundle, options) => void sent.push({ bundle: { ...bundle }, options }),
      print: (t) => void printed.push(t),
    },
  };
}

Deno.test("figureBundle holds the Plotly JSON, an HTML div that draws it, and a text summary", () => {
  const fig = lineFigure([{ name: "train", y: [3, 2, 1] }, { name: "eval", y: [3, 2.5, 2.2] }], {
    title: "Loss",
    xTitle: "step",
  });
  const bundle = figureBundle(fig, { divId: "fig-1" });
  assertEquals(Object.keys(bundle).sort(), [PLOTLY_MIME, "text/html", "text/plain"]);
  // The Plotly JSON is plain JSON (survives a round trip) and equal to the figure.
  assertEquals(JSON.parse(JSON.stringify(bundle[PLOTLY_MIME])), fig);
  const html = bundle["text/html"];
  assertStringIncludes(html, '<div id="fig-1"');
  assertStringIncludes(html, "Plotly.newPlot");
  assertStringIncludes(html, '"name":"eval"');
  assertEquals(html.includes("<script src"), false);
  // plotly.js is not in each figure's output: the loader output brings it once per page.
  assert(JSON.stringify(bundle).length < 20_000);
  // Where scripts do not run, the div shows the summary and says why.
  assertStringIncludes(html, "train (scatter): 3 points");
  assertStringIncludes(html, "jupyter trust");
  assertEquals(
    bundle["text/plain"],
    "Figure: Loss\n  train (scatter): 3 points, y from 3 to 1\n  eval (scatter): 3 points, y from 3 to 2.2",
  );
});

Deno.test("figure builders give Plotly traces of the right type and reject bad data", () => {
  assertEquals(scatterFigure([{ name: "s", x: [1], y: [2] }]).data[0]?.type, "scatter");
  const bar = barFigure(["a", "b"], [{ name: "m", values: [1, 2], errors: [0.1, 0.2] }]);
  assertEquals(bar.data[0]?.type, "bar");
  assertEquals(bar.layout.barmode, "group");
  assertEquals(heatmapFigure([[0, 1]]).data[0]?.type, "heatmap");
  assertEquals(tableFigure([{ a: 1 }], ["a"]).data[0]?.type, "table");
  // Two series get different colours.
  const two = lineFigure([{ name: "a", y: [1] }, { name: "b", y: [1] }]);
  const colours = two.data.map((t) => (t.line as { color: string }).color);
  assertEquals(new Set(colours).size, 2);
  assertThrows(() => lineFigure([]), RangeError, "at least one series");
  assertThrows(
    () => lineFigure([{ name: "loss", y: [1, Infinity] }]),
    RangeError,
    'y[1] of series "loss"',
  );
  assertThrows(
    () => barFigure(["a", "b"], [{ name: "m", values: [1] }]),
    RangeError,
    "1 values for 2",
  );
  assertThrows(() => lineFigure([{ name: "x", y: [1] }], { height: 0 }), RangeError, "height");
});

Deno.test("displayFigure sends a raw bundle with a display id, updates in place, and waits settleMs", async () => {
  const { target, sent } = recordingTarget();
  const fig = lineFigure([{ name: "loss", y: [1, 0.5] }]);
  const start = performance.now();
  const id = "loss-curve";
  await displayFigure(fig, { target, displayId: id, settleMs: 60 });
  assert(performance.now() - start >= 55, "displayFigure must pause after a Jupyter display");
  await displayFigure(lineFigure([{ name: "loss", y: [1, 0.5, 0.2] }]), {
    target,
    displayId: id,
    update: true,
    settleMs: 0,
  });
  // The plotly.js loader (once for this target), the figure, its update.
  assertEquals(sent.length, 3);
  assertStringIncludes(sent[0]!.bundle["text/html"] as string, PLOTLY_LOADING_GLOBAL);
  assertEquals(sent[0]!.options.update, undefined);
  assertEquals(sent[1]?.options, { raw: true, display_id: id });
  assertEquals(sent[2]?.options, { raw: true, display_id: id, update: true });
  assertEquals(Object.keys(sent[2]!.bundle).sort(), [PLOTLY_MIME, "text/html", "text/plain"]);
  assertEquals((sent[2]!.bundle[PLOTLY_MIME] as { data: { y: number[] }[] }).data[0]?.y, [
    1,
    0.5,
    0.2,
  ]);
  await assertRejects(
    () => displayFigure(fig, { target, update: true }),
    TypeError,
    "displayId is required",
  );
});

Deno.test("display functions print text outside Jupyter", async () => {
  const printed: string[] = [];
  const target = { print: (t: string) => void printed.push(t) };
  await displayFigure(lineFigure([{ name: "loss", y: [2, 1] }], { title: "T" }), { target });
  await displayTable([{ method: "LoRA", acc: 0.91234 }], ["method", { key: "acc", digits: 3 }], {
    target,
  });
  assertEquals(printed, [
    "Figure: T\n  loss (scatter): 2 points, y from 2 to 1",
    "method  acc  \n------  -----\nLoRA    0.912",
  ]);
});

Deno.test("displayTable sends HTML and text", async () => {
  const { target, sent } = recordingTarget();
  await displayTable([{ a: "<x>", b: 2 }], ["a", "b"], { target, settleMs: 0 });
  assertStringIncludes(sent[0]!.bundle["text/html"] as string, "<td>&lt;x&gt;</td>");
  assertEquals(sent[0]!.bundle["text/plain"], "a    b\n---  -\n<x>  2");
});

Deno.test("liveFigure redraws in place at most every minIntervalMs, and always on flush", async () => {
  const { target, sent } = recordingTarget();
  let clock = 0;
  const live = await liveFigure(
    { data: [{ type: "scatter", name: "train", x: [], y: [] }], layout: {} },
    { target, settleMs: 0, minIntervalMs: 100, now: () => clock },
  );
  for (let step = 0; step < 10; step++) {
    clock = step * 30; // a redraw at 120 and 240 ms only
    await live.push("train", step, 1 / (step + 1));
  }
  await live.flush();
  // The first output is the plotly.js loader; the figure's outputs share one display id.
  assertStringIncludes(sent[0]!.bundle["text/html"] as string, PLOTLY_LOADING_GLOBAL);
  const figures = sent.filter((s) => PLOTLY_MIME in s.bundle);
  assertEquals(figures.length, sent.length - 1);
  const ids = new Set(figures.map((s) => s.options.display_id));
  assertEquals(ids.size, 1);
  assertEquals(figures.map((s) => s.options.update ?? false), [false, true, true, true]);
  const last = sent.at(-1)!.bundle[PLOTLY_MIME] as { data: { x: number[] }[] };
  assertEquals(last.data[0]?.x, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await assertRejects(() => live.push("eval", 0, 1), RangeError, 'no series "eval"');
  await assertRejects(() => live.push(0, 0, NaN), RangeError, "finite");
});

Deno.test("liveFigure prints only on flush outside Jupyter", async () => {
  const printed: string[] = [];
  const live = await liveFigure(lineFigure([{ name: "loss", x: [], y: [] }]), {
    target: { print: (t) => void printed.push(t) },
    minIntervalMs: 0,
  });
  await live.push(0, 0, 2);
  await live.push(0, 1, 1);
  assertEquals(printed.length, 1); // the initial display
  await live.flush();
  assertEquals(printed[1], "Figure: (untitled)\n  loss (scatter): 2 points, y from 2 to 1");
});

Deno.test("reportHtml is self-contained: plotly.js packed once, formulas as MathML, no external resources", async () => {
  const plotly = await readPlotlyJs();
  const page = await reportHtml([
    {
      heading: "Curves",
      text: "First, with $\\frac{\\alpha}{r}$.\n\nSecond <b>.",
      figure: lineFigure([{ name: "a", y: [1, 2] }]),
    },
    { figure: barFigure(["x"], [{ name: "b", values: [1] }]) },
    { table: { rows: [{ k: "v" }], columns: ["k"] } },
  ], { title: "Report <1>" });
  assertEquals(page.split('class="loradrop-plotly-js"').length - 1, 1);
  // The packed plotly.js unpacks to the pinned build.
  const packed = /var packed = "([A-Za-z0-9+/=]+)"/.exec(page)![1]!;
  const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
  const unpacked = await new Response(
    new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")),
  ).text();
  assertEquals(unpacked, plotly);
  assert(page.length < plotly.length / 2, `the page is ${page.length} characters`);
  // Nothing refers to another resource.
  assertEquals(/(src|href)\s*=\s*["']?(https?:)?\/\//i.test(page), false);
  assertEquals(/<link|@import|url\(/i.test(page), false);
  assertEquals((page.match(/w\.Plotly\.newPlot\(el/g) ?? []).length, 2);
  // The loader comes before the first figure.
  assert(page.indexOf('class="loradrop-plotly-js"') < page.indexOf('class="loradrop-plot"'));
  assertStringIncludes(page, "<title>Report &lt;1&gt;</title>");
  assertStringIncludes(page, "<p>Second &lt;b&gt;.</p>");
  assertStringIncludes(page, "<p>First, with <math><semantics><mfrac><mi>α</mi><mi>r</mi></mfrac>");
  await assertRejects(() => reportHtml([], { title: "" }), TypeError, "title");
  await assertRejects(
    () => reportHtml([{ text: "an open $x" }], { title: "T" }),
    SyntaxError,
    "unclosed $",
  );
});

Deno.test("the plotly.js loader defines window.Plotly once, even with an AMD loader on the page", async () => {
  const g = globalThis as Record<string, unknown>;
  const appended: string[] = [];
  const saved = { window: g.window, document: g.document, define: g.define, Plotly: g.Plotly };
  // A page with require.js: a UMD build would register with define() instead of setting Plotly.
  const define = Object.assign(() => {
    throw new Error("plotly.js was captured by define()");
  }, { amd: {} });
  Object.assign(g, {
    window: globalThis,
    define,
    document: {
      head: {
        appendChild: (
          s: { textContent: string },
        ) => (appended.push(s.textContent), (0, eval)(s.textContent)),
      },
      createElement: () => ({ textContent: "" }),
    },
  });
  try {
    const umd = `(function (root, factory) {
      if (typeof define === "function" && define.amd) define([], factory);
      else root.Plotly = factory();
    })(this, function () { return { newPlot() { return "drawn"; } }; });`;
    const html = plotlyLoaderHtml(await packScript(umd));
    const script = html.slice(
      html.indexOf("<script") + html.slice(html.indexOf("<script")).indexOf(">") + 1,
      html.lastIndexOf("</script>"),
    );
    (0, eval)(script);
    (0, eval)(script); // a second loader on the same page does nothing
    const plotly = await (g[PLOTLY_LOADING_GLOBAL] as Promise<{ newPlot(): string }>);
    assertEquals(plotly.newPlot(), "drawn");
    assertEquals(appended.length, 1);
  } finally {
    delete g[PLOTLY_LOADING_GLOBAL];
    delete g.PlotlyConfig;
    Object.assign(g, saved);
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete g[k];
  }
});
