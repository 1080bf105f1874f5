/**
 * Self-contained offline HTML reports: headings, text (with `$…$` formulas rendered to MathML),
 * figures and tables on one page, with plotly.js inlined once (packed, see `plotly_loader.ts`).
 *
 * @module
 */
import { writeFileAtomic } from "../train/atomic_file.ts";
import { figureHtml, newDivId } from "./bundle.ts";
import type { Figure } from "./figure.ts";
import { textWithMathToHtml } from "./math.ts";
import { packScript, plotlyLoader, plotlyLoaderHtml } from "./plotly_loader.ts";
import { type TableColumn, tableHtml, type TableRow } from "./table.ts";
import { escapeHtml } from "./html_escape.ts";

/** One section of a report; every part is optional, shown in the order below. */
export interface ReportSection {
  /** A heading. */
  readonly heading?: string;
  /** Plain text; blank lines separate paragraphs; `$…$` and `$$…$$` are formulas (TeX). */
  readonly text?: string;
  /** A figure. */
  readonly figure?: Figure;
  /** A table. */
  readonly table?: { readonly rows: readonly TableRow[]; readonly columns: readonly TableColumn[] };
}

/** Options of {@linkcode reportHtml}. */
export interface ReportOptions {
  /** The page title. */
  readonly title: string;
  /** plotly.js's source (default: the pinned package's). */
  readonly plotlyJs?: string;
}

/**
 * Builds a self-contained HTML page (no external scripts, styles or fonts).
 *
 * @param sections The sections, in order.
 * @param options Title, optional plotly.js source.
 * @returns The page.
 * @example
 * ```ts
 * import { reportHtml } from "@loradrop/core/viz";
 * import { lineFigure } from "@loradrop/core/viz";
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 * const page = await reportHtml([
 *   { heading: "Loss", text: "The loss $L$.", figure: lineFigure([{ name: "train", y: [2, 1] }]) },
 *   { table: { rows: [{ run: "a", acc: 0.9 }], columns: ["run", "acc"] } },
 * ], { title: "Run" });
 * assertStringIncludes(page, "Plotly.newPlot");
 * assertStringIncludes(page, "The loss <math>");
 * assertEquals(page.includes('src="http'), false);
 * ```
 */
export async function reportHtml(
  sections: readonly ReportSection[],
  options: ReportOptions,
): Promise<string> {
  if (!Array.isArray(sections)) {
    throw new TypeError(
      `Cannot build a report: sections must be an array, received ${String(sections)}`,
    );
  }
  if (typeof options?.title !== "string" || options.title.length === 0) {
    throw new TypeError(
      `Cannot build a report: title must be a non-empty string, received ${String(options?.title)}`,
    );
  }
  const body = sections.map((section) => {
    const parts: string[] = [];
    if (section.heading !== undefined) parts.push(`<h2>${escapeHtml(section.heading)}</h2>`);
    if (section.text !== undefined) {
      for (const p of section.text.split(/\n\s*\n/)) {
        parts.push(`<p>${textWithMathToHtml(p.trim())}</p>`);
      }
    }
    if (section.figure !== undefined) parts.push(figureHtml(section.figure, newDivId()));
    if (section.table !== undefined) {
      parts.push(tableHtml(section.table.rows, section.table.columns));
    }
    return `<section>\n${parts.join("\n")}\n</section>`;
  }).join("\n");
  const page = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(options.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font-family: sans-serif; max-width: 1000px; margin: 2em auto; color: #222; }
table.loradrop-table { border-collapse: collapse; margin: 1em 0; }
table.loradrop-table td, table.loradrop-table th { border: 1px solid #ccc; padding: 4px 8px; }
</style>
</head>
<body>
<h1>${escapeHtml(options.title)}</h1>
${body}
</body>
</html>
`;
  const loader = options.plotlyJs === undefined
    ? await plotlyLoader()
    : plotlyLoaderHtml(await packScript(options.plotlyJs));
  return page.replace("</head>", () => `${loader}\n</head>`);
}

/**
 * Writes {@linkcode reportHtml}'s page to a file, atomically (a temporary sibling renamed over
 * it): an interrupted write or a full disk leaves the previous report whole.
 *
 * @param path The output file.
 * @param sections The sections.
 * @param options Title, optional plotly.js source.
 * @returns Nothing; the file is written.
 * @example
 * ```ts
 * import { writeReportHtml } from "@loradrop/core/viz";
 * import { assertStringIncludes } from "@std/assert";
 * const path = await Deno.makeTempFile({ suffix: ".html" });
 * await writeReportHtml(path, [{ text: "hello" }], { title: "T", plotlyJs: "var Plotly = {};" });
 * assertStringIncludes(await Deno.readTextFile(path), "<p>hello</p>");
 * await Deno.remove(path);
 * ```
 */
export async function writeReportHtml(
  path: string,
  sections: readonly ReportSection[],
  options: ReportOptions,
): Promise<void> {
  await writeFileAtomic(path, await reportHtml(sections, options));
}
