// The dropout operators: identities, errors, the paper's forward equivalence (claim 2),
// fully dropped rows, key determinism and tensor leaks.
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import { foldIn, type RandomKey, randomKey, uniform } from "../lib/random.ts";
import { DROP_KEY_NEG, dropKey } from "../lib/dropout/drop_key.ts";
import { dropAttention } from "../lib/dropout/drop_attention.ts";
import { dropRepresentation } from "../lib/dropout/drop_representation.ts";
import { sampleAttentionMask } from "../lib/dropout/masks.ts";
import type { DropPattern, DropPosition, ResolvedDrop } from "../lib/dropout/spec.ts";

/** Deterministic values uniform in [-scale, scale). */
function randomTensor(seed: number, shape: number[], scale = 3): tf.Tensor {
  const u = uniform(randomKey(seed), shape.reduce((a, b) => a * b, 1));
  return tf.tensor(u.map((x) => (2 * x - 1) * scale), shape);
}

function spec(position: DropPosition, pattern: DropPattern, rate: number): ResolvedDrop {
  return { position, pattern, rate };
}

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

const ATTENTION_PATTERNS: DropPattern[] = ["element", "column", "span"];
const REPRESENTATION_PATTERNS: DropPattern[] = [
  "element",
  "column-feature",
  "column-token",
  "span",
];

testOnBackends(
  "operators return the input itself without a drop, at rate 0 and in inference",
  () => {
    const logits = randomTensor(1, [2, 2, 5, 5]) as tf.Tensor4D;
    const x = randomTensor(2, [2, 5, 4]);
    const key = randomKey(0);
    for (const pattern of ATTENTION_PATTERNS) {
      for (
        const [op, position] of [[dropKey, "attention-logits"], [
          dropAttention,
          "attention-weights",
        ]] as const
      ) {
        assert(op(logits, undefined, { training: true, key }) === logits);
        assert(op(logits, spec(position, pattern, 0), { training: true }) === logits);
        assert(op(logits, spec(position, pattern, 0.5), { training: false }) === logits);
        assert(op(logits, spec(position, pattern, 0.5), { training: false, key }) === logits);
      }
    }
    for (const pattern of REPRESENTATION_PATTERNS) {
      for (const position of ["hidden", "embedding", "lora-input"] as const) {
        assert(dropRepresentation(x, undefined, { training: true, key }) === x);
        assert(dropRepresentation(x, spec(position, pattern, 0), { training: true }) === x);
        assert(dropRepresentation(x, spec(position, pattern, 0.4), { training: false }) === x);
      }
    }
    tf.dispose([logits, x]);
  },
);

testOnBackends("operators reject a rate outside [0, 1) naming the value, even in inference", () => {
  const logits = randomTensor(1, [1, 1, 3, 3]) as tf.Tensor4D;
  const x = randomTensor(2, [1, 3, 2]);
  for (const rate of [1.5, 1, -0.1, Number.NaN]) {
    for (const training of [true, false]) {
      const ctx = { training, key: randomKey(0) };
      assertThrows(
        () => dropKey(logits, spec("attention-logits", "column", rate), ctx),
        RangeError,
        `Cannot apply dropKey: rate must be in [0, 1), received ${rate}`,
      );
      assertThrows(
        () => dropAttention(logits, spec("attention-weights", "element", rate), ctx),
        RangeError,
        `Cannot apply dropAttention: rate must be in [0, 1), received ${rate}`,
      );
      assertThrows(
        () => dropRepresentation(x, spec("hidden", "element", rate), ctx),
        RangeError,
        `Cannot apply dropRepresentation: rate must be in [0, 1), received ${rate}`,
      );
    }
  }
  tf.dispose([logits, x]);
});

