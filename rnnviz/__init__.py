"""rnnviz — the NumPy core of an unrolled-RNN visualizer.

Text → vocabulary → ids → one-hot → SimpleRNN / LSTM / GRU forward traces, exact BPTT, gradient-flow
analysis (the w_h experiment) and training. Imports nothing but NumPy, so notebooks and the app share it.
"""

from .cells import (
    ACTIVATIONS,
    CELL_CLASSES,
    CELL_KINDS,
    GRU,
    LSTM,
    Cell,
    Grads,
    SimpleRNN,
    Trace,
    cell_class,
    cell_class_for_blocks,
    global_norm,
    make_cell,
    sigmoid,
)
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
    "CELL_CLASSES",
    "CELL_KINDS",
    "GRU",
    "LSTM",
    "PADDINGS",
    "Cell",
    "Grads",
    "SimpleRNN",
    "Trace",
    "Vocabulary",
    "cell_class",
    "cell_class_for_blocks",
    "embedding_matrix",
    "global_norm",
    "make_cell",
    "one_hot",
    "one_hot_batch",
    "one_hot_ids",
    "padding_mask",
    "sigmoid",
    "tokenize",
]

__version__ = "0.1.0"

from .analysis import (
    LOG10_MAX,
    SWEEP_MODES,
    Clipped,
    GradCheck,
    WhSweep,
    chain_log10_norms,
    clip_by_global_norm,
    gradcheck,
    jacobian_norms,
    numeric_gradient,
    recurrent_direction,
    regime,
    relative_error,
    wh_sweep,
)
from .recurrent import (
    ManyToMany,
    Recurrent,
    RecurrentGrads,
    RecurrentTrace,
    connectivity,
    many_to_many,
)
from .seq2seq import Decoded, Seq2Seq, Seq2SeqStep
from .train import (
    OPTIMIZERS,
    History,
    ManyToOne,
    SigmoidHead,
    SoftmaxHead,
    TrainConfig,
    TrainResult,
    bce,
    evaluate,
    many_to_one,
    sgd_step,
    train,
)

__all__ += [
    "LOG10_MAX",
    "OPTIMIZERS",
    "SWEEP_MODES",
    "Clipped",
    "GradCheck",
    "History",
    "ManyToOne",
    "SigmoidHead",
    "SoftmaxHead",
    "TrainConfig",
    "TrainResult",
    "WhSweep",
    "bce",
    "chain_log10_norms",
    "clip_by_global_norm",
    "evaluate",
    "gradcheck",
    "jacobian_norms",
    "many_to_one",
    "numeric_gradient",
    "recurrent_direction",
    "regime",
    "relative_error",
    "sgd_step",
    "train",
    "wh_sweep",
]

__all__ += [
    "Decoded",
    "ManyToMany",
    "Recurrent",
    "RecurrentGrads",
    "RecurrentTrace",
    "Seq2Seq",
    "Seq2SeqStep",
    "connectivity",
    "many_to_many",
]
