/**
 * The in-page loader of plotly.js: one `<script>` that carries plotly.js gzip-compressed and
 * base64-encoded (about 1.9 MB instead of 4.8 MB), unpacks it with the browser's
 * `DecompressionStream` and defines `window.Plotly` once per page. Figures wait for it through
 * `window.loradropPlotlyLoading` (see {@linkcode PLOTLY_LOADING_GLOBAL}).
 *
 * A notebook gets the loader as its own display output before the kernel's first figure, so the
 * saved notebook, its `jupyter nbconvert --to html` export and every front end that runs output
 * scripts draw without plotly.js from the network or from a Python package. One output stays far
 * below the size at which the Deno kernel loses outputs (measured: 6 MB arrive, 8 MB are lost).
 *
 * @module
 */
import { readPlotlyJs } from "./plotly_js.ts";

/** The page global holding the promise of `window.Plotly` while the loader unpacks it. */
export const PLOTLY_LOADING_GLOBAL = "loradropPlotlyLoading";

/** The class of the loader's (invisible) element, so a page can tell that the loader is there. */
export const PLOTLY_LOADER_CLASS = "loradrop-plotly-js";

/**
 * Packs JavaScript source for the loader: gzip, then base64.
 *
 * @param source The JavaScript text.
 * @returns The base64 text of the gzip stream.
 * @example
 * ```ts
 * import { packScript } from "@loradrop/core/viz";
 * import { assertEquals } from "@std/assert";
 * const packed = await packScript("var x = 1;");
 * const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
 * const text = await new Response(
 *   new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")),
 * ).text();
 * assertEquals(text, "var x = 1;");
 * ```
 */
export async function packScript(source: string): Promise<string> {
  if (typeof source !== "string" || source.length === 0) {
    throw new TypeError(
      `Cannot pack a script: expected non-empty JavaScript text, received ${String(source)}`,
    );
  }
  const gz = new Uint8Array(
    await new Response(
      new Blob([source]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer(),
  );
  // One character per byte, for btoa (no spread: it overflows the call stack on large inputs).
  const chars = new Array<string>(gz.length);
  for (let i = 0; i < gz.length; i++) chars[i] = String.fromCharCode(gz[i]!);
  return btoa(chars.join(""));
}

/**
 * The loader's HTML: a hidden marker element and a script that unpacks plotly.js once per page.
 * plotly.js runs with `module`, `exports` and `define` shadowed, so that an AMD loader
 * (require.js in classic pages) or a CommonJS shim cannot capture it: it always sets
 * `window.Plotly`.
 *
 * @param packed plotly.js as {@linkcode packScript} returns it.
 * @returns The HTML text.
 * @example
 * ```ts
 * import { packScript, plotlyLoaderHtml } from "@loradrop/core/viz";
 * import { assertStringIncludes, assertThrows } from "@std/assert";
 * const html = plotlyLoaderHtml(await packScript("window.Plotly = { newPlot() {} };"));
 * assertStringIncludes(html, "DecompressionStream");
 * assertStringIncludes(html, "loradropPlotlyLoading");
 * assertThrows(() => plotlyLoaderHtml("not base64!"), TypeError);
 * ```
 */
export function plotlyLoaderHtml(packed: string): string {
  if (typeof packed !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(packed)) {
    throw new TypeError(
      `Cannot build the plotly.js loader: expected base64 text from packScript, received ${
        typeof packed === "string" ? `${packed.length} characters that are not base64` : packed
      }`,
    );
  }
  const g = PLOTLY_LOADING_GLOBAL;
  return `<div class="${PLOTLY_LOADER_CLASS}" style="display:none"></div>
<script type="text/javascript">
(function () {
  var w = window;
  if ((w.Plotly && w.Plotly.newPlot) || w.${g}) return;
  w.PlotlyConfig = w.PlotlyConfig || { MathJaxConfig: "local" };
  var packed = "${packed}";
  w.${g} = (async function () {
    var raw = atob(packed);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    var source = await new Response(stream).text();
    var script = document.createElement("script");
    script.textContent = "(function (module, exports, define) {\\n" + source + "\\n}).call(window);";
    (document.head || document.documentElement).appendChild(script);
    if (!(w.Plotly && w.Plotly.newPlot)) throw new Error("the unpacked plotly.js did not define window.Plotly");
    return w.Plotly;
  })();
  w.${g}.catch(function (error) { console.error("loradrop: cannot load plotly.js:", error); });
})();
</script>`;
}

let cachedLoader: Promise<string> | undefined;

/**
 * The loader's HTML for the pinned plotly.js (read and packed once per process).
 *
 * @returns The HTML text (about 1.9 MB).
 * @example
 * ```ts
 * import { plotlyLoader } from "@loradrop/core/viz";
 * import { assert } from "@std/assert";
 * const html = await plotlyLoader();
 * assert(html.length > 1_000_000 && html.length < 3_000_000);
 * ```
 */
export function plotlyLoader(): Promise<string> {
  cachedLoader ??= readPlotlyJs().then(packScript).then(plotlyLoaderHtml);
  cachedLoader.catch(() => cachedLoader = undefined);
  return cachedLoader;
}
