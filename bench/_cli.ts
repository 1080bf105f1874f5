// Shared by the bench scripts' command lines (private helper).

/**
 * Parses the command line with `parse`; a bad flag prints the parser's message and exits with 2.
 *
 * @param parse The script's flag parser (throws with a message naming the flag and value).
 * @param argv The arguments; `Deno.args` by default.
 * @returns The parsed arguments.
 * @example
 * ```ts
 * import { argsOrExit } from "./_cli.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(argsOrExit((a) => a.length, ["--steps", "3"]), 2);
 * ```
 */
export function argsOrExit<T>(
  parse: (argv: readonly string[]) => T,
  argv: readonly string[] = Deno.args,
): T {
  try {
    return parse(argv);
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(2);
  }
}
