/**
 * TER, translation edit rate with shifts (Snover et al. 2006), as sacrebleu's `TER` (tercom rules).
 *
 * @module
 */
import { checkCorpus } from "./_corpus.ts";
import { type NlgTokenize, resolveTokenizer } from "./tokenize.ts";

/** Options of {@linkcode corpusTer}. */
export interface TerOptions {
  /** Tokeniser, `"whitespace"` by default (sacrebleu's TER without `normalized`). */
  readonly tokenize?: NlgTokenize;
  /** Lower-case first; `true` by default (sacrebleu's `case_sensitive=False`). */
  readonly lowercase?: boolean;
}

/** The result of {@linkcode corpusTer}. */
export interface TerResult {
  /** 100 × total edits / total average reference length (sacrebleu's scale; WebNLG tables print /100). */
  readonly score: number;
  /** Σ over segments of the fewest edits (shifts + insertions + deletions + substitutions) to any reference. */
  readonly edits: number;
  /** Σ over segments of the average reference length. */
  readonly referenceLength: number;
}

// tercom's limits, as in sacrebleu.
const MAX_SHIFT_SIZE = 10;
const MAX_SHIFT_DIST = 50;
const BEAM_WIDTH = 25;
const MAX_SHIFT_CANDIDATES = 1000;

// Edit operations of the hypothesis→reference matrix: n(o change), s(ubstitute),
// i(nsert a reference word), d(elete a hypothesis word), x (unreached cell).
type Op = "n" | "s" | "i" | "d" | "x";

const OPS: readonly Op[] = ["n", "s", "i", "d", "x"];
const N = 0, S = 1, I = 2, D = 3, X = 4;

/** Levenshtein distance restricted to a beam around the length-scaled diagonal, with its trace. */
// (sacrebleu also caches rows by hypothesis prefix; in JS recomputing them was faster.)
function beamEditDistance(hyp: readonly string[], ref: readonly string[]): [number, Op[]] {
  const nh = hyp.length;
  const nr = ref.length;
  const costs: Float64Array[] = [Float64Array.from({ length: nr + 1 }, (_, j) => j)];
  const ops: Uint8Array[] = [new Uint8Array(nr + 1).fill(I)];
  const ratio = nh > 0 ? nr / nh : 1;
  const beam = BEAM_WIDTH < ratio / 2 ? Math.ceil(ratio / 2 + BEAM_WIDTH) : BEAM_WIDTH;
  for (let i = 1; i <= nh; i++) {
    const c = new Float64Array(nr + 1).fill(Infinity);
    const o = new Uint8Array(nr + 1).fill(X);
    const prev = costs[i - 1]!;
    const diag = Math.floor(i * ratio);
    const lo = Math.max(0, diag - beam);
    const hi = i === nh ? nr + 1 : Math.min(nr + 1, diag + beam);
    const word = hyp[i - 1];
    for (let j = lo; j < hi; j++) {
      if (j === 0) {
        c[0] = prev[0]! + 1;
        o[0] = D;
        continue;
      }
      // Candidates in tercom's order (match/substitute, delete, insert); a later one wins only
      // when strictly cheaper.
      const same = word === ref[j - 1];
      let best = prev[j - 1]! + (same ? 0 : 1);
      let bestOp = same ? N : S;
      if (prev[j]! + 1 < best) {
        best = prev[j]! + 1;
        bestOp = D;
      }
      if (c[j - 1]! + 1 < best) {
        best = c[j - 1]! + 1;
        bestOp = I;
      }
      c[j] = best;
      o[j] = bestOp;
    }
    costs.push(c);
    ops.push(o);
  }
  const trace: Op[] = [];
  let i = nh;
  let j = nr;
  while (i > 0 || j > 0) {
    const o = ops[i]![j]!;
    trace.push(OPS[o]!);
    if (o === N || o === S) {
      i--;
      j--;
    } else if (o === I) j--;
    else if (o === D) i--;
    else {
      throw new Error(`Cannot compute TER: the edit trace reached an unfilled cell (${i}, ${j})`);
    }
  }
  trace.reverse();
  return [costs[nh]![nr]!, trace];
}

/** Moves words[start, start+length) to `target` (tercom's convention for targets inside the span). */
function performShift(
  words: readonly string[],
  start: number,
  length: number,
  target: number,
): string[] {
  const span = words.slice(start, start + length);
  if (target < start) {
    return [
      ...words.slice(0, target),
      ...span,
      ...words.slice(target, start),
      ...words.slice(start + length),
    ];
  }
  if (target > start + length) {
    return [
      ...words.slice(0, start),
      ...words.slice(start + length, target),
      ...span,
      ...words.slice(target),
    ];
  }
  return [
    ...words.slice(0, start),
    ...words.slice(start + length, length + target),
    ...span,
    ...words.slice(length + target),
  ];
}

