// Tests that work in a fresh temporary folder, removed afterwards whatever happens.

/**
 * Runs `fn` with a fresh temporary folder (its name starts with `prefix`) and removes the folder
 * afterwards, whether `fn` returns or throws.
 */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Registers a test that runs `fn` in a fresh temporary folder ({@linkcode withTempDir}), with the
 * resource and op sanitizers off: such tests start subprocesses, workers or servers.
 */
export function tempDirTest(
  name: string,
  prefix: string,
  fn: (dir: string) => Promise<void>,
  options: { readonly ignore?: boolean } = {},
): void {
  Deno.test({
    name,
    ignore: options.ignore ?? false,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => withTempDir(prefix, fn),
  });
}
