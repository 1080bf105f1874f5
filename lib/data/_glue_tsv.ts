// Readers for GLUE's own TSV files (gluebenchmark.com's download): tab-separated, no quoting.
import type { Example } from "./example.ts";

/** How one GLUE task's TSV lays out its columns. */
export interface TsvLayout {
  /** Header-less files (CoLA): the column indices of text and label. */
  readonly noHeader?: { readonly columns: number; readonly text: number; readonly label: number };
  /** Files with a header: the column names of text, text pair and label. */
  readonly text?: string;
  readonly textPair?: string;
  readonly label?: string;
}

/** Splits a TSV file into lines of fields; no quoting (GLUE's readers use QUOTE_NONE). */
function rows(content: string): string[][] {
  const text = content.startsWith("\ufeff") ? content.slice(1) : content;
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines.map((l) => l.split("\t"));
}

/**
 * Parses one GLUE TSV file into examples.
 *
 * @param content The file's text.
 * @param layout The task's column layout.
 * @param parseLabel Turns a label cell into a number, or returns an error reason.
 * @param where The task and file, for messages.
 */
export function parseGlueTsv(
  content: string,
  layout: TsvLayout,
  parseLabel: (cell: string) => number | string,
  where: string,
): Example[] {
  const all = rows(content);
  const out: Example[] = [];
  let text: number, pair: number | undefined, label: number, columns: number, first: number;
  if (layout.noHeader) {
    ({ text, label, columns } = layout.noHeader);
    first = 0;
  } else {
    const header = all[0];
    if (header === undefined) throw new Error(`Cannot load GLUE ${where}: the file is empty`);
    const find = (name: string | undefined) => {
      const i = name === undefined ? -1 : header.indexOf(name);
      if (i < 0) {
        throw new Error(
          `Cannot load GLUE ${where}: the header has no column "${name}", received [${
            header.join(", ")
          }]`,
        );
      }
      return i;
    };
    text = find(layout.text);
    pair = layout.textPair === undefined ? undefined : find(layout.textPair);
    label = find(layout.label);
    columns = header.length;
    first = 1;
  }
  for (let r = first; r < all.length; r++) {
    const fields = all[r]!;
    const line = r + 1;
    if (fields.length !== columns) {
      throw new Error(
        `Cannot load GLUE ${where}: line ${line} has ${fields.length} tab-separated fields, expected ${columns}`,
      );
    }
    const value = parseLabel(fields[label]!.trim());
    if (typeof value === "string") {
      throw new Error(`Cannot load GLUE ${where}: line ${line}: ${value}`);
    }
    const t = fields[text]!;
    if (t.trim() === "") {
      throw new Error(`Cannot load GLUE ${where}: line ${line} has an empty text`);
    }
    out.push(
      pair === undefined ? { text: t, label: value } : {
        text: t,
        textPair: fields[pair]!,
        label: value,
      },
    );
  }
  return out;
}
