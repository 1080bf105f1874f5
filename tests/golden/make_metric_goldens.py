"""Writes tests/golden/metrics.json: NLU metric values computed by scipy and scikit-learn.

The TypeScript metrics in lib/metrics/ are checked against these values
(tests/metrics_golden_test.ts). Inputs are drawn with a fixed numpy seed, so the file is
reproducible:

    deno task setup:python && .cache/python/bin/python tests/golden/make_metric_goldens.py
"""

import json
import pathlib
import warnings

import numpy as np
import scipy
import sklearn
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

warnings.filterwarnings("ignore")  # sklearn warns on single-label inputs; values are what we want
rng = np.random.default_rng(20240601)
cases = []


def classification(name, preds, refs):
    preds = [int(v) for v in preds]
    refs = [int(v) for v in refs]
    case = {
        "name": name,
        "kind": "classification",
        "predictions": preds,
        "references": refs,
        "accuracy": float(accuracy_score(refs, preds)),
        "mcc": float(matthews_corrcoef(refs, preds)),
    }
    if set(preds) <= {0, 1} and set(refs) <= {0, 1}:
        case["f1"] = float(f1_score(refs, preds, pos_label=1, average="binary", zero_division=0))
    cases.append(case)


def regression(name, preds, refs):
    preds = [float(v) for v in preds]
    refs = [float(v) for v in refs]
    cases.append({
        "name": name,
        "kind": "regression",
        "predictions": preds,
        "references": refs,
        "pearson": float(pearsonr(preds, refs)[0]),
        "spearman": float(spearmanr(preds, refs)[0]),
    })


for i in range(4):
    n = int(rng.integers(8, 60))
    refs = rng.integers(0, 2, n)
    flip = rng.random(n) < rng.uniform(0.1, 0.5)
    classification(f"binary-{i}", np.where(flip, 1 - refs, refs), refs)
classification("binary-all-negative-predictions", [0] * 10, [0, 1] * 5)
classification("binary-all-positive-predictions", [1] * 9, [1, 0, 0, 1, 1, 0, 1, 1, 0])
classification("binary-no-positives-anywhere", [0] * 6, [0] * 6)
classification("binary-anticorrelated", [1, 0, 1, 0, 1], [0, 1, 0, 1, 0])
for i in range(2):
    n = int(rng.integers(20, 80))
    refs = rng.integers(0, 3, n)
    noise = rng.integers(0, 3, n)
    classification(f"three-class-{i}", np.where(rng.random(n) < 0.4, noise, refs), refs)

for i in range(3):
    n = int(rng.integers(10, 60))
    refs = rng.uniform(0, 5, n)
    regression(f"continuous-{i}", refs + rng.normal(0, rng.uniform(0.3, 3), n), refs)
# Ties: STS-B references are multiples of 0.2, and rounded predictions tie too.
refs = np.round(rng.uniform(0, 5, 40) * 5) / 5
regression("ties-stsb-style", np.round(refs + rng.normal(0, 1, 40)), refs)
regression("ties-heavy", rng.integers(0, 3, 25), rng.integers(0, 4, 25))
regression("large-offset", 1e6 + rng.normal(0, 1, 30), rng.normal(0, 1, 30))

out = {
    "generator": "tests/golden/make_metric_goldens.py",
    "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__},
    "cases": cases,
}
path = pathlib.Path(__file__).with_name("metrics.json")
# One case per line keeps the file small and its diffs readable.
body = ",\n  ".join(json.dumps(c) for c in cases)
head = json.dumps({k: v for k, v in out.items() if k != "cases"})[:-1]
path.write_text(f'{head},\n "cases": [\n  {body}\n ]\n}}\n')
print(f"wrote {len(cases)} cases to {path}")
