/**
 * Forest plots: one estimate per row with its confidence interval as a horizontal bar, and a
 * vertical line at the null value (0 for differences), so a reader sees at once which intervals
 * exclude it.
 *
 * @module
 */
import { baseLayout, type Figure, type FigureOptions, seriesColor } from "./figure.ts";

/** One row of a {@linkcode forestFigure}. */
export interface ForestRow {
  /** The row's label (e.g. a comparison `A − B`). */
  readonly label: string;
  /** The point estimate. */
  readonly estimate: number;
  /** Lower end of the interval. */
  readonly low: number;
  /** Upper end of the interval. */
  readonly high: number;
  /** A group for colour and legend (e.g. the verdict); rows without one share a colour. */
  readonly group?: string;
}

/**
 * A forest plot: rows top to bottom in the given order, one colour per group.
 *
 * @param rows The rows (at least one; finite values with low ≤ estimate ≤ high).
 * @param options Titles and size (`xTitle` names the estimate); height grows with the rows.
 * @param colors A colour per group (e.g. one per verdict, so a colour means the same in every
 *   figure); groups without one take the series colours in order.
 * @returns A Plotly figure.
 * @example
 * ```ts
 * import { forestFigure } from "@loradrop/core/viz";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const fig = forestFigure([
 *   { label: "A − B", estimate: 1, low: 0.5, high: 1.5, group: "reproduced" },
 *   { label: "C − B", estimate: 0.2, low: -1, high: 1.4, group: "inconclusive" },
 * ], { xTitle: "difference (points)" });
 * assertEquals(fig.data.length, 2);
 * assertEquals(fig.data[0]?.error_x, { type: "data", symmetric: false, array: [0.5], arrayminus: [0.5] });
 * assertEquals(forestFigure([{ label: "x", estimate: 0, low: -1, high: 1, group: "g" }], {}, { g: "#7f7f7f" }).data[0]?.marker, { color: "#7f7f7f", size: 9 });
 * assertThrows(() => forestFigure([{ label: "x", estimate: 2, low: 0, high: 1 }]), RangeError);
 * ```
 */
export function forestFigure(
  rows: readonly ForestRow[],
  options: FigureOptions = {},
  colors: Readonly<Record<string, string>> = {},
): Figure {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new RangeError(
      `Cannot build forestFigure: expected at least one row, received ${String(rows)}`,
    );
  }
  for (const r of rows) {
    const values = [r.estimate, r.low, r.high];
    if (!values.every(Number.isFinite) || !(r.low <= r.estimate && r.estimate <= r.high)) {
      throw new RangeError(
        `Cannot build forestFigure: row "${r.label}" needs finite low ≤ estimate ≤ high, received ${r.low}, ${r.estimate}, ${r.high}`,
      );
    }
  }
  const groups = [...new Set(rows.map((r) => r.group ?? ""))];
  const data = groups.map((group, i) => {
    const mine = rows.filter((r) => (r.group ?? "") === group);
    return {
      type: "scatter",
      mode: "markers",
      name: group || "estimate",
      showlegend: group !== "",
      x: mine.map((r) => r.estimate),
      y: mine.map((r) => r.label),
      error_x: {
        type: "data",
        symmetric: false,
        array: mine.map((r) => r.high - r.estimate),
        arrayminus: mine.map((r) => r.estimate - r.low),
      },
      marker: { color: colors[group] ?? seriesColor(i), size: 9 },
    };
  });
  const height = options.height ?? Math.max(200, 110 + 28 * rows.length);
  const base = baseLayout({ ...options, height });
  const longest = rows.reduce((m, r) => Math.max(m, r.label.length), 0);
  return {
    data,
    layout: {
      ...base,
      margin: { l: Math.min(420, 20 + 6.5 * longest), r: 20, t: options.title ? 50 : 20, b: 50 },
      yaxis: {
        type: "category",
        autorange: "reversed",
        categoryorder: "array",
        categoryarray: rows.map((r) => r.label),
      },
      shapes: [{
        type: "line",
        xref: "x",
        yref: "paper",
        x0: 0,
        x1: 0,
        y0: 0,
        y1: 1,
        line: { color: "#555", width: 1, dash: "dash" },
      }],
      legend: { orientation: "h", y: -0.2 },
    },
  };
}
