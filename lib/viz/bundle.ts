/**
 * Display bundles for Jupyter front ends: the Plotly JSON (for front ends with a native Plotly
 * renderer), an HTML rendering (a text fallback plus a script that draws with `Plotly.newPlot`:
 * JupyterLab, Notebook 7, VS Code, nbconvert's HTML export, static previews) and a plain-text
 * summary (terminals, `jupyter nbconvert --to markdown`).
 *
 * The HTML does not embed plotly.js: it draws with the page's `window.Plotly`, which the page gets
 * once from the plotly.js loader output (`plotly_loader.ts`) that `displayFigure` sends before the
 * kernel's first figure.
 *
 * @module
 */
import type { Figure } from "./figure.ts";
import { PLOTLY_LOADING_GLOBAL } from "./plotly_loader.ts";
import { escapeHtml } from "./html_escape.ts";

/** The MIME type of Plotly figure JSON. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** A Jupyter MIME bundle: data by MIME type, always with a plain-text fallback. */
export interface MimeBundle {
  /** The plain-text rendering. */
  readonly "text/plain": string;
  /** Other renderings by MIME type. */
  readonly [mime: string]: unknown;
}

/** A Jupyter MIME bundle holding a figure three ways. */
export interface FigureBundle extends MimeBundle {
  /** The figure itself. */
  readonly "application/vnd.plotly.v1+json": Figure;
  /** A div and a script that draws the figure with the page's plotly.js. */
  readonly "text/html": string;
  /** A short plain-text summary. */
  readonly "text/plain": string;
}

/** Options of {@linkcode figureBundle}. */
export interface FigureBundleOptions {
  /** The id of the HTML div (default: a fresh unique id). */
  readonly divId?: string;
}

let divCounter = 0;

/**
 * A fresh, unique HTML id for a figure's div.
 *
 * @returns An id like `loradrop-plot-3-1a2b3c4d`.
 * @example
 * ```ts
 * import { newDivId } from "@loradrop/core/viz";
 * import { assertNotEquals } from "@std/assert";
 * assertNotEquals(newDivId(), newDivId());
 * ```
 */
export function newDivId(): string {
  divCounter += 1;
  return `loradrop-plot-${divCounter}-${crypto.randomUUID().slice(0, 8)}`;
}

/** JSON that is safe inside an HTML `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replaceAll("<", "\\u003c").replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

/** The class of the text a figure's div shows until its script draws it. */
export const FIGURE_FALLBACK_CLASS = "loradrop-plot-fallback";

/**
 * The HTML rendering of a figure: a div holding a text fallback (the figure's summary and why it
 * is not drawn: shown where scripts do not run, e.g. an untrusted notebook or a static preview)
 * and a script that replaces it with the drawn figure. The script draws with `window.Plotly`,
 * waiting for the page's plotly.js loader (see `plotly_loader.ts`) when there is one, and writes
 * a note into the fallback when no plotly.js arrives within 10 s.
 *
 * @param figure The figure.
 * @param divId The div's id (letters, digits, `-` and `_`).
 * @returns The HTML text.
 * @example
 * ```ts
 * import { FIGURE_FALLBACK_CLASS, figureHtml } from "@loradrop/core/viz";
 * import { lineFigure } from "@loradrop/core/viz";
 * import { assertStringIncludes } from "@std/assert";
 * const html = figureHtml(lineFigure([{ name: "</script>", y: [1, 2] }]), "plot-1");
 * assertStringIncludes(html, 'id="plot-1"');
 * assertStringIncludes(html, "Plotly.newPlot");
 * assertStringIncludes(html, "\\u003c/script>");
 * assertStringIncludes(html, FIGURE_FALLBACK_CLASS);
 * assertStringIncludes(html, "&lt;/script&gt; (scatter): 2 points");
 * ```
 */
