/**
 * Reading a JSON file that may not exist yet (a sidecar, an evidence file, a measurement): a
 * missing file is `undefined`, unreadable JSON a `SyntaxError` naming the file.
 *
 * @module
 */

/**
 * Reads and parses a JSON file, or nothing when there is no such file.
 *
 * @param path The file.
 * @param label How errors name the file (default: its path), e.g. `checkpoint <path>`.
 * @returns The parsed value, or undefined when the file does not exist.
 * @throws {SyntaxError} When the file is not JSON.
 * @example
 * ```ts
 * import { readJsonFile } from "./json_file.ts";
 * import { assertEquals, assertRejects } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * assertEquals(await readJsonFile(`${dir}/missing.json`), undefined);
 * await Deno.writeTextFile(`${dir}/a.json`, '{"x": 1}');
 * assertEquals(await readJsonFile(`${dir}/a.json`), { x: 1 });
 * await Deno.writeTextFile(`${dir}/b.json`, "{x");
 * await assertRejects(() => readJsonFile(`${dir}/b.json`), SyntaxError, "Cannot read");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readJsonFile(path: string, label: string = path): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`Cannot read ${label}: ${(error as Error).message}`);
  }
}
