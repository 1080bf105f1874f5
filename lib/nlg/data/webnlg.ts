/**
 * WebNLG loader: the challenge's XML benchmark files (2017 challenge and later releases).
 *
 * @module
 */
import { childElements, parseXml, textOf, type XmlElement } from "./_xml.ts";
import type { Triple, WebNlgEntry } from "./types.ts";

/**
 * The 10 DBpedia categories of the WebNLG 2017 training data ("seen"); the 2017 test set adds 5
 * unseen ones (Artist, Athlete, CelestialBody, MeanOfTransportation, Politician). Tables 3's S/U/A
 * columns split the test set by these. Same list as microsoft/LoRA's `format_converting_webnlg.py`.
 */
export const WEBNLG_SEEN_CATEGORIES: readonly string[] = [
  "Airport",
  "Astronaut",
  "Building",
  "City",
  "ComicsCharacter",
  "Food",
  "Monument",
  "SportsTeam",
  "University",
  "WrittenWork",
];

/** Options of {@linkcode parseWebNlg} and {@linkcode loadWebNlg}. */
export interface WebNlgOptions {
  /** Keep every `lex`, not only those with `comment="good"` (or no comment); `false` by default. */
  readonly allLexicalisations?: boolean;
  /** Categories counted as seen; {@linkcode WEBNLG_SEEN_CATEGORIES} by default. */
  readonly seenCategories?: readonly string[];
}

/**
 * Parses one `subject | property | object` triple.
 *
 * @param text The `mtriple` text.
 * @returns The triple (parts trimmed; the object may itself contain `|`).
 * @example
 * ```ts
 * import { parseTriple } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * assertEquals(parseTriple('Aarhus_Airport | cityServed | "Aarhus, Denmark"'), {
 *   subject: "Aarhus_Airport", property: "cityServed", object: '"Aarhus, Denmark"',
 * });
 * ```
 */
export function parseTriple(text: string): Triple {
  const parts = text.split("|");
  if (parts.length < 3) {
    throw new RangeError(
      `Cannot parse a WebNLG triple: expected "subject | property | object", received "${text}"`,
    );
  }
  return {
    subject: parts[0]!.trim(),
    property: parts[1]!.trim(),
    object: parts.slice(2).join("|").trim(),
  };
}

function lexText(lex: XmlElement): string {
  // Enriched releases nest <text> (and templates, sorted triples) inside <lex>.
  const text = childElements(lex, "text")[0];
  const raw = text !== undefined
    ? textOf(text)
    : lex.children.filter((c): c is string => typeof c === "string").join("");
  return raw.replace(/\s+/g, " ").trim();
}

/**
 * Parses a WebNLG benchmark XML document (`benchmark/entries/entry` with `category`, `eid`,
 * `modifiedtripleset/mtriple` and `lex` elements).
 *
 * @param xml The file's text.
 * @param options Lexicalisation filter and the seen categories.
 * @param where A name for error messages (the file path).
 * @returns The entries in file order.
 * @example
 * ```ts
 * import { parseWebNlg } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * const xml = `<benchmark><entries><entry category="Airport" eid="Id1" size="1">
 *   <modifiedtripleset><mtriple>Aarhus_Airport | cityServed | "Aarhus, Denmark"</mtriple></modifiedtripleset>
 *   <lex comment="good" lid="Id1">The Aarhus is the airport of Aarhus, Denmark.</lex>
 *   <lex comment="bad" lid="Id2">Aarhus.</lex>
 * </entry></entries></benchmark>`;
 * const [e] = parseWebNlg(xml);
 * assertEquals(e!.references, ["The Aarhus is the airport of Aarhus, Denmark."]);
 * assertEquals(e!.seen, true);
 * ```
 */
export function parseWebNlg(
  xml: string,
  options: WebNlgOptions = {},
  where = "WebNLG XML",
): WebNlgEntry[] {
  const seen = new Set(options.seenCategories ?? WEBNLG_SEEN_CATEGORIES);
  const root = parseXml(xml, `Cannot load ${where}`);
  if (root.name !== "benchmark") {
    throw new RangeError(
      `Cannot load ${where}: the root element must be <benchmark>, received <${root.name}>`,
    );
  }
  const entries = childElements(root, "entries").flatMap((e) => childElements(e, "entry"));
  return entries.map((entry, i) => {
    const category = entry.attributes.category;
    const eid = entry.attributes.eid ?? `#${i}`;
    if (category === undefined) {
      throw new RangeError(`Cannot load ${where}: entry ${eid} has no category attribute`);
    }
    const triples = childElements(entry, "modifiedtripleset")
      .flatMap((s) => childElements(s, "mtriple"))
      .map((t) => parseTriple(textOf(t)));
    if (triples.length === 0) {
      throw new RangeError(`Cannot load ${where}: entry ${eid} has no modifiedtripleset/mtriple`);
    }
    const references = childElements(entry, "lex")
      .filter((l) => options.allLexicalisations || (l.attributes.comment ?? "good") === "good")
      .map(lexText)
      .filter((t) => t.length > 0);
    return { eid, category, triples, references, seen: seen.has(category) };
  });
}

async function xmlFiles(path: string): Promise<string[]> {
  const info = await Deno.stat(path);
  if (info.isFile) return [path];
  const out: string[] = [];
  for await (const e of Deno.readDir(path)) {
    const p = `${path}/${e.name}`;
    if (e.isDirectory) { for (const f of await xmlFiles(p)) out.push(f); }
    else if (e.name.endsWith(".xml")) out.push(p);
  }
  return out.sort();
}

/**
 * Loads WebNLG entries from an XML file or a folder of them (searched recursively, files in sorted
 * path order, as the 2017 release's `train/1triples/…` folders).
 *
 * @param path A `.xml` file or a folder.
 * @param options Lexicalisation filter and the seen categories.
 * @returns The entries.
 * @example
 * ```ts
 * import { loadWebNlg } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/t.xml`, `<benchmark><entries><entry category="Artist" eid="Id5">
 *   <modifiedtripleset><mtriple>Alan_Frew | genre | Rock_music</mtriple></modifiedtripleset>
 *   <lex comment="good" lid="Id1">Alan Frew plays rock music.</lex></entry></entries></benchmark>`);
 * const [e] = await loadWebNlg(dir);
 * assertEquals(e!.seen, false);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadWebNlg(
  path: string,
  options: WebNlgOptions = {},
): Promise<WebNlgEntry[]> {
  let files: string[];
  try {
    files = await xmlFiles(path);
  } catch (e) {
    throw new Error(`Cannot load WebNLG: cannot read ${path}: ${(e as Error).message}`);
  }
  if (files.length === 0) throw new Error(`Cannot load WebNLG: no .xml file under ${path}`);
  const out: WebNlgEntry[] = [];
  for (const f of files) {
    for (const entry of parseWebNlg(await Deno.readTextFile(f), options, f)) out.push(entry);
  }
  return out;
}
