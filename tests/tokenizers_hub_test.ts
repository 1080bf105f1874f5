// Hub-style tokenizer folders (tokenizer.json + tokenizer_config.json) against Python's
// transformers: tests/golden/make_tokenizers_hub.py trains a small BERT WordPiece and a small
// RoBERTa byte-level BPE, saves them with save_pretrained and records how transformers encodes
// single texts and pairs with truncation "longest_first" and padding.
import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { relative } from "node:path";
import { loadTokenizerFromDir } from "../lib/tokenizers/load.ts";
import { encodeBatch, type TextInput } from "../lib/tokenizers/encode_batch.ts";

const GOLDEN = new URL("./golden/tokenizers_hub/", import.meta.url).pathname;

interface Case {
  texts: string[];
  pairs?: string[];
  max_length: number;
  padding: "longest" | "max_length";
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
}

const expected = JSON.parse(await Deno.readTextFile(`${GOLDEN}expected.json`)) as Record<
  string,
  Record<string, Case>
>;

for (const name of ["bert", "roberta"]) {
  for (const [caseName, c] of Object.entries(expected[name]!)) {
    Deno.test(`loadTokenizerFromDir + encodeBatch match transformers (Python) for ${name} ${caseName}`, async () => {
      const tokenizer = await loadTokenizerFromDir(`${GOLDEN}${name}`);
      const inputs: TextInput[] = c.pairs === undefined
        ? c.texts
        : c.texts.map((t, i) => [t, c.pairs![i]!] as const);
      const batch = encodeBatch(tokenizer, inputs, { maxLength: c.max_length, padding: c.padding });
      assertEquals(batch.shape, [c.input_ids.length, c.input_ids[0]!.length]);
      assertEquals(Array.from(batch.inputIds), c.input_ids.flat());
      assertEquals(Array.from(batch.attentionMask), c.attention_mask.flat());
      if (batch.tokenTypeIds !== undefined) {
        assertEquals(Array.from(batch.tokenTypeIds), c.token_type_ids.flat());
      }
      // BERT's type ids matter (2 segment embeddings): they must come for pairs and singles
      if (name === "bert") assertEquals(batch.tokenTypeIds !== undefined, true);
    });
  }
}

Deno.test("loadTokenizerFromDir reads a BERT folder's special tokens and limits", async () => {
  const tokenizer = await loadTokenizerFromDir(`${GOLDEN}bert`);
  assertEquals(tokenizer.name, "bert");
  assertEquals(tokenizer.modelMaxLength, 512);
  const vocab = JSON.parse(await Deno.readTextFile(`${GOLDEN}bert/tokenizer.json`)).model.vocab;
  assertEquals(tokenizer.vocabSize, Object.keys(vocab).length);
  assertEquals(tokenizer.padId, vocab["[PAD]"]);
  for (const t of ["[CLS]", "[SEP]", "[PAD]"]) {
    assertEquals(tokenizer.specialIds.includes(vocab[t]), true, t);
  }
  const ids = encodeBatch(tokenizer, ["Great for the jawbone."]).inputIds;
  assertEquals(tokenizer.decode(ids, { skipSpecialTokens: true }), "great for the jawbone.");
});

Deno.test("loadTokenizerFromDir names the folder or file that is missing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "loradrop-tok-" });
  try {
    await assertRejects(
      () => loadTokenizerFromDir(`${dir}/nope`),
      Error,
      `folder ${dir}/nope does not exist`,
    );
    await assertRejects(() => loadTokenizerFromDir(dir), Error, "has no tokenizer.json");
    await Deno.copyFile(`${GOLDEN}bert/tokenizer.json`, `${dir}/tokenizer.json`);
    await assertRejects(() => loadTokenizerFromDir(dir), Error, "has no tokenizer_config.json");
    await Deno.writeTextFile(`${dir}/tokenizer_config.json`, "{not json");
    await assertRejects(() => loadTokenizerFromDir(dir), Error, "invalid JSON");
    await Deno.copyFile(`${GOLDEN}bert/tokenizer_config.json`, `${dir}/tokenizer_config.json`);
    assertEquals((await loadTokenizerFromDir(dir)).vocabSize > 100, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadTokenizerFromDir accepts relative paths; without any length limit rows are not cut", async () => {
  const tokenizer = await loadTokenizerFromDir(relative(Deno.cwd(), `${GOLDEN}bert`), {
    modelMaxLength: Infinity,
  });
  assertEquals(tokenizer.dir, `${GOLDEN}bert`);
  const long = Array.from({ length: 300 }, () => "good").join(" ");
  assertEquals(encodeBatch(tokenizer, [long]).shape, [1, 302]); // [CLS] 300 × good [SEP]
  assertThrows(
    () => encodeBatch(tokenizer, [long], { padding: "max_length" }),
    RangeError,
    'padding "max_length" needs maxLength',
  );
});
