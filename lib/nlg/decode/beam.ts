/**
 * Beam search over a {@linkcode StepFunction}, with length normalisation, no-repeat n-grams and
 * EOS handling as in microsoft/LoRA's `gpt2_beam.py` (the NLG decoding of the paper's Table 7).
 *
 * @module
 */
import { applyBans, checkPrompts, concat, logProbs, normalise, resolveOptions } from "./_step.ts";
import type { DecodedSequence, DecodingOptions, StepFunction } from "./types.ts";

/** Options of {@linkcode beamSearch}. */
export interface BeamSearchOptions extends DecodingOptions {
  /** Beam width K, a positive integer (the paper: 10). */
  readonly numBeams: number;
}

interface Beam {
  readonly tokens: number[];
  readonly logProb: number;
}

/**
 * Beam search for a batch of prompts. Per input: step 0 expands the prompt alone; every step
 * takes the K best (beam, token) extensions by summed log-probability (ties: lower beam, then lower
 * token id) among the live beams after the bans of `options`. An extension ending in EOS becomes a
 * finished candidate with score Σ log p / len^α (len counts generated tokens, EOS included;
 * α = `lengthPenalty`: 0.9 for E2E and 0.8 for WebNLG in the paper) and leaves the beam, the others
 * are the next live beams. Decoding of an input ends when no beam is live or after `maxLength`
 * tokens; the live beams are then candidates too (unfinished). The result is the candidate with the
 * best normalised score (the earliest on ties). With K = 1 this is greedy decoding.
 *
 * All inputs' live beams go to the model in one call per step. Deterministic; logits are disposed.
 *
 * @param step The model: prefixes → next-token logits (N, V).
 * @param prompts One prompt (token ids) per input.
 * @param options Beam width, maximum length, EOS, bans, length penalty.
 * @returns The best sequence per prompt, in order.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { beamSearch } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * // Token 1 is likelier first (0.6 vs 0.4), but after it the model is unsure (0.5/0.5) while
 * // after token 2 it is sure of EOS (0): beam search finds 2,0 (0.4) over 1,0 (0.3).
 * const table: Record<string, number[]> = { "": [0, 0.6, 0.4], "1": [0.5, 0.5, 0], "2": [1, 0, 0] };
 * const step = (prefixes: readonly Int32Array[]) =>
 *   tf.tensor2d(prefixes.map((p) => table[[...p.slice(1)].join(",")]!.map(Math.log)));
 * const [best] = await beamSearch(step, [Int32Array.of(9)], { numBeams: 2, maxLength: 2, eosTokenId: 0, lengthPenalty: 0 });
 * assertEquals([...best!.tokens], [2, 0]);
 * ```
 */
export async function beamSearch(
  step: StepFunction,
  prompts: readonly Int32Array[],
  options: BeamSearchOptions,
): Promise<DecodedSequence[]> {
  const who = "run beam search";
  checkPrompts(who, prompts);
  const o = resolveOptions(who, options);
  const k = options.numBeams;
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1) {
    throw new RangeError(
      `Cannot run beam search: numBeams must be a positive integer, received ${String(k)}`,
    );
  }
  let beams: Beam[][] = prompts.map(() => [{ tokens: [], logProb: 0 }]);
  const best: (DecodedSequence | undefined)[] = prompts.map(() => undefined);
  const offer = (i: number, b: Beam, finished: boolean) => {
    const score = normalise(b.logProb, b.tokens.length, o.lengthPenalty);
    const current = best[i];
    if (current === undefined || score > current.score) {
      best[i] = { tokens: Int32Array.from(b.tokens), logProb: b.logProb, score, finished };
    }
  };
  let parents = new Int32Array(prompts.length).fill(-1);
  for (let t = 0; t < o.maxLength; t++) {
    const owners: number[] = []; // input index of each prefix in this call
    const prefixes: Int32Array[] = [];
    beams.forEach((bs, i) =>
      bs.forEach((b) => {
        owners.push(i);
        prefixes.push(concat(prompts[i]!, b.tokens));
      })
    );
    if (prefixes.length === 0) break;
    const { rows, vocab } = await logProbs(who, step, prefixes, t, parents);
    const next: Beam[][] = prompts.map(() => []);
    const nextParents: number[] = [];
    let row0 = 0;
    beams.forEach((bs, i) => {
      // The K best (score, flat index = beam·V + token) candidates of this input.
      const top: { score: number; flat: number; row: number }[] = [];
      bs.forEach((b, j) => {
        const row = rows[row0 + j]!;
        applyBans(row, prompts[i]!, b.tokens, o);
        for (let v = 0; v < vocab; v++) {
          const lp = row[v]!;
          if (lp === -Infinity) continue;
          const score = b.logProb + lp;
          if (top.length === k && score <= top[k - 1]!.score) continue;
          // Insert keeping (score desc, flat asc); flat indices arrive in increasing order.
          let at = top.length;
          while (at > 0 && top[at - 1]!.score < score) at--;
          top.splice(at, 0, { score, flat: j * vocab + v, row: row0 + j });
          if (top.length > k) top.pop();
        }
      });
      // No allowed extension at all (every token banned): the live beams end here, unfinished.
      if (top.length === 0) bs.forEach((b) => offer(i, b, false));
      for (const c of top) {
        const j = Math.floor(c.flat / vocab);
        const token = c.flat % vocab;
        const parent = bs[j]!;
        const beam: Beam = { tokens: [...parent.tokens, token], logProb: c.score };
        if (o.eos.has(token)) offer(i, beam, true);
        else {
          next[i]!.push(beam);
          nextParents.push(c.row);
        }
      }
      row0 += bs.length;
    });
    beams = next;
    parents = Int32Array.from(nextParents);
  }
  beams.forEach((bs, i) => bs.forEach((b) => offer(i, b, false)));
  return best.map((r) => r!);
}
