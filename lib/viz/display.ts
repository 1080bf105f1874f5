/**
 * Showing figures and tables in a Deno Jupyter kernel, or as text anywhere else.
 *
 * The Deno kernel sometimes reports a cell idle before its display message is out, and the
 * executing client then drops that output: every display here is awaited and followed by a short
 * pause ({@linkcode DisplayOptions.settleMs}).
 *
 * Before the first figure a target receives, it receives the plotly.js loader as an output of its
 * own (once per kernel: {@linkcode displayPlotlyJs} sends it again), so the page that shows the
 * notebook draws the figures without plotly.js from elsewhere.
 *
 * @module
 */
import { figureBundle, type MimeBundle } from "./bundle.ts";
import type { Figure } from "./figure.ts";
import { mathLoader } from "./math_loader.ts";
import { plotlyLoader } from "./plotly_loader.ts";
import { type TableColumn, tableHtml, type TableRow, tableText } from "./table.ts";

/** The options of a raw Jupyter display call. */
export interface RawDisplayOptions {
  /** Always true: the bundle is a MIME bundle. */
  readonly raw: true;
  /** The display's id, for later in-place updates. */
  readonly display_id?: string;
  /** Replace the display with this id instead of adding an output. */
  readonly update?: boolean;
}

/** Where displays go: a Jupyter kernel's display function, or a text printer. */
export interface DisplayTarget {
  /** Sends a MIME bundle (absent outside Jupyter). */
  readonly display?: (
    bundle: MimeBundle,
    options: RawDisplayOptions,
  ) => Promise<void> | void;
  /** Prints text (used when `display` is absent). */
  readonly print: (text: string) => void;
}

/** Options of {@linkcode displayFigure} and {@linkcode displayTable}. */
export interface DisplayOptions {
  /** The display id (default: a fresh one); pass it with `update` to redraw in place. */
  readonly displayId?: string;
  /** Replace the display `displayId` instead of adding a new output. */
  readonly update?: boolean;
  /** Where to display (default: {@linkcode defaultDisplayTarget}). */
  readonly target?: DisplayTarget;
  /** Milliseconds to wait after a Jupyter display so the kernel flushes it (default 100). */
  readonly settleMs?: number;
}

interface DenoJupyter {
  display(bundle: unknown, options: unknown): Promise<void>;
}

