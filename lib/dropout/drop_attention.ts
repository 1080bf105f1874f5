/**
 * DropAttention (Lin et al., 2019) as studied in the paper: dropout on the attention weights after
 * the softmax with normalised rescaling, `w' = w̄ / NoGrad(Σ w̄)` (paper Eqs. 1-2).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor4D } from "../types.ts";
import type { DropContext, DropOptions } from "./context.ts";
import { sampleAttentionMask } from "./masks.ts";
import type { ResolvedDrop } from "./spec.ts";
import { activeRate, asFloatMask, checkMaskShape, checkTokenShape } from "./_helpers.ts";

const RULES = {
  name: "dropAttention",
  positions: ["attention-weights"],
  patterns: ["element", "column", "span"],
} as const;

/**
 * Applies DropAttention to attention weights `(B, H, Tq, Tk)` (rows summing to 1).
 *
 * `w̄ = w · keep`, then `w' = w̄ / NoGrad(Σ_k w̄)` when `drop.noGrad` is not false (the paper's
 * default), or `w̄ / Σ_k w̄` with the normaliser's gradient (then as a function it equals DropKey).
 * A row whose kept weights sum to 0 (every visible key dropped) is left undropped. With `drop`
 * undefined, rate 0 or `ctx.training` false it returns `weights` itself.
 *
 * @param weights The attention weights `(B, H, Tq, Tk)`.
 * @param drop The resolved drop at `attention-weights` (pattern `element`, `column` or `span`).
 * @param ctx The training flag and the random key.
 * @param options An explicit keep-mask, or the token mask spans need.
 * @returns The rescaled weights, same shape; each changed row sums to 1 again.
 * @example
 * ```ts
 * import { dropAttention } from "./drop_attention.ts";
 * import { randomKey } from "../random.ts";
 * import { initBackend } from "../backend.ts";
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
  const rate = activeRate(drop, ctx, options, RULES);
  if (rate === 0) return weights;
  if (weights.rank !== 4) {
    throw new RangeError(
      `Cannot apply dropAttention: weights must be (B, H, Tq, Tk), received shape [${weights.shape}]`,
    );
  }
  const [batch, heads, tq, tk] = weights.shape;
  checkTokenShape(options.tokenMask, batch, tk, "tokenMask", "dropAttention");
  if (options.mask !== undefined) checkMaskShape(options.mask, weights.shape, "dropAttention");
  const noGrad = drop!.noGrad !== false;
  return tf.tidy(() => {
    const keep = options.mask !== undefined ? asFloatMask(options.mask) : sampleAttentionMask(
      ctx.key!,
      [batch, heads, tq, tk],
      drop!.pattern,
      rate,
      options.tokenMask,
    );
    // The gradient is written out (it is checked against finite differences and a float64
    // reference in the tests): autodiff would also differentiate the row guard and, with NoGrad,
    // needs a stop-gradient node.
    const apply = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const w = args[0] as tf.Tensor;
      const save = args[1] as tf.GradSaveFunc;
      const kept = tf.mul(w, keep); // (B, H, Tq, Tk)
      const total = tf.sum(kept, -1, true); // (B, H, Tq, 1)
      // 1 where the kept weights sum to 0 (every visible key dropped): such rows keep their
      // weights. (Float arithmetic: tf.where and boolean ops are ~100x slower on wasm.)
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
    return apply(weights) as Tensor4D;
  });
}