/** The best single shift (largest reduction of the edit distance), tercom's tie-breaking. */
function bestShift(
  hyp: readonly string[],
  ref: readonly string[],
  checked: number,
): [number, readonly string[], number] {
  const [pre, inv] = beamEditDistance(hyp, ref);
  // Alignment from the reference's point of view (insertions and deletions flipped).
  const align = new Map<number, number>();
  const hypErr: number[] = [];
  const refErr: number[] = [];
  let ph = -1;
  let pr = -1;
  for (const o of inv) {
    if (o === "n" || o === "s") {
      ph++;
      pr++;
      align.set(pr, ph);
      hypErr.push(o === "s" ? 1 : 0);
      refErr.push(o === "s" ? 1 : 0);
    } else if (o === "d") { // flipped: an extra hypothesis word
      ph++;
      hypErr.push(1);
    } else { // flipped: a reference word missing from the hypothesis
      pr++;
      align.set(pr, ph);
      refErr.push(1);
    }
  }
  // Prefix sums: errors in [a, a + n) of either side in O(1).
  const prefix = (xs: number[]) => {
    const out = new Int32Array(xs.length + 1);
    xs.forEach((x, k) => out[k + 1] = out[k]! + x);
    return out;
  };
  const hypCum = prefix(hypErr);
  const refCum = prefix(refErr);
  const sum = (cum: Int32Array, a: number, n: number) =>
    cum[Math.min(a + n, cum.length - 1)]! - cum[Math.min(a, cum.length - 1)]!;
  let best:
    | { score: number; length: number; start: number; idx: number; words: string[] }
    | undefined;
  const better = (a: NonNullable<typeof best>, b: NonNullable<typeof best>) =>
    a.score !== b.score
      ? a.score > b.score
      : a.length !== b.length
      ? a.length > b.length
      : a.start !== b.start
      ? a.start < b.start
      : a.idx < b.idx;
  outer: for (let sh = 0; sh < hyp.length; sh++) {
    for (let sr = 0; sr < ref.length; sr++) {
      if (Math.abs(sr - sh) > MAX_SHIFT_DIST) continue;
      for (let length = 1; length <= MAX_SHIFT_SIZE; length++) {
        if (sh + length > hyp.length || sr + length > ref.length) break;
        if (hyp[sh + length - 1] !== ref[sr + length - 1]) break;
        // A matching pair (sh, sr, length).
        if (sum(hypCum, sh, length) === 0) continue;
        if (sum(refCum, sr, length) === 0) continue;
        const a = align.get(sr)!;
        if (sh <= a && a < sh + length) continue;
        let prevIdx = -1;
        for (let offset = -1; offset < length; offset++) {
          let idx: number;
          if (sr + offset === -1) idx = 0;
          else if (align.has(sr + offset)) idx = align.get(sr + offset)! + 1;
          else break;
          if (idx === prevIdx) continue;
          prevIdx = idx;
          const words = performShift(hyp, sh, length, idx);
          const cand = {
            score: pre - beamEditDistance(words, ref)[0],
            length,
            start: sh,
            idx,
            words,
          };
          checked++;
          if (best === undefined || better(cand, best)) best = cand;
        }
        if (checked >= MAX_SHIFT_CANDIDATES) break outer;
      }
    }
  }
  return best === undefined ? [0, hyp, checked] : [best.score, best.words, checked];
}

/**
 * The fewest edits turning `hypothesis` into `reference`, shifts included (tercom's greedy search:
 * apply the best shift while it lowers the edit distance, at most 1000 candidate shifts in all).
 *
 * @param hypothesis Hypothesis tokens.
 * @param reference Reference tokens.
 * @returns `[edits, referenceLength]`.
 * @example
 * ```ts
 * import { terEdits } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * // One shift moves "c d" to the front: 1 edit instead of 4 substitutions.
 * assertEquals(terEdits(["a", "b", "c", "d"], ["c", "d", "a", "b"]), [1, 4]);
 * ```
 */
export function terEdits(
  hypothesis: readonly string[],
  reference: readonly string[],
): [number, number] {
  if (reference.length === 0) return [hypothesis.length, 0];
  let shifts = 0;
  let words = hypothesis;
  let checked = 0;
  for (;;) {
    const [delta, shifted, n] = bestShift(words, reference, checked);
    checked = n;
    if (checked >= MAX_SHIFT_CANDIDATES || delta <= 0) break;
    shifts++;
    words = shifted;
  }
  return [shifts + beamEditDistance(words, reference)[0], reference.length];
}

/**
 * Corpus TER as sacrebleu's `TER()` with default options: per segment the fewest edits to any
 * reference and the average reference length, both summed over the corpus; score = 100 × edits /
 * length (100 when all references are empty and there are edits, 0 when nothing at all).
 *
 * Note: the WebNLG evaluation script of microsoft/LoRA instead averages per-sentence pyter TER
 * (minimum over references); that differs from corpus-level tercom TER.
 *
 * @param hypotheses One system output per segment.
 * @param references For each segment, its references.
 * @param options Tokeniser and case folding.
 * @returns The score, total edits and total average reference length.
 * @example
 * ```ts
 * import { corpusTer } from "@loradrop/core/nlg";
 * import { assertAlmostEquals } from "@std/assert";
 * // 1 deletion against the closer reference; the average reference length is (3 + 1) / 2 = 2.
 * const r = corpusTer(["A b c d"], [["a b c", "x"]]);
 * assertAlmostEquals(r.score, 50);
 * ```
 */
export function corpusTer(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: TerOptions = {},
): TerResult {
  checkCorpus("TER", hypotheses, references);
  const tok = resolveTokenizer(options.tokenize ?? "whitespace", options.lowercase ?? true, "TER");
  let edits = 0;
  let referenceLength = 0;
  for (let i = 0; i < hypotheses.length; i++) {
    const hyp = tok(hypotheses[i]!);
    let best = Infinity;
    let lengths = 0;
    for (const ref of references[i]!) {
      const [e, n] = terEdits(hyp, tok(ref));
      lengths += n;
      best = Math.min(best, e);
    }
    edits += best;
    referenceLength += lengths / references[i]!.length;
  }
  const score = referenceLength > 0 ? (100 * edits) / referenceLength : edits > 0 ? 100 : 0;
  return { score, edits, referenceLength };
}
