/**
 * The command-line conventions every `deno task` command shares:
 *
 * - `--help` / `-h` prints the usage (in its `deno task …` form) on stdout and exits 0;
 * - an unknown flag, a missing value or a bad value is ONE line on stderr naming the flag, the
 *   value and what is expected (`deno task train: --lr must be a number, received "fast"`),
 *   then the usage, and exit code 2 — never a stack trace;
 * - a value may start with a dash (`--lr -1` is the value `-1`, then judged like any other);
 * - any other error ends the command with `deno task X: <message>` and exit code 1 (the stack
 *   only with `LORADROP_DEBUG=1`).
 *
 * Human messages go to stderr and machine output (a JSON summary, a file list) to stdout: see
 * `cli/_output.ts`.
 *
 * ```ts ignore
 * import { defineCommand, numberFlag, runCommand } from "./_args.ts";
 * const train = defineCommand({
 *   command: "deno task train",
 *   usage: "deno task train --task NAME [--lr LR]",
 *   flags: { task: "string", lr: "string", force: "boolean" },
 * });
 * await runCommand(train, Deno.args, async ({ values }) => {
 *   const lr = numberFlag(train, values, "lr", { fallback: 1e-3, greaterThan: 0 });
 * });
 * ```
 *
 * @module
 */

/** What a flag takes: a value (`--out DIR`, `--out=DIR`) or nothing (`--force`). */
export type FlagType = "string" | "boolean";

/** A command's flags by name (without the leading `--`). */
export type FlagTable = Readonly<Record<string, FlagType>>;

/** A command line: its name as typed, its usage text and its flags. */
export interface CommandSpec<F extends FlagTable = FlagTable> {
  /** How the user types it, e.g. `deno task train`; prefixes every error line. */
  readonly command: string;
  /** The usage text printed by `--help` and after every usage error. */
  readonly usage: string;
  /** The flags; `help` (and `-h`) is added to every command. */
  readonly flags: F;
  /** Whether words that are not flags are accepted (a sub-command, folders); default false. */
  readonly positionals?: boolean;
}

/** The parsed values: a string (or undefined) per value flag, a boolean per switch. */
export type FlagValues<F extends FlagTable> = {
  readonly [K in keyof F]: F[K] extends "boolean" ? boolean : string | undefined;
};

/** What {@linkcode parseCommandLine} returns. */
export interface ParsedCommandLine<F extends FlagTable> {
  /** The flags' values. */
  readonly values: FlagValues<F>;
  /** Words that are not flags, in order. */
  readonly positionals: readonly string[];
  /** Whether `--help` or `-h` was given. */
  readonly help: boolean;
  /** The flags that were given, in order (to reject flags that change nothing). */
  readonly given: readonly string[];
}

/**
 * A bad command line: the message is the one line shown above the usage, and the command exits
 * with code 2.
 */
