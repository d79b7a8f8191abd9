"""From the shared settings to everything a page shows: corpus, vocabulary, the chosen sentence, the cell,
its trace. Pure (no streamlit): pages call `build_model` through a cache and only draw the result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

import rnnviz as rv

from .state import MAX_CORPUS_CHARS, MAX_SENTENCES, MAX_STEPS, clean, defaults

if TYPE_CHECKING:
    from .weights_io import CustomWeights


@dataclass(frozen=True, eq=False)
class Corpus:
    """The corpus box parsed: one sentence per line, an optional label after " | " (0 or 1)."""

    sentences: tuple[str, ...]  # the text of each usable line (label removed)
    tokens: tuple[tuple[str, ...], ...]  # its tokens, capped at MAX_STEPS
    labels: tuple[float | None, ...]
    line_numbers: tuple[int, ...]  # 1-based line of the box each sentence came from
    vocab: rv.Vocabulary
    notes: tuple[str, ...]  # what was skipped or capped, in plain words

    def __len__(self) -> int:
        return len(self.sentences)

    @property
    def t_max(self) -> int:
        return max((len(t) for t in self.tokens), default=0)

    def ids(self, i: int) -> list[int]:
        index = self.vocab.index
        return [index[t] for t in self.tokens[i]]


def parse_corpus(text: str) -> Corpus:
    """Split lines, read labels, tokenize; lines without a word are skipped with a note, never an error."""
    notes: list[str] = []
    if len(text) > MAX_CORPUS_CHARS:
        notes.append(f"The corpus has {len(text):,} characters; rnnviz reads the first {MAX_CORPUS_CHARS:,}.")
        text = text[:MAX_CORPUS_CHARS]
    sentences, tokens, labels, lines = [], [], [], []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        body, label = raw, None
        if "|" in raw:
            body, _, lab = raw.rpartition("|")
            lab = lab.strip()
            if lab in ("0", "1"):
                label = float(lab)
            elif lab:
                notes.append(f"Line {n}: the label {lab[:20]!r} is not 0 or 1, so this sentence has no "
                             "label.")
        toks = rv.tokenize(body)
        if not toks:
            notes.append(f"Line {n} has no words (only punctuation or symbols) and was skipped.")
            continue
        if len(sentences) >= MAX_SENTENCES:
            notes.append(f"Only the first {MAX_SENTENCES} sentences are used.")
            break
        if len(toks) > MAX_STEPS:
            notes.append(f"Line {n} has {len(toks):,} words; rnnviz unrolls at most {MAX_STEPS} time steps, "
                         f"so only its first {MAX_STEPS} words are used.")
            toks = toks[:MAX_STEPS]
        sentences.append(body.strip())
        tokens.append(tuple(toks))
        labels.append(label)
        lines.append(n)
    vocab = rv.Vocabulary.from_tokens(list(dict.fromkeys(t for ts in tokens for t in ts)))
    return Corpus(tuple(sentences), tuple(tokens), tuple(labels), tuple(lines), vocab, tuple(notes))


@dataclass(frozen=True, eq=False)
class ModelView:
    """Everything about the sentence on screen: its ids and one-hot x (T, V), the cell, h0, the trace."""

    settings: Mapping[str, Any]
    corpus: Corpus
    index: int  # 0-based sentence index
    tokens: tuple[str, ...]
    ids: tuple[int, ...]
    x: np.ndarray  # (T, V)
    cell: rv.Cell
    head: rv.SigmoidHead
    h0: np.ndarray
    c0: np.ndarray | None
    trace: rv.Trace
    label: float | None
    step: int  # 1-based current time step, clamped to 1..T
    notes: tuple[str, ...]

    @property
    def T(self) -> int:
        return len(self.tokens)

    @property
    def V(self) -> int:
        return len(self.corpus.vocab)

    @property
    def H(self) -> int:
        return self.cell.hidden_size

    @property
    def yhat(self) -> float:
        return self.head.forward(self.trace.h[-1])


class EmptyCorpus(ValueError):
    """No sentence has a word: the page explains this instead of drawing."""


class WeightsMismatch(ValueError):
    """Uploaded weights do not fit the corpus (unknown words, or input size ≠ vocabulary size)."""


def _custom_vocab(corpus: Corpus, custom: CustomWeights) -> Corpus:
    """The corpus with the upload's vocabulary (ids as the trained model knows them), or WeightsMismatch."""
    D = custom.cell.input_size
    if custom.vocab is None:
        V = len(corpus.vocab)
        if V != D:
            raise WeightsMismatch(
                f"Your weights expect {D} inputs (one per word), but the corpus has {V} different words. "
                f"Without a vocabulary in the file, rnnviz numbers the corpus' words 0..{V - 1} in order of "
                f"appearance, so the corpus needs exactly {D} different words — or add \"vocab\" (the words "
                "in id order) to the .npz.")
        return corpus
    vocab = rv.Vocabulary.from_tokens(custom.vocab)
    index = vocab.index
    unknown = list(dict.fromkeys(t for ts in corpus.tokens for t in ts if t not in index))
    if unknown:
        shown = ", ".join(unknown[:20]) + (f" (and {len(unknown) - 20} more)" if len(unknown) > 20 else "")
        raise WeightsMismatch(
            f"{len(unknown)} word{'s' if len(unknown) > 1 else ''} of the corpus "
            f"{'are' if len(unknown) > 1 else 'is'} not in your weights' vocabulary of {D} words: {shown}. "
            "Edit the corpus to use only words the trained model knows, or reset to the built-in weights.")
    return replace(corpus, vocab=vocab)


