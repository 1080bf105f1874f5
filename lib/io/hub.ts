/**
 * Downloading files of a Hugging Face hub repository into a local cache.
 *
 * Files come from `{endpoint}/{repo}/resolve/{revision}/{file}` and are stored as
 * `{cacheDir}/{owner}--{name}/{revision}/{file}`. A download is written to a temporary file, its
 * size is checked against `Content-Length` (and a `.safetensors` header is checked), then it is
 * renamed into place, so an interrupted download never leaves a partial file in the cache. A file
 * already in the cache is used without any network access.
 *
 * Files that Hugging Face's own tools already downloaded are used in place: their cache
 * (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`, laid out as
 * `models--{owner}--{name}/snapshots/{commit}/{file}` with `refs/{revision}`) is read before
 * loradrop's own. `HF_ENDPOINT` and `HF_TOKEN` (or the token file of `huggingface-cli login`) are
 * honoured, and with `HF_HUB_OFFLINE=1` nothing is downloaded: a file missing from both caches is
 * an error naming where it was looked for.
 *
 * When the hub cannot be reached the error says what to do instead: download the files elsewhere
 * and pass their local folder.
 *
 * @module
 */
import { parseSafetensorsHeader } from "./safetensors.ts";

/** Options of {@linkcode hubFile} and {@linkcode hubFiles}. */
export interface HubOptions {
  /** The cache root; default `$LORADROP_CACHE`, else `~/.cache/loradrop/hub`. */
  readonly cacheDir?: string;
  /** A branch, tag or commit; default `main`. */
  readonly revision?: string;
  /**
   * The hub's base URL; default `$LORADROP_HF_ENDPOINT`, else `$HF_ENDPOINT`, else
   * `https://huggingface.co`.
   */
  readonly endpoint?: string;
  /**
   * A bearer token for gated or private repositories; default `$HF_TOKEN`, else the token file
   * (`$HF_TOKEN_PATH`, else `$HF_HOME/token`, else `~/.cache/huggingface/token`).
   */
  readonly token?: string;
  /** Never download (files must be in a cache); default: `$HF_HUB_OFFLINE` is 1, true, yes or on. */
  readonly offline?: boolean;
  /** Abort a download when no bytes arrive for this many milliseconds; default 30,000. */
  readonly stallTimeoutMs?: number;
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env
  }
}

/**
 * The cache root: `options.cacheDir`, `$LORADROP_CACHE`, or `~/.cache/loradrop/hub`.
 *
 * @param cacheDir An explicit folder, which wins.
 * @returns The folder.
 * @example
 * ```ts
 * import { hubCacheDir } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * assertEquals(hubCacheDir("/tmp/c"), "/tmp/c");
 * ```
 */
export function hubCacheDir(cacheDir?: string): string {
  if (cacheDir !== undefined) return cacheDir;
  const fromEnv = env("LORADROP_CACHE");
  if (fromEnv !== undefined) return fromEnv;
  const home = env("HOME") ?? env("USERPROFILE");
  if (home === undefined) {
    throw new Error(
      "Cannot locate the hub cache: neither LORADROP_CACHE nor HOME is set; pass cacheDir",
    );
  }
  return `${home}/.cache/loradrop/hub`;
}

/**
 * Hugging Face's own hub cache: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
 * `~/.cache/huggingface/hub` (undefined when none can be named).
 *
 * @returns The folder (it may not exist).
 * @example
 * ```ts
 * import { hfHubCacheDir } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * Deno.env.set("HF_HUB_CACHE", "/data/hf");
 * assertEquals(hfHubCacheDir(), "/data/hf");
 * Deno.env.delete("HF_HUB_CACHE");
 * ```
 */
export function hfHubCacheDir(): string | undefined {
  const explicit = env("HF_HUB_CACHE");
  if (explicit !== undefined) return explicit;
  const hfHome = env("HF_HOME");
  if (hfHome !== undefined) return `${hfHome}/hub`;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg !== undefined) return `${xdg}/huggingface/hub`;
  const home = env("HOME") ?? env("USERPROFILE");
  return home === undefined ? undefined : `${home}/.cache/huggingface/hub`;
}

/**
 * Whether downloads are switched off: `options.offline`, else `$HF_HUB_OFFLINE` set to 1, true,
 * yes or on (any case), as Hugging Face's tools read it.
 *
 * @param offline An explicit choice, which wins.
 * @returns True when nothing may be downloaded.
 * @example
 * ```ts
 * import { hubOffline } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * Deno.env.set("HF_HUB_OFFLINE", "1");
 * assertEquals([hubOffline(), hubOffline(false)], [true, false]);
 * Deno.env.delete("HF_HUB_OFFLINE");
 * ```
 */
export function hubOffline(offline?: boolean): boolean {
  if (offline !== undefined) return offline;
  return ["1", "true", "yes", "on"].includes((env("HF_HUB_OFFLINE") ?? "").toLowerCase());
}

