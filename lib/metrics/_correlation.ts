// Pearson's r on checked arrays, shared by pearson and spearman.
import { isConstant } from "./_validate.ts";

/** Pearson's r of two checked, equal-length arrays; `predictions` may be constant (→ 0). */
export function pearsonOf(metric: string, p: readonly number[], r: readonly number[]): number {
  if (isConstant(r)) {
    throw new RangeError(
      `Cannot compute ${metric}: references are constant (all ${
        r[0]
      }), so the correlation is undefined`,
    );
  }
  if (isConstant(p)) return 0;
  const n = p.length;
  let mp = 0, mr = 0;
  for (let i = 0; i < n; i++) {
    mp += p[i]!;
    mr += r[i]!;
  }
  mp /= n;
  mr /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = p[i]! - mp, dy = r[i]! - mr;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const denominator = Math.sqrt(sxx) * Math.sqrt(syy);
  // Nearly constant inputs whose deviations underflow behave as constant predictions.
  if (denominator === 0) return 0;
  return Math.max(-1, Math.min(1, sxy / denominator));
}
