// Greedy and beam search on tiny hand-made "language models" (fixed probability tables), where
// the best beam is computable by hand.
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "@std/assert";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import {
  beamSearch,
  greedyDecode,
  lmStepFunction,
  type StepFunction,
} from "../lib/nlg/decode/mod.ts";
import { decoderForward } from "../lib/models/decoder.ts";
import { tinyDecoder } from "../lib/models/_tiny_decoder.ts";
import { foldIn, randomKey, uniform } from "../lib/random.ts";

const EOS = 0;

/**
 * A model given by next-token probability rows keyed by the generated tokens so far ("" at the
 * start, "1,2" after 1 then 2); the prompt is the first `promptLength` tokens of each prefix.
 */
function tableModel(
  table: Record<string, number[]>,
  promptLength: number,
  calls: Int32Array[][] = [],
): StepFunction {
  return (prefixes) => {
    calls.push(prefixes.map((p) => p.slice()));
    return tf.tidy(() => {
      const rows = prefixes.map((p) => {
        const key = [...p.slice(promptLength)].join(",");
        const probs = table[key];
        if (probs === undefined) throw new Error(`no table row for "${key}"`);
        return probs;
      });
      return tf.log(tf.tensor2d(rows)) as tf.Tensor2D; // log 0 = −∞: impossible tokens
    });
  };
}

/** A pseudo-random model: logits depend on the last two tokens, drawn from a fixed key. */
function randomModel(vocab: number, seed: number): StepFunction {
  const key = randomKey(seed);
  return (prefixes) =>
    tf.tidy(() => {
      const rows = prefixes.map((p) => {
        const a = p[p.length - 1] ?? 0;
        const b = p[p.length - 2] ?? 0;
        return Array.from(uniform(foldIn(key, a * 1000 + b), vocab), (u) => 4 * u);
      });
      return tf.tensor2d(rows).mul(1) as tf.Tensor2D;
    });
}

testOnBackends("beamSearch finds the best sequence that greedy decoding misses", async () => {
  // Greedy takes 1 (0.6) then EOS or 1 (0.5 each): p(1,0) = 0.3. Beam 2 also keeps 2 (0.4), which is
  // followed by EOS surely: p(2,0) = 0.4.
  const table = { "": [0, 0.6, 0.4], "1": [0.5, 0.5, 0], "2": [1, 0, 0], "1,1": [1, 0, 0] };
  const prompt = [Int32Array.of(7, 8)];
  const [g] = await greedyDecode(tableModel(table, 2), prompt, { maxLength: 5, eosTokenId: EOS });
  assertEquals([...g!.tokens], [1, 0]);
  assertAlmostEquals(g!.logProb, Math.log(0.3), 1e-6);
  const [b] = await beamSearch(tableModel(table, 2), prompt, {
    numBeams: 2,
    maxLength: 5,
    eosTokenId: EOS,
  });
  assertEquals([...b!.tokens], [2, 0]);
  assertAlmostEquals(b!.logProb, Math.log(0.4), 1e-6);
  assertAlmostEquals(b!.score, Math.log(0.4) / 2, 1e-6); // length penalty 1: Σ log p / 2
  assertEquals(b!.finished, true);
});

testOnBackends(
  "beamSearch: the length penalty decides between a short and a long hypothesis",
  async () => {
    const table = {
      "": [0, 0.5, 0.5, 0],
      "1": [0.6, 0, 0, 0.4],
      "1,3": [1, 0, 0, 0],
      "2": [0.1, 0, 0.35, 0.55],
      "2,3": [0.9, 0, 0.1, 0],
      "2,3,2": [1, 0, 0, 0],
    };
    // K = 3. Step 1 candidates: [1,0] 0.3, [2,3] 0.275, [1,3] 0.2, [2,2] 0.175, [2,0] 0.05: the
    // top three are kept, [1,0] finishes. Step 2: [2,3,0] 0.2475 and [1,3,0] 0.2 finish, [2,3,2]
    // 0.0275 lives; step 3 finishes it. Finished: [1,0] 0.3 (len 2), [2,3,0] 0.2475 (3),
    // [1,3,0] 0.2 (3), [2,3,2,0] 0.0275 (4).
    const run = (lengthPenalty: number) =>
      beamSearch(tableModel(table, 1), [Int32Array.of(5)], {
        numBeams: 3,
        maxLength: 4,
        eosTokenId: EOS,
        lengthPenalty,
      });
    const [short] = await run(0); // plain log-probability: 0.3 wins
    assertEquals([...short!.tokens], [1, 0]);
    assertAlmostEquals(short!.score, Math.log(0.3), 1e-6);
    // α = 1: log(0.3)/2 = −0.602 < log(0.2475)/3 = −0.465.
    const [long] = await run(1);
    assertEquals([...long!.tokens], [2, 3, 0]);
    assertAlmostEquals(long!.score, Math.log(0.2475) / 3, 1e-6);
    assertAlmostEquals(long!.logProb, Math.log(0.2475), 1e-6);
    // α = 0.25: log(0.3)/2^0.25 = −1.012 > log(0.2475)/3^0.25 = −1.061.
    const [mid] = await run(0.25);
    assertEquals([...mid!.tokens], [1, 0]);
  },
);

