/**
 * Figures and display: Plotly figure builders, Deno Jupyter display bundles that load their own
 * plotly.js, live (in-place) figures, formulas as MathML and self-contained offline HTML reports.
 *
 * @example
 * ```ts
 * import { displayFigure, lineFigure } from "@loradrop/core/viz";
 * import { assertEquals } from "@std/assert";
 * const printed: string[] = [];
 * await displayFigure(lineFigure([{ name: "loss", y: [1, 0.5] }]), {
 *   target: { print: (t) => printed.push(t) },
 * });
 * assertEquals(printed.length, 1);
 * ```
 *
 * @module
 */
export * from "./figure.ts";
export * from "./line.ts";
export * from "./scatter.ts";
export * from "./bar.ts";
export * from "./heatmap.ts";
export * from "./forest.ts";
export * from "./table.ts";
export * from "./bundle.ts";
export * from "./display.ts";
export * from "./live.ts";
export * from "./plotly_js.ts";
export * from "./plotly_loader.ts";
export * from "./math.ts";
export * from "./math_loader.ts";
export * from "./report.ts";
