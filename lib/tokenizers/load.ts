/**
 * Loading a tokenizer folder (`tokenizer.json` + `tokenizer_config.json`, what Hugging Face hub
 * checkpoints ship) through `@huggingface/transformers`, offline.
 *
 * @module
 */
import { basename, dirname, resolve } from "node:path";
import { type SpecialTokenLayout, specialTokenLayout } from "./_layout.ts";

export type { SpecialPiece, SpecialTokenLayout } from "./_layout.ts";

/**
 * The part of a transformers.js `PreTrainedTokenizer` that loradrop uses (a structural type, so
 * the library's own class satisfies it).
 */
export interface HfTokenizer {
  /** Token ids of `text` (and `text_pair`), with or without the model's special tokens. */
  encode(
    text: string,
    options?: { text_pair?: string | null; add_special_tokens?: boolean },
  ): number[];
  /** The text of a list of plain-number ids. */
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
  /** The token strings of `text`, without special tokens. */
  tokenize(text: string): string[];
  /** Token string → id, including added tokens. */
  get_vocab(): Map<string, number>;
  /** The padding id, when the config names a pad (or eos) token. */
  readonly pad_token_id?: number | undefined;
  /** Whether this tokenizer class returns token type ids (BERT family). */
  readonly return_token_type_ids: boolean;
}

/** Options of {@linkcode TextTokenizer.decode}. */
export interface DecodeOptions {
  /** Leave out special tokens (`</s>`, `[CLS]`, …); default false. */
  readonly skipSpecialTokens?: boolean;
}

/** A loaded tokenizer plus what loradrop needs to batch its output. */
export interface TextTokenizer {
  /** A short name: `use-lite`, `gpt2`, or the folder's name. */
  readonly name: string;
  /** The folder holding `tokenizer.json` and `tokenizer_config.json`. */
  readonly dir: string;
  /** One more than the largest id the tokenizer can produce (added tokens included). */
  readonly vocabSize: number;
  /** The id that fills padding positions (masked out by `attentionMask`). */
  readonly padId: number;
  /** Ids of the special tokens (skipped by `decode` with `skipSpecialTokens`). */
  readonly specialIds: readonly number[];
  /** `model_max_length` of the config, or `Infinity` when it names none. */
  readonly modelMaxLength: number;
  /** Whether single texts also get token type ids (BERT family). */
  readonly returnsTokenTypeIds: boolean;
  /** The special tokens around one text or a pair, read from the post-processor. */
  readonly layout: SpecialTokenLayout;
  /** The transformers.js tokenizer behind this one. */
  readonly hf: HfTokenizer;
  /**
   * Token ids of one text, without special tokens.
   * @param text The text.
   * @returns The ids.
   */
  encode(text: string): number[];
  /**
   * Token strings of one text, without special tokens.
   * @param text The text.
   * @returns The token strings.
   */
  tokenize(text: string): string[];
  /**
   * The text of a sequence of ids (numbers or bigints, e.g. from a typed array).
   * @param ids The ids; each must be an integer in [0, vocabSize).
   * @param options Whether to skip special tokens.
   * @returns The decoded text.
   */
  decode(ids: Iterable<number | bigint>, options?: DecodeOptions): string;
}

/** Options of {@linkcode loadTokenizerFromDir}. */
export interface LoadTokenizerOptions {
  /** The name the tokenizer reports; defaults to the folder's name. */
  readonly name?: string;
  /** Replaces `model_max_length` from the config. */
  readonly modelMaxLength?: number;
}

type TransformersModule = typeof import("@huggingface/transformers");

let transformers: Promise<TransformersModule> | undefined;
// transformers.js reads its settings from one global `env`: loads run one at a time so that
// concurrent callers never see each other's settings.
let queue: Promise<unknown> = Promise.resolve();

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function loadHf(dir: string): Promise<HfTokenizer> {
  transformers ??= import("@huggingface/transformers");
  const { AutoTokenizer, env } = await transformers;
  const run = async () => {
    const saved = {
      allowRemoteModels: env.allowRemoteModels,
      allowLocalModels: env.allowLocalModels,
      localModelPath: env.localModelPath,
      useFSCache: env.useFSCache,
      useBrowserCache: env.useBrowserCache,
    };
    Object.assign(env, {
      allowRemoteModels: false, // never ask the hub
      allowLocalModels: true,
      localModelPath: dirname(dir),
      useFSCache: false, // do not copy the files into node_modules/…/.cache
      useBrowserCache: false,
    });
    try {
      // an absolute path is not a hub model id, so transformers.js reads DIR/tokenizer.json as is
      return await AutoTokenizer.from_pretrained(dir) as unknown as HfTokenizer;
    } finally {
      Object.assign(env, saved);
    }
  };
  const result = queue.then(run, run);
  queue = result.catch(() => {});
  return await result;
}

const SPECIAL_KEYS = [
  "bos_token",
  "eos_token",
  "unk_token",
  "sep_token",
  "pad_token",
  "cls_token",
  "mask_token",
] as const;

