// Fetching one npm package's tarball into the loradrop cache (for users without the package under
// node_modules, e.g. JSR users): size-limited download, sha512 check, gunzip, a minimal tar reader,
// and an atomic rename so readers never see a half-written folder.

/** Where a package's tarball is and what it must hash to. */
export interface NpmTarball {
  /** The tarball's URL (the npm registry's `dist.tarball`). */
  readonly url: string;
  /** The registry's `dist.integrity` (`sha512-<base64>`). */
  readonly integrity: string;
  /** Refuse downloads larger than this many bytes. */
  readonly maxBytes: number;
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/** The cache root: the override, else `$LORADROP_CACHE`, else `~/.cache/loradrop`. */
export function cacheRoot(override?: string): string {
  if (override !== undefined) return override.replace(/\/+$/, "");
  const root = env("LORADROP_CACHE");
  if (root !== undefined) return root.replace(/\/+$/, "");
  const home = env("HOME") ?? env("USERPROFILE");
  if (home === undefined) {
    throw new Error("Cannot choose a cache folder: set LORADROP_CACHE or HOME, or pass cacheDir");
  }
  return `${home.replace(/\/+$/, "")}/.cache/loradrop`;
}

async function readVersion(dir: string): Promise<string | undefined> {
  try {
    const json = JSON.parse(await Deno.readTextFile(`${dir}/package.json`)) as {
      version?: unknown;
    };
    return typeof json.version === "string" ? json.version : undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function download(tarball: NpmTarball): Promise<Uint8Array<ArrayBuffer>> {
  let response: Response;
  try {
    response = await fetch(tarball.url);
  } catch (error) {
    throw new Error(`Cannot download ${tarball.url}: ${(error as Error).message}`);
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new Error(`Cannot download ${tarball.url}: HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared > tarball.maxBytes) {
    await response.body.cancel();
    throw new RangeError(
      `Cannot download ${tarball.url}: ${declared} bytes exceeds the limit of ${tarball.maxBytes}`,
    );
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (total > tarball.maxBytes) {
      throw new RangeError(
        `Cannot download ${tarball.url}: more than the limit of ${tarball.maxBytes} bytes`,
      );
    }
    chunks.push(chunk);
  }
  if (Number.isFinite(declared) && total !== declared) {
    throw new Error(
      `Cannot download ${tarball.url}: received ${total} of ${declared} bytes (truncated)`,
    );
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

async function checkIntegrity(bytes: Uint8Array<ArrayBuffer>, tarball: NpmTarball): Promise<void> {
  const [algo, expected] = tarball.integrity.split("-", 2) as [string, string | undefined];
  if (algo !== "sha512" || expected === undefined) {
    throw new TypeError(
      `Cannot check ${tarball.url}: integrity must be "sha512-<base64>", received "${tarball.integrity}"`,
    );
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-512", bytes));
  const actual = btoa(Array.from(digest, (b) => String.fromCharCode(b)).join(""));
  if (actual !== expected) {
    throw new Error(
      `Cannot use ${tarball.url}: its sha512 is ${actual}, expected ${expected} (corrupt or truncated download)`,
    );
  }
}

async function gunzip(bytes: Uint8Array<ArrayBuffer>, url: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new Error(`Cannot unpack ${url}: not a valid gzip file (${(error as Error).message})`);
  }
}

function cString(block: Uint8Array, start: number, length: number): string {
  const slice = block.subarray(start, start + length);
  const end = slice.indexOf(0);
  return new TextDecoder().decode(end < 0 ? slice : slice.subarray(0, end));
}

/** The regular files of a (ustar) tar archive, with npm's leading `package/` removed. */
export function untar(tar: Uint8Array, url: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  let offset = 0;
  while (offset + 512 <= tar.byteLength) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break; // end of archive
    const name = cString(header, 0, 100);
    const prefix = cString(header, 345, 155);
    const size = parseInt(cString(header, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(header[156]!);
    if (!Number.isFinite(size) || size < 0 || offset + 512 + size > tar.byteLength) {
      throw new Error(`Cannot unpack ${url}: the archive is truncated at entry "${name}"`);
    }
    const full = prefix === "" ? name : `${prefix}/${name}`;
    if (type === "0" || type === "\0") {
      const path = full.replace(/^package\//, "");
      if (path.startsWith("/") || path.split("/").includes("..")) {
        throw new Error(`Cannot unpack ${url}: unsafe path "${full}"`);
      }
      files.set(path, tar.slice(offset + 512, offset + 512 + size));
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/**
 * Returns the cached folder of `name@version`, downloading and unpacking the tarball once.
 */
export async function fetchNpmPackage(
  name: string,
  version: string,
  tarball: NpmTarball,
  cacheDir?: string,
): Promise<string> {
  const dir = `${cacheRoot(cacheDir)}/npm/${name}@${version}`;
  if ((await readVersion(dir)) === version) return dir;
  const files = untar(
    await gunzip(
      await download(tarball).then(async (b) => {
        await checkIntegrity(b, tarball);
        return b;
      }),
      tarball.url,
    ),
    tarball.url,
  );
  if (!files.has("package.json")) {
    throw new Error(`Cannot unpack ${tarball.url}: it holds no package.json`);
  }
  const parent = dir.slice(0, dir.lastIndexOf("/"));
  await Deno.mkdir(parent, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: parent, prefix: ".tmp-" });
  try {
    for (const [path, data] of files) {
      const sub = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
      if (sub !== "") await Deno.mkdir(`${tmp}/${sub}`, { recursive: true });
      await Deno.writeFile(`${tmp}/${path}`, data);
    }
    try {
      await Deno.remove(dir, { recursive: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    try {
      await Deno.rename(tmp, dir);
    } catch (error) {
      if ((await readVersion(dir)) === version) return dir; // another process finished first
      throw error;
    }
  } finally {
    try {
      await Deno.remove(tmp, { recursive: true });
    } catch {
      // renamed into place
    }
  }
  return dir;
}
