"""Writes tests/golden/nlg_metrics.json: NLG metric values from sacrebleu and nltk.

The TypeScript metrics in lib/nlg/metrics/ are checked against these values
(tests/nlg_metrics_golden_test.ts): corpus BLEU and TER from sacrebleu, corpus NIST and
METEOR from nltk. Corpora are E2E/WebNLG-like sentences perturbed with a fixed numpy seed
(word drops, substitutions, swaps, block moves, case and punctuation changes), so the file
is reproducible:

    python3 -m venv .cache/nlg-venv && .cache/nlg-venv/bin/pip install sacrebleu nltk numpy
    .cache/nlg-venv/bin/python tests/golden/make_nlg_goldens.py

nltk's METEOR is run with an identity stemmer and an empty WordNet (exact matching, as the
TypeScript default), and once more with a toy stemmer (strip a final "s") and a toy synonym
table, which the TypeScript test passes as `stem`/`synonyms` too.
"""

import json
import pathlib

import nltk
import numpy as np
import sacrebleu
from nltk.stem.porter import PorterStemmer
from nltk.translate.meteor_score import meteor_score
from nltk.translate.nist_score import corpus_nist
from sacrebleu.metrics import BLEU, TER
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

rng = np.random.default_rng(20240715)

BASE = [
    "The Eagle is a coffee shop near Burger King in the city centre.",
    "Near Burger King, The Eagle coffee shop serves cheap Japanese food.",
    "Aromi is a family-friendly pub with a customer rating of 5 out of 5.",
    "The Vaults, a pub near Café Adriatic, has prices of more than £30.",
    "Fitzbillies is an Italian restaurant in riverside; it isn't kid friendly.",
    "Green Man serves French food at £20-25 and is rated 3 out of 5.",
    "Alimentum is a moderately priced English restaurant near Yippee Noodle Bar.",
    "Cotto is a coffee shop with low ratings, serving fast food by the river.",
    "Aarhus Airport serves the city of Aarhus, Denmark and has a runway length of 2,776.0.",
    "Buzz Aldrin was born in Glen Ridge, New Jersey and was a crew member of Apollo 11.",
    "The Acharya Institute of Technology is in Bangalore, India, and was established in 2000.",
    "Ajoblanco is a food found in Spain; its main ingredients are bread, almonds and garlic.",
]
VOCAB = sorted(set(" ".join(BASE).replace(".", " ").replace(",", " ").split())) + [
    "very", "nice", "place", "(", ")", '"', "isn't", "3.5", "-", ";",
]


def perturb(sentence, strength):
    words = sentence.split()
    out = list(words)
    for _ in range(int(rng.integers(0, strength + 1))):
        kind = rng.integers(0, 6)
        if not out:
            break
        i = int(rng.integers(0, len(out)))
        if kind == 0 and len(out) > 2:
            del out[i]
        elif kind == 1:
            out[i] = str(rng.choice(VOCAB))
        elif kind == 2 and len(out) > 1:
            j = int(rng.integers(0, len(out)))
            out[i], out[j] = out[j], out[i]
        elif kind == 3 and len(out) > 4:  # block move
            n = int(rng.integers(1, 4))
            block = out[i:i + n]
            rest = out[:i] + out[i + n:]
            k = int(rng.integers(0, len(rest) + 1))
            out = rest[:k] + block + rest[k:]
        elif kind == 4:
            out[i] = out[i].upper() if rng.random() < 0.5 else out[i].lower()
        else:
            out.insert(i, str(rng.choice(VOCAB)))
    return " ".join(out)


def corpus(n, strength, max_refs, fixed_refs=None):
    hyps, refs = [], []
    for _ in range(n):
        base = BASE[int(rng.integers(0, len(BASE)))]
        k = fixed_refs or int(rng.integers(1, max_refs + 1))
        refs.append([perturb(base, 2) for _ in range(k)])
        hyps.append(perturb(base, strength))
    return hyps, refs


