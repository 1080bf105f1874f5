/**
 * `deno task setup:native`: makes the `tensorflow` backend available (tfjs-node, or tfjs-node-gpu
 * with `--gpu`).
 *
 * 1. The standard way: `deno install --allow-scripts=npm:@tensorflow/tfjs-node` puts the package
 *    into the project's `node_modules` and runs its install script, which downloads libtensorflow
 *    (2.9.1) and the prebuilt addon from Google storage.
 * 2. Where that download fails but pip works (CPU package only): `pip download tensorflow-cpu
 *    --no-deps` from the configured index/wheelhouse, copy the TensorFlow C API out of the wheel
 *    (`libtensorflow_cc.so.2`, `libtensorflow_framework.so.2`, the `tensorflow/c` headers and the
 *    few headers they include) into the package's `deps/`, and rebuild the addon with node-gyp.
 * 3. Verify in a fresh Deno process that `initBackend({ backend: "tensorflow" })` activates and a
 *    matMul gives the right numbers.
 *
 * Idempotent: a working setup is detected and left alone (`--force` rebuilds). The build
 * (`deps/`, `lib/`) is kept in `.cache/tfjs-native/` and linked into the package, because
 * `deno install` may prune or re-extract the optional package; a rerun then relinks in seconds.
 * Nothing binary is committed; everything is built on the user's machine. Exits non-zero with
 * the reason on failure.
 *
 * ```sh
 * deno task setup:native [--gpu] [--force] [--retry-download]
 * ```
 *
 * @module
 */
import { run, tail } from "./_run.ts";
import { defineCommand, runCommand } from "../cli/_args.ts";

const TFJS_VERSION = "4.22.0";
/** The NAPI version the addon is built for (tfjs-node lists 3..8; node-pre-gyp picks 8). */
const NAPI_BUILD_VERSION = 8;
const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");

/** Options of {@linkcode setupNative}. */
export interface SetupNativeOptions {
  /** Set up tfjs-node-gpu instead of tfjs-node (standard install only). */
  readonly gpu?: boolean;
  /** Rebuild even when a working setup is found. */
  readonly force?: boolean;
  /** Run the package's own install script again even if it already ran and failed. */
  readonly retryDownload?: boolean;
  /** Progress lines (default `console.log`). */
  readonly log?: (line: string) => void;
}

/** What {@linkcode setupNative} did. */
export interface SetupNativeResult {
  /** The npm package that provides the backend. */
  readonly pkg: string;
  /** Its folder inside `node_modules`. */
  readonly dir: string;
  /** How libtensorflow got there. */
  readonly route: "already-set-up" | "relinked-cache" | "standard-install" | "tensorflow-cpu-wheel";
  /** The verification output (provider, matMul result). */
  readonly verified: string;
}

/**
 * Lists the members of a `tensorflow-cpu` wheel that tfjs-node's addon needs: the two shared
 * libraries and the C API headers with the headers they include.
 *
 * @param names Every member name of the wheel.
 * @returns The members to extract, split into libraries and headers.
 * @example
 * ```ts
 * import { selectWheelMembers } from "./setup_native.ts";
 * import { assertEquals } from "@std/assert";
 * const picked = selectWheelMembers([
 *   "tensorflow/libtensorflow_cc.so.2",
 *   "tensorflow/libtensorflow_framework.so.2",
 *   "tensorflow/include/tensorflow/c/c_api.h",
 *   "tensorflow/include/tsl/platform/ctstring.h",
 *   "tensorflow/include/tensorflow/core/framework/tensor.h",
 *   "tensorflow/python/_pywrap_tfe.so",
 * ]);
 * assertEquals(picked.libraries.length, 2);
 * assertEquals(picked.headers, [
 *   "tensorflow/include/tensorflow/c/c_api.h",
 *   "tensorflow/include/tsl/platform/ctstring.h",
 * ]);
 * ```
 */
