"""Tiny trained examples of the RNN types, small enough to train in seconds on a laptop.

- many-to-many (equal lengths): a word tagger (noun / verb / pronoun / other) on a tiny tagged corpus,
  one-directional or bidirectional, 1–3 layers;
- one-to-many: a next-word generator trained on a corpus, generating from a chosen first word;
- encoder–decoder: reversing a sentence ("movie was good" → "good was movie"), whose only link between the
  reader and the writer is the context vector.

Everything is deterministic from an explicit seed and trained with full-batch Adam on exact BPTT gradients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .analysis import clip_by_global_norm
from .cells import make_cell
from .recurrent import Recurrent, RecurrentTrace, many_to_many
from .seq2seq import Decoded, Seq2Seq
from .text import Vocabulary, one_hot_ids
from .train import SoftmaxHead

UNK, EOS, BOS = "<unk>", "<eos>", "<bos>"
TAG_NAMES = ("noun", "verb", "pronoun", "other")  # the lecture: "my name is Imran" → pronoun noun verb noun
_TAG_CODE = {"N": 0, "V": 1, "P": 2, "O": 3}

# Words as the lecture notes use them; several words are nouns in one sentence and verbs in another, and at
# the start of a sentence only the words AFTER them tell which ("watch movies" vs "watch was new").
TAGGED_SENTENCES: tuple[tuple[str, str], ...] = (
    ("my name is imran", "P N V N"),
    ("my name is riya", "P N V N"),
    ("her name is riya", "P N V N"),
    ("his name is imran", "P N V N"),
    ("riya lives in delhi", "N V O N"),
    ("imran lives in london", "N V O N"),
    ("riya moved to london", "N V O N"),
    ("the cat sat on the mat", "O N V O O N"),
    ("the rat ate the cheese", "O N V O N"),
    ("the cat saw the rat", "O N V O N"),
    ("movie was good", "N V O"),
    ("movie was bad", "N V O"),
    ("movie was not good", "N V O O"),
    ("the movie was good", "O N V O"),
    ("i love this movie", "P V O N"),
    ("we watch movies", "P V N"),
    ("watch movies with friends", "V N O N"),
    ("watch was new", "N V O"),
    ("the watch was expensive", "O N V O"),
    ("book a ticket", "V O N"),
    ("book was good", "N V O"),
    ("i read the book", "P V O N"),
    ("play the game", "V O N"),
    ("play was long", "N V O"),
    ("kids play games", "N V N"),
    ("love the movie", "V O N"),
    ("love is blind", "N V O"),
    ("work is hard", "N V O"),
    ("work in london", "V O N"),
    ("i work in delhi", "P V O N"),
    ("clouds are in the sky", "N V O O N"),
    ("the sky is blue", "O N V O"),
)


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


# --------------------------------------------------------------------------------------------------------
# Full-batch Adam on any parameter dict
# --------------------------------------------------------------------------------------------------------


LossAndGrads = Callable[[dict, np.ndarray], tuple[float, Mapping]]


def adam(params: Mapping[str, np.ndarray], loss_and_grads: LossAndGrads,
         n_examples: int, epochs: int, lr: float = 0.05, batch_size: int | None = None, seed: int = 0,
         clip_norm: float = 5.0, beta1: float = 0.9, beta2: float = 0.999,
         eps: float = 1e-8) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Adam (Kingma & Ba, with bias correction) over mini-batches; gradients clipped to a global norm.

    loss_and_grads(params, idx) → (mean loss, {name: mean dL/dθ}) over the examples `idx`. batch_size None
    is full batch; else the examples are shuffled from `seed` every epoch. Returns the final parameters and
    the mean loss of every epoch (each batch measured before its update).
    """
    p = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(a) for k, a in p.items()}
    rng = np.random.default_rng([_check_seed(seed), 17])
    bs = batch_size or n_examples
    losses = np.zeros(epochs)
    step = 0
    for epoch in range(epochs):
        order = np.arange(n_examples) if batch_size is None else rng.permutation(n_examples)
        for start in range(0, n_examples, bs):
            idx = order[start : start + bs]
            loss, grads = loss_and_grads(p, idx)
            losses[epoch] += loss * len(idx) / n_examples
            grads = clip_by_global_norm(grads, clip_norm).grads  # one long sentence cannot blow up a step
            step += 1
            for k, g in grads.items():
                m[k] = beta1 * m[k] + (1 - beta1) * g  # first moment
                v[k] = beta2 * v[k] + (1 - beta2) * g * g  # second moment
                mhat = m[k] / (1 - beta1**step)
                vhat = v[k] / (1 - beta2**step)
                p[k] = p[k] - lr * mhat / (np.sqrt(vhat) + eps)  # w ← w − η m̂ / (√v̂ + ε)
    return p, losses


