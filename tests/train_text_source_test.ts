import * as tf from "@tensorflow/tfjs-core";
import { assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../lib/backend.ts";
import { loadUseLiteTokenizer } from "../lib/tokenizers/use_lite.ts";
import { encodeBatch } from "../lib/tokenizers/encode_batch.ts";
import { disposeLabeledBatch } from "../lib/train/batches.ts";
import { textBatchSource } from "../lib/train/text_source.ts";

const tokenizer = await loadUseLiteTokenizer();

Deno.test("textBatchSource pads batches like encodeBatch and keeps pair separators", async () => {
  await initBackend({ backend: "cpu" });
  const examples = [
    { text: "A good film.", textPair: "It was great.", label: 0.5 },
    { text: "Terrible.", textPair: "I left early and never came back.", label: -1.25 },
  ];
  const source = textBatchSource(examples, tokenizer, { kind: "regression" });
  const batch = source.batch([0, 1]);
  const reference = encodeBatch(
    tokenizer,
    examples.map((e) => [e.text, e.textPair] as [string, string]),
  );
  assertEquals(batch.inputs.inputIds.shape, [...reference.shape]);
  assertEquals(batch.inputs.inputIds.dataSync(), reference.inputIds);
  assertEquals(batch.inputs.attentionMask.dataSync(), reference.attentionMask);
  assertEquals(batch.labels.dtype, "float32");
  assertEquals([...batch.labels.dataSync()], [0.5, -1.25]);
  assertEquals(batch.tokens, reference.attentionMask.reduce((s, v) => s + v, 0));
  // USE-lite's tokenizer does not return token types natively: none by default, on request.
  assertEquals(batch.inputs.tokenTypeIds, undefined);
  disposeLabeledBatch(batch);
  const typed = textBatchSource(examples, tokenizer, { kind: "regression", tokenTypes: true });
  const withTypes = typed.batch([0, 1]);
  assertEquals(withTypes.inputs.tokenTypeIds?.dataSync(), reference.tokenTypeIds);
  disposeLabeledBatch(withTypes);
  const before = tf.memory().numTensors;
  disposeLabeledBatch(source.batch([1]));
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("textBatchSource truncates to maxLength and rejects bad examples", () => {
  const long = { text: "word ".repeat(200), label: 1 };
  const source = textBatchSource([long], tokenizer, { kind: "classification", maxLength: 16 });
  assertEquals(source.lengths![0], 16);
  assertThrows(
    () => textBatchSource([{ text: "a", label: 0.5 }], tokenizer, { kind: "classification" }),
    RangeError,
    "label 0.5",
  );
  assertThrows(
    () =>
      textBatchSource(
        [{ text: "a", label: 0 }, { text: "b", textPair: "c", label: 1 }],
        tokenizer,
        {
          kind: "classification",
        },
      ),
    TypeError,
    "example 1",
  );
  assertThrows(() => textBatchSource([], tokenizer, { kind: "classification" }), RangeError);
  assertThrows(() => source.batch([1]), RangeError, "index 1");
});

Deno.test("textBatchSource takes a megabyte-long example and names bad ones by their index", () => {
  const examples = Array.from({ length: 300 }, (_, i) => ({ text: `Example ${i}.`, label: i % 2 }));
  examples[7] = { text: "word ".repeat(250_000), label: 1 }; // 1.25 MB in one text
  const source = textBatchSource(examples, tokenizer, { kind: "classification" });
  assertEquals(source.lengths![7], 128);
  examples[290] = { text: "", label: 0 };
  // encoded in chunks of 256: the message names the example, not its row in the chunk
  assertThrows(
    () => textBatchSource(examples, tokenizer, { kind: "classification" }),
    RangeError,
    'row 290 has no tokens (received "")',
  );
});