export function figureHtml(figure: Figure, divId: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(divId)) {
    throw new TypeError(
      `Cannot render a figure: divId must start with a letter and hold only letters, digits, "-" and "_", received "${divId}"`,
    );
  }
  const height = typeof figure.layout.height === "number" ? figure.layout.height : 360;
  return `<div id="${divId}" class="loradrop-plot" style="width:100%;min-height:${height}px">\
<div class="${FIGURE_FALLBACK_CLASS}" style="font:13px sans-serif;color:#555;border:1px dashed #bbb;padding:6px 10px">\
<pre style="margin:0 0 4px 0">${escapeHtml(figureText(figure))}</pre>\
<span>Interactive figure: it is drawn by this output's script with plotly.js, which the notebook's \
first figure output loads. Scripts run where the notebook is trusted: after running it, or after \
"Trust Notebook" (<code>jupyter trust NOTEBOOK.ipynb</code>).</span></div></div>
<script type="text/javascript">
(function () {
  var fig = ${scriptJson({ data: figure.data, layout: figure.layout })};
  var id = ${JSON.stringify(divId)};
  var w = window;
  function ready() { return w.Plotly && w.Plotly.newPlot; }
  function draw() {
    var el = document.getElementById(id);
    if (!el) return;
    el.textContent = "";
    w.Plotly.newPlot(el, fig.data, fig.layout, { responsive: true });
  }
  function fail(why) {
    var el = document.getElementById(id);
    var note = el && el.querySelector(".${FIGURE_FALLBACK_CLASS} span");
    if (note) {
      note.textContent = "plotly.js is not loaded on this page (" + why + "), so this figure cannot be drawn: " +
        "re-run the notebook's first figure cell, whose output loads it.";
    }
  }
  var waited = 0;
  (function wait() {
    if (ready()) return draw();
    if (w.${PLOTLY_LOADING_GLOBAL}) {
      return w.${PLOTLY_LOADING_GLOBAL}.then(draw, function (e) { fail(String(e)); });
    }
    if ((waited += 100) > 10000) return fail("no loader on the page");
    setTimeout(wait, 100);
  })();
})();
</script>`;
}

/**
 * A plain-text summary of a figure: title, then one line per trace.
 *
 * @param figure The figure.
 * @returns The summary.
 * @example
 * ```ts
 * import { figureText } from "@loradrop/core/viz";
 * import { lineFigure } from "@loradrop/core/viz";
 * import { assertEquals } from "@std/assert";
 * const text = figureText(lineFigure([{ name: "loss", y: [2, 1.5] }], { title: "Training" }));
 * assertEquals(text, "Figure: Training\n  loss (scatter): 2 points, y from 2 to 1.5");
 * ```
 */
export function figureText(figure: Figure): string {
  const title = (figure.layout.title as { text?: unknown } | undefined)?.text;
  const lines = [`Figure: ${typeof title === "string" ? title : "(untitled)"}`];
  figure.data.forEach((trace, i) => {
    const name = trace.name ?? `trace ${i}`;
    const y = trace.y;
    const z = trace.z;
    if (Array.isArray(y) && y.length > 0 && y.every((v) => typeof v === "number")) {
      lines.push(`  ${name} (${trace.type}): ${y.length} points, y from ${y[0]} to ${y.at(-1)}`);
    } else if (Array.isArray(z) && Array.isArray(z[0])) {
      lines.push(`  ${name} (${trace.type}): ${z.length} × ${(z[0] as unknown[]).length} values`);
    } else if (Array.isArray(y)) {
      lines.push(`  ${name} (${trace.type}): ${y.length} points`);
    } else {
      lines.push(`  ${name} (${trace.type})`);
    }
  });
  return lines.join("\n");
}

/**
 * The three-way display bundle of a figure.
 *
 * @param figure The figure.
 * @param options The div id.
 * @returns The bundle for `Deno.jupyter.display(bundle, { raw: true })`.
 * @example
 * ```ts
 * import { figureBundle, PLOTLY_MIME } from "@loradrop/core/viz";
 * import { barFigure } from "@loradrop/core/viz";
 * import { assertEquals } from "@std/assert";
 * const fig = barFigure(["a"], [{ name: "x", values: [1] }]);
 * const bundle = figureBundle(fig);
 * assertEquals(bundle[PLOTLY_MIME], fig);
 * assertEquals(Object.keys(bundle).sort(), [PLOTLY_MIME, "text/html", "text/plain"]);
 * ```
 */
export function figureBundle(figure: Figure, options: FigureBundleOptions = {}): FigureBundle {
  if (
    figure === null || typeof figure !== "object" || !Array.isArray(figure.data) ||
    figure.layout === null || typeof figure.layout !== "object"
  ) {
    throw new TypeError(
      `Cannot display a figure: expected a Plotly figure {data, layout}, received ${
        String(figure)
      }`,
    );
  }
  const divId = options.divId ?? newDivId();
  return {
    [PLOTLY_MIME]: { data: figure.data, layout: figure.layout },
    "text/html": figureHtml(figure, divId),
    "text/plain": figureText(figure),
  };
}
