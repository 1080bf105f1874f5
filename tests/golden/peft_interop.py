"""PEFT side of loradrop's adapter interop test (tests/adapters_peft_interop_test.ts).

  jobs  --jobs JSON   runs a list of {"mode", "kind", "base", "adapter", "batch", "out", "seed"}
        in one process (importing torch once), each as below.

  eval  --kind seqcls|causallm --base DIR --adapter DIR --batch JSON --out JSON
        Loads the base checkpoint with transformers, the adapter with PEFT, and writes the logits
        for the batch ({"input_ids": [[...]], "attention_mask": [[...]]}) as {"logits": [...]}.
  make  --kind seqcls|causallm --base DIR --adapter DIR --batch JSON --out JSON --seed N
        Creates a random PEFT LoRA adapter (q/v or c_attn, non-zero B, random head), saves it to
        --adapter, and writes its logits like eval.
  train --kind seqcls --base DIR --adapter DIR --batch JSON --out JSON --seed N
        Trains a fresh PEFT LoRA adapter (query/value, the head under modules_to_save) for a few
        AdamW steps on the batch's "labels", saves it to --adapter, and writes its logits.

Needs torch, transformers, peft and safetensors (`deno task setup:python` makes such a venv in
.cache/python/).
"""

import argparse
import json

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSequenceClassification


def load_base(kind, base, num_labels):
    if kind == "seqcls":
        return AutoModelForSequenceClassification.from_pretrained(base, num_labels=num_labels)
    return AutoModelForCausalLM.from_pretrained(base)


def logits_of(model, batch):
    ids = torch.tensor(batch["input_ids"], dtype=torch.long)
    mask = torch.tensor(batch["attention_mask"], dtype=torch.long)
    with torch.no_grad():
        return model.eval()(input_ids=ids, attention_mask=mask).logits


def num_labels_of(adapter):
    from safetensors import safe_open

    with safe_open(f"{adapter}/adapter_model.safetensors", "pt") as f:
        for key in f.keys():
            if key.endswith("classifier.weight") or key.endswith("classifier.out_proj.weight"):
                return f.get_slice(key).get_shape()[0]
    return 2


def run(mode, kind, base_dir, adapter, batch, out, seed=0, num_labels=3):
    if mode == "train":
        torch.manual_seed(seed)
        base = load_base(kind, base_dir, num_labels)
        config = LoraConfig(
            task_type="SEQ_CLS", r=4, lora_alpha=8, lora_dropout=0.0,
            target_modules=["query", "value"],
        )
        model = get_peft_model(base, config)
        model.train()
        # No dropout anywhere, so that the trained weights alone decide the logits.
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = 0.0
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
        ids = torch.tensor(batch["input_ids"], dtype=torch.long)
        mask = torch.tensor(batch["attention_mask"], dtype=torch.long)
        labels = torch.tensor(batch["labels"], dtype=torch.long)
        for _ in range(5):
            opt.zero_grad()
            model(input_ids=ids, attention_mask=mask, labels=labels).loss.backward()
            opt.step()
        model.save_pretrained(adapter)
    elif mode == "eval":
        base = load_base(kind, base_dir, num_labels_of(adapter) if kind == "seqcls" else 0)
        model = PeftModel.from_pretrained(base, adapter)
    else:
        torch.manual_seed(seed)
        base = load_base(kind, base_dir, num_labels)
        model_type = AutoConfig.from_pretrained(base_dir).model_type
        targets = ["c_attn"] if model_type == "gpt2" else ["query", "value"]
        config = LoraConfig(
            task_type="SEQ_CLS" if kind == "seqcls" else "CAUSAL_LM",
            r=4, lora_alpha=8, lora_dropout=0.0, target_modules=targets,
            init_lora_weights=False,  # non-zero B
        )
        model = get_peft_model(base, config)
        with torch.no_grad():
            for name, param in model.named_parameters():
                if "modules_to_save" in name:
                    param.add_(torch.randn_like(param) * 0.3)
        model.save_pretrained(adapter)
    logits = logits_of(model, batch)
    with open(out, "w") as f:
        json.dump({"shape": list(logits.shape), "logits": logits.flatten().tolist()}, f)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["eval", "make", "train", "jobs"])
    p.add_argument("--jobs")
    p.add_argument("--kind", choices=["seqcls", "causallm"])
    p.add_argument("--base")
    p.add_argument("--adapter")
    p.add_argument("--batch")
    p.add_argument("--out")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num-labels", type=int, default=3)
    args = p.parse_args()
    if args.mode == "jobs":
        with open(args.jobs) as f:
            jobs = json.load(f)
        for job in jobs:
            run(job["mode"], job["kind"], job["base"], job["adapter"], job["batch"], job["out"],
                job.get("seed", 0))
        return
    with open(args.batch) as f:
        batch = json.load(f)
    run(args.mode, args.kind, args.base, args.adapter, batch, args.out, args.seed, args.num_labels)


if __name__ == "__main__":
    main()
