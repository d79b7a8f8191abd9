"""SimpleRNN, LSTM and GRU cells in NumPy, float64, row-vector convention; their public base `Cell` and
the registry CELL_CLASSES (kind → class), the one place that knows the kinds.

    SimpleRNN  h_t = f(x_t W_xh + h_{t-1} W_hh + b_h)                     W_xh (D, H), W_hh (H, H)
    LSTM       [i f g o] = [σ σ tanh σ](x_t W_xh + h_{t-1} W_hh + b_h)    W_xh (D, 4H), gates i, f, g, o
               c_t = f * c_{t-1} + i * g ;  h_t = o * tanh(c_t)
    GRU        [r z] = σ(x_t W_xh[:, :2H] + b_xh[:2H] + h_{t-1} W_hh[:, :2H] + b_hh[:2H])
               n = tanh(x_t W_xn + b_xn + r * (h_{t-1} W_hn + b_hn))        gate order r, z, n
               h_t = (1 - z) * n + z * h_{t-1}

These are PyTorch's nn.RNN / nn.LSTM / nn.GRU equations (and Keras' with reset_after=True), written with
row vectors as the lecture notes do: x_t is (1, D), so x_t W_xh is (1, D)·(D, H). Each backward rule sits
beside its forward step. Every forward loop runs over a leading batch axis K (K = 1 for a sentence), so the
w_h experiment can push a whole grid of recurrent weights through the same code at once.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

ACTIVATIONS = ("tanh", "relu")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^-z), accurate in both tails (callers silence the harmless exp overflow)."""
    return 1.0 / (1.0 + np.exp(-z))


