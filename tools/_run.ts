// Running external commands for the notebook pipeline (private helper).

/** The outcome of a finished command. */
export interface RunResult {
  /** The exit code (-1 when the command could not start or timed out). */
  readonly code: number;
  /** Standard output. */
  readonly stdout: string;
  /** Standard error, or why the command could not run. */
  readonly stderr: string;
}

/** Options of {@linkcode run}. */
export interface RunOptions {
  /** Extra environment variables. */
  readonly env?: Record<string, string>;
  /** The working directory. */
  readonly cwd?: string;
  /** Kill the command after this many milliseconds (default 15 minutes). */
  readonly timeoutMs?: number;
}

/**
 * Runs a command to completion, capturing its output; never throws for a missing program.
 *
 * @param cmd The program and its arguments.
 * @param options Environment, working directory, timeout.
 * @returns Exit code and output.
 */
export async function run(cmd: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [program, ...args] = cmd;
  if (program === undefined) throw new TypeError("Cannot run a command: the command is empty");
  const timeoutMs = options.timeoutMs ?? 15 * 60_000;
  try {
    const out = await new Deno.Command(program, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    }).output();
    const dec = new TextDecoder();
    const stderr = dec.decode(out.stderr);
    if (out.signal !== null) {
      return {
        code: -1,
        stdout: dec.decode(out.stdout),
        stderr: `${stderr}\n${program} was stopped by ${out.signal} (timeout ${timeoutMs} ms?)`,
      };
    }
    return { code: out.code, stdout: dec.decode(out.stdout), stderr };
  } catch (error) {
    return {
      code: -1,
      stdout: "",
      stderr: `${program} could not run: ${(error as Error).message}`,
    };
  }
}

/** The last `n` lines of a text, for error messages. */
export function tail(text: string, n = 15): string {
  return text.trimEnd().split("\n").slice(-n).join("\n");
}
