// Shared input checks and n-gram counting for the NLG metrics.

/** Checks a (hypotheses, references) corpus: equal lengths, non-empty, strings, ≥ 1 ref each. */
export function checkCorpus(
  metric: string,
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
): void {
  if (!Array.isArray(hypotheses)) {
    throw new TypeError(
      `Cannot compute ${metric}: hypotheses must be an array of strings, received ${
        String(hypotheses)
      }`,
    );
  }
  if (!Array.isArray(references)) {
    throw new TypeError(
      `Cannot compute ${metric}: references must be an array of string arrays, received ${
        String(references)
      }`,
    );
  }
  if (hypotheses.length !== references.length) {
    throw new RangeError(
      `Cannot compute ${metric}: hypotheses and references must have equal lengths, received ${hypotheses.length} and ${references.length}`,
    );
  }
  if (hypotheses.length === 0) {
    throw new RangeError(
      `Cannot compute ${metric}: the corpus must not be empty, received 0 hypotheses`,
    );
  }
  for (let i = 0; i < hypotheses.length; i++) {
    if (typeof hypotheses[i] !== "string") {
      throw new TypeError(
        `Cannot compute ${metric}: hypothesis ${i} must be a string, received ${
          String(hypotheses[i])
        }`,
      );
    }
    const refs = references[i];
    if (!Array.isArray(refs) || refs.length === 0) {
      throw new RangeError(
        `Cannot compute ${metric}: hypothesis ${i} needs a non-empty array of references, received ${
          String(refs)
        }`,
      );
    }
    for (let j = 0; j < refs.length; j++) {
      if (typeof refs[j] !== "string") {
        throw new TypeError(
          `Cannot compute ${metric}: reference ${j} of hypothesis ${i} must be a string, received ${
            String(refs[j])
          }`,
        );
      }
    }
  }
}

/** Checks that an option is a number within [min, max] (or an integer when `integer`). */
export function checkNumberOption(
  metric: string,
  name: string,
  value: number,
  min: number,
  max: number,
  integer = false,
): void {
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < min || value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new RangeError(
      `Cannot compute ${metric}: ${name} must be ${
        integer ? "an integer" : "a number"
      } in [${min}, ${max}], received ${String(value)}`,
    );
  }
}

const SEP = "\u0001";

/** The key of an n-gram (tokens joined by a control character that tokens never contain). */
export function ngramKey(tokens: readonly string[], start: number, n: number): string {
  return tokens.slice(start, start + n).join(SEP);
}

/** The length of an n-gram key (number of tokens). */
export function ngramOrder(key: string): number {
  return key.split(SEP).length;
}

/** The (n−1)-gram prefix of an n-gram key ("" for a unigram). */
export function ngramPrefix(key: string): string {
  const at = key.lastIndexOf(SEP);
  return at < 0 ? "" : key.slice(0, at);
}

/** Counts the n-grams of exactly order `n`. */
export function countNgrams(tokens: readonly string[], n: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const k = ngramKey(tokens, i, n);
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

/** For each n-gram, its largest count in any one of the token lists (BLEU's clipping counts). */
export function maxNgramCounts(
  lists: readonly (readonly string[])[],
  n: number,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const tokens of lists) {
    for (const [k, c] of countNgrams(tokens, n)) out.set(k, Math.max(out.get(k) ?? 0, c));
  }
  return out;
}

/** Σ min(count, clip[ngram]) over the n-grams of `counts`. */
export function clippedMatches(counts: Map<string, number>, clip: Map<string, number>): number {
  let m = 0;
  for (const [k, c] of counts) m += Math.min(c, clip.get(k) ?? 0);
  return m;
}
