// The Python that tests compare against (PyTorch, transformers, PEFT): `$LORADROP_PYTHON`, else
// the venv `deno task setup:python` makes in `.cache/python/`. Tests never install anything: when
// neither imports the modules a test needs, the test is ignored and its name says why.
import { importCheck, venvPython } from "../tools/setup_python.ts";

/** A Python that imports the requested modules, or why there is none. */
export type PythonProbe =
  | { readonly python: string; readonly skip?: undefined }
  | { readonly python?: undefined; readonly skip: string };

async function importsAll(python: string, modules: readonly string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(python, {
      args: ["-c", importCheck(modules)],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(180_000),
    }).output();
    if (out.success) return null;
    const last = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1) ?? "";
    return `${python} cannot "${importCheck(modules)}" (${last})`;
  } catch (error) {
    return `${python} cannot run (${(error as Error).message})`;
  }
}

/**
 * Finds a Python importing `modules`: `$LORADROP_PYTHON` when set (and then only it), else the
 * `deno task setup:python` venv. Prints the reason once when there is none.
 */
export async function findPython(modules: readonly string[]): Promise<PythonProbe> {
  const fromEnv = Deno.env.get("LORADROP_PYTHON");
  const python = fromEnv ? fromEnv : venvPython();
  const problem = await importsAll(python, modules);
  if (problem === null) return { python };
  const hint = fromEnv
    ? "fix or unset LORADROP_PYTHON"
    : "run `deno task setup:python` or set LORADROP_PYTHON";
  const skip = `${problem}; ${hint}`;
  console.warn(`Skipping the tests that need Python ${modules.join(", ")}: ${skip}`);
  return { skip };
}

/**
 * A test's name with the skip reason appended when there is no Python, so the test report itself
 * says why a test was ignored.
 */
export function pythonTestName(name: string, probe: PythonProbe): string {
  return probe.skip === undefined ? name : `${name} [skipped: ${probe.skip}]`;
}
