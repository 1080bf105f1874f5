"""transformers side of the architecture-table test (tests/io_architectures_test.ts).

  distilbert_hidden.py DIR BATCH_JSON OUT_JSON

Saves a random tiny DistilBertModel (dim 8, 2 layers, 2 heads, FFN 16, vocab 30, 16 positions,
exact GELU, no dropout, torch seed 0) to DIR as config.json + model.safetensors, and writes its
last hidden states for the batch ({"input_ids": [[...]], "attention_mask": [[...]]}) to OUT_JSON
as {"shape": [B, T, D], "hidden": [...]}.

Needs torch, transformers and safetensors (`deno task setup:python` makes such a venv).
"""

import json
import sys

import torch
from transformers import DistilBertConfig, DistilBertModel


def main() -> None:
    out_dir, batch_path, out_path = sys.argv[1:4]
    torch.manual_seed(0)
    config = DistilBertConfig(
        vocab_size=30,
        dim=8,
        n_layers=2,
        n_heads=2,
        hidden_dim=16,
        max_position_embeddings=16,
        activation="gelu",
        pad_token_id=0,
        dropout=0.0,
        attention_dropout=0.0,
        sinusoidal_pos_embds=False,
    )
    model = DistilBertModel(config).eval()
    model.save_pretrained(out_dir, safe_serialization=True)
    with open(batch_path) as f:
        batch = json.load(f)
    with torch.no_grad():
        hidden = model(
            input_ids=torch.tensor(batch["input_ids"]),
            attention_mask=torch.tensor(batch["attention_mask"]),
        ).last_hidden_state
    with open(out_path, "w") as f:
        json.dump({"shape": list(hidden.shape), "hidden": hidden.flatten().tolist()}, f)


if __name__ == "__main__":
    main()