def _split(params: Mapping[str, np.ndarray]) -> tuple[dict, dict]:
    """{"net.W_xh_l0": …, "head.W_hy": …} → (net params, head params)."""
    net = {k[4:]: v for k, v in params.items() if k.startswith("net.")}
    head = {k[5:]: v for k, v in params.items() if k.startswith("head.")}
    return net, head


def _joined(net_params: Mapping, head: SoftmaxHead) -> dict[str, np.ndarray]:
    return {**{f"net.{k}": v for k, v in net_params.items()}, "head.W_hy": head.W_hy, "head.b_y": head.b_y}


def fit_many_to_many(model, head: SoftmaxHead, xs: Sequence[np.ndarray], ys: Sequence[np.ndarray],
                     epochs: int, lr: float, batch_size: int | None = None, seed: int = 0):
    """Train a cell or Recurrent and its softmax head on (x, y) pairs, mean cross-entropy per sentence, with
    Adam; returns (model, head, loss per epoch)."""

    def build(p: Mapping) -> tuple:
        net_p, head_p = _split(p)
        return model.replace(**net_p), SoftmaxHead(head_p["W_hy"], head_p["b_y"])

    def loss_and_grads(p: dict, idx: np.ndarray) -> tuple[float, dict]:
        n, h = build(p)
        total, grads = 0.0, {k: np.zeros_like(v) for k, v in p.items()}
        for i in idx:
            ex = many_to_many(n, h, xs[i], ys[i])
            total += ex.loss / len(idx)
            for k, g in ex.grads.params.items():
                grads[f"net.{k}"] += g / len(idx)  # mean over the sentences of the batch
            for k, g in ex.head_grads.items():
                grads[f"head.{k}"] += g / len(idx)
        return total, grads

    p, losses = adam(_joined(model.params, head), loss_and_grads, len(xs), epochs, lr, batch_size, seed)
    return (*build(p), losses)


# --------------------------------------------------------------------------------------------------------
# Many-to-many: the tagger
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TagPrediction:
    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    probs: np.ndarray  # (T, 4): P(noun), P(verb), P(pronoun), P(other) per word
    known: tuple[bool, ...]  # False: the word was not in the training corpus (read as <unk>)
    trace: RecurrentTrace


@dataclass(frozen=True, eq=False)
class Tagger:
    """A Recurrent stack and a softmax over the tags at every step; words it never saw are read as <unk>."""

    net: Recurrent
    head: SoftmaxHead
    vocab: Vocabulary  # id 0 is <unk>
    losses: np.ndarray  # the training loss per epoch
    accuracy: float  # on the training sentences

    def encode(self, tokens: Sequence[str]) -> tuple[np.ndarray, tuple[bool, ...]]:
        index = self.vocab.index
        ids = [index.get(t, 0) for t in tokens]
        return one_hot_ids(ids, len(self.vocab)), tuple(t in index for t in tokens)

    def predict(self, tokens: Sequence[str]) -> TagPrediction:
        tokens = tuple(tokens)
        if not tokens:
            raise ValueError("predict needs at least one word")
        x, known = self.encode(tokens)
        trace = self.net.forward(x)
        probs = self.head.forward(trace.output)
        tags = tuple(TAG_NAMES[i] for i in np.argmax(probs, axis=1))
        return TagPrediction(tokens=tokens, tags=tags, probs=probs, known=known, trace=trace)


def tagged_sentences() -> list[tuple[str, tuple[str, ...]]]:
    """The tagged sentences with the tags spelled out: ("my name is imran", ("pronoun", "noun", …))."""
    return [(text, tuple(TAG_NAMES[_TAG_CODE[c]] for c in tags.split())) for text, tags in TAGGED_SENTENCES]


