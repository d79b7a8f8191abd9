"""Read a user's trained recurrent layer from a .npz file (pure: no streamlit).

Two layouts are accepted, as saved by three lines of PyTorch or Keras:

- PyTorch (`nn.RNN`/`nn.LSTM`/`nn.GRU` state dict): weight_ih_l0 (G·H, D), weight_hh_l0 (G·H, H),
  bias_ih_l0 (G·H,), bias_hh_l0 (G·H,); with num_layers > 1 or bidirectional=True also …_l1, …_reverse
  (the whole stack is kept; the pages unroll layer 1's forward direction);
- Keras (`layer.get_weights()`): kernel (D, G·H), recurrent_kernel (H, G·H), bias (G·H,); a GRU's bias
  is (2, 3·H).

G = 1 (SimpleRNN), 4 (LSTM) or 3 (GRU) is read from the shapes unless the cell type is given. Optional extras:
the output head w_o (H,) or (H, 1) and b_o (scalar or (1,)), and "vocab", the words in id order. Every
problem becomes a WeightsError whose message says what was expected and what was found.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass

import numpy as np

import rnnviz as rv

from .state import MAX_UPLOAD_HIDDEN

MAX_BYTES = 5 * 1024 * 1024  # upload size cap, checked before anything is read
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # a compressed .npz may not unpack to more than this
MAX_INPUT = 5000  # one-hot inputs: the vocabulary size
KINDS = rv.CELL_KINDS
BLOCKS = {cls.n_blocks: kind for kind, cls in rv.CELL_CLASSES.items()}  # G = gate blocks → cell type
TORCH_KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
KERAS_KEYS = ("kernel", "recurrent_kernel", "bias")
EXTRA_KEYS = ("w_o", "b_o", "vocab")
SOURCES = {"pytorch": "PyTorch", "keras": "Keras", "rnnviz": "training in rnnviz"}


class WeightsError(ValueError):
    """The file cannot be used; the message tells the user why and what rnnviz expects."""


@dataclass(frozen=True, eq=False)
class CustomWeights:
    """A user's recurrent layer, ready for the app: the cell, an optional head and vocabulary."""

    cell: rv.Cell
    head: rv.SigmoidHead | None
    vocab: tuple[str, ...] | None
    source: str  # "pytorch" | "keras" | "rnnviz" (trained on the Train page or a trained preset)
    notes: tuple[str, ...]
    digest: str  # identifies the file and the options it was read with (cache key)
    file_name: str = ""
    about: str = ""  # weights trained in rnnviz: what was trained on what (shown with the badge)
    stack: rv.Recurrent | None = None  # a multi-layer / bidirectional file: all of it (`cell` is layer 1 →)

    @property
    def kind(self) -> str:
        return self.cell.kind

    @property
    def summary(self) -> str:
        """E.g. "LSTM, H=8, from PyTorch" (SimpleRNN adds its activation; a stack: which layer is shown)."""
        base = f"{self.cell.label}, H={self.cell.hidden_size}, from {SOURCES[self.source]}"
        if self.stack is None:
            return base
        net = self.stack
        bi = " bidirectional" if net.bidirectional else ""
        direction = " (forward)" if net.bidirectional else ""
        return f"{base} — layer 1{direction} of a {net.num_layers}-layer{bi} network"


def _shape(a: np.ndarray) -> str:
    return str(tuple(int(n) for n in a.shape))


