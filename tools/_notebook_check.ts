// Checking executed notebooks: no error outputs, every cell ran, every plot cell kept its figure
// (the Deno kernel can drop outputs while nbclient still exits 0).

/** The MIME type every plot cell's output must carry. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** The cell tag that marks a plot cell (alternatively a first source line `// @plot`). */
export const PLOT_TAG = "plot";

/** What is wrong with one cell. */
export interface CellProblem {
  /** The cell's index in the notebook. */
  readonly cell: number;
  /** `error`: an error output; `missing-plot`: a plot cell without a Plotly output;
   * `not-executed`: a code cell that did not run. */
  readonly kind: "error" | "missing-plot" | "not-executed";
  /** A readable description. */
  readonly message: string;
}

/** The result of {@linkcode checkNotebook}. */
export interface NotebookCheck {
  /** How many code cells the notebook has. */
  readonly codeCells: number;
  /** How many of them are plot cells. */
  readonly plotCells: number;
  /** Every problem found (empty: the notebook passed). */
  readonly problems: readonly CellProblem[];
}

interface Cell {
  cell_type?: unknown;
  source?: unknown;
  metadata?: { tags?: unknown };
  outputs?: unknown;
  execution_count?: unknown;
}

interface Output {
  output_type?: unknown;
  data?: Record<string, unknown>;
  ename?: unknown;
  evalue?: unknown;
}

function sourceText(cell: Cell): string {
  const s = cell.source;
  return Array.isArray(s) ? s.join("") : typeof s === "string" ? s : "";
}

/**
 * Whether a cell is a plot cell: tagged `plot`, or a code cell whose first line is `// @plot`.
 *
 * @param cell An nbformat cell.
 * @returns True for plot cells.
 */
export function isPlotCell(cell: unknown): boolean {
  const c = cell as Cell;
  if (c?.cell_type !== "code") return false;
  const tags = c.metadata?.tags;
  if (Array.isArray(tags) && tags.includes(PLOT_TAG)) return true;
  return sourceText(c).trimStart().split("\n")[0]?.trim() === "// @plot";
}

/**
 * Checks an executed nbformat-4 notebook.
 *
 * @param notebook The parsed notebook JSON.
 * @returns Counts and problems.
 */
export function checkNotebook(notebook: unknown): NotebookCheck {
  const nb = notebook as { nbformat?: unknown; cells?: unknown };
  if (nb === null || typeof nb !== "object" || nb.nbformat !== 4 || !Array.isArray(nb.cells)) {
    throw new TypeError(
      `Cannot check a notebook: expected nbformat 4 JSON with a cells array, received nbformat ${
        String(nb?.nbformat)
      }`,
    );
  }
  const problems: CellProblem[] = [];
  let codeCells = 0;
  let plotCells = 0;
  (nb.cells as Cell[]).forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    codeCells += 1;
    const outputs = (Array.isArray(cell.outputs) ? cell.outputs : []) as Output[];
    const first = sourceText(cell).trim().split("\n")[0] ?? "";
    if (sourceText(cell).trim() !== "" && typeof cell.execution_count !== "number") {
      problems.push({ cell: index, kind: "not-executed", message: `cell ${index} did not run` });
    }
    for (const out of outputs) {
      if (out.output_type === "error") {
        problems.push({
          cell: index,
          kind: "error",
          message: `cell ${index} (${first.slice(0, 60)}) raised ${String(out.ename)}: ${
            String(out.evalue).split("\n")[0]
          }`,
        });
      }
    }
    if (isPlotCell(cell)) {
      plotCells += 1;
      const hasPlot = outputs.some((o) =>
        (o.output_type === "display_data" || o.output_type === "execute_result") &&
        o.data !== undefined && typeof o.data[PLOTLY_MIME] === "object" &&
        o.data[PLOTLY_MIME] !== null
      );
      if (!hasPlot) {
        problems.push({
          cell: index,
          kind: "missing-plot",
          message: `plot cell ${index} (${first.slice(0, 60)}) has no ${PLOTLY_MIME} output`,
        });
      }
    }
  });
  return { codeCells, plotCells, problems };
}
