// Gradients of the LoRA layer: central finite differences, an independent float64 plain-TS
// reference, linearMatMul against tf.matMul, and no weight gradient for a frozen kernel.
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals } from "@std/assert";
import { assertNoLeak, testOnBackends } from "./_backends.ts";
import { randomKey, uniform } from "../lib/random.ts";
import { LINEAR_MAT_MUL_KERNEL, linearMatMul, loraLinear } from "../lib/lora/mod.ts";
import { BATCH_MAT_MUL_KERNEL } from "../lib/models/batch_matmul.ts";
import { MAT_MUL_TRANSPOSED_B_KERNEL } from "../lib/kernels/wasm_transposed_weights.ts";

// ---- a float64 reference: Y = X·W + b + s·(X⊙M)·A·B, L = Σ G ⊙ sin(Y) ----
type Mat = Float64Array[]; // rows

function mat(values: ArrayLike<number>, rows: number, cols: number): Mat {
  return Array.from(
    { length: rows },
    (_, i) => Float64Array.from({ length: cols }, (_, j) => values[i * cols + j]!),
  );
}
function matmul(a: Mat, b: Mat): Mat {
  const n = b[0]!.length, k = b.length;
  return a.map((row) => {
    const out = new Float64Array(n);
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) out[j]! += row[p]! * b[p]![j]!;
    return out;
  });
}
function transpose(a: Mat): Mat {
  return Array.from({ length: a[0]!.length }, (_, j) => Float64Array.from(a, (row) => row[j]!));
}
function zip(a: Mat, b: Mat, f: (x: number, y: number) => number): Mat {
  return a.map((row, i) => row.map((v, j) => f(v, b[i]![j]!)));
}
function scaleMat(a: Mat, s: number): Mat {
  return a.map((row) => row.map((v) => v * s));
}

interface Ref {
  loss: number;
  dx: Mat;
  dA: Mat;
  dB: Mat;
  dW: Mat;
}

function reference(
  x: Mat,
  w: Mat,
  bias: Float64Array,
  a: Mat,
  b: Mat,
  m: Mat,
  s: number,
  g: Mat,
): Ref {
  const h = zip(x, m, (u, v) => u * v);
  const ha = matmul(h, a);
  const y = zip(
    zip(matmul(x, w), scaleMat(matmul(ha, b), s), (u, v) => u + v),
    x.map(() => bias),
    (u, v) => u + v,
  );
  let loss = 0;
  y.forEach((row, i) => row.forEach((v, j) => (loss += g[i]![j]! * Math.sin(v))));
  const dy = zip(g, y, (gv, yv) => gv * Math.cos(yv));
  const dLow = scaleMat(matmul(dy, transpose(b)), s); // (N, r)
  const dh = matmul(dLow, transpose(a)); // (N, in)
  return {
    loss,
    dx: zip(matmul(dy, transpose(w)), zip(dh, m, (u, v) => u * v), (u, v) => u + v),
    dA: matmul(transpose(h), dLow),
    dB: scaleMat(matmul(transpose(ha), dy), s),
    dW: matmul(transpose(x), dy),
  };
}

function values(seed: number, n: number, spread = 1): Float32Array {
  return uniform(randomKey(seed), n).map((v) => (2 * v - 1) * spread);
}

function maxRelDiff(actual: ArrayLike<number>, expected: Mat | ArrayLike<number>): number {
  const flat = Array.isArray(expected)
    ? (expected as Mat).flatMap((row) => Array.from(row))
    : Array.from(expected as ArrayLike<number>);
  assertEquals(actual.length, flat.length);
  let worst = 0;
  for (let i = 0; i < flat.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - flat[i]!) / Math.max(1, Math.abs(flat[i]!)));
  }
  return worst;
}

const B = 2, T = 3, IN = 4, OUT = 5, R = 2, S = 1.5;