function denoJupyter(): DenoJupyter | undefined {
  try {
    // Outside `deno jupyter`, reading Deno.jupyter throws.
    const j = (Deno as unknown as { jupyter?: DenoJupyter }).jupyter;
    return typeof j?.display === "function" ? j : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether this code runs inside a Deno Jupyter kernel.
 *
 * @returns True inside `deno jupyter`.
 * @example
 * ```ts
 * import { inJupyter } from "@loradrop/core/viz";
 * import { assertEquals } from "@std/assert";
 * assertEquals(inJupyter(), false); // doc tests run under `deno test`
 * ```
 */
export function inJupyter(): boolean {
  return denoJupyter() !== undefined;
}

/**
 * The default display target: `Deno.jupyter.display` inside a kernel, `console.log` otherwise.
 *
 * @returns The target.
 * @example
 * ```ts
 * import { defaultDisplayTarget } from "@loradrop/core/viz";
 * import { assertEquals } from "@std/assert";
 * assertEquals(defaultDisplayTarget().display, undefined); // not in Jupyter here
 * ```
 */
export function defaultDisplayTarget(): DisplayTarget {
  const jupyter = denoJupyter();
  if (jupyter === undefined) return { print: (text: string) => console.log(text) };
  // One object per kernel, so that the plotly.js loader is sent once per kernel.
  jupyterTarget ??= {
    display: (bundle, options) => jupyter.display(bundle, options),
    print: (text: string) => console.log(text),
  };
  return jupyterTarget;
}

let jupyterTarget: DisplayTarget | undefined;

let displayCounter = 0;

/**
 * Sends a MIME bundle to the target (or prints its `text/plain`), then waits `settleMs`.
 *
 * @param bundle The MIME bundle.
 * @param options Display id, update flag, target.
 * @returns The display id.
 * @example
 * ```ts
 * import { displayBundle } from "@loradrop/core/viz";
 * import { assertEquals } from "@std/assert";
 * const printed: string[] = [];
 * await displayBundle({ "text/plain": "hello" }, { target: { print: (t) => printed.push(t) } });
 * assertEquals(printed, ["hello"]);
 * ```
 */
export async function displayBundle(
  bundle: MimeBundle,
  options: DisplayOptions = {},
): Promise<string> {
  const text = bundle["text/plain"];
  if (typeof text !== "string") {
    throw new TypeError(
      `Cannot display a bundle: expected a "text/plain" string, received ${String(text)}`,
    );
  }
  const settleMs = options.settleMs ?? 100;
  if (!Number.isFinite(settleMs) || settleMs < 0) {
    throw new RangeError(
      `Cannot display a bundle: settleMs must be a non-negative number, received ${settleMs}`,
    );
  }
  if (options.update && options.displayId === undefined) {
    throw new TypeError("Cannot update a display: displayId is required when update is true");
  }
  const displayId = options.displayId ?? `loradrop-display-${++displayCounter}-${Date.now()}`;
  const target = options.target ?? defaultDisplayTarget();
  if (target.display === undefined) {
    target.print(text);
    return displayId;
  }
  await target.display(bundle, {
    raw: true,
    display_id: displayId,
    ...(options.update ? { update: true } : {}),
  });
  if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
  return displayId;
}

/**
 * Shows a figure: in Jupyter a bundle with the Plotly JSON, HTML and a text summary (preceded by
 * the plotly.js loader before the target's first figure); elsewhere the text summary.
 *
 * @param figure The figure.
 * @param options Display id (pass the same id with `update: true` to redraw in place), target.
 * @returns Nothing (a promise resolved once the display is out; no value, so a notebook cell
 *   ending with it shows no result).
 * @example
 * ```ts
 * import { displayFigure } from "@loradrop/core/viz";
 * import { lineFigure } from "@loradrop/core/viz";
 * import { assertEquals } from "@std/assert";
 * const sent: Record<string, unknown>[] = [];
 * const target = { display: (b: Record<string, unknown>) => void sent.push(b), print: () => {} };
 * const displayId = "loss-curve";
 * await displayFigure(lineFigure([{ name: "loss", y: [1, 0.5] }]), { target, displayId, settleMs: 0 });
 * await displayFigure(lineFigure([{ name: "loss", y: [1, 0.5, 0.2] }]), { target, displayId, update: true });
 * assertEquals(sent.length, 3); // the plotly.js loader, the figure, its update
 * ```
 */
export async function displayFigure(figure: Figure, options: DisplayOptions = {}): Promise<void> {
  const bundle = figureBundle(figure);
  await ensurePlotlyJs(options);
  await displayBundle(bundle, options);
}

const targetsWithPlotlyJs = new WeakSet<DisplayTarget>();

/**
 * Sends the plotly.js loader to the display target unless it has had it already (outside Jupyter:
 * nothing). The figure functions call this before their first display.
 *
 * @param options The target and settle time (update flags are ignored).
 * @returns Nothing (a promise resolved once the loader is out).
 * @example
 * ```ts
 * import { ensurePlotlyJs } from "@loradrop/core/viz";
 * import { assertEquals } from "@std/assert";
 * const sent: unknown[] = [];
 * const target = { display: (b: unknown) => void sent.push(b), print: () => {} };
 * await ensurePlotlyJs({ target, settleMs: 0 });
 * await ensurePlotlyJs({ target, settleMs: 0 });
 * assertEquals(sent.length, 1);
 * ```
 */
export async function ensurePlotlyJs(options: DisplayOptions = {}): Promise<void> {
  const target = options.target ?? defaultDisplayTarget();
  if (target.display === undefined || targetsWithPlotlyJs.has(target)) return;
  await displayPlotlyJs({ ...options, target });
}

/**
 * Sends the plotly.js loader (about 1.9 MB of HTML with an invisible script; it also carries the
 * formula loader of `math_loader.ts` for HTML exports) as an output of its own, e.g. to restore it
 * after the cell whose output held it was cleared.
 *
 * @param options The target and settle time (display id and update flags are ignored).
 * @returns Nothing (a promise resolved once the loader is out).
 * @example
 * ```ts
 * import { displayPlotlyJs } from "@loradrop/core/viz";
 * import { assertStringIncludes } from "@std/assert";
 * const sent: Record<string, unknown>[] = [];
 * const target = { display: (b: Record<string, unknown>) => void sent.push(b), print: () => {} };
 * await displayPlotlyJs({ target, settleMs: 0 });
 * assertStringIncludes(String(sent[0]?.["text/html"]), "loradropPlotlyLoading");
 * ```
 */
export async function displayPlotlyJs(options: DisplayOptions = {}): Promise<void> {
  const target = options.target ?? defaultDisplayTarget();
  if (target.display === undefined) return;
  const html = `${await plotlyLoader()}\n${await mathLoader()}`;
  await displayBundle({ "text/html": html, "text/plain": "" }, {
    target,
    ...(options.settleMs === undefined ? {} : { settleMs: options.settleMs }),
  });
  targetsWithPlotlyJs.add(target);
}

/**
 * Shows a table: HTML plus aligned text in Jupyter, the text elsewhere.
 *
 * @param rows The rows.
 * @param columns The columns, in order.
 * @param options Display id, target.
 * @returns Nothing (a promise resolved once the display is out).
 * @example
 * ```ts
 * import { displayTable } from "@loradrop/core/viz";
 * import { assertEquals } from "@std/assert";
 * const printed: string[] = [];
 * await displayTable([{ a: 1 }], ["a"], { target: { print: (t) => printed.push(t) } });
 * assertEquals(printed, ["a\n-\n1"]);
 * ```
 */
export async function displayTable(
  rows: readonly TableRow[],
  columns: readonly TableColumn[],
  options: DisplayOptions = {},
): Promise<void> {
  await displayBundle(
    { "text/html": tableHtml(rows, columns), "text/plain": tableText(rows, columns) },
    options,
  );
}
