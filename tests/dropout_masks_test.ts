// Mask statistics and structure: kept fractions, column masks, spans, HiddenCut's top-40% start,
// the rescaled mean.
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { testOnBackends } from "./_backends.ts";
import { foldIn, randomKey, uniform } from "../lib/random.ts";
import {
  sampleAttentionMask,
  sampleRepresentationMask,
  spanLength,
  TOP_ATTENDED_FRACTION,
} from "../lib/dropout/masks.ts";
import { dropKey } from "../lib/dropout/drop_key.ts";
import { dropAttention } from "../lib/dropout/drop_attention.ts";
import { dropRepresentation } from "../lib/dropout/drop_representation.ts";
import type { DropPattern } from "../lib/dropout/spec.ts";

/** Asserts that `kept` of `n` Bernoulli(1 − p) draws lies within 3σ of its mean. */
function assertKeptFraction(kept: number, n: number, p: number, what: string): void {
  const sigma = Math.sqrt(p * (1 - p) / n);
  const fraction = kept / n;
  assert(
    Math.abs(fraction - (1 - p)) < 3 * sigma,
    `${what}: kept ${fraction} of ${n}, expected ${1 - p} ± ${3 * sigma}`,
  );
}

async function values(t: tf.Tensor): Promise<Float32Array> {
  const v = await t.data() as Float32Array;
  t.dispose();
  return v;
}

/** The dropped positions of a 0/1 row. */
function dropped(row: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < row.length; i++) if (row[i] === 0) out.push(i);
  return out;
}

testOnBackends(
  "kept fractions are within 3 sigma of 1 - p for every non-span pattern",
  async () => {
    const p = 0.3;
    const draws = 20;
    const cases: [string, (k: ReturnType<typeof randomKey>) => tf.Tensor][] = [
      ["attention element", (k) => sampleAttentionMask(k, [4, 4, 16, 16], "element", p)],
      ["attention column", (k) => sampleAttentionMask(k, [4, 4, 16, 16], "column", p)],
      ["representation element", (k) => sampleRepresentationMask(k, [4, 16, 32], "element", p)],
      ["column-feature", (k) => sampleRepresentationMask(k, [4, 16, 32], "column-feature", p)],
      ["column-token", (k) => sampleRepresentationMask(k, [4, 16, 32], "column-token", p)],
      ["classifier element", (k) => sampleRepresentationMask(k, [8, 32], "element", p)],
    ];
    for (const [what, sample] of cases) {
      let kept = 0, n = 0;
      for (let i = 0; i < draws; i++) {
        const v = await values(sample(foldIn(randomKey(1), i)));
        kept += v.reduce((a, b) => a + b, 0);
        n += v.length;
      }
      assertKeptFraction(kept, n, p, what);
    }
  },
);

testOnBackends("mask shapes are the smallest broadcastable ones", () => {
  const k = randomKey(0);
  const shapes: [DropPattern, number[]][] = [
    ["element", [2, 3, 5, 7]],
    ["column", [2, 3, 1, 7]],
    ["span", [2, 3, 1, 7]],
  ];
  for (const [pattern, shape] of shapes) {
    const m = sampleAttentionMask(k, [2, 3, 5, 7], pattern, 0.2);
    assertEquals(m.shape, shape);
    m.dispose();
  }
  const rep: [DropPattern, number[], number[]][] = [
    ["element", [2, 5, 8], [2, 5, 8]],
    ["column-feature", [2, 5, 8], [2, 1, 8]],
    ["column-token", [2, 5, 8], [2, 5, 1]],
    ["span", [2, 5, 8], [2, 5, 1]],
    ["element", [2, 8], [2, 8]],
    ["column-feature", [2, 8], [2, 8]],
  ];
  for (const [pattern, input, shape] of rep) {
    const m = sampleRepresentationMask(k, input, pattern, 0.2);
    assertEquals(m.shape, shape);
    m.dispose();
  }
  assertThrows(() => sampleAttentionMask(k, [2, 3, 5, 7], "column-token", 0.2), TypeError);
  assertThrows(() => sampleRepresentationMask(k, [2, 8], "span", 0.2), RangeError, "(B, T, D)");
  assertThrows(() => sampleRepresentationMask(k, [2, 5, 8], "column", 0.2), TypeError);
  assertThrows(() => sampleRepresentationMask(k, [2, 0, 8], "element", 0.2), RangeError);
});

