"""Trained lecture presets: small networks trained in this package, from a fixed seed, on generated tasks.

No weight files: each preset is the result of `rnnviz.train` on data made by a generator below, so a test
can retrain it and check the property the lecture claims. Each preset is computed once per process
(functools.cache) and is immutable.

- riya_lstm():   an LSTM trained on generated biographies ("riya lives in delhi … last year riya moved to
                 london …") to answer "does Riya live in India now?" (the label is the group of the LAST city
                 mentioned). At the second city word of the lecture's text the forget gate of the units that
                 hold the city drops, while it stays open on the other words.
- riya_gru():    the same task for a GRU: its update gate z keeps the past on the words between the two cities
                 and replaces it at the new one (rnnviz, PyTorch and Keras write h = (1 − z)·h̃ + z·h_{t−1}).
The long-term dependency preset (the lecture's "Maharashtra is a beautiful place … I do not understand
[Marathi]", a sentence whose label is set by its FIRST word) is the long-dependency experiment of
rnnviz.longdep, whose words and sentence are defined here.

Generators of labelled corpora for the Train page live here too: the lecture's three reviews, cat/mat/rat,
and a larger generated sentiment set.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .cells import GRU, LSTM, Trace, _Cell
from .text import Vocabulary, one_hot_ids, tokenize
from .train import History, SigmoidHead, TrainConfig, evaluate, train

# --------------------------------------------------------------------------------------------------------
# Labelled corpora (sentence, label)
# --------------------------------------------------------------------------------------------------------

REVIEWS: tuple[tuple[str, int], ...] = (
    ("movie was good", 1), ("movie was bad", 0), ("movie was not good", 0))
CAT_MAT_RAT: tuple[tuple[str, int], ...] = (("cat mat rat", 1), ("rat rat rat", 1), ("mat mat cat", 0))

_SUBJECTS = ("the movie", "the film", "the story", "the acting", "the music", "the ending")
_GOOD = ("good", "great", "fun", "brilliant", "lovely")
_BAD = ("bad", "boring", "awful", "dull", "terrible")
_VERY = ("", "", "really", "very", "so")


def sentiment_set(n: int = 60, seed: int = 0) -> tuple[tuple[str, int], ...]:
    """n generated reviews such as "the film was not really boring" (1) or "the music was great but the
    ending was dull" (0): the label is the sentiment of the last clause, which "not" flips."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    rng = np.random.default_rng([seed, 12])

    def clause() -> tuple[str, int]:
        good = bool(rng.random() < 0.5)
        neg = bool(rng.random() < 0.3)
        adj = (_GOOD if good else _BAD)[rng.integers(5)]
        words = [_SUBJECTS[rng.integers(len(_SUBJECTS))], "was", "not" if neg else "",
                 _VERY[rng.integers(len(_VERY))], adj]
        return " ".join(w for w in words if w), int(good != neg)

    out = []
    for _ in range(n):
        text, label = clause()
        if rng.random() < 0.35:  # "… but <clause>": the second clause decides
            second, label = clause()
            text = f"{text} but {second}"
        out.append((text, label))
    return tuple(out)


# --------------------------------------------------------------------------------------------------------
# Riya / Delhi / London: generated biographies
# --------------------------------------------------------------------------------------------------------

INDIA = ("delhi", "mumbai", "pune", "chennai")
ABROAD = ("london", "paris", "tokyo", "berlin")
_JOBS = ("doctor", "teacher", "engineer", "nurse")
_PLACES = (("hospital",), ("school",), ("bank",), ("research", "lab"))
BIO_WORDS = ("riya", "she", "is", "a", "lives", "in", "moved", "to", "works", "at", "now", "last", "year",
             *INDIA, *ABROAD, *_JOBS, *(w for p in _PLACES for w in p))
RIYA_TEXT = ("Riya is a doctor. She lives in Delhi. She works at a hospital. Last year, Riya moved to "
             "London. Now she works at a research lab")
RIYA_GRU_TEXT = "Riya lives in Delhi. She works at a hospital. Last year, Riya moved to London"