export function selectWheelMembers(
  names: readonly string[],
): { libraries: string[]; headers: string[] } {
  const libraries = names.filter((n) =>
    n === "tensorflow/libtensorflow_cc.so.2" || n === "tensorflow/libtensorflow_framework.so.2"
  );
  const headerDirs = [
    "tensorflow/include/tensorflow/c/",
    "tensorflow/include/tensorflow/core/platform/",
    "tensorflow/include/tsl/platform/",
    "tensorflow/include/xla/tsl/c/",
  ];
  const headers = names.filter((n) => n.endsWith(".h") && headerDirs.some((d) => n.startsWith(d)));
  return { libraries, headers };
}

function packageDir(pkg: string): string {
  return `${ROOT}/node_modules/.deno/${pkg.replace("/", "+")}@${TFJS_VERSION}/node_modules/${pkg}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function addonPath(dir: string): string {
  return `${dir}/lib/napi-v${NAPI_BUILD_VERSION}/tfjs_binding.node`;
}

async function hasLibtensorflow(dir: string): Promise<boolean> {
  for (const name of ["libtensorflow.so", "libtensorflow.so.2", "libtensorflow.so.2.9.1"]) {
    if (await exists(`${dir}/deps/lib/${name}`)) return true;
  }
  return false;
}

/**
 * Where a working build (`deps/` with libtensorflow, `lib/` with the addon) is kept, linked into
 * the package: `deno install` prunes or re-extracts packages that are not in deno.lock (tfjs-node
 * is optional and not in it), and a rerun of setup:native then only relinks.
 */
function nativeCacheDir(pkg: string): string {
  return `${ROOT}/.cache/tfjs-native/${pkg.split("/")[1]}@${TFJS_VERSION}`;
}

/** Moves a working package's `deps/` and `lib/` into the cache and links them back. */
async function stash(dir: string, cache: string): Promise<void> {
  await Deno.mkdir(cache, { recursive: true });
  for (const sub of ["deps", "lib"]) {
    const inPkg = `${dir}/${sub}`;
    if ((await Deno.lstat(inPkg)).isSymlink) continue;
    await Deno.remove(`${cache}/${sub}`, { recursive: true }).catch(() => {});
    await Deno.rename(inPkg, `${cache}/${sub}`);
    await Deno.symlink(`${cache}/${sub}`, inPkg);
  }
}

/** Links a cached build into a freshly (re)installed package. */
async function relink(dir: string, cache: string): Promise<void> {
  for (const sub of ["deps", "lib"]) {
    const inPkg = `${dir}/${sub}`;
    await Deno.remove(inPkg, { recursive: true }).catch(() => {}); // a link: removes the link
    await Deno.symlink(`${cache}/${sub}`, inPkg);
  }
}

/** Runs the package's own install script through `deno install --allow-scripts`. */
async function standardInstall(pkg: string, log: (line: string) => void): Promise<string> {
  const entryDir = `${ROOT}/.cache/setup-native`;
  await Deno.mkdir(entryDir, { recursive: true });
  const entry = `${entryDir}/entry_${pkg.split("/")[1]}.ts`;
  await Deno.writeTextFile(
    entry,
    `// Generated by tools/setup_native.ts: makes Deno install ${pkg} with its scripts.\n` +
      `import "npm:${pkg}@${TFJS_VERSION}";\n`,
  );
  log(
    `* deno install --allow-scripts=npm:${pkg} (runs its install script: libtensorflow download)`,
  );
  const out = await run([
    Deno.execPath(),
    "install",
    "--no-lock", // an optional package: keep it out of the project's deno.lock
    `--allow-scripts=npm:${pkg}`,
    "--entrypoint",
    entry,
  ], { cwd: ROOT, env: { NO_COLOR: "1" } });
  return `${out.stdout}\n${out.stderr}`;
}