export class UsageError extends TypeError {
  /**
   * Makes the error.
   *
   * @param message One line naming the flag, the value and what is expected.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Declares a command line (a typed identity: it checks the flag table once).
 *
 * @param spec The command, its usage and its flags.
 * @returns The same spec.
 * @example
 * ```ts
 * import { defineCommand } from "./_args.ts";
 * import { assertEquals } from "@std/assert";
 * const cmd = defineCommand({ command: "deno task x", usage: "deno task x [--n N]", flags: { n: "string" } });
 * assertEquals(cmd.flags.n, "string");
 * ```
 */
export function defineCommand<const F extends FlagTable>(spec: CommandSpec<F>): CommandSpec<F> {
  for (const [name, type] of Object.entries(spec.flags)) {
    if (
      !/^[a-z][a-z0-9-]*$/.test(name) || name === "help" || !["string", "boolean"].includes(type)
    ) {
      throw new TypeError(
        `Cannot define ${spec.command}: flag "${name}" must be a lower-case name other than help with type string or boolean, received ${type}`,
      );
    }
  }
  return spec;
}

/**
 * Parses a command line. A value flag takes the next word whatever it looks like unless it is
 * a flag of its own (`--x`), so `--lr -1` gives `"-1"`; `--x=v` works too. Of a flag given twice,
 * the last value counts.
 *
 * @param spec The command line.
 * @param argv The words after the command.
 * @returns The values, positionals and whether help was asked for.
 * @throws {UsageError} For an unknown flag, a missing value, a value given to a switch or an
 * unexpected word.
 * @example
 * ```ts
 * import { defineCommand, parseCommandLine, UsageError } from "./_args.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const cmd = defineCommand({ command: "deno task x", usage: "", flags: { lr: "string", force: "boolean" } });
 * const { values } = parseCommandLine(cmd, ["--lr", "-1", "--force"]);
 * assertEquals(values, { lr: "-1", force: true });
 * assertThrows(() => parseCommandLine(cmd, ["--rate", "0.1"]), UsageError, "unknown option --rate");
 * assertThrows(() => parseCommandLine(cmd, ["--lr"]), UsageError, "--lr needs a value");
 * ```
 */
export function parseCommandLine<F extends FlagTable>(
  spec: CommandSpec<F>,
  argv: readonly string[],
): ParsedCommandLine<F> {
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, type] of Object.entries(spec.flags)) {
    values[name] = type === "boolean" ? false : undefined;
  }
  const positionals: string[] = [];
  const given: string[] = [];
  let help = false;
  const known = Object.keys(spec.flags);
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (word === "-h" || word === "--help") {
      help = true;
      continue;
    }
    if (!word.startsWith("--") || word === "-") {
      if (word.startsWith("-") && word !== "-") {
        throw new UsageError(`unknown option ${word} (options are --name, e.g. --help)`);
      }
      positionals.push(word);
      continue;
    }
    const eq = word.indexOf("=");
    const name = word.slice(2, eq < 0 ? undefined : eq);
    const type = Object.hasOwn(spec.flags, name) ? spec.flags[name] : undefined;
    if (type === undefined) {
      const near = known.filter((k) => k.startsWith(name.slice(0, 3))).slice(0, 3);
      throw new UsageError(
        `unknown option --${name}${
          near.length > 0 ? ` (did you mean ${near.map((k) => `--${k}`).join(", ")}?)` : ""
        }`,
      );
    }
    // Given twice: the last one wins (as in most command lines), so a wrapper can override.
    if (!given.includes(name)) given.push(name);
    if (type === "boolean") {
      if (eq >= 0) {
        throw new UsageError(`--${name} takes no value, received "${word.slice(eq + 1)}"`);
      }
      values[name] = true;
      continue;
    }
    if (eq >= 0) {
      values[name] = word.slice(eq + 1);
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || (next.startsWith("--") && next.length > 2)) {
      throw new UsageError(`--${name} needs a value`);
    }
    values[name] = next;
    i++;
  }
  if (!spec.positionals && positionals.length > 0 && !help) {
    throw new UsageError(`unexpected argument "${positionals[0]}" (every option is --name VALUE)`);
  }
  return { values: values as FlagValues<F>, positionals, help, given };
}

/** Bounds and a default for {@linkcode numberFlag}. */
export interface NumberFlagOptions {
  /** The value when the flag is absent (absent and no fallback: undefined). */
  readonly fallback?: number;
  /** Whole numbers only. */
  readonly integer?: boolean;
  /** Inclusive lower bound. */
  readonly min?: number;
  /** Exclusive lower bound. */
  readonly greaterThan?: number;
  /** Inclusive upper bound. */
  readonly max?: number;
  /** Exclusive upper bound. */
  readonly lessThan?: number;
}

