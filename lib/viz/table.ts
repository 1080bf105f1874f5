/**
 * Tables: one description of rows and columns rendered three ways (a Plotly table trace, HTML,
 * aligned plain text), e.g. the notebooks' "paper vs here" tables.
 *
 * @module
 */
import { baseLayout, type Figure, type FigureOptions } from "./figure.ts";
import { escapeHtml } from "./html_escape.ts";

/** A table cell: text, a number, or empty. */
export type TableCell = string | number | null | undefined;

/** A table row: cells by column key. */
export type TableRow = Readonly<Record<string, TableCell>>;

/** A column: its key in the rows, or the key plus a header label and number formatting. */
export type TableColumn = string | {
  /** The key of the cell in each row. */
  readonly key: string;
  /** The header (default: the key). */
  readonly label?: string;
  /** Digits after the decimal point for numbers (default: up to 6 significant digits). */
  readonly digits?: number;
};

/** A table after formatting: header labels and rows of cell texts. */
export interface FormattedTable {
  /** The header labels. */
  readonly header: readonly string[];
  /** The cell texts, row by row. */
  readonly cells: readonly (readonly string[])[];
}

/**
 * Formats rows into cell texts (numbers rounded, missing cells empty).
 *
 * @param rows The rows.
 * @param columns The columns, in display order (at least one).
 * @returns Header labels and cell texts.
 * @example
 * ```ts
 * import { formatTable } from "@loradrop/core/viz";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const t = formatTable([{ task: "RTE", acc: 0.71234 }], ["task", { key: "acc", digits: 2 }]);
 * assertEquals(t.cells, [["RTE", "0.71"]]);
 * assertThrows(() => formatTable([{ acc: NaN }], ["acc"]), RangeError);
 * ```
 */
export function formatTable(
  rows: readonly TableRow[],
  columns: readonly TableColumn[],
): FormattedTable {
  if (!Array.isArray(rows)) {
    throw new TypeError(`Cannot format a table: rows must be an array, received ${String(rows)}`);
  }
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new RangeError(
      `Cannot format a table: expected at least one column, received ${String(columns)}`,
    );
  }
  const cols = columns.map((c) => typeof c === "string" ? { key: c } : c);
  for (const c of cols) {
    if (c.digits !== undefined && (!Number.isInteger(c.digits) || c.digits < 0 || c.digits > 20)) {
      throw new RangeError(
        `Cannot format a table: digits of column "${c.key}" must be an integer in [0, 20], received ${c.digits}`,
      );
    }
  }
  const header = cols.map((c) => c.label ?? c.key);
  const cells = rows.map((row, r) =>
    cols.map((c) => {
      const v = row[c.key];
      if (v === null || v === undefined) return "";
      if (typeof v === "string") return v;
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new RangeError(
          `Cannot format a table: cell "${c.key}" of row ${r} must be a finite number or text, received ${
            String(v)
          }`,
        );
      }
      return c.digits !== undefined ? v.toFixed(c.digits) : String(Number(v.toPrecision(6)));
    })
  );
  return { header, cells };
}

/**
 * A Plotly table trace.
 *
 * @param rows The rows.
 * @param columns The columns.
 * @param options Title and size.
 * @returns A Plotly figure holding one `table` trace.
 * @example
 * ```ts
 * import { tableFigure } from "@loradrop/core/viz";
 * import { assertEquals } from "@std/assert";
 * const fig = tableFigure([{ a: 1, b: "x" }, { a: 2, b: "y" }], ["a", "b"]);
 * assertEquals(fig.data[0]?.type, "table");
 * assertEquals((fig.data[0]?.cells as { values: string[][] }).values, [["1", "2"], ["x", "y"]]);
 * ```
 */
export function tableFigure(
  rows: readonly TableRow[],
  columns: readonly TableColumn[],
  options: FigureOptions = {},
): Figure {
  const t = formatTable(rows, columns);
  // Plotly's table takes its cell values column by column.
  const byColumn = t.header.map((_, j) => t.cells.map((row) => row[j]!));
  const top = options.title === undefined ? 10 : 50;
  // Plotly sizes table rows to about 28-30 px: leave room for the header and every row.
  const height = options.height ?? Math.min(1000, top + 20 + 32 * (rows.length + 1));
  const layout = baseLayout({ ...options, height });
  return {
    data: [{
      type: "table",
      header: { values: [...t.header], align: "left", font: { size: 13 } },
      cells: { values: byColumn, align: "left" },
    }],
    layout: { ...layout, margin: { l: 10, r: 10, t: top, b: 10 } },
  };
}

/**
 * An HTML `<table>` (cell texts escaped).
 *
 * @param rows The rows.
 * @param columns The columns.
 * @returns The HTML text.
 * @example
 * ```ts
 * import { tableHtml } from "@loradrop/core/viz";
 * import { assertStringIncludes } from "@std/assert";
 * const html = tableHtml([{ name: "<b>", v: 1 }], ["name", "v"]);
 * assertStringIncludes(html, "<td>&lt;b&gt;</td>");
 * ```
 */
export function tableHtml(rows: readonly TableRow[], columns: readonly TableColumn[]): string {
  const t = formatTable(rows, columns);
  const head = t.header.map((h) => `<th style="text-align:left">${escapeHtml(h)}</th>`).join("");
  const body = t.cells.map((row) =>
    `<tr>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`
  )
    .join("\n");
  return `<table class="loradrop-table">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/**
 * An aligned plain-text table.
 *
 * @param rows The rows.
 * @param columns The columns.
 * @returns The text, one line per row after a header and a rule.
 * @example
 * ```ts
 * import { tableText } from "@loradrop/core/viz";
 * import { assertEquals } from "@std/assert";
 * assertEquals(tableText([{ a: "x", b: 10 }], ["a", "b"]), "a  b \n-  --\nx  10");
 * ```
 */
export function tableText(rows: readonly TableRow[], columns: readonly TableColumn[]): string {
  const t = formatTable(rows, columns);
  const widths = t.header.map((h, j) =>
    t.cells.reduce((m, r) => Math.max(m, r[j]!.length), h.length)
  );
  const line = (cells: readonly string[]) => cells.map((c, j) => c.padEnd(widths[j]!)).join("  ");
  return [line(t.header), widths.map((w) => "-".repeat(w)).join("  "), ...t.cells.map(line)]
    .join("\n");
}