testOnBackends(
  "operators reject unknown or mismatched positions and patterns with a TypeError",
  () => {
    const logits = randomTensor(1, [1, 1, 3, 3]) as tf.Tensor4D;
    const x = randomTensor(2, [1, 3, 2]);
    const ctx = { training: true, key: randomKey(0) };
    const bad = (position: string, pattern: string) =>
      ({ position, pattern, rate: 0.1 }) as unknown as ResolvedDrop;
    assertThrows(() => dropKey(logits, bad("logits", "column"), ctx), TypeError, '"logits"');
    assertThrows(
      () => dropKey(logits, bad("attention-logits", "block"), ctx),
      TypeError,
      '"block"',
    );
    assertThrows(() => dropKey(logits, bad("attention-logits", "column-token"), ctx), TypeError);
    assertThrows(() => dropKey(logits, bad("attention-weights", "column"), ctx), TypeError);
    assertThrows(() => dropKey(logits, bad("hidden", "element"), ctx), TypeError, '"hidden"');
    assertThrows(() => dropAttention(logits, bad("attention-logits", "element"), ctx), TypeError);
    assertThrows(() => dropRepresentation(x, bad("hidden", "column"), ctx), TypeError, "ambiguous");
    assertThrows(() => dropRepresentation(x, bad("ffn", "element"), ctx), TypeError, '"ffn"');
    assertThrows(() => dropRepresentation(x, bad("attention-logits", "element"), ctx), TypeError);
    assertThrows(
      () => dropKey(logits, spec("attention-logits", "column", 0.1), null as never),
      TypeError,
      "ctx",
    );
    tf.dispose([logits, x]);
  },
);

testOnBackends("training with a rate but neither key nor mask is a TypeError", () => {
  const logits = randomTensor(1, [1, 1, 3, 3]) as tf.Tensor4D;
  const x = randomTensor(2, [1, 3, 2]);
  assertThrows(
    () => dropKey(logits, spec("attention-logits", "column", 0.1), { training: true }),
    TypeError,
    "needs ctx.key or options.mask",
  );
  assertThrows(
    () => dropAttention(logits, spec("attention-weights", "span", 0.1), { training: true }),
    TypeError,
  );
  assertThrows(
    () => dropRepresentation(x, spec("hidden", "element", 0.1), { training: true }),
    TypeError,
  );
  // An explicit mask is enough.
  const mask = tf.tensor4d([[[[1, 0, 1]]]]);
  const out = dropKey(logits, spec("attention-logits", "column", 0.1), { training: true }, {
    mask,
  });
  assertEquals(out.shape, [1, 1, 3, 3]);
  tf.dispose([logits, x, mask, out]);
});

testOnBackends("operators reject bad shapes with clear errors", () => {
  const ctx = { training: true, key: randomKey(0) };
  const rank3 = randomTensor(1, [2, 3, 3]);
  const logits = randomTensor(1, [2, 1, 3, 3]) as tf.Tensor4D;
  const x = randomTensor(2, [2, 3, 4]);
  const flat = randomTensor(3, [2, 4]);
  assertThrows(
    () => dropKey(rank3 as never, spec("attention-logits", "column", 0.1), ctx),
    RangeError,
    "received shape [2,3,3]",
  );
  const badMask = tf.ones([2, 1, 1, 4]);
  assertThrows(
    () => dropKey(logits, spec("attention-logits", "column", 0.1), ctx, { mask: badMask }),
    RangeError,
    "not broadcastable",
  );
  const badTokens = tf.ones([2, 4]) as tf.Tensor2D;
  assertThrows(
    () =>
      dropAttention(logits, spec("attention-weights", "span", 0.1), ctx, {
        tokenMask: badTokens,
      }),
    RangeError,
    "tokenMask must have shape [2, 3]",
  );
  assertThrows(
    () => dropRepresentation(x, spec("hidden", "span", 0.1), ctx, { tokenMask: badTokens }),
    RangeError,
    "tokenMask",
  );
  assertThrows(
    () => dropRepresentation(flat, spec("classifier", "column-token", 0.1), ctx),
    RangeError,
    "(B, T, D)",
  );
  assertThrows(
    () =>
      dropRepresentation(x, { ...spec("hidden", "span", 0.1), spanStart: "attention-top40" }, ctx),
    TypeError,
    "attentionReceived",
  );
  const y = dropRepresentation(flat, spec("classifier", "column-feature", 0.5), ctx);
  assertEquals(y.shape, [2, 4]);
  tf.dispose([rank3, logits, x, flat, badMask, badTokens, y]);
});

