/**
 * `deno task setup:python`: the Python that the interop tests and the golden scripts under
 * `tests/golden/` use, as a venv in `.cache/python/` with torch (CPU), transformers, peft,
 * safetensors, scipy and scikit-learn from pip's configured index or wheelhouse.
 *
 * This is the only place that installs Python packages: tests never do. They look for
 * `$LORADROP_PYTHON`, then this venv, and skip with the reason when neither imports what they
 * need (see `tests/_python.ts`).
 *
 * Idempotent: a venv that already imports every module is left alone (`--force` recreates it).
 * Prints each step; exits 1 with the reason when the venv cannot be made, 2 on a bad argument.
 *
 * ```sh
 * deno task setup:python [--force]
 * .cache/python/bin/python tests/golden/make_js_hidden_cut_golden.py
 * ```
 *
 * @module
 */
import { run, tail } from "./_run.ts";
import { defineCommand, runCommand } from "../cli/_args.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");

/** The pip packages the venv gets. */
export const PYTHON_PACKAGES: readonly string[] = [
  "torch",
  "transformers",
  "peft",
  "safetensors",
  "scipy",
  "scikit-learn",
];

/** The modules a finished venv must import (the import names of {@linkcode PYTHON_PACKAGES}). */
export const PYTHON_MODULES: readonly string[] = [
  "torch",
  "transformers",
  "peft",
  "safetensors",
  "scipy",
  "sklearn",
];

/**
 * The venv's interpreter inside a checkout.
 *
 * @param root The repository root (default: this checkout).
 * @returns `<root>/.cache/python/bin/python`.
 *
 * @example
 * ```ts
 * import { venvPython } from "./setup_python.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(venvPython("/repo"), "/repo/.cache/python/bin/python");
 * ```
 */
export function venvPython(root: string = ROOT): string {
  return `${root}/.cache/python/bin/python`;
}

/**
 * A Python one-liner that imports the given modules.
 *
 * @param modules Import names.
 * @returns The `python -c` argument.
 *
 * @example
 * ```ts
 * import { importCheck } from "./setup_python.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(importCheck(["torch", "peft"]), "import torch, peft");
 * ```
 */
export function importCheck(modules: readonly string[]): string {
  if (modules.length === 0) throw new RangeError("Cannot check imports: no module was named");
  return `import ${modules.join(", ")}`;
}

async function imports(python: string, modules: readonly string[]): Promise<boolean> {
  return (await run([python, "-c", importCheck(modules)], { timeoutMs: 180_000 })).code === 0;
}

/**
 * Creates (or checks) the venv and installs {@linkcode PYTHON_PACKAGES} into it.
 *
 * @param options `force` recreates the venv; `log` receives each step.
 * @returns The venv's interpreter.
 * @throws {Error} When `python3 -m venv` or `pip install` fails, with the tail of its output.
 */
export async function setupPython(
  options: { readonly force?: boolean; readonly log?: (line: string) => void } = {},
): Promise<string> {
  const log = options.log ?? console.log;
  const python = venvPython();
  const venv = python.replace(/\/bin\/python$/, "");
  if (!options.force && await imports(python, PYTHON_MODULES)) {
    log(`* ${venv} already imports ${PYTHON_MODULES.join(", ")}`);
    return python;
  }
  log(`* python3 -m venv ${options.force ? "--clear " : ""}${venv}`);
  const made = await run(["python3", "-m", "venv", ...(options.force ? ["--clear"] : []), venv]);
  if (made.code !== 0) {
    throw new Error(`Cannot create ${venv}: python3 -m venv failed:\n${tail(made.stderr, 3)}`);
  }
  log(`* ${venv}/bin/pip install ${PYTHON_PACKAGES.join(" ")} (pip's configured index/wheelhouse)`);
  // --retries 0: an unreachable index fails at once instead of backing off per package.
  const pip = await run(
    [`${venv}/bin/pip`, "install", "-q", "--retries", "0", ...PYTHON_PACKAGES],
    {
      timeoutMs: 30 * 60_000,
    },
  );
  if (pip.code !== 0) {
    throw new Error(
      `Cannot install into ${venv}: pip failed:\n${tail(`${pip.stdout}\n${pip.stderr}`, 5)}`,
    );
  }
  if (!await imports(python, PYTHON_MODULES)) {
    throw new Error(
      `Cannot use ${venv}: after pip install it still does not run "${
        importCheck(PYTHON_MODULES)
      }"`,
    );
  }
  const versions = await run([
    python,
    "-c",
    "import torch, transformers, peft; print(f'torch {torch.__version__}, transformers " +
    "{transformers.__version__}, peft {peft.__version__}')",
  ]);
  log(`* ${versions.stdout.trim()}`);
  return python;
}

/** The command line of `deno task setup:python`. */
export const SETUP_PYTHON_COMMAND = defineCommand({
  command: "deno task setup:python",
  usage: `Usage: deno task setup:python [--force]
  Makes the Python environment of the interoperability tests (a venv in .cache/python from pip's
  wheelhouse) and prints its interpreter.
  --force   make it again`,
  flags: { force: "boolean" },
});

if (import.meta.main) {
  Deno.exit(
    await runCommand(SETUP_PYTHON_COMMAND, Deno.args, async ({ values }) => {
      const t0 = performance.now();
      const python = await setupPython({ force: values.force });
      console.log(`ok: ${python} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }),
  );
}
