/**
 * Live figures: one display that is redrawn in place (Jupyter `display_id` updates) while a
 * loop appends points, e.g. training curves.
 *
 * @module
 */
import { figureBundle, figureText } from "./bundle.ts";
import {
  defaultDisplayTarget,
  displayBundle,
  type DisplayOptions,
  ensurePlotlyJs,
} from "./display.ts";
import type { Figure, PlotlyTrace } from "./figure.ts";

/** Options of {@linkcode liveFigure}. */
export interface LiveFigureOptions extends Omit<DisplayOptions, "update"> {
  /** Redraw at most this often while points arrive (default 1000 ms); `flush` always redraws. */
  readonly minIntervalMs?: number;
  /** The clock, in milliseconds (default `Date.now`). */
  readonly now?: () => number;
}

/** A figure shown once and then redrawn in place. */
export interface LiveFigure {
  /** The display id of the figure's output. */
  readonly displayId: string;
  /** The current figure (a copy). */
  figure(): Figure;
  /**
   * Appends a point to a line/scatter series and redraws when `minIntervalMs` has passed.
   *
   * @param series The series' index or name.
   * @param x The x value.
   * @param y The y value.
   */
  push(series: number | string, x: number, y: number): Promise<void>;
  /**
   * Replaces the whole figure and redraws.
   *
   * @param figure The new figure.
   */
  set(figure: Figure): Promise<void>;
  /** Redraws now (outside Jupyter: prints the text summary). */
  flush(): Promise<void>;
}

interface MutableTrace extends PlotlyTrace {
  x?: unknown;
  y?: unknown;
}

/**
 * Shows a figure and returns a handle that appends points and redraws it in place.
 *
 * @param initial The figure to start from (series may be empty: `x: [], y: []`).
 * @param options Redraw interval, display target, clock.
 * @returns The live figure.
 * @example
 * ```ts
 * import { liveFigure } from "@loradrop/core/viz";
 * import { assertEquals } from "@std/assert";
 * const calls: { update?: boolean }[] = [];
 * const target = { display: (_b: unknown, o: { update?: boolean }) => void calls.push(o), print: () => {} };
 * const fig = { data: [{ type: "scatter", name: "loss", x: [], y: [] }], layout: {} };
 * const live = await liveFigure(fig, { target, settleMs: 0, minIntervalMs: 0 });
 * await live.push("loss", 0, 1.5);
 * await live.push(0, 1, 1.2);
 * assertEquals(live.figure().data[0]?.y, [1.5, 1.2]);
 * // The plotly.js loader, the figure, two redraws in place.
 * assertEquals(calls.map((c) => c.update ?? false), [false, false, true, true]);
 * ```
 */
export async function liveFigure(
  initial: Figure,
  options: LiveFigureOptions = {},
): Promise<LiveFigure> {
  const minIntervalMs = options.minIntervalMs ?? 1000;
  if (!Number.isFinite(minIntervalMs) || minIntervalMs < 0) {
    throw new RangeError(
      `Cannot make a live figure: minIntervalMs must be a non-negative number, received ${minIntervalMs}`,
    );
  }
  const now = options.now ?? Date.now;
  const target = options.target ?? defaultDisplayTarget();
  let current = structuredClone(initial) as { data: MutableTrace[]; layout: Figure["layout"] };
  const base = {
    target,
    ...(options.settleMs === undefined ? {} : { settleMs: options.settleMs }),
  };
  await ensurePlotlyJs(base);
  const displayId = await displayBundle(figureBundle(current), {
    ...base,
    ...(options.displayId === undefined ? {} : { displayId: options.displayId }),
  });
  let last = now();

  const redraw = async () => {
    last = now();
    if (target.display === undefined) return;
    await displayBundle(figureBundle(current), { ...base, displayId, update: true });
  };

  const traceOf = (series: number | string): MutableTrace => {
    const trace = typeof series === "number"
      ? current.data[series]
      : current.data.find((t) => t.name === series);
    if (trace === undefined || !Array.isArray(trace.x) || !Array.isArray(trace.y)) {
      throw new RangeError(
        `Cannot push to a live figure: no series ${JSON.stringify(series)} with x and y arrays ` +
          `(series: ${current.data.map((t, i) => t.name ?? i).join(", ")})`,
      );
    }
    return trace;
  };

  return {
    displayId,
    figure: () => structuredClone(current),
    async push(series, x, y) {
      const trace = traceOf(series);
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        throw new RangeError(
          `Cannot push to a live figure: x and y must be finite, received (${x}, ${y}) for series ${
            JSON.stringify(series)
          }`,
        );
      }
      (trace.x as number[]).push(x);
      (trace.y as number[]).push(y);
      if (now() - last >= minIntervalMs) await redraw();
    },
    async set(figure) {
      figureBundle(figure); // validates
      current = structuredClone(figure) as typeof current;
      await redraw();
    },
    async flush() {
      if (target.display === undefined) {
        target.print(figureText(current));
        return;
      }
      await redraw();
    },
  };
}