tok13a = Tokenizer13a()


def tokens(s, lowercase):
    return tok13a(s.lower() if lowercase else s).split()


class IdentityStemmer:
    def stem(self, w):
        return w


class NoWordNet:
    def synsets(self, w):
        return []


class ToyStemmer:
    def stem(self, w):
        return w[:-1] if len(w) > 3 and w.endswith("s") else w


TOY_SYNONYMS = {"cheap": ["inexpensive", "low-cost"], "near": ["close", "by"],
                "restaurant": ["eatery"], "food": ["cuisine", "dishes"], "city": ["town"]}


class _Lemma:
    def __init__(self, n):
        self._n = n

    def name(self):
        return self._n


class _Synset:
    def __init__(self, names):
        self._names = names

    def lemmas(self):
        return [_Lemma(n) for n in self._names]


class ToyWordNet:
    def synsets(self, w):
        return [_Synset(TOY_SYNONYMS[w])] if w in TOY_SYNONYMS else []


def case(name, hyps, refs):
    max_refs = max(len(r) for r in refs)
    # sacrebleu wants reference streams; pad missing references with None (allowed).
    streams = [[r[k] if k < len(r) else None for r in refs] for k in range(max_refs)]
    out = {"name": name, "hypotheses": hyps, "references": refs}
    out["bleu_13a_lc"] = BLEU(tokenize="13a", lowercase=True).corpus_score(hyps, streams).score
    out["bleu_13a"] = BLEU(tokenize="13a", lowercase=False).corpus_score(hyps, streams).score
    out["bleu_none"] = BLEU(tokenize="none", lowercase=False).corpus_score(hyps, streams).score
    b = BLEU(tokenize="13a", lowercase=True).corpus_score(hyps, streams)
    out["bleu_13a_lc_precisions"] = list(b.precisions)
    out["bleu_13a_lc_bp"] = b.bp
    out["bleu_13a_lc_sys_len"] = b.sys_len
    out["bleu_13a_lc_ref_len"] = b.ref_len
    ter = TER().corpus_score(hyps, streams)
    out["ter"] = ter.score
    out["ter_segments"] = [
        TER().sentence_score(h, r).score for h, r in zip(hyps, refs)
    ]
    tok_h = [tokens(h, True) for h in hyps]
    tok_r = [[tokens(x, True) for x in r] for r in refs]
    out["nist_nltk_13a_lc"] = corpus_nist(tok_r, tok_h, n=5)
    out["meteor_exact_13a_lc"] = float(np.mean([
        meteor_score(r, h, stemmer=IdentityStemmer(), wordnet=NoWordNet())
        for h, r in zip(tok_h, tok_r)
    ]))
    out["meteor_porter_13a_lc"] = float(np.mean([
        meteor_score(r, h, stemmer=PorterStemmer(), wordnet=NoWordNet())
        for h, r in zip(tok_h, tok_r)
    ]))
    out["meteor_toy_13a_lc"] = float(np.mean([
        meteor_score(r, h, stemmer=ToyStemmer(), wordnet=ToyWordNet())
        for h, r in zip(tok_h, tok_r)
    ]))
    return out


cases = []
for name, (n, strength, max_refs, fixed) in {
    "light-multi-ref": (24, 2, 4, None),
    "heavy-multi-ref": (24, 6, 3, None),
    "single-ref": (20, 4, 1, 1),
    "reordered": (16, 8, 2, None),
}.items():
    h, r = corpus(n, strength, max_refs, fixed)
    cases.append(case(name, h, r))

# Long outputs (three base sentences joined, 40-60 words) exercise TER's beam (width 25 around
# the diagonal) and its limit of 1000 shift candidates.
long_h, long_r = [], []
for _ in range(6):
    picks = [BASE[int(rng.integers(0, len(BASE)))] for _ in range(3)]
    text = " ".join(picks)
    long_r.append([perturb(text, 3), perturb(" ".join(reversed(picks)), 2)])
    long_h.append(perturb(text, 14))
