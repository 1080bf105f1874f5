"""PyTorch + PEFT peer of loradrop's training-step benchmark (`deno task bench:peer`).

The same shapes as loradrop's default model, USE-lite, with random frozen weights (the shapes and
FLOPs are what matter, not the values):

- token embedding (8002, 256), scaled by 2, plus the sinusoid timing signal;
- layer 0: pre-LN, q/k/v 256 -> 4 x 64, o 256 -> 512, a residual projection 256 -> 512,
  FFN 512 -> 1536 -> 512 (ReLU);
- layer 1: pre-LN, q/k/v 512 -> 4 x 128, o 512 -> 512, FFN 512 -> 1536 -> 512;
- mean pooling over real tokens, a 2-class linear head.

PEFT LoRA r = 8, alpha = 16 on the separate q and v projections; the head is trainable
(`modules_to_save`). One step = forward, cross-entropy (+ the KL term for HiddenKey), backward,
clipping to global norm 1, AdamW — what loradrop's `trainStep` does.

Methods (drop rate 0.1 unless --rate), written here as loradrop defines them:
- baseline: no dropout;
- dropKey-column: whole keys dropped per example and head (mask (B, H, 1, Tk)) by adding -1e9 to
  the logits before the softmax; a row whose every key is dropped keeps its logits;
- dropAttention-element: element mask on the softmax weights, renormalised by a detached sum
  (the paper's NoGrad normaliser); a fully dropped row keeps its weights;
- hiddenCut-element: element dropout with 1/(1-p) rescaling on each FFN output;
- hiddenKey-minus: dropKey-column + hiddenCut-element;
- hiddenKey: hiddenKey-minus with a second pass under no_grad and the symmetric KL
  (1/2)(KL(p1||p2) + KL(p2||p1)) with weight 1 against it.

Prints one JSON object per (threads, method) on stdout, and a header object first.

    python bench/peer/pytorch_step.py --threads 2,1 --steps 20 --warmup 3
"""

import argparse
import json
import math
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import peft
    from peft import LoraConfig, get_peft_model
except ImportError as error:  # the caller turns this into a skip message
    print(json.dumps({"skip": f"torch/peft not importable: {error}"}))
    sys.exit(3)

METHODS = [
    "baseline",
    "dropKey-column",
    "dropAttention-element",
    "hiddenCut-element",
    "hiddenKey-minus",
    "hiddenKey",
]
DROPS = {
    "baseline": set(),
    "dropKey-column": {"dropKey"},
    "dropAttention-element": {"dropAttention"},
    "hiddenCut-element": {"hiddenCut"},
    "hiddenKey-minus": {"dropKey", "hiddenCut"},
    "hiddenKey": {"dropKey", "hiddenCut"},
}
NEG = -1e9


class Layer(nn.Module):
    def __init__(self, d_in, d_out, heads, head_dim, ffn):
        super().__init__()
        inner = heads * head_dim
        self.heads, self.head_dim = heads, head_dim
        self.ln1 = nn.LayerNorm(d_in)
        self.q = nn.Linear(d_in, inner)
        self.k = nn.Linear(d_in, inner)
        self.v = nn.Linear(d_in, inner)
        self.o = nn.Linear(inner, d_out)
        self.residual = nn.Linear(d_in, d_out) if d_in != d_out else None
        self.ln2 = nn.LayerNorm(d_out)
        self.ffn_in = nn.Linear(d_out, ffn)
        self.ffn_out = nn.Linear(ffn, d_out)

    def forward(self, x, pad_bias, drops, rate):
        b, t, _ = x.shape
        h_, hd = self.heads, self.head_dim
        y = self.ln1(x)
        q = self.q(y).view(b, t, h_, hd).transpose(1, 2)  # (B, H, T, hd)
        k = self.k(y).view(b, t, h_, hd).transpose(1, 2)  # (B, H, T, hd)
        v = self.v(y).view(b, t, h_, hd).transpose(1, 2)  # (B, H, T, hd)
        logits = (q * (1.0 / math.sqrt(hd))) @ k.transpose(-1, -2) + pad_bias  # (B, H, T, T)
        if "dropKey" in drops:
            keep = (torch.rand(b, h_, 1, t) >= rate).to(logits.dtype)  # (B, H, 1, Tk)
            bias = (1.0 - keep) * NEG
            all_dropped = ((logits + bias).amax(-1, keepdim=True) < NEG / 2).to(logits.dtype)
            logits = logits + bias * (1.0 - all_dropped)
        w = torch.softmax(logits, -1)  # (B, H, T, T)
        if "dropAttention" in drops:
            keep = (torch.rand(w.shape) >= rate).to(w.dtype)
            kept = w * keep
            denom = kept.sum(-1, keepdim=True).detach()
            empty = (denom == 0).to(w.dtype)
            w = kept / (denom + empty) * (1.0 - empty) + w * empty
        a = (w @ v).transpose(1, 2).reshape(b, t, h_ * hd)  # (B, T, inner)
        h = (self.residual(x) if self.residual is not None else x) + self.o(a)
        f = self.ffn_out(F.relu(self.ffn_in(self.ln2(h))))
        if "hiddenCut" in drops:
            f = F.dropout(f, rate, training=True)
        return h + f


