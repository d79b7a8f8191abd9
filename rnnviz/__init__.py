"""rnnviz — the NumPy core of an unrolled-RNN visualizer.

Text → vocabulary → ids → one-hot → SimpleRNN / LSTM / GRU forward traces, exact BPTT, gradient-flow
analysis (the w_h experiment) and training. Imports nothing but NumPy, so notebooks and the app share it.
"""

from .cells import ACTIVATIONS, GRU, LSTM, Grads, SimpleRNN, Trace, sigmoid
from .text import (
    PADDINGS,
    Vocabulary,
    embedding_matrix,
    one_hot,
    one_hot_batch,
    one_hot_ids,
    padding_mask,
    tokenize,
)

__all__ = [
    "ACTIVATIONS",
    "GRU",
    "LSTM",
    "PADDINGS",
    "Grads",
    "SimpleRNN",
    "Trace",
    "Vocabulary",
    "embedding_matrix",
    "one_hot",
    "one_hot_batch",
    "one_hot_ids",
    "padding_mask",
    "sigmoid",
    "tokenize",
]

__version__ = "0.1.0"
