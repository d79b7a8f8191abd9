"""The long-dependency experiment: can a trained network still use its first word after k more words?

Task (the lecture's "Maharashtra is a beautiful place … I do not understand [Marathi]"): the first word is a
place; the label is 1 when the missing last word is Marathi (maharashtra, mumbai, pune) and 0 otherwise
(punjab, kerala, gujarat). Then come k distractors, drawn at random from the other words of the lecture's
sentence, which say nothing about the label. A SimpleRNN, an LSTM and a GRU are trained side by side on the
same sentences with the same hidden size, optimiser and number of epochs, for every k of a grid; each is
scored on new sentences. The lecture predicts that the SimpleRNN fails past a small k (its gradient to the
first word vanishes) while the LSTM and the GRU hold.

Everything is deterministic from the config's seed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .cells import ReadOnlyDict, _Cell, make_cell, sigmoid
from .presets import LONG_FILLER, MAHARASHTRA_TEXT, MARATHI_PLACES, OTHER_PLACES, with_gate_bias
from .text import Vocabulary, one_hot_ids, tokenize
from .train import (
    History,
    SigmoidHead,
    TrainConfig,
    batch_last_hidden,
    evaluate,
    many_to_one,
    pad_batch,
    train,
)

KINDS = ("SimpleRNN", "LSTM", "GRU")
DISTRACTORS = tuple(dict.fromkeys(LONG_FILLER))  # the lecture sentence's other words, each once
WORDS = (*MARATHI_PLACES, *OTHER_PLACES, *DISTRACTORS)
LECTURE_K = len(tokenize(MAHARASHTRA_TEXT)) - 1  # distractors in the lecture's own sentence (19)


def vocabulary() -> Vocabulary:
    return Vocabulary.from_tokens(WORDS)


@dataclass(frozen=True)
class LongDepConfig:
    """Same data, hidden size and budget for every cell; `ks` the numbers of distractors tried."""

    ks: tuple[int, ...] = (2, 5, 10, 15, 20, 30)
    hidden: int = 4
    n_train: int = 256
    n_test: int = 200
    epochs: int = 30
    lr: float = 0.05  # Adam, full batch
    seed: int = 0
    kinds: tuple[str, ...] = KINDS
    gru_keep_bias: float = 1.0  # the GRU's update-gate bias at the start (the LSTM's forget bias is 1)

    def __post_init__(self) -> None:
        if not self.ks or any(int(k) != k or k < 1 for k in self.ks):
            raise ValueError(f"ks must be positive integers, got {self.ks!r}")
        if self.hidden < 1 or self.n_train < 2 or self.n_test < 1 or self.epochs < 1:
            raise ValueError(f"need hidden >= 1, n_train >= 2, n_test >= 1, epochs >= 1, got {self!r}")
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"kinds must be among {KINDS}, got {unknown}")


def make_task(k: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n sentences of 1 + k words as ids (n, 1 + k) in vocabulary() and their labels (n,): the first word a
    place (half of them Marathi-speaking), then k distractors."""
    if k < 1 or n < 1:
        raise ValueError(f"need k >= 1 and n >= 1, got k={k}, n={n}")
    rng = np.random.default_rng([seed, 15, k])
    labels = rng.integers(0, 2, n)
    first = np.where(labels == 1, rng.integers(0, 3, n), 3 + rng.integers(0, 3, n))  # place ids 0..5
    rest = 6 + rng.integers(0, len(DISTRACTORS), (n, k))  # distractor ids
    return np.concatenate([first[:, None], rest], axis=1), labels


def _one_hot(ids: np.ndarray) -> list[np.ndarray]:
    V = len(WORDS)
    return [one_hot_ids(row, V) for row in ids]


@dataclass(frozen=True, eq=False)
class LongDepRun:
    """One cell trained for one k: the trained cell and head, its training history, accuracy on new
    sentences of the same k."""

    kind: str
    k: int
    cell: _Cell
    head: SigmoidHead
    history: History
    test_accuracy: float


