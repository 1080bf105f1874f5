/**
 * Linearisation of E2E meaning representations and WebNLG triples into GPT-2 prompts, in
 * microsoft/LoRA's NLG format (the setup of the paper's Table 7).
 *
 * microsoft/LoRA's E2E files hold `name : The Vaults | Type : pub | price : more than £ 30 ||The
 * Vaults pub …` (context `||` completion; slot names as below); WebNLG contexts are
 * `subject : property : object | …` (`format_converting_webnlg.py`). `gpt2_encode.py --add_bos
 * --add_eos` then encodes the context followed by token 50256 (`<|endoftext|>`) as the separator,
 * and the completion as `" " + text` followed by 50256 as EOS. Differences: their E2E values were
 * pre-tokenised (`£ 30`, `.` split off); values here are kept as in the MR.
 *
 * @module
 */
import { parseMr } from "./mr.ts";
import type { Triple } from "./types.ts";

/** The GPT-2 `<|endoftext|>` id, microsoft/LoRA's separator and EOS. */
export const LORA_NLG_EOS_ID = 50256;

/** E2E attribute → the slot name in microsoft/LoRA's E2E context strings. */
export const LORA_E2E_SLOT_NAMES: Readonly<Record<string, string>> = {
  name: "name",
  eatType: "Type",
  food: "food",
  priceRange: "price",
  "customer rating": "customer rating",
  customerRating: "customer rating",
  area: "area",
  familyFriendly: "family friendly",
  near: "near",
};

/**
 * Linearises an E2E MR as microsoft/LoRA's context: `name : The Eagle | Type : coffee shop | …`.
 *
 * @param mr The MR, `name[The Eagle], eatType[coffee shop], …`.
 * @returns The context string.
 * @example
 * ```ts
 * import { linearizeMr } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * assertEquals(
 *   linearizeMr("name[Blue Spice], eatType[coffee shop], area[city centre]"),
 *   "name : Blue Spice | Type : coffee shop | area : city centre",
 * );
 * ```
 */
export function linearizeMr(mr: string): string {
  return parseMr(mr).map((s) => `${LORA_E2E_SLOT_NAMES[s.attribute] ?? s.attribute} : ${s.value}`)
    .join(" | ");
}

/**
 * Linearises WebNLG triples as microsoft/LoRA's context: `subject : property : object | …`.
 *
 * @param triples The entry's triples, in order.
 * @returns The context string.
 * @example
 * ```ts
 * import { linearizeTriples } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * assertEquals(
 *   linearizeTriples([{ subject: "Aarhus_Airport", property: "cityServed", object: '"Aarhus, Denmark"' }]),
 *   'Aarhus_Airport : cityServed : "Aarhus, Denmark"',
 * );
 * ```
 */
export function linearizeTriples(triples: readonly Triple[]): string {
  return triples.map((t) => `${t.subject} : ${t.property} : ${t.object}`).join(" | ");
}

/** A tokenised data-to-text example for a decoder LM. */
export interface LmExample {
  /** The context's ids followed by the separator id: the prompt the model continues. */
  readonly prompt: Int32Array;
  /** The ids of `" " + completion` followed by the EOS id (empty without a completion). */
  readonly target: Int32Array;
}

/**
 * Tokenises a (context, completion) pair as `gpt2_encode.py --add_bos --add_eos`:
 * prompt = encode(context) + [separator], target = encode(" " + completion) + [eos].
 * The loss is taken on the target only; at test time the prompt is decoded from.
 *
 * @param context The linearised input ({@linkcode linearizeMr} or {@linkcode linearizeTriples}).
 * @param completion The reference text, or `undefined` for a test prompt.
 * @param encode A tokeniser (e.g. GPT-2 BPE), text → ids.
 * @param options Separator and EOS ids, both {@linkcode LORA_NLG_EOS_ID} by default.
 * @returns The prompt and target ids.
 * @example
 * ```ts
 * import { lmExample } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * const encode = (s: string) => [...s].map((c) => c.charCodeAt(0)); // a toy byte "tokeniser"
 * const ex = lmExample("a : b", "Hi", encode, { eosId: 0, separatorId: 1 });
 * assertEquals([...ex.prompt], [97, 32, 58, 32, 98, 1]);
 * assertEquals([...ex.target], [32, 72, 105, 0]);
 * ```
 */
export function lmExample(
  context: string,
  completion: string | undefined,
  encode: (text: string) => ArrayLike<number>,
  options: { readonly eosId?: number; readonly separatorId?: number } = {},
): LmExample {
  const eos = options.eosId ?? LORA_NLG_EOS_ID;
  const sep = options.separatorId ?? LORA_NLG_EOS_ID;
  for (const [name, v] of [["eosId", eos], ["separatorId", sep]] as const) {
    if (!Number.isInteger(v) || v < 0) {
      throw new RangeError(
        `Cannot build an LM example: ${name} must be a non-negative integer, received ${v}`,
      );
    }
  }
  const ctx = Array.from(encode(context));
  const prompt = Int32Array.from([...ctx, sep]);
  const target = completion === undefined
    ? new Int32Array(0)
    : Int32Array.from([...Array.from(encode(" " + completion)), eos]);
  return { prompt, target };
}
