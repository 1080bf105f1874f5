// Gradients: the paper's claim 3 (DropKey vs DropAttention with and without NoGrad), checked with
// tf.grad against the float64 reference and the paper's closed forms, plus central finite
// differences of every operator on tiny shapes.
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals } from "@std/assert";
import { testOnBackends } from "./_backends.ts";
import { foldIn, randomKey, uniform } from "../lib/random.ts";
import { dropKey } from "../lib/dropout/drop_key.ts";
import { dropAttention } from "../lib/dropout/drop_attention.ts";
import { dropRepresentation } from "../lib/dropout/drop_representation.ts";
import { sampleAttentionMask } from "../lib/dropout/masks.ts";
import type { DropPattern, ResolvedDrop } from "../lib/dropout/spec.ts";
import {
  dropAttentionRow,
  dropKeyRow,
  paperGradients,
  rowJacobian,
  Value,
} from "./_reference_f64.ts";

const LOGITS = [0.3, -1.2, 1.7, 0.4, -0.5, 1.1]; // one attention row, l = 6
const TRAIN = { training: true } as const;
const DK: ResolvedDrop = { position: "attention-logits", pattern: "element", rate: 0.5 };
const DA: ResolvedDrop = { position: "attention-weights", pattern: "element", rate: 0.5 };
const DA_GRAD: ResolvedDrop = { ...DA, noGrad: false };

/** `∂out[u]/∂g` of a tfjs row operator at `LOGITS` under the keep-mask `keep`. */
function tfRowGradient(
  op: "dropKey" | "dropAttention" | "dropAttention-grad",
  keep: number[],
  u: number,
  withLogits = false,
): number[] {
  const l = keep.length;
  return tf.tidy(() => {
    const mask = tf.tensor4d(keep, [1, 1, 1, l]);
    const pick = tf.oneHot(tf.tensor1d([u], "int32"), l).reshape([1, 1, 1, l]); // (1, 1, 1, l)
    const f = (g: tf.Tensor) => {
      const g4 = g as tf.Tensor4D;
      const w = op === "dropKey" ? tf.softmax(dropKey(g4, DK, TRAIN, { mask })) : dropAttention(
        tf.softmax(g4) as tf.Tensor4D,
        op === "dropAttention" ? DA : DA_GRAD,
        TRAIN,
        withLogits ? { mask, logits: g4 } : { mask },
      );
      return tf.sum(tf.mul(w, pick));
    };
    return Array.from(tf.grad(f)(tf.tensor4d(LOGITS, [1, 1, 1, l])).dataSync());
  });
}

function assertClose(a: number[], b: number[], tol: number, what: string): void {
  assertEquals(a.length, b.length);
  a.forEach((x, i) => assert(Math.abs(x - b[i]!) <= tol, `${what}[${i}]: ${x} vs ${b[i]}`));
}

Deno.test("the float64 reference matches the paper's closed forms (Eqs. 7-10)", () => {
  const keep = [1, 1, 0, 1, 1, 1];
  const m = 2;
  for (const u of [0, 1, 3, 4, 5]) {
    const paper = paperGradients(LOGITS, m, u);
    const dk = rowJacobian((g) => dropKeyRow(g, keep), LOGITS, u).gradU;
    const da = rowJacobian((g) => dropAttentionRow(g, keep, true), LOGITS, u).gradU;
    const daGrad = rowJacobian((g) => dropAttentionRow(g, keep, false), LOGITS, u).gradU;
    assert(Math.abs(dk[u]! - paper.dropKeyUU) < 1e-12);
    assertEquals(dk[m], 0);
    assert(Math.abs(da[u]! - paper.dropAttentionUU) < 1e-12);
    assert(Math.abs(da[m]! - paper.dropAttentionUM) < 1e-12);
    assert(Math.abs(dk[u]! / da[u]! - paper.k) < 1e-12);
    assert(paper.k < 1 && paper.k > 0, `k = ${paper.k}`);
    assertClose(daGrad, dk, 1e-12, "no-NoGrad reference");
  }
  // k decreases as the dropped logit grows (paper, after Eq. 15).
  const ks = [-2, -1, 0, 1, 2, 3].map((gm) => paperGradients([0.3, -1.2, gm, 0.4], 2, 0).k);
  ks.slice(1).forEach((k, i) => assert(k < ks[i]!, `k not decreasing: ${ks}`));
  // The micrograd engine itself: d(x·e^x / (x + 2))/dx against the closed form at x = 0.7.
  const x = new Value(0.7);
  const y = x.mul(x.exp()).div(x.add(new Value(2)));
  y.backward();
  const e = Math.exp(0.7);
  const expected = ((e + 0.7 * e) * 2.7 - 0.7 * e) / (2.7 * 2.7);
  assert(Math.abs(x.grad - expected) < 1e-12);
});

