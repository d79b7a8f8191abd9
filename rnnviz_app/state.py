"""One declarative table maps the app's state to the URL query string (seed included).

Every shared setting is a Field: its session_state key doubles as the URL parameter, its parser turns a
query value back into a setting (or raises ValueError), and its default is what an absent parameter means.
A copied link therefore reproduces exactly what is on screen; an invalid value falls back to the default and
the page says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rnnviz import ACTIVATIONS, CELL_KINDS, PADDINGS

CELLS = CELL_KINDS  # the core's registry decides which cells there are
H0_MODES = ("zeros", "random")
LAB_LENGTHS = ("sentence", "generated")
RNN_TYPES = ("one-to-one", "one-to-many", "many-to-one", "many-to-many", "encoder-decoder", "bidirectional",
             "deep")
TRAIN_OPTIMIZERS = ("adam", "sgd")
LAB_WEIGHTS = ("untrained", "trained")
BI_SENTENCES = ("yours", "watch was new", "watch movies with friends", "my name is priya")

DEFAULT_CORPUS = "movie was good | 1\nmovie was bad | 0\nmovie was not good | 0"
MAX_CORPUS_CHARS = 20_000  # longer text is kept in the box but not processed
MAX_SENTENCES = 200
MAX_STEPS = 40  # time steps shown per sentence (the unrolled view stays readable)
MAX_HIDDEN = 16  # the sidebar's hidden-size range: enough for every lesson, every picture readable
MAX_UPLOAD_HIDDEN = 32  # an uploaded trained layer may be larger (32 units is a common size)
MAX_SEED = 2**31 - 1


def _int_in(lo: int, hi: int) -> Callable[[str], int]:
    def parse(s: str) -> int:
        v = int(str(s).strip())
        if not lo <= v <= hi:
            raise ValueError(f"{v} is outside {lo}..{hi}")
        return v

    return parse


def _float_in(lo: float, hi: float) -> Callable[[str], float]:
    def parse(s: str) -> float:
        v = float(str(s).strip())
        if not (math.isfinite(v) and lo <= v <= hi):
            raise ValueError(f"{v} is outside {lo}..{hi}")
        return v

    return parse


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    lookup = {o.lower(): o for o in options}

    def parse(s: str) -> str:
        v = lookup.get(str(s).strip().lower())
        if v is None:
            raise ValueError(f"{s!r} is not one of {', '.join(options)}")
        return v

    return parse


def _bool(s: str) -> bool:
    v = str(s).strip().lower()
    if v in ("1", "true", "on", "yes"):
        return True
    if v in ("0", "false", "off", "no"):
        return False
    raise ValueError(f"{s!r} is not on/off")


def _text(max_chars: int) -> Callable[[str], str]:
    def parse(s: str) -> str:
        if len(s) > max_chars:
            raise ValueError(f"text of {len(s)} characters is longer than {max_chars}")
        return s

    return parse


def _dump_text(v: str) -> str:
    """An emptied box as one space: a URL drops empty parameters, which would bring the default text back."""
    return v if v else " "


def _dump_bool(v: bool) -> str:
    return "1" if v else "0"


def _dump_float(v: float) -> str:
    """The shortest text that reads back as the same float ("0.47", "1", "1e-05")."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class Field:
    key: str  # session_state key and URL query parameter
    label: str  # what the page calls it
    default: Any
    parse: Callable[[str], Any]
    dump: Callable[[Any], str] = str