testOnBackends("claim 2: DropKey then softmax equals softmax then DropAttention", async () => {
  const logits = randomTensor(7, [2, 3, 6, 6]) as tf.Tensor4D;
  const tokenMask = tf.tensor2d([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]]);
  const padBias = tf.reshape(tf.mul(tf.sub(1, tokenMask), DROP_KEY_NEG), [2, 1, 1, 6]); // (B, 1, 1, Tk)
  const biased = tf.add(logits, padBias) as tf.Tensor4D;
  const weights = tf.softmax(biased) as tf.Tensor4D;
  for (const pattern of ATTENTION_PATTERNS) {
    for (let seed = 0; seed < 3; seed++) {
      const ctx = { training: true, key: foldIn(randomKey(11), seed) };
      const options = { tokenMask: tokenMask as tf.Tensor2D };
      const viaKey = tf.softmax(
        dropKey(biased, spec("attention-logits", pattern, 0.4), ctx, options),
      );
      const viaAttention = dropAttention(
        weights,
        spec("attention-weights", pattern, 0.4),
        ctx,
        options,
      );
      const viaNoNoGrad = dropAttention(
        weights,
        { ...spec("attention-weights", pattern, 0.4), noGrad: false },
        ctx,
        options,
      );
      assert(await maxAbsDiff(viaKey, viaAttention) < 2e-6, `${pattern}: forward outputs differ`);
      assert(await maxAbsDiff(viaKey, viaNoNoGrad) < 2e-6, `${pattern}: no-NoGrad differs`);
      // The standard 1/(1−p) rescaling of the same mask does not match.
      const mask = sampleAttentionMask(ctx.key, [2, 3, 6, 6], pattern, 0.4, options.tokenMask);
      const inverseKeep = tf.div(tf.mul(weights, mask), 0.6);
      assert(await maxAbsDiff(viaKey, inverseKeep) > 1e-2, `${pattern}: 1/(1-p) matched`);
      // The mask really dropped something.
      assert(await maxAbsDiff(viaKey, weights) > 1e-3, `${pattern}: nothing was dropped`);
      tf.dispose([viaKey, viaAttention, viaNoNoGrad, mask, inverseKeep]);
    }
  }
  tf.dispose([logits, tokenMask, padBias, biased, weights]);
});

