/**
 * Writes report tables as CSV (RFC 4180 quoting).
 *
 * @module
 */
import type { TableColumn, TableRow } from "../../viz/table.ts";

function quote(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * A table as CSV text with a header line.
 *
 * @param rows The rows.
 * @param columns The columns (keys or `{key, label}`).
 * @returns CSV text ending with a newline.
 * @example
 * ```ts
 * import { tableCsv } from "./csv.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(tableCsv([{ a: "x,y", b: 2 }], ["a", "b"]), 'a,b\n"x,y",2\n');
 * ```
 */
export function tableCsv(rows: readonly TableRow[], columns: readonly TableColumn[]): string {
  const keys = columns.map((c) => typeof c === "string" ? c : c.key);
  const labels = columns.map((c) => typeof c === "string" ? c : c.label ?? c.key);
  const lines = [labels.map(quote).join(",")];
  for (const row of rows) {
    lines.push(
      keys.map((k) => quote(row[k] === undefined || row[k] === null ? "" : String(row[k]))).join(
        ",",
      ),
    );
  }
  return lines.join("\n") + "\n";
}