function describeBounds(o: NumberFlagOptions): string {
  const kind = o.integer ? "an integer" : "a number";
  const parts: string[] = [];
  if (o.min !== undefined) parts.push(`>= ${o.min}`);
  if (o.greaterThan !== undefined) parts.push(`> ${o.greaterThan}`);
  if (o.max !== undefined) parts.push(`<= ${o.max}`);
  if (o.lessThan !== undefined) parts.push(`< ${o.lessThan}`);
  return parts.length > 0 ? `${kind} ${parts.join(" and ")}` : kind;
}

/**
 * Reads a numeric flag: a finite number (or integer) within the bounds, else a
 * {@linkcode UsageError} naming the flag, the value and what is expected.
 *
 * @param name The flag's name without `--`.
 * @param value The flag's text (undefined when absent).
 * @param options Bounds, integer, fallback.
 * @returns The number, or the fallback when absent.
 * @example
 * ```ts
 * import { numberFlag, UsageError } from "./_args.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 * assertEquals(numberFlag("lr", "2e-4", { greaterThan: 0 }), 2e-4);
 * assertEquals(numberFlag("lr", undefined, { fallback: 1e-3 }), 1e-3);
 * assertThrows(() => numberFlag("lr", "-1", { greaterThan: 0 }), UsageError, '--lr must be a number > 0, received "-1"');
 * assertThrows(() => numberFlag("steps", "2.5", { integer: true, min: 1 }), UsageError, "an integer >= 1");
 * ```
 */
export function numberFlag(
  name: string,
  value: string | undefined,
  options: NumberFlagOptions & { readonly fallback: number },
): number;
/**
 * Reads a numeric flag (see the overload with a fallback).
 *
 * @param name The flag's name without `--`.
 * @param value The flag's text (undefined when absent).
 * @param options Bounds, integer.
 * @returns The number, or undefined when absent.
 */
export function numberFlag(
  name: string,
  value: string | undefined,
  options?: NumberFlagOptions,
): number | undefined;
export function numberFlag(
  name: string,
  value: string | undefined,
  options: NumberFlagOptions = {},
): number | undefined {
  if (value === undefined) return options.fallback;
  const x = Number(value);
  const ok = value.trim() !== "" && Number.isFinite(x) &&
    (!options.integer || Number.isSafeInteger(x)) &&
    (options.min === undefined || x >= options.min) &&
    (options.greaterThan === undefined || x > options.greaterThan) &&
    (options.max === undefined || x <= options.max) &&
    (options.lessThan === undefined || x < options.lessThan);
  if (!ok) {
    throw new UsageError(`--${name} must be ${describeBounds(options)}, received "${value}"`);
  }
  return x;
}

/**
 * Reads a flag that takes one of a few words.
 *
 * @param name The flag's name without `--`.
 * @param value The flag's text.
 * @param choices The accepted words.
 * @returns The value, typed as one of the choices.
 * @example
 * ```ts
 * import { choiceFlag, UsageError } from "./_args.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 * assertEquals(choiceFlag("kind", "regression", ["classification", "regression"]), "regression");
 * assertThrows(() => choiceFlag("kind", "ranking", ["classification", "regression"]), UsageError, "one of classification, regression");
 * ```
 */
