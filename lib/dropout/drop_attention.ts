/**
 * DropAttention (Lin et al., 2019) as studied in the paper: dropout on the attention weights after
 * the softmax with normalised rescaling, `w' = w̄ / NoGrad(Σ w̄)` (paper Eqs. 1-2); or, for
 * comparison, with the plain `1/(1−p)` rescaling or none.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor4D } from "../types.ts";
import type { DropContext, DropOptions } from "./context.ts";
import type { ResolvedDrop } from "./spec.ts";
import { droppedLogits } from "./_helpers.ts";
import { type AttentionOperator, openAttentionDrop } from "./_attention_drop.ts";

const OPERATOR: AttentionOperator = {
  name: "dropAttention",
  position: "attention-weights",
  input: "weights",
};

/**
 * Applies DropAttention to attention weights `(B, H, Tq, Tk)` (rows summing to 1).
 *
 * `w̄ = w · keep`, then by `drop.rescale`:
 * - `normalised` (default, the paper): `w' = w̄ / NoGrad(Σ_k w̄)` when `drop.noGrad` is not false,
 *   or `w̄ / Σ_k w̄` with the normaliser's gradient (then as a function it equals DropKey). A row
 *   whose visible keys are all dropped is left undropped, as DropKey leaves it. Which keys are
 *   visible is read from `options.logits` when given (logit above `DROP_KEY_NEG / 2`: DropKey's
 *   rule, exact at any logits); from the weights alone a key is visible when its weight is above 0,
 *   so a row whose kept weights all underflowed to 0 in float32 is taken as fully dropped. Models
 *   pass the logits.
 * - `inverse-keep`: `w' = w̄ / (1 − p)` (standard dropout; rows no longer sum to 1).
 * - `none`: `w' = w̄`.
 *
 * With `drop` undefined, rate 0 or `ctx.training` false it returns `weights` itself.
 *
 * @param weights The attention weights `(B, H, Tq, Tk)`.
 * @param drop The resolved drop at `attention-weights` (`element`, `column`, `span` or a registered
 *   pattern of that position).
 * @param ctx The training flag and the random key.
 * @param options An explicit keep-mask, the token mask spans need, the logits of the weights.
 * @returns The rescaled weights, same shape.
 * @example
 * ```ts
 * import { dropAttention } from "@loradrop/core";
 * import { randomKey } from "@loradrop/core";
 * import { initBackend } from "@loradrop/core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { assertAlmostEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const w = tf.softmax(tf.randomNormal([1, 2, 3, 5])) as tf.Tensor4D;
 * const drop = { position: "attention-weights", pattern: "element", rate: 0.3 } as const;
 * const out = dropAttention(w, drop, { training: true, key: randomKey(4) });
 * const sums = await out.sum(-1).data();
 * for (const s of sums) assertAlmostEquals(s, 1, 1e-5);
 * tf.dispose([w, out]);
 * ```
 */
export function dropAttention(
  weights: Tensor4D,
  drop: ResolvedDrop | undefined,
  ctx: DropContext,
  options: DropOptions = {},
): Tensor4D {
  const active = openAttentionDrop(weights, drop, ctx, options, OPERATOR);
  if (active === undefined) return weights;
  const rate = active.rate;
  const logits = options.logits;
  if (
    logits !== undefined &&
    (logits.rank !== 4 || logits.shape.some((d, i) => d !== weights.shape[i]))
  ) {
    throw new RangeError(
      `Cannot apply dropAttention: options.logits must have the weights' shape [${weights.shape}], received [${logits.shape}]`,
    );
  }
  const rescale = active.drop.rescale ?? "normalised";
  const noGrad = active.drop.noGrad !== false;
  return tf.tidy(() => {
    const keep = active.keep();
    if (rescale === "inverse-keep") return tf.mul(weights, tf.div(keep, 1 - rate)) as Tensor4D;
    if (rescale === "none") return tf.mul(weights, keep) as Tensor4D;
    return (logits === undefined
      ? normalisedFromWeights(weights, keep, noGrad)
      : normalisedFromLogits(weights, logits, keep, noGrad)) as Tensor4D;
  });
}

/**
 * Normalised rescaling from the weights alone; a row whose kept weights sum to 0 is left as is.
 * The gradient is written out (it is checked against finite differences and a float64 reference in
 * the tests): autodiff would also differentiate the row guard and, with NoGrad, needs a
 * stop-gradient node.
 */
function normalisedFromWeights(weights: Tensor, keep: Tensor, noGrad: boolean): Tensor {
  const apply = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const w = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const kept = tf.mul(w, keep); // (B, H, Tq, Tk)
    const total = tf.sum(kept, -1, true); // (B, H, Tq, 1)
    // 1 where the kept weights sum to 0: such rows keep their weights. (Float arithmetic:
    // tf.where and boolean ops are ~100x slower on wasm.)
    const allDropped = tf.sub(1, tf.step(total)); // (B, H, Tq, 1): total >= 0
    const inverse = tf.div(tf.sub(1, allDropped), tf.add(total, allDropped)); // 1/Σw̄ or 0
    const value = tf.add(tf.mul(kept, inverse), tf.mul(w, allDropped));
    save(noGrad ? [keep, inverse, allDropped] : [keep, inverse, allDropped, value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [k, inv, all, out] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor?];
        // NoGrad: w' = w·keep·c with c constant. Otherwise w' = w̄/Σw̄ and
        // ∂L/∂w_i = keep_i·(dy_i − Σ_j dy_j·w'_j)/Σw̄. Fully dropped rows: ∂L/∂w = dy.
        const inner = out === undefined ? dy : tf.sub(dy, tf.sum(tf.mul(dy, out), -1, true));
        return tf.add(tf.mul(inner, tf.mul(k, inv)), tf.mul(dy, all));
      },
    };
  });
  return apply(weights);
}

/**
 * Normalised rescaling computed from the logits `g` of the weights: `w' = softmax(g + dropBias)`,
 * with DropKey's fully-dropped-row rule, which equals `w̄ / Σw̄` (paper Eq. 13) without dividing
 * underflowed sums. The gradient goes to the logits: with NoGrad
 * `∂L/∂g_j = dy_j·w'_j − w_j·Σ_u dy_u·w'_u` (`w = softmax(g)`, paper Eqs. 8-9), without it
 * `∂L/∂g_j = w'_j·(dy_j − Σ_u dy_u·w'_u)` (DropKey's); the weights input gets a zero gradient.
 */
function normalisedFromLogits(
  weights: Tensor,
  logits: Tensor,
  keep: Tensor,
  noGrad: boolean,
): Tensor {
  const apply = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const w = args[0] as tf.Tensor;
    const g = args[1] as tf.Tensor;
    const save = args[2] as tf.GradSaveFunc;
    const value = tf.softmax(droppedLogits(g, keep)); // (B, H, Tq, Tk)
    save(noGrad ? [value, w] : [value]); // w = softmax(g), as options.logits requires
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [out, full] = saved as [tf.Tensor, tf.Tensor?];
        const dyOut = tf.mul(dy, out); // (B, H, Tq, Tk)
        const rowSum = tf.sum(dyOut, -1, true); // (B, H, Tq, 1)
        const dg = full === undefined
          ? tf.sub(dyOut, tf.mul(out, rowSum))
          : tf.sub(dyOut, tf.mul(full, rowSum));
        return [tf.zerosLike(w), dg];
      },
    };
  });
  return apply(weights, logits);
}