def tagging_data(seed: int = 0) -> list[tuple[tuple[str, ...], np.ndarray]]:
    """The tagged sentences, plus each twice more with one word replaced by <unk> (two different words,
    chosen from the seed), so the tagger learns to tag a word it does not know from the words around it."""
    rng = np.random.default_rng([_check_seed(seed), 11])
    data = []
    for text, tags in TAGGED_SENTENCES:
        toks = tuple(text.split())
        y = np.array([_TAG_CODE[c] for c in tags.split()])
        data.append((toks, y))
        for j in rng.choice(len(toks), min(2, len(toks)), replace=False):  # two different words
            data.append(((*toks[:j], UNK, *toks[j + 1 :]), y))
    return data


def train_tagger(kind: str = "LSTM", hidden_size: int = 8, num_layers: int = 1, bidirectional: bool = False,
                 epochs: int = 12, lr: float = 0.05, batch_size: int | None = 6, activation: str = "tanh",
                 seed: int = 0) -> Tagger:
    """Train a tagger on TAGGED_SENTENCES (and their <unk> copies) with Adam on mini-batches."""
    data = tagging_data(seed)
    vocab = Vocabulary([UNK, *dict.fromkeys(t for toks, _ in data for t in toks if t != UNK)])
    index = vocab.index
    xs = [one_hot_ids([index[t] for t in toks], len(vocab)) for toks, _ in data]
    net = Recurrent(kind, len(vocab), hidden_size, num_layers, bidirectional, activation, seed)
    head = SoftmaxHead.init(net.output_size, len(TAG_NAMES), seed)

    ys = [y for _, y in data]
    net, head, losses = fit_many_to_many(net, head, xs, ys, epochs, lr, batch_size, seed)
    right = sum(int(np.sum(np.argmax(head.forward(net.forward(x).output), axis=1) == y))
                for x, y in zip(xs, ys, strict=True))
    acc = right / sum(len(y) for _, y in data)
    return Tagger(net=net, head=head, vocab=vocab, losses=losses, accuracy=acc)


# --------------------------------------------------------------------------------------------------------
# One-to-many: the next-word generator
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Generated:
    words: tuple[str, ...]  # the first word, then the generated ones (without <eos>)
    probs: np.ndarray  # (K, V): the distribution each generated word was picked from
    finished: bool  # <eos> was generated (else stopped at max_len)
    trace: object  # the cell's Trace over the words it read


@dataclass(frozen=True, eq=False)
class NextWord:
    """A cell and a softmax over the words + <eos>: ŷ_t = P(word t+1 | words 1..t)."""

    cell: object
    head: SoftmaxHead
    vocab: Vocabulary  # the corpus' words, then <eos>
    losses: np.ndarray

    def generate(self, first_word: str, max_len: int = 10) -> Generated:
        """Greedy generation: read the first word, emit the most likely next word, read it, …"""
        index = self.vocab.index
        if first_word not in index or first_word == EOS:
            raise ValueError(f"{first_word!r} is not a word this generator was trained on")
        if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1:
            raise ValueError(f"max_len must be a positive integer, got {max_len!r}")
        ids, probs = [index[first_word]], []
        eos = index[EOS]
        trace = None
        for _ in range(max_len):
            trace = self.cell.forward(one_hot_ids(ids, len(self.vocab)))  # the words so far
            p = self.head.forward(trace.h[-1:])[0]
            probs.append(p)
            nxt = int(np.argmax(p))
            if nxt == eos:
                break
            ids.append(nxt)
        finished = int(np.argmax(probs[-1])) == eos
        return Generated(words=tuple(self.vocab.decode(ids)), probs=np.array(probs), finished=finished,
                         trace=trace)


def train_next_word(sentences: Sequence[Sequence[str]], kind: str = "LSTM", hidden_size: int = 12,
                    epochs: int = 150, lr: float = 0.05, batch_size: int | None = None,
                    activation: str = "tanh", seed: int = 0) -> NextWord:
    """Train on the sentences: at every word the target is the next word (after the last word: <eos>)."""
    sentences = [tuple(s) for s in sentences if len(s) > 0]
    if not sentences:
        raise ValueError("train_next_word needs at least one sentence with a word")
    vocab = Vocabulary([*dict.fromkeys(t for s in sentences for t in s if t != EOS), EOS])
    index = vocab.index
    V = len(vocab)
    xs = [one_hot_ids([index[t] for t in s], V) for s in sentences]
    ys = [np.array([index[t] for t in s[1:]] + [index[EOS]]) for s in sentences]
    cell = make_cell(kind, V, hidden_size, activation, seed)
    head = SoftmaxHead.init(hidden_size, V, seed)
    cell, head, losses = fit_many_to_many(cell, head, xs, ys, epochs, lr, batch_size, seed)
    return NextWord(cell=cell, head=head, vocab=vocab, losses=losses)


