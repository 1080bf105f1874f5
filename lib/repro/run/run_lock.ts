/**
 * One run at a time: before a run trains, its process takes `<dir>/locks/<hash>.lock`, an
 * exclusive advisory lock (`flock`) on a file that names the holder (pid, host, start time).
 * The operating system drops the lock when its process ends, however it ends (`kill -9`
 * included), so a lock left by a dead process is taken over, and the taker is told whose it was.
 * Two `repro` processes on one results folder thus share the grid instead of training every run
 * twice.
 *
 * @module
 */

/** Who holds (or held) a run's lock. */
export interface LockHolder {
  /** Process id. */
  readonly pid: number;
  /** Host name (`unknown host` without `--allow-sys=hostname`). */
  readonly host: string;
  /** ISO time the lock was taken. */
  readonly startedAt: string;
}

/** A held run lock. */
export interface RunLock {
  /** The lock file. */
  readonly path: string;
  /** The previous holder, when its lock was left by a process that has ended. */
  readonly tookOver?: LockHolder;
  /** Lets the lock go (the file stays, emptied). */
  release(): Promise<void>;
}

/** The run is being run by another process. */
export class RunLockedError extends Error {
  /** The holder, when its lock file names one. */
  readonly holder: LockHolder | undefined;

  /**
   * Creates the error.
   *
   * @param message The message.
   * @param holder The holder.
   */
  constructor(message: string, holder: LockHolder | undefined) {
    super(message);
    this.name = "RunLockedError";
    this.holder = holder;
  }
}

function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown host"; // no --allow-sys=hostname
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (
      typeof h.pid === "number" && typeof h.host === "string" && typeof h.startedAt === "string"
    ) {
      return { pid: h.pid, host: h.host, startedAt: h.startedAt };
    }
  } catch {
    // empty (released, or being written) or foreign content
  }
  return undefined;
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    return parseHolder(await Deno.readTextFile(path));
  } catch {
    return undefined;
  }
}

/**
 * Describes a holder for messages: `pid 123 on host-a since 2026-…`.
 *
 * @param holder The holder.
 * @returns The description.
 * @example
 * ```ts
 * import { describeHolder } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(
 *   describeHolder({ pid: 7, host: "a", startedAt: "2026-01-01T00:00:00.000Z" }),
 *   "pid 7 on a since 2026-01-01T00:00:00.000Z",
 * );
 * ```
 */
export function describeHolder(holder: LockHolder): string {
  return `pid ${holder.pid} on ${holder.host} since ${holder.startedAt}`;
}

/**
 * Takes the lock of run `name` in `dir` without waiting. A lock held by a live process (this one
 * included, through another call) is a {@linkcode RunLockedError} naming the holder; a lock
 * file left by a process that has ended is taken over and its holder returned as `tookOver`.
 *
 * @param dir The results folder (`locks/` goes below it).
 * @param name The run's hash (64 hex digits) or another file-name-safe key.
 * @returns The held lock; call `release()` when the run is stored or has failed.
 * @example
 * ```ts
 * import { acquireRunLock, RunLockedError } from "@loradrop/core/repro";
 * import { assertEquals, assertRejects } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * const lock = await acquireRunLock(dir, "abc");
 * await assertRejects(() => acquireRunLock(dir, "abc"), RunLockedError, `pid ${Deno.pid}`);
 * await lock.release();
 * const again = await acquireRunLock(dir, "abc");
 * assertEquals(again.tookOver, undefined);
 * await again.release();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function acquireRunLock(dir: string, name: string): Promise<RunLock> {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(name)) {
    throw new RangeError(
      `Cannot lock a run: its name must be letters, digits, "-" or "_", received ${
        JSON.stringify(name)
      }`,
    );
  }
  await Deno.mkdir(`${dir}/locks`, { recursive: true });
  const path = `${dir}/locks/${name}.lock`;
  const file = await Deno.open(path, { read: true, write: true, create: true });
  let held = false;
  try {
    if (!(await file.tryLock(true))) {
      const holder = await readHolder(path);
      throw new RunLockedError(
        `Cannot run ${name.slice(0, 12)}: it is being run by ${
          holder === undefined ? "another process" : describeHolder(holder)
        } (lock ${path})`,
        holder,
      );
    }
    held = true;
    // Content left behind with no lock on it: its process ended without releasing.
    const tookOver = await readHolder(path);
    const me: LockHolder = { pid: Deno.pid, host: hostName(), startedAt: new Date().toISOString() };
    await file.truncate(0);
    await file.seek(0, Deno.SeekMode.Start);
    await file.write(new TextEncoder().encode(JSON.stringify(me) + "\n"));
    let released = false;
    return {
      path,
      ...(tookOver === undefined ? {} : { tookOver }),
      release: async () => {
        if (released) return;
        released = true;
        try {
          await file.truncate(0);
          await file.unlock();
        } finally {
          file.close();
        }
      },
    };
  } catch (error) {
    if (held) await file.unlock().catch(() => {});
    file.close();
    throw error;
  }
}

/**
 * Runs `work` while holding the lock of run `name` (see {@linkcode acquireRunLock}), releasing
 * it however `work` ends. A lock taken over from an ended process is told to `onNotice`.
 *
 * @param dir The results folder.
 * @param name The run's hash.
 * @param work What to do under the lock.
 * @param onNotice Where a take-over is told (default: a warning on stderr).
 * @returns What `work` returns.
 * @example
 * ```ts
 * import { withRunLock } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * assertEquals(await withRunLock(dir, "abc", () => Promise.resolve(42)), 42);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function withRunLock<T>(
  dir: string,
  name: string,
  work: () => Promise<T>,
  onNotice: (message: string) => void = (m) => console.warn(m),
): Promise<T> {
  const lock = await acquireRunLock(dir, name);
  try {
    if (lock.tookOver !== undefined) {
      onNotice(
        `Took over the lock of run ${name.slice(0, 12)} left by ${
          describeHolder(lock.tookOver)
        }, which has ended; its run resumes from its last checkpoint`,
      );
    }
    return await work();
  } finally {
    await lock.release();
  }
}
