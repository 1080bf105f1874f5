/**
 * Formulas in notebook HTML exports without a network. `jupyter nbconvert --to html` leaves the
 * notebook's `$…$` and `$$…$$` as text for MathJax, which its page loads from a CDN; offline they
 * stay raw TeX. The notebook's loader output (sent before the kernel's first figure, see
 * `display.ts`) therefore also carries `temml` (packed like plotly.js, ~60 kB) and a script that,
 * on such a page only — an nbconvert export (`<body class="jp-Notebook">`) where MathJax did not
 * load — typesets the markdown cells' formulas as MathML. JupyterLab, Notebook 7 and VS Code
 * typeset the TeX themselves and are left alone.
 *
 * @module
 */
import { createRequire } from "node:module";
import { packScript } from "./plotly_loader.ts";

/** The class of the elements that hold a formula typeset by the loader. */
export const MATH_CLASS = "loradrop-math";

/**
 * The loader's HTML for formulas, from packed temml source.
 *
 * @param packedTemml `temml.min.js` as `packScript` returns it.
 * @returns The HTML text (a script).
 * @example
 * ```ts
 * import { mathLoaderHtml } from "@loradrop/core/viz";
 * import { packScript } from "@loradrop/core/viz";
 * import { assertStringIncludes, assertThrows } from "@std/assert";
 * const html = mathLoaderHtml(await packScript("var temml = {};"));
 * assertStringIncludes(html, "jp-RenderedMarkdown");
 * assertThrows(() => mathLoaderHtml("?"), TypeError);
 * ```
 */
export function mathLoaderHtml(packedTemml: string): string {
  if (typeof packedTemml !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(packedTemml)) {
    throw new TypeError(
      `Cannot build the formula loader: expected base64 text from packScript, received ${
        typeof packedTemml === "string" ? `${packedTemml.length} characters` : packedTemml
      }`,
    );
  }
  return `<script type="text/javascript">
(function () {
  var w = window;
  if (w.loradropMathDone) return;
  w.loradropMathDone = true;
  var packed = "${packedTemml}";
  async function typeset() {
    // Only an nbconvert export whose MathJax did not load (offline); elsewhere TeX is typeset.
    if (!document.body || !document.body.classList.contains("jp-Notebook") || w.MathJax) return;
    var raw = atob(packed);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    var source = await new Response(stream).text();
    var temml = new Function("module", "exports", "define", source + "\\nreturn temml;")();
    var formula = /\\$\\$([\\s\\S]+?)\\$\\$|\\$([^\\s$](?:[^$]*?[^\\s$\\\\])?)\\$/g;
    document.querySelectorAll(".jp-RenderedMarkdown").forEach(function (cell) {
      var walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      var nodes = [];
      while (walker.nextNode()) {
        var n = walker.currentNode;
        if (!n.parentElement.closest("code, pre, script, style") && n.nodeValue.indexOf("$") >= 0) nodes.push(n);
      }
      nodes.forEach(function (node) {
        var text = node.nodeValue, last = 0, m, out = document.createDocumentFragment();
        formula.lastIndex = 0;
        while ((m = formula.exec(text)) !== null) {
          out.appendChild(document.createTextNode(text.slice(last, m.index)));
          var span = document.createElement("span");
          span.className = "${MATH_CLASS}";
          try {
            temml.render(m[1] !== undefined ? m[1] : m[2], span, { displayMode: m[1] !== undefined, annotate: true });
          } catch (e) {
            span.textContent = m[0];
          }
          out.appendChild(span);
          last = formula.lastIndex;
        }
        if (last === 0) return;
        out.appendChild(document.createTextNode(text.slice(last)));
        node.parentNode.replaceChild(out, node);
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", typeset);
  else typeset();
})();
</script>`;
}

let cached: Promise<string> | undefined;

/**
 * The formula loader for the pinned `temml` (read and packed once per process).
 *
 * @returns The HTML text.
 * @example
 * ```ts
 * import { mathLoader } from "@loradrop/core/viz";
 * import { assert } from "@std/assert";
 * const html = await mathLoader();
 * assert(html.length > 10_000 && html.length < 200_000);
 * ```
 */
export function mathLoader(): Promise<string> {
  cached ??= (async () => {
    const path = createRequire(import.meta.url).resolve("temml/dist/temml.min.js");
    return mathLoaderHtml(await packScript(await Deno.readTextFile(path)));
  })();
  cached.catch(() => cached = undefined);
  return cached;
}