testOnBackends("column DropKey and DropAttention drop the same keys for every query", async () => {
  const [b, h, t] = [2, 3, 8];
  const logits = tf.tensor4d(uniform(randomKey(4), b * h * t * t), [b, h, t, t]);
  const weights = tf.softmax(logits) as tf.Tensor4D;
  const ctx = { training: true, key: randomKey(5) };
  const dk = await values(
    dropKey(logits, { position: "attention-logits", pattern: "column", rate: 0.4 }, ctx),
  );
  const da = await values(
    dropAttention(weights, { position: "attention-weights", pattern: "column", rate: 0.4 }, ctx),
  );
  let anyDropped = false;
  for (let row = 0; row < b * h; row++) {
    const first = dropped(Array.from({ length: t }, (_, j) => dk[row * t * t + j]! < -1e8 ? 0 : 1));
    anyDropped ||= first.length > 0;
    for (let q = 0; q < t; q++) {
      const base = (row * t + q) * t;
      const dkRow = Array.from({ length: t }, (_, j) => dk[base + j]! < -1e8 ? 0 : 1);
      const daRow = Array.from({ length: t }, (_, j) => da[base + j]! === 0 ? 0 : 1);
      assertEquals(dropped(dkRow), first);
      assertEquals(dropped(daRow), first);
    }
  }
  assert(anyDropped);
  tf.dispose([logits, weights]);
});

testOnBackends("attention spans are contiguous runs of real keys of the right length", async () => {
  const tk = 12;
  // Right padding, left padding and no padding.
  const lengths = [[12, 0], [7, 0], [5, 7], [1, 0]]; // [real tokens, leading pads]
  const tokenMask = tf.tensor2d(
    lengths.flatMap(([n, lead]) =>
      Array.from({ length: tk }, (_, i) => i >= lead! && i < lead! + n! ? 1 : 0)
    ),
    [lengths.length, tk],
  );
  const heads = 3;
  for (const rate of [0.1, 0.3, 0.5]) {
    const startsSeen = lengths.map(() => new Set<number>());
    for (let draw = 0; draw < 60; draw++) {
      const m = await values(
        sampleAttentionMask(
          foldIn(randomKey(8), draw),
          [lengths.length, heads, 4, tk],
          "span",
          rate,
          tokenMask as tf.Tensor2D,
        ),
      );
      lengths.forEach(([n, lead], b) => {
        const len = spanLength(rate, n!);
        assertEquals(len, Math.max(1, Math.floor(rate * n!)));
        for (let h = 0; h < heads; h++) {
          const row = m.subarray((b * heads + h) * tk, (b * heads + h + 1) * tk);
          const d = dropped(row);
          assertEquals(d.length, len, `b=${b} rate=${rate}`);
          assertEquals(d[d.length - 1]! - d[0]!, len - 1, "not contiguous");
          assert(d[0]! >= lead! && d[d.length - 1]! < lead! + n!, "span over padding");
          startsSeen[b]!.add(d[0]! - lead!);
        }
      });
    }
    // Starts are uniform over the valid ones: every valid start shows up.
    lengths.forEach(([n], b) => {
      const valid = n! - spanLength(rate, n!) + 1;
      assertEquals(
        startsSeen[b]!.size,
        valid,
        `b=${b} rate=${rate}: starts ${[...startsSeen[b]!]}`,
      );
    });
  }
  tokenMask.dispose();
});