testOnBackends(
  "a row whose visible keys are all dropped stays undropped, without NaN",
  async () => {
    // Causal attention over 4 tokens: query 0 sees only key 0; drop key 0 (column) and key 2.
    const logits = randomTensor(3, [1, 1, 4, 4]);
    const causal = tf.tensor4d(
      [0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0].map((v) => v * DROP_KEY_NEG),
      [1, 1, 4, 4],
    );
    const biased = tf.add(logits, causal) as tf.Tensor4D;
    const mask = tf.tensor4d([[[[0, 1, 0, 1]]]]); // (1, 1, 1, Tk)
    const ctx = { training: true };
    const dk = dropKey(biased, spec("attention-logits", "column", 0.5), ctx, { mask });
    const viaKey = tf.softmax(dk);
    const weights = tf.softmax(biased) as tf.Tensor4D;
    const viaAttention = dropAttention(weights, spec("attention-weights", "column", 0.5), ctx, {
      mask,
    });
    for (const t of [dk, viaKey, viaAttention]) {
      assert((await t.data()).every(Number.isFinite), "non-finite output");
    }
    const k = await viaKey.array() as number[][][][];
    const w = await weights.array() as number[][][][];
    assertEquals(k[0]![0]![0], w[0]![0]![0]); // query 0: undropped
    assertEquals(k[0]![0]![1]![0], 0); // query 1: key 0 dropped, key 1 kept
    assert(Math.abs(k[0]![0]![1]![1]! - 1) < 1e-6);
    assert(await maxAbsDiff(viaKey, viaAttention) < 2e-6);
    // An element mask that drops a whole row of a non-causal head.
    const full = tf.tensor4d([[[[0, 0, 0, 0], [1, 1, 0, 1], [1, 1, 1, 1], [0, 1, 1, 1]]]]);
    const a = tf.softmax(
      dropKey(logits as tf.Tensor4D, spec("attention-logits", "element", 0.5), ctx, { mask: full }),
    );
    const wl = tf.softmax(logits) as tf.Tensor4D;
    const b = dropAttention(wl, spec("attention-weights", "element", 0.5), ctx, { mask: full });
    assert((await a.data()).every(Number.isFinite) && (await b.data()).every(Number.isFinite));
    assert(await maxAbsDiff(a, b) < 2e-6);
    assert(
      await maxAbsDiff(
        tf.slice(a, [0, 0, 0, 0], [1, 1, 1, 4]),
        tf.slice(wl, [0, 0, 0, 0], [1, 1, 1, 4]),
      ) < 1e-7,
    );
    // Gradients through a fully dropped row are finite and equal to the undropped softmax's.
    const r = randomTensor(4, [1, 1, 4, 4]);
    const ops: ((l: tf.Tensor) => tf.Tensor)[] = [
      (l) =>
        tf.softmax(
          dropKey(l as tf.Tensor4D, spec("attention-logits", "element", 0.5), ctx, { mask: full }),
        ),
      (l) =>
        dropAttention(
          tf.softmax(l) as tf.Tensor4D,
          spec("attention-weights", "element", 0.5),
          ctx,
          {
            mask: full,
          },
        ),
      (l) =>
        dropAttention(
          tf.softmax(l) as tf.Tensor4D,
          { ...spec("attention-weights", "element", 0.5), noGrad: false },
          ctx,
          { mask: full },
        ),
      (l) => tf.softmax(l),
    ];
    const grads = ops.map((f) => tf.grad((l: tf.Tensor) => tf.sum(tf.mul(f(l), r)))(logits));
    for (const g of grads) assert((await g.data()).every(Number.isFinite), "non-finite gradient");
    const plain = grads[3]!;
    for (const g of grads.slice(0, 3)) {
      const row0 = tf.slice(g, [0, 0, 0, 0], [1, 1, 1, 4]);
      const plainRow0 = tf.slice(plain, [0, 0, 0, 0], [1, 1, 1, 4]);
      assert(await maxAbsDiff(row0, plainRow0) < 1e-6, "fully dropped row: gradient changed");
      tf.dispose([row0, plainRow0]);
    }
    assert(
      await maxAbsDiff(grads[0]!, grads[2]!) < 1e-6,
      "no-NoGrad gradient differs from DropKey",
    );
    assert(await maxAbsDiff(grads[0]!, grads[1]!) > 1e-4, "NoGrad gradient equals DropKey's");
    tf.dispose([...grads, r]);
    tf.dispose([logits, causal, biased, mask, dk, viaKey, weights, viaAttention, full, a, wl, b]);
  },
);

testOnBackends("the same key gives the same mask and different keys different masks", async () => {
  const logits = randomTensor(5, [2, 2, 8, 8]) as tf.Tensor4D;
  const x = randomTensor(6, [2, 8, 16]);
  const k1 = foldIn(randomKey(0), 1), k2 = foldIn(randomKey(0), 2);
  /** `drop` twice with k1 gives one output, and with k2 another. */
  const assertKeyed = async (drop: (key: RandomKey) => tf.Tensor) => {
    const [a, b, c] = [drop(k1), drop(k1), drop(k2)];
    assertEquals(await a.data(), await b.data());
    assertNotEquals(await a.data(), await c.data());
    tf.dispose([a, b, c]);
  };
  for (const pattern of ATTENTION_PATTERNS) {
    const d = spec("attention-logits", pattern, 0.3);
    await assertKeyed((key) => dropKey(logits, d, { training: true, key }));
  }
  for (const pattern of REPRESENTATION_PATTERNS) {
    const d = spec("hidden", pattern, 0.3);
    await assertKeyed((key) => dropRepresentation(x, d, { training: true, key }));
  }
  tf.dispose([logits, x]);
});

