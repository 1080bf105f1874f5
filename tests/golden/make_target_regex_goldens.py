"""Goldens for loradrop's linear-time target_modules matcher (tests/adapters_target_regex_test.ts).

For every pattern, the module names that Python's re.fullmatch (what PEFT calls) selects.
Patterns that make re backtrack for ever (e.g. "(.*.*.*)*X") are left out: the test checks
those separately. Run: python3 tests/golden/make_target_regex_goldens.py
"""

import json
import os
import re

NAMES = [
    "roberta.encoder.layer.0.attention.self.query",
    "encoder.layer.11.output.dense",
    "encoder.layer.11.attention.output.dense",
    "h.3.attn.c_attn",
    "a{2}",
    "x-y]",
    "query",
    "",
]

PATTERNS = [
    r".*\.(query|value)",
    r".*layer\.\d+\.output\.dense",
    r"(?:.*\.)?query",
    r".*layer\.[0-9]{1,2}\..*",
    r".*layer\.[0-9]{2,}\..*",
    r".*layer\.[0-9]{,1}\..*",
    r"h\.\d\.attn\.c_(attn|proj)",
    r"h\.\D\.attn.*",
    r"a{2}",
    r"a\{2\}",
    r"a{2",
    r"[^.]*",
    r"x[-a]y\]",
    r"[\w.]+",
    r"\S+dense",
    r"\W*",
    r".*query$",
    r"^query",
    r"(a|)*query",
    r".*?attention.*?",
    r"q?u+e{1,}ry",
    r"[a-c]{0,3}",
    r"(?P<module>query|key)",
    r"(encoder|decoder)\.layer\.(1[01]|[0-9])\.(attention\.)?output\.dense",
]


def main():
    cases = [{"pattern": p, "matches": [n for n in NAMES if re.fullmatch(p, n)]} for p in PATTERNS]
    out = os.path.join(os.path.dirname(__file__), "target_regex.json")
    with open(out, "w") as f:
        json.dump({"names": NAMES, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