class ReadOnlyDict(dict):
    """A dict that refuses changes and still pickles (app caches copy traces)."""

    def _blocked(self, *args, **kwargs):
        raise TypeError("this mapping is read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _blocked  # type: ignore

    def __reduce__(self):
        return (ReadOnlyDict, (dict(self),))


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


def _as_float_array(value, name: str) -> np.ndarray:
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a PyTorch tensor: take its values
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got {type(value).__name__}") from exc
    return arr


# --------------------------------------------------------------------------------------------------------
# Keras-like initialisation from an explicit seed
# --------------------------------------------------------------------------------------------------------


def glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Keras' GlorotUniform: U(-l, l) with l = sqrt(6 / (fan_in + fan_out)); shape (fan_in, fan_out)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def orthogonal(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """Keras' Orthogonal: QR of a normal matrix, signs fixed so the result is unique for the seed."""
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))  # make the decomposition unique
    return q if rows >= cols else q.T


# --------------------------------------------------------------------------------------------------------
# Traces and gradients
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Trace:
    """Everything a forward pass computed, so that no page recomputes math.

    Shapes for one sentence of T steps, D input features and H hidden units (G gate blocks: 1, 4 or 3):
    x (T, D); h0 (H,); h_prev (T, H) = h_0..h_{T-1}; h (T, H) = h_1..h_T; x_part (T, G·H) = x_t W_xh;
    h_part (T, G·H) = h_{t-1} W_hh; pre: the pre-activations per gate (T, H) (SimpleRNN: "a");
    gates: gate activations (T, H) (LSTM i f g o, GRU r z n; SimpleRNN empty); LSTM c_prev, c (T, H).
    """

    cell: str
    activation: str
    x: np.ndarray
    h0: np.ndarray
    h_prev: np.ndarray
    h: np.ndarray
    x_part: np.ndarray
    h_part: np.ndarray
    pre: Mapping[str, np.ndarray]
    gates: Mapping[str, np.ndarray]
    c0: np.ndarray | None = None
    c_prev: np.ndarray | None = None
    c: np.ndarray | None = None

    @property
    def T(self) -> int:
        return self.h.shape[0]

    @property
    def H(self) -> int:
        return self.h.shape[1]

    @property
    def D(self) -> int:
        return self.x.shape[1]

    @property
    def tanh_c(self) -> np.ndarray | None:
        return None if self.c is None else np.tanh(self.c)


def global_norm(arrays) -> float:
    """sqrt(Σ ‖g‖²) over several arrays (what clipping by global norm measures), without overflow: the
    squares are taken of g / max|g|, so gradients of 1e200 still give a finite norm."""
    arrays = [np.asarray(g, dtype=np.float64) for g in arrays]
    big = max((float(np.max(np.abs(g))) for g in arrays if g.size), default=0.0)
    if big == 0.0 or not np.isfinite(big):
        return big
    return big * float(np.sqrt(sum(float(np.sum(np.square(g / big))) for g in arrays)))


def _grad(name: str, doc: str) -> property:
    """A named gradient as a real attribute (grads.W_hh); AttributeError for a parameter the cell lacks."""

    def get(self: Grads) -> np.ndarray:
        try:
            return self.params[name]
        except KeyError:
            raise AttributeError(f"a {self.cell} has no parameter {name!r}") from None

    return property(get, doc=doc)


@dataclass(frozen=True, eq=False)
class Grads:
    """Gradients of one BPTT pass.

    dh (T, H): total dL/dh_t (from the output at t and from h_{t+1}); dx (T, D); dh0 (H,); LSTM dc (T, H)
    and dc0 (H,). `params` holds dL/dθ for each parameter, under the cell's names and shapes; the same arrays
    are attributes (grads.W_hh) and items (grads["W_hh"]). `per_step[name]` is the (T, ...) stack of the
    terms whose sum over time is that gradient: δ_1 + δ_2 + ... + δ_T in the lecture notes.
    """

    cell: str
    dh: np.ndarray
    dx: np.ndarray
    dh0: np.ndarray
    params: Mapping[str, np.ndarray]
    _factors: Mapping[str, tuple[np.ndarray | None, np.ndarray]] = field(repr=False)
    _torch_map: tuple[tuple[str, str], ...] = field(repr=False)
    dc: np.ndarray | None = None
    dc0: np.ndarray | None = None

    W_xh = _grad("W_xh", "dL/dW_xh (D, G·H).")
    W_hh = _grad("W_hh", "dL/dW_hh (H, G·H).")
    b_h = _grad("b_h", "dL/db_h (G·H,): the fused bias of a SimpleRNN or LSTM.")
    b_xh = _grad("b_xh", "dL/db_xh (3H,): a GRU's input-side bias.")
    b_hh = _grad("b_hh", "dL/db_hh (3H,): a GRU's recurrent-side bias.")

    def __getitem__(self, name: str) -> np.ndarray:
        return self.params[name]

    @functools.cached_property
    def per_step(self) -> Mapping[str, np.ndarray]:
        out = {}
        for name, (u, d) in self._factors.items():
            # a weight used as u_t @ W gets u_t^T d_t at step t; a bias gets d_t
            out[name] = d.copy() if u is None else u[:, :, None] * d[:, None, :]
        return ReadOnlyDict(out)

    def global_norm(self) -> float:
        """sqrt(Σ ||dθ||²) over every parameter: what gradient clipping by global norm measures."""
        return global_norm(self.params.values())

    def to_torch(self) -> dict[str, np.ndarray]:
        """The gradient of each PyTorch parameter, under PyTorch's names and shapes."""
        # PyTorch stores weights as (G·H, in): the transpose of the row-vector layout
        return {tn: (self.params[n].T if self.params[n].ndim == 2 else self.params[n]).copy()
                for tn, n in self._torch_map}


# --------------------------------------------------------------------------------------------------------
# Gate blocks
# --------------------------------------------------------------------------------------------------------


def _blocks(a: np.ndarray, G: int) -> np.ndarray:
    """The G gate blocks of a (…, G·H) array as views, gate first: (G, …, H). So `i, f, g, o = _blocks(a, 4)`
    unpacks an LSTM's four blocks without copying, and writing into a block writes into `a`."""
    split = a.reshape(*a.shape[:-1], G, a.shape[-1] // G)  # (…, G, H)
    return np.moveaxis(split, -2, 0)


def _reorder_blocks(a: np.ndarray, have: tuple[str, ...], want: tuple[str, ...]) -> np.ndarray:
    """The gate blocks of a (…, G·H) array restacked from the order `have` to the order `want`."""
    if have == want:
        return a
    blocks = _blocks(a, len(have))
    return np.concatenate([blocks[have.index(g)] for g in want], axis=-1)


def _param(name: str, doc: str) -> property:
    """A parameter as a real, read-only attribute (cell.W_hh)."""
    return property(lambda self: self._params[name], doc=doc)


# --------------------------------------------------------------------------------------------------------
# The cells
# --------------------------------------------------------------------------------------------------------


class Cell:
    """The base of SimpleRNN, LSTM and GRU: parameters, input checks, PyTorch/Keras interop, step Jacobians.

    What differs between the kinds is said by class attributes (kind, n_blocks, gate_names, bias_names,
    has_cell_state, …) and by the methods a kind overrides (_forward, backward, _jacobians, the bias
    conversions); the base never asks which kind it is. CELL_CLASSES maps each kind to its class.
    """

    kind: str = ""
    n_blocks: int = 1  # G: gate blocks stacked along the columns of W_xh / W_hh (PyTorch and Keras alike)
    gate_names: tuple[str, ...] = ()  # rnnviz's (and PyTorch's) order of the G blocks
    keras_gate_names: tuple[str, ...] = ()  # the same gates in the order Keras stacks them
    keras_name: str = ""  # the layer's name in Keras' model.summary(): simple_rnn, lstm, gru
    bias_names: tuple[str, ...] = ("b_h",)  # one fused bias per block (Keras), or b_xh and b_hh (GRU)
    activations: tuple[str, ...] = ("tanh",)  # what `activation` may be (a gated cell's is fixed)
    activation: str = "tanh"  # the state's nonlinearity (Keras' `activation` argument)
    has_cell_state: bool = False  # LSTM: a second state c_t beside h_t
    act_grad_max: float | None = None  # γ = max |f'| for the bound (γ·‖W_hh‖)^(T−t) (SimpleRNN only)

    W_xh = _param("W_xh", "Input weights (D, G·H): x_t W_xh is a row pick for one-hot x_t.")
    W_hh = _param("W_hh", "Recurrent weights (H, G·H): h_{t-1} W_hh.")

    def __init__(self, input_size: int, hidden_size: int, seed: int = 0) -> None:
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.seed = seed
        self._params: dict[str, np.ndarray] = {}
        self._set_params(self._init_params(np.random.default_rng(seed)))

    # --- the kind as data ---------------------------------------------------------------------------

    @classmethod
    def activation_kwargs(cls, activation: str = "tanh") -> dict[str, str]:
        """The keyword arguments that give this kind's constructor, from_torch and from_keras an activation:
        {"activation": …} where there is a choice (SimpleRNN), {} for a gated cell (its tanh is fixed)."""
        return {}

    @classmethod
    def count_params(cls, input_size: int, hidden_size: int) -> int:
        """Keras' parameter count G·(D·H + H·H + B·H), B = bias vectors per block (2 for a GRU)."""
        D, H = input_size, hidden_size
        return cls.n_blocks * (D * H + H * H + len(cls.bias_names) * H)

    @property
    def label(self) -> str:
        """What a page calls the cell: "LSTM", "GRU", "SimpleRNN (tanh)"."""
        return self.kind

    @property
    def state_size(self) -> int:
        """Length of the state s_t the step Jacobians act on: h_t (H), or [h_t; c_t] (2H) for an LSTM."""
        return self.hidden_size * (2 if self.has_cell_state else 1)

    # --- parameters ---------------------------------------------------------------------------------

    def _param_shapes(self) -> dict[str, tuple[int, ...]]:
        D, H, G = self.input_size, self.hidden_size, self.n_blocks
        shapes = {"W_xh": (D, G * H), "W_hh": (H, G * H)}
        shapes.update({b: (G * H,) for b in self.bias_names})
        return shapes

    def _init_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        D, H, G = self.input_size, self.hidden_size, self.n_blocks
        params = {"W_xh": glorot_uniform(rng, D, G * H), "W_hh": orthogonal(rng, H, G * H)}
        params.update({b: np.zeros(G * H) for b in self.bias_names})
        return params

    def _set_params(self, params: Mapping[str, np.ndarray]) -> None:
        shapes = self._param_shapes()
        if set(params) != set(shapes):
            raise ValueError(f"{self.kind} needs parameters {sorted(shapes)}, got {sorted(params)}")
        for name, shape in shapes.items():
            arr = _as_float_array(params[name], name)
            if arr.shape != shape:
                raise ValueError(f"{name} has shape {arr.shape}; {self._describe()} needs {shape}")
            self._params[name] = _frozen(arr)

    def _describe(self) -> str:
        return f"a {self.kind} with input size {self.input_size} and hidden size {self.hidden_size}"

    @property
    def params(self) -> Mapping[str, np.ndarray]:
        """Read-only view of the parameters, in the row-vector layout (W_xh is (D, G·H))."""
        return ReadOnlyDict(self._params)

    def replace(self, **params: np.ndarray) -> Cell:
        """A new cell of the same kind with some parameters replaced (cells are never mutated)."""
        new = object.__new__(type(self))
        new.__dict__.update({k: v for k, v in self.__dict__.items() if k != "_params"})
        new._params = {}
        new._set_params({**self._params, **params})
        return new

    def num_params(self) -> int:
        """Keras' parameter count (one fused bias for SimpleRNN/LSTM; GRU keeps both, reset_after=True)."""
        return int(sum(p.size for p in self._params.values()))

    def gate_block(self, arr: np.ndarray, gate: str) -> np.ndarray:
        """The columns of a (…, G·H) array that belong to one gate, e.g. W_xh's "f" block."""
        k = self.gate_names.index(gate)
        H = self.hidden_size
        return arr[..., k * H : (k + 1) * H]

    def __repr__(self) -> str:
        return f"{self.kind}(input_size={self.input_size}, hidden_size={self.hidden_size})"

    # --- inputs -------------------------------------------------------------------------------------

    def _check_inputs(self, x, h0, c0) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        x = _as_float_array(x, "x")
        if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] != self.input_size:
            raise ValueError(f"x must have shape (T, {self.input_size}) with T >= 1, got {x.shape}")
        H = self.hidden_size
        h0 = np.zeros(H) if h0 is None else _as_float_array(h0, "h0").reshape(-1)
        if h0.shape != (H,):
            raise ValueError(f"h0 must have {H} values (hidden size), got shape {np.shape(h0)}")
        if not self.has_cell_state:
            if c0 is not None:
                raise ValueError(f"c0 is only for an LSTM; a {self.kind} has no cell state")
            return x, h0, None
        c0 = np.zeros(H) if c0 is None else _as_float_array(c0, "c0").reshape(-1)
        if c0.shape != (H,):
            raise ValueError(f"c0 must have {H} values (hidden size), got shape {np.shape(c0)}")
        return x, h0, c0

    def _check_dh(self, trace: Trace, dh) -> np.ndarray:
        dh = _as_float_array(dh, "dh")
        if dh.shape != trace.h.shape:
            raise ValueError(f"dh must have the shape of trace.h {trace.h.shape}, got {dh.shape}")
        if trace.cell != self.kind:
            raise ValueError(f"this trace comes from a {trace.cell}, not a {self.kind}")
        return dh

    def forward(self, x, h0=None, c0=None) -> Trace:
        """Run the cell over x (T, input_size) from h0 (and c0 for an LSTM); zeros by default."""
        x, h0, c0 = self._check_inputs(x, h0, c0)
        with np.errstate(over="ignore"):
            arrs = self._forward(x, h0[None, :], None if c0 is None else c0[None, :], None)
        arrs = {k: (v[:, 0] if isinstance(v, np.ndarray) else {g: a[:, 0] for g, a in v.items()})
                for k, v in arrs.items()}
        return Trace(cell=self.kind, activation=self.activation, x=x, h0=h0, c0=c0,
                     **{k: (ReadOnlyDict(v) if isinstance(v, dict) else v) for k, v in arrs.items()})

    def _forward(self, x, h0, c0, scale) -> dict:
        """The forward loop for K states at once: x (T, D) shared, or (T, K, D); h0, c0 (K, H); scale None
        or (K, 1), each row k running with scale_k · W_hh. Returns the trace's arrays with a K axis."""
        raise NotImplementedError

    def _per_gate(self, pre: np.ndarray, act: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
        """The (…, G·H) pre-activations and gate activations as one (…, H) view per gate name."""
        G, names = self.n_blocks, self.gate_names
        return {"pre": dict(zip(names, _blocks(pre, G), strict=True)),
                "gates": dict(zip(names, _blocks(act, G), strict=True))}

    def _grads(self, **kw) -> Grads:
        return Grads(cell=self.kind, params=ReadOnlyDict(kw.pop("params")),
                     _factors=ReadOnlyDict(kw.pop("factors")), _torch_map=self._torch_grad_map(), **kw)

    # --- PyTorch interop ----------------------------------------------------------------------------

    @classmethod
    def _torch_shapes_ok(cls, sd: Mapping) -> tuple[int, int, dict[str, np.ndarray]]:
        expected = {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}
        keys = set(sd)
        layered = sorted(k for k in keys if "_reverse" in k)
        if layered:
            raise ValueError(f"bidirectional state dicts are not supported: found {layered}")
        deeper = sorted(k for k in keys if not k.endswith("_l0"))
        if deeper:
            raise ValueError(f"only a single-layer {cls.kind} is supported: found {deeper} (need *_l0 keys)")
        missing, extra = sorted(expected - keys), sorted(keys - expected)
        if missing or extra:
            raise ValueError(f"a PyTorch {cls.kind} state dict needs keys {sorted(expected)}; "
                             f"missing {missing}, unexpected {extra}")
        arrs = {k: _as_float_array(v, k) for k, v in sd.items()}
        G = cls.n_blocks
        w_hh = arrs["weight_hh_l0"]
        if w_hh.ndim != 2 or w_hh.shape[1] < 1 or w_hh.shape[0] != G * w_hh.shape[1]:
            raise ValueError(f"weight_hh_l0 has shape {w_hh.shape}; a {cls.kind} needs ({G}·H, H)")
        H = w_hh.shape[1]
        w_ih = arrs["weight_ih_l0"]
        if w_ih.ndim != 2 or w_ih.shape[0] != G * H or w_ih.shape[1] < 1:
            raise ValueError(f"weight_ih_l0 has shape {w_ih.shape}; a {cls.kind} with hidden size {H} "
                             f"needs ({G * H}, input_size)")
        for k in ("bias_ih_l0", "bias_hh_l0"):
            if arrs[k].shape != (G * H,):
                raise ValueError(f"{k} has shape {arrs[k].shape}; a {cls.kind} with hidden size {H} "
                                 f"needs ({G * H},)")
        return w_ih.shape[1], H, arrs

    @classmethod
    def _from_params(cls, input_size: int, hidden_size: int, params: dict, **kw) -> Cell:
        cell = object.__new__(cls)
        cell.input_size, cell.hidden_size, cell.seed = input_size, hidden_size, None
        for k, v in kw.items():
            setattr(cell, k, v)
        cell._params = {}
        cell._set_params(params)
        return cell

    @classmethod
    def from_torch(cls, state_dict: Mapping) -> Cell:
        """The cell of a single-layer PyTorch nn.RNN/LSTM/GRU state dict (numpy arrays or tensors)."""
        return cls._from_torch(state_dict)

    @classmethod
    def _from_torch(cls, state_dict: Mapping, **kw) -> Cell:
        D, H, a = cls._torch_shapes_ok(state_dict)
        params = {"W_xh": a["weight_ih_l0"].T, "W_hh": a["weight_hh_l0"].T,
                  **cls._biases_from_torch(a["bias_ih_l0"], a["bias_hh_l0"])}
        return cls._from_params(D, H, params, **kw)

    @classmethod
    def _biases_from_torch(cls, b_ih: np.ndarray, b_hh: np.ndarray) -> dict[str, np.ndarray]:
        return {"b_h": b_ih + b_hh}  # one fused bias, as Keras keeps it

    def _biases_to_torch(self) -> tuple[np.ndarray, np.ndarray]:
        return self.b_h.copy(), np.zeros_like(self.b_h)  # the fused bias, all on the input side

    _torch_bias_grads: tuple[str, str] = ("b_h", "b_h")  # a fused bias feeds both PyTorch biases

    def to_torch(self) -> dict[str, np.ndarray]:
        """PyTorch single-layer state dict (weight_ih_l0 is W_xh transposed); loads into a fresh module."""
        b_ih, b_hh = self._biases_to_torch()
        return {"weight_ih_l0": self.W_xh.T.copy(), "weight_hh_l0": self.W_hh.T.copy(),
                "bias_ih_l0": b_ih, "bias_hh_l0": b_hh}

    def _torch_grad_map(self) -> tuple[tuple[str, str], ...]:
        """(PyTorch name, rnnviz name) pairs for Grads.to_torch."""
        b_ih, b_hh = self._torch_bias_grads
        return (("weight_ih_l0", "W_xh"), ("weight_hh_l0", "W_hh"),
                ("bias_ih_l0", b_ih), ("bias_hh_l0", b_hh))

    # --- Keras interop ------------------------------------------------------------------------------

    @classmethod
    def _check_keras(cls, kernel, recurrent_kernel) -> tuple[np.ndarray, np.ndarray, int, int]:
        k = _as_float_array(kernel, "kernel")
        rk = _as_float_array(recurrent_kernel, "recurrent_kernel")
        G = cls.n_blocks
        if rk.ndim != 2 or rk.shape[1] != G * rk.shape[0] or rk.shape[0] < 1:
            raise ValueError(f"recurrent_kernel has shape {rk.shape}; a Keras {cls.kind} needs (H, {G}·H)")
        H = rk.shape[0]
        if k.ndim != 2 or k.shape[1] != G * H or k.shape[0] < 1:
            raise ValueError(f"kernel has shape {k.shape}; a Keras {cls.kind} with {H} units needs "
                             f"(input_size, {G * H})")
        return k, rk, k.shape[0], H

    @classmethod
    def _from_keras_order(cls, a: np.ndarray) -> np.ndarray:
        return _reorder_blocks(a, cls.keras_gate_names, cls.gate_names)

    @classmethod
    def _to_keras_order(cls, a: np.ndarray) -> np.ndarray:
        return _reorder_blocks(a, cls.gate_names, cls.keras_gate_names)

    @classmethod
    def from_keras(cls, kernel, recurrent_kernel, bias) -> Cell:
        """The cell of Keras' layer.get_weights(): kernel (D, G·H), recurrent_kernel (H, G·H), bias."""
        return cls._from_keras(kernel, recurrent_kernel, bias)

    @classmethod
    def _from_keras(cls, kernel, recurrent_kernel, bias, **kw) -> Cell:
        k, rk, D, H = cls._check_keras(kernel, recurrent_kernel)
        params = {"W_xh": cls._from_keras_order(k), "W_hh": cls._from_keras_order(rk),
                  **cls._biases_from_keras(_as_float_array(bias, "bias"), H)}
        return cls._from_params(D, H, params, **kw)

    @classmethod
    def _biases_from_keras(cls, b: np.ndarray, H: int) -> dict[str, np.ndarray]:
        GH = cls.n_blocks * H
        if b.shape != (GH,):
            raise ValueError(f"bias has shape {b.shape}; a Keras {cls.kind} with {H} units needs ({GH},)")
        return {"b_h": cls._from_keras_order(b)}

    def _biases_to_keras(self) -> np.ndarray:
        return self._to_keras_order(self.b_h).copy()

    def to_keras(self) -> list[np.ndarray]:
        """[kernel, recurrent_kernel, bias] as Keras' layer.set_weights() takes them."""
        return [self._to_keras_order(self.W_xh).copy(), self._to_keras_order(self.W_hh).copy(),
                self._biases_to_keras()]

    # --- Jacobians ----------------------------------------------------------------------------------

    def step_jacobians(self, trace: Trace) -> np.ndarray:
        """(T, S, S): A_t[i, j] = ∂s_t[i] / ∂s_{t-1}[j] with state s = h (S = H), or [h; c] for an LSTM."""
        arrs = {"h": trace.h[:, None], "h_prev": trace.h_prev[:, None], "h_part": trace.h_part[:, None],
                "pre": {k: v[:, None] for k, v in trace.pre.items()},
                "gates": {k: v[:, None] for k, v in trace.gates.items()}}
        if trace.c is not None:
            arrs.update(c=trace.c[:, None], c_prev=trace.c_prev[:, None])
        return self._jacobians(arrs, None)[:, 0]

    def _jacobians(self, arrs: dict, scale) -> np.ndarray:
        raise NotImplementedError


_Cell = Cell  # the name the base had before it was public


def _recurrent(h: np.ndarray, W_hh: np.ndarray, scale) -> np.ndarray:
    """h_{t-1} W_hh for a batch of K states (K, H); with `scale` (K, 1) each row uses scale_k · W_hh."""
    out = h @ W_hh
    return out if scale is None else out * scale


def _scaled_T(W_hh: np.ndarray, scale) -> np.ndarray:
    """W_hh^T, or the stack scale_k · W_hh^T (K, G·H, H) for the w_h grid."""
    Wt = W_hh.T
    return Wt[None] if scale is None else scale[:, :, None] * Wt[None]


def _per_k(x_part: np.ndarray, K: int) -> np.ndarray:
    """x_t W_xh (T, G·H) shared by K states as a (T, K, G·H) view; already (T, K, G·H) when x was."""
    return x_part if x_part.ndim == 3 else np.broadcast_to(x_part[:, None], (x_part.shape[0], K,
                                                                             x_part.shape[1]))


class SimpleRNN(Cell):
    """h_t = f(x_t W_xh + h_{t-1} W_hh + b_h), f = tanh or relu. Keras' SimpleRNN, PyTorch's nn.RNN."""

    kind = "SimpleRNN"
    keras_name = "simple_rnn"
    n_blocks = 1
    gate_names = ()
    activations = ACTIVATIONS
    act_grad_max = 1.0  # max |tanh'| = max |relu'| = 1

    b_h = _param("b_h", "Bias (H,).")

    def __init__(self, input_size: int, hidden_size: int, activation: str = "tanh", seed: int = 0) -> None:
        self.activation = self._checked(activation)
        super().__init__(input_size, hidden_size, seed)

    @staticmethod
    def _checked(activation: str) -> str:
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
        return activation

    @classmethod
    def activation_kwargs(cls, activation: str = "tanh") -> dict[str, str]:
        return {"activation": cls._checked(activation)}

    @classmethod
    def from_torch(cls, state_dict: Mapping, activation: str = "tanh") -> SimpleRNN:
        return cls._from_torch(state_dict, activation=cls._checked(activation))

    @classmethod
    def from_keras(cls, kernel, recurrent_kernel, bias, activation: str = "tanh") -> SimpleRNN:
        return cls._from_keras(kernel, recurrent_kernel, bias, activation=cls._checked(activation))

    @property
    def label(self) -> str:
        return f"{self.kind} ({self.activation})"

    def __repr__(self) -> str:
        return (f"{self.kind}(input_size={self.input_size}, hidden_size={self.hidden_size}, "
                f"activation={self.activation!r})")

    def _act(self, a: np.ndarray) -> np.ndarray:
        return np.tanh(a) if self.activation == "tanh" else np.maximum(a, 0.0)

    def _act_grad(self, a: np.ndarray, h: np.ndarray) -> np.ndarray:
        # tanh' = 1 - tanh²; relu' = 1 where a > 0, and 0 at a = 0
        return 1.0 - h * h if self.activation == "tanh" else (a > 0).astype(np.float64)

    def _forward(self, x, h0, c0, scale) -> dict:
        T, (K, H) = x.shape[0], h0.shape
        x_part = x @ self.W_xh  # (T, H): x_t W_xh, a row pick for one-hot x_t
        xb = x_part + self.b_h  # x_t W_xh + b_h
        h_prev, h_part, a, h = (np.empty((T, K, H)) for _ in range(4))
        h_t = h0
        for t in range(T):
            h_prev[t] = h_t
            h_part[t] = _recurrent(h_t, self.W_hh, scale)  # h_{t-1} W_hh
            a[t] = xb[t] + h_part[t]  # a_t = x_t W_xh + h_{t-1} W_hh + b_h
            h_t = h[t] = self._act(a[t])  # h_t = f(a_t)
        return {"h_prev": h_prev, "h": h, "x_part": _per_k(x_part, K), "h_part": h_part,
                "pre": {"a": a}, "gates": {}}

    def backward(self, trace: Trace, dh) -> Grads:
        """BPTT: dh (T, H) is dL/dh_t arriving from the outputs at each step."""
        dh = self._check_dh(trace, dh)
        T, H = trace.h.shape
        fprime = self._act_grad(trace.pre["a"], trace.h)  # (T, H) f'(a_t)
        W_hh_T = self.W_hh.T
        da = np.empty((T, H))
        dh_tot = np.empty((T, H))
        dh_next = np.zeros(H)
        for t in range(T - 1, -1, -1):
            dh_tot[t] = g = dh[t] + dh_next  # from the output at t and from h_{t+1}
            da[t] = d = g * fprime[t]  # through the activation
            dh_next = d @ W_hh_T  # to h_{t-1}
        params = {"W_xh": trace.x.T @ da, "W_hh": trace.h_prev.T @ da, "b_h": da.sum(0)}
        factors = {"W_xh": (trace.x, da), "W_hh": (trace.h_prev, da), "b_h": (None, da)}
        return self._grads(dh=dh_tot, dx=da @ self.W_xh.T, dh0=dh_next, params=params, factors=factors)

    def _jacobians(self, arrs, scale) -> np.ndarray:
        # ∂h_t/∂h_{t-1} = diag(f'(a_t)) W_hh^T
        fprime = self._act_grad(arrs["pre"]["a"], arrs["h"])  # (T, K, H)
        return fprime[..., :, None] * _scaled_T(self.W_hh, scale)[None]


class LSTM(Cell):
    """Long short-term memory; gate order i, f, g (candidate c̃), o as in PyTorch (Keras: i, f, c, o).

    Initialisation as Keras: Glorot-uniform W_xh, orthogonal W_hh, zero bias except the forget gate's,
    which starts at 1 (Keras' unit_forget_bias=True) so that the cell remembers by default.
    """

    kind = "LSTM"
    keras_name = "lstm"
    n_blocks = 4
    gate_names = ("i", "f", "g", "o")
    keras_gate_names = ("i", "f", "g", "o")  # Keras' i, f, c, o: the same order
    has_cell_state = True

    b_h = _param("b_h", "Bias (4H,): b_i, b_f, b_g, b_o.")

    def _init_params(self, rng):
        params = super()._init_params(rng)
        _, b_f, _, _ = _blocks(params["b_h"], 4)
        b_f[:] = 1.0  # forget-gate bias 1
        return params

    def _forward(self, x, h0, c0, scale) -> dict:
        T, (K, H) = x.shape[0], h0.shape
        x_part = x @ self.W_xh  # (T, 4H): x_t W_xh
        xb = x_part + self.b_h  # x_t W_xh + b_h
        h_part, pre, act = (np.empty((T, K, 4 * H)) for _ in range(3))  # h_{t-1} W_hh; a; gates
        h_prev, h, c_prev, c = (np.empty((T, K, H)) for _ in range(4))
        gate_i, gate_f, gate_g, gate_o = _blocks(act, 4)  # (T, K, H) views into act
        a_g = _blocks(pre, 4)[2]
        h_t, c_t = h0, (np.zeros_like(h0) if c0 is None else c0)
        for t in range(T):
            h_prev[t], c_prev[t] = h_t, c_t
            h_part[t] = _recurrent(h_t, self.W_hh, scale)  # h_{t-1} W_hh
            pre[t] = xb[t] + h_part[t]  # [a_i a_f a_g a_o] = x_t W_xh + h_{t-1} W_hh + b_h
            act[t] = sigmoid(pre[t])  # i, f, o = σ(a_i), σ(a_f), σ(a_o) (one call for all four blocks)
            i, f, g, o = gate_i[t], gate_f[t], gate_g[t], gate_o[t]
            g[:] = np.tanh(a_g[t])  # c̃ = tanh(a_g): the candidate's block takes tanh, not σ
            c_t = c[t] = f * c_t + i * g  # c_t = f ⊙ c_{t-1} + i ⊙ c̃
            h_t = h[t] = o * np.tanh(c_t)  # h_t = o ⊙ tanh(c_t)
        return {"h_prev": h_prev, "h": h, "c_prev": c_prev, "c": c, "x_part": _per_k(x_part, K),
                "h_part": h_part, **self._per_gate(pre, act)}

    def backward(self, trace: Trace, dh) -> Grads:
        """BPTT through h and the cell state c (the LSTM's gradient highway)."""
        dh = self._check_dh(trace, dh)
        T, H = trace.h.shape
        gt = trace.gates
        i, f, g, o = gt["i"], gt["f"], gt["g"], gt["o"]
        tc = np.tanh(trace.c)  # (T, H)
        # local derivatives of every gate w.r.t. its pre-activation: σ' = σ(1-σ), tanh' = 1 - tanh²
        dact = np.concatenate([i * (1 - i), f * (1 - f), 1 - g * g, o * (1 - o)], axis=1)  # (T, 4H)
        o_dtc = o * (1 - tc * tc)  # ∂h_t/∂c_t
        W_hh_T = self.W_hh.T
        dz = np.empty((T, 4 * H))
        dh_tot, dc_tot = np.empty((T, H)), np.empty((T, H))
        dh_next, dc_next = np.zeros(H), np.zeros(H)
        d_gates = np.empty(4 * H)  # dL/d(i, f, c̃, o) at step t, before each gate's own derivative
        d_i, d_f, d_g, d_o = _blocks(d_gates, 4)  # views into d_gates
        for t in range(T - 1, -1, -1):
            dh_tot[t] = gh = dh[t] + dh_next  # dL/dh_t
            dc_tot[t] = dc = dc_next + gh * o_dtc[t]  # dL/dc_t: from c_{t+1} and through h_t
            d_i[:] = dc * g[t]  # ∂c_t/∂i = c̃
            d_f[:] = dc * trace.c_prev[t]  # ∂c_t/∂f = c_{t-1}
            d_g[:] = dc * i[t]  # ∂c_t/∂c̃ = i
            d_o[:] = gh * tc[t]  # ∂h_t/∂o = tanh(c_t)
            dz[t] = d = d_gates * dact[t]  # to the pre-activations a_i, a_f, a_g, a_o
            dc_next = dc * f[t]  # to c_{t-1}
            dh_next = d @ W_hh_T  # to h_{t-1}
        params = {"W_xh": trace.x.T @ dz, "W_hh": trace.h_prev.T @ dz, "b_h": dz.sum(0)}
        factors = {"W_xh": (trace.x, dz), "W_hh": (trace.h_prev, dz), "b_h": (None, dz)}
        return self._grads(dh=dh_tot, dx=dz @ self.W_xh.T, dh0=dh_next, params=params, factors=factors,
                           dc=dc_tot, dc0=dc_next)

    def _jacobians(self, arrs, scale) -> np.ndarray:
        # state s = [h; c]; blocks ∂h/∂h, ∂h/∂c, ∂c/∂h, ∂c/∂c of the (2H, 2H) step Jacobian
        H = self.hidden_size
        gt = arrs["gates"]
        i, f, g, o = gt["i"], gt["f"], gt["g"], gt["o"]  # (T, K, H)
        tc = np.tanh(arrs["c"])
        Wt = _scaled_T(self.W_hh, scale)[None]  # (1, K|1, 4H, H): rows are gate pre-activations
        di = (i * (1 - i))[..., None] * Wt[..., :H, :]  # ∂i/∂h_{t-1}
        df = (f * (1 - f))[..., None] * Wt[..., H : 2 * H, :]
        dg = (1 - g * g)[..., None] * Wt[..., 2 * H : 3 * H, :]
        do = (o * (1 - o))[..., None] * Wt[..., 3 * H :, :]
        dc_dh = arrs["c_prev"][..., None] * df + g[..., None] * di + i[..., None] * dg
        o_dtc = o * (1 - tc * tc)
        dh_dh = tc[..., None] * do + o_dtc[..., None] * dc_dh
        eye = np.eye(H)
        dc_dc = f[..., None] * eye
        dh_dc = (o_dtc * f)[..., None] * eye
        top = np.concatenate([dh_dh, dh_dc], axis=-1)
        bottom = np.concatenate([dc_dh, dc_dc], axis=-1)
        return np.concatenate([top, bottom], axis=-2)


class GRU(Cell):
    """Gated recurrent unit; gate order r, z, n as in PyTorch (Keras: z, r, h); h_t = (1 - z) n + z h_{t-1}.

    Some lecture notes write h_t = (1 - z) * h_{t-1} + z * h̃_t: the same cell with z and 1 - z swapped.
    rnnviz (like PyTorch and Keras) uses z as the share of the old state that is kept. Two biases, as
    PyTorch and Keras (reset_after=True) keep them: b_hn sits inside r ⊙ (h_{t-1} W_hn + b_hn).
    """

    kind = "GRU"
    keras_name = "gru"
    n_blocks = 3
    gate_names = ("r", "z", "n")
    keras_gate_names = ("z", "r", "n")  # Keras stacks z, r, h (its h is the candidate n)
    bias_names = ("b_xh", "b_hh")

    b_xh = _param("b_xh", "Input-side bias (3H,): b_xr, b_xz, b_xn.")
    b_hh = _param("b_hh", "Recurrent-side bias (3H,): b_hr, b_hz, b_hn.")

    @classmethod
    def _biases_from_torch(cls, b_ih: np.ndarray, b_hh: np.ndarray) -> dict[str, np.ndarray]:
        return {"b_xh": b_ih, "b_hh": b_hh}

    def _biases_to_torch(self) -> tuple[np.ndarray, np.ndarray]:
        return self.b_xh.copy(), self.b_hh.copy()

    _torch_bias_grads = ("b_xh", "b_hh")

    @classmethod
    def _biases_from_keras(cls, b: np.ndarray, H: int) -> dict[str, np.ndarray]:
        if b.shape != (2, 3 * H):
            raise ValueError(f"bias has shape {b.shape}; rnnviz reads a Keras GRU with reset_after=True, "
                             f"whose bias is (2, {3 * H}) for {H} units")
        return {"b_xh": cls._from_keras_order(b[0]), "b_hh": cls._from_keras_order(b[1])}

    def _biases_to_keras(self) -> np.ndarray:
        return np.stack([self._to_keras_order(self.b_xh), self._to_keras_order(self.b_hh)])

    def _forward(self, x, h0, c0, scale) -> dict:
        T, (K, H) = x.shape[0], h0.shape
        x_part = x @ self.W_xh  # (T, 3H): x_t W_xh
        xb = x_part + self.b_xh  # x_t W_xh + b_xh
        h_part, h_b, pre, act = (np.empty((T, K, 3 * H)) for _ in range(4))  # h W_hh; h W_hh + b_hh; a; gates
        x_n, h_n, a_n = (_blocks(a, 3)[2] for a in (xb, h_b, pre))  # the n block of each: (…, H) views
        x_rz, h_rz, a_rz, gate_rz = (a[..., : 2 * H] for a in (xb, h_b, pre, act))  # r and z side by side
        gate_r, gate_z, gate_n = _blocks(act, 3)
        h_prev, h = np.empty((T, K, H)), np.empty((T, K, H))
        h_t = h0
        for t in range(T):
            h_prev[t] = h_t
            h_part[t] = _recurrent(h_t, self.W_hh, scale)  # h_{t-1} W_hh
            h_b[t] = h_part[t] + self.b_hh  # h_{t-1} W_hh + b_hh
            a_rz[t] = x_rz[t] + h_rz[t]  # a_r, a_z = x_t W_x· + b_x· + h_{t-1} W_h· + b_h·  (· = r, z)
            gate_rz[t] = sigmoid(a_rz[t])  # r = σ(a_r), z = σ(a_z)
            r, z = gate_r[t], gate_z[t]
            a_n[t] = x_n[t] + r * h_n[t]  # a_n = x_t W_xn + b_xn + r ⊙ (h_{t-1} W_hn + b_hn)
            n = gate_n[t] = np.tanh(a_n[t])  # h̃ = n = tanh(a_n)
            h_t = h[t] = (1 - z) * n + z * h_t  # h_t = (1 − z) ⊙ h̃ + z ⊙ h_{t-1}
        return {"h_prev": h_prev, "h": h, "x_part": _per_k(x_part, K), "h_part": h_part,
                **self._per_gate(pre, act)}

    def backward(self, trace: Trace, dh) -> Grads:
        dh = self._check_dh(trace, dh)
        T, H = trace.h.shape
        gt = trace.gates
        r, z, n = gt["r"], gt["z"], gt["n"]
        hn = _blocks(trace.h_part, 3)[2] + _blocks(self.b_hh, 3)[2]  # h_{t-1} W_hn + b_hn  (T, H)
        dr_act, dz_act, dn_act = r * (1 - r), z * (1 - z), 1 - n * n
        hp_minus_n = trace.h_prev - n
        W_hh_T = self.W_hh.T
        dA_x, dA_h = np.empty((T, 3 * H)), np.empty((T, 3 * H))  # grads of x-side and h-side products
        dx_r, dx_z, dx_n = _blocks(dA_x, 3)  # (T, H) views, one per gate
        dh_r, dh_z, dh_n = _blocks(dA_h, 3)
        dh_tot = np.empty((T, H))
        dh_next = np.zeros(H)
        for t in range(T - 1, -1, -1):
            dh_tot[t] = gh = dh[t] + dh_next  # dL/dh_t
            dn_pre = gh * (1 - z[t]) * dn_act[t]  # h_t = (1-z) n + z h_{t-1}; n = tanh(a_n)
            dz_pre = gh * hp_minus_n[t] * dz_act[t]  # ∂h_t/∂z = h_{t-1} - n
            dr_pre = dn_pre * hn[t] * dr_act[t]  # r multiplies (h W_hn + b_hn)
            dx_r[t], dx_z[t], dx_n[t] = dr_pre, dz_pre, dn_pre  # x-side: every gate's whole pre-activation
            dh_r[t], dh_z[t], dh_n[t] = dr_pre, dz_pre, dn_pre * r[t]  # h-side of n is gated by r
            dh_next = gh * z[t] + dA_h[t] @ W_hh_T  # direct path z * h_{t-1} plus through the gates
        params = {"W_xh": trace.x.T @ dA_x, "W_hh": trace.h_prev.T @ dA_h,
                  "b_xh": dA_x.sum(0), "b_hh": dA_h.sum(0)}
        factors = {"W_xh": (trace.x, dA_x), "W_hh": (trace.h_prev, dA_h),
                   "b_xh": (None, dA_x), "b_hh": (None, dA_h)}
        return self._grads(dh=dh_tot, dx=dA_x @ self.W_xh.T, dh0=dh_next, params=params, factors=factors)

    def _jacobians(self, arrs, scale) -> np.ndarray:
        H = self.hidden_size
        gt = arrs["gates"]
        r, z, n = gt["r"], gt["z"], gt["n"]  # (T, K, H)
        b_hn = self.b_hh[2 * H :]
        hp = arrs["h_part"][..., 2 * H :]
        hn = hp + b_hn  # h_{t-1} W_hn + b_hn (already scaled)
        Wt = _scaled_T(self.W_hh, scale)[None]
        dr = (r * (1 - r))[..., None] * Wt[..., :H, :]  # ∂r/∂h_{t-1}
        dz = (z * (1 - z))[..., None] * Wt[..., H : 2 * H, :]
        dn = (1 - n * n)[..., None] * (hn[..., None] * dr + r[..., None] * Wt[..., 2 * H :, :])
        eye = np.eye(H)
        return (z[..., None] * eye + (arrs["h_prev"] - n)[..., None] * dz + (1 - z)[..., None] * dn)


# --------------------------------------------------------------------------------------------------------
# The registry: one place that knows the kinds
# --------------------------------------------------------------------------------------------------------

CELL_CLASSES: Mapping[str, type[Cell]] = MappingProxyType({c.kind: c for c in (SimpleRNN, LSTM, GRU)})
CELL_KINDS: tuple[str, ...] = tuple(CELL_CLASSES)  # ("SimpleRNN", "LSTM", "GRU")


def cell_class(kind: str) -> type[Cell]:
    """The class of a kind ("SimpleRNN", "LSTM", "GRU"); ValueError naming the kinds otherwise."""
    try:
        return CELL_CLASSES[kind]
    except (KeyError, TypeError):
        raise ValueError(f"cell kind must be one of {', '.join(CELL_KINDS)}, got {kind!r}") from None


def make_cell(kind: str, input_size: int, hidden_size: int, activation: str = "tanh", seed: int = 0) -> Cell:
    """A seeded cell of the given kind. `activation` ("tanh" | "relu") is a SimpleRNN's; a gated cell's
    activations are fixed, so there it is ignored."""
    cls = cell_class(kind)
    return cls(input_size, hidden_size, seed=seed, **cls.activation_kwargs(activation))