testOnBackends("claim 3: tf.grad gives the paper's DropKey / DropAttention gradients", () => {
  const keep = [1, 1, 0, 1, 1, 1];
  const m = 2;
  for (const u of [0, 3, 4, 5]) {
    const paper = paperGradients(LOGITS, m, u);
    const dk = tfRowGradient("dropKey", keep, u);
    const da = tfRowGradient("dropAttention", keep, u);
    const daGrad = tfRowGradient("dropAttention-grad", keep, u);
    // DropKey: no gradient to the dropped logit.
    assert(Math.abs(dk[m]!) < 1e-12, `DropKey ∂w'_u/∂g_m = ${dk[m]}`);
    assert(Math.abs(dk[u]! - paper.dropKeyUU) < 1e-6);
    // DropAttention with NoGrad: a non-zero gradient to the dropped logit.
    assert(Math.abs(da[m]!) > 1e-3, `DropAttention ∂w'_u/∂g_m = ${da[m]}`);
    assert(Math.abs(da[m]! - paper.dropAttentionUM) < 1e-6);
    assert(Math.abs(da[u]! - paper.dropAttentionUU) < 1e-6);
    // The ratio is the paper's k < 1.
    const k = dk[u]! / da[u]!;
    assert(Math.abs(k - paper.k) < 1e-5 && k < 1, `k = ${k}, paper ${paper.k}`);
    // Against the float64 reference, every entry.
    assertClose(dk, rowJacobian((g) => dropKeyRow(g, keep), LOGITS, u).gradU, 1e-6, "DropKey");
    assertClose(
      da,
      rowJacobian((g) => dropAttentionRow(g, keep, true), LOGITS, u).gradU,
      1e-6,
      "DropAttention",
    );
    // Without NoGrad the gradient is DropKey's.
    assertClose(daGrad, dk, 1e-6, "DropAttention without NoGrad");
  }
});

testOnBackends("claim 3 with several dropped keys matches the float64 reference", () => {
  const keep = [1, 0, 0, 1, 1, 0];
  for (const u of [0, 3, 4]) {
    const dk = tfRowGradient("dropKey", keep, u);
    const da = tfRowGradient("dropAttention", keep, u);
    const daGrad = tfRowGradient("dropAttention-grad", keep, u);
    const refDk = rowJacobian((g) => dropKeyRow(g, keep), LOGITS, u);
    const refDa = rowJacobian((g) => dropAttentionRow(g, keep, true), LOGITS, u);
    assertClose(dk, refDk.gradU, 1e-6, "DropKey");
    assertClose(da, refDa.gradU, 1e-6, "DropAttention");
    assertClose(daGrad, dk, 1e-6, "DropAttention without NoGrad");
    assertClose(refDk.values, refDa.values, 1e-12, "reference forward"); // claim 2 in float64
    assert(Math.abs(da[u]!) > Math.abs(dk[u]!), "DropKey's gradient is the smaller one (k < 1)");
  }
});

testOnBackends(
  "DropAttention computed from its logits has the float64 reference's gradients",
  () => {
    const keep = [1, 0, 0, 1, 1, 0];
    for (const u of [0, 3, 4]) {
      const refDa = rowJacobian((g) => dropAttentionRow(g, keep, true), LOGITS, u);
      const refGrad = rowJacobian((g) => dropAttentionRow(g, keep, false), LOGITS, u);
      assertClose(tfRowGradient("dropAttention", keep, u, true), refDa.gradU, 1e-6, "NoGrad");
      assertClose(
        tfRowGradient("dropAttention-grad", keep, u, true),
        refGrad.gradU,
        1e-6,
        "no NoGrad",
      );
    }
  },
);

/** Deterministic values uniform in [-1, 1). */
function randomTensor(seed: number, shape: number[]): tf.Tensor {
  const u = uniform(randomKey(seed), shape.reduce((a, b) => a * b, 1));
  return tf.tensor(u.map((x) => 2 * x - 1), shape);
}