testOnBackends("operators leave no tensors behind over repeated calls", async () => {
  const logits = randomTensor(5, [2, 2, 6, 6]) as tf.Tensor4D;
  const weights = tf.softmax(logits) as tf.Tensor4D;
  const x = randomTensor(6, [2, 6, 8]);
  const scores = randomTensor(7, [2, 6]) as tf.Tensor2D;
  const tokenMask = tf.tensor2d([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]]);
  await assertNoLeak("dropout operators", () => {
    for (let i = 0; i < 5; i++) {
      const ctx = { training: true, key: foldIn(randomKey(3), i) };
      for (const pattern of ATTENTION_PATTERNS) {
        tf.dispose(dropKey(logits, spec("attention-logits", pattern, 0.2), ctx, { tokenMask }));
        tf.dispose(
          dropAttention(weights, spec("attention-weights", pattern, 0.2), ctx, { tokenMask }),
        );
        tf.dispose(
          dropAttention(
            weights,
            { ...spec("attention-weights", pattern, 0.2), noGrad: false },
            ctx,
          ),
        );
      }
      for (const pattern of REPRESENTATION_PATTERNS) {
        tf.dispose(dropRepresentation(x, spec("hidden", pattern, 0.2), ctx, { tokenMask }));
      }
      tf.dispose(
        dropRepresentation(
          x,
          { ...spec("hidden", "span", 0.2), spanStart: "attention-top40" },
          ctx,
          {
            attentionReceived: scores,
          },
        ),
      );
    }
  });
  // Gradients through the operators do not leak either.
  await assertNoLeak("dropout gradients", () => {
    const ctx = { training: true, key: randomKey(9) };
    const g = tf.grad((l: tf.Tensor) =>
      tf.sum(
        dropAttention(
          tf.softmax(
            dropKey(l as tf.Tensor4D, spec("attention-logits", "column", 0.3), ctx),
          ) as tf.Tensor4D,
          spec("attention-weights", "element", 0.3),
          ctx,
        ).mul(logits),
      )
    )(logits);
    g.dispose();
  });
  tf.dispose([logits, weights, x, scores, tokenMask]);
});

testOnBackends(
  "claim 2 at extreme logits: with its logits DropAttention leaves no weight on a dropped key",
  async () => {
    // Key 0 dropped; the kept keys' weights underflow to 0 in float32 (e^-110).
    const logits = tf.tensor4d([[[[10, -100, -100, -100]]]]); // (1, 1, 1, 4)
    const mask = tf.tensor4d([[[[0, 1, 1, 1]]]]);
    const ctx = { training: true };
    const viaKey = tf.softmax(
      dropKey(logits, spec("attention-logits", "column", 0.5), ctx, { mask }),
    );
    assertAlmostEqualsArray(await viaKey.data(), [0, 1 / 3, 1 / 3, 1 / 3]);
    const weights = tf.softmax(logits) as tf.Tensor4D;
    for (const noGrad of [true, false]) {
      const drop = { ...spec("attention-weights", "column", 0.5), noGrad };
      const out = dropAttention(weights, drop, ctx, { mask, logits });
      assertAlmostEqualsArray(await out.data(), [0, 1 / 3, 1 / 3, 1 / 3]);
      // Its gradient is finite; without NoGrad it is DropKey's.
      const r = tf.tensor4d([[[[0.3, -1, 2, 0.5]]]]);
      const g = tf.grad((l: tf.Tensor) =>
        tf.sum(tf.mul(
          dropAttention(tf.softmax(l) as tf.Tensor4D, drop, ctx, {
            mask,
            logits: l as tf.Tensor4D,
          }),
          r,
        ))
      )(logits);
      const gk = tf.grad((l: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.softmax(
              dropKey(l as tf.Tensor4D, spec("attention-logits", "column", 0.5), ctx, { mask }),
            ),
            r,
          ),
        )
      )(logits);
      assert((await g.data()).every(Number.isFinite), "non-finite gradient");
      if (!noGrad) {
        assert(await maxAbsDiff(g, gk) < 1e-6, "no-NoGrad gradient differs from DropKey");
      }
      tf.dispose([out, r, g, gk]);
    }
    // Causal rows whose only visible key is dropped stay undropped, as DropKey leaves them.
    const causal = tf.tensor4d(
      [0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0].map((v) => v * DROP_KEY_NEG),
      [1, 1, 4, 4],
    );
    const biased = tf.add(tf.mul(randomTensor(3, [1, 1, 4, 4]), 40), causal) as tf.Tensor4D;
    const colMask = tf.tensor4d([[[[0, 1, 0, 1]]]]);
    const a = tf.softmax(
      dropKey(biased, spec("attention-logits", "column", 0.5), ctx, { mask: colMask }),
    );
    const b = dropAttention(
      tf.softmax(biased) as tf.Tensor4D,
      spec("attention-weights", "column", 0.5),
      ctx,
      {
        mask: colMask,
        logits: biased,
      },
    );
    assert(await maxAbsDiff(a, b) < 2e-6, "causal rows differ");
    assertThrows(
      () =>
        dropAttention(weights, spec("attention-weights", "column", 0.5), ctx, {
          mask,
          logits: tf.zeros([1, 1, 1, 3]) as tf.Tensor4D,
        }),
      RangeError,
      "options.logits must have the weights' shape [1,1,1,4], received [1,1,1,3]",
    );
    tf.dispose([logits, mask, viaKey, weights, causal, biased, colMask, a, b]);
  },
);

