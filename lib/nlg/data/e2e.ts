/**
 * E2E NLG Challenge loaders: the challenge's CSV files and the Hugging Face `e2e_nlg` parquet files.
 *
 * @module
 */
import { parse as parseCsv } from "csv-parse/sync";
import { parquetMetadata, parquetReadObjects, parquetSchema } from "hyparquet";
import { parseMr } from "./mr.ts";
import type { E2eExample } from "./types.ts";

/** Groups (mr, ref) rows by MR, in order of first appearance, checking every MR parses. */
function group(rows: readonly { mr: string; ref?: string }[], where: string): E2eExample[] {
  const byMr = new Map<string, string[]>();
  rows.forEach((r, i) => {
    const mr = r.mr.trim();
    try {
      parseMr(mr);
    } catch (e) {
      throw new RangeError(`Cannot load E2E ${where}: row ${i + 1}: ${(e as Error).message}`);
    }
    let refs = byMr.get(mr);
    if (refs === undefined) byMr.set(mr, refs = []);
    if (r.ref !== undefined && r.ref.trim() !== "") refs.push(r.ref.trim());
  });
  return [...byMr].map(([mr, references]) => ({ mr, references }));
}

/**
 * Parses an E2E challenge CSV (`trainset.csv`, `devset.csv`, `testset_w_refs.csv`: columns `mr,ref`,
 * one row per reference; `testset.csv`: only `MR`). Column names are matched case-insensitively.
 *
 * @param text The CSV text (a UTF-8 BOM is allowed).
 * @param where A name for error messages.
 * @returns One example per distinct MR, with its references in file order.
 * @example
 * ```ts
 * import { parseE2eCsv } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * const csv = 'mr,ref\n"name[Aromi], eatType[pub]",Aromi is a pub.\n"name[Aromi], eatType[pub]","There is a pub, Aromi."\n';
 * assertEquals(parseE2eCsv(csv), [{ mr: "name[Aromi], eatType[pub]", references: ["Aromi is a pub.", "There is a pub, Aromi."] }]);
 * ```
 */
export function parseE2eCsv(text: string, where = "CSV"): E2eExample[] {
  let records: Record<string, string>[];
  try {
    records = parseCsv(text, { columns: true, bom: true, skip_empty_lines: true }) as Record<
      string,
      string
    >[];
  } catch (e) {
    throw new RangeError(`Cannot load E2E ${where}: ${(e as Error).message}`);
  }
  if (records.length === 0) throw new RangeError(`Cannot load E2E ${where}: no rows`);
  const columns = Object.keys(records[0]!);
  const mrCol = columns.find((c) => c.trim().toLowerCase() === "mr");
  const refCol = columns.find((c) => c.trim().toLowerCase() === "ref");
  if (mrCol === undefined) {
    throw new RangeError(
      `Cannot load E2E ${where}: no "mr" column, received columns [${columns.join(", ")}]`,
    );
  }
  return group(
    records.map((r) =>
      refCol === undefined ? { mr: r[mrCol]! } : { mr: r[mrCol]!, ref: r[refCol]! }
    ),
    where,
  );
}

/**
 * Reads an E2E split from a file: `.csv` (the challenge's layout) or `.parquet` (Hugging Face's
 * `e2e_nlg`: columns `meaning_representation`, `human_reference`, one row per reference).
 *
 * @param path The file.
 * @returns One example per distinct MR.
 * @example
 * ```ts
 * import { loadE2e } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * const file = await Deno.makeTempFile({ suffix: ".csv" });
 * await Deno.writeTextFile(file, 'MR\n"name[Aromi], area[riverside]"\n');
 * assertEquals(await loadE2e(file), [{ mr: "name[Aromi], area[riverside]", references: [] }]);
 * await Deno.remove(file);
 * ```
 */
export async function loadE2e(path: string): Promise<E2eExample[]> {
  if (path.endsWith(".csv")) {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      throw new Error(`Cannot load E2E ${path}: ${(e as Error).message}`);
    }
    return parseE2eCsv(text, path);
  }
  if (path.endsWith(".parquet")) return await loadE2eParquet(path);
  throw new RangeError(`Cannot load E2E: expected a .csv or .parquet file, received ${path}`);
}

async function loadE2eParquet(path: string): Promise<E2eExample[]> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new Error(`Cannot load E2E ${path}: ${(e as Error).message}`);
  }
  const file = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength,
  ) as ArrayBuffer;
  const wanted = ["meaning_representation", "human_reference"];
  let rows: Record<string, unknown>[];
  try {
    const metadata = parquetMetadata(file);
    const present = parquetSchema(metadata).children.map((c) => c.element.name);
    const missing = wanted.find((w) => !present.includes(w));
    if (missing !== undefined) {
      throw new RangeError(
        `Cannot load E2E ${path}: no column "${missing}", received columns [${present.join(", ")}]`,
      );
    }
    rows = await parquetReadObjects({ file, metadata, columns: wanted });
  } catch (e) {
    if ((e as Error).message.startsWith("Cannot load E2E")) throw e;
    throw new Error(`Cannot load E2E ${path}: cannot read parquet: ${(e as Error).message}`);
  }
  return group(
    rows.map((r, i) => {
      const mr = r.meaning_representation;
      const ref = r.human_reference;
      if (
        typeof mr !== "string" || (ref !== null && ref !== undefined && typeof ref !== "string")
      ) {
        throw new RangeError(`Cannot load E2E ${path}: row ${i + 1} has a non-string value`);
      }
      return typeof ref === "string" ? { mr, ref } : { mr };
    }),
    path,
  );
}
