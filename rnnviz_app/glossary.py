"""The lecture notes' symbols beside rnnviz's, and the jargon of the pages in plain words.

The notes write O_t, w_i, w_h, w_o (a row vector times a matrix); rnnviz writes h_t, W_xh, W_hh, w_o, as
d2l and PyTorch do, and its o_t is the LSTM's output gate. `glossary_popover(container)` puts the mapping
and the jargon one click away on a page; `help_text(term)` is the one-line help of a metric or a widget.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import streamlit as st


@dataclass(frozen=True)
class Notation:
    """One symbol as the lecture notes write it, as rnnviz writes it, and what it is."""

    notes: str
    app: str
    meaning: str


NOTATION = (
    Notation("O_t, o_t (the node's output at step t)", "h_t",
             "the hidden state after word t, a (1 × H) row. rnnviz's o_t is something else: the LSTM's "
             "output gate (as in the slides)"),
    Notation("O_0", "h_0", "the state before the first word: zeros (the notes: \"0 or random\"; the sidebar "
             "offers both)"),
    Notation("x_it (x_11, x_12, …)", "x_t", "word t of the sentence as a one-hot (1 × V) row; the notes' i "
             "numbers the review"),
    Notation("w_i, w_in, w_1 (5 × 3)", "W_xh (V × H)", "input weights: x_t·W_xh picks the row of word t"),
    Notation("w_h (3 × 3)", "W_hh (H × H)", "recurrent (feedback) weights. On the Gradient lab w_h is one "
             "number, the size of W_hh (W_hh = w_h·Q)"),
    Notation("b, b_1, Bias", "b_h", "the cell's bias, H numbers"),
    Notation("w_o (3 × 1)", "w_o (H,)", "output weights: ŷ = σ(h_T·w_o + b_o), Keras' Dense(1)"),
    Notation("b_o (article; often left out)", "b_o",
             "the output bias (Dense's 1 bias). In the LSTM slides W_o, b_o are the output gate's weights "
             "and bias instead"),
    Notation("f, θ", "tanh (or relu)", "the activation of a SimpleRNN"),
    Notation("g, σ, sigmoid", "σ", "the output's squashing to (0, 1)"),
    Notation("ŷ, y′", "ŷ", "the prediction"),
    Notation("α, η", "η", "the learning rate: w ← w − η·∂L/∂w"),
    Notation("h_t = f(W_hh h_t−1 + W_xh x_t + b_h) (slides)", "h_t = f(x_t W_xh + h_t−1 W_hh + b_h)",
             "the same step: the slides multiply column vectors (matrix first), rnnviz rows (vector first), "
             "so each matrix is the other's transpose"),
    Notation("W_f·[h_t−1, x_t] + b_f (concatenation)", "x_t W_xf + h_t−1 W_hf + b_f",
             "the same number: [h_t−1, x_t] times the two matrices stacked is the sum of the two products"),
    Notation("C_t, C̃_t", "c_t, c̃_t (PyTorch's g)", "the LSTM's cell state and its candidate"),
    Notation("GRU: h_t = (1 − z)·h_t−1 + z·h̃_t", "h_t = (1 − z)·h̃_t + z·h_t−1",
             "z and 1 − z swapped (rnnviz = PyTorch = Keras): read the notes' z as rnnviz's 1 − z"),
    Notation("GRU: h̃_t = tanh(W·[r ⊙ h_t−1, x_t])", "h̃_t = tanh(x_t W_xn + b_xn + r ⊙ (h_t−1 W_hn + b_hn))",
             "the reset gate r is applied after the matrix in rnnviz (PyTorch, Keras reset_after=True; the "
             "slides too), before it in the handwritten notes: a slightly different cell"),
)

JARGON = MappingProxyType({
    "parameters": "Every number the network learns: weights (they multiply) plus biases (they are added). "
                  "Keras' model.summary() counts parameters.",
    "‖∂L/∂θ‖": "The size of the whole gradient: take ∂L/∂(every weight and bias), square, add up, square "
               "root (θ = all the parameters together). It is how hard one gradient-descent step pushes: "
               "huge means exploding, almost 0 means nothing left to learn.",
    "δ_t": "Step t's share of a weight's gradient: ∂L/∂W = δ₁ + δ₂ + … + δ_T, one term per unrolled step "
           "(the notes' Σ over j).",
    "BPTT": "Backpropagation through time: the chain rule on the network unrolled over the sentence, from "
            "the loss back to the first word.",
    "Jacobian": "The table of all partial derivatives: how much each output number moves when one input "
                "number is nudged. ∂h_t/∂h_t−1 is H × H; an LSTM's ∂[h_t; c_t]/∂[h_t−1; c_t−1] is 2H × 2H "
                "because its state is h and c together.",
    "spectral norm": "The most one multiplication by a matrix can stretch a vector (its largest singular "
                     "value). For a 1 × 1 matrix [w] it is just |w|.",
    "spectral radius": "How much multiplying by W_hh over and over stretches a vector in the long run (its "
                       "largest |eigenvalue|): above 1 repeated products grow, below 1 they shrink to 0.",
    "W_hh = w_h·Q, Q orthogonal": "Q is a rotation-like matrix: it keeps every vector's length. Times the "
                                  "number w_h it stretches every vector by exactly w_h: the lecture's scalar "
                                  "w_h, with H units.",
    "log space": "100 factors of 0.01 multiply to 1e-200, and a few more underflow to 0 in the computer (or "
                 "overflow to ∞). Adding their logarithms instead keeps the exact size.",
    "PyTorch's g / n": "PyTorch's letter for the candidate: g in an LSTM (the notes' C̃_t), n in a GRU (the "
                       "notes' h̃_t).",
    "finite differences": "Nudge one number by ε = 10⁻⁶ up and down, recompute the loss, divide: "
                          "(L(θ + ε) − L(θ − ε)) / 2ε. Slow but simple: it checks the fast BPTT formula.",
    "relative / absolute error": "Absolute: |analytic − numeric|. Relative: that difference divided by the "
                                 "size of the gradient. For a tiny gradient, float noise makes the relative "
                                 "error large, so the absolute one decides.",
    "vanishing / exploding gradient": "Going back k steps multiplies k factors ∂h_t/∂h_t−1: mostly below 1, "
                                      "the product shrinks toward 0 (early words stop learning); above 1, it "
                                      "can blow up (training jumps around).",
    "one-hot / embedding": "One-hot: V numbers per word, a single 1 (sparse). Embedding: d learned numbers "
                           "per word, none of them 0 (dense).",
})


def help_text(term: str) -> str:
    """The plain-language help of one jargon term (a key of JARGON)."""
    if term not in JARGON:
        raise ValueError(f"no glossary entry {term!r}; entries: {sorted(JARGON)}")
    return JARGON[term]


def _cell(text: str) -> str:
    """Table-cell text for Markdown: no pipes, and no underscores read as italics."""
    return text.replace("|", "∣").replace("_", r"\_").replace("*", r"\*")


def notation_markdown() -> str:
    """The mapping as a Markdown table: lecture notes | rnnviz | what it is."""
    rows = ["| lecture notes | rnnviz | what it is |", "|---|---|---|"]
    rows += [f"| {_cell(n.notes)} | {_cell(n.app)} | {_cell(n.meaning)} |" for n in NOTATION]
    return "\n".join(rows)


def jargon_markdown() -> str:
    """The jargon as a Markdown list: **term**: plain words."""
    return "\n".join(f"- **{_cell(term)}**: {_cell(text)}" for term, text in JARGON.items())


def glossary_popover(container: Any) -> None:
    """A "Notation ↔ lecture notes" button on `container` (st, st.sidebar, a column) that opens the mapping
    and the jargon."""
    with container.popover("Notation ↔ lecture notes", icon="📖"):
        st.markdown("**The lecture notes' symbols and rnnviz's**")
        st.markdown(notation_markdown())
        st.markdown("**Words on these pages, in plain language**")
        st.markdown(jargon_markdown())
