// Where generated tokenizer folders live, and how they are written without ever exposing a
// half-written folder to a concurrent reader.

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env
  }
}

/**
 * The folder for generated tokenizers: `<override>`, else `$LORADROP_CACHE/tokenizers`, else
 * `~/.cache/loradrop/tokenizers`.
 */
export function tokenizerCacheDir(override?: string): string {
  if (override !== undefined) return override.replace(/\/+$/, "");
  const root = env("LORADROP_CACHE");
  if (root !== undefined) return `${root.replace(/\/+$/, "")}/tokenizers`;
  const home = env("HOME") ?? env("USERPROFILE");
  if (home === undefined) {
    throw new Error(
      "Cannot choose a tokenizer cache folder: set LORADROP_CACHE or HOME, or pass cacheDir",
    );
  }
  return `${home.replace(/\/+$/, "")}/.cache/loradrop/tokenizers`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Makes `dir` hold the files `build` returns (name → text) unless it already holds every file of
 * `names` (then `build` is not called). The files are
 * written into a fresh temporary sibling folder that is then renamed into place, so readers see
 * either no folder or a complete one; when another process wins the race its folder is kept.
 *
 * @returns `true` when this call wrote the folder.
 */
export async function ensureFilesAtomically(
  dir: string,
  names: readonly string[],
  build: () => Promise<Record<string, string>>,
): Promise<boolean> {
  const complete = async () =>
    (await Promise.all(names.map((n) => exists(`${dir}/${n}`)))).every(Boolean);
  if (await complete()) return false;
  const files = await build();
  const parent = dir.slice(0, dir.lastIndexOf("/")) || "/";
  await Deno.mkdir(parent, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: parent, prefix: ".tmp-" });
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${tmp}/${name}`, text);
    }
    if (await exists(dir)) {
      // an incomplete folder (e.g. from an older layout): replace it
      if (await complete()) return false;
      await Deno.remove(dir, { recursive: true });
    }
    try {
      await Deno.rename(tmp, dir);
    } catch (error) {
      if (await complete()) return false; // another process finished first
      throw error;
    }
    return true;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}
