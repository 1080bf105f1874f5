/**
 * Crash-safe file writes: a whole file is written to a temporary sibling and renamed over the
 * destination (a reader sees the old or the new file, never a partial one); a JSON line is
 * appended with a single write, after cutting off a line torn by an earlier crash.
 *
 * @module
 */

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

/**
 * Writes bytes or text to `path` atomically (temporary file in the same folder, then rename).
 * Missing parent folders are created.
 *
 * @param path The destination.
 * @param data The content.
 * @returns Resolves once the file is in place.
 * @example
 * ```ts
 * import { writeFileAtomic } from "./atomic_file.ts";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a/b.txt`, "hello");
 * assertEquals(await Deno.readTextFile(`${dir}/a/b.txt`), "hello");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirOf(path);
  await Deno.mkdir(dir, { recursive: true });
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`Cannot write ${path}: ${(error as Error).message}`);
  }
}

/** Options of {@linkcode appendJsonLine} and {@linkcode readJsonLines}. */
export interface JsonLinesOptions {
  /**
   * Told about a torn last line (a write cut short by a crash): its 1-based line number and
   * length in bytes. Default: a warning on stderr.
   */
  readonly onTornLine?: (path: string, line: number, bytes: number) => void;
}

function warnTornLine(action: string): (path: string, line: number, bytes: number) => void {
  return (path, line, bytes) =>
    console.warn(
      `${path}: line ${line} (${bytes} bytes) is a record cut short by a crash; ${action}`,
    );
}

const TAIL_CHUNK = 1 << 16;

async function readRange(file: Deno.FsFile, start: number, end: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(end - start);
  await file.seek(start, Deno.SeekMode.Start);
  let read = 0;
  while (read < bytes.length) {
    const n = await file.read(bytes.subarray(read));
    if (n === null) break;
    read += n;
  }
  return bytes.subarray(0, read);
}

/**
 * Where the last line of an open file starts (just after its last newline; 0 without one).
 * Reads backwards in chunks, so a long file is not read whole.
 */
async function lastLineStart(file: Deno.FsFile, size: number): Promise<number> {
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - TAIL_CHUNK);
    const nl = (await readRange(file, start, end)).lastIndexOf(0x0a);
    if (nl >= 0) return start + nl + 1;
    end = start;
  }
  return 0;
}

function countLines(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) if (b === 0x0a) n++;
  return n;
}

/**
 * Appends one JSON record as a line to a JSONL file (created with its folders if missing), with
 * a single write in append mode. A torn last line left by a crash (text after the last newline
 * that is not JSON) is cut off first and reported, so the file stays readable; a last line that
 * is whole JSON but lacks its newline is kept and ended.
 *
 * @param path The JSONL file.
 * @param record A JSON-serialisable value.
 * @param options Where a removed torn line is reported (default: a warning on stderr).
 * @returns Resolves once the line is written.
 * @example
 * ```ts
 * import { appendJsonLine, readJsonLines } from "./atomic_file.ts";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * await appendJsonLine(`${dir}/r.jsonl`, { a: 1 });
 * await Deno.writeTextFile(`${dir}/r.jsonl`, '{"a": 2, "cu', { append: true }); // a crash
 * const torn: number[] = [];
 * await appendJsonLine(`${dir}/r.jsonl`, { a: 3 }, { onTornLine: (_, line) => torn.push(line) });
 * assertEquals(torn, [2]);
 * assertEquals(await readJsonLines(`${dir}/r.jsonl`), [{ a: 1 }, { a: 3 }]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function appendJsonLine(
  path: string,
  record: unknown,
  options: JsonLinesOptions = {},
): Promise<void> {
  const line = JSON.stringify(record);
  if (line === undefined || line.includes("\n")) {
    throw new TypeError(`Cannot append to ${path}: the record is not JSON-serialisable`);
  }
  await Deno.mkdir(dirOf(path), { recursive: true });
  const file = await Deno.open(path, { read: true, append: true, create: true });
  try {
    // Appenders of other processes wait while a torn line is checked and cut off.
    await file.lock(true);
    let prefix = "";
    const size = (await file.stat()).size;
    if (size > 0) {
      const start = await lastLineStart(file, size);
      if (start < size) {
        const tail = await readRange(file, start, size);
        let whole = true;
        try {
          JSON.parse(new TextDecoder().decode(tail));
        } catch {
          whole = false;
        }
        if (whole) {
          prefix = "\n";
        } else {
          // Cut short by a crash: removed, so the file never holds a malformed line in its middle.
          const lineNumber = countLines(await readRange(file, 0, start)) + 1;
          await file.truncate(start);
          (options.onTornLine ?? warnTornLine("removed it before appending"))(
            path,
            lineNumber,
            size - start,
          );
        }
      }
    }
    const bytes = new TextEncoder().encode(prefix + line + "\n");
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
  } finally {
    file.close();
  }
}

/**
 * Reads a JSONL file. A missing file reads as no records; a final line cut short by a crash is
 * skipped and reported (the next {@linkcode appendJsonLine} removes it); any other malformed
 * line is an error naming the file and line.
 *
 * @param path The JSONL file.
 * @param options Where a skipped torn line is reported (default: a warning on stderr).
 * @returns The records in file order.
 * @example
 * ```ts
 * import { readJsonLines } from "./atomic_file.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(await readJsonLines("/nonexistent/loradrop.jsonl"), []);
 * ```
 */
export async function readJsonLines(
  path: string,
  options: JsonLinesOptions = {},
): Promise<unknown[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const lines = text.split("\n");
  const complete = text.endsWith("\n");
  const out: unknown[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    try {
      out.push(JSON.parse(line));
    } catch (error) {
      if (i === lines.length - 1 && !complete) {
        (options.onTornLine ?? warnTornLine("skipped it"))(
          path,
          i + 1,
          new TextEncoder().encode(line).length,
        );
        break;
      }
      throw new SyntaxError(
        `Cannot read ${path}: line ${i + 1} is not JSON (${(error as Error).message})`,
      );
    }
  }
  return out;
}