FIELDS: tuple[Field, ...] = (
    # shared sidebar
    Field("corpus", "Corpus", DEFAULT_CORPUS, _text(4 * MAX_CORPUS_CHARS), _dump_text),
    Field("sentence", "Sentence to inspect", 1, _int_in(1, MAX_SENTENCES)),
    Field("cell", "Cell", "SimpleRNN", _choice(CELLS)),
    Field("act", "SimpleRNN activation", "tanh", _choice(ACTIVATIONS)),
    Field("hidden", "Hidden size", 3, _int_in(1, MAX_HIDDEN)),
    Field("seed", "Random seed", 0, _int_in(0, MAX_SEED)),
    Field("h0", "Initial state h0", "zeros", _choice(H0_MODES)),
    Field("step", "Time step", 1, _int_in(1, MAX_STEPS)),
    Field("present", "Presentation mode", False, _bool, _dump_bool),
    # Encoding page
    Field("padding", "Padding", "post", _choice(PADDINGS)),
    Field("emb_dim", "Embedding size d", 3, _int_in(1, 16)),
    # BPTT page
    Field("lr", "Learning rate η", 0.5, _float_in(1e-4, 10.0), _dump_float),
    # Gradient lab
    Field("wh", "w_h (spectral radius of W_hh)", 1.0, _float_in(0.0, 3.0), _dump_float),
    Field("lab_len", "Sequence", "generated", _choice(LAB_LENGTHS)),
    Field("lab_T", "Generated length T", 100, _int_in(2, 200)),
    Field("lab_act", "Lab activation", "tanh", _choice(ACTIVATIONS)),
    Field("lab_cell", "Lab cell", "SimpleRNN", _choice(CELLS)),
    Field("clip", "Clip threshold (0 = off)", 0.0, _float_in(0.0, 100.0), _dump_float),
    # RNN types page
    Field("types_type", "RNN type", "many-to-many", _choice(RNN_TYPES)),
    Field("types_first", "First word", "", _text(60)),
    Field("types_bi", "Sentence", "yours", _choice(BI_SENTENCES)),
    Field("types_layers", "Stacked layers", 2, _int_in(1, 3)),
    Field("types_conn_cell", "Cell of the connectivity matrix", "LSTM", _choice(CELLS)),
    Field("types_conn_bi", "Bidirectional", False, _bool, _dump_bool),
    # Train page (and the lab's trained comparison)
    Field("train_cell", "Cell", "SimpleRNN", _choice(CELLS)),
    Field("train_act", "SimpleRNN activation", "tanh", _choice(ACTIVATIONS)),
    Field("train_hidden", "Hidden size H", 3, _int_in(1, MAX_HIDDEN)),
    Field("train_seed", "Seed (initial weights)", 0, _int_in(0, MAX_SEED)),
    Field("train_opt", "Optimiser", "adam", _choice(TRAIN_OPTIMIZERS)),
    Field("train_lr", "Learning rate η", 0.05, _float_in(1e-4, 10.0), _dump_float),
    Field("train_epochs", "Epochs", 200, _int_in(1, 500)),
    Field("train_batch", "Batch size (0 = all sentences)", 0, _int_in(0, MAX_SENTENCES)),
    Field("train_clip", "Clip ‖∂L/∂θ‖ at (0 = off)", 0.0, _float_in(0.0, 100.0), _dump_float),
    Field("train_k", "k (words after the first)", 30, _int_in(1, 30)),
    Field("lab_weights", "Weights of the comparison", "untrained", _choice(LAB_WEIGHTS)),
)
FIELD_BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}


def defaults() -> dict[str, Any]:
    return {f.key: f.default for f in FIELDS}


def from_query(params: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Settings from URL parameters: (values for the fields present and valid, notes on invalid ones)."""
    values: dict[str, Any] = {}
    notes: list[str] = []
    for key, raw in params.items():
        field = FIELD_BY_KEY.get(key)
        if field is None:
            continue  # unknown parameters are ignored
        if isinstance(raw, list):
            raw = raw[-1] if raw else ""
        try:
            values[key] = field.parse(str(raw))
        except (TypeError, ValueError) as exc:
            notes.append(f"Link parameter {key}={str(raw)[:40]!r} was ignored ({exc}); "
                         f"using the default {field.label.lower()}: {field.dump(field.default)}.")
    return values, notes


def clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every field's value, or its default where the value is missing or not one the field can hold (a
    string where a number belongs, a number out of range): what reaches the model is always valid."""
    out = dict(values)
    for f in FIELDS:
        v = values.get(f.key, f.default)
        ok = type(v) is type(f.default) or (isinstance(f.default, float) and type(v) is int)
        try:
            ok = ok and f.parse(v if isinstance(v, str) else f.dump(v)) == v
        except (TypeError, ValueError):
            ok = False
        out[f.key] = v if ok else f.default
    return out


def to_query(values: Mapping[str, Any]) -> dict[str, str]:
    """URL parameters for the settings that differ from their defaults (in table order)."""
    out = {}
    for f in FIELDS:
        v = values.get(f.key, f.default)
        if v != f.default:
            out[f.key] = f.dump(v)
    return out
