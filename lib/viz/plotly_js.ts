/**
 * plotly.js itself: finds and reads the pinned minified build (`plotly.js-dist-min`), which
 * `plotly_loader.ts` packs into pages and notebook outputs.
 *
 * @module
 */
import { createRequire } from "node:module";

/** Where plotly.js comes from; `LORADROP_PLOTLY_JS` overrides. */
export const PLOTLY_JS_PACKAGE = "plotly.js-dist-min/plotly.min.js";

function envPath(): string | undefined {
  try {
    return Deno.env.get("LORADROP_PLOTLY_JS") || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The path of plotly.js: `LORADROP_PLOTLY_JS`, else `plotly.js-dist-min` resolved from this module
 * or from the working directory's `node_modules`.
 *
 * @returns An absolute file path.
 * @example
 * ```ts
 * import { plotlyJsPath } from "@loradrop/core/viz";
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
      `run "deno install" (plotly.js-dist-min is pinned in deno.json) or set LORADROP_PLOTLY_JS`,
  );
}

/**
 * Reads plotly.js's source (about 4.8 MB).
 *
 * @returns The JavaScript source.
 * @example
 * ```ts
 * import { readPlotlyJs } from "@loradrop/core/viz";
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