testOnBackends(
  "noRepeatNgramSize forbids repeating an n-gram of the generated tokens",
  async () => {
    // After 1 the model prefers 2 (0.7) else 3 (0.3); after anything else 1 (0.7) else 3 (0.3).
    const step: StepFunction = (prefixes) =>
      tf.tidy(() =>
        tf.log(tf.tensor2d(prefixes.map((p) => {
          const last = p[p.length - 1]!;
          return last === 1 ? [0, 0, 0.7, 0.3] : [0, 0.7, 0, 0.3];
        }))) as tf.Tensor2D
      );
    const prompt = [Int32Array.of(3)];
    const [free] = await greedyDecode(step, prompt, { maxLength: 6 });
    assertEquals([...free!.tokens], [1, 2, 1, 2, 1, 2]);
    assertEquals(free!.finished, false);
    // 1 2 1 → "1 2" banned → 3; then 1; then after 1 both "1 2" and "1 3" are banned and the rest
    // has probability 0: the sequence ends there, unfinished.
    const [g] = await greedyDecode(step, prompt, { maxLength: 6, noRepeatNgramSize: 2 });
    assertEquals([...g!.tokens], [1, 2, 1, 3, 1]);
    assertEquals(g!.finished, false);
    assertAlmostEquals(g!.logProb, 4 * Math.log(0.7) + Math.log(0.3), 1e-6);
    // Counting the prompt too (HF's rule), "3 1" occurred at the start, so after 1 2 1 3 comes 3.
    const [h] = await greedyDecode(step, prompt, {
      maxLength: 5,
      noRepeatNgramSize: 2,
      noRepeatIncludesPrompt: true,
    });
    assertEquals([...h!.tokens], [1, 2, 1, 3, 3]);
    // Beam search applies the same bans per beam.
    const [b] = await beamSearch(step, prompt, { numBeams: 1, maxLength: 6, noRepeatNgramSize: 2 });
    assertEquals([...b!.tokens], [1, 2, 1, 3, 1]);
    // Size 3: after 1 2 1 2, the next 1 would repeat "1 2 1": banned, so 3.
    const [t] = await greedyDecode(step, prompt, { maxLength: 5, noRepeatNgramSize: 3 });
    assertEquals([...t!.tokens], [1, 2, 1, 2, 3]);
  },
);

testOnBackends(
  "beamSearch with one beam equals greedy decoding (tokens, log-probabilities, batch)",
  async () => {
    const prompts = [
      Int32Array.of(1, 2),
      Int32Array.of(5),
      Int32Array.of(3, 3, 3),
      Int32Array.of(6),
    ];
    for (const seed of [0, 1, 2]) {
      const options = { maxLength: 12, eosTokenId: EOS, noRepeatNgramSize: 3, lengthPenalty: 0.9 };
      const g = await greedyDecode(randomModel(7, seed), prompts, options);
      const b = await beamSearch(randomModel(7, seed), prompts, { ...options, numBeams: 1 });
      assertEquals(b.map((r) => [...r.tokens]), g.map((r) => [...r.tokens]));
      b.forEach((r, i) => {
        assertAlmostEquals(r.logProb, g[i]!.logProb, 1e-9);
        assertAlmostEquals(r.score, g[i]!.score, 1e-9);
        assertEquals(r.finished, g[i]!.finished);
      });
    }
  },
);

