"""Golden values for lib/repro/stats.ts, computed by scipy (run: python tests/golden/make_stats_goldens.py)."""
import json
import pathlib
import numpy as np
from scipy import stats

rng = np.random.default_rng(20241126)
cases = []
for n in (3, 5, 8, 12):
    a = rng.normal(0.85, 0.02, n).round(4)
    b = (a - rng.normal(0.01, 0.015, n)).round(4)
    t = stats.ttest_rel(a, b)
    w = stats.wilcoxon(a, b, zero_method="wilcox", method="exact")
    cases.append({
        "a": a.tolist(), "b": b.tolist(),
        "median_a": float(np.median(a)), "std_a": float(np.std(a, ddof=1)),
        "t_p": float(t.pvalue), "wilcoxon_p": float(w.pvalue),
    })
out = pathlib.Path(__file__).with_name("stats_golden.json")
out.write_text(json.dumps({"generator": "scipy " + __import__("scipy").__version__, "cases": cases}, indent=1))
print("wrote", out)
