/**
 * plotly.js for offline pages: finds the pinned `plotly.js-dist` package and injects it into an
 * HTML page once (never into a notebook cell output: multi-MB outputs are lost).
 *
 * @module
 */
import { createRequire } from "node:module";

/** Where plotly.js comes from; `LORADROP_PLOTLY_JS` overrides. */
export const PLOTLY_JS_PACKAGE = "plotly.js-dist/plotly.js";

function envPath(): string | undefined {
  try {
    return Deno.env.get("LORADROP_PLOTLY_JS") || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The path of plotly.js: `LORADROP_PLOTLY_JS`, else `plotly.js-dist` resolved from this module
 * or from the working directory's `node_modules`.
 *
 * @returns An absolute file path.
 * @example
 * ```ts
 * import { plotlyJsPath } from "./plotly_js.ts";
 * import { assertStringIncludes } from "@std/assert";
 * assertStringIncludes(plotlyJsPath(), "plotly");
 * ```
 */
export function plotlyJsPath(): string {
  const fromEnv = envPath();
  if (fromEnv !== undefined) return fromEnv;
  const tried: string[] = [];
  const bases = [import.meta.url, `file://${Deno.cwd()}/`];
  for (const base of bases) {
    if (!base.startsWith("file:")) continue;
    try {
      return createRequire(base).resolve(PLOTLY_JS_PACKAGE);
    } catch {
      tried.push(base);
    }
  }
  throw new Error(
    `Cannot find plotly.js: "${PLOTLY_JS_PACKAGE}" does not resolve from ${tried.join(" or ")}; ` +
      `run "deno install" (plotly.js-dist is pinned in deno.json) or set LORADROP_PLOTLY_JS`,
  );
}

/**
 * Reads plotly.js's source (about 10 MB).
 *
 * @returns The JavaScript source.
 * @example
 * ```ts
 * import { readPlotlyJs } from "./plotly_js.ts";
 * import { assert } from "@std/assert";
 * assert((await readPlotlyJs()).length > 1_000_000);
 * ```
 */
export async function readPlotlyJs(): Promise<string> {
  const source = await Deno.readTextFile(plotlyJsPath());
  if (!source.includes("newPlot")) {
    throw new Error(`Cannot use plotly.js at ${plotlyJsPath()}: the file has no newPlot function`);
  }
  return source;
}

/**
 * Injects plotly.js into an HTML page as the first script of its `<head>`, so it defines
 * `window.Plotly` before any AMD loader (require.js) on the page could capture it.
 *
 * @param html A page with a `<head>` element.
 * @param plotlySource plotly.js's source (see {@linkcode readPlotlyJs}).
 * @returns The page with plotly.js inline.
 * @example
 * ```ts
 * import { injectPlotlyJs } from "./plotly_js.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const page = injectPlotlyJs("<html><head><title>t</title></head></html>", "var Plotly={};");
 * assertEquals(page.indexOf("var Plotly={};") < page.indexOf("<title>"), true);
 * assertThrows(() => injectPlotlyJs("<p>no head</p>", "x"), TypeError);
 * ```
 */
export function injectPlotlyJs(html: string, plotlySource: string): string {
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (head === null) {
    throw new TypeError("Cannot inject plotly.js: the page has no <head> element");
  }
  const at = head.index + head[0].length;
  // "</script" inside the source would end the element early; "<\/" is the same text in JS.
  const safe = plotlySource.replaceAll("</script", "<\\/script");
  return `${
    html.slice(0, at)
  }\n<script type="text/javascript" id="loradrop-plotly-js">${safe}</script>\n${html.slice(at)}`;
}
