// Installing what the notebook pipeline and the browser check need, visibly and inside the
// repository (private helper of tools/notebooks.ts, tools/browser_check.ts and
// tools/setup_jupyter.ts):
// - a Python venv in .cache/jupyter-venv with a stock JupyterLab, Notebook 7, nbconvert and
//   playwright (pip, pinned versions);
// - the Deno kernelspec in .cache/jupyter/kernels/deno, found through JUPYTER_PATH;
// - Debian's chromium (apt), which playwright drives (never a browser download of its own).
import { run, tail } from "./_run.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** The venv with JupyterLab, Notebook 7, nbconvert and playwright. */
export const JUPYTER_VENV = `${ROOT}/.cache/jupyter-venv`;

/** The Jupyter data folder that holds the Deno kernelspec (put on `JUPYTER_PATH`). */
export const JUPYTER_DATA = `${ROOT}/.cache/jupyter`;

/** The Python packages of the venv, pinned. */
export const JUPYTER_PIP_PACKAGES = [
  "jupyterlab==4.6.4",
  "notebook==7.6.3",
  "nbconvert==7.17.1",
  "playwright==1.63.0",
] as const;

/** How to run the installed Jupyter tools. */
export interface JupyterTools {
  /** The venv's `jupyter` command. */
  readonly jupyter: string;
  /** The venv's `python`. */
  readonly python: string;
  /** Environment variables every Jupyter command needs (`JUPYTER_PATH`). */
  readonly env: Record<string, string>;
}

/** The tools' paths and environment (whether or not they are installed yet). */
export function jupyterTools(): JupyterTools {
  const inherited = Deno.env.get("JUPYTER_PATH");
  return {
    jupyter: `${JUPYTER_VENV}/bin/jupyter`,
    python: `${JUPYTER_VENV}/bin/python`,
    env: { JUPYTER_PATH: inherited ? `${JUPYTER_DATA}:${inherited}` : JUPYTER_DATA },
  };
}

let aptUpdated = false;

async function aptInstall(packages: readonly string[], log: (s: string) => void): Promise<void> {
  const apt = await run(["apt-get", "--version"]);
  if (apt.code !== 0) {
    throw new Error(
      `Cannot install ${packages.join(", ")}: apt-get is not available (${tail(apt.stderr, 2)})`,
    );
  }
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  if (!aptUpdated) {
    log(`apt-get update (to install ${packages.join(", ")})`);
    const up = await run(["apt-get", "update"], { env, timeoutMs: 5 * 60_000 });
    if (up.code !== 0) throw new Error(`Cannot run apt-get update:\n${tail(up.stderr)}`);
    aptUpdated = true;
  }
  log(`apt-get install ${packages.join(" ")}`);
  const inst = await run(
    ["apt-get", "install", "-y", "--no-install-recommends", ...packages],
    { env, timeoutMs: 10 * 60_000 },
  );
  if (inst.code !== 0) {
    throw new Error(`Cannot install ${packages.join(", ")} with apt-get:\n${tail(inst.stderr)}`);
  }
}

async function venvReady(tools: JupyterTools): Promise<boolean> {
  const probe = await run([
    tools.python,
    "-c",
    "import importlib.metadata as m, sys; sys.stdout.write(' '.join(p + '==' + m.version(p) " +
    `for p in ${JSON.stringify(JUPYTER_PIP_PACKAGES.map((p) => p.split("==")[0]))}))`,
  ], { timeoutMs: 60_000 });
  return probe.code === 0 && probe.stdout === JUPYTER_PIP_PACKAGES.join(" ");
}

async function writeKernelspec(log: (s: string) => void): Promise<void> {
  const dir = `${JUPYTER_DATA}/kernels/deno`;
  const spec = {
    argv: [Deno.execPath(), "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
  };
  const text = `${JSON.stringify(spec, null, 2)}\n`;
  const old = await Deno.readTextFile(`${dir}/kernel.json`).catch(() => "");
  if (old === text) return;
  log(`writing the Deno kernelspec to ${dir}/kernel.json (kernel: ${Deno.execPath()})`);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/kernel.json`, text);
}

/**
 * Makes sure the venv (JupyterLab, Notebook 7, nbconvert, playwright) and the Deno kernelspec
 * exist, installing them into `.cache/` when allowed.
 *
 * @param install Whether missing pieces may be installed.
 * @param log Progress messages.
 * @returns How to run the tools.
 */
export async function ensureJupyter(
  install: boolean,
  log: (s: string) => void,
): Promise<JupyterTools> {
  const tools = jupyterTools();
  if (!await venvReady(tools)) {
    if (!install) {
      throw new Error(
        `Cannot use Jupyter: ${JUPYTER_VENV} does not hold ${
          JUPYTER_PIP_PACKAGES.join(", ")
        } (run "deno task setup:jupyter")`,
      );
    }
    const python = Deno.env.get("PYTHON") ?? "python3";
    log(`creating ${JUPYTER_VENV} with ${python} -m venv`);
    const venv = await run([python, "-m", "venv", JUPYTER_VENV], { timeoutMs: 5 * 60_000 });
    if (venv.code !== 0) {
      throw new Error(`Cannot create the venv ${JUPYTER_VENV}:\n${tail(venv.stderr)}`);
    }
    log(`pip install ${JUPYTER_PIP_PACKAGES.join(" ")} (into ${JUPYTER_VENV}, ~2 min)`);
    // No retries: where an index is unreachable, pip would otherwise wait on it for every package.
    const pip = await run(
      [tools.python, "-m", "pip", "install", "--retries", "0", ...JUPYTER_PIP_PACKAGES],
      { timeoutMs: 20 * 60_000 },
    );
    if (pip.code !== 0 || !await venvReady(tools)) {
      throw new Error(
        `Cannot install ${JUPYTER_PIP_PACKAGES.join(", ")} into ${JUPYTER_VENV}:\n${
          tail(pip.stderr)
        }`,
      );
    }
  }
  if (install) await writeKernelspec(log);
  const specs = await run([tools.jupyter, "kernelspec", "list", "--json"], {
    env: tools.env,
    timeoutMs: 60_000,
  });
  const argv0 = (() => {
    try {
      return (JSON.parse(specs.stdout) as {
        kernelspecs?: Record<string, { spec?: { argv?: string[] } }>;
      }).kernelspecs?.deno?.spec?.argv?.[0];
    } catch {
      return undefined;
    }
  })();
  if (argv0 !== Deno.execPath()) {
    throw new Error(
      `Cannot use Jupyter: the Deno kernelspec runs ${
        argv0 ?? "nothing"
      }, not ${Deno.execPath()} ` +
        `(run "deno task setup:jupyter")`,
    );
  }
  return tools;
}

/**
 * Finds Debian's chromium, installing it with apt when missing and allowed.
 *
 * @param install Whether it may be installed.
 * @param log Progress messages.
 * @returns The browser's absolute path.
 */
export async function ensureChromium(install: boolean, log: (s: string) => void): Promise<string> {
  const find = async () => {
    for (const path of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
      if ((await run([path, "--version"], { timeoutMs: 60_000 })).code === 0) return path;
    }
    return undefined;
  };
  const found = await find();
  if (found !== undefined) return found;
  if (!install) {
    throw new Error(
      'Cannot find chromium: /usr/bin/chromium is missing (run "deno task setup:jupyter")',
    );
  }
  await aptInstall(["chromium"], log);
  const installed = await find();
  if (installed === undefined) {
    throw new Error("Cannot use chromium: /usr/bin/chromium still fails after installing it");
  }
  return installed;
}
