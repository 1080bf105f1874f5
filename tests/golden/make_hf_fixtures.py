"""Tiny random Hugging Face checkpoints and golden outputs for loradrop's HF loaders.

Writes, under tests/fixtures/hf/:
  bert/      config.json + model.safetensors (BertModel, keys without prefix, with pooler)
             golden.safetensors: input_ids, attention_mask, token_type_ids, last_hidden_state
  roberta/   config.json + model.safetensors (RobertaForMaskedLM: "roberta." prefix + lm_head)
             golden.safetensors: input_ids, attention_mask, last_hidden_state
  gpt2/      config.json + model.safetensors (GPT2LMHeadModel, tied lm_head not stored)
             golden.safetensors: input_ids, attention_mask, logits
  roberta_cls_lora/   a PEFT LoRA adapter (query, value; r=4; modules_to_save=classifier) for a
             RobertaForSequenceClassification (3 labels) built on roberta/, non-zero B
             golden.safetensors: input_ids, attention_mask, logits (through real PEFT)

Run from the repository root:
  deno task setup:python && .cache/python/bin/python tests/golden/make_hf_fixtures.py
"""

import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import (
    BertConfig,
    BertModel,
    GPT2Config,
    GPT2LMHeadModel,
    RobertaConfig,
    RobertaForMaskedLM,
    RobertaForSequenceClassification,
)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "hf")
VOCAB = 120
HIDDEN = 32
LAYERS = 2
HEADS = 4
FFN = 64


def ids_and_mask(pad_id, first_id, ends, lengths, seq_len, seed):
    """Random ids in [first_id, VOCAB) with right padding to seq_len; ends = (start, end) ids or None."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.full((len(lengths), seq_len), pad_id, dtype=torch.long)
    mask = torch.zeros((len(lengths), seq_len), dtype=torch.long)
    for b, n in enumerate(lengths):
        body = torch.randint(first_id, VOCAB, (n,), generator=g)
        if ends is not None:
            body[0] = ends[0]  # <s> / [CLS]
            body[n - 1] = ends[1]  # </s> / [SEP]
        ids[b, :n] = body
        mask[b, :n] = 1
    return ids, mask


def save_model(model, name):
    out = os.path.join(ROOT, name)
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    # Drop generation_config.json (irrelevant here) to keep fixtures minimal.
    gen = os.path.join(out, "generation_config.json")
    if os.path.exists(gen):
        os.remove(gen)
    return out


def save_golden(out, tensors):
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(out, "golden.safetensors"))


def perturb(model, seed, std=0.5):
    """LayerNorm weights/biases and biases are 1/0 after init; make them random so tests can fail."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias") or "LayerNorm" in name or ".ln_" in name:
                p.add_(torch.randn(p.shape, generator=g) * std * 0.2)


def make_bert():
    torch.manual_seed(1)
    config = BertConfig(
        vocab_size=VOCAB, hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
        intermediate_size=FFN, max_position_embeddings=64, type_vocab_size=2,
        hidden_act="gelu", layer_norm_eps=1e-12, pad_token_id=0,
        hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
    )
    model = BertModel(config).eval()
    perturb(model, 11)
    out = save_model(model, "bert")
    ids, mask = ids_and_mask(0, 5, (2, 3), [8, 5, 3], 8, 101)
    types = torch.zeros_like(ids)
    types[0, 4:8] = 1  # a sentence pair in the first row
    types[1, 3:5] = 1
    with torch.no_grad():
        h = model(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
    save_golden(out, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types,
                      "last_hidden_state": h})


def roberta_config():
    return RobertaConfig(
        vocab_size=VOCAB, hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
        intermediate_size=FFN, max_position_embeddings=40, type_vocab_size=1,
        hidden_act="gelu", layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2,
        hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
    )


def make_roberta():
    torch.manual_seed(2)
    model = RobertaForMaskedLM(roberta_config()).eval()
    perturb(model, 12)
    out = save_model(model, "roberta")
    ids, mask = ids_and_mask(1, 4, (0, 2), [8, 6, 2], 8, 102)
    with torch.no_grad():
        h = model.roberta(input_ids=ids, attention_mask=mask).last_hidden_state
    save_golden(out, {"input_ids": ids, "attention_mask": mask, "last_hidden_state": h})


def make_gpt2():
    torch.manual_seed(3)
    config = GPT2Config(
        vocab_size=VOCAB, n_positions=32, n_embd=HIDDEN, n_layer=LAYERS, n_head=HEADS,
        n_inner=None, activation_function="gelu_new", layer_norm_epsilon=1e-5,
        bos_token_id=VOCAB - 1, eos_token_id=VOCAB - 1, tie_word_embeddings=True,
    )
    model = GPT2LMHeadModel(config).eval()
    perturb(model, 13)
    out = save_model(model, "gpt2")
    ids, mask = ids_and_mask(VOCAB - 1, 0, None, [7, 4, 1], 7, 103)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits
    save_golden(out, {"input_ids": ids, "attention_mask": mask, "logits": logits})


def make_peft_adapter():
    from peft import LoraConfig, PeftModel, get_peft_model

    torch.manual_seed(4)
    base_dir = os.path.join(ROOT, "roberta")
    base = RobertaForSequenceClassification.from_pretrained(base_dir, num_labels=3).eval()
    config = LoraConfig(
        task_type="SEQ_CLS", r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["query", "value"],
        init_lora_weights=False,  # B is random too, so the adapter changes the logits
    )
    model = get_peft_model(base, config)
    with torch.no_grad():  # the saved head must differ from the base model's random init
        for name, p in model.named_parameters():
            if "modules_to_save" in name:
                p.add_(torch.randn_like(p) * 0.3)
    out = os.path.join(ROOT, "roberta_cls_lora")
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out)
    readme = os.path.join(out, "README.md")
    if os.path.exists(readme):
        os.remove(readme)
    cfg_path = os.path.join(out, "adapter_config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    cfg["base_model_name_or_path"] = "roberta"  # relative to tests/fixtures/hf, not this machine
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    # Goldens through a fresh load, as a user of PEFT would get them.
    fresh = RobertaForSequenceClassification.from_pretrained(base_dir, num_labels=3)
    loaded = PeftModel.from_pretrained(fresh, out).eval()
    ids, mask = ids_and_mask(1, 4, (0, 2), [8, 6, 3], 8, 104)
    with torch.no_grad():
        logits = loaded(input_ids=ids, attention_mask=mask).logits
        merged_check = model.eval()(input_ids=ids, attention_mask=mask).logits
    assert torch.allclose(logits, merged_check, atol=1e-6), "fresh PEFT load disagrees with saved model"
    save_golden(out, {"input_ids": ids, "attention_mask": mask, "logits": logits})


def main():
    os.makedirs(ROOT, exist_ok=True)
    make_bert()
    make_roberta()
    make_gpt2()
    make_peft_adapter()
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(ROOT) for f in fs)
    print(f"wrote {ROOT}: {total} bytes")
    if total > 2_000_000:
        sys.exit("fixtures exceed 2 MB")


if __name__ == "__main__":
    main()