testOnBackends(
  "decoding a batch equals decoding each input alone; finished inputs leave the batch",
  async () => {
    const prompts = [Int32Array.of(1, 2), Int32Array.of(5), Int32Array.of(4, 4)];
    const options = { numBeams: 3, maxLength: 10, eosTokenId: EOS, lengthPenalty: 0.8 };
    const calls: number[] = [];
    const model = randomModel(6, 11);
    const counting: StepFunction = (prefixes, info) => {
      calls.push(prefixes.length);
      return model(prefixes, info);
    };
    const batch = await beamSearch(counting, prompts, options);
    for (let i = 0; i < prompts.length; i++) {
      const [alone] = await beamSearch(model, [prompts[i]!], options);
      assertEquals([...batch[i]!.tokens], [...alone!.tokens]);
      assertAlmostEquals(batch[i]!.score, alone!.score, 1e-9);
    }
    assertEquals(calls[0], 3); // step 0: one prefix (the prompt) per input
    assert(calls.every((n) => n <= 3 * 3));
    // Greedy: an input that finished is not sent again. Prompt [7]: 1 then EOS; [8]: 2 forever.
    const twoInputs: StepFunction = (prefixes) =>
      tf.tidy(() =>
        tf.log(
          tf.tensor2d(
            prefixes.map((p) => p[0] === 7 ? (p.length === 1 ? [0, 1, 0] : [1, 0, 0]) : [0, 0, 1]),
          ),
        ) as tf.Tensor2D
      );
    const sizes: number[] = [];
    const spy: StepFunction = (prefixes, info) => {
      sizes.push(prefixes.length);
      return twoInputs(prefixes, info);
    };
    const r = await greedyDecode(spy, [Int32Array.of(7), Int32Array.of(8)], {
      maxLength: 4,
      eosTokenId: EOS,
    });
    assertEquals([...r[0]!.tokens], [1, 0]);
    assertEquals([...r[1]!.tokens], [2, 2, 2, 2]);
    assertEquals(sizes, [2, 2, 1, 1]);
  },
);

testOnBackends(
  "step info: every prefix extends prefixes[parents[i]] of the previous call by one token",
  async () => {
    let previous: readonly Int32Array[] = [];
    let checked = 0;
    const model = randomModel(5, 3);
    const step: StepFunction = (prefixes, info) => {
      assertEquals(info.parents.length, prefixes.length);
      prefixes.forEach((p, i) => {
        const parent = info.parents[i]!;
        if (info.step === 0) assertEquals(parent, -1);
        else {
          const q = previous[parent]!;
          assertEquals([...p.slice(0, q.length)], [...q]);
          assertEquals(p.length, q.length + 1);
          checked++;
        }
      });
      previous = prefixes.map((p) => p.slice());
      return model(prefixes, info);
    };
    await beamSearch(step, [Int32Array.of(1), Int32Array.of(2, 3)], {
      numBeams: 4,
      maxLength: 6,
      eosTokenId: EOS,
    });
    previous = [];
    await greedyDecode(step, [Int32Array.of(1), Int32Array.of(2, 3)], {
      maxLength: 6,
      eosTokenId: EOS,
    });
    assert(checked > 10);
  },
);

testOnBackends("maxLength, minLength and several EOS ids", async () => {
  // EOS (0) is always the likeliest; 3 is a second EOS id.
  const step: StepFunction = (prefixes) =>
    tf.tidy(() => tf.tensor2d(prefixes.map(() => [3, 1, 2, 0.5])) as tf.Tensor2D);
  const p = [Int32Array.of(1)];
  const [a] = await greedyDecode(step, p, { maxLength: 3, eosTokenId: EOS });
  assertEquals([...a!.tokens], [0]);
  const [b] = await greedyDecode(step, p, { maxLength: 3, eosTokenId: EOS, minLength: 2 });
  assertEquals([...b!.tokens], [2, 2, 0]);
  const [c] = await greedyDecode(step, p, { maxLength: 3 }); // no EOS: exactly maxLength tokens
  assertEquals([...c!.tokens], [0, 0, 0]);
  assertEquals(c!.finished, false);
  const [d] = await beamSearch(step, p, {
    numBeams: 2,
    maxLength: 4,
    eosTokenId: [0, 3],
    minLength: 1,
  });
  // After one token, EOS 0 is allowed: [2, 0] beats [2, 3] and every longer sequence here.
  assertEquals([...d!.tokens], [2, 0]);
  assert(d!.finished);
  const [e] = await beamSearch(step, p, {
    numBeams: 2,
    maxLength: 2,
    minLength: 5,
    eosTokenId: EOS,
  });
  assertEquals(e!.tokens.length, 2); // stopped by maxLength, unfinished
  assertEquals(e!.finished, false);
});

