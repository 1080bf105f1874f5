/**
 * The call-time context of every dropout operator: the training flag and the random key, plus the
 * optional per-call inputs (an explicit mask, the padding mask, the attention each token receives).
 *
 * @module
 */
import type { RandomKey } from "../random.ts";
import type { Tensor, Tensor2D, Tensor4D } from "../types.ts";

/**
 * Whether a forward pass trains, and the key its masks are drawn from.
 *
 * Operators are exact identities when `training` is false. In training, an operator with a rate
 * above 0 draws its mask from `key` (the same key always gives the same mask); a model derives one
 * key per layer and position with `foldIn(foldIn(key, layer), positionIndex)`.
 *
 * @example
 * ```ts
 * import type { DropContext } from "@loradrop/core";
 * import { randomKey } from "@loradrop/core";
 * import { assert } from "@std/assert";
 * const train: DropContext = { training: true, key: randomKey(0) };
 * const infer: DropContext = { training: false };
 * assert(train.training && !infer.training);
 * ```
 */
export interface DropContext {
  /** True in a training pass; false makes every operator an identity. */
  readonly training: boolean;
  /** The key the masks are drawn from; required in training unless `DropOptions.mask` is given. */
  readonly key?: RandomKey;
}

/**
 * Optional per-call inputs of the dropout operators.
 *
 * @example
 * ```ts
 * import type { DropOptions } from "@loradrop/core";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const options: DropOptions = { tokenMask: tf.tensor2d([[1, 1, 1, 0]]) };
 * assertEquals(options.tokenMask?.shape, [1, 4]);
 * tf.dispose(options.tokenMask);
 * ```
 */
export interface DropOptions {
  /**
   * An explicit keep-mask (1 keep, 0 drop) that replaces the sampled one. Its shape must broadcast
   * to the pattern's mask shape (`(B, H, Tq, Tk)` for attention `element`, `(B, H, 1, Tk)` for
   * `column` and `span`; `(B, T, D)`, `(B, 1, D)` for `column-feature`, `(B, T, 1)` for
   * `column-token` and `span` on representations), else a RangeError. The rescaling still follows
   * the drop spec: a `1/(1−p)` factor uses the spec's rate, not the mask's kept fraction. A mask
   * needs an active drop (a spec with rate > 0: giving one with no drop or rate 0 is an error); in
   * inference the operator is the identity and the mask is not used.
   */
  readonly mask?: Tensor;
  /**
   * `dropAttention` only: the logits `(B, H, Tq, Tk)` the weights are the softmax of (after the
   * padding / causal bias). With them DropAttention's normalised rescaling is computed from the
   * logits: a row is left undropped exactly when the mask drops every visible key (a key whose
   * logit is above `DROP_KEY_NEG / 2`, DropKey's rule), and the kept weights are renormalised in log
   * space, so the output equals DropKey's even where the kept weights underflow to 0 in float32.
   * Gradients then flow into `logits` (the `weights` input gets none).
   */
  readonly logits?: Tensor4D;
  /** `(B, T)`: 1 for a real token, 0 for padding. Span lengths and positions use the real tokens. */
  readonly tokenMask?: Tensor2D;
  /**
   * `(B, T)`: the attention each token receives (HiddenCut's score: attention weights summed over
   * queries, averaged over heads); needed by spans whose start is `attention-top40`.
   */
  readonly attentionReceived?: Tensor2D;
}
