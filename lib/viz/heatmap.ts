/**
 * Heatmaps (mask images, attention maps).
 *
 * @module
 */
import { baseLayout, type Figure, type FigureOptions, finiteValues } from "./figure.ts";

/** Options of {@linkcode heatmapFigure}. */
export interface HeatmapOptions extends FigureOptions {
  /** A Plotly colour scale name or `[[0, "#fff"], [1, "#000"]]` stops (default "Viridis"). */
  readonly colorscale?: string | readonly (readonly [number, string])[];
  /** The value mapped to the lowest colour (default: the data's minimum). */
  readonly zmin?: number;
  /** The value mapped to the highest colour (default: the data's maximum). */
  readonly zmax?: number;
  /** Labels of the columns (as many as each row has values). */
  readonly xLabels?: readonly string[];
  /** Labels of the rows (as many as there are rows). */
  readonly yLabels?: readonly string[];
  /** Show the colour bar (default true). */
  readonly showScale?: boolean;
}

/**
 * A heatmap of a matrix, row 0 at the top.
 *
 * @param z The matrix, row by row (at least one row, all rows of equal length, finite values).
 * @param options Titles, size, colour scale and labels.
 * @returns A Plotly figure holding one `heatmap` trace.
 * @example
 * ```ts
 * import { heatmapFigure } from "@loradrop/core/viz";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const fig = heatmapFigure([[1, 0], [0, 1]], { zmin: 0, zmax: 1 });
 * assertEquals(fig.data[0]?.z, [[1, 0], [0, 1]]);
 * assertThrows(() => heatmapFigure([[1, 0], [1]]), RangeError);
 * ```
 */
export function heatmapFigure(
  z: readonly ArrayLike<number>[],
  options: HeatmapOptions = {},
): Figure {
  if (!Array.isArray(z) || z.length === 0) {
    throw new RangeError(
      `Cannot build heatmapFigure: expected at least one row, received ${String(z)}`,
    );
  }
  const rows = z.map((row, i) => finiteValues("heatmapFigure", "z", `row ${i}`, row));
  const width = rows[0]!.length;
  const ragged = rows.findIndex((r) => r.length !== width);
  if (width === 0 || ragged >= 0) {
    throw new RangeError(
      `Cannot build heatmapFigure: every row must have the same non-zero length ${width}, ` +
        `row ${ragged} has ${rows[Math.max(ragged, 0)]!.length}`,
    );
  }
  if (options.xLabels !== undefined && options.xLabels.length !== width) {
    throw new RangeError(
      `Cannot build heatmapFigure: expected ${width} xLabels, received ${options.xLabels.length}`,
    );
  }
  if (options.yLabels !== undefined && options.yLabels.length !== rows.length) {
    throw new RangeError(
      `Cannot build heatmapFigure: expected ${rows.length} yLabels, received ${options.yLabels.length}`,
    );
  }
  const trace: Record<string, unknown> & { type: string } = {
    type: "heatmap",
    z: rows,
    colorscale: options.colorscale ?? "Viridis",
    showscale: options.showScale ?? true,
  };
  if (options.zmin !== undefined) trace.zmin = options.zmin;
  if (options.zmax !== undefined) trace.zmax = options.zmax;
  if (options.xLabels !== undefined) trace.x = [...options.xLabels];
  if (options.yLabels !== undefined) trace.y = [...options.yLabels];
  const layout = baseLayout(options, {});
  const yaxis = { ...(layout.yaxis as Record<string, unknown> | undefined), autorange: "reversed" };
  return { data: [trace], layout: { ...layout, yaxis } };
}