class UseLiteShaped(nn.Module):
    """USE-lite's shapes with random weights."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(8002, 256)
        inv = torch.exp(-math.log(1e4) * torch.arange(128, dtype=torch.float32) / 127)
        self.register_buffer("inv_freq", inv)
        self.layers = nn.ModuleList([
            Layer(256, 512, 4, 64, 1536),
            Layer(512, 512, 4, 128, 1536),
        ])
        self.head = nn.Linear(512, 2)

    def forward(self, ids, mask, drops=frozenset(), rate=0.0):
        t = ids.shape[1]
        angles = torch.arange(t, dtype=torch.float32)[:, None] * self.inv_freq[None, :]
        x = self.embedding(ids) * 2 + torch.cat([angles.sin(), angles.cos()], -1)  # (B, T, 256)
        pad_bias = ((1.0 - mask) * NEG)[:, None, None, :]  # (B, 1, 1, T)
        for layer in self.layers:
            x = layer(x, pad_bias, drops, rate)
        m = mask[:, :, None]  # (B, T, 1)
        pooled = (x * m).sum(1) / m.sum(1).clamp_min(1.0)  # (B, 512)
        return self.head(pooled)


def build(seed):
    torch.manual_seed(seed)
    base = UseLiteShaped()
    config = LoraConfig(
        r=8, lora_alpha=16, lora_dropout=0.0, target_modules=["q", "v"], modules_to_save=["head"]
    )
    model = get_peft_model(base, config)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    return model, trainable


def symmetric_kl(logits1, logits2):
    lp1, lp2 = F.log_softmax(logits1, -1), F.log_softmax(logits2, -1)
    p1, p2 = lp1.exp(), lp2.exp()
    return 0.5 * ((p1 * (lp1 - lp2)).sum(-1) + (p2 * (lp2 - lp1)).sum(-1)).mean()


def make_step(model, trainable, opt, method, rate):
    drops = frozenset(DROPS[method])
    consistency = method == "hiddenKey"

    def step(ids, mask, labels):
        target = None
        if consistency:
            with torch.no_grad():  # the second pass is a constant target (one branch)
                target = model(ids, mask, drops, rate)
        logits = model(ids, mask, drops, rate)
        loss = F.cross_entropy(logits, labels)
        if target is not None:
            loss = loss + 1.0 * symmetric_kl(logits, target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        return loss.item()

    return step


def bench(threads, method, args):
    torch.set_num_threads(threads)
    model, trainable = build(args.seed)
    opt = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.01)
    gen = torch.Generator().manual_seed(args.seed + 1)
    ids = torch.randint(3, 8002, (args.batch, args.seq), generator=gen)
    mask = torch.ones(args.batch, args.seq)
    labels = torch.randint(0, 2, (args.batch,), generator=gen)
    step = make_step(model, trainable, opt, method, args.rate)
    for _ in range(args.warmup):
        step(ids, mask, labels)
    times, cpu_times = [], []
    loss = float("nan")
    for _ in range(args.steps):
        c0, t0 = time.process_time(), time.perf_counter()
        loss = step(ids, mask, labels)
        times.append((time.perf_counter() - t0) * 1000)
        cpu_times.append((time.process_time() - c0) * 1000)
    med = statistics.median(times)
    return {
        "threads": threads,
        "method": method,
        "median_ms": med,
        "min_ms": min(times),
        "cpu_ms": statistics.median(cpu_times),  # process CPU time, summed over threads
        "steps": args.steps,
        "tokens_per_s": args.batch * args.seq / (med / 1000),
        "last_loss": loss,
        "trainable_params": sum(p.numel() for p in trainable),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", default="2,1", help="comma-separated torch thread counts")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    methods = [m for m in args.methods.split(",") if m]
    unknown = [m for m in methods if m not in DROPS]
    if unknown:
        parser.error(f"unknown method {unknown[0]!r} (expected one of {', '.join(METHODS)})")
    if args.steps < 1 or args.warmup < 0 or not 0 <= args.rate < 1:
        parser.error("--steps must be >= 1, --warmup >= 0 and --rate in [0, 1)")
    torch.set_num_interop_threads(1)
    print(json.dumps({
        "header": True,
        "torch": torch.__version__,
        "peft": peft.__version__,
        "batch": args.batch,
        "seq": args.seq,
        "rate": args.rate,
    }), flush=True)
    for threads in [int(t) for t in args.threads.split(",") if t]:
        for method in methods:
            print(json.dumps(bench(threads, method, args)), flush=True)


if __name__ == "__main__":
    main()
