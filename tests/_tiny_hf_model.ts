// A tiny Hugging Face model folder for tests: the RoBERTa or BERT fixture (tests/fixtures/hf/, 120
// embedding rows) plus a word-level tokenizer in the model's layout (RoBERTa: <s> a </s></s> b
// </s>, pad 1; BERT: [CLS] a [SEP] b [SEP], pad 0), a WordPiece model whose words are whole, small
// enough for the model's vocabulary.

/** The fixture models. */
export type TinyLayout = "roberta" | "bert";

const FIXTURES = new URL("./fixtures/hf/", import.meta.url).pathname;

const SPECIAL_TOKENS: Readonly<Record<TinyLayout, readonly string[]>> = {
  roberta: ["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
  bert: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
};
/** The tokenizer's words (sentences made of them have no unknown tokens). */
export const WORDS = (
  "the a an movie film story it this that is was be not very quite so and but of to in on " +
  "good great fine fun bad dull awful boring man woman dog cat sat ran saw ate home park " +
  "city he she they we said says left came won lost game team . , ?"
).split(" ");

/** Writes a tokenizer for the tiny model into `dir` (tokenizer.json + tokenizer_config.json). */
export async function writeTinyTokenizer(
  dir: string,
  layout: TinyLayout = "roberta",
): Promise<void> {
  const SPECIALS = SPECIAL_TOKENS[layout];
  const vocab: Record<string, number> = {};
  [...SPECIALS, ...WORDS].forEach((w, i) => (vocab[w] = i));
  const json = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: "Lowercase" },
    pre_tokenizer: { type: "Whitespace" },
    post_processor: layout === "roberta"
      ? {
        type: "RobertaProcessing",
        sep: ["</s>", 2],
        cls: ["<s>", 0],
        trim_offsets: true,
        add_prefix_space: false,
      }
      : { type: "BertProcessing", sep: ["[SEP]", 3], cls: ["[CLS]", 2] },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: SPECIALS[layout === "roberta" ? 3 : 1],
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab,
    },
  };
  await Deno.writeTextFile(`${dir}/tokenizer.json`, JSON.stringify(json));
  await Deno.writeTextFile(
    `${dir}/tokenizer_config.json`,
    JSON.stringify(
      layout === "roberta"
        ? {
          tokenizer_class: "PreTrainedTokenizerFast",
          bos_token: "<s>",
          eos_token: "</s>",
          unk_token: "<unk>",
          sep_token: "</s>",
          pad_token: "<pad>",
          cls_token: "<s>",
          mask_token: "<mask>",
          model_max_length: 512, // RoBERTa's; the tiny model takes 38 positions: runs are cut to 38
        }
        : {
          tokenizer_class: "PreTrainedTokenizerFast",
          unk_token: "[UNK]",
          sep_token: "[SEP]",
          pad_token: "[PAD]",
          cls_token: "[CLS]",
          mask_token: "[MASK]",
          model_max_length: 512,
        },
    ),
  );
}

/** A model folder: the tiny RoBERTa (or BERT) checkpoint plus its tokenizer. */
export async function writeModelDir(
  dir: string,
  layout: TinyLayout = "roberta",
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  for (const f of ["config.json", "model.safetensors"]) {
    await Deno.copyFile(`${FIXTURES}${layout}/${f}`, `${dir}/${f}`);
  }
  await writeTinyTokenizer(dir, layout);
  return dir;
}
