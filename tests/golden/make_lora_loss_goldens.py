"""Golden for tests/lora_peft_parity_test.ts: a PEFT LoRA layer and PyTorch's losses.

Run: deno task setup:python && .cache/python/bin/python tests/golden/make_lora_loss_goldens.py
Writes tests/golden/lora_loss.json (small): a PEFT-wrapped nn.Linear with non-zero lora_A (r, in)
and lora_B (out, r), its output and gradients (x, lora_A, lora_B) for L = Σ g·sin(y), its merged
weight, PEFT's scaling with and without rsLoRA; and cross-entropy (label smoothing, ignore_index),
R-Drop's bidirectional KL (F.kl_div, batchmean), HiddenCut's js_div and the Jensen-Shannon
divergence on fixed logits with gradients.
"""
import json
import pathlib

import torch
import torch.nn.functional as F
from peft import LoraConfig, get_peft_model

torch.manual_seed(0)
IN, OUT, R, ALPHA = 6, 4, 2, 3.0


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(IN, OUT)

    def forward(self, x):
        return self.lin(x)


def flat(t):
    return t.detach().flatten().tolist()


lora = {}
for rs in (False, True):
    net = Net()
    model = get_peft_model(net, LoraConfig(r=R, lora_alpha=ALPHA, target_modules=["lin"],
                                           lora_dropout=0.0, use_rslora=rs))
    layer = model.base_model.model.lin
    lora[f"scaling_rs_{str(rs).lower()}"] = float(layer.scaling["default"])
# The last model (rsLoRA) is used for the values.
with torch.no_grad():
    layer.lora_A["default"].weight.copy_(torch.randn(R, IN) * 0.5)
    layer.lora_B["default"].weight.copy_(torch.randn(OUT, R) * 0.5)
x = torch.randn(2, 3, IN, requires_grad=True)
g = torch.randn(2, 3, OUT)
model.train()
y = model(x)
(g * torch.sin(y)).sum().backward()
lora.update({
    "in": IN, "out": OUT, "r": R, "alpha": ALPHA, "rsLora": True,
    "baseWeight": flat(layer.base_layer.weight),  # (out, in), torch layout
    "baseBias": flat(layer.base_layer.bias),
    "loraA": flat(layer.lora_A["default"].weight),  # (r, in)
    "loraB": flat(layer.lora_B["default"].weight),  # (out, r)
    "x": flat(x), "g": flat(g), "y": flat(y),
    "dx": flat(x.grad),
    "dLoraA": flat(layer.lora_A["default"].weight.grad),  # (r, in)
    "dLoraB": flat(layer.lora_B["default"].weight.grad),  # (out, r)
})
merged = model.merge_and_unload()
lora["mergedWeight"] = flat(merged.lin.weight)  # (out, in)

N, C = 5, 4
a = (torch.randn(N, C) * 3).requires_grad_(True)
b = torch.randn(N, C) * 3
labels = torch.tensor([0, 3, 1, 2, 2])
ce = F.cross_entropy(a, labels, label_smoothing=0.1)
seq_logits = torch.randn(2, 3, C)
seq_labels = torch.tensor([[1, 2, -100], [0, -100, -100]])
ce_seq = F.cross_entropy(seq_logits.reshape(-1, C), seq_labels.reshape(-1), ignore_index=-100)
# R-Drop: F.kl_div(log p, q) = KL(q‖p); the second pass detached (one back-propagated branch).
kl = 0.5 * (F.kl_div(F.log_softmax(a, -1), F.softmax(b, -1), reduction="batchmean")
            + F.kl_div(F.log_softmax(b, -1), F.softmax(a, -1), reduction="batchmean"))
(dkl,) = torch.autograd.grad(kl, a)
pa, pb = F.softmax(a, -1), F.softmax(b, -1)
m = (pa + pb) / 2
# HiddenCut's released js_div(p, q): kl_div(p.log(), m) = KL(m‖p) for each pass.
js_hc = 0.5 * (F.kl_div(pa.log(), m, reduction="batchmean") + F.kl_div(pb.log(), m, reduction="batchmean"))
(djs_hc,) = torch.autograd.grad(js_hc, a, retain_graph=True)
# The Jensen-Shannon divergence: kl_div(m.log(), p) = KL(p‖m) for each pass.
js = 0.5 * (F.kl_div(m.log(), pa, reduction="batchmean") + F.kl_div(m.log(), pb, reduction="batchmean"))
(djs,) = torch.autograd.grad(js, a)
losses = {
    "n": N, "c": C, "a": flat(a), "b": flat(b), "labels": labels.tolist(),
    "crossEntropySmoothed": ce.item(),
    "seqLogits": flat(seq_logits), "seqLabels": seq_labels.flatten().tolist(),
    "crossEntropySeqIgnore": ce_seq.item(),
    "symmetricKl": kl.item(), "dSymmetricKl": flat(dkl),
    "jsHiddenCut": js_hc.item(), "dJsHiddenCut": flat(djs_hc),
    "jsDivergence": js.item(), "dJsDivergence": flat(djs),
}
out = pathlib.Path(__file__).with_name("lora_loss.json")
out.write_text(json.dumps({"torch": torch.__version__, "lora": lora, "losses": losses}, indent=1) + "\n")
print("wrote", out)