testOnBackends("representation spans cut whole tokens over real tokens, unscaled", async () => {
  const [b, t, d] = [3, 10, 4];
  const tokenMask = tf.tensor2d(
    [[1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0, 0, 0, 0], [
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      0,
      0,
    ]],
  );
  const lengths = [10, 5, 8];
  const x = tf.ones([b, t, d]);
  for (let draw = 0; draw < 30; draw++) {
    const y = await values(
      dropRepresentation(x, { position: "hidden", pattern: "span", rate: 0.25 }, {
        training: true,
        key: foldIn(randomKey(2), draw),
      }, { tokenMask: tokenMask as tf.Tensor2D }),
    );
    for (let i = 0; i < b; i++) {
      const tokens = Array.from({ length: t }, (_, j) => y[(i * t + j) * d]!);
      for (let j = 0; j < t; j++) {
        const vec = Array.from(y.subarray((i * t + j) * d, (i * t + j + 1) * d));
        assert(vec.every((v) => v === vec[0]), "a token was cut partially");
        assert(vec[0] === 0 || vec[0] === 1, "span values must not be rescaled");
      }
      const cut = dropped(tokens);
      assertEquals(cut.length, spanLength(0.25, lengths[i]!));
      assertEquals(cut[cut.length - 1]! - cut[0]!, cut.length - 1);
      assert(cut[cut.length - 1]! < lengths[i]!);
    }
  }
  tf.dispose([tokenMask, x]);
});

testOnBackends("attention-top40 spans start among the 40% most attended real tokens", async () => {
  const [b, t] = [4, 20];
  const lengths = [20, 15, 10, 3];
  const tokenMask = tf.tensor2d(
    lengths.flatMap((n) => Array.from({ length: t }, (_, i) => (i < n ? 1 : 0))),
    [b, t],
  );
  const scores = uniform(randomKey(77), b * t);
  // Make padded positions the most "attended" so that a wrong filter would show.
  lengths.forEach((n, i) => {
    for (let j = n; j < t; j++) scores[i * t + j] = 10;
  });
  const attentionReceived = tf.tensor2d(scores, [b, t]);
  const rate = 0.2;
  const startsSeen = lengths.map(() => new Set<number>());
  for (let draw = 0; draw < 80; draw++) {
    const m = await values(
      sampleRepresentationMask(foldIn(randomKey(3), draw), [b, t, 8], "span", rate, {
        tokenMask: tokenMask as tf.Tensor2D,
        attentionReceived: attentionReceived as tf.Tensor2D,
        spanStart: "attention-top40",
      }),
    );
    lengths.forEach((n, i) => {
      const row = Array.from(scores.subarray(i * t, i * t + n));
      const top = row.map((s, j) => [s, j] as const).sort((a, z) => z[0] - a[0] || a[1] - z[1])
        .slice(0, Math.max(1, Math.ceil(TOP_ATTENDED_FRACTION * n))).map(([, j]) => j);
      const cut = dropped(m.subarray(i * t, (i + 1) * t));
      const start = cut[0]!;
      assert(top.includes(start), `row ${i}: start ${start} not in top 40% ${top}`);
      // Truncated at the last real token.
      assertEquals(cut.length, Math.min(spanLength(rate, n), n - start));
      assertEquals(cut[cut.length - 1]! - start, cut.length - 1);
      startsSeen[i]!.add(start);
    });
  }
  lengths.forEach((n, i) => {
    assertEquals(startsSeen[i]!.size, Math.max(1, Math.ceil(TOP_ATTENDED_FRACTION * n)));
  });
  tf.dispose([tokenMask, attentionReceived]);
});

testOnBackends("rescaled element and column drops keep the mean of the input", async () => {
  const p = 0.3;
  const x = tf.add(tf.tensor3d(uniform(randomKey(12), 8 * 32 * 64), [8, 32, 64]), 1); // in [1, 2)
  const mean = (await values(tf.mean(x)))[0]!;
  const n = 8 * 32 * 64;
  // Per-entry factor: 1/(1−p) w.p. 1−p, else 0; its variance is p/(1−p). Column masks share the
  // factor across a token or a feature, so their effective count is the mask's size.
  const cases: [DropPattern, number][] = [
    ["element", n],
    ["column-feature", 8 * 64],
    ["column-token", 8 * 32],
  ];
  for (const [pattern, count] of cases) {
    let total = 0;
    const draws = 10;
    for (let i = 0; i < draws; i++) {
      const y = dropRepresentation(x, { position: "hidden", pattern, rate: p }, {
        training: true,
        key: foldIn(randomKey(13), i),
      });
      total += (await values(tf.mean(y)))[0]!;
      y.dispose();
    }
    const got = total / draws;
    const sigma = 2 * Math.sqrt(p / (1 - p) / (count * draws)); // values ≤ 2
    assert(Math.abs(got - mean) < 3 * sigma, `${pattern}: mean ${got} vs ${mean} ± ${3 * sigma}`);
  }
  // Without rescaling the mean falls to (1 − p) × mean.
  const y = dropRepresentation(x, {
    position: "hidden",
    pattern: "element",
    rate: p,
    rescale: "none",
  }, { training: true, key: randomKey(14) });
  const got = (await values(tf.mean(y)))[0]!;
  assert(Math.abs(got - (1 - p) * mean) < 0.02, `unscaled mean ${got}`);
  tf.dispose([x, y]);
});

