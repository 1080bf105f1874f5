// Shared input checks for the NLU metrics: equal lengths, non-empty, finite values.

/** Numbers the metrics accept: a plain array or a typed array. */
export type Numbers = ArrayLike<number>;

/**
 * Checks a (predictions, references) pair and returns them as plain arrays.
 * Throws a TypeError for non-arrays, a RangeError for empty or unequal inputs or non-finite values.
 */
export function checkPair(
  metric: string,
  predictions: Numbers,
  references: Numbers,
): [number[], number[]] {
  for (const [what, xs] of [["predictions", predictions], ["references", references]] as const) {
    if (xs === null || typeof xs !== "object" || typeof xs.length !== "number") {
      throw new TypeError(
        `Cannot compute ${metric}: ${what} must be an array of numbers, received ${String(xs)}`,
      );
    }
  }
  if (predictions.length !== references.length) {
    throw new RangeError(
      `Cannot compute ${metric}: predictions and references must have equal lengths, received ${predictions.length} and ${references.length}`,
    );
  }
  if (predictions.length === 0) {
    throw new RangeError(`Cannot compute ${metric}: inputs must not be empty, received length 0`);
  }
  const p = Array.from(predictions);
  const r = Array.from(references);
  for (const [what, xs] of [["predictions", p], ["references", r]] as const) {
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i];
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new RangeError(
          `Cannot compute ${metric}: ${what} must be finite numbers, received ${
            String(v)
          } at index ${i}`,
        );
      }
    }
  }
  return [p, r];
}

/** Checks that every value is an integer class index (≥ 0). */
export function checkClasses(metric: string, what: string, xs: readonly number[]): void {
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    if (!Number.isInteger(v) || v < 0) {
      throw new RangeError(
        `Cannot compute ${metric}: ${what} must be non-negative integer class indices, received ${v} at index ${i}`,
      );
    }
  }
}

/** Checks that every value is 0 or 1. */
export function checkBinary(metric: string, what: string, xs: readonly number[]): void {
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    if (v !== 0 && v !== 1) {
      throw new RangeError(
        `Cannot compute ${metric}: ${what} must be binary labels 0 or 1, received ${v} at index ${i}`,
      );
    }
  }
}

/** True when every value equals the first. */
export function isConstant(xs: readonly number[]): boolean {
  return xs.every((v) => v === xs[0]);
}
