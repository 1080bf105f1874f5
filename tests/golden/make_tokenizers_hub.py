"""Makes two small Hugging Face tokenizer folders (what hub checkpoints ship: tokenizer.json +
tokenizer_config.json) and the encodings Python's transformers gives for them, for
tests/tokenizers_hub_test.ts.

- bert/: a WordPiece tokenizer (BERT layout: [CLS] a [SEP] b [SEP], token type ids)
- roberta/: a byte-level BPE tokenizer (RoBERTa layout: <s> a </s></s> b </s>)

Both are trained on the sentiment@5.0.2 fixtures (node_modules) with small vocabularies, so the
files stay a few tens of KB. expected.json holds, per folder and per case, the ids, attention
masks and token type ids transformers produces with truncation "longest_first" and padding.

Run from the repository root:  python3 tests/golden/make_tokenizers_hub.py
(needs `pip install tokenizers transformers` from the local wheelhouse)
"""
import json
import os

import tokenizers
import transformers
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(ROOT, "tokenizers_hub")
FIXTURES = os.path.join(ROOT, "..", "..", "node_modules", "sentiment", "test", "fixtures")


def sentences():
    out = []
    for name in ["amazon", "imdb", "yelp"]:
        with open(os.path.join(FIXTURES, f"{name}.json"), encoding="utf-8") as f:
            out += [r["text"] for r in json.load(f) if r.get("text")]
    return out


def bert(texts):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=600, special_tokens=specials))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.BertProcessing(("[SEP]", sep), ("[CLS]", cls))
    return transformers.BertTokenizerFast(tokenizer_object=tok, model_max_length=512)


def roberta(texts):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tok.train_from_iterator(
        texts,
        trainers.BpeTrainer(
            vocab_size=700,
            special_tokens=specials,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    bos, eos = tok.token_to_id("<s>"), tok.token_to_id("</s>")
    tok.post_processor = processors.RobertaProcessing(("</s>", eos), ("<s>", bos))
    return transformers.RobertaTokenizerFast(tokenizer_object=tok, model_max_length=512)


def encode(fast, texts, pairs, max_length, padding):
    args = dict(truncation=True, max_length=max_length, padding=padding, return_token_type_ids=True)
    enc = fast(texts, **args) if pairs is None else fast(texts, pairs, **args)
    return {k: enc[k] for k in ["input_ids", "attention_mask", "token_type_ids"]}


def main():
    texts = sentences()
    singles = texts[:4] + ["", "A short one."]
    first = texts[10:16]
    second = [texts[100], "Yes.", texts[30] + " " + texts[31], "No.", texts[40], ""]
    cases = {}
    for name, make in [("bert", bert), ("roberta", roberta)]:
        fast = make(texts)
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        fast.save_pretrained(folder)
        for extra in ["special_tokens_map.json", "vocab.txt", "vocab.json", "merges.txt", "chat_template.jinja"]:
            path = os.path.join(folder, extra)
            if os.path.exists(path):
                os.remove(path)  # loradrop reads tokenizer.json + tokenizer_config.json only
        cases[name] = {
            "single_longest": {"texts": singles, "max_length": 16, "padding": "longest",
                               **encode(fast, singles, None, 16, "longest")},
            "single_max_length": {"texts": singles, "max_length": 24, "padding": "max_length",
                                  **encode(fast, singles, None, 24, "max_length")},
            "pair_longest_first": {"texts": first, "pairs": second, "max_length": 20, "padding": "longest",
                                   **encode(fast, first, second, 20, "longest")},
            "pair_untruncated": {"texts": first, "pairs": second, "max_length": 512, "padding": "longest",
                                 **encode(fast, first, second, 512, "longest")},
        }
    cases["versions"] = {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__}
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__":
    main()
