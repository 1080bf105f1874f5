/**
 * Batching tokenizer output into plain typed arrays (no tensors), with padding, truncation that
 * never drops a whole text, and sentence pairs joined by the tokenizer's own separators.
 *
 * @module
 */
import type { SpecialPiece, TextTokenizer } from "./load.ts";

/** One text, or a pair of texts `[a, b]` (premise/hypothesis, question/answer, …). */
export type TextInput = string | readonly [string, string];

/** Options of {@linkcode encodeBatch}. */
export interface EncodeBatchOptions {
  /**
   * The longest sequence, special tokens included. Defaults to the tokenizer's `modelMaxLength`
   * (128 for USE-lite, 1024 for GPT-2); without either, rows are not limited.
   */
  readonly maxLength?: number;
  /** `"longest"` (default): pad to the longest row; `"max_length"`: pad every row to `maxLength`. */
  readonly padding?: "longest" | "max_length";
  /**
   * `true` (default): shorten texts longer than `maxLength`; `false`: such a text is a RangeError.
   *
   * Strategy: the texts are cut before special tokens are added, so separators and closing tokens
   * are kept, and each text keeps its first tokens. For a pair, Hugging Face's `longest_first`:
   * the shorter text stays whole when the longer one can fill the remaining room, otherwise each
   * keeps half of the room (the longer one, or the second on ties, the odd token). So neither text
   * of a pair is ever dropped entirely; a `maxLength` without room for one token of each is a
   * RangeError.
   */
  readonly truncation?: boolean;
  /** The index of the first row, for error messages (when a long list is encoded in chunks). */
  readonly rowOffset?: number;
}

/** A batch of token ids as flat row-major typed arrays. */
export interface EncodedBatch {
  /** (B·T) token ids, row-major; padding positions hold the tokenizer's `padId`. */
  readonly inputIds: Int32Array;
  /** (B·T) 1 for real tokens (special tokens included), 0 for padding. */
  readonly attentionMask: Int32Array;
  /**
   * (B·T) segment ids: 0 for the first text (and its separator), 1 for the second. Present for
   * pairs and for tokenizers that always return them (BERT family).
   */
  readonly tokenTypeIds?: Int32Array;
  /** `[B, T]`. */
  readonly shape: readonly [number, number];
}

interface Row {
  readonly ids: number[];
  readonly types: number[];
}

function assemble(
  parts: readonly (readonly SpecialPiece[] | { ids: number[]; typeId: number })[],
): Row {
  const ids: number[] = [];
  const types: number[] = [];
  for (const part of parts) {
    if (Array.isArray(part)) {
      for (const p of part as readonly SpecialPiece[]) {
        ids.push(p.id);
        types.push(p.typeId);
      }
    } else {
      const seq = part as { ids: number[]; typeId: number };
      for (const id of seq.ids) {
        ids.push(id);
        types.push(seq.typeId);
      }
    }
  }
  return { ids, types };
}

