// Task and consistency losses: values against a float64 plain-TS reference, the stop-gradient
// semantics, masks, extreme logits, errors and leaks.
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import { randomKey, uniform } from "../lib/random.ts";
import {
  consistencyLoss,
  crossEntropy,
  jsDivergence,
  jsHiddenCut,
  jsToInference,
  meanSquaredError,
  mseConsistency,
  stopGradient,
  symmetricKl,
} from "../lib/losses/mod.ts";

// ---- float64 reference ----
function logSoftmax64(row: number[]): number[] {
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
  return row.map((v) => v - lse);
}
function kl64(p: number[], q: number[]): number {
  const lp = logSoftmax64(p), lq = logSoftmax64(q);
  return lp.reduce((s, v, i) => s + Math.exp(v) * (v - lq[i]!), 0);
}
/** The Jensen-Shannon divergence ½[KL(P‖m) + KL(Q‖m)]. */
function js64(p: number[], q: number[]): number {
  const pp = logSoftmax64(p).map(Math.exp), qq = logSoftmax64(q).map(Math.exp);
  const m = pp.map((v, i) => (v + qq[i]!) / 2);
  const kl = (a: number[]) => a.reduce((s, v, i) => s + (v > 0 ? v * Math.log(v / m[i]!) : 0), 0);
  return (kl(pp) + kl(qq)) / 2;
}
/** HiddenCut's code: ½[kl_div(log P, m) + kl_div(log Q, m)] = ½[KL(m‖P) + KL(m‖Q)]. */
function hiddenCut64(p: number[], q: number[]): number {
  const lp = logSoftmax64(p), lq = logSoftmax64(q);
  const m = lp.map((v, i) => (Math.exp(v) + Math.exp(lq[i]!)) / 2);
  const kl = (la: number[]) => m.reduce((s, v, i) => s + v * (Math.log(v) - la[i]!), 0);
  return (kl(lp) + kl(lq)) / 2;
}
function rows(values: Float32Array, c: number): number[][] {
  return Array.from(
    { length: values.length / c },
    (_, i) => Array.from(values.subarray(i * c, (i + 1) * c)),
  );
}
function mean(xs: number[]): number {
  return xs.reduce((s, v) => s + v, 0) / xs.length;
}
function rand(seed: number, n: number, spread: number): Float32Array {
  return uniform(randomKey(seed), n).map((v) => (2 * v - 1) * spread);
}
function scalar(t: tf.Tensor): number {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

const N = 6, C = 5;

testOnBackends(
  "crossEntropy matches a float64 reference, with label smoothing and soft targets",
  async () => {
    const lv = rand(1, N * C, 4);
    const labels = [0, 4, 2, 2, 1, 3];
    await assertNoLeak("crossEntropy", () => {
      const logits = tf.tensor2d(lv, [N, C]);
      const idx = tf.tensor1d(labels, "int32");
      for (const eps of [0, 0.1]) {
        const want = mean(
          rows(lv, C).map((r, i) => {
            const lp = logSoftmax64(r);
            return -lp.reduce((s, v, c) => s + ((c === labels[i] ? 1 - eps : 0) + eps / C) * v, 0);
          }),
        );
        assertAlmostEquals(scalar(crossEntropy(logits, idx, { labelSmoothing: eps })), want, 1e-5);
      }
      const soft = tf.tidy(() => tf.softmax(tf.tensor2d(rand(2, N * C, 1), [N, C])));
      const softRows = rows(soft.dataSync() as Float32Array, C);
      const want = mean(
        rows(lv, C).map((r, i) =>
          -logSoftmax64(r).reduce((s, v, c) => s + softRows[i]![c]! * v, 0)
        ),
      );
      assertAlmostEquals(scalar(crossEntropy(logits, soft)), want, 1e-5);
      tf.dispose([logits, idx, soft]);
    });
  },
);

testOnBackends(
  "crossEntropy with a mask averages over real tokens only and ignores padding labels",
  async () => {
    const B = 2, T = 4;
    const lv = rand(3, B * T * C, 3);
    // Padding positions get absurd logits and an out-of-range label (-100, PyTorch's ignore index).
    const maskValues = [1, 1, 1, 0, 1, 1, 0, 0];
    const labelValues = [1, 2, 3, -100, 0, 4, -100, -100];
    for (let i = 0; i < B * T; i++) {
      if (maskValues[i] === 0) {
        lv.fill(1e6 * (i + 1), i * C, (i + 1) * C - 1);
      }
    }
    await assertNoLeak("masked crossEntropy", () => {
      const logits = tf.tensor3d(lv, [B, T, C]);
      const labels = tf.tensor2d(labelValues, [B, T], "int32");
      const mask = tf.tensor2d(maskValues, [B, T]);
      const real = rows(lv, C).flatMap((
        r,
        i,
      ) => (maskValues[i] ? [-logSoftmax64(r)[labelValues[i]!]!] : []));
      assertAlmostEquals(scalar(crossEntropy(logits, labels, { mask })), mean(real), 1e-5);
      assertThrows(() => crossEntropy(logits, labels), RangeError, "received -100");
      const allPad = tf.zeros([B, T]);
      assertEquals(scalar(crossEntropy(logits, labels, { mask: allPad })), 0);
      tf.dispose([logits, labels, mask, allPad]);
    });
  },
);

testOnBackends(
  "KL and JS losses are 0 for identical passes, positive otherwise, and match float64",
  async () => {
    const av = rand(4, N * C, 3), bv = rand(5, N * C, 3);
    await assertNoLeak("consistency losses", () => {
      const a = tf.tensor2d(av, [N, C]), b = tf.tensor2d(bv, [N, C]);
      const ra = rows(av, C), rb = rows(bv, C);
      for (const stopGradientSecond of [true, false]) {
        assertAlmostEquals(scalar(symmetricKl(a, a, { stopGradientSecond })), 0, 1e-6);
        const ab = scalar(symmetricKl(a, b, { stopGradientSecond }));
        const ba = scalar(symmetricKl(b, a, { stopGradientSecond }));
        const want = mean(ra.map((r, i) => (kl64(r, rb[i]!) + kl64(rb[i]!, r)) / 2));
        assert(ab > 0.05);
        assertAlmostEquals(ab, want, 1e-5);
        assertAlmostEquals(ab, ba, 1e-6); // symmetric
      }
      assertAlmostEquals(scalar(jsToInference(a, a)), 0, 1e-6);
      assertAlmostEquals(
        scalar(jsToInference(a, b)),
        mean(ra.map((r, i) => kl64(r, rb[i]!))),
        1e-5,
      );
      assertAlmostEquals(scalar(jsHiddenCut(a, a)), 0, 1e-6);
      const hc = scalar(jsHiddenCut(a, b));
      assertAlmostEquals(hc, mean(ra.map((r, i) => hiddenCut64(r, rb[i]!))), 1e-5);
      assertAlmostEquals(hc, scalar(jsHiddenCut(b, a)), 1e-6);
      assertAlmostEquals(scalar(jsDivergence(a, a)), 0, 1e-6);
      const js = scalar(jsDivergence(a, b));
      assertAlmostEquals(js, mean(ra.map((r, i) => js64(r, rb[i]!))), 1e-5);
      assert(js > 0 && js <= Math.LN2);
      assertAlmostEquals(js, scalar(jsDivergence(b, a)), 1e-6);
      // The two directions differ: HiddenCut's KL(m‖P) is not the JS divergence.
      assert(Math.abs(hc - js) > 0.01, `jsHiddenCut ${hc} vs jsDivergence ${js}`);
      assertAlmostEquals(scalar(mseConsistency(a, a, { stopGradientSecond: true })), 0, 1e-12);
      const mse = mean(Array.from(av, (v, i) => (v - bv[i]!) ** 2));
      assertAlmostEquals(scalar(mseConsistency(a, b, { stopGradientSecond: false })), mse, 1e-5);
      assertAlmostEquals(scalar(meanSquaredError(a, b)), mse, 1e-5);
      tf.dispose([a, b]);
    });
  },
);

testOnBackends(
  "stopGradientSecond gives pass 2 no gradient, and without it pass 2 gets one",
  async () => {
    const v1 = tf.variable(tf.tensor2d(rand(6, N * C, 2), [N, C]));
    const v2 = tf.variable(tf.tensor2d(rand(7, N * C, 2), [N, C]));
    const losses = {
      kl: (s: boolean) => symmetricKl(v1, v2, { stopGradientSecond: s }),
      js: (s: boolean) => jsToInference(v1, v2, { stopGradientSecond: s }),
      "js-hiddencut": (s: boolean) => jsHiddenCut(v1, v2, { stopGradientSecond: s }),
      "js-divergence": (s: boolean) => jsDivergence(v1, v2, { stopGradientSecond: s }),
      mse: (s: boolean) => mseConsistency(v1, v2, { stopGradientSecond: s }),
    };
    await assertNoLeak("stop-gradient", () => {
      for (const [name, loss] of Object.entries(losses)) {
        for (const stop of [true, false]) {
          tf.tidy(() => {
            const { value, grads } = tf.variableGrads(() => loss(stop) as tf.Scalar, [v1, v2]);
            const g1 = grads[v1.name], g2 = grads[v2.name];
            assert(
              g1 !== undefined && scalar(tf.max(tf.abs(g1))) > 1e-4,
              `${name}: pass 1 has no gradient`,
            );
            if (stop) {
              assert(
                g2 === undefined || scalar(tf.max(tf.abs(g2))) === 0,
                `${name}: pass 2 got a gradient`,
              );
            } else {
              assert(
                g2 !== undefined && scalar(tf.max(tf.abs(g2))) > 1e-4,
                `${name}: pass 2 has no gradient`,
              );
            }
            tf.dispose([value, ...Object.values(grads)]);
          });
        }
      }
    });
    // With the stop, the gradient for pass 1 equals the one against a constant copy of pass 2.
    tf.tidy(() => {
      const constant = tf.tensor(v2.dataSync(), v2.shape);
      const g = tf.grad((x) => symmetricKl(x, v2, { stopGradientSecond: true }))(v1);
      const ref = tf.grad((x) => symmetricKl(x, constant, { stopGradientSecond: false }))(v1);
      assert(scalar(tf.max(tf.abs(tf.sub(g, ref)))) < 1e-6);
    });
    tf.dispose([v1, v2]);
  },
);

testOnBackends("stopGradient cuts the tape: the second pass's backward is never run", async () => {
  const x = tf.tensor2d(rand(8, 4 * 3, 1), [4, 3]);
  const w = tf.tensor2d(rand(9, 3 * 3, 1), [3, 3]);
  // Pass 2 uses an op (Cos) that pass 1 does not: its gradient kernel (Sin) must not run.
  const profile = await tf.profile(() => {
    const g = tf.grad((ww) => {
      const pass1 = tf.matMul(x, ww);
      const pass2 = tf.cos(tf.matMul(x, ww));
      return symmetricKl(pass1, pass2, { stopGradientSecond: true });
    })(w);
    g.dispose();
  });
  const names = profile.kernels.map((k) => k.name);
  assertEquals(names.filter((n) => n === "Cos").length, 1);
  assertEquals(names.filter((n) => n === "Sin").length, 0);
  const noStop = await tf.profile(() => {
    const g = tf.grad((ww) =>
      symmetricKl(tf.matMul(x, ww), tf.cos(tf.matMul(x, ww)), { stopGradientSecond: false })
    )(w);
    g.dispose();
  });
  assert(noStop.kernels.some((k) => k.name === "Sin"), "the test would not notice a backward pass");
  const s = stopGradient(x);
  assertEquals(Array.from(s.dataSync()), Array.from(x.dataSync()));
  tf.dispose([x, w, s]);
});

testOnBackends("masked consistency losses ignore padded tokens", async () => {
  const B = 2, T = 3;
  const av = rand(10, B * T * C, 2), bv = rand(11, B * T * C, 2);
  const maskValues = [1, 0, 1, 1, 1, 0];
  await assertNoLeak("masked consistency", () => {
    const mask = tf.tensor2d(maskValues, [B, T]);
    const a = tf.tensor3d(av, [B, T, C]), b = tf.tensor3d(bv, [B, T, C]);
    // Garbage in the padded positions of pass 2 changes nothing.
    const garbage = Float32Array.from(bv);
    for (let i = 0; i < B * T; i++) {
      if (!maskValues[i]) garbage.fill(-50 * (i + 1), i * C, i * C + 2);
    }
    const bg = tf.tensor3d(garbage, [B, T, C]);
    const ra = rows(av, C), rb = rows(bv, C);
    const keep = <X>(xs: X[]) => xs.filter((_, i) => maskValues[i] === 1);
    const want = {
      kl: mean(keep(ra.map((r, i) => (kl64(r, rb[i]!) + kl64(rb[i]!, r)) / 2))),
      js: mean(keep(ra.map((r, i) => kl64(r, rb[i]!)))),
      "js-hiddencut": mean(keep(ra.map((r, i) => hiddenCut64(r, rb[i]!)))),
      mse: mean(keep(ra.map((r, i) => mean(r.map((v, c) => (v - rb[i]![c]!) ** 2))))),
    };
    for (const [kind, value] of Object.entries(want)) {
      const spec = { kind: kind as "kl", weight: 2, branches: "one" as const };
      assertAlmostEquals(scalar(consistencyLoss(spec, a, b, { mask })), 2 * value, 1e-5, kind);
      assertAlmostEquals(scalar(consistencyLoss(spec, a, bg, { mask })), 2 * value, 1e-5, kind);
    }
    tf.dispose([mask, a, b, bg]);
  });
});

testOnBackends("losses stay finite, with finite gradients, for extreme logits", async () => {
  const extreme = [
    [1e30, -1e30, 0, 0, 0],
    [-Infinity, 0, 1, 2, 3],
    [3e38, -3e38, 0, 0, 0],
    [1e4, -1e4, 1e4, 0, -1e4],
  ];
  const other = [
    [-1e30, 1e30, 0, 0, 0],
    [0, -Infinity, 1, 2, 3],
    [-3e38, 3e38, 0, 0, 0],
    [-1e4, 1e4, 0, 0, 1e4],
  ];
  await assertNoLeak("extreme logits", () => {
    tf.tidy(() => {
      const a = tf.tensor2d(extreme), b = tf.tensor2d(other);
      const labels = tf.tensor1d([1, 2, 0, 4], "int32");
      const fns: [string, (x: tf.Tensor) => tf.Tensor][] = [
        ["crossEntropy", (x) => crossEntropy(x, labels, { labelSmoothing: 0.1 })],
        ["symmetricKl", (x) => symmetricKl(x, b, { stopGradientSecond: false })],
        ["jsToInference", (x) => jsToInference(x, b)],
        ["jsHiddenCut", (x) => jsHiddenCut(x, b)],
        ["jsDivergence", (x) => jsDivergence(x, b)],
      ];
      for (const [name, f] of fns) {
        const value = f(a).dataSync()[0]!;
        assert(Number.isFinite(value) && value >= 0, `${name} gave ${value}`);
        const g = tf.grad((x) => f(x))(a).dataSync();
        assert(g.every(Number.isFinite), `${name} gave a non-finite gradient`);
      }
      const js = jsDivergence(a, b).dataSync()[0]!;
      assert(js <= Math.LN2 + 1e-6, `jsDivergence ${js} above ln 2`);
    });
  });
});

testOnBackends(
  "losses reject mismatched shapes, bad options and bad specs with clear errors",
  () => {
    tf.tidy(() => {
      const a = tf.zeros([2, 3]), b = tf.zeros([2, 4]), seq = tf.zeros([2, 5, 3]);
      assertThrows(
        () => symmetricKl(a, b, { stopGradientSecond: true }),
        RangeError,
        "[2,3] and [2,4]",
      );
      assertThrows(() => jsToInference(a, b), RangeError, "equal shapes");
      assertThrows(() => jsHiddenCut(a, b), RangeError, "equal shapes");
      assertThrows(() => jsDivergence(a, b), RangeError, "equal shapes");
      assertThrows(
        () => mseConsistency(a, b, { stopGradientSecond: true }),
        RangeError,
        "equal shapes",
      );
      assertThrows(() => meanSquaredError(a, b), RangeError, "equal shapes");
      assertThrows(
        () => symmetricKl(a, a, {} as { stopGradientSecond: boolean }),
        TypeError,
        "stopGradientSecond must be a boolean",
      );
      assertThrows(
        () => symmetricKl(seq, seq, { stopGradientSecond: true, mask: tf.ones([2, 4]) }),
        RangeError,
        "received [2,4]",
      );
      assertThrows(() => crossEntropy(a, tf.tensor1d([0, 3], "int32")), RangeError, "received 3");
      assertThrows(() => crossEntropy(a, tf.tensor1d([0, 1])), TypeError, "int32");
      assertThrows(() => crossEntropy(a, tf.zeros([3])), RangeError, "labels must have shape");
      assertThrows(
        () => crossEntropy(a, tf.tensor1d([0, 1], "int32"), { labelSmoothing: 1 }),
        RangeError,
        "received 1",
      );
      assertThrows(
        () => crossEntropy(tf.zeros([2, 3], "int32"), tf.tensor1d([0, 1], "int32")),
        TypeError,
        "float32",
      );
      assertThrows(
        () => consistencyLoss({ kind: "kld" as "kl", weight: 1, branches: "one" }, a, a),
        TypeError,
        'received "kld"',
      );
      assertThrows(
        () => consistencyLoss({ kind: "kl", weight: -1, branches: "one" }, a, a),
        RangeError,
        "received -1",
      );
      assertThrows(
        () => consistencyLoss({ kind: "kl", weight: 1, branches: "two" as "one" }, a, a),
        TypeError,
        'received "two"',
      );
    });
  },
);
