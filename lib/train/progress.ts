/**
 * A terminal progress bar for training (steps/s, loss, ETA), drawn with `cli-progress` on
 * stderr, and only when stderr is a terminal: logs, CI and notebooks get nothing.
 *
 * @module
 */
import cliProgressModule from "cli-progress";
import process from "node:process";

// The part of cli-progress used here. (Its @types package pulls in @types/node, whose current
// release breaks Deno's type resolution, so the few members are declared locally.)
interface SingleBar {
  start(total: number, start: number, payload: Record<string, string>): void;
  update(value: number, payload: Record<string, string>): void;
  stop(): void;
}
interface CliProgress {
  SingleBar: new (options: Record<string, unknown>, preset: unknown) => SingleBar;
  Presets: { shades_classic: unknown };
}
const cliProgress = cliProgressModule as unknown as CliProgress;

/** A progress display; every method is a no-op when it is disabled. */
export interface TrainProgress {
  /** Whether anything is drawn. */
  readonly enabled: boolean;
  /** Reports `done` finished steps and the latest loss. */
  update(done: number, loss: number): void;
  /** Closes the bar (leaves the last line on screen). */
  stop(): void;
}

function stderrIsTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

/**
 * Starts a progress bar at `start` of `total` steps.
 *
 * @param total The run's total steps.
 * @param start Steps already done (a resumed run).
 * @param enabled Force on or off; by default on exactly when stderr is a terminal.
 * @returns The progress display.
 * @example
 * ```ts
 * import { createProgress } from "@loradrop/core/train";
 * import { assertEquals } from "@std/assert";
 * const bar = createProgress(10, 0, false);
 * bar.update(1, 0.69);
 * bar.stop();
 * assertEquals(bar.enabled, false);
 * ```
 */
export function createProgress(total: number, start = 0, enabled?: boolean): TrainProgress {
  const on = enabled ?? stderrIsTerminal();
  if (!on) return { enabled: false, update() {}, stop() {} };
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: "{bar} {value}/{total} steps | {rate} steps/s | loss {loss} | ETA {eta_formatted}",
    hideCursor: true,
    etaBuffer: 20,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, start, { rate: "-", loss: "-" });
  let last = performance.now(), lastDone = start, rate = "-";
  return {
    enabled: true,
    update(done: number, loss: number): void {
      const now = performance.now();
      if (now - last > 500) {
        rate = ((done - lastDone) / ((now - last) / 1000)).toFixed(2);
        last = now;
        lastDone = done;
      }
      bar.update(done, { rate, loss: loss.toFixed(4) });
    },
    stop(): void {
      bar.stop();
    },
  };
}

/** A bar over counted items (runs of a grid, say). */
export interface CountProgress {
  /** Whether anything is drawn. */
  readonly enabled: boolean;
  /** One more item finished; `failed` is the running count of failures. */
  tick(failed: number): void;
  /** Closes the bar. */
  stop(): void;
}

/**
 * A progress bar over `total` items named `unit`, drawn only when enabled (by default exactly
 * when stderr is a terminal).
 *
 * @param total How many items.
 * @param unit What an item is called ("runs").
 * @param enabled Force drawing on or off.
 * @returns The bar.
 * @example
 * ```ts
 * import { createCountProgress } from "@loradrop/core/train";
 * import { assertEquals } from "@std/assert";
 * const bar = createCountProgress(3, "runs", false);
 * bar.tick(0);
 * bar.stop();
 * assertEquals(bar.enabled, false);
 * ```
 */
export function createCountProgress(total: number, unit: string, enabled?: boolean): CountProgress {
  const on = (enabled ?? stderrIsTerminal()) && total > 0;
  if (!on) return { enabled: false, tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: `{bar} {value}/{total} ${unit} | failed {failed} | ETA {eta_formatted}`,
    hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  let done = 0;
  bar.start(total, 0, { failed: "0" });
  return {
    enabled: true,
    tick(failed: number): void {
      bar.update(++done, { failed: String(failed) });
    },
    stop(): void {
      bar.stop();
    },
  };
}
