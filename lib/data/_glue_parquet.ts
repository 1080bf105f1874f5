// Reader for the Hugging Face `glue` parquet files, through hyparquet.
import { parquetMetadata, parquetReadObjects, parquetSchema } from "hyparquet";
import type { Example } from "./example.ts";

/**
 * Reads one parquet file of a GLUE task into examples.
 *
 * @param path The file.
 * @param columns Names of the text, optional text-pair and label columns.
 * @param parseLabel Checks a label value, returning a number or an error reason.
 */
export async function readGlueParquet(
  path: string,
  columns: { readonly text: string; readonly textPair?: string; readonly label: string },
  parseLabel: (value: number) => number | string,
  where: string,
): Promise<Example[]> {
  const bytes = await Deno.readFile(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const wanted = [columns.text, ...(columns.textPair ? [columns.textPair] : []), columns.label];
  let rows: Record<string, unknown>[];
  try {
    const metadata = parquetMetadata(file);
    const present = parquetSchema(metadata).children.map((c) => c.element.name);
    const missing = wanted.filter((w) => !present.includes(w));
    if (missing.length > 0) {
      throw new Error(
        `Cannot load GLUE ${where}: no column "${missing[0]}", received columns [${
          present.join(", ")
        }]`,
      );
    }
    rows = await parquetReadObjects({ file, metadata, columns: wanted });
  } catch (e) {
    if ((e as Error).message.startsWith("Cannot load GLUE")) throw e;
    throw new Error(`Cannot load GLUE ${where}: cannot read parquet: ${(e as Error).message}`);
  }
  return rows.map((row, i) => {
    for (const name of wanted) {
      if (row[name] === undefined || row[name] === null) {
        throw new Error(
          `Cannot load GLUE ${where}: row ${i} has no column "${name}", received columns [${
            Object.keys(row).join(", ")
          }]`,
        );
      }
    }
    const text = row[columns.text];
    const pair = columns.textPair === undefined ? undefined : row[columns.textPair];
    const raw = row[columns.label];
    if (typeof text !== "string" || (pair !== undefined && typeof pair !== "string")) {
      throw new Error(`Cannot load GLUE ${where}: row ${i} has a non-string text`);
    }
    if (typeof raw !== "number" && typeof raw !== "bigint") {
      throw new Error(
        `Cannot load GLUE ${where}: row ${i} label must be a number, received ${String(raw)}`,
      );
    }
    const label = parseLabel(Number(raw));
    if (typeof label === "string") throw new Error(`Cannot load GLUE ${where}: row ${i}: ${label}`);
    return pair === undefined ? { text, label } : { text, textPair: pair as string, label };
  });
}
