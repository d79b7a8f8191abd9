"""Text → numbers: tokens, vocabulary, integer ids, one-hot vectors, padding, embeddings.

The seeds' pipeline: "movie was good" → [movie, was, good] → ids [0, 1, 2] → one-hot rows of a (T, V)
matrix; a batch of sentences is padded to T_max and shaped like Keras wants it, (batch, timesteps, features).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

# A token is a run of letters/digits; an apostrophe (' or ’) between two such runs keeps one word ("don't").
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

PADDINGS = ("post", "pre")


def tokenize(text: str) -> list[str]:
    """Lower-cased runs of letters/digits; "don't" stays one token; everything else separates tokens."""
    if not isinstance(text, str):
        raise ValueError(f"tokenize expects a str, got {type(text).__name__}")
    return [m.group(0).lower() for m in _TOKEN.finditer(text)]


class Vocabulary:
    """Words and their integer ids, 0..V-1 in first-seen order. Immutable."""

    __slots__ = ("_index", "_tokens")

    def __init__(self, tokens: Iterable[str]) -> None:
        toks = tuple(str(t) for t in tokens)
        if len(set(toks)) != len(toks):
            raise ValueError(f"vocabulary tokens must be unique, got {list(toks)}")
        object.__setattr__(self, "_tokens", toks)
        object.__setattr__(self, "_index", {tok: i for i, tok in enumerate(toks)})

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError("a Vocabulary is immutable")

    def __reduce__(self):
        return (Vocabulary, (self._tokens,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self._tokens == other._tokens

    def __hash__(self) -> int:
        return hash(self._tokens)

    def __repr__(self) -> str:
        return f"Vocabulary({list(self._tokens)!r})"

    @property
    def tokens(self) -> list[str]:
        """The words in id order."""
        return list(self._tokens)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocabulary:
        if isinstance(texts, str):
            texts = [texts]
        seen: dict[str, int] = {}
        for text in texts:
            for tok in tokenize(text):
                seen.setdefault(tok, len(seen))
        return cls(seen)

    @classmethod
    def from_tokens(cls, tokens: Sequence[str]) -> Vocabulary:
        return cls(tuple(str(t) for t in tokens))

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def __iter__(self):
        return iter(self._tokens)

    @property
    def index(self) -> dict[str, int]:
        """word → id (a copy)."""
        return dict(self._index)

    def id_of(self, word: str) -> int:
        idx = self._index.get(word)
        if idx is None:
            raise ValueError(f"unknown word {word!r}: not in the vocabulary of {len(self)} words")
        return idx

    def encode(self, text: str) -> list[int]:
        """Integer encoding: each token of `text` replaced by its id."""
        index = self._index
        ids = []
        for tok in tokenize(text):
            if tok not in index:
                raise ValueError(f"unknown word {tok!r}: not in the vocabulary of {len(self)} words")
            ids.append(index[tok])
        return ids

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self._tokens[int(i)] for i in ids]


def one_hot_ids(ids: Sequence[int], vocab_size: int) -> np.ndarray:
    """(T, V) float matrix with a single 1 per row at column ids[t]."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1:
        raise ValueError(f"ids must be 1-D, got shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"ids must lie in 0..{vocab_size - 1}, got {ids.tolist()}")
    x = np.zeros((ids.size, vocab_size))
    x[np.arange(ids.size), ids] = 1.0
    return x


def one_hot(text: str, vocab: Vocabulary) -> np.ndarray:
    """The sentence as a (T, V) one-hot matrix: row t is the word at time step t."""
    return one_hot_ids(vocab.encode(text), len(vocab))


def padding_mask(lengths: Sequence[int], t_max: int, padding: str = "post") -> np.ndarray:
    """(B, T_max) bool: True where a step holds a real word, False on padding."""
    if padding not in PADDINGS:
        raise ValueError(f"padding must be 'post' or 'pre', got {padding!r}")
    steps = np.arange(t_max)[None, :]
    lengths = np.asarray(lengths)[:, None]
    return steps < lengths if padding == "post" else steps >= t_max - lengths


def one_hot_batch(texts: Sequence[str], vocab: Vocabulary, padding: str = "post") -> np.ndarray:
    """Keras layout (batch, timesteps, features): every sentence padded with all-zero rows to T_max."""
    if padding not in PADDINGS:
        raise ValueError(f"padding must be 'post' or 'pre', got {padding!r}")
    if isinstance(texts, str):
        texts = [texts]
    mats = [one_hot(t, vocab) for t in texts]
    t_max = max((m.shape[0] for m in mats), default=0)
    batch = np.zeros((len(mats), t_max, len(vocab)))
    for b, m in enumerate(mats):
        if padding == "post":
            batch[b, : m.shape[0]] = m
        else:
            batch[b, t_max - m.shape[0] :] = m
    return batch


def embedding_matrix(vocab_size: int, dim: int, seed: int = 0) -> np.ndarray:
    """A seeded dense embedding E (V, d), uniform in [-0.05, 0.05] like Keras' Embedding; x_t = E[id]."""
    if vocab_size < 1 or dim < 1:
        raise ValueError(f"embedding needs vocab_size >= 1 and dim >= 1, got ({vocab_size}, {dim})")
    return np.random.default_rng(seed).uniform(-0.05, 0.05, size=(vocab_size, dim))
