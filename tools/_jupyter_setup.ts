// Installing what the notebook pipeline needs when it is missing: Debian's Jupyter packages,
// the Deno kernelspec, Debian's chromium (private helper of tools/notebooks.ts).
import { run, tail } from "./_run.ts";

/** Debian packages for headless notebook execution and HTML export. */
export const JUPYTER_APT_PACKAGES = [
  "jupyter-nbconvert",
  "jupyter-client",
  "python3-nbclient",
  "jupyter-core",
] as const;

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

async function jupyterReady(): Promise<boolean> {
  const nbconvert = await run(["jupyter", "nbconvert", "--version"], { timeoutMs: 60_000 });
  if (nbconvert.code !== 0) return false;
  // `python3` on PATH may not be Debian's (pyenv): ask jupyter itself for the kernel client.
  const kernelspec = await run(["jupyter", "kernelspec", "list", "--json"], { timeoutMs: 60_000 });
  return kernelspec.code === 0;
}

async function denoKernelArgv0(): Promise<string | undefined> {
  const list = await run(["jupyter", "kernelspec", "list", "--json"], { timeoutMs: 60_000 });
  if (list.code !== 0) return undefined;
  try {
    const specs = JSON.parse(list.stdout) as {
      kernelspecs?: Record<string, { spec?: { argv?: string[] } }>;
    };
    return specs.kernelspecs?.deno?.spec?.argv?.[0];
  } catch {
    return undefined;
  }
}

/**
 * Makes sure `jupyter nbconvert`, nbclient and the Deno kernelspec (pointing at this Deno) exist.
 *
 * @param install Whether missing pieces may be installed.
 * @param log Progress messages.
 */
export async function ensureJupyter(install: boolean, log: (s: string) => void): Promise<void> {
  if (!await jupyterReady()) {
    if (!install) {
      throw new Error("Cannot execute notebooks: jupyter nbconvert/nbclient is missing");
    }
    await aptInstall(JUPYTER_APT_PACKAGES, log);
    if (!await jupyterReady()) {
      throw new Error("Cannot execute notebooks: jupyter nbconvert still fails after installing");
    }
  }
  const argv0 = await denoKernelArgv0();
  const real = (p: string | undefined) =>
    p === undefined ? Promise.resolve(undefined) : Deno.realPath(p).catch(() => undefined);
  if (argv0 === undefined || await real(argv0) !== await real(Deno.execPath())) {
    if (!install) {
      throw new Error(
        `Cannot execute notebooks: no Deno kernelspec for ${Deno.execPath()} (found ${argv0})`,
      );
    }
    log(`deno jupyter --install --force (kernel was ${argv0 ?? "missing"})`);
    const res = await run([Deno.execPath(), "jupyter", "--install", "--force"]);
    if (res.code !== 0) throw new Error(`Cannot install the Deno kernel:\n${tail(res.stderr)}`);
  }
}

/**
 * Finds Debian's chromium, installing it when missing.
 *
 * @param install Whether it may be installed.
 * @param log Progress messages.
 * @returns The browser's command name.
 */
export async function ensureChromium(install: boolean, log: (s: string) => void): Promise<string> {
  for (const name of ["chromium", "chromium-browser"]) {
    if ((await run([name, "--version"], { timeoutMs: 60_000 })).code === 0) return name;
  }
  if (!install) throw new Error("Cannot render notebooks: chromium is missing");
  await aptInstall(["chromium"], log);
  if ((await run(["chromium", "--version"], { timeoutMs: 60_000 })).code !== 0) {
    throw new Error("Cannot render notebooks: chromium still fails after installing");
  }
  return "chromium";
}
