/**
 * Greedy decoding over a {@linkcode StepFunction}.
 *
 * @module
 */
import { applyBans, checkPrompts, concat, logProbs, normalise, resolveOptions } from "./_step.ts";
import type { DecodedSequence, DecodingOptions, StepFunction } from "./types.ts";

/**
 * Greedy decoding of a batch of prompts: at each step every unfinished sequence takes its most
 * probable next token (the lowest id on ties) after the bans of `options` (EOS before `minLength`,
 * repeated n-grams). A sequence stops at an EOS token, after `maxLength` tokens, or (unfinished) when every token
 * is banned. Finished
 * sequences are not sent to the model again. Deterministic; the logits are disposed.
 *
 * @param step The model: prefixes → next-token logits (N, V).
 * @param prompts One prompt (token ids) per input.
 * @param options Maximum length, EOS, bans, length penalty (only for the reported `score`).
 * @returns One result per prompt, in order.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { greedyDecode } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * // A "model" that prefers the token after the last one, and EOS (0) after token 3.
 * const step = (prefixes: readonly Int32Array[]) =>
 *   tf.tensor2d(prefixes.map((p) => {
 *     const last = p[p.length - 1]!;
 *     return [0, 1, 2, 3].map((v) => (last === 3 ? v === 0 : v === last + 1) ? 2 : 0);
 *   }));
 * const [r] = await greedyDecode(step, [Int32Array.of(1)], { maxLength: 5, eosTokenId: 0 });
 * assertEquals([...r!.tokens], [2, 3, 0]);
 * assertEquals(r!.finished, true);
 * ```
 */
export async function greedyDecode(
  step: StepFunction,
  prompts: readonly Int32Array[],
  options: DecodingOptions,
): Promise<DecodedSequence[]> {
  const who = "decode greedily";
  checkPrompts(who, prompts);
  const o = resolveOptions(who, options);
  const generated: number[][] = prompts.map(() => []);
  const logProb = new Array<number>(prompts.length).fill(0);
  const finished = new Array<boolean>(prompts.length).fill(false);
  let active = prompts.map((_, i) => i);
  let parents = new Int32Array(active.length).fill(-1);
  for (let t = 0; t < o.maxLength && active.length > 0; t++) {
    const prefixes = active.map((i) => concat(prompts[i]!, generated[i]!));
    const { rows } = await logProbs(who, step, prefixes, t, parents);
    const still: number[] = [];
    const stillParents: number[] = [];
    active.forEach((i, n) => {
      const row = rows[n]!;
      applyBans(row, prompts[i]!, generated[i]!, o);
      let best = 0;
      for (let v = 1; v < row.length; v++) if (row[v]! > row[best]!) best = v;
      if (row[best] === -Infinity) return; // every token banned: the sequence ends, unfinished
      generated[i]!.push(best);
      logProb[i]! += row[best]!;
      if (o.eos.has(best)) finished[i] = true;
      else {
        still.push(i);
        stillParents.push(n);
      }
    });
    active = still;
    parents = Int32Array.from(stillParents);
  }
  return prompts.map((_, i) => ({
    tokens: Int32Array.from(generated[i]!),
    logProb: logProb[i]!,
    score: normalise(logProb[i]!, generated[i]!.length, o.lengthPenalty),
    finished: finished[i]!,
  }));
}