testOnBackends(
  "DropAttention's rescale: inverse-keep is plain 1/(1-p) dropout, none leaves kept weights",
  async () => {
    const weights = tf.softmax(randomTensor(21, [2, 2, 4, 5])) as tf.Tensor4D;
    const ctx = { training: true, key: randomKey(5) };
    const base = spec("attention-weights", "element", 0.25);
    const mask = sampleAttentionMask(ctx.key, [2, 2, 4, 5], "element", 0.25);
    const inverse = dropAttention(weights, { ...base, rescale: "inverse-keep" }, ctx);
    const none = dropAttention(weights, { ...base, rescale: "none" }, ctx);
    const normalised = dropAttention(weights, base, ctx);
    const wantInverse = tf.div(tf.mul(weights, mask), 0.75);
    const wantNone = tf.mul(weights, mask);
    assert(await maxAbsDiff(inverse, wantInverse) < 1e-6, "inverse-keep is not w·keep/(1−p)");
    assert(await maxAbsDiff(none, wantNone) < 1e-6, "none is not w·keep");
    // Only the normalised rescaling equals DropKey (paper §3.1): 1/(1−p) does not.
    const logits = tf.log(weights) as tf.Tensor4D;
    const viaKey = tf.softmax(dropKey(logits, spec("attention-logits", "element", 0.25), ctx));
    assert(await maxAbsDiff(viaKey, normalised) < 2e-6, "normalised differs from DropKey");
    assert(await maxAbsDiff(viaKey, inverse) > 1e-2, "1/(1-p) matched DropKey");
    // Its gradient is keep/(1−p).
    const r = randomTensor(22, [2, 2, 4, 5]);
    const g = tf.grad((w: tf.Tensor) =>
      tf.sum(tf.mul(dropAttention(w as tf.Tensor4D, { ...base, rescale: "inverse-keep" }, ctx), r))
    )(weights);
    assert(await maxAbsDiff(g, tf.div(tf.mul(r, mask), 0.75)) < 1e-6, "gradient is not keep/(1−p)");
    tf.dispose([weights, mask, inverse, none, normalised, wantInverse, wantNone, logits, viaKey]);
    tf.dispose([r, g]);
  },
);

testOnBackends("a rescale or noGrad a position would ignore is a TypeError", () => {
  const weights = tf.softmax(randomTensor(1, [1, 1, 3, 3])) as tf.Tensor4D;
  const x = randomTensor(2, [1, 3, 2]);
  const ctx = { training: true, key: randomKey(0) };
  assertThrows(
    () =>
      dropKey(
        weights,
        { ...spec("attention-logits", "column", 0.1), rescale: "inverse-keep" },
        ctx,
      ),
    TypeError,
    'rescale at "attention-logits" must be "none", received "inverse-keep"',
  );
  assertThrows(
    () => dropRepresentation(x, { ...spec("hidden", "element", 0.1), rescale: "normalised" }, ctx),
    TypeError,
    'rescale at "hidden" must be "inverse-keep" or "none", received "normalised"',
  );
  assertThrows(
    () =>
      dropAttention(weights, {
        ...spec("attention-weights", "element", 0.1),
        rescale: "inverse-keep",
        noGrad: false,
      }, ctx),
    TypeError,
    'noGrad applies to the "normalised" rescaling only, received rescale "inverse-keep"',
  );
  assertThrows(
    () => dropRepresentation(x, { ...spec("hidden", "element", 0.1), noGrad: true }, ctx),
    TypeError,
    'noGrad applies to "attention-weights" only, received it at "hidden"',
  );
  tf.dispose([weights, x]);
});

function assertAlmostEqualsArray(actual: ArrayLike<number>, expected: number[], tol = 1e-6): void {
  assertEquals(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert(Math.abs(actual[i]! - expected[i]!) <= tol, `[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}