def _read_npz(data: bytes) -> dict[str, np.ndarray]:
    """The named arrays of an .npz file, read without pickle; WeightsError for anything else."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise WeightsError(f"expected the file's bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise WeightsError(f"the file has {len(data) / 1e6:.1f} MB; rnnviz reads weight files up to "
                           f"{MAX_BYTES / 1e6:.1f} MB (one small recurrent layer is a few kB)")
    if not data:
        raise WeightsError("the file is empty")
    if data[:6] == b"\x93NUMPY":
        raise WeightsError("this is a single .npy array; rnnviz needs an .npz archive of named arrays "
                           "(np.savez(\"rnn.npz\", weight_ih_l0=..., ...))")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except Exception as exc:  # untrusted bytes: zipfile raises many kinds of errors (BadZipFile, …)
        raise WeightsError("this is not an .npz file (an .npz is a zip archive of .npy arrays written by "
                           f"np.savez): {exc}") from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise WeightsError(f"the archive unpacks to {unpacked / 1e6:.0f} MB; rnnviz reads up to "
                           f"{MAX_UNPACKED_BYTES / 1e6:.0f} MB")
    arrays: dict[str, np.ndarray] = {}
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            if not hasattr(npz, "files"):
                raise WeightsError("this is not an .npz archive of named arrays")
            for name in npz.files:
                arrays[name] = np.asarray(npz[name])
    except WeightsError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise WeightsError("the file holds Python objects (pickled data), which rnnviz never loads; "
                               "save plain NumPy arrays (tensor.numpy(), np.array(words) for vocab)") from exc
        raise WeightsError(f"the .npz file could not be read: {exc}") from exc
    except Exception as exc:  # damaged archive members: zlib, CRC, header errors of every kind
        raise WeightsError(f"the .npz file is damaged and could not be read: {exc}") from exc
    if not arrays:
        raise WeightsError("the .npz file holds no arrays")
    return arrays


def _layout(arrays: dict[str, np.ndarray]) -> str:
    names = sorted(arrays)
    # deeper layers (…_l1) and the backward direction (…_reverse) are PyTorch names too: see _stack
    torch = [k for k in names if k in TORCH_KEYS or k.startswith(("weight_", "bias_"))]
    keras = [k for k in names if k in KERAS_KEYS]
    if torch and keras:
        raise WeightsError(f"the file mixes PyTorch names ({', '.join(torch)}) and Keras names "
                           f"({', '.join(keras)}); use one of the two layouts")
    if torch:
        return "pytorch"
    if keras:
        return "keras"
    raise WeightsError(f"no recurrent weights found: the file has {', '.join(names)}. rnnviz expects PyTorch "
                       f"names ({', '.join(TORCH_KEYS)}) or Keras names ({', '.join(KERAS_KEYS)})")


def _float(name: str, a: np.ndarray) -> np.ndarray:
    if a.dtype.kind not in "biuf":
        raise WeightsError(f"{name} holds {a.dtype} values; weights must be real numbers")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise WeightsError(f"{name} contains NaN or infinite values")
    return a


def _infer_kind(layout: str, arrays: dict[str, np.ndarray]) -> tuple[str, str]:
    """The cell type the recurrent matrix's shape implies: (kind, how it was read)."""
    name = "weight_hh_l0" if layout == "pytorch" else "recurrent_kernel"
    if name not in arrays:
        raise WeightsError(f"{name} is missing: the {SOURCES[layout]} layout needs "
                           f"{', '.join(TORCH_KEYS if layout == 'pytorch' else KERAS_KEYS)}")
    a = arrays[name]
    if a.ndim != 2 or min(a.shape) < 1:
        raise WeightsError(f"{name} has shape {_shape(a)}; expected a matrix")
    rows, cols = a.shape if layout == "pytorch" else a.shape[::-1]
    G = rows // cols
    if rows % cols == 0 and G in BLOCKS:
        return BLOCKS[G], f"{name} {_shape(a)}: {G} block{'s' if G > 1 else ''} of H={cols}"
    want = "(G·H, H)" if layout == "pytorch" else "(H, G·H)"
    *first, last = (f"{g} ({kind})" for g, kind in BLOCKS.items())
    raise WeightsError(f"{name} has shape {_shape(a)}; expected {want} with G = {', '.join(first)} or "
                       f"{last} gate blocks")


def _build_cell(layout: str, kind: str, activation: str, arrays: dict[str, np.ndarray]) -> rv.Cell:
    cls = rv.cell_class(kind)
    kw = cls.activation_kwargs(activation)  # a SimpleRNN's choice; a gated cell's tanh is fixed
    if layout == "pytorch":
        missing = [k for k in TORCH_KEYS if k not in arrays]
        if missing:
            raise WeightsError(f"a PyTorch {kind} needs {', '.join(TORCH_KEYS)}; "
                               f"missing {', '.join(missing)}")
        sd = {k: _float(k, arrays[k]) for k in TORCH_KEYS}
        return cls.from_torch(sd, **kw)
    missing = [k for k in KERAS_KEYS if k not in arrays]
    if missing:
        raise WeightsError(f"a Keras {kind} needs {', '.join(KERAS_KEYS)}; missing {', '.join(missing)}")
    return cls.from_keras(*(_float(k, arrays[k]) for k in KERAS_KEYS), **kw)


_STACK_KEY = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh)_l\d+(_reverse)?$")


def _stack(kind: str, activation: str, arrays: dict[str, np.ndarray]) -> rv.Recurrent | None:
    """A multi-layer or bidirectional PyTorch state dict as the whole stack; None for one layer, one
    direction. Missing or misshapen keys become a WeightsError naming the key and both shapes."""
    keys = [k for k in arrays if _STACK_KEY.match(k)]
    if all(k in TORCH_KEYS for k in keys):
        return None
    sd = {k: _float(k, arrays[k]) for k in keys}
    try:
        return rv.Recurrent.from_torch(sd, kind, activation if kind == "SimpleRNN" else "tanh")
    except ValueError as exc:
        raise WeightsError(str(exc)) from exc


def _head(arrays: dict[str, np.ndarray], H: int, notes: list[str]) -> rv.SigmoidHead | None:
    if "w_o" not in arrays:
        if "b_o" in arrays:
            raise WeightsError("b_o was given without w_o; the output head ŷ = σ(h_T·w_o + b_o) needs both "
                               f"(w_o of shape ({H},))")
        return None
    w_o = _float("w_o", arrays["w_o"])
    if w_o.shape not in ((H,), (H, 1), (1, H)):
        raise WeightsError(f"w_o has shape {_shape(w_o)}; the output head of a layer with hidden size {H} "
                           f"needs ({H},) or ({H}, 1)")
    b_o = 0.0
    if "b_o" in arrays:
        b = _float("b_o", arrays["b_o"])
        if b.size != 1:
            raise WeightsError(f"b_o has shape {_shape(b)}; expected one number (a scalar or shape (1,))")
        b_o = float(b.reshape(-1)[0])
    else:
        notes.append("No b_o in the file: the output bias is 0.")
    return rv.SigmoidHead(w_o.reshape(-1), b_o)


