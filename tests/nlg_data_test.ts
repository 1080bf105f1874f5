// NLG data: E2E CSV/parquet and WebNLG XML loaders on small files in the real formats
// (tests/fixtures/nlg/), the linearisation into prompts, and the seeded E2E-style generator.
import { assert, assertEquals, assertNotEquals, assertRejects, assertThrows } from "@std/assert";
import { loadE2e, parseE2eCsv } from "../lib/nlg/data/e2e.ts";
import { formatMr, parseMr } from "../lib/nlg/data/mr.ts";
import { loadWebNlg, parseWebNlg, WEBNLG_SEEN_CATEGORIES } from "../lib/nlg/data/webnlg.ts";
import { linearizeMr, linearizeTriples, lmExample } from "../lib/nlg/data/linearize.ts";
import {
  E2E_ATTRIBUTES,
  E2E_VALUES,
  generateE2eStyle,
  heldOutTemplates,
} from "../lib/nlg/data/e2e_synthetic.ts";
import { randomKey } from "../lib/random.ts";

const FIXTURES = new URL("./fixtures/nlg/", import.meta.url).pathname;

Deno.test("loadE2e groups the challenge CSV's rows by MR (BOM, quotes, commas, £)", async () => {
  const train = await loadE2e(`${FIXTURES}e2e/trainset.csv`);
  assertEquals(train.length, 2);
  assertEquals(
    train[0]!.mr,
    "name[The Vaults], eatType[pub], priceRange[more than £30], customer rating[5 out of 5], near[Café Adriatic]",
  );
  assertEquals(train[0]!.references, [
    "The Vaults pub near Café Adriatic has a 5 star rating.  Prices start at £30.",
    "Close to Café Adriatic, The Vaults pub is rated 5 out of 5, with prices over £30.",
    '"The Vaults" is a pub near Café Adriatic, rated 5 out of 5.',
  ]);
  assertEquals(train[1]!.references.length, 1);
  // testset.csv: a single "MR" column, no references.
  const test = await loadE2e(`${FIXTURES}e2e/testset.csv`);
  assertEquals(test.map((e) => e.references.length), [0, 0]);
  assertEquals(parseMr(test[1]!.mr).length, 4);
});

Deno.test("loadE2e reads the Hugging Face e2e_nlg parquet layout", async () => {
  const val = await loadE2e(`${FIXTURES}e2e/validation-00000-of-00001.parquet`);
  assertEquals(val.map((e) => e.references.length), [3, 1]);
  assertEquals(val[0]!.mr, "name[Alimentum], area[city centre], familyFriendly[no]");
  assertEquals(
    val[0]!.references[2],
    "Alimentum is not a family-friendly place, located in city centre.",
  );
});