def biographies(n: int, seed: int, p_india: float = 0.5, max_cities: int = 4,
                max_fillers: int = 2) -> tuple[tuple[tuple[str, ...], int], ...]:
    """n generated biographies (tokens, label): 1..max_cities clauses "… lives in / moved to <city>", each
    followed by up to max_fillers clauses without a city ("she works at a hospital", "riya moved to a
    school"), so the words before a city do not announce it. Label 1 when the LAST city is in India.
    Each city is Indian with probability p_india."""
    rng = np.random.default_rng([seed, 13])

    def clause(kind: str, city: str | None = None) -> list[str]:
        who = ["riya"] if rng.random() < 0.4 else ["she"]
        r = rng.random()
        pre = ["now"] if r < 0.15 else ["last", "year"] if r < 0.27 else []
        place = ["a", *_PLACES[rng.integers(len(_PLACES))]]
        if kind == "job":
            return [*pre, *who, "is", "a", _JOBS[rng.integers(len(_JOBS))]]
        if kind == "work":
            return [*pre, *who, "works", ("at", "in")[rng.integers(2)], *place]
        verb = (["lives", "in"], ["moved", "to"])[rng.integers(2)]
        return [*pre, *who, *verb, *([city] if city else place)]

    out = []
    for _ in range(n):
        cities = [(INDIA if rng.random() < p_india else ABROAD)[rng.integers(4)]
                  for _ in range(rng.integers(1, max_cities + 1))]
        toks = clause("job") if rng.random() < 0.3 else []
        for city in cities:
            toks += clause("move", city)
            for _ in range(rng.integers(0, max_fillers + 1)):
                toks += clause(("work", "job", "move")[rng.integers(3)])
        out.append((tuple(toks), int(cities[-1] in INDIA)))
    return tuple(out)


# --------------------------------------------------------------------------------------------------------
# Long-term dependency: Maharashtra … Marathi (the task of rnnviz.longdep)
# --------------------------------------------------------------------------------------------------------

MARATHI_PLACES = ("maharashtra", "mumbai", "pune")  # where the missing last word is "Marathi": label 1
OTHER_PLACES = ("punjab", "kerala", "gujarat")  # label 0
LONG_FILLER = tuple(tokenize("is a beautiful place i went there last year but i could not enjoy because i do "
                             "not understand"))
MAHARASHTRA_TEXT = ("Maharashtra is a beautiful place. I went there last year, but I could not enjoy because "
                    "I do not understand")


# --------------------------------------------------------------------------------------------------------
# Presets
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TrainedPreset:
    """A trained cell and head, the vocabulary they read, the sentence the lecture shows, and in words what
    was trained on what."""

    key: str
    title: str
    cell: _Cell
    head: SigmoidHead
    vocab: Vocabulary
    text: str  # the lecture's sentence (goes into the corpus box)
    about: str  # what was trained, on what, how well
    history: History
    test_accuracy: float

    def encode(self, text: str) -> np.ndarray:
        """One-hot (T, V) of a text in this preset's vocabulary (ValueError for an unknown word)."""
        return one_hot_ids(self.vocab.encode(text), len(self.vocab))

    def trace(self, text: str | None = None) -> Trace:
        return self.cell.forward(self.encode(self.text if text is None else text))


def _encode_all(data, vocab: Vocabulary) -> tuple[list[np.ndarray], list[int]]:
    index, V = vocab.index, len(vocab)
    return [one_hot_ids([index[t] for t in toks], V) for toks, _ in data], [y for _, y in data]


def with_gate_bias(cell: _Cell, gate: str, value: float) -> _Cell:
    """The cell with one gate's bias set to `value` (an initialisation choice, stated by each preset)."""
    H = cell.hidden_size
    k = cell.gate_names.index(gate)
    name = "b_xh" if cell.kind == "GRU" else "b_h"
    b = np.array(cell.params[name])
    b[k * H : (k + 1) * H] = value
    return cell.replace(**{name: b})


def _fit(cell: _Cell, data, test, vocab: Vocabulary, config: TrainConfig, seed: int):
    xs, ys = _encode_all(data, vocab)
    res = train(cell, SigmoidHead.init(cell.hidden_size, seed=seed), xs, ys, config)
    tx, ty = _encode_all(test, vocab)
    return res, evaluate(res.cell, res.head, tx, ty)[1]


RIYA_SEED = 0
RIYA_N, RIYA_EPOCHS = 160, 120