_UNSAFE = str.maketrans({"<": "‹", ">": "›", "&": "＆"})


def _display_safe(word: str) -> str:
    """Entries such as "<pad>" can never match a typed word (the tokenizer keeps letters and digits), so
    they may be shown differently: no HTML-like characters, no control characters, at most 40 characters."""
    word = "".join(ch if ch.isprintable() else "�" for ch in word.translate(_UNSAFE))
    return word if len(word) <= 40 else word[:39] + "…"


def _vocab(arrays: dict[str, np.ndarray], D: int, notes: list[str]) -> tuple[str, ...] | None:
    if "vocab" not in arrays:
        return None
    v = arrays["vocab"]
    if v.dtype.kind not in "US":
        raise WeightsError(f"vocab holds {v.dtype} values; expected words (np.array(['movie', 'was', ...]))")
    if v.ndim != 1:
        raise WeightsError(f"vocab has shape {_shape(v)}; expected a list of words, shape ({D},)")
    words = tuple(_display_safe(w.decode("utf-8", "replace") if isinstance(w, bytes) else str(w))
                  for w in v.tolist())
    if len(words) != D:
        raise WeightsError(f"vocab has {len(words)} words but the layer's input size is {D}: with one-hot "
                           f"inputs there is one input per word, so vocab needs {D} words in id order")
    dupes = sorted({w for w in words if words.count(w) > 1})
    if dupes:
        raise WeightsError(f"vocab lists these words more than once: {', '.join(dupes[:10])}")
    odd = [w for w in words if rv.tokenize(w) != [w]]
    if odd:
        notes.append(f"{len(odd)} vocab entr{'y' if len(odd) == 1 else 'ies'} can never match a typed word "
                     f"(rnnviz lower-cases and splits on punctuation): {', '.join(map(repr, odd[:8]))}.")
    return words


def load_weights(data: bytes, kind: str | None = None, activation: str = "tanh",
                 file_name: str = "") -> CustomWeights:
    """Parse and check an uploaded .npz; kind None infers SimpleRNN/LSTM/GRU from the shapes.

    Raises WeightsError (a ValueError) with a message for the user; no other exception escapes.
    """
    if kind is not None and kind not in KINDS:
        raise WeightsError(f"cell type must be one of {', '.join(KINDS)}, got {kind!r}")
    if activation not in rv.ACTIVATIONS:
        raise WeightsError(f"activation must be tanh or relu, got {activation!r}")
    arrays = {k.removesuffix(".npy"): v for k, v in _read_npz(data).items()}
    layout = _layout(arrays)
    inferred, why = _infer_kind(layout, arrays)
    notes: list[str] = []
    if kind is None:
        kind = inferred
        notes.append(f"Cell type read from the shapes: {why} → {kind}.")
    try:
        cell = _build_cell(layout, kind, activation, arrays)
    except WeightsError:
        raise
    except (ValueError, TypeError) as exc:
        hint = "" if inferred == kind else f" (these shapes fit a {inferred}: {why})"
        raise WeightsError(f"{exc}{hint}") from exc
    stack = _stack(kind, cell.activation, arrays) if layout == "pytorch" else None
    if stack is not None:
        cell = stack.cells[0][0]  # the cell that reads the words: layer 1, forward direction
        bi = " bidirectional" if stack.bidirectional else ""
        notes.append(f"A {stack.num_layers}-layer{bi} {kind} ({stack.num_params()} parameters): the pages "
                     "unroll layer 1's forward direction, the cell that reads the words; the RNN types page "
                     "runs the whole network.")
    if cell.activation == "relu":
        notes.append("Activation: relu (as chosen; a file does not record it).")
    H, D = cell.hidden_size, cell.input_size
    if H > MAX_UPLOAD_HIDDEN:
        raise WeightsError(f"the layer has {H} hidden units; rnnviz draws at most {MAX_UPLOAD_HIDDEN}")
    if D > MAX_INPUT:
        raise WeightsError(f"the layer has {D} inputs; rnnviz feeds one-hot words and reads at most "
                           f"{MAX_INPUT}")
    head = _head(arrays, H, notes)
    vocab = _vocab(arrays, D, notes)
    known = set(TORCH_KEYS if layout == "pytorch" else KERAS_KEYS) | set(EXTRA_KEYS)
    if stack is not None:
        known |= set(stack.to_torch())
    ignored = sorted(set(arrays) - known)
    if ignored:
        notes.append(f"Ignored arrays: {', '.join(ignored)}.")
    digest = hashlib.sha256(bytes(data) + f"|{kind}|{activation}".encode()).hexdigest()[:16]
    return CustomWeights(cell=cell, head=head, vocab=vocab, source=layout, notes=tuple(notes),
                         digest=digest, file_name=file_name, stack=stack)