/**
 * Compares tf.grad of `f` at `x0` with central differences of `reference` (`f` itself by default).
 */
function finiteDifferenceCheck(
  f: (x: tf.Tensor) => tf.Tensor,
  x0: tf.Tensor,
  what: string,
  reference: (x: tf.Tensor) => tf.Tensor = f,
  eps = 1e-2,
  tol = 2e-3,
): number {
  const analytic = tf.tidy(() => tf.grad((x) => f(x) as tf.Scalar)(x0).dataSync());
  const base = x0.dataSync();
  let worst = 0;
  for (let i = 0; i < base.length; i++) {
    const at = (delta: number) =>
      tf.tidy(() => {
        const v = Float32Array.from(base);
        v[i] = v[i]! + delta;
        return reference(tf.tensor(v, x0.shape)).dataSync()[0]!;
      });
    const numeric = (at(eps) - at(-eps)) / (2 * eps);
    worst = Math.max(worst, Math.abs(numeric - analytic[i]!));
    assert(
      Math.abs(numeric - analytic[i]!) < tol,
      `${what}: entry ${i}, autodiff ${analytic[i]} vs finite difference ${numeric}`,
    );
  }
  return worst;
}

const PATTERNS: DropPattern[] = ["element", "column", "span"];

testOnBackends("DropKey and DropAttention pass central finite-difference checks", () => {
  const shape: [number, number, number, number] = [1, 2, 3, 4];
  const g0 = randomTensor(1, shape);
  const r = randomTensor(2, shape);
  for (const pattern of PATTERNS) {
    const key = foldIn(randomKey(5), PATTERNS.indexOf(pattern));
    const ctx = { training: true, key };
    const mask = sampleAttentionMask(key, shape, pattern, DA.rate);
    assert(tf.tidy(() => mask.min().dataSync()[0]) === 0, `${pattern}: nothing dropped`);
    const dk = { ...DK, pattern };
    const da = { ...DA, pattern };
    const daGrad = { ...DA_GRAD, pattern };
    finiteDifferenceCheck(
      (g) => tf.sum(tf.mul(tf.softmax(dropKey(g as tf.Tensor4D, dk, ctx)), r)),
      g0,
      `dropKey ${pattern}`,
    );
    finiteDifferenceCheck(
      (g) => tf.sum(tf.mul(dropAttention(tf.softmax(g) as tf.Tensor4D, daGrad, ctx), r)),
      g0,
      `dropAttention without NoGrad ${pattern}`,
    );
    // With NoGrad, autodiff differentiates the function whose normaliser is frozen at g0.
    const frozen = tf.sum(tf.mul(tf.softmax(g0), mask), -1, true); // (1, 2, 3, 1)
    const withNoGrad = (g: tf.Tensor) =>
      tf.sum(tf.mul(dropAttention(tf.softmax(g) as tf.Tensor4D, da, ctx), r));
    finiteDifferenceCheck(
      withNoGrad,
      g0,
      `dropAttention with NoGrad ${pattern}`,
      (g) => tf.sum(tf.mul(tf.div(tf.mul(tf.softmax(g), mask), frozen), r)),
    );
    // ... and that differs from the true derivative of the operator's output.
    let differs = false;
    try {
      finiteDifferenceCheck(withNoGrad, g0, "NoGrad vs true derivative");
    } catch {
      differs = true;
    }
    assert(differs, `${pattern}: NoGrad made no difference to the gradient`);
    tf.dispose([mask, frozen]);
  }
  tf.dispose([g0, r]);
});

testOnBackends("dropRepresentation passes central finite-difference checks", () => {
  const shape = [2, 4, 3];
  const x0 = randomTensor(3, shape);
  const r = randomTensor(4, shape);
  const patterns: DropPattern[] = ["element", "column-feature", "column-token", "span"];
  for (const pattern of patterns) {
    const ctx = { training: true, key: foldIn(randomKey(6), patterns.indexOf(pattern)) };
    const drop: ResolvedDrop = { position: "hidden", pattern, rate: 0.4 };
    // A non-linear loss so that the check is not trivially exact.
    finiteDifferenceCheck(
      (x) => tf.sum(tf.mul(tf.tanh(dropRepresentation(x, drop, ctx)), r)),
      x0,
      `dropRepresentation ${pattern}`,
    );
  }
  tf.dispose([x0, r]);
});