@functools.cache
def riya_lstm() -> TrainedPreset:
    """LSTM(H=4) on 160 biographies (7 of 10 cities Indian), Adam η = 0.05, 120 full-batch epochs; Keras'
    initialisation (forget-gate bias 1)."""
    vocab = Vocabulary.from_tokens(BIO_WORDS)
    data = biographies(RIYA_N, RIYA_SEED, p_india=0.7)
    test = biographies(300, RIYA_SEED + 1000, p_india=0.7)
    cell = LSTM(len(vocab), 4, seed=RIYA_SEED)
    res, acc = _fit(cell, data, test, vocab, TrainConfig(lr=0.05, epochs=RIYA_EPOCHS), RIYA_SEED)
    about = (f"An LSTM with 4 units trained here (Adam, {RIYA_EPOCHS} epochs, seed {RIYA_SEED}) on {RIYA_N} "
             "generated biographies such as “riya lives in delhi · she works at a hospital · last year riya "
             "moved to london”, to answer “does Riya live in India now?” — the city mentioned last decides. "
             f"It answers {acc:.0%} of 300 new biographies right.")
    return TrainedPreset("riya_lstm", "Riya · Delhi · London (trained LSTM)", res.cell, res.head, vocab,
                         RIYA_TEXT, about, res.history, acc)


@functools.cache
def riya_gru() -> TrainedPreset:
    """GRU(H=4) on 160 biographies (3 of 10 cities Indian), Adam η = 0.02, 150 epochs; update-gate bias 2
    at the start (z ≈ 0.88: keep the past unless the data says otherwise)."""
    vocab = Vocabulary.from_tokens(BIO_WORDS)
    data = biographies(RIYA_N, RIYA_SEED, p_india=0.3, max_fillers=1)
    test = biographies(300, RIYA_SEED + 1000, p_india=0.3, max_fillers=1)
    cell = with_gate_bias(GRU(len(vocab), 4, seed=RIYA_SEED), "z", 2.0)
    res, acc = _fit(cell, data, test, vocab, TrainConfig(lr=0.02, epochs=150), RIYA_SEED)
    about = (f"A GRU with 4 units trained here (Adam, 150 epochs, seed {RIYA_SEED}, update-gate bias 2 at "
             f"the start) on {RIYA_N} generated biographies, to answer “does Riya live in India now?” — the "
             f"city mentioned last decides. It answers {acc:.0%} of 300 new biographies right.")
    return TrainedPreset("riya_gru", "GRU keep vs update (trained)", res.cell, res.head, vocab,
                         RIYA_GRU_TEXT, about, res.history, acc)


def _units_changing_at(trace: Trace, t: int) -> np.ndarray:
    state = trace.c if trace.c is not None else trace.h
    change = np.abs(state[t] - (state[t - 1] if t > 0 else 0.0))  # (H,)
    return np.sort(np.argsort(-change)[: max(1, trace.H // 2)])


def city_units_of(trace: Trace, tokens: Sequence[str], second: str = "london") -> np.ndarray:
    """The units that hold the city: the half of the units (at least one) whose state (LSTM: cell state c,
    GRU: h) changes most at the word `second`."""
    return _units_changing_at(trace, list(tokens).index(second))


def gate_numbers(trace: Trace, tokens: Sequence[str], gate: str,
                 cities: Sequence[str] = ("delhi", "london")) -> dict[str, Any] | None:
    """Mean of one gate over the city units: at the second city, on the words between the two cities, and
    on every other word after the first city; None when the sentence does not name both cities in order."""
    toks = list(tokens)
    if cities[0] not in toks or cities[1] not in toks[toks.index(cities[0]) + 1 :]:
        return None
    first = toks.index(cities[0])
    second = toks.index(cities[1], first + 1)
    units = _units_changing_at(trace, second)
    g = trace.gates[gate][:, units]  # (T, units)
    between = list(range(first + 1, second))
    after = [t for t in range(first + 1, len(toks)) if t != second]
    return {"units": [int(u) for u in units], "second_city": float(g[second].mean()),
            "between": float(g[between].mean()) if between else float("nan"),
            "elsewhere": float(g[after].mean()) if after else float("nan"), "first": first, "second": second}


def city_units(preset: TrainedPreset, text: str | None = None, second: str = "london") -> np.ndarray:
    """city_units_of the preset's own trace of its text (or of `text`)."""
    return city_units_of(preset.trace(text), tokenize(preset.text if text is None else text), second)


def gate_profile(preset: TrainedPreset, gate: str, text: str | None = None,
                 cities: Sequence[str] = ("delhi", "london")) -> dict[str, float]:
    """gate_numbers of the preset on its text (or on `text`): at the second city, between, elsewhere."""
    out = gate_numbers(preset.trace(text), tokenize(preset.text if text is None else text), gate, cities)
    if out is None:
        raise ValueError(f"the text does not name {cities[0]!r} and then {cities[1]!r}")
    return {k: out[k] for k in ("second_city", "between", "elsewhere")}