function setup() {
  const xv = values(1, B * T * IN), wv = values(2, IN * OUT), bv = values(3, OUT);
  const av = values(4, IN * R), bbv = values(5, R * OUT), gv = values(6, B * T * OUT);
  // An explicit keep-mask (rescaled by 1/(1−p) inside the drop): every 3rd input entry dropped.
  const keep = Float32Array.from({ length: B * T * IN }, (_, i) => (i % 3 === 0 ? 0 : 1));
  const p = 0.25;
  const mRef = mat(keep.map((k) => k / (1 - p)), B * T, IN);
  const ref = reference(
    mat(xv, B * T, IN),
    mat(wv, IN, OUT),
    Float64Array.from(bv),
    mat(av, IN, R),
    mat(bbv, R, OUT),
    mRef,
    S,
    mat(gv, B * T, OUT),
  );
  return { xv, wv, bv, av, bbv, gv, keep, p, ref };
}

testOnBackends(
  "loraLinear gradients match a float64 reference and central finite differences",
  async () => {
    const { xv, wv, bv, av, bbv, gv, keep, p, ref } = setup();
    const x = tf.tensor3d(xv, [B, T, IN]);
    const w = tf.tensor2d(wv, [IN, OUT]), bias = tf.tensor1d(bv);
    const a = tf.tensor2d(av, [IN, R]), b = tf.tensor2d(bbv, [R, OUT]);
    const g = tf.tensor3d(gv, [B, T, OUT]);
    const mask = tf.tensor3d(keep, [B, T, IN]);
    const drop = { position: "lora-input", pattern: "element", rate: p } as const;
    const loss = (xx: tf.Tensor, aa: tf.Tensor, bb: tf.Tensor, ww: tf.Tensor = w) =>
      tf.sum(tf.mul(
        g,
        tf.sin(loraLinear(
          xx,
          { kernel: ww as tf.Tensor2D, bias },
          { a: aa as tf.Tensor2D, b: bb as tf.Tensor2D },
          { scale: S, inputDrop: drop, inputDropOptions: { mask } },
          { training: true },
        )),
      )) as tf.Scalar;
    await assertNoLeak("loraLinear gradients", () => {
      tf.tidy(() => {
        const value = loss(x, a, b).dataSync()[0]!;
        assert(
          Math.abs(value - ref.loss) < 1e-4 * Math.max(1, Math.abs(ref.loss)),
          `loss ${value} vs ${ref.loss}`,
        );
        const [dx, da, db, dw] = tf.grads((xx, aa, bb, ww) => loss(xx!, aa!, bb!, ww!))([
          x,
          a,
          b,
          w,
        ]);
        const tol = 1e-4;
        for (
          const [name, got, want] of [["x", dx, ref.dx], ["A", da, ref.dA], ["B", db, ref.dB], [
            "W",
            dw,
            ref.dW,
          ]] as const
        ) {
          const diff = maxRelDiff(got!.dataSync(), want);
          assert(diff < tol, `d${name} differs from the float64 reference by ${diff}`);
        }
        // Central finite differences in float32 (h = 1e-2; the error is O(h²) ≈ 1e-4 plus rounding).
        const h = 1e-2;
        for (const [name, param, grad] of [["x", x, dx], ["A", a, da], ["B", b, db]] as const) {
          const base = param.dataSync();
          const analytic = grad!.dataSync();
          const numeric = new Float32Array(base.length);
          for (let i = 0; i < base.length; i++) {
            const plus = Float32Array.from(base), minus = Float32Array.from(base);
            plus[i]! += h;
            minus[i]! -= h;
            const f = (v: Float32Array) => {
              const t = tf.tensor(v, param.shape);
              const args = name === "x" ? [t, a, b] : name === "A" ? [x, t, b] : [x, a, t];
              return loss(args[0]!, args[1]!, args[2]!).dataSync()[0]!;
            };
            numeric[i] = (f(plus) - f(minus)) / (2 * h);
          }
          const diff = maxRelDiff(analytic, numeric);
          assert(diff < 2e-3, `d${name}: analytic vs finite differences differ by ${diff}`);
        }
      });
    });
    tf.dispose([x, w, bias, a, b, g, mask]);
  },
);

