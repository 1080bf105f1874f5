"""Golden for tests/train_optim_test.ts: PyTorch AdamW + clip_grad_norm_ + linear warm-up/decay.

Run: deno task setup:python && .cache/python/bin/python tests/golden/make_adamw.py
Writes tests/golden/adamw.json: the initial parameters, the gradient fed at every step (fixed
numbers, so the test checks only the optimiser), the learning rate of every step and the
parameters after every step.
"""
import json
import math
import pathlib

import torch

torch.manual_seed(0)
steps, warmup, peak = 6, 2, 0.05
w = torch.nn.Parameter(torch.randn(3, 2))
bias = torch.nn.Parameter(torch.randn(2))
init = {"w": w.detach().flatten().tolist(), "bias": bias.detach().flatten().tolist()}
opt = torch.optim.AdamW(
    [{"params": [w], "weight_decay": 0.1}, {"params": [bias], "weight_decay": 0.0}],
    lr=peak, betas=(0.9, 0.999), eps=1e-8,
)


def lr_lambda(step):
    if step < warmup:
        return step / max(1, warmup)
    return max(0.0, (steps - step) / max(1, steps - warmup))


sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
records = []
for step in range(steps):
    # Large gradients on some steps so that clipping at 1.0 is active there.
    scale = 3.0 if step % 2 == 0 else 0.2
    gw = torch.randn(3, 2) * scale
    gb = torch.randn(2) * scale
    w.grad, bias.grad = gw.clone(), gb.clone()
    lr = opt.param_groups[0]["lr"]
    norm = torch.nn.utils.clip_grad_norm_([w, bias], 1.0)
    opt.step()
    sched.step()
    records.append({
        "grads": {"w": gw.flatten().tolist(), "bias": gb.flatten().tolist()},
        "lr": lr,
        "norm": float(norm),
        "params": {"w": w.detach().flatten().tolist(), "bias": bias.detach().flatten().tolist()},
    })
out = {"steps": steps, "warmup": warmup, "peak": peak, "weightDecay": 0.1, "maxNorm": 1.0,
       "shapes": {"w": [3, 2], "bias": [2]}, "init": init, "records": records}
path = pathlib.Path(__file__).with_name("adamw.json")
path.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", path)