def train_one(kind: str, k: int, config: LongDepConfig = LongDepConfig()) -> LongDepRun:
    """Train one cell on the task with k distractors (data, initialisation and budget from the config)."""
    ids, y = make_task(k, config.n_train, config.seed)
    test_ids, test_y = make_task(k, config.n_test, config.seed + 1000)
    cell = make_cell(kind, len(WORDS), config.hidden, seed=config.seed)
    if kind == "GRU":  # keep by default, as the LSTM's forget-gate bias 1 does
        cell = with_gate_bias(cell, "z", config.gru_keep_bias)
    head = SigmoidHead.init(config.hidden, seed=config.seed)
    res = train(cell, head, _one_hot(ids), list(y), TrainConfig(lr=config.lr, epochs=config.epochs))
    acc = evaluate(res.cell, res.head, _one_hot(test_ids), list(test_y))[1]
    return LongDepRun(kind=kind, k=k, cell=res.cell, head=res.head, history=res.history, test_accuracy=acc)


@dataclass(frozen=True, eq=False)
class LongDepSweep:
    """accuracy[i, j]: test accuracy of kinds[i] trained with ks[j] distractors; runs[(kind, k)]."""

    config: LongDepConfig
    accuracy: np.ndarray
    runs: Mapping[tuple[str, int], LongDepRun]

    @property
    def kinds(self) -> tuple[str, ...]:
        return self.config.kinds

    @property
    def ks(self) -> tuple[int, ...]:
        return self.config.ks

    def run(self, kind: str, k: int) -> LongDepRun:
        return self.runs[(kind, k)]


def sweep(config: LongDepConfig = LongDepConfig(),
          callback: Callable[[LongDepRun], None] | None = None) -> LongDepSweep:
    """Train every kind for every k; `callback(run)` after each (for a progress bar)."""
    runs = {}
    for k in config.ks:
        for kind in config.kinds:
            run = runs[(kind, k)] = train_one(kind, k, config)
            if callback is not None:
                callback(run)
    return sweep_from(config, runs)


def sweep_from(config: LongDepConfig, runs: Mapping[tuple[str, int], LongDepRun]) -> LongDepSweep:
    """The sweep made of runs trained earlier (one per kind and k of the config)."""
    acc = np.array([[runs[(kind, k)].test_accuracy for k in config.ks] for kind in config.kinds])
    acc.setflags(write=False)
    return LongDepSweep(config=config, accuracy=acc, runs=ReadOnlyDict(dict(runs)))


@dataclass(frozen=True, eq=False)
class GradientFlow:
    """‖dL/dh_t‖ for every word of one sentence through one trained model (exact BPTT), and ŷ."""

    kind: str
    tokens: tuple[str, ...]
    dl_dh: np.ndarray  # (T,)
    yhat: float
    y: float

    @property
    def reaching_first(self) -> float:
        """‖dL/dh_1‖ / ‖dL/dh_T‖: the share of the gradient at the last word that reaches the first."""
        last = self.dl_dh[-1]
        return float(self.dl_dh[0] / last) if last > 0 else float("nan")


def gradient_flow(run: LongDepRun | object, text: str | Sequence[str] = MAHARASHTRA_TEXT,
                  y: float | None = None) -> GradientFlow:
    """The exact ‖dL/dh_t‖ of a trained model (any object with .cell and .head reading vocabulary())
    on a sentence; the label defaults to the task's rule (1 for a Marathi-speaking first word)."""
    tokens = tuple(tokenize(text) if isinstance(text, str) else text)
    vocab = vocabulary()
    x = one_hot_ids(vocab.encode(" ".join(tokens)), len(vocab))
    if y is None:
        y = float(tokens[0] in MARATHI_PLACES)
    ex = many_to_one(run.cell, run.head, x, y)
    kind = getattr(run, "kind", run.cell.kind)
    return GradientFlow(kind=kind, tokens=tokens, dl_dh=np.linalg.norm(ex.grads.dh, axis=1), yhat=ex.yhat,
                        y=float(y))


def predictions(run: LongDepRun, texts: Sequence[str]) -> np.ndarray:
    """ŷ of a trained model for several sentences (ValueError for a word outside vocabulary())."""
    vocab = vocabulary()
    xs = [one_hot_ids(vocab.encode(t), len(vocab)) for t in texts]
    X, lengths = pad_batch(xs)
    return sigmoid(batch_last_hidden(run.cell, X, lengths) @ run.head.w_o + run.head.b_o)
