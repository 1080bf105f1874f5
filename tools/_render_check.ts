// Export an executed notebook to offline HTML (plotly.js injected), render it with headless
// chromium, and check from the pixels that plots were drawn: the page is rendered twice, with and
// without plotly.js, and the series-coloured pixels are counted in both.
import { decode } from "fast-png";
import { injectPlotlyJs, readPlotlyJs, SERIES_COLORS } from "../lib/viz/mod.ts";
import { run, tail } from "./_run.ts";

/** The result of {@linkcode renderCheck}. */
export interface RenderResult {
  /** The offline HTML export (plotly.js inline). */
  readonly html: string;
  /** The screenshot of the export. */
  readonly png: string;
  /** The screenshot of the same page without plotly.js (the control). */
  readonly controlPng: string;
  /** Series-coloured pixels in the screenshot. */
  readonly plotPixels: number;
  /** Series-coloured pixels in the control screenshot. */
  readonly controlPixels: number;
  /** Whether the plot pixels exceed the control by at least `minPixels`. */
  readonly ok: boolean;
}

/** Options of {@linkcode renderCheck}. */
export interface RenderOptions {
  /** The browser command (Debian's `chromium`). */
  readonly browser: string;
  /** Where the HTML and PNG files go. */
  readonly outDir: string;
  /** The least number of extra series-coloured pixels that counts as a drawn plot (default 400). */
  readonly minPixels?: number;
  /** Screenshot size (default 1280 × 4000). */
  readonly width?: number;
  /** Screenshot height. */
  readonly height?: number;
}

function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * Counts the pixels whose colour is within `tolerance` (per channel) of one of the series colours.
 *
 * @param png The PNG file's bytes.
 * @param colors `#rrggbb` colours (default: the first four series colours).
 * @param tolerance The largest per-channel difference (default 24).
 * @returns The count.
 */
export function countColoredPixels(
  png: Uint8Array,
  colors: readonly string[] = SERIES_COLORS.slice(0, 4),
  tolerance = 24,
): number {
  const img = decode(png);
  if (img.depth !== 8 || img.channels < 3) {
    throw new RangeError(
      `Cannot count pixels: expected an 8-bit RGB(A) PNG, received depth ${img.depth}, ${img.channels} channels`,
    );
  }
  const rgb = colors.map(hexToRgb);
  const { data, channels } = img;
  let count = 0;
  for (let i = 0; i + 2 < data.length; i += channels) {
    const r = data[i]!, g = data[i + 1]!, b = data[i + 2]!;
    for (const c of rgb) {
      if (
        Math.abs(r - c[0]) <= tolerance && Math.abs(g - c[1]) <= tolerance &&
        Math.abs(b - c[2]) <= tolerance
      ) {
        count += 1;
        break;
      }
    }
  }
  return count;
}

/**
 * Renders an HTML file to a PNG with headless chromium.
 *
 * @param browser The browser command.
 * @param htmlPath The page.
 * @param pngPath The screenshot to write.
 * @param width Window width.
 * @param height Window height.
 */
export async function screenshot(
  browser: string,
  htmlPath: string,
  pngPath: string,
  width = 1280,
  height = 4000,
): Promise<void> {
  const profile = await Deno.makeTempDir({ prefix: "loradrop-chromium-" });
  try {
    await Deno.remove(pngPath).catch(() => {});
    const res = await run([
      browser,
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--hide-scrollbars",
      `--user-data-dir=${profile}`,
      `--window-size=${width},${height}`,
      // Virtual time: timers (the figures wait for plotly.js) run without wall-clock waits.
      "--virtual-time-budget=15000",
      `--screenshot=${pngPath}`,
      `file://${htmlPath}`,
    ], { timeoutMs: 180_000 });
    const made = await Deno.stat(pngPath).then(() => true, () => false);
    if (res.code !== 0 || !made) {
      throw new Error(
        `Cannot render ${htmlPath} with ${browser} (exit ${res.code}):\n${tail(res.stderr)}`,
      );
    }
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/**
 * Exports an executed notebook to offline HTML, renders it with and without plotly.js, and
 * compares the series-coloured pixels.
 *
 * @param notebookPath The executed notebook.
 * @param options Browser, output folder, threshold, size.
 * @returns Paths and pixel counts.
 */
export async function renderCheck(
  notebookPath: string,
  options: RenderOptions,
): Promise<RenderResult> {
  const name = notebookPath.split("/").at(-1)!.replace(/\.ipynb$/, "");
  const outDir = await Deno.realPath(options.outDir);
  const bare = `${outDir}/${name}.noplotly.html`;
  const exp = await run([
    "jupyter",
    "nbconvert",
    "--to",
    "html",
    "--no-input",
    "--output-dir",
    outDir,
    "--output",
    `${name}.noplotly`,
    notebookPath,
  ], { timeoutMs: 180_000 });
  if (exp.code !== 0) {
    throw new Error(`Cannot export ${notebookPath} to HTML:\n${tail(exp.stderr)}`);
  }
  const page = await Deno.readTextFile(bare);
  const html = `${outDir}/${name}.html`;
  await Deno.writeTextFile(html, injectPlotlyJs(page, await readPlotlyJs()));
  const png = `${outDir}/${name}.png`;
  const controlPng = `${outDir}/${name}.noplotly.png`;
  await screenshot(options.browser, html, png, options.width, options.height);
  await screenshot(options.browser, bare, controlPng, options.width, options.height);
  const plotPixels = countColoredPixels(await Deno.readFile(png));
  const controlPixels = countColoredPixels(await Deno.readFile(controlPng));
  const ok = plotPixels - controlPixels >= (options.minPixels ?? 400);
  return { html, png, controlPng, plotPixels, controlPixels, ok };
}
