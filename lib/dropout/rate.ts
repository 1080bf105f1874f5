/**
 * The one check every dropout rate passes: a finite number in [0, 1).
 *
 * @module
 */

/**
 * Checks a dropout rate.
 *
 * @param rate The candidate rate.
 * @param what The caller, for the message (e.g. "apply dropKey").
 * @returns The rate.
 * @example
 * ```ts
 * import { checkRate } from "@loradrop/core";
 * import { assertThrows } from "@std/assert";
 * assertThrows(() => checkRate(1.5, "apply dropKey"), RangeError, "received 1.5");
 * ```
 */
export function checkRate(rate: number, what: string): number {
  if (typeof rate !== "number" || !Number.isFinite(rate) || rate < 0 || rate >= 1) {
    throw new RangeError(`Cannot ${what}: rate must be in [0, 1), received ${rate}`);
  }
  return rate;
}
