// Parity with PEFT and PyTorch (golden made by tests/golden/make_lora_loss_goldens.py): a LoRA
// layer's output, gradients, merged weight and scaling; cross-entropy, R-Drop's KL, HiddenCut's JS
// (its code's KL(m‖Pi) direction) and the Jensen-Shannon divergence.
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertAlmostEquals } from "@std/assert";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import { loraLinear, loraScale, mergeLora } from "../lib/lora/mod.ts";
import { crossEntropy, jsDivergence, jsHiddenCut, symmetricKl } from "../lib/losses/mod.ts";

const golden = JSON.parse(
  await Deno.readTextFile(new URL("./golden/lora_loss.json", import.meta.url)),
);
const L = golden.lora, S = golden.losses;

function maxDiff(actual: ArrayLike<number>, expected: number[]): number {
  assert(actual.length === expected.length, `length ${actual.length} vs ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(
      worst,
      Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)),
    );
  }
  return worst;
}

/** A torch `(rows, cols)` weight as our `(cols, rows)` layout. */
function fromTorch(values: number[], rows: number, cols: number): tf.Tensor2D {
  return tf.tidy(() => tf.transpose(tf.tensor2d(values, [rows, cols])));
}

Deno.test("loraScale equals PEFT's scaling, with and without rsLoRA", () => {
  assertAlmostEquals(loraScale({ r: L.r, alpha: L.alpha }), L.scaling_rs_false, 1e-12);
  assertAlmostEquals(loraScale({ r: L.r, alpha: L.alpha, rsLora: true }), L.scaling_rs_true, 1e-12);
});

testOnBackends(
  "loraLinear matches a PEFT LoRA layer: output, gradients and merged weight",
  async () => {
    const kernel = fromTorch(L.baseWeight, L.out, L.in);
    const bias = tf.tensor1d(L.baseBias);
    const a = fromTorch(L.loraA, L.r, L.in); // (in, r)
    const b = fromTorch(L.loraB, L.out, L.r); // (r, out)
    const x = tf.tensor3d(L.x, [2, 3, L.in]);
    const g = tf.tensor3d(L.g, [2, 3, L.out]);
    const scale = loraScale({ r: L.r, alpha: L.alpha, rsLora: L.rsLora });
    await assertNoLeak("PEFT parity", () => {
      tf.tidy(() => {
        const f = (xx: tf.Tensor, aa: tf.Tensor, bb: tf.Tensor) =>
          loraLinear(xx, { kernel, bias }, { a: aa as tf.Tensor2D, b: bb as tf.Tensor2D }, {
            scale,
          }, {
            training: true,
          });
        assert(maxDiff(f(x, a, b).dataSync(), L.y) < 1e-5, "output");
        const [dx, da, db] = tf.grads((xx, aa, bb) => tf.sum(tf.mul(g, tf.sin(f(xx!, aa!, bb!)))))([
          x,
          a,
          b,
        ]);
        assert(maxDiff(dx!.dataSync(), L.dx) < 1e-5, "dx");
        // PEFT's gradients are in its (r, in) and (out, r) layouts.
        assert(maxDiff(tf.transpose(da!).dataSync(), L.dLoraA) < 1e-5, "dA");
        assert(maxDiff(tf.transpose(db!).dataSync(), L.dLoraB) < 1e-5, "dB");
        const merged = mergeLora({ kernel, bias }, { a, b }, scale);
        assert(maxDiff(tf.transpose(merged.kernel).dataSync(), L.mergedWeight) < 1e-5, "merged");
      });
    });
    tf.dispose([kernel, bias, a, b, x, g]);
  },
);

testOnBackends(
  "losses match PyTorch: smoothed and ignore-index cross-entropy, R-Drop KL, HiddenCut JS",
  async () => {
    await assertNoLeak("PyTorch loss parity", () => {
      tf.tidy(() => {
        const a = tf.tensor2d(S.a, [S.n, S.c]), b = tf.tensor2d(S.b, [S.n, S.c]);
        const labels = tf.tensor1d(S.labels, "int32");
        const ce = crossEntropy(a, labels, { labelSmoothing: 0.1 }).dataSync()[0]!;
        assertAlmostEquals(ce, S.crossEntropySmoothed, 1e-5);
        const seqLabels = tf.tensor2d(S.seqLabels, [2, 3], "int32");
        const mask = tf.cast(tf.notEqual(seqLabels, -100), "float32");
        const seq = tf.tensor3d(S.seqLogits, [2, 3, S.c]);
        assertAlmostEquals(
          crossEntropy(seq, seqLabels, { mask }).dataSync()[0]!,
          S.crossEntropySeqIgnore,
          1e-5,
        );
        const kl = (x: tf.Tensor) => symmetricKl(x, b, { stopGradientSecond: true });
        assertAlmostEquals(kl(a).dataSync()[0]!, S.symmetricKl, 1e-5);
        assert(maxDiff(tf.grad(kl)(a).dataSync(), S.dSymmetricKl) < 1e-5, "dKL");
        const js = (x: tf.Tensor) => jsHiddenCut(x, b, { stopGradientSecond: true });
        assertAlmostEquals(js(a).dataSync()[0]!, S.jsHiddenCut, 1e-5);
        assert(maxDiff(tf.grad(js)(a).dataSync(), S.dJsHiddenCut) < 1e-5, "dJS");
        const jsd = (x: tf.Tensor) => jsDivergence(x, b, { stopGradientSecond: true });
        assertAlmostEquals(jsd(a).dataSync()[0]!, S.jsDivergence, 1e-5);
        assert(maxDiff(tf.grad(jsd)(a).dataSync(), S.dJsDivergence) < 1e-5, "dJSD");
      });
    });
  },
);
