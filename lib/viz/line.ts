/**
 * Line charts with several series (loss curves, metric curves).
 *
 * @module
 */
import {
  baseLayout,
  type Figure,
  type FigureOptions,
  finiteValues,
  seriesColor,
} from "./figure.ts";

/** One line of a {@linkcode lineFigure}. */
export interface LineSeries {
  /** The legend name. */
  readonly name: string;
  /** The x values; defaults to 0, 1, 2, … */
  readonly x?: ArrayLike<number>;
  /** The y values. */
  readonly y: ArrayLike<number>;
  /** Draw markers on the points as well (default false). */
  readonly markers?: boolean;
  /** The line style, e.g. `dash` for a reference or theory curve (default `solid`). */
  readonly dash?: "solid" | "dash" | "dot" | "dashdot";
}

/**
 * A line chart with one line per series.
 *
 * @param series The lines (at least one; x and y of equal length, finite values).
 * @param options Titles and size.
 * @returns A Plotly figure.
 * @example
 * ```ts
 * import { lineFigure } from "@loradrop/core/viz";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const fig = lineFigure([{ name: "train", y: [3, 2, 1] }, { name: "eval", x: [0, 2], y: [3, 2] }]);
 * assertEquals(fig.data.length, 2);
 * assertEquals(fig.data[0]?.x, [0, 1, 2]);
 * assertEquals(lineFigure([{ name: "theory", y: [1], dash: "dash" }]).data[0]?.line, {
 *   color: "#1f77b4",
 *   width: 2,
 *   dash: "dash",
 * });
 * assertThrows(() => lineFigure([{ name: "bad", x: [0], y: [1, 2] }]), RangeError);
 * ```
 */
export function lineFigure(series: readonly LineSeries[], options: FigureOptions = {}): Figure {
  if (!Array.isArray(series) || series.length === 0) {
    throw new RangeError(
      `Cannot build lineFigure: expected at least one series, received ${String(series)}`,
    );
  }
  const data = series.map((s, i) => {
    const y = finiteValues("lineFigure", s.name, "y", s.y);
    const x = s.x === undefined ? y.map((_, j) => j) : finiteValues("lineFigure", s.name, "x", s.x);
    if (x.length !== y.length) {
      throw new RangeError(
        `Cannot build lineFigure: series "${s.name}" has ${x.length} x values and ${y.length} y values`,
      );
    }
    return {
      type: "scatter",
      mode: s.markers ? "lines+markers" : "lines",
      name: s.name,
      x,
      y,
      line: { color: seriesColor(i), width: 2, dash: s.dash ?? "solid" },
    };
  });
  return { data, layout: baseLayout(options) };
}