testOnBackends("decoders are deterministic and leak no tensors", async () => {
  const prompts = [Int32Array.of(1, 2), Int32Array.of(4)];
  const options = { numBeams: 4, maxLength: 8, eosTokenId: EOS, noRepeatNgramSize: 2 };
  const first = await beamSearch(randomModel(9, 5), prompts, options);
  await assertNoLeak("beamSearch", async () => {
    const again = await beamSearch(randomModel(9, 5), prompts, options);
    assertEquals(again, first);
  });
  await assertNoLeak("greedyDecode", async () => {
    await greedyDecode(randomModel(9, 5), prompts, options);
  });
  // The logits are disposed even when the decoder rejects them.
  await assertNoLeak("rejected logits", async () => {
    const bad: StepFunction = () => tf.zeros([3, 4]) as tf.Tensor2D;
    await assertRejects(
      () => greedyDecode(bad, prompts, { maxLength: 2 }),
      RangeError,
      "must return logits of shape (2, V), received (3, 4)",
    );
  });
});

testOnBackends("decoders reject bad options and non-finite logits with named errors", async () => {
  const model = randomModel(5, 1);
  const p = [Int32Array.of(1)];
  await assertRejects(
    () => beamSearch(model, p, { numBeams: 0, maxLength: 3 }),
    RangeError,
    "numBeams must be a positive integer, received 0",
  );
  await assertRejects(
    () => greedyDecode(model, p, { maxLength: 0 }),
    RangeError,
    "maxLength must be an integer >= 1, received 0",
  );
  await assertRejects(
    () => greedyDecode(model, [[1, 2] as unknown as Int32Array], { maxLength: 2 }),
    TypeError,
    "prompt 0 must be an Int32Array",
  );
  await assertRejects(
    () => greedyDecode(model, p, { maxLength: 2, lengthPenalty: NaN }),
    RangeError,
    "lengthPenalty must be a finite number, received NaN",
  );
  const nan: StepFunction = () => tf.tensor2d([[0, NaN]]);
  await assertRejects(
    () => greedyDecode(nan, p, { maxLength: 2 }),
    RangeError,
    "non-finite logit NaN (row 0, token 1) at step 0",
  );
});

// --- lmStepFunction with the project's GPT-2-style decoder (a tiny random one) ---------------

function disposeDeep(x: unknown): void {
  if (x instanceof tf.Tensor) x.dispose();
  else if (Array.isArray(x)) x.forEach(disposeDeep);
  else if (x !== null && typeof x === "object") Object.values(x).forEach(disposeDeep);
}

testOnBackends(
  "lmStepFunction: right padding leaves each prefix's next-token logits unchanged",
  async () => {
    const model = tinyDecoder(3);
    try {
      const forward = (inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D) =>
        decoderForward(model, { inputIds, attentionMask }, { plan: { drops: [] } }, {
          training: false,
        });
      const step = lmStepFunction(forward, { maxPositions: model.config.maxPositions });
      const prefixes = [Int32Array.of(5, 1, 7), Int32Array.of(2), Int32Array.of(3, 3, 4, 9, 1)];
      await assertNoLeak("lmStepFunction", () => {
        const batched = step(prefixes, {
          step: 0,
          parents: Int32Array.of(-1, -1, -1),
        }) as tf.Tensor2D;
        assertEquals(batched.shape, [3, model.config.vocabSize]);
        const rows = batched.arraySync();
        batched.dispose();
        prefixes.forEach((p, i) => {
          const alone = tf.tidy(() => {
            const logits = decoderForward(
              model,
              { inputIds: tf.tensor2d(p, [1, p.length], "int32") },
              { plan: { drops: [] } },
              { training: false },
            ); // (1, T, V)
            return tf.reshape(tf.slice(logits, [0, p.length - 1, 0], [1, 1, -1]), [-1])
              .arraySync() as number[];
          });
          alone.forEach((v, k) => assertAlmostEquals(rows[i]![k]!, v, 1e-4));
        });
      });
      await assertRejects(
        () => greedyDecode(step, [Int32Array.of(1, 2, 3)], { maxLength: 9 }),
        RangeError,
        "prefix 0 has 11 tokens, more than maxPositions 10",
      );
      // Decoding with the real decoder: beam 1 == greedy, deterministic, no leaks.
      const prompts = [Int32Array.of(1, 2), Int32Array.of(4)];
      await assertNoLeak("decoding with the tiny decoder", async () => {
        const options = { maxLength: 6, eosTokenId: 0, noRepeatNgramSize: 2 };
        const g = await greedyDecode(step, prompts, options);
        const b = await beamSearch(step, prompts, { ...options, numBeams: 1 });
        assertEquals(b.map((r) => [...r.tokens]), g.map((r) => [...r.tokens]));
        const b3 = await beamSearch(step, prompts, { ...options, numBeams: 3 });
        assert(b3.every((r) => r.tokens.length >= 1));
        assertEquals(await beamSearch(step, prompts, { ...options, numBeams: 3 }), b3);
      });
    } finally {
      disposeDeep(model.weights);
    }
  },
);