/** The special tokens a tokenizer_config.json names (strings or `{content}` objects). */
function namedSpecialTokens(config: Record<string, unknown>): string[] {
  const content = (v: unknown): string[] =>
    typeof v === "string" ? [v] : v !== null && typeof v === "object" &&
        typeof (v as { content?: unknown }).content === "string"
      ? [(v as { content: string }).content]
      : [];
  const extra = config.additional_special_tokens;
  return [
    ...SPECIAL_KEYS.flatMap((k) => content(config[k])),
    ...(Array.isArray(extra) ? extra.flatMap(content) : []),
  ];
}

function checkIds(ids: Iterable<number | bigint>, vocabSize: number, name: string): number[] {
  const out: number[] = [];
  let i = 0;
  for (const raw of ids) {
    const id = Number(raw);
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new RangeError(
        `Cannot decode with tokenizer ${name}: id ${i} must be an integer in [0, ${vocabSize}), received ${raw}`,
      );
    }
    out.push(id);
    i++;
  }
  return out;
}

/**
 * Loads the tokenizer in a folder holding `tokenizer.json` and `tokenizer_config.json` (the files
 * of a Hugging Face hub checkpoint) with transformers.js' `AutoTokenizer`, without any network
 * access.
 *
 * @param dir The folder.
 * @param options A name and an optional `model_max_length` override.
 * @returns The tokenizer.
 * @example
 * ```ts
 * import { loadTokenizerFromDir } from "@loradrop/core/tokenizers";
 * import { loadUseLiteTokenizer } from "@loradrop/core/tokenizers";
 * import { assertEquals, assertRejects } from "@std/assert";
 * const use = await loadUseLiteTokenizer();
 * const again = await loadTokenizerFromDir(use.dir);
 * assertEquals(again.encode("The movie was wonderful and moving."), [34, 888, 33, 3781, 12, 1747, 6]);
 * await assertRejects(() => loadTokenizerFromDir("/no/such/folder"), Error, "does not exist");
 * ```
 */
export async function loadTokenizerFromDir(
  dir: string,
  options: LoadTokenizerOptions = {},
): Promise<TextTokenizer> {
  const abs = resolve(dir);
  try {
    if (!(await Deno.stat(abs)).isDirectory) {
      throw new Error(`Cannot load tokenizer: ${abs} is not a folder`);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot load tokenizer: folder ${abs} does not exist`);
    }
    throw error;
  }
  for (const file of ["tokenizer.json", "tokenizer_config.json"]) {
    if (!(await isFile(`${abs}/${file}`))) {
      throw new Error(
        `Cannot load tokenizer: ${abs} has no ${file} (expected tokenizer.json and ` +
          `tokenizer_config.json, the files a Hugging Face checkpoint ships)`,
      );
    }
  }
  let json: { post_processor?: unknown };
  let config: Record<string, unknown> & { model_max_length?: unknown };
  try {
    json = JSON.parse(await Deno.readTextFile(`${abs}/tokenizer.json`));
    config = JSON.parse(await Deno.readTextFile(`${abs}/tokenizer_config.json`));
  } catch (error) {
    throw new Error(
      `Cannot load tokenizer: ${abs} holds invalid JSON (${(error as Error).message})`,
    );
  }
  const layout = specialTokenLayout(json.post_processor ?? null);
  const hf = await loadHf(abs);
  const vocab = hf.get_vocab();
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);
  const name = options.name ?? basename(abs);
  const padId = hf.pad_token_id ?? 0;
  const specialIds = [
    ...new Set([
      ...((hf as unknown as { all_special_ids?: number[] }).all_special_ids ?? []),
      ...[layout.single, layout.pair].flatMap((l) =>
        Object.values(l).flatMap((v) => (Array.isArray(v) ? v.map((p) => p.id) : []))
      ),
      ...namedSpecialTokens(config).flatMap((t) => vocab.get(t) ?? []),
    ]),
  ].sort((a, b) => a - b);
  const specialSet = new Set(specialIds);
  const configured = typeof config.model_max_length === "number" &&
      config.model_max_length > 0 && config.model_max_length < 1e12
    ? config.model_max_length
    : Infinity; // HF writes 1e30 for "no limit"
  return {
    name,
    dir: abs,
    vocabSize,
    padId,
    specialIds,
    modelMaxLength: options.modelMaxLength ?? configured,
    returnsTokenTypeIds: hf.return_token_type_ids,
    layout,
    hf,
    encode: (text) => hf.encode(text, { add_special_tokens: false }),
    tokenize: (text) => hf.tokenize(text),
    decode: (ids, decodeOptions = {}) => {
      const skip = decodeOptions.skipSpecialTokens ?? false;
      let plain = checkIds(ids, vocabSize, name);
      // tokens named only in tokenizer_config.json (USE-lite's </s>) are not added tokens, so
      // transformers.js alone would not skip them
      if (skip) plain = plain.filter((id) => !specialSet.has(id));
      if (plain.length === 0) return "";
      return hf.decode(plain, { skip_special_tokens: skip });
    },
  };
}
