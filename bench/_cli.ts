// Shared by the bench scripts' command lines (private helper).
import { exitCodeFor, UsageError } from "../cli/_args.ts";

/** A bench command's name as typed and its usage text. */
export interface BenchUsage {
  /** E.g. `deno task bench`. */
  readonly command: string;
  /** The usage text printed by `--help` and after a bad flag. */
  readonly usage: string;
}

/**
 * Parses the command line with `parse` under the conventions of every `deno task` command
 * (cli/_args.ts): `--help` prints the usage and exits 0; a bad flag prints one line naming it
 * (the parser's message without its "Cannot …:" prefix), then the usage, and exits with 2.
 *
 * @param parse The script's flag parser (throws with a message naming the flag and value).
 * @param usage The command and its usage text.
 * @param argv The arguments; `Deno.args` by default.
 * @returns The parsed arguments.
 * @example
 * ```ts
 * import { argsOrExit } from "./_cli.ts";
 * import { assertEquals } from "@std/assert";
 * const usage = { command: "deno task bench", usage: "Usage: deno task bench [--steps N]" };
 * assertEquals(argsOrExit((a) => a.length, usage, ["--steps", "3"]), 2);
 * ```
 */
export function argsOrExit<T>(
  parse: (argv: readonly string[]) => T,
  usage: BenchUsage,
  argv: readonly string[] = Deno.args,
): T {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usage.usage);
    Deno.exit(0);
  }
  try {
    return parse(argv);
  } catch (error) {
    const line = (error as Error).message.replace(/^Cannot [^:]*: /, "");
    Deno.exit(exitCodeFor({ ...usage, flags: {} }, new UsageError(line)));
  }
}