/** Finds a node-gyp to run (PATH, or the copy bundled with npm) and a node to run it with. */
async function findNodeGyp(): Promise<string[]> {
  const onPath = await run(["node-gyp", "--version"]);
  if (onPath.code === 0) return ["node-gyp"];
  const npmPath = await run(["sh", "-c", 'readlink -f "$(command -v npm)"']);
  const npmCli = npmPath.stdout.trim();
  if (npmPath.code === 0 && npmCli !== "") {
    // .../lib/node_modules/npm/bin/npm-cli.js -> .../lib/node_modules/npm/node_modules/node-gyp
    const gyp = `${npmCli.replace(/\/bin\/[^/]+$/, "")}/node_modules/node-gyp/bin/node-gyp.js`;
    if (await exists(gyp) && (await run(["node", "--version"])).code === 0) return ["node", gyp];
  }
  throw new Error(
    "Cannot rebuild the tfjs-node addon: node-gyp was not found (neither on PATH nor bundled " +
      "with npm); install Node.js with npm (or node-gyp), a C++ compiler, make and python3",
  );
}

/** The `--nodedir` for node-gyp when local Node headers exist (avoids a headers download). */
async function localNodeDir(): Promise<string | undefined> {
  const node = await run(["sh", "-c", 'readlink -f "$(command -v node)"']);
  const prefixes = ["/usr", "/usr/local"];
  if (node.code === 0 && node.stdout.trim() !== "") {
    prefixes.unshift(node.stdout.trim().replace(/\/bin\/[^/]+$/, ""));
  }
  for (const prefix of prefixes) {
    if (await exists(`${prefix}/include/node/node_api.h`)) return prefix;
  }
  return undefined;
}

const EXTRACT_PY = `
import json, os, shutil, sys, zipfile
wheel, out, members = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
with zipfile.ZipFile(wheel) as z:
    for name in members["libraries"]:
        with z.open(name) as src, open(os.path.join(out, "lib", os.path.basename(name)), "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
    for name in members["headers"]:
        rel = name[len("tensorflow/include/"):]
        path = os.path.join(out, "include", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with z.open(name) as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst)
print(len(members["libraries"]), len(members["headers"]))
`;

const LIST_PY = `
import json, sys, zipfile
print(json.dumps(zipfile.ZipFile(sys.argv[1]).namelist()))
`;

