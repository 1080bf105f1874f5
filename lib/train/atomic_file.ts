/**
 * Crash-safe file writes: a whole file is written to a temporary sibling and renamed over the
 * destination (a reader sees the old or the new file, never a partial one); a JSON line is
 * appended with a single write.
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

/**
 * Appends one JSON record as a line to a JSONL file (created with its folders if missing).
 * The line is written in append mode; a torn last line left by a crash is terminated first.
 *
 * @param path The JSONL file.
 * @param record A JSON-serialisable value.
 * @returns Resolves once the line is written.
 * @example
 * ```ts
 * import { appendJsonLine, readJsonLines } from "./atomic_file.ts";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * await appendJsonLine(`${dir}/r.jsonl`, { a: 1 });
 * await appendJsonLine(`${dir}/r.jsonl`, { a: 2 });
 * assertEquals(await readJsonLines(`${dir}/r.jsonl`), [{ a: 1 }, { a: 2 }]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function appendJsonLine(path: string, record: unknown): Promise<void> {
  const line = JSON.stringify(record);
  if (line === undefined || line.includes("\n")) {
    throw new TypeError(`Cannot append to ${path}: the record is not JSON-serialisable`);
  }
  await Deno.mkdir(dirOf(path), { recursive: true });
  const file = await Deno.open(path, { read: true, append: true, create: true });
  try {
    // A line torn by a crash is closed first, so that this record starts on its own line.
    let prefix = "";
    const size = (await file.stat()).size;
    if (size > 0) {
      const last = new Uint8Array(1);
      await file.seek(size - 1, Deno.SeekMode.Start);
      await file.read(last);
      if (last[0] !== 0x0a) prefix = "\n";
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
 * ignored; any other malformed line is an error naming the file and line.
 *
 * @param path The JSONL file.
 * @returns The records in file order.
 * @example
 * ```ts
 * import { readJsonLines } from "./atomic_file.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(await readJsonLines("/nonexistent/loradrop.jsonl"), []);
 * ```
 */
export async function readJsonLines(path: string): Promise<unknown[]> {
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
      if (i === lines.length - 1 && !complete) break; // a torn last line
      throw new SyntaxError(
        `Cannot read ${path}: line ${i + 1} is not JSON (${(error as Error).message})`,
      );
    }
  }
  return out;
}