testOnBackends("linearMatMul gives tf.matMul's values and gradients", async () => {
  const a = tf.tensor2d(values(11, 6 * 9), [6, 9]);
  const b = tf.tensor2d(values(12, 9 * 4), [9, 4]);
  const g = tf.tensor2d(values(13, 6 * 4), [6, 4]);
  await assertNoLeak("linearMatMul gradients", () => {
    tf.tidy(() => {
      const mine = tf.grads((x, y) =>
        tf.sum(tf.mul(g, tf.tanh(linearMatMul(x as tf.Tensor2D, y as tf.Tensor2D))))
      )([a, b]);
      const theirs = tf.grads((x, y) =>
        tf.sum(tf.mul(g, tf.tanh(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D))))
      )([a, b]);
      assert(maxRelDiff(linearMatMul(a, b).dataSync(), tf.matMul(a, b).dataSync()) < 1e-6);
      for (let i = 0; i < 2; i++) {
        const diff = maxRelDiff(mine[i]!.dataSync(), theirs[i]!.dataSync());
        assert(diff < 1e-5, `gradient ${i} differs by ${diff}`);
      }
    });
  });
  tf.dispose([a, b, g]);
});

testOnBackends(
  "a frozen kernel gets no weight-gradient product; tf.variableGrads reaches only A and B",
  async () => {
    const x = tf.tensor2d(values(21, 8 * 6), [8, 6]);
    const base = { kernel: tf.tensor2d(values(22, 6 * 5), [6, 5]) };
    const a = tf.variable(tf.tensor2d(values(23, 6 * 2), [6, 2]));
    const b = tf.variable(tf.tensor2d(values(24, 2 * 5), [2, 5]));
    const f = () =>
      tf.sum(
        tf.square(
          loraLinear(
            x,
            base,
            { a: a as tf.Variable<tf.Rank.R2>, b: b as tf.Variable<tf.Rank.R2> },
            { scale: 2 },
            { training: false },
          ),
        ),
      ) as tf.Scalar;
    // Matrix products: linearMatMul's kernel, and the weight gradients' xᵀ·dy (loradrop's batched
    // kernel on wasm, tfjs's BatchMatMul elsewhere).
    const products = [
      LINEAR_MAT_MUL_KERNEL,
      BATCH_MAT_MUL_KERNEL,
      MAT_MUL_TRANSPOSED_B_KERNEL,
      tf.BatchMatMul,
    ];
    const count = (kernels: { name: string }[]) =>
      kernels.filter((k) => products.includes(k.name)).length;
    // Forward: x·W, x·A, (xA)·B = 3 products. Backward for A and B: d(low)=dy·Bᵀ, dB=lowᵀ·dy,
    // dA=xᵀ·d(low) = 3 more. A weight gradient for W would be a 7th; dx would be more still.
    const profile = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(f);
      assertEquals(Object.keys(grads).sort(), [a.name, b.name].sort());
      tf.dispose([value, ...Object.values(grads)]);
    });
    assertEquals(count(profile.kernels), 6);
    // Differentiating W alone: the 3 forward products and dW = xᵀ·dy only (A, B, x not asked for).
    const profileW = await tf.profile(() => {
      const [gw] = tf.grads((w) =>
        tf.sum(
          tf.square(
            loraLinear(
              x,
              { kernel: w as tf.Tensor2D },
              { a: a as tf.Variable<tf.Rank.R2>, b: b as tf.Variable<tf.Rank.R2> },
              { scale: 2 },
              { training: false },
            ),
          ),
        )
      )([base.kernel]);
      tf.dispose(gw);
    });
    assertEquals(count(profileW.kernels), 3 + 1);
    tf.dispose([x, base.kernel, a, b]);
  },
);
