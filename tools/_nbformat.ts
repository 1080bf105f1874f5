// Writing nbformat-4 notebooks from code (private helper of the notebook builders).

/** An nbformat-4 cell. */
export interface NotebookCell {
  readonly cell_type: "markdown" | "code";
  readonly id: string;
  readonly metadata: { readonly tags?: readonly string[] };
  readonly source: readonly string[];
  readonly outputs?: readonly unknown[];
  readonly execution_count?: null;
}

function lines(text: string): string[] {
  const trimmed = text.replace(/^\n+/, "").replace(/\s+$/, "");
  const parts = trimmed.split("\n");
  return parts.map((l, i) => (i < parts.length - 1 ? `${l}\n` : l));
}

let counter = 0;
function nextId(prefix: string): string {
  counter += 1;
  return `${prefix}-${String(counter).padStart(2, "0")}`;
}

/**
 * Cell text as written: raw, except that "\`" and "\${" become "`" and "${" (so a cell may hold
 * both, and LaTeX). Use as a tag: `` md(t`...`) ``.
 */
export function t(strings: TemplateStringsArray, ...values: unknown[]): string {
  return String.raw(strings, ...values).replaceAll("\\`", "`").replaceAll("\\${", "${");
}

/** A markdown cell. */
export function md(text: string): NotebookCell {
  return { cell_type: "markdown", id: nextId("md"), metadata: {}, source: lines(text) };
}

/** A code cell; `plot: true` tags it `plot` (the pipeline then requires a Plotly output). */
export function code(text: string, options: { plot?: boolean } = {}): NotebookCell {
  return {
    cell_type: "code",
    id: nextId("code"),
    metadata: options.plot ? { tags: ["plot"] } : {},
    source: lines(text),
    outputs: [],
    execution_count: null,
  };
}

/** A whole notebook for the Deno kernel, as JSON text. */
export function notebookJson(cells: readonly NotebookCell[]): string {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "deno", display_name: "Deno", language: "typescript" },
      language_info: {
        name: "typescript",
        file_extension: ".ts",
        mimetype: "text/x.typescript",
        codemirror_mode: "typescript",
        pygments_lexer: "typescript",
        nbconvert_exporter: "script",
      },
    },
    cells,
  };
  return `${JSON.stringify(nb, null, 1)}\n`;
}