testOnBackends("an explicit mask replaces sampling and keeps the spec's rescaling", async () => {
  const x = tf.ones([1, 3, 2]);
  const mask = tf.tensor3d([[[1], [0], [1]]]); // (B, T, 1)
  const y = await values(
    dropRepresentation(x, { position: "embedding", pattern: "column-token", rate: 0.5 }, {
      training: true,
    }, { mask }),
  );
  assertEquals(Array.from(y), [2, 2, 0, 0, 2, 2]);
  tf.dispose([x, mask]);
});

testOnBackends("an explicit mask needs an active drop and a shape that fits the pattern", () => {
  const logits = tf.zeros([2, 2, 3, 3]) as tf.Tensor4D;
  const x = tf.ones([2, 3, 4]);
  const ctx = { training: true };
  const attentionMask = tf.ones([2, 2, 1, 3]);
  const tokenMask = tf.ones([2, 3, 1]);
  // Rate 0 or no drop: the mask would be ignored.
  for (
    const [op, input, position, mask] of [
      [dropKey, logits, "attention-logits", attentionMask],
      [dropAttention, logits, "attention-weights", attentionMask],
      [dropRepresentation, x, "hidden", tokenMask],
    ] as const
  ) {
    const pattern = position === "hidden" ? "column-token" : "column";
    const call = (drop: Parameters<typeof dropKey>[1], training = true) =>
      (op as typeof dropRepresentation)(input, drop, { training }, { mask });
    assertThrows(
      () => call({ position, pattern, rate: 0 }),
      RangeError,
      "options.mask was given but the drop's rate is 0",
    );
    assertThrows(() => call(undefined), TypeError, "options.mask was given without a drop");
    // In inference the operator is the identity, mask or not.
    assert(call({ position, pattern, rate: 0.5 }, false) === input);
  }
  // A mask wider than the pattern's mask shape is rejected.
  const elementMask = tf.ones([2, 2, 3, 3]);
  assertThrows(
    () =>
      dropKey(logits, { position: "attention-logits", pattern: "column", rate: 0.5 }, ctx, {
        mask: elementMask,
      }),
    RangeError,
    'options.mask of shape [2,2,3,3] is not broadcastable to [2,2,1,3], the largest mask of pattern "column"',
  );
  assertThrows(
    () =>
      dropAttention(logits, { position: "attention-weights", pattern: "span", rate: 0.5 }, ctx, {
        mask: elementMask,
      }),
    RangeError,
    'pattern "span"',
  );
  for (
    const [pattern, mask, allowed] of [
      ["column-token", tf.ones([2, 3, 4]), "[2,3,1]"],
      ["span", tf.ones([2, 1, 4]), "[2,3,1]"],
      ["column-feature", tf.ones([2, 3, 1]), "[2,1,4]"],
    ] as const
  ) {
    assertThrows(
      () => dropRepresentation(x, { position: "hidden", pattern, rate: 0.5 }, ctx, { mask }),
      RangeError,
      `not broadcastable to ${allowed}, the largest mask of pattern "${pattern}"`,
    );
    mask.dispose();
  }
  tf.dispose([logits, x, attentionMask, tokenMask, elementMask]);
});

testOnBackends(
  "with an explicit mask, 1/(1-p) uses the spec's rate, not the kept fraction",
  async () => {
    const x = tf.ones([1, 2, 2]);
    const mask = tf.tensor3d([[[1, 1], [1, 0]]]); // keeps 3 of 4 entries
    const y = await values(
      dropRepresentation(x, { position: "hidden", pattern: "element", rate: 0.5 }, {
        training: true,
      }, { mask }),
    );
    assertEquals(Array.from(y), [2, 2, 2, 0]); // × 1/(1 − 0.5), not × 4/3
    tf.dispose([x, mask]);
  },
);
