/**
 * The command lines' backend: the fastest one set up here (`lib/backend_fastest.ts`), after
 * setting `tensorflow` up once when it is not (the same build as `deno task setup:native`, about
 * 1-1.5 min, kept in `.cache/tfjs-native/`). `--no-setup` or `LORADROP_NO_SETUP=1` skips the
 * set-up; a backend asked for by name (`--backend`, `LORADROP_BACKEND`) is used as asked or the
 * command fails. When the set-up cannot be done here, the command says why and runs on wasm.
 *
 * @module
 */
import type { BackendInfo } from "../lib/backend.ts";
import { tensorflowBackendInstalled } from "../lib/backend.ts";
import { initFastestBackend } from "../lib/backend_fastest.ts";

/** Options of {@linkcode initCliBackend}. */
export interface CliBackendOptions {
  /** `--backend`, if given. */
  readonly requested?: string | undefined;
  /** Processes that will train at once (`--jobs`). */
  readonly jobs: number;
  /** `--no-setup`: never set tensorflow up from here. */
  readonly noSetup?: boolean;
}

function envFlag(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether this command may set the tensorflow backend up: nothing was asked for by name, it is
 * not set up yet, and neither `--no-setup` nor `LORADROP_NO_SETUP` (anything but `0`) says no.
 *
 * @param options The command's options.
 * @returns Whether to run the set-up.
 * @example
 * ```ts
 * import { shouldSetUpTensorflow } from "./_backend.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(shouldSetUpTensorflow({ requested: "wasm", jobs: 1 }), false);
 * assertEquals(shouldSetUpTensorflow({ jobs: 1, noSetup: true }), false);
 * ```
 */
export function shouldSetUpTensorflow(options: CliBackendOptions): boolean {
  if (options.requested !== undefined || envFlag("LORADROP_BACKEND") !== undefined) return false;
  if (options.noSetup) return false;
  const optOut = envFlag("LORADROP_NO_SETUP");
  if (optOut !== undefined && optOut !== "0") return false;
  return tensorflowBackendInstalled() === false;
}

/**
 * Sets tensorflow up when {@linkcode shouldSetUpTensorflow} says so (progress on stderr), then
 * initialises the fastest backend and prints which one and why (stderr).
 *
 * @param options `--backend`, `--jobs`, `--no-setup`.
 * @returns The active backend.
 * @example
 * ```ts ignore
 * import { initCliBackend } from "./_backend.ts";
 * const info = await initCliBackend({ jobs: 2 });
 * ```
 */
export async function initCliBackend(options: CliBackendOptions): Promise<BackendInfo> {
  if (shouldSetUpTensorflow(options)) {
    console.error(
      "loradrop: setting up the tensorflow backend once (tfjs-node built against the TensorFlow " +
        "C API of the tensorflow-cpu wheel, about 1-1.5 min, kept in .cache/tfjs-native/; " +
        "--no-setup or LORADROP_NO_SETUP=1 skips this)",
    );
    const t0 = performance.now();
    try {
      const { setupNative } = await import("../tools/setup_native.ts");
      const result = await setupNative({ log: (line) => console.error(`  ${line}`) });
      console.error(
        `loradrop: tensorflow set up via ${result.route} in ${
          ((performance.now() - t0) / 1000).toFixed(0)
        } s`,
      );
    } catch (error) {
      const reason = (error as Error).message.split("\n").slice(0, 3).join(" ");
      console.error(`loradrop: cannot set up tensorflow here (${reason}); running on wasm`);
    }
  }
  return await initFastestBackend({
    ...(options.requested === undefined ? {} : { requested: options.requested }),
    jobs: options.jobs,
  });
}
