// Unit tests of the parsers behind the built-in tasks, on small inputs in the real formats.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { emailBodyText, stripHtml } from "../lib/data/_email.ts";
import { inflections, LemmaFinder, parseWordnetData, wordTokens } from "../lib/data/_wordnet.ts";
import { balancedPairs, lemmaUses } from "../lib/data/_wic.ts";
import { sentences } from "../lib/data/_sotu.ts";

const WORDNET_SAMPLE = [
  "  1 This software and database is being provided to you, the LICENSEE, by  ",
  '09213565 17 n 02 bank 0 shore 1 001 @ 09433442 n 0000 | sloping land; "they pulled the canoe up on the bank"; "he sat on the bank of the river"  ',
  '08420278 14 n 01 bank 0 001 @ 08337324 n 0000 | a financial institution; "he cashed a check at the bank"; "that bank holds the mortgage on my home"  ',
  '00001740 00 a 02 able(a) 0 capable 1 000 | having the means; "able to swim"  ',
  "",
].join("\n");

Deno.test("parseWordnetData reads words, hex word counts, markers and quoted examples", () => {
  const synsets = parseWordnetData(WORDNET_SAMPLE, "sample");
  assertEquals(synsets.length, 3);
  assertEquals(synsets[0], {
    offset: "09213565",
    pos: "n",
    words: ["bank", "shore"],
    examples: ["they pulled the canoe up on the bank", "he sat on the bank of the river"],
  });
  assertEquals(synsets[2]!.words, ["able", "capable"]);
  assertThrows(
    () => parseWordnetData("00001740 00 a 0x able 0 000 | gloss", "bad"),
    Error,
    "line 1",
  );
  assertThrows(() => parseWordnetData("00001740 00 a 01 able 0 000 gloss", "bad"), Error, '" | "');
});

Deno.test("LemmaFinder matches regular inflections and multi-word lemmas as whole words", () => {
  const f = new LemmaFinder();
  assert(f.occursIn("choke", wordTokens("She choked with emotion")));
  assert(f.occursIn("stop", wordTokens("the bus stopped")));
  assert(f.occursIn("city", wordTokens("Two cities.")));
  assert(f.occursIn("take a breath", wordTokens("Take a breath, then jump")));
  assert(!f.occursIn("ban", wordTokens("the band played")));
  assert(!f.occursIn("take a breath", wordTokens("take the breath")));
  assert(inflections("run").includes("running"));
});

Deno.test("balancedPairs pairs uses of one word: same synset → 1, different → 0, balanced", () => {
  const uses = lemmaUses(parseWordnetData(WORDNET_SAMPLE, "sample"));
  assertEquals([...uses.keys()], ["n:bank", "a:able"]);
  const { examples, lemmas } = balancedPairs(uses, 0);
  // bank: 2 positive pairs (one per synset) and 4 negative ones → 2 of each.
  assertEquals(examples.length, 4);
  assertEquals(lemmas, ["n:bank", "n:bank", "n:bank", "n:bank"]);
  assertEquals(examples.filter((e) => e.label === 1).length, 2);
  const river = "he sat on the bank of the river";
  const canoe = "they pulled the canoe up on the bank";
  for (const e of examples) {
    const sameShore = [e.text, e.textPair].every((s) => s === river || s === canoe);
    assertEquals(
      e.label === 1,
      sameShore || [e.text, e.textPair].every((s) => s !== river && s !== canoe),
    );
  }
  assertEquals(balancedPairs(uses, 0), { examples, lemmas });
});

Deno.test("emailBodyText drops headers and decodes quoted-printable, base64 and HTML parts", () => {
  const qp = [
    "From someone  Thu Aug 22 13:17:22 2002",
    "Received: from a",
    "\tby b",
    "Subject: Hi",
    "Content-Type: text/plain; charset=iso-8859-1",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    "Caf=E9 prices =3D low, soft=",
    "break here.",
  ].join("\n");
  assertEquals(emailBodyText(qp), "Café prices = low, softbreak here.");
  const multipart = [
    'Content-Type: multipart/alternative; boundary="XX"',
    "",
    "preamble",
    "--XX",
    "Content-Type: text/html",
    "",
    "<html><body><p>Buy <b>now</b> &amp; save</p></body></html>",
    "--XX",
    "Content-Type: text/plain",
    "Content-Transfer-Encoding: base64",
    "",
    btoa("Buy now and save"),
    "--XX--",
    "epilogue",
  ].join("\r\n");
  assertEquals(emailBodyText(multipart), "Buy now and save");
  const htmlOnly = multipart.replace(/--XX\r\nContent-Type: text\/plain[\s\S]*?(?=--XX--)/, "");
  assertEquals(emailBodyText(htmlOnly), "Buy now & save");
  const jis = new Uint8Array([0x1b, 0x24, 0x42, 0x24, 0x33, 0x24, 0x73, 0x1b, 0x28, 0x42]); // "こん"
  const iso2022 = 'Content-Type: text/plain; charset="iso-2022-jp"\n\n' +
    String.fromCharCode(...jis);
  assertEquals(emailBodyText(iso2022), "こん");
  assertEquals(stripHtml("a<script>x()</script>b&#233;<!-- c -->"), "a b\u00e9 ");
});

Deno.test("sentences splits at sentence ends followed by a capital", () => {
  assertEquals(
    sentences('We met.  The Union is strong! Is it? "Yes." Mr. Smith of the U.S. Army agreed.'),
    ["We met.", "The Union is strong!", "Is it?", '"Yes."', "Mr. Smith of the U.S. Army agreed."],
  );
});