export function choiceFlag<const C extends string>(
  name: string,
  value: string,
  choices: readonly C[],
): C {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}, received "${value}"`);
  }
  return value as C;
}

/**
 * Reads a comma-separated list flag (`--methods a,b`): trimmed, non-empty items, no repeats,
 * each among `choices` when given.
 *
 * @param name The flag's name without `--`.
 * @param value The flag's text.
 * @param choices The accepted items (any when absent).
 * @returns The items.
 * @example
 * ```ts
 * import { listFlag, UsageError } from "./_args.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 * assertEquals(listFlag("targets", "q, v"), ["q", "v"]);
 * assertThrows(() => listFlag("only", "nonsense", ["overfit", "cost"]), UsageError, '"nonsense"');
 * assertThrows(() => listFlag("targets", "q,,v"), UsageError, "empty item");
 * ```
 */
export function listFlag<const C extends string>(
  name: string,
  value: string,
  choices?: readonly C[],
): C[] {
  const items = value.split(",").map((s) => s.trim());
  if (items.some((s) => s === "")) {
    throw new UsageError(
      `--${name} must be a comma-separated list without an empty item, received "${value}"`,
    );
  }
  for (const item of items) {
    if (choices !== undefined && !(choices as readonly string[]).includes(item)) {
      throw new UsageError(
        `--${name} must be among ${choices.join(", ")}, received "${item}"`,
      );
    }
  }
  const repeated = items.find((s, i) => items.indexOf(s) !== i);
  if (repeated !== undefined) {
    throw new UsageError(`--${name} lists "${repeated}" twice, received "${value}"`);
  }
  return items as C[];
}

function debug(): boolean {
  try {
    return Deno.env.get("LORADROP_DEBUG") === "1";
  } catch {
    return false;
  }
}

/**
 * How a command ends on an error: a {@linkcode UsageError} gives its line and the usage on stderr
 * and code 2; any other error gives `command: message` (no stack unless `LORADROP_DEBUG=1`) and
 * code 1.
 *
 * @param spec The command line.
 * @param error What was thrown.
 * @param write Where the text goes (stderr by default).
 * @returns The exit code.
 * @example
 * ```ts
 * import { defineCommand, exitCodeFor, UsageError } from "./_args.ts";
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 * const cmd = defineCommand({ command: "deno task x", usage: "usage: deno task x", flags: {} });
 * let text = "";
 * assertEquals(exitCodeFor(cmd, new UsageError("--n must be an integer"), (t) => text += t), 2);
 * assertStringIncludes(text, "deno task x: --n must be an integer\n\nusage: deno task x");
 * assertEquals(exitCodeFor(cmd, new Error("Cannot read a.csv"), () => {}), 1);
 * ```
 */
export function exitCodeFor(
  spec: CommandSpec,
  error: unknown,
  write: (text: string) => void = (t) => console.error(t.replace(/\n$/, "")),
): number {
  if (error instanceof UsageError) {
    write(`${spec.command}: ${error.message}\n\n${spec.usage.trimEnd()}\n`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error && debug() ? `\n${error.stack}` : "";
  write(`${spec.command}: ${message}${stack}\n`);
  return 1;
}

/**
 * Runs a command: parses `argv`, answers `--help`, calls `main` and turns what it throws into an
 * exit code ({@linkcode exitCodeFor}). Validation inside `main` throws {@linkcode UsageError}
 * (e.g. through {@linkcode numberFlag}) to get code 2 and the usage.
 *
 * @param spec The command line.
 * @param argv The words after the command (`Deno.args`).
 * @param main The command's work; its result (or 0) is the exit code.
 * @returns The exit code (call `Deno.exit` with it).
 * @example
 * ```ts
 * import { defineCommand, runCommand } from "./_args.ts";
 * import { assertEquals } from "@std/assert";
 * const cmd = defineCommand({ command: "deno task x", usage: "usage: deno task x --n N", flags: { n: "string" } });
 * assertEquals(await runCommand(cmd, ["--n", "3"], ({ values }) => Number(values.n) - 3), 0);
 * const quiet = console.error;
 * console.error = () => {};
 * try {
 *   assertEquals(await runCommand(cmd, ["--m", "3"], () => 0), 2);
 * } finally {
 *   console.error = quiet;
 * }
 * ```
 */
export async function runCommand<F extends FlagTable>(
  spec: CommandSpec<F>,
  argv: readonly string[],
  main: (parsed: ParsedCommandLine<F>) => number | void | Promise<number | void>,
): Promise<number> {
  try {
    const parsed = parseCommandLine(spec, argv);
    if (parsed.help) {
      console.log(spec.usage.trimEnd());
      return 0;
    }
    return (await main(parsed)) ?? 0;
  } catch (error) {
    return exitCodeFor(spec, error);
  }
}
