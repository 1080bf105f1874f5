/**
 * Formulas without a network: TeX between `$…$` (inline) and `$$…$$` (display) is turned into
 * MathML when a page is built (with `temml`), so it shows in any current browser without MathJax
 * or KaTeX loaded from a CDN. The TeX stays in each formula's
 * `<annotation encoding="application/x-tex">`.
 *
 * Notebooks keep their TeX (JupyterLab, VS Code and GitHub typeset it themselves, and JupyterLab's
 * sanitizer strips MathML from markdown); their HTML exports get it typeset by
 * `math_loader.ts`.
 *
 * @module
 */
// A full npm specifier, so that the module also loads where no import map names temml.
import temml from "npm:temml@0.13.5";
import { escapeHtml } from "./html_escape.ts";

/** One piece of a text split by {@linkcode splitMath}. */
export interface MathPiece {
  /** `text`: plain text; `inline`: `$…$`; `display`: `$$…$$`; `code`: a markdown code span or fence. */
  readonly kind: "text" | "inline" | "display" | "code";
  /** The piece's text (for math: the TeX between the delimiters, trimmed). */
  readonly value: string;
}

/**
 * Renders TeX to a MathML `<math>` element.
 *
 * @param tex The TeX source.
 * @param options `display: true` for a display (block) formula.
 * @returns The MathML text, on one line.
 * @example
 * ```ts
 * import { texToMathml } from "@loradrop/core/viz";
 * import { assertStringIncludes, assertThrows } from "@std/assert";
 * assertStringIncludes(texToMathml("\\frac{a}{b}"), "<mfrac><mi>a</mi><mi>b</mi></mfrac>");
 * assertStringIncludes(texToMathml("x", { display: true }), 'display="block"');
 * assertThrows(() => texToMathml("\\frac{"), SyntaxError, "\\frac{");
 * ```
 */
export function texToMathml(tex: string, options: { readonly display?: boolean } = {}): string {
  if (typeof tex !== "string" || tex.trim() === "") {
    throw new TypeError(`Cannot render TeX: expected a non-empty formula, received "${tex}"`);
  }
  try {
    return temml.renderToString(tex, {
      displayMode: options.display ?? false,
      annotate: true,
      throwOnError: true,
    }).replaceAll("\n", " ");
  } catch (error) {
    throw new SyntaxError(`Cannot render TeX "${tex}": ${(error as Error).message.trim()}`);
  }
}

/**
 * Splits text into plain pieces and `$…$` / `$$…$$` formulas. A `$` preceded by a backslash is
 * text; an inline formula starts at a `$` not followed by a space and ends at the next `$` not
 * preceded by a space, on the same or the next line. With `markdown: true`, code spans and fenced
 * code blocks are kept whole (`code` pieces) and never searched for formulas.
 *
 * @param text The text.
 * @param options Whether the text is markdown.
 * @returns The pieces, in order; joined back they give the text (delimiters aside).
 * @example
 * ```ts
 * import { splitMath } from "@loradrop/core/viz";
 * import { assertEquals, assertThrows } from "@std/assert";
 * assertEquals(splitMath("a $x$ b $$y$$"), [
 *   { kind: "text", value: "a " }, { kind: "inline", value: "x" },
 *   { kind: "text", value: " b " }, { kind: "display", value: "y" },
 * ]);
 * assertEquals(splitMath("`$x$` costs \\$5", { markdown: true }).map((p) => p.kind), ["code", "text"]);
 * assertThrows(() => splitMath("an open $x formula"), SyntaxError, "unclosed");
 * ```
 */
export function splitMath(
  text: string,
  options: { readonly markdown?: boolean } = {},
): MathPiece[] {
  const pieces: MathPiece[] = [];
  let plain = "";
  const flush = () => {
    if (plain !== "") pieces.push({ kind: "text", value: plain });
    plain = "";
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const lineStart = i === 0 || text[i - 1] === "\n";
    if (options.markdown && lineStart && /^ {0,3}(```|~~~)/.test(text.slice(i, i + 6))) {
      const fence = text.slice(i).trimStart().slice(0, 3);
      const close = text.indexOf(`\n${fence}`, i + 3);
      const endLine = close < 0 ? text.length : text.indexOf("\n", close + 1);
      const end = endLine < 0 ? text.length : endLine;
      flush();
      pieces.push({ kind: "code", value: text.slice(i, end) });
      i = end;
      continue;
    }
    if (options.markdown && c === "`") {
      const run = /^`+/.exec(text.slice(i))![0];
      const close = text.indexOf(run, i + run.length);
      if (close >= 0) {
        flush();
        pieces.push({ kind: "code", value: text.slice(i, close + run.length) });
        i = close + run.length;
        continue;
      }
    }
    if (c === "\\" && text[i + 1] === "$") {
      plain += options.markdown ? "\\$" : "$";
      i += 2;
      continue;
    }
    if (c === "$" && text[i + 1] === "$") {
      const close = text.indexOf("$$", i + 2);
      if (close < 0) throw unclosed(text, i, "$$");
      flush();
      pieces.push({ kind: "display", value: text.slice(i + 2, close).trim() });
      i = close + 2;
      continue;
    }
    if (c === "$" && text[i + 1] !== undefined && !/\s/.test(text[i + 1]!)) {
      let j = i + 1;
      let newlines = 0;
      while (j < text.length) {
        if (text[j] === "\\") j += 2;
        else if (text[j] === "$") break;
        else {
          if (text[j] === "\n" && ++newlines > 1) break;
          j += 1;
        }
      }
      if (j >= text.length || text[j] !== "$" || /\s/.test(text[j - 1]!)) {
        throw unclosed(text, i, "$");
      }
      flush();
      pieces.push({ kind: "inline", value: text.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    plain += c;
    i += 1;
  }
  flush();
  return pieces;
}

function unclosed(text: string, at: number, delimiter: string): SyntaxError {
  return new SyntaxError(
    `Cannot split formulas: unclosed ${delimiter} at character ${at} in "${
      text.slice(Math.max(0, at - 30), at + 30)
    }" (write \\$ for a dollar sign)`,
  );
}

/**
 * Turns plain text with `$…$` formulas into HTML: the text escaped, the formulas as MathML.
 *
 * @param text Plain text.
 * @returns HTML.
 * @example
 * ```ts
 * import { textWithMathToHtml } from "@loradrop/core/viz";
 * import { assertStringIncludes } from "@std/assert";
 * const html = textWithMathToHtml("a <b> with $p = 0.1$");
 * assertStringIncludes(html, "a &lt;b&gt; with <math>");
 * ```
 */
export function textWithMathToHtml(text: string): string {
  return splitMath(text).map((p) =>
    p.kind === "text" || p.kind === "code"
      ? escapeHtml(p.value)
      : texToMathml(p.value, { display: p.kind === "display" })
  ).join("");
}
