/**
 * Grouped bar charts with optional error bars (mean ± std over seeds).
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

/** One bar group member of a {@linkcode barFigure}: a value per category. */
export interface BarSeries {
  /** The legend name. */
  readonly name: string;
  /** The bar heights, one per category. */
  readonly values: ArrayLike<number>;
  /** Symmetric error bar half-widths (e.g. a standard deviation), one per category, ≥ 0. */
  readonly errors?: ArrayLike<number>;
}

/**
 * A grouped bar chart: one bar per category and series, with optional error bars.
 *
 * @param categories The category labels along x.
 * @param series The series (at least one), each with one value per category.
 * @param options Titles and size.
 * @returns A Plotly figure.
 * @example
 * ```ts
 * import { barFigure } from "@loradrop/core/viz";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const fig = barFigure(["SST-2", "RTE"], [{ name: "LoRA", values: [90, 70], errors: [0.5, 1] }]);
 * assertEquals(fig.data[0]?.error_y, { type: "data", array: [0.5, 1], visible: true });
 * assertThrows(() => barFigure(["a"], [{ name: "x", values: [1], errors: [-1] }]), RangeError);
 * ```
 */
export function barFigure(
  categories: readonly string[],
  series: readonly BarSeries[],
  options: FigureOptions = {},
): Figure {
  if (!Array.isArray(categories) || categories.length === 0) {
    throw new RangeError(
      `Cannot build barFigure: expected at least one category, received ${String(categories)}`,
    );
  }
  if (!Array.isArray(series) || series.length === 0) {
    throw new RangeError(
      `Cannot build barFigure: expected at least one series, received ${String(series)}`,
    );
  }
  const data = series.map((s, i) => {
    const values = finiteValues("barFigure", s.name, "values", s.values);
    if (values.length !== categories.length) {
      throw new RangeError(
        `Cannot build barFigure: series "${s.name}" has ${values.length} values for ${categories.length} categories`,
      );
    }
    const trace: Record<string, unknown> & { type: string } = {
      type: "bar",
      name: s.name,
      x: [...categories],
      y: values,
      marker: { color: seriesColor(i) },
    };
    if (s.errors !== undefined) {
      const errors = finiteValues("barFigure", s.name, "errors", s.errors);
      const negative = errors.findIndex((e) => e < 0);
      if (errors.length !== categories.length || negative >= 0) {
        throw new RangeError(
          `Cannot build barFigure: errors of series "${s.name}" must be ${categories.length} values ≥ 0, received [${
            errors.join(", ")
          }]`,
        );
      }
      trace.error_y = { type: "data", array: errors, visible: true };
    }
    return trace;
  });
  return { data, layout: baseLayout(options, { barmode: "group" }) };
}
