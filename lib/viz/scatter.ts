/**
 * Scatter plots (one marker set per series).
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

/** One marker set of a {@linkcode scatterFigure}. */
export interface ScatterSeries {
  /** The legend name. */
  readonly name: string;
  /** The x values. */
  readonly x: ArrayLike<number>;
  /** The y values (as many as x). */
  readonly y: ArrayLike<number>;
  /** A hover label per point (optional, as many as x). */
  readonly labels?: readonly string[];
}

/**
 * A scatter plot with one marker set per series.
 *
 * @param series The marker sets (at least one).
 * @param options Titles and size.
 * @returns A Plotly figure.
 * @example
 * ```ts
 * import { scatterFigure } from "@loradrop/core/viz";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const fig = scatterFigure([{ name: "runs", x: [0.1, 0.2], y: [0.8, 0.9], labels: ["a", "b"] }]);
 * assertEquals(fig.data[0]?.mode, "markers");
 * assertEquals(fig.data[0]?.text, ["a", "b"]);
 * assertThrows(() => scatterFigure([{ name: "bad", x: [1, 2], y: [1] }]), RangeError);
 * ```
 */
export function scatterFigure(
  series: readonly ScatterSeries[],
  options: FigureOptions = {},
): Figure {
  if (!Array.isArray(series) || series.length === 0) {
    throw new RangeError(
      `Cannot build scatterFigure: expected at least one series, received ${String(series)}`,
    );
  }
  const data = series.map((s, i) => {
    const x = finiteValues("scatterFigure", s.name, "x", s.x);
    const y = finiteValues("scatterFigure", s.name, "y", s.y);
    if (x.length !== y.length || (s.labels !== undefined && s.labels.length !== x.length)) {
      throw new RangeError(
        `Cannot build scatterFigure: series "${s.name}" has ${x.length} x values, ${y.length} y values` +
          (s.labels === undefined ? "" : ` and ${s.labels.length} labels`),
      );
    }
    const trace: Record<string, unknown> & { type: string } = {
      type: "scatter",
      mode: "markers",
      name: s.name,
      x,
      y,
      marker: { color: seriesColor(i), size: 9 },
    };
    if (s.labels !== undefined) trace.text = [...s.labels];
    return trace;
  });
  return { data, layout: baseLayout(options) };
}
