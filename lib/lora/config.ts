/**
 * LoRA's hyper-parameters and the scale of the low-rank update: `α/r` (Hu et al.) or, with
 * rank-stabilised LoRA, `α/√r` (PEFT's `use_rslora`).
 *
 * @module
 */

/** The rank and scalar of a LoRA adapter. */
export interface LoraConfig {
  /** The rank r, a positive integer. */
  readonly r: number;
  /** The scalar α, a finite number > 0. */
  readonly alpha: number;
  /** Rank-stabilised scaling `α/√r` instead of `α/r`. */
  readonly rsLora?: boolean;
}

/**
 * Checks a LoRA config: r a positive integer, α finite and > 0.
 *
 * @param config The config to check.
 * @returns The same config.
 * @example
 * ```ts
 * import { validateLoraConfig } from "@loradrop/core";
 * import { assertThrows } from "@std/assert";
 * validateLoraConfig({ r: 8, alpha: 16 });
 * assertThrows(() => validateLoraConfig({ r: 0, alpha: 16 }), RangeError, "received 0");
 * ```
 */
export function validateLoraConfig(config: LoraConfig): LoraConfig {
  if (config === null || typeof config !== "object") {
    throw new TypeError(
      `Cannot use LoRA config: expected an object { r, alpha }, received ${String(config)}`,
    );
  }
  if (!Number.isInteger(config.r) || config.r < 1) {
    throw new RangeError(
      `Cannot use LoRA config: r must be a positive integer, received ${config.r}`,
    );
  }
  if (typeof config.alpha !== "number" || !Number.isFinite(config.alpha) || config.alpha <= 0) {
    throw new RangeError(
      `Cannot use LoRA config: alpha must be a finite number > 0, received ${config.alpha}`,
    );
  }
  if (config.rsLora !== undefined && typeof config.rsLora !== "boolean") {
    throw new TypeError(
      `Cannot use LoRA config: rsLora must be a boolean, received ${String(config.rsLora)}`,
    );
  }
  return config;
}

/**
 * The scale of the LoRA update `scale · x·A·B`: `α/r`, or `α/√r` with `rsLora`.
 *
 * @param config The validated config.
 * @returns The scale.
 * @example
 * ```ts
 * import { loraScale } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * assertEquals(loraScale({ r: 8, alpha: 16 }), 2);
 * assertEquals(loraScale({ r: 4, alpha: 16, rsLora: true }), 8);
 * ```
 */
export function loraScale(config: LoraConfig): number {
  validateLoraConfig(config);
  return config.rsLora === true ? config.alpha / Math.sqrt(config.r) : config.alpha / config.r;
}