Deno.test("E2E loaders reject missing columns, bad MRs, unknown extensions", async () => {
  assertThrows(
    () => parseE2eCsv("text,label\na,b\n"),
    RangeError,
    'no "mr" column, received columns [text, label]',
  );
  assertThrows(
    () => parseE2eCsv('mr,ref\n"name[A], food Chinese",x\n'),
    RangeError,
    "row 1: Cannot parse a meaning representation",
  );
  await assertRejects(
    () => loadE2e(`${FIXTURES}webnlg/test.xml`),
    RangeError,
    "expected a .csv or .parquet file",
  );
  await assertRejects(
    () => loadE2e(`${FIXTURES}missing.csv`),
    Error,
    "Cannot load E2E",
  );
  // A parquet file without the e2e_nlg columns.
  const dir = await Deno.makeTempDir();
  try {
    const glue =
      new URL("./fixtures/glue/rte/train-00000-of-00001.parquet", import.meta.url).pathname;
    await Deno.copyFile(glue, `${dir}/x.parquet`);
    await assertRejects(
      () => loadE2e(`${dir}/x.parquet`),
      RangeError,
      'no column "meaning_representation"',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseMr and formatMr round-trip and name the position of an error", () => {
  const mr = "name[The Eagle], eatType[coffee shop], food[Fast food], customer rating[3 out of 5]";
  assertEquals(formatMr(parseMr(mr)), mr);
  assertEquals(parseMr("name[X],near[Y]").map((s) => s.attribute), ["name", "near"]);
  assertThrows(() => parseMr("name[The Eagle] eatType[pub]"), RangeError, "at character 0");
  assertThrows(() => parseMr(""), RangeError, "no slot");
});

Deno.test("loadWebNlg reads entries, modified triples, good lexicalisations and seen/unseen", async () => {
  const entries = await loadWebNlg(`${FIXTURES}webnlg`);
  assertEquals(entries.map((e) => e.eid), ["Id1", "Id2", "Id3", "Id4"]);
  assertEquals(entries.map((e) => e.seen), [true, true, false, false]);
  assertEquals(entries[1]!.triples[1], {
    subject: "Ajoblanco",
    property: "mainIngredients",
    object: '"Bread, almonds, garlic, water & olive oil"',
  });
  assertEquals(entries[1]!.references, [
    "Ajoblanco is from Spain; its main ingredients are bread, almonds, garlic, water & olive oil.",
  ]);
  // Whitespace collapsed; a lex without comment counts as good; CDATA kept verbatim.
  assertEquals(entries[2]!.references, [
    "Aaron Boogaard was born in Saskatchewan.",
    'Saskatchewan is the birthplace of Aaron Boogaard <the "hockey" player>.',
  ]);
  // Enriched layout: the text of <lex><text>, not its templates.
  assertEquals(entries[3]!.references, [
    "Abdul Taib Mahmud is a member of the Parti Pesaka Bumiputera Bersatu.",
  ]);
  const all = await loadWebNlg(`${FIXTURES}webnlg/test.xml`, { allLexicalisations: true });
  assertEquals(all[1]!.references.length, 2);
  assertEquals(WEBNLG_SEEN_CATEGORIES.length, 10);
});

Deno.test("parseWebNlg rejects malformed XML and entries without category or triples", () => {
  assertThrows(
    () => parseWebNlg("<benchmark><entries></benchmark>"),
    SyntaxError,
    "does not match",
  );
  assertThrows(
    () => parseWebNlg("<foo/>"),
    RangeError,
    "root element must be <benchmark>, received <foo>",
  );
  assertThrows(
    () =>
      parseWebNlg(
        '<benchmark><entries><entry eid="Id9"><modifiedtripleset><mtriple>a | b | c</mtriple></modifiedtripleset></entry></entries></benchmark>',
      ),
    RangeError,
    "entry Id9 has no category",
  );
  assertThrows(
    () =>
      parseWebNlg(
        '<benchmark><entries><entry category="City" eid="Id2"></entry></entries></benchmark>',
      ),
    RangeError,
    "entry Id2 has no modifiedtripleset/mtriple",
  );
  assertThrows(
    () => parseWebNlg("<benchmark>&nbsp;</benchmark>"),
    SyntaxError,
    "unknown XML entity &nbsp;",
  );
});

Deno.test("linearisation follows microsoft/LoRA's E2E and WebNLG context formats", async () => {
  const [e] = await loadE2e(`${FIXTURES}e2e/trainset.csv`);
  assertEquals(
    linearizeMr(e!.mr),
    "name : The Vaults | Type : pub | price : more than £30 | customer rating : 5 out of 5 | near : Café Adriatic",
  );
  assertEquals(
    linearizeMr("name[A], familyFriendly[yes], food[Indian]"),
    "name : A | family friendly : yes | food : Indian",
  );
  const [w] = await loadWebNlg(`${FIXTURES}webnlg/test.xml`);
  assertEquals(linearizeTriples(w!.triples), 'Aarhus_Airport : cityServed : "Aarhus, Denmark"');
  const encode = (s: string) => s.split(" ").filter(Boolean).map((t) => t.length);
  const ex = lmExample("ab : cde", "xy z", encode);
  assertEquals([...ex.prompt], [2, 1, 3, 50256]);
  assertEquals([...ex.target], [2, 1, 50256]);
  assertEquals(lmExample("ab", undefined, encode).target.length, 0);
  assertThrows(
    () => lmExample("a", "b", encode, { eosId: -1 }),
    RangeError,
    "eosId must be a non-negative integer, received -1",
  );
});

Deno.test("generateE2eStyle: deterministic, E2E-formatted MRs over the 8 slots, distinct across splits", () => {
  const a = generateE2eStyle(randomKey(3));
  const b = generateE2eStyle(randomKey(3));
  assertEquals(a, b);
  assertNotEquals(generateE2eStyle(randomKey(4)).train[0], a.train[0]);
  assertEquals([a.train.length, a.validation.length, a.test.length], [200, 40, 40]);
  const mrs = [...a.train, ...a.validation, ...a.test].map((e) => e.mr);
  assertEquals(new Set(mrs).size, mrs.length);
  const used = new Set<string>();
  for (const mr of mrs) {
    const slots = parseMr(mr);
    assertEquals(slots[0]!.attribute, "name");
    // E2E order, known values, at least 2 slots besides name/eatType.
    const order = slots.map((s) => E2E_ATTRIBUTES.indexOf(s.attribute));
    assertEquals(order, [...order].sort((x, y) => x - y));
    for (const s of slots) {
      assert(E2E_VALUES[s.attribute]!.includes(s.value), `${s.attribute}[${s.value}]`);
      used.add(s.attribute);
    }
    assert(slots.filter((s) => s.attribute !== "name" && s.attribute !== "eatType").length >= 2);
  }
  assertEquals(used.size, 8);
  for (const e of a.train) assertEquals(new Set(e.references).size, 3);
  for (const e of a.test) assertEquals(new Set(e.references).size, 5);
  // References mention the MR's name and near values.
  for (const e of a.train) {
    for (const s of parseMr(e.mr)) {
      if (s.attribute === "name" || s.attribute === "near") {
        assert(e.references.every((r) => r.includes(s.value)), `${s.value} in ${e.references[0]}`);
      }
    }
  }
});

Deno.test("generateE2eStyle holds realisation templates out of train/validation for the test split", () => {
  const d = generateE2eStyle(randomKey(0));
  const markers = heldOutTemplates().map((t) =>
    t.replace(/\{(v|name|type|rest)\}/g, "\u0000").split("\u0000").map((p) => p.trim()).filter((
      p,
    ) => p.length > 4)[0]!
  );
  const uses = (text: string) => markers.some((m) => text.includes(m));
  for (const e of [...d.train, ...d.validation]) {
    assert(!e.references.some(uses), e.references.join(" | "));
  }
  // Every test MR's first reference is written with held-out realisations only.
  for (const e of d.test) assert(uses(e.references[0]!), e.references[0]);
  assertThrows(
    () => generateE2eStyle(randomKey(0), { references: 0 }),
    RangeError,
    "references must be an integer in [1, 100000], received 0",
  );
});
