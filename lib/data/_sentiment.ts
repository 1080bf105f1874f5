// The `sentiment` task: short product/movie/restaurant reviews from sentiment@5.0.2's fixtures.
import type { Example } from "./example.ts";
import { dedupeAndSplit, type RawSplits } from "./_build.ts";
import { type PackageLookup, readPackageText } from "./package_files.ts";

export const SENTIMENT_PACKAGE = { name: "sentiment", version: "5.0.2" } as const;
export const SENTIMENT_FILES = [
  "test/fixtures/amazon.json",
  "test/fixtures/imdb.json",
  "test/fixtures/yelp.json",
] as const;

export async function sentimentSplits(lookup: PackageLookup, seed: number): Promise<RawSplits> {
  const all: Example[] = [];
  for (const path of SENTIMENT_FILES) {
    const records = JSON.parse(
      await readPackageText(SENTIMENT_PACKAGE.name, SENTIMENT_PACKAGE.version, path, lookup),
    ) as { text?: unknown; class?: unknown }[];
    records.forEach((r, i) => {
      const text = typeof r.text === "string" ? r.text.trim() : "";
      // Each file ends with an empty record ({"text": "", "class": null}): skip it.
      if (text === "" && r.class === null && i === records.length - 1) return;
      if (text === "" || (r.class !== 0 && r.class !== 1)) {
        throw new Error(
          `Cannot load sentiment: ${path} record ${i} must have a text and class 0 or 1, received ${
            JSON.stringify(r)
          }`,
        );
      }
      all.push({ text, label: r.class });
    });
  }
  return dedupeAndSplit(all, seed);
}
