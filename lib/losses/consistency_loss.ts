/**
 * The dispatcher from a plan's {@linkcode ConsistencySpec} to the loss of its kind's row in the
 * compensation table (`compensations.ts`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ConsistencySpec } from "../dropout/spec.ts";
import type { Tensor } from "../types.ts";
import { compensationFor } from "./compensations.ts";

/** Options of {@linkcode consistencyLoss}. */
export interface ConsistencyLossOptions {
  /** `(B, T)` for sequence outputs: the mean runs over the tokens the mask counts. */
  readonly mask?: Tensor;
}

/**
 * The weighted consistency term `weight · L(out1, out2)` to add to the task loss, `L` being the
 * loss of the kind's row in the compensation table; the built-in rows:
 * - `kl`: {@linkcode symmetricKl} of two dropout passes;
 * - `js`: {@linkcode jsToInference}, `out2` being the inference (dropout-off) pass;
 * - `js-hiddencut`: {@linkcode jsHiddenCut} of two dropout passes;
 * - `mse`: {@linkcode mseConsistency} (regression outputs or hidden states).
 *
 * `branches: "one"` makes `out2` a constant target (its pass is never back-propagated);
 * `"both"` lets gradients flow through both.
 *
 * @param spec The plan's consistency spec (kind, weight α, branches).
 * @param out1 The back-propagated pass's logits `(..., C)` (or outputs, for `mse`).
 * @param out2 The second pass (the inference pass for `js`), same shape.
 * @param options A mask.
 * @returns A scalar: α times the loss (already weighted; do not multiply by α again).
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { consistencyLoss } from "@loradrop/core";
 * import { symmetricKl } from "@loradrop/core";
 * import { assertAlmostEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const a = tf.tensor2d([[1, 0]]), b = tf.tensor2d([[0, 1]]);
 * const term = consistencyLoss({ kind: "kl", weight: 0.5, branches: "one" }, a, b);
 * const kl = symmetricKl(a, b, { stopGradientSecond: true });
 * assertAlmostEquals(term.dataSync()[0]!, 0.5 * kl.dataSync()[0]!, 1e-7);
 * tf.dispose([a, b, term, kl]);
 * ```
 */
export function consistencyLoss(
  spec: ConsistencySpec,
  out1: Tensor,
  out2: Tensor,
  options: ConsistencyLossOptions = {},
): Tensor {
  if (spec === null || typeof spec !== "object") {
    throw new TypeError(
      `Cannot compute consistencyLoss: expected a spec { kind, weight, branches }, received ${
        String(spec)
      }`,
    );
  }
  if (typeof spec.weight !== "number" || !Number.isFinite(spec.weight) || spec.weight < 0) {
    throw new RangeError(
      `Cannot compute consistencyLoss: weight must be a finite number >= 0, received ${spec.weight}`,
    );
  }
  if (spec.branches !== "one" && spec.branches !== "both") {
    throw new TypeError(
      `Cannot compute consistencyLoss: branches must be "one" or "both", received "${spec.branches}"`,
    );
  }
  const row = compensationFor(spec.kind, "compute consistencyLoss", "kind");
  const stopGradientSecond = spec.branches === "one";
  const mask = options.mask === undefined ? {} : { mask: options.mask };
  return tf.tidy(() => tf.mul(row.loss(out1, out2, { stopGradientSecond, ...mask }), spec.weight));
}
