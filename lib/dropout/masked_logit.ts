/**
 * The one value a logit is pushed to when it must not be attended: DropKey's dropped keys and a
 * model's padding and causal bias share it, so a row whose keys are all dropped or masked is
 * recognised by one rule (`row max < MASKED_LOGIT / 2`).
 *
 * @module
 */

/**
 * The value added to a masked attention logit. Finite, so that a row whose keys are all masked
 * stays finite (no NaN after the softmax).
 *
 * @example
 * ```ts
 * import { MASKED_LOGIT } from "@loradrop/core";
 * import { assert } from "@std/assert";
 * assert(Number.isFinite(MASKED_LOGIT) && Math.exp(MASKED_LOGIT) === 0);
 * ```
 */
export const MASKED_LOGIT: number = -1e9;
