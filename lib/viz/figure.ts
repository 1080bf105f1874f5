/**
 * Plain Plotly figures: the `{data, layout}` JSON that Plotly.js, JupyterLab's Plotly renderer
 * and `Plotly.newPlot` all read. The builders in this folder return these objects; nothing here
 * depends on Plotly.js itself.
 *
 * @module
 */

/** One Plotly trace (`{type: "scatter", x, y, …}`), JSON-serialisable. */
export interface PlotlyTrace {
  /** The trace type: `scatter`, `bar`, `heatmap`, `table`, … */
  readonly type: string;
  /** The series' legend name. */
  readonly name?: string;
  /** Any other Plotly trace attribute. */
  readonly [attribute: string]: unknown;
}

/** A Plotly layout (`{title, xaxis, yaxis, …}`), JSON-serialisable. */
export interface PlotlyLayout {
  /** Any Plotly layout attribute. */
  readonly [attribute: string]: unknown;
}

/** A Plotly figure: traces plus layout. */
export interface Figure {
  /** The traces, drawn in order. */
  readonly data: readonly PlotlyTrace[];
  /** The layout. */
  readonly layout: PlotlyLayout;
}

/** Options shared by the figure builders. */
export interface FigureOptions {
  /** The figure's title. */
  readonly title?: string;
  /** The x axis title. */
  readonly xTitle?: string;
  /** The y axis title. */
  readonly yTitle?: string;
  /** Height in pixels (default 360). */
  readonly height?: number;
  /** Width in pixels (default: the container's width). */
  readonly width?: number;
}

/**
 * The series colours, in order (Plotly's default colourway, written out so that figures and the
 * notebook pipeline's pixel check agree on them).
 */
export const SERIES_COLORS: readonly string[] = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/**
 * The colour of the `index`-th series (cycling through {@linkcode SERIES_COLORS}).
 *
 * @param index A non-negative integer.
 * @returns A `#rrggbb` colour.
 * @example
 * ```ts
 * import { seriesColor, SERIES_COLORS } from "@loradrop/core/viz";
 * import { assertEquals } from "@std/assert";
 * assertEquals(seriesColor(0), "#1f77b4");
 * assertEquals(seriesColor(SERIES_COLORS.length), seriesColor(0));
 * ```
 */
export function seriesColor(index: number): string {
  if (!Number.isInteger(index) || index < 0) {
    throw new RangeError(
      `Cannot pick a series colour: index must be a non-negative integer, received ${index}`,
    );
  }
  return SERIES_COLORS[index % SERIES_COLORS.length]!;
}

/**
 * Builds the layout shared by the figure builders.
 *
 * @param options Titles and size.
 * @param extra Further layout attributes (override the defaults).
 * @returns A Plotly layout.
 * @example
 * ```ts
 * import { baseLayout } from "@loradrop/core/viz";
 * import { assertEquals } from "@std/assert";
 * const layout = baseLayout({ title: "Loss", xTitle: "step" });
 * assertEquals((layout.title as { text: string }).text, "Loss");
 * assertEquals(layout.xaxis, { title: { text: "step" } });
 * ```
 */
export function baseLayout(options: FigureOptions = {}, extra: PlotlyLayout = {}): PlotlyLayout {
  const height = options.height ?? 360;
  checkSize("height", height);
  const layout: Record<string, unknown> = {
    height,
    margin: { l: 60, r: 20, t: options.title === undefined ? 20 : 50, b: 50 },
    colorway: [...SERIES_COLORS],
  };
  if (options.width !== undefined) {
    checkSize("width", options.width);
    layout.width = options.width;
  }
  // Left-aligned, so that a narrow figure's title does not run under the mode bar (top right).
  if (options.title !== undefined) {
    layout.title = { text: options.title, x: 0, xref: "paper", xanchor: "left" };
  }
  if (options.xTitle !== undefined) layout.xaxis = { title: { text: options.xTitle } };
  if (options.yTitle !== undefined) layout.yaxis = { title: { text: options.yTitle } };
  return { ...layout, ...extra };
}

function checkSize(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 50 || value > 10000) {
    throw new RangeError(
      `Cannot build a figure: ${name} must be a number of pixels in [50, 10000], received ${value}`,
    );
  }
}

/**
 * Checks that every value of a numeric series is finite (figures never hide a NaN as a gap).
 *
 * @param what The figure builder, for the message.
 * @param series The series' name, for the message.
 * @param axis The axis (`x`, `y`, `error`, …), for the message.
 * @param values The values.
 * @returns The values as a plain array (typed arrays are converted).
 * @example
 * ```ts
 * import { finiteValues } from "@loradrop/core/viz";
 * import { assertEquals, assertThrows } from "@std/assert";
 * assertEquals(finiteValues("lineFigure", "loss", "y", new Float32Array([1, 2])), [1, 2]);
 * assertThrows(() => finiteValues("lineFigure", "loss", "y", [1, NaN]), RangeError);
 * ```
 */
export function finiteValues(
  what: string,
  series: string,
  axis: string,
  values: ArrayLike<number>,
): number[] {
  if (values === null || typeof values !== "object" || typeof values.length !== "number") {
    throw new TypeError(
      `Cannot build ${what}: ${axis} of series "${series}" must be an array of numbers, received ${
        String(values)
      }`,
    );
  }
  const out = Array.from(values, Number);
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new RangeError(
      `Cannot build ${what}: ${axis}[${bad}] of series "${series}" must be finite, received ${
        String(values[bad])
      }`,
    );
  }
  return out;
}