/** Builds libtensorflow + the addon from the tensorflow-cpu wheel (the fallback route). */
async function buildFromWheel(dir: string, log: (line: string) => void): Promise<string> {
  const pip = await run(["python3", "-m", "pip", "--version"]);
  if (pip.code !== 0) {
    throw new Error(
      "Cannot build tfjs-node from the tensorflow-cpu wheel: python3 -m pip does not run " +
        `(${tail(pip.stderr, 2)}); the libtensorflow download failed as well`,
    );
  }
  const tmp = await Deno.makeTempDir({ prefix: "loradrop-tf-wheel-" });
  try {
    log("* pip download tensorflow-cpu --no-deps (the TensorFlow C API is inside the wheel)");
    const dl = await run([
      "python3",
      "-m",
      "pip",
      "download",
      "tensorflow-cpu",
      "--no-deps",
      "--only-binary=:all:",
      "-d",
      tmp,
    ]);
    const wheelName = [...Deno.readDirSync(tmp)].map((e) => e.name)
      .find((n) => /^tensorflow_cpu-.*\.whl$/.test(n));
    if (dl.code !== 0 || wheelName === undefined) {
      throw new Error(
        `Cannot build tfjs-node: "pip download tensorflow-cpu" failed (exit ${dl.code}):\n` +
          tail(`${dl.stdout}\n${dl.stderr}`, 6),
      );
    }
    const wheel = `${tmp}/${wheelName}`;
    const listed = await run(["python3", "-c", LIST_PY, wheel]);
    if (listed.code !== 0) {
      throw new Error(`Cannot read ${wheelName}: ${tail(listed.stderr, 4)}`);
    }
    const members = selectWheelMembers(JSON.parse(listed.stdout) as string[]);
    if (members.libraries.length !== 2 || !members.headers.some((h) => h.endsWith("c/c_api.h"))) {
      throw new Error(
        `Cannot build tfjs-node from ${wheelName}: expected libtensorflow_cc.so.2, ` +
          `libtensorflow_framework.so.2 and tensorflow/c/c_api.h in the wheel, found ` +
          `${members.libraries.length} libraries and ${members.headers.length} C API headers`,
      );
    }
    const staging = `${dir}/deps.loradrop-staging`;
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    await Deno.mkdir(`${staging}/lib`, { recursive: true });
    await Deno.mkdir(`${staging}/include`, { recursive: true });
    log(`* extracting the C API from ${wheelName} (about 850 MB)`);
    const ex = await run(["python3", "-c", EXTRACT_PY, wheel, staging, JSON.stringify(members)]);
    if (ex.code !== 0) throw new Error(`Cannot extract ${wheelName}: ${tail(ex.stderr, 6)}`);
    // binding.gyp links -ltensorflow -ltensorflow_framework from deps/lib.
    await Deno.symlink("libtensorflow_cc.so.2", `${staging}/lib/libtensorflow.so`);
    await Deno.symlink("libtensorflow_framework.so.2", `${staging}/lib/libtensorflow_framework.so`);
    await Deno.writeTextFile(
      `${staging}/LORADROP_SOURCE.json`,
      JSON.stringify({ wheel: wheelName, builtBy: "tools/setup_native.ts" }, null, 2) + "\n",
    );
    await Deno.remove(`${dir}/deps`, { recursive: true }).catch(() => {});
    await Deno.rename(staging, `${dir}/deps`);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  const gyp = await findNodeGyp();
  const nodeDir = await localNodeDir();
  log(
    `* node-gyp rebuild (NAPI ${NAPI_BUILD_VERSION}${
      nodeDir ? `, Node headers in ${nodeDir}` : ""
    })`,
  );
  const build = await run([
    ...gyp,
    "rebuild",
    ...(nodeDir ? [`--nodedir=${nodeDir}`] : []),
    "--module_name=tfjs_binding",
    `--module_path=${dir}/lib/napi-v${NAPI_BUILD_VERSION}`,
    `--napi_build_version=${NAPI_BUILD_VERSION}`,
  ], { cwd: dir });
  if (build.code !== 0 || !(await exists(addonPath(dir)))) {
    throw new Error(
      `Cannot build the tfjs-node addon: node-gyp rebuild failed (exit ${build.code}):\n` +
        tail(`${build.stdout}\n${build.stderr}`, 12),
    );
  }
  const wheelSource = JSON.parse(await Deno.readTextFile(`${dir}/deps/LORADROP_SOURCE.json`));
  return String(wheelSource.wheel);
}

/** Loads the backend in a fresh Deno process and checks a matMul. */
async function verify(pkg: string): Promise<{ ok: boolean; text: string }> {
  const code = `
import { initBackend } from ${JSON.stringify(`file://${ROOT}/lib/backend.ts`)};
import * as tf from "@tensorflow/tfjs-core";
const info = await initBackend({ backend: "tensorflow" });
const c = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]]));
const got = Array.from(await c.data());
const want = [19, 22, 43, 50];
if (got.some((v, i) => v !== want[i])) throw new Error("matMul gave " + got.join(","));
console.log(JSON.stringify({ active: info.active, provider: info.provider, matMul: got }));
`;
  const out = await run([Deno.execPath(), "eval", "--no-lock", code], {
    cwd: ROOT,
    env: { NO_COLOR: "1", TF_CPP_MIN_LOG_LEVEL: "2" },
  });
  const line = out.stdout.trim().split("\n").pop() ?? "";
  if (out.code !== 0) return { ok: false, text: tail(`${out.stdout}\n${out.stderr}`, 10) };
  // The GPU package must be the one that loaded (the backend falls back to tfjs-node).
  const provider = (JSON.parse(line) as { provider?: string }).provider;
  if (provider !== pkg && provider !== "@tensorflow/tfjs-node-gpu") {
    return { ok: false, text: `${pkg} did not load, ${provider} did: ${tail(out.stderr, 4)}` };
  }
  return { ok: true, text: line };
}

/**
 * Installs and, where needed, builds tfjs-node (see the module doc), then verifies it.
 *
 * @param options `gpu`, `force`, `retryDownload`, `log`.
 * @returns The package, its folder, the route taken and the verification output.
 */
export async function setupNative(options: SetupNativeOptions = {}): Promise<SetupNativeResult> {
  const log = options.log ?? console.log;
  const pkg = options.gpu ? "@tensorflow/tfjs-node-gpu" : "@tensorflow/tfjs-node";
  const dir = packageDir(pkg);
  const cache = nativeCacheDir(pkg);
  if (!options.force && await exists(addonPath(dir)) && await hasLibtensorflow(dir)) {
    const check = await verify(pkg);
    if (check.ok) {
      await stash(dir, cache);
      log(`${pkg} is already set up (${dir}; the build is kept in ${cache})`);
      return { pkg, dir, route: "already-set-up", verified: check.text };
    }
    log(`${pkg} is installed but does not load; setting it up again:\n${check.text}`);
  }
  if (!options.force && await exists(addonPath(cache)) && await hasLibtensorflow(cache)) {
    if (!(await exists(dir))) await standardInstall(pkg, log);
    if (await exists(dir)) {
      log(`* linking the build kept in ${cache} into the package`);
      await relink(dir, cache);
      const check = await verify(pkg);
      if (check.ok) return { pkg, dir, route: "relinked-cache", verified: check.text };
      log(`* the kept build does not load; setting up again:\n${check.text}`);
    }
  }
  const marker = `${dir}/../../../.scripts-run`;
  if (options.retryDownload || options.force) await Deno.remove(marker).catch(() => {});
  let installOutput = "";
  if (!(await exists(dir)) || !(await exists(marker))) {
    installOutput = await standardInstall(pkg, log);
  }
  if (!(await exists(dir))) {
    throw new Error(
      `Cannot set up ${pkg}: deno install did not create ${dir}:\n${tail(installOutput, 10)}`,
    );
  }
  let route: SetupNativeResult["route"] = "standard-install";
  if (!options.force && await exists(addonPath(dir)) && await hasLibtensorflow(dir)) {
    log("* the standard install downloaded libtensorflow and the addon");
  } else {
    const why = /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|getaddrinfo/.exec(installOutput);
    log(
      options.force
        ? "* --force: rebuilding from the tensorflow-cpu wheel"
        : `* the standard install did not provide libtensorflow${
          why ? ` (download failed: ${why[0]})` : ""
        }`,
    );
    if (options.gpu) {
      throw new Error(
        `Cannot set up ${pkg}: its install script could not download libtensorflow-gpu from ` +
          `Google storage, and there is no pip fallback for the GPU build. On a machine with ` +
          `CUDA 11.2 + cuDNN 8.1 and access to storage.googleapis.com, rerun ` +
          `"deno task setup:native --gpu --retry-download".` +
          (installOutput ? `\n${tail(installOutput, 6)}` : ""),
      );
    }
    const wheel = await buildFromWheel(dir, log);
    log(`* built the addon against the TensorFlow C API of ${wheel}`);
    route = "tensorflow-cpu-wheel";
  }
  const check = await verify(pkg);
  if (!check.ok) {
    throw new Error(`Cannot use the tensorflow backend after setup:\n${check.text}`);
  }
  await stash(dir, cache);
  return { pkg, dir, route, verified: check.text };
}

/** The command line of `deno task setup:native`. */
export const SETUP_NATIVE_COMMAND = defineCommand({
  command: "deno task setup:native",
  usage: `Usage: deno task setup:native [--gpu] [--force] [--retry-download]
  Installs @tensorflow/tfjs-node (the tensorflow backend), building it against the tensorflow-cpu
  wheel when libtensorflow cannot be downloaded.
  --gpu             install @tensorflow/tfjs-node-gpu (CUDA 11.2 + cuDNN 8.1)
  --force           install again even if a working build is kept
  --retry-download  try the download again before building from the wheel`,
  flags: { gpu: "boolean", force: "boolean", "retry-download": "boolean" },
});

if (import.meta.main) {
  Deno.exit(
    await runCommand(SETUP_NATIVE_COMMAND, Deno.args, async ({ values }) => {
      const t0 = performance.now();
      const result = await setupNative({
        gpu: values.gpu,
        force: values.force,
        retryDownload: values["retry-download"],
      });
      console.log(
        `ok: ${result.pkg} via ${result.route} in ${
          ((performance.now() - t0) / 1000).toFixed(0)
        } s; verified ${result.verified}`,
      );
    }),
  );
}