async function defaultToken(): Promise<string | undefined> {
  const fromEnv = env("HF_TOKEN");
  if (fromEnv !== undefined) return fromEnv.trim();
  const hfHome = env("HF_HOME");
  const home = env("HOME") ?? env("USERPROFILE");
  const path = env("HF_TOKEN_PATH") ??
    (hfHome !== undefined
      ? `${hfHome}/token`
      : home === undefined
      ? undefined
      : `${home}/.cache/huggingface/token`);
  if (path === undefined) return undefined;
  try {
    return (await Deno.readTextFile(path)).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where Hugging Face's cache holds a repository file (`models--{owner}--{name}/snapshots/{commit}/
 * {file}`, the commit read from `refs/{revision}` unless the revision is one), if it does.
 */
async function hfCachedFile(
  root: string,
  repo: string,
  file: string,
  revision: string,
): Promise<string | undefined> {
  const base = `${root}/models--${repo.replace("/", "--")}`;
  let commit = revision;
  if (!/^[0-9a-f]{40}$/.test(revision)) {
    try {
      commit = (await Deno.readTextFile(`${base}/refs/${revision}`)).trim();
    } catch {
      return undefined;
    }
  }
  const path = `${base}/snapshots/${commit}/${file}`;
  return await exists(path) ? path : undefined;
}

const REPO = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Whether a string looks like a hub repository id (`name` or `owner/name`).
 *
 * @param id The candidate.
 * @returns True for `gpt2`, `FacebookAI/roberta-base`; false for paths like `./x` or `a/b/c`.
 * @example
 * ```ts
 * import { isHubRepoId } from "@loradrop/core/io";
 * import { assert } from "@std/assert";
 * assert(isHubRepoId("FacebookAI/roberta-base"));
 * assert(!isHubRepoId("./models/roberta"));
 * ```
 */
export function isHubRepoId(id: string): boolean {
  return REPO.test(id) && !id.includes("..");
}

function checkArgs(repo: string, file: string, revision: string): void {
  if (!isHubRepoId(repo)) {
    throw new TypeError(
      `Cannot fetch from the hub: repo must look like "name" or "owner/name", received "${repo}"`,
    );
  }
  if (!file.split("/").every((s) => SEGMENT.test(s) && s !== "." && s !== "..")) {
    throw new TypeError(`Cannot fetch from the hub: invalid file name "${file}"`);
  }
  if (!revision.split("/").every((s) => SEGMENT.test(s) && s !== "." && s !== "..")) {
    throw new TypeError(`Cannot fetch from the hub: invalid revision "${revision}"`);
  }
}

/**
 * Where a repository file lives in the cache.
 *
 * @param repo `name` or `owner/name`.
 * @param file The file inside the repository (e.g. `config.json`).
 * @param options The cache folder and revision.
 * @returns The cache path (it may not exist yet).
 * @example
 * ```ts
 * import { hubCachePath } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * assertEquals(hubCachePath("openai/gpt2", "config.json", { cacheDir: "/c" }), "/c/openai--gpt2/main/config.json");
 * ```
 */
export function hubCachePath(repo: string, file: string, options: HubOptions = {}): string {
  const revision = options.revision ?? "main";
  checkArgs(repo, file, revision);
  return `${hubCacheDir(options.cacheDir)}/${repo.replace("/", "--")}/${
    revision.replaceAll("/", "--")
  }/${file}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Checks a safetensors file on disk by its header and size, without reading its data. */
async function checkSafetensorsFile(path: string): Promise<void> {
  const file = await Deno.open(path, { read: true });
  try {
    const size = (await file.stat()).size;
    const head = new Uint8Array(8);
    const n = await file.read(head);
    if (n !== 8) parseSafetensorsHeader(head.subarray(0, n ?? 0), path, size); // throws: too short
    const headerLength = Number(new DataView(head.buffer).getBigUint64(0, true));
    if (headerLength > size - 8) parseSafetensorsHeader(head, path, size); // throws with details
    const bytes = new Uint8Array(8 + headerLength);
    bytes.set(head);
    let at = 8;
    while (at < bytes.length) {
      const got = await file.read(bytes.subarray(at));
      if (got === null) break;
      at += got;
    }
    parseSafetensorsHeader(bytes.subarray(0, at), path, size);
  } finally {
    file.close();
  }
}

function offlineAdvice(repo: string, revision: string, files: string, cachePath: string): string {
  return `download ${files} of "${repo}" (revision ${revision}) on a machine with access to the ` +
    `hub and pass their local folder instead of the repository id, or place them at ${cachePath}`;
}

/** An HTTP status that means the file is not there (as opposed to the hub being unreachable). */
export class HubFileNotFoundError extends Error {
  /** The URL that answered 404. */
  readonly url: string;
  /**
   * Makes the error.
   *
   * @param url The URL that answered 404.
   * @param message The message.
   */
  constructor(url: string, message: string) {
    super(message);
    this.name = "HubFileNotFoundError";
    this.url = url;
  }
}

/**
 * Returns the local path of one repository file, downloading it into the cache when missing.
 *
 * @param repo `name` or `owner/name`.
 * @param file The file inside the repository.
 * @param options Cache folder, revision, endpoint, token, stall timeout.
 * @returns The cached file's path.
 * @example
 * ```ts
 * import { hubFile } from "@loradrop/core/io";
 * import { assertRejects } from "@std/assert";
 * // Nothing listens on port 9 of 127.0.0.1: the error says to pass a local folder.
 * const cacheDir = await Deno.makeTempDir();
 * await assertRejects(
 *   () => hubFile("gpt2", "config.json", { cacheDir, endpoint: "http://127.0.0.1:9" }),
 *   Error,
 *   "pass their local folder",
 * );
 * ```
 */
export async function hubFile(
  repo: string,
  file: string,
  options: HubOptions = {},
): Promise<string> {
  const revision = options.revision ?? "main";
  const dest = hubCachePath(repo, file, options);
  const hfRoots = [...new Set([options.cacheDir, hfHubCacheDir()])].filter((r) => r !== undefined);
  for (const root of hfRoots) {
    const cached = await hfCachedFile(root, repo, file, revision);
    if (cached !== undefined) return cached;
  }
  if (await exists(dest)) {
    if (file.endsWith(".safetensors")) {
      try {
        await checkSafetensorsFile(dest);
      } catch (error) {
        throw new Error(
          `Cannot use the cached file ${dest}: ${
            (error as Error).message
          }; delete it to download it again`,
        );
      }
    }
    return dest;
  }
  if (hubOffline(options.offline)) {
    throw new Error(
      `Cannot fetch ${file} of "${repo}" (revision ${revision}): HF_HUB_OFFLINE is set and the file is in neither ` +
        `Hugging Face's cache (${
          hfRoots.map((r) => `${r}/models--${repo.replace("/", "--")}`).join(", ") || "none found"
        }) nor ${dest}; ${offlineAdvice(repo, revision, file, dest)}`,
    );
  }
  const endpoint = (options.endpoint ?? env("LORADROP_HF_ENDPOINT") ?? env("HF_ENDPOINT") ??
    "https://huggingface.co")
    .replace(/\/+$/, "");
  const token = options.token ?? await defaultToken();
  const url = `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
  const stallMs = options.stallTimeoutMs ?? 30_000;
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), stallMs);
  const rearm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), stallMs);
  };
  let response: Response;
  try {
    response = await fetch(url, {
      signal: controller.signal,
      redirect: "follow",
      ...(token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } }),
    });
  } catch (error) {
    clearTimeout(timer);
    const reason = controller.signal.aborted
      ? `no answer within ${stallMs} ms`
      : (error as Error).message;
    throw new Error(
      `Cannot download ${url}: the hub is unreachable (${reason}); ${
        offlineAdvice(repo, revision, file, dest)
      }`,
    );
  }
  if (!response.ok) {
    clearTimeout(timer);
    await response.body?.cancel();
    const message = `Cannot download ${url}: HTTP ${response.status} ${response.statusText}`;
    if (response.status === 404) {
      throw new HubFileNotFoundError(url, `${message}; check the repository, file and revision`);
    }
    if (response.status === 401 || response.status === 403) {
      throw new Error(`${message}; the repository may be gated or private: pass a token`);
    }
    throw new Error(`${message}; ${offlineAdvice(repo, revision, file, dest)}`);
  }
  const expected = response.headers.get("content-length");
  const folder = dest.slice(0, dest.lastIndexOf("/"));
  await Deno.mkdir(folder, { recursive: true });
  const temp = `${dest}.partial-${crypto.randomUUID()}`;
  let written = 0;
  try {
    const out = await Deno.open(temp, { write: true, createNew: true });
    try {
      if (response.body !== null) {
        const reader = response.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          rearm();
          let at = 0;
          while (at < value.length) at += await out.write(value.subarray(at));
          written += value.length;
        }
      }
    } finally {
      out.close();
      clearTimeout(timer);
    }
    if (expected !== null && Number(expected) !== written) {
      throw new Error(
        `Cannot download ${url}: received ${written} bytes but Content-Length is ${expected}; ` +
          `the transfer was cut; try again, or ${offlineAdvice(repo, revision, file, dest)}`,
      );
    }
    if (file.endsWith(".safetensors")) await checkSafetensorsFile(temp);
    await Deno.rename(temp, dest);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    if (controller.signal.aborted) {
      throw new Error(
        `Cannot download ${url}: no data for ${stallMs} ms after ${written} bytes; ${
          offlineAdvice(repo, revision, file, dest)
        }`,
      );
    }
    const message = (error as Error).message;
    if (message.startsWith("Cannot ")) throw error;
    throw new Error(
      `Cannot download ${url}: the transfer broke after ${written} bytes (${message}); try again, or ${
        offlineAdvice(repo, revision, file, dest)
      }`,
    );
  }
  return dest;
}