make_cell = rv.make_cell  # (kind, input_size, hidden, activation, seed): the core's one registry


def initial_state(mode: str, hidden: int, seed: int) -> np.ndarray:
    """h0: zeros, or seeded values in [-0.5, 0.5] (the seeds allow "0 or random")."""
    if mode == "random":
        return np.random.default_rng([seed, 7]).uniform(-0.5, 0.5, hidden)
    return np.zeros(hidden)


def build_model(settings: Mapping[str, Any], custom: CustomWeights | None = None) -> ModelView:
    """The model view for the settings; raises EmptyCorpus when there is nothing to run.

    With `custom` (uploaded weights) the cell, the head (when the file has one) and the vocabulary (when the
    file has one) come from the upload; cell type, activation and hidden size follow it, and
    WeightsMismatch is raised when the corpus does not fit the uploaded layer.
    """
    s = clean({**defaults(), **settings})
    corpus = parse_corpus(s["corpus"])
    if len(corpus) == 0:
        raise EmptyCorpus("The corpus has no words yet: type at least one sentence, one per line, "
                          "for example “movie was good | 1”.")
    if custom is not None:
        corpus = _custom_vocab(corpus, custom)
        s.update(cell=custom.cell.kind, hidden=custom.cell.hidden_size, act=custom.cell.activation)
    notes = list(corpus.notes)
    index = s["sentence"] - 1
    if index >= len(corpus):
        notes.append(f"There is no sentence {s['sentence']}; showing sentence {len(corpus)}.")
        index = len(corpus) - 1
    tokens = corpus.tokens[index]
    ids = tuple(corpus.ids(index))
    V, H = len(corpus.vocab), s["hidden"]
    x = rv.one_hot_ids(ids, V)
    cell = custom.cell if custom is not None else make_cell(s["cell"], V, H, s["act"], s["seed"])
    h0 = initial_state(s["h0"], H, s["seed"])
    c0 = initial_state(s["h0"], H, s["seed"] + 1) if cell.has_cell_state else None
    trace = cell.forward(x, h0, c0)
    head = rv.SigmoidHead.init(H, s["seed"])
    if custom is not None and custom.head is not None:
        head = custom.head
    step = min(max(int(s["step"]), 1), len(tokens))
    return ModelView(settings=s, corpus=corpus, index=index, tokens=tokens, ids=ids, x=x, cell=cell,
                     head=head, h0=h0, c0=c0, trace=trace, label=corpus.labels[index], step=step,
                     notes=tuple(notes))
