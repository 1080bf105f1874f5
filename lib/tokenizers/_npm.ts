// Locating the files of an npm package installed under a project's node_modules/ folder
// (deno.json has "nodeModulesDir": "auto", so `deno install` puts real files there).

function parentDir(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  const i = trimmed.lastIndexOf("/");
  return i <= 0 ? "/" : trimmed.slice(0, i);
}

function moduleDir(): string | undefined {
  const url = new URL(".", import.meta.url);
  return url.protocol === "file:" ? decodeURIComponent(url.pathname) : undefined;
}

function cwd(): string | undefined {
  try {
    return Deno.cwd();
  } catch {
    return undefined; // no --allow-read for the working directory
  }
}

/** Every `node_modules` folder from `start` up to the file-system root, nearest first. */
function nodeModulesCandidates(start: string): string[] {
  const out: string[] = [];
  let dir = start;
  for (;;) {
    out.push(`${dir.replace(/\/+$/, "")}/node_modules`);
    const up = parentDir(dir);
    if (up === dir) break;
    dir = up;
  }
  return out;
}

async function readVersion(packageJsonPath: string): Promise<string | undefined> {
  try {
    const json = JSON.parse(await Deno.readTextFile(packageJsonPath)) as { version?: unknown };
    return typeof json.version === "string" ? json.version : undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Finds the folder of npm package `name` at exactly `version`: first under `nodeModulesDir` when
 * given, else in the node_modules folders above this module and above the working directory.
 * Throws an Error that says how to install the package when no matching copy exists.
 */
export async function findNpmPackageDir(
  name: string,
  version: string,
  nodeModulesDir?: string,
): Promise<string> {
  const roots: string[] = [];
  if (nodeModulesDir !== undefined) roots.push(nodeModulesDir.replace(/\/+$/, ""));
  else {
    for (const start of [moduleDir(), cwd()]) {
      if (start !== undefined) {
        for (const root of nodeModulesCandidates(start)) roots.push(root);
      }
    }
  }
  const seen: string[] = [];
  for (const root of [...new Set(roots)]) {
    const dir = `${root}/${name}`;
    const found = await readVersion(`${dir}/package.json`);
    if (found === version) return dir;
    if (found !== undefined) seen.push(`${dir} (version ${found})`);
    // deno's node_modules layout keeps every installed version under .deno/<name@version>
    const pinned = `${root}/.deno/${name.replace("/", "+")}@${version}/node_modules/${name}`;
    if ((await readVersion(`${pinned}/package.json`)) === version) return pinned;
  }
  const where = nodeModulesDir ??
    "the node_modules folders above this module and the working directory";
  const other = seen.length > 0 ? `; found other versions: ${seen.join(", ")}` : "";
  throw new Error(
    `Cannot find npm package ${name}@${version} in ${where}${other}: add ` +
      `"${name}": "npm:${name}@${version}" to the imports of deno.json and run \`deno install\``,
  );
}
