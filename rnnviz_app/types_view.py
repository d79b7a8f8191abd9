"""The RNN types page's helpers: what each type is for, and the trained tiny examples behind a shared cache.

Training runs in the core (rnnviz.toy); here it is only cached (one copy per setting for every session on
the server) and timed, so the page can say how long it took. Sizes are fixed and small so that a first view
trains in seconds on two cores; later views are instant.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

import rnnviz as rv
from rnnviz import toy

TAGGER_HIDDEN = 8
GENERATOR_HIDDEN = 12
REVERSER_HIDDEN = 24
REVERSE_MAX = 5  # the reverser reads at most this many words (one context vector holds them all)
GENERATOR_MAX_SENTENCES = 40  # the generator trains on the corpus' first sentences
GENERATOR_BUDGET = 3000  # sentence passes per training (epochs × sentences), so a big corpus stays quick
TAGGER_EPOCHS, TAGGER_BATCH = 12, 6

TYPE_LABELS = {
    "one-to-one": "One-to-one",
    "one-to-many": "One-to-many",
    "many-to-one": "Many-to-one",
    "many-to-many": "Many-to-many",
    "encoder-decoder": "Encoder–decoder",
    "bidirectional": "Bidirectional",
    "deep": "Deep (stacked)",
}

ABOUT = {
    "one-to-one": (
        "**Input:** one item, not a sequence. **Output:** one item. There is no recurrence — no "
        "h<sub>t−1</sub> flows anywhere — so technically this is not an RNN but the plain feed-forward "
        "network the lecture starts from.",
        "image classification (one image → one class)"),
    "one-to-many": (
        "**Input:** one item. **Output:** a sequence. The network reads the one input, writes an output, "
        "and keeps going from its own state; when the outputs are words, each word it wrote is read back in "
        "as the next input.",
        "image captioning (an image → “a man is playing cricket”), music generation, language modelling"),
    "many-to-one": (
        "**Input:** a sequence. **Output:** one item, after the last step: ŷ = σ(h<sub>T</sub>·"
        "w<sub>o</sub> + b<sub>o</sub>). Every earlier word reaches ŷ only through h<sub>T</sub>.",
        "sentiment analysis (a review → positive / negative), rating prediction, spam detection"),
    "many-to-many": (
        "**Input:** a sequence. **Output:** a sequence of the same length — one output per word, "
        "ŷ<sub>t</sub> = softmax(h<sub>t</sub>·W<sub>hy</sub> + b<sub>y</sub>), the loss is the mean "
        "cross-entropy over the steps. The output at step t has seen only words 1…t.",
        "part-of-speech tagging (“my name is Imran” → pronoun noun verb noun), named-entity recognition"),
    "encoder-decoder": (
        "**Input:** a sequence. **Output:** a sequence whose length may differ. An *encoder* reads the "
        "whole input; its last state, the **context vector**, starts a *decoder*, which writes one token per "
        "step and reads back the token it just wrote (in training: the true one, *teacher forcing*). The "
        "context is the only bridge between the two, so everything the decoder needs must fit in its H "
        "numbers.",
        "machine translation (“Hi my name is …” → another language), summarisation, chatbots"),
    "bidirectional": (
        "Two layers read the same sentence: one left → right (h→<sub>t</sub> summarises words 1…t), one "
        "right → left (h←<sub>t</sub> summarises words t…T). The output at t sees their concatenation "
        "[h→<sub>t</sub> ; h←<sub>t</sub>] — the whole sentence, before *and after* the word.",
        "tagging and named-entity recognition (a word's role often depends on the next words), speech "
        "recognition — whenever the whole input is available before the output is needed"),
    "deep": (
        "Layers stacked on top of each other: layer 1 reads the words, layer l reads the hidden states of "
        "layer l − 1 at the same step, and the top layer feeds the output. Each layer has its own weights "
        "(shared across time within the layer).",
        "large speech-recognition and translation models use 2–8 stacked (often bidirectional) LSTM layers"),
}

BI_LABELS = {"yours": "your sentence", "watch was new": "“watch was new” (watch = noun)",
             "watch movies with friends": "“watch movies with friends” (watch = verb)",
             "my name is priya": "“my name is priya” (an unknown name)"}


@dataclass(frozen=True, eq=False)
class Trained:
    """A trained example and what the page says about its training."""

    model: Any
    seconds: float
    recipe: str  # how it was trained, in a sentence


def _timed(fn, *args, **kw) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


@st.cache_resource(max_entries=24, show_spinner=False)
def tagger(kind: str, activation: str, num_layers: int, bidirectional: bool, seed: int) -> Trained:
    model, secs = _timed(toy.train_tagger, kind, TAGGER_HIDDEN, num_layers, bidirectional,
                         epochs=TAGGER_EPOCHS, batch_size=TAGGER_BATCH, activation=activation, seed=seed)
    n = len(toy.tagging_data(seed))
    layers = f"{num_layers} layer{'s' if num_layers > 1 else ''}"
    recipe = (f"{'bidirectional ' if bidirectional else ''}{kind}, {layers} of {TAGGER_HIDDEN} units, "
              f"trained here on {len(toy.TAGGED_SENTENCES)} tagged sentences (+ copies with a word replaced "
              f"by <unk>: {n} in all), {TAGGER_EPOCHS} epochs of Adam in batches of {TAGGER_BATCH}, "
              f"seed {seed}")
    return Trained(model, secs, recipe)


def generator_sentences(corpus_tokens: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    """The sentences the generator learns from: the corpus' first GENERATOR_MAX_SENTENCES."""
    return tuple(tuple(t) for t in corpus_tokens[:GENERATOR_MAX_SENTENCES])