cases.append(case("long", long_h, long_r))

# TER's limits proper: a hypothesis equal to the tail of a much longer reference (the optimal
# path leaves the beam), the reverse, and ~90-word shuffles with many repeated words (more than
# 1000 shift candidates).
ref_long = " ".join(BASE[:7])
tail = " ".join(ref_long.split()[-30:])
very_h, very_r = [tail, ref_long], [[ref_long], [tail]]
for _ in range(3):
    picks = [BASE[int(rng.integers(0, len(BASE)))] for _ in range(7)]
    order = list(rng.permutation(len(picks)))
    very_h.append(perturb(" ".join(picks[k] for k in order), 6))
    very_r.append([" ".join(picks)])
cases.append(case("very-long", very_h, very_r))

# Hand-picked edge cases: short hypotheses (fewer n-grams than the order), exact copies, a
# hypothesis sharing nothing with its references.
cases.append(case(
    "edges",
    ["The Eagle is cheap.", "Aromi", "zzz qqq", "Near Burger King, The Eagle coffee shop serves cheap Japanese food."],
    [["The Eagle is a cheap pub."], ["Aromi is a pub.", "Aromi pub"], ["The Vaults is a pub."],
     ["Near Burger King, The Eagle coffee shop serves cheap Japanese food."]],
))

# Words that only the stem and synonym stages can match (plurals, toy synonyms), in crossing
# orders so that the alignment choice changes the chunk count.
cases.append(case(
    "meteor-stages",
    ["The inexpensive eatery is close to the towns and serves cuisine.",
     "Restaurants near the city serve cheap dishes, near the rivers.",
     "An eatery by the river: food is cheap and the food is good."],
    [["The cheap restaurant is near the town and serves food.", "A cheap restaurant near town."],
     ["The restaurant near the town serves inexpensive food by the river."],
     ["A restaurant near the river; cheap food, good food.", "The food is cheap near the river."]],
))

# Porter stems (nltk's default NLTK_EXTENSIONS mode): the paper's examples of every step, nltk's
# irregular forms and extensions, and every word of the corpora above.
STEM_WORDS = sorted(set("""
caresses ponies ties caress cats flies dies feed agreed plastered bled motoring sing conflated
troubled sized hopping tanned falling hissing fizzed failing filing happy sky skies enjoy spy fly
relational conditional rational valenci hesitanci digitizer conformabli radicalli differentli
vileli analogousli vietnamization predication operator feudalism decisiveness hopefulness
callousness formaliti sensitiviti sensibiliti triplicate formative formalize electriciti electrical
hopeful goodness revival allowance inference airliner gyroscopic adjustable defensible irritant
replacement adjustment dependent adoption homologou communism activate angulariti homologous
effective bowdlerize probate rate cease controll roll dying lying tying news innings outings
cannings howe proceed exceed succeed syzygy yyyy toy analogy archaeology fully generally is as a
by eed spied tried died cried generalizations oscillators fullness hopelessness ago agrees
constructor __proto__ prototype toString sky's hopefully carefully beautifully possibly sensibly terribly
""".split()) | {w.lower() for c in cases for s in [c["hypotheses"], *c["references"]]
                for x in (s if isinstance(s, list) else [s]) for w in tokens(x, True)})
porter = PorterStemmer()

out = {
    "generator": "tests/golden/make_nlg_goldens.py",
    "versions": {"sacrebleu": sacrebleu.__version__, "nltk": nltk.__version__, "numpy": np.__version__},
    "toy_synonyms": TOY_SYNONYMS,
    "cases": cases,
    "porter_stems": {w: porter.stem(w) for w in STEM_WORDS},
}
path = pathlib.Path(__file__).parent / "nlg_metrics.json"
path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
print(f"wrote {path} ({path.stat().st_size} bytes, {len(cases)} cases)")