function preview(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

const charsPerTokenOf = new WeakMap<TextTokenizer, number>();

/**
 * The most input characters one token can stand for: three times the longest vocabulary entry
 * (normalisation such as NFKC composes at most three characters into one; a byte-level entry's
 * characters are bytes, and a character is at least one byte).
 */
function charsPerToken(tokenizer: TextTokenizer): number {
  let n = charsPerTokenOf.get(tokenizer);
  if (n === undefined) {
    let longest = 1;
    for (const entry of tokenizer.hf.get_vocab().keys()) longest = Math.max(longest, entry.length);
    n = 3 * longest;
    charsPerTokenOf.set(tokenizer, n);
  }
  return n;
}

/**
 * Token ids of one text of which at most `keep` tokens are kept. A text longer than `keep` tokens
 * could possibly cover is cut first (with a margin of 8 tokens, so the kept tokens are those of
 * the whole text): a megabyte of text would otherwise take seconds and can overflow the
 * tokenizer's call stack.
 */
function encodeText(
  tokenizer: TextTokenizer,
  text: string,
  keep: number,
  truncation: boolean,
  where: string,
): number[] {
  const cap = Number.isFinite(keep) ? (keep + 8) * charsPerToken(tokenizer) : Infinity;
  let input = text;
  if (input.length > cap) {
    if (!truncation) {
      throw new RangeError(
        `Cannot encode batch: ${where} has ${input.length} characters, more than ${keep} tokens can hold, and truncation is off (received ${
          preview(input)
        })`,
      );
    }
    const end = /[\ud800-\udbff]/.test(input[cap - 1]!) ? cap - 1 : cap; // keep surrogate pairs whole
    input = input.slice(0, end);
  }
  try {
    return tokenizer.encode(input);
  } catch (error) {
    throw new RangeError(
      `Cannot encode batch: tokenizer ${tokenizer.name} failed on ${where} (${input.length} characters, received ${
        preview(input)
      }): ${(error as Error).message}${
        Number.isFinite(cap) ? "" : "; pass maxLength so that long texts are cut first"
      }`,
      { cause: error },
    );
  }
}

/**
 * Tokenizes a batch of texts or text pairs into `(B, T)` typed arrays: ids, attention mask and,
 * for pairs, token type ids. Rows are padded on the right.
 *
 * Pairs use the separators of the tokenizer's post-processor: `[CLS] a [SEP] b [SEP]` for BERT,
 * `<s> a </s></s> b </s>` for RoBERTa, `a </s> b` (id 2) for USE-lite, `a <|endoftext|> b` for GPT-2.
 *
 * @param tokenizer The tokenizer.
 * @param texts The texts, or pairs `[a, b]`; all rows of one kind.
 * @param options Maximum length, padding and truncation.
 * @returns The batch.
 * @example
 * ```ts
 * import { encodeBatch } from "@loradrop/core/tokenizers";
 * import { loadUseLiteTokenizer } from "@loradrop/core/tokenizers";
 * import { assertEquals } from "@std/assert";
 * const tokenizer = await loadUseLiteTokenizer();
 * const batch = encodeBatch(tokenizer, ["The movie was wonderful and moving.", "Bad."]);
 * assertEquals(batch.shape, [2, 7]);
 * assertEquals(Array.from(batch.attentionMask.subarray(7)), [1, 1, 0, 0, 0, 0, 0]);
 * const pairs = encodeBatch(tokenizer, [["Good.", "Bad."]]);
 * assertEquals(Array.from(pairs.tokenTypeIds!), [0, 0, 0, 1, 1]); // a </s> b
 * ```
 */
export function encodeBatch(
  tokenizer: TextTokenizer,
  texts: readonly TextInput[],
  options: EncodeBatchOptions = {},
): EncodedBatch {
  const { padding = "longest", truncation = true, rowOffset = 0 } = options;
  if (!Array.isArray(texts) || texts.length === 0) {
    throw new RangeError(
      "Cannot encode batch: expected a non-empty array of texts or pairs, received an empty batch",
    );
  }
  if (padding !== "longest" && padding !== "max_length") {
    throw new TypeError(
      `Cannot encode batch: padding must be "longest" or "max_length", received ${
        JSON.stringify(padding)
      }`,
    );
  }
  if (
    options.maxLength !== undefined &&
    (!Number.isInteger(options.maxLength) || options.maxLength < 1)
  ) {
    throw new RangeError(
      `Cannot encode batch: maxLength must be a positive integer, received ${options.maxLength}`,
    );
  }
  // Infinity when neither the options nor the tokenizer's config name a limit
  const maxLength = options.maxLength ?? tokenizer.modelMaxLength;
  if (padding === "max_length" && !Number.isFinite(maxLength)) {
    throw new RangeError(
      `Cannot encode batch: padding "max_length" needs maxLength, and tokenizer ${tokenizer.name} names no model_max_length`,
    );
  }
  if (!Number.isSafeInteger(rowOffset) || rowOffset < 0) {
    throw new RangeError(
      `Cannot encode batch: rowOffset must be a non-negative integer, received ${rowOffset}`,
    );
  }
  const isPair = typeof texts[0] !== "string";
  const { single, pair } = tokenizer.layout;
  const rows: Row[] = texts.map((input, index) => {
    const i = rowOffset + index;
    if ((typeof input !== "string") !== isPair) {
      throw new TypeError(
        `Cannot encode batch: row ${i} is ${
          typeof input === "string" ? "a text" : "a pair"
        } but row 0 is ${isPair ? "a pair" : "a text"}`,
      );
    }
    if (typeof input === "string") {
      const room = maxLength - single.before.length - single.after.length;
      let ids = encodeText(tokenizer, input, Math.max(room, 0), truncation, `row ${i}`);
      if (ids.length > room) {
        if (!truncation) {
          throw new RangeError(
            `Cannot encode batch: row ${i} has ${
              ids.length + maxLength - room
            } tokens, more than maxLength ${maxLength}, and truncation is off`,
          );
        }
        if (room < 1) {
          throw new RangeError(
            `Cannot encode batch: maxLength ${maxLength} leaves no room for text after ${
              maxLength - room
            } special tokens`,
          );
        }
        ids = ids.slice(0, room);
      }
      const row = assemble([single.before, { ids, typeId: single.typeId }, single.after]);
      if (row.ids.length === 0) {
        throw new RangeError(
          `Cannot encode batch: row ${i} has no tokens (received ${preview(input)})`,
        );
      }
      return row;
    }
    if (!Array.isArray(input) || input.length !== 2 || input.some((t) => typeof t !== "string")) {
      throw new TypeError(
        `Cannot encode batch: row ${i} must be a text or a pair [a, b] of texts, received ${
          JSON.stringify(input)
        }`,
      );
    }
    const specials = pair.before.length + pair.middle.length + pair.after.length;
    const room = maxLength - specials;
    const [a, b] = (["first", "second"] as const).map((which, j) =>
      encodeText(tokenizer, input[j]!, Math.max(room, 0), truncation, `pair ${i} (${which} text)`)
    ) as [number[], number[]];
    let keepA = a.length;
    let keepB = b.length;
    if (keepA + keepB > room) {
      if (!truncation) {
        throw new RangeError(
          `Cannot encode batch: pair ${i} has ${
            keepA + keepB + specials
          } tokens, more than maxLength ${maxLength}, and truncation is off`,
        );
      }
      const needed = Math.min(keepA, 1) + Math.min(keepB, 1);
      if (room < needed) {
        throw new RangeError(
          `Cannot encode batch: maxLength ${maxLength} cannot hold one token of each text of pair ${i} plus ${specials} special tokens`,
        );
      }
      // Hugging Face's longest_first: the shorter text is kept whole if the longer can fill the
      // rest; otherwise each keeps half of the room, the longer one (the second on ties) the odd token
      const swap = keepA > keepB;
      let short = swap ? keepB : keepA;
      let long = Math.max(short, room - short);
      if (short + long > room) {
        short = Math.floor(room / 2);
        long = short + (room % 2);
      }
      keepA = swap ? long : short;
      keepB = swap ? short : long;
    }
    const row = assemble([
      pair.before,
      { ids: a.slice(0, keepA), typeId: pair.typeIdA },
      pair.middle,
      { ids: b.slice(0, keepB), typeId: pair.typeIdB },
      pair.after,
    ]);
    if (row.ids.length === 0) {
      throw new RangeError(
        `Cannot encode batch: pair ${i} has no tokens (received two empty texts)`,
      );
    }
    return row;
  });
  const longest = rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
  const t = padding === "max_length" ? maxLength : longest;
  const n = rows.length;
  const inputIds = new Int32Array(n * t).fill(tokenizer.padId); // (B·T)
  const attentionMask = new Int32Array(n * t); // (B·T)
  const withTypes = isPair || tokenizer.returnsTokenTypeIds;
  const tokenTypeIds = withTypes ? new Int32Array(n * t) : undefined; // (B·T)
  rows.forEach((row, i) => {
    inputIds.set(row.ids, i * t);
    attentionMask.fill(1, i * t, i * t + row.ids.length);
    tokenTypeIds?.set(row.types, i * t);
  });
  const shape = [n, t] as const;
  return tokenTypeIds === undefined
    ? { inputIds, attentionMask, shape }
    : { inputIds, attentionMask, tokenTypeIds, shape };
}