def generator_schedule(n_sentences: int) -> tuple[int, int | None]:
    """(epochs, batch size): full batch for a small corpus, mini-batches within the budget for a big one."""
    if n_sentences <= 10:
        return 150, None
    return int(np.clip(GENERATOR_BUDGET // n_sentences, 10, 150)), 8


@st.cache_resource(max_entries=16, show_spinner=False)
def generator(kind: str, activation: str, sentences: tuple[tuple[str, ...], ...], seed: int) -> Trained:
    epochs, batch = generator_schedule(len(sentences))
    model, secs = _timed(toy.train_next_word, sentences, kind, GENERATOR_HIDDEN, epochs=epochs,
                         batch_size=batch, activation=activation, seed=seed)
    batches = "full batch" if batch is None else f"batches of {batch}"
    n = len(sentences)
    recipe = (f"{kind} with {GENERATOR_HIDDEN} units, trained here on your corpus ({n} sentence"
              f"{'s' if n > 1 else ''}) to predict each next word (or the end), {epochs} epochs of Adam, "
              f"{batches}, seed {seed}")
    return Trained(model, secs, recipe)


def reverser_words(tokens: Sequence[str]) -> tuple[str, ...]:
    """The words the reverser reads: the sentence's first REVERSE_MAX."""
    return tuple(tokens[:REVERSE_MAX])


@st.cache_resource(max_entries=16, show_spinner=False)
def reverser(kind: str, activation: str, words: tuple[str, ...], seed: int) -> Trained:
    """A seq2seq reverser over the distinct words of the sentence, trained on random sequences of them."""
    vocab = tuple(dict.fromkeys(words))
    max_len = len(words)
    n_train = min(400, 80 * max_len)
    model, secs = _timed(toy.train_reverser, vocab, kind, REVERSER_HIDDEN, max_len=max_len, n_train=n_train,
                         epochs=12, lr=0.02, batch_size=5, activation=activation, seed=seed)
    recipe = (f"{kind} encoder and {kind} decoder with {REVERSER_HIDDEN} units each, trained here to "
              f"write {n_train} random sequences of your words ({', '.join(vocab)}; 1–{max_len} long) "
              f"backwards, 12 epochs of Adam in batches of 5, seed {seed}; it writes {model.accuracy:.0%} of "
              "100 new random sequences back exactly")
    return Trained(model, secs, recipe)


@st.cache_data(max_entries=64, show_spinner=False)
def connectivity(kind: str, activation: str, bidirectional: bool, seed: int,
                 tokens: tuple[str, ...]) -> np.ndarray:
    """‖∂output_t/∂x_s‖ of the trained one-layer tagger of this kind and direction, on the sentence."""
    tg = tagger(kind, activation, 1, bidirectional, seed).model
    x, _ = tg.encode(tokens)
    return rv.connectivity(tg.net, x)


def bi_tokens(choice: str, tokens: Sequence[str]) -> tuple[str, ...]:
    return tuple(tokens) if choice == "yours" else tuple(choice.split())


def first_word_options(vocab: Sequence[str]) -> list[str]:
    """"" (the sentence's own first word), then every word of the corpus."""
    return ["", *vocab]


@st.cache_data(max_entries=32, show_spinner=False)
def stack_connectivity(digest: str, ids: tuple[int, ...], _stack: rv.Recurrent, _x: np.ndarray) -> np.ndarray:
    """‖∂output_t/∂x_s‖ of an uploaded stack on the sentence (cached by the file's digest and word ids)."""
    return rv.connectivity(_stack, _x)
