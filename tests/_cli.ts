// Runs a repository script as its `deno task` does (`deno run -A`), with NO_COLOR, and returns
// its exit code and both streams.

const ROOT = new URL("..", import.meta.url).pathname;

/** What a command printed and how it ended. */
export interface CliOutcome {
  /** The exit code. */
  readonly code: number;
  /** Standard output. */
  readonly stdout: string;
  /** Standard error. */
  readonly stderr: string;
}

/**
 * Runs `deno run -A <repository>/<script> ...args`.
 *
 * @param script The script's path in the repository, e.g. `cli/train.ts`.
 * @param args Its arguments.
 * @param options Extra environment variables, the working folder.
 * @returns The outcome.
 */
export async function runCli(
  script: string,
  args: readonly string[],
  options: { readonly env?: Record<string, string>; readonly cwd?: string } = {},
): Promise<CliOutcome> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}${script}`, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}
