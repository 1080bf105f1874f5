/**
 * Escaping text for HTML element content and quoted attribute values.
 *
 * @module
 */

/**
 * Escapes `&`, `<`, `>` and `"` so that text stays text in HTML.
 *
 * @param text Any text.
 * @returns The escaped text.
 * @example
 * ```ts
 * import { escapeHtml } from "./html_escape.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(escapeHtml('<a href="x">&</a>'), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}
