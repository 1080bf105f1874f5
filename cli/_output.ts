/**
 * Where a command's output goes: human messages on stderr (colour only on a terminal and never
 * with `NO_COLOR`), machine output (a JSON summary, a file list) on stdout, and progress as a bar
 * on a terminal or as a line every few seconds otherwise (logs, CI, pipes).
 *
 * @module
 */

function isTerminal(stream: { isTerminal(): boolean }): boolean {
  try {
    return stream.isTerminal();
  } catch {
    return false;
  }
}

/**
 * Whether stderr may be coloured: it is a terminal and `NO_COLOR` is unset or empty
 * (https://no-color.org).
 *
 * @returns True when colour codes may be written to stderr.
 * @example
 * ```ts
 * import { colorEnabled } from "./_output.ts";
 * import { assertEquals } from "@std/assert";
 * Deno.env.set("NO_COLOR", "1");
 * assertEquals(colorEnabled(), false);
 * ```
 */
export function colorEnabled(): boolean {
  let noColor: string | undefined;
  try {
    noColor = Deno.env.get("NO_COLOR");
  } catch {
    noColor = undefined;
  }
  return (noColor === undefined || noColor === "") && isTerminal(Deno.stderr);
}

/**
 * Wraps text in a colour when {@linkcode colorEnabled} (else returns it unchanged).
 *
 * @param text The text.
 * @param color `red`, `yellow`, `green` or `dim`.
 * @returns The text, coloured or not.
 * @example
 * ```ts
 * import { paint } from "./_output.ts";
 * import { assertEquals } from "@std/assert";
 * Deno.env.set("NO_COLOR", "1");
 * assertEquals(paint("done", "green"), "done");
 * ```
 */
export function paint(text: string, color: "red" | "yellow" | "green" | "dim"): string {
  if (!colorEnabled()) return text;
  const code = { red: 31, yellow: 33, green: 32, dim: 2 }[color];
  return `\x1b[${code}m${text}\x1b[0m`;
}

/**
 * A human message: one line on stderr.
 *
 * @param message The line.
 * @returns Nothing.
 * @example
 * ```ts
 * import { say } from "./_output.ts";
 * import { assertEquals } from "@std/assert";
 * const error = console.error, lines: unknown[] = [];
 * console.error = (line: unknown) => lines.push(line);
 * try {
 *   say("loradrop train: 100 train / 20 dev examples");
 * } finally {
 *   console.error = error;
 * }
 * assertEquals(lines, ["loradrop train: 100 train / 20 dev examples"]);
 * ```
 */
export function say(message: string): void {
  console.error(message);
}

/**
 * Machine output: a JSON document on stdout (pretty-printed, one document per command).
 *
 * @param value The summary.
 * @returns Nothing.
 * @example
 * ```ts
 * import { emitJson } from "./_output.ts";
 * import { assertEquals } from "@std/assert";
 * const log = console.log, out: string[] = [];
 * console.log = (text: string) => out.push(text);
 * try {
 *   emitJson({ status: "trained" });
 * } finally {
 *   console.log = log;
 * }
 * assertEquals(JSON.parse(out.join("\n")), { status: "trained" });
 * ```
 */
export function emitJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/**
 * Progress for a long loop without a terminal: returns a function that writes its line to stderr
 * at most once per `intervalMs` (and never when stderr is a terminal, where a bar is drawn).
 *
 * @param intervalMs The least time between two lines; default 10 s.
 * @param write Where lines go (stderr by default).
 * @param terminal Whether a bar is drawn instead; default: stderr is a terminal.
 * @returns `(line) => void`, taking a function so the line is only built when written.
 * @example
 * ```ts
 * import { periodicLines } from "./_output.ts";
 * import { assertEquals } from "@std/assert";
 * const lines: string[] = [];
 * const log = periodicLines(60_000, (l) => lines.push(l), false);
 * log(() => "step 1");
 * log(() => "step 2"); // within the minute: dropped
 * assertEquals(lines, ["step 1"]);
 * ```
 */
export function periodicLines(
  intervalMs = 10_000,
  write: (line: string) => void = say,
  terminal: boolean = isTerminal(Deno.stderr),
): (line: () => string) => void {
  let last = -Infinity;
  return (line) => {
    if (terminal) return;
    const now = performance.now();
    if (now - last < intervalMs) return;
    last = now;
    write(line());
  };
}