# --------------------------------------------------------------------------------------------------------
# Encoder–decoder: the reverser
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Reverser:
    """A Seq2Seq that writes its input backwards. Source ids: the words; target ids: <bos>, <eos>, words."""

    model: Seq2Seq
    words: tuple[str, ...]
    max_len: int  # the longest input it was trained on
    losses: np.ndarray
    accuracy: float  # share of held-out random sequences reversed exactly

    @property
    def target_tokens(self) -> tuple[str, ...]:
        return (BOS, EOS, *self.words)

    def source(self, tokens: Sequence[str]) -> np.ndarray:
        index = {w: i for i, w in enumerate(self.words)}
        unknown = [t for t in tokens if t not in index]
        if unknown or not tokens:
            raise ValueError(f"the reverser knows only the words {list(self.words)}; got {list(tokens)}")
        return one_hot_ids([index[t] for t in tokens], len(self.words))

    def reverse(self, tokens: Sequence[str]) -> tuple[tuple[str, ...], Decoded]:
        """(the words it wrote, without <eos>; the decoding with both traces and the context)."""
        dec = self.model.greedy(self.source(tokens), max_len=len(tokens) + 3)
        out = tuple(self.target_tokens[i] for i in dec.ids if i != self.model.eos)
        return out, dec


def _reversal_pairs(n_words: int, max_len: int, count: int, rng) -> list[np.ndarray]:
    lengths = rng.integers(1, max_len + 1, count)
    return [rng.integers(0, n_words, k) for k in lengths]


def train_reverser(words: Sequence[str], kind: str = "GRU", hidden_size: int = 16, max_len: int = 4,
                   n_train: int = 200, epochs: int = 8, lr: float = 0.03, batch_size: int | None = 10,
                   activation: str = "tanh", seed: int = 0) -> Reverser:
    """Train on `n_train` random word sequences of length 1..max_len (drawn from the seed), each to be
    written backwards; accuracy is measured on 100 other random sequences."""
    words = tuple(dict.fromkeys(words))
    if not words:
        raise ValueError("train_reverser needs at least one word")
    rng = np.random.default_rng([_check_seed(seed), 13])
    W = len(words)
    model = Seq2Seq.init(kind, W, W + 2, hidden_size, activation=activation, bos=0, eos=1, seed=seed)
    train = _reversal_pairs(W, max_len, n_train, rng)
    held = _reversal_pairs(W, max_len, 100, rng)

    def target(seq: np.ndarray) -> np.ndarray:
        return np.concatenate([seq[::-1] + 2, [1]])  # the words backwards (target ids shifted by 2), <eos>

    xs = [one_hot_ids(s, W) for s in train]

    def loss_and_grads(p: dict, idx: np.ndarray) -> tuple[float, dict]:
        m = model.replace(**p)
        total, grads = 0.0, {k: np.zeros_like(v) for k, v in p.items()}
        for i in idx:
            step = m.loss(xs[i], target(train[i]))
            total += step.loss / len(idx)
            for k, g in step.grads.items():
                grads[k] += g / len(idx)  # mean over the batch
        return total, grads

    p, losses = adam(dict(model.params), loss_and_grads, len(xs), epochs, lr, batch_size, seed)
    model = model.replace(**p)
    exact = sum(tuple(model.greedy(one_hot_ids(s, W), max_len=len(s) + 3).ids) == tuple(target(s))
                for s in held)
    return Reverser(model=model, words=words, max_len=max_len, losses=losses, accuracy=exact / len(held))


__all__ = [
    "BOS",
    "EOS",
    "TAGGED_SENTENCES",
    "TAG_NAMES",
    "UNK",
    "Generated",
    "NextWord",
    "Reverser",
    "TagPrediction",
    "Tagger",
    "adam",
    "fit_many_to_many",
    "tagged_sentences",
    "tagging_data",
    "train_next_word",
    "train_reverser",
    "train_tagger",
]
