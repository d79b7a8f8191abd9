"""SimpleRNN, LSTM and GRU cells in NumPy, float64, row-vector convention.

    SimpleRNN  h_t = f(x_t W_xh + h_{t-1} W_hh + b_h)                     W_xh (D, H), W_hh (H, H)
    LSTM       [i f g o] = [σ σ tanh σ](x_t W_xh + h_{t-1} W_hh + b_h)    W_xh (D, 4H), gates i, f, g, o
               c_t = f * c_{t-1} + i * g ;  h_t = o * tanh(c_t)
    GRU        [r z] = σ(x_t W_xh[:, :2H] + b_xh[:2H] + h_{t-1} W_hh[:, :2H] + b_hh[:2H])
               n = tanh(x_t W_in + b_in + r * (h_{t-1} W_hn + b_hn))        gate order r, z, n
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

    def __getattr__(self, name: str):
        params = self.__dict__.get("params", {})
        if name in params:
            return params[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

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
        return float(np.sqrt(sum(float(np.sum(g * g)) for g in self.params.values())))

    def to_torch(self) -> dict[str, np.ndarray]:
        """The gradient of each PyTorch parameter, under PyTorch's names and shapes."""
        # PyTorch stores weights as (G·H, in): the transpose of the row-vector layout
        return {tn: (self.params[n].T if self.params[n].ndim == 2 else self.params[n]).copy()
                for tn, n in self._torch_map}


# --------------------------------------------------------------------------------------------------------
# The cells
# --------------------------------------------------------------------------------------------------------


class _Cell:
    """Shared plumbing: parameters, input checks, PyTorch/Keras interop, the step Jacobians."""

    kind: str = ""
    n_blocks: int = 1  # gate blocks stacked along the columns of W_xh / W_hh
    gate_names: tuple[str, ...] = ()
    param_names: tuple[str, ...] = ()

    def __init__(self, input_size: int, hidden_size: int, seed: int = 0) -> None:
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.seed = seed
        self._params: dict[str, np.ndarray] = {}
        self._set_params(self._init_params(np.random.default_rng(seed)))

    # --- parameters ---------------------------------------------------------------------------------

    def _param_shapes(self) -> dict[str, tuple[int, ...]]:
        D, H, G = self.input_size, self.hidden_size, self.n_blocks
        shapes = {"W_xh": (D, G * H), "W_hh": (H, G * H)}
        if self.kind == "GRU":
            shapes.update(b_xh=(G * H,), b_hh=(G * H,))
        else:
            shapes["b_h"] = (G * H,)
        return shapes

    def _init_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        D, H, G = self.input_size, self.hidden_size, self.n_blocks
        params = {"W_xh": glorot_uniform(rng, D, G * H), "W_hh": orthogonal(rng, H, G * H)}
        for name, shape in self._param_shapes().items():
            if name.startswith("b"):
                params[name] = np.zeros(shape)
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

    def __getattr__(self, name: str):
        params = self.__dict__.get("_params", {})
        if name in params:
            return params[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def replace(self, **params: np.ndarray) -> _Cell:
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
        extra = f", activation={self.activation!r}" if self.kind == "SimpleRNN" else ""
        return f"{self.kind}(input_size={self.input_size}, hidden_size={self.hidden_size}{extra})"

    # --- inputs -------------------------------------------------------------------------------------

    def _check_inputs(self, x, h0, c0) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        x = _as_float_array(x, "x")
        if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] != self.input_size:
            raise ValueError(f"x must have shape (T, {self.input_size}) with T >= 1, got {x.shape}")
        H = self.hidden_size
        h0 = np.zeros(H) if h0 is None else _as_float_array(h0, "h0").reshape(-1)
        if h0.shape != (H,):
            raise ValueError(f"h0 must have {H} values (hidden size), got shape {np.shape(h0)}")
        if c0 is not None and self.kind != "LSTM":
            raise ValueError(f"c0 is only for an LSTM; a {self.kind} has no cell state")
        if self.kind == "LSTM":
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
        return Trace(cell=self.kind, activation=getattr(self, "activation", "tanh"), x=x, h0=h0, c0=c0,
                     **{k: (ReadOnlyDict(v) if isinstance(v, dict) else v) for k, v in arrs.items()})

    def _forward(self, x, h0, c0, scale) -> dict:
        raise NotImplementedError

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
    def _from_params(cls, input_size: int, hidden_size: int, params: dict, **kw) -> _Cell:
        cell = object.__new__(cls)
        cell.input_size, cell.hidden_size, cell.seed = input_size, hidden_size, None
        for k, v in kw.items():
            setattr(cell, k, v)
        cell._params = {}
        cell._set_params(params)
        return cell

    @classmethod
    def _from_torch_arrays(cls, D: int, H: int, a: dict, **kw) -> _Cell:
        params = {"W_xh": a["weight_ih_l0"].T, "W_hh": a["weight_hh_l0"].T}
        if cls.kind == "GRU":
            params.update(b_xh=a["bias_ih_l0"], b_hh=a["bias_hh_l0"])
        else:
            params["b_h"] = a["bias_ih_l0"] + a["bias_hh_l0"]  # one fused bias, as Keras keeps it
        return cls._from_params(D, H, params, **kw)

    def to_torch(self) -> dict[str, np.ndarray]:
        """PyTorch single-layer state dict (weight_ih_l0 is W_xh transposed); loads into a fresh module."""
        p = self._params
        sd = {"weight_ih_l0": p["W_xh"].T.copy(), "weight_hh_l0": p["W_hh"].T.copy()}
        if self.kind == "GRU":
            sd.update(bias_ih_l0=p["b_xh"].copy(), bias_hh_l0=p["b_hh"].copy())
        else:
            sd.update(bias_ih_l0=p["b_h"].copy(), bias_hh_l0=np.zeros_like(p["b_h"]))
        return sd

    def _torch_grad_map(self) -> tuple[tuple[str, str], ...]:
        """(PyTorch name, rnnviz name) pairs; a fused bias feeds both PyTorch biases, so both get its grad."""
        b_ih, b_hh = ("b_xh", "b_hh") if self.kind == "GRU" else ("b_h", "b_h")
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

    # --- Jacobians ----------------------------------------------------------------------------------

    def step_jacobians(self, trace: Trace) -> np.ndarray:
        """(T, S, S): A_t[i, j] = ∂s_t[i] / ∂s_{t-1}[j] with state s = h (S = H), or [h; c] for an LSTM."""
        arrs = {"h": trace.h[:, None], "h_prev": trace.h_prev[:, None],
                "pre": {k: v[:, None] for k, v in trace.pre.items()},
                "gates": {k: v[:, None] for k, v in trace.gates.items()}}
        if trace.c is not None:
            arrs.update(c=trace.c[:, None], c_prev=trace.c_prev[:, None])
        if self.kind == "GRU":
            arrs["h_part"] = trace.h_part[:, None]
        return self._jacobians(arrs, None)[:, 0]

    def _jacobians(self, arrs: dict, scale) -> np.ndarray:
        raise NotImplementedError


def _recurrent(h: np.ndarray, W_hh: np.ndarray, scale) -> np.ndarray:
    """h_{t-1} W_hh for a batch of K states (K, H); with `scale` (K, 1) each row uses scale_k · W_hh."""
    out = h @ W_hh
    return out if scale is None else out * scale


def _scaled_T(W_hh: np.ndarray, scale) -> np.ndarray:
    """W_hh^T, or the stack scale_k · W_hh^T (K, G·H, H) for the w_h grid."""
    Wt = W_hh.T
    return Wt[None] if scale is None else scale[:, :, None] * Wt[None]


class SimpleRNN(_Cell):
    """h_t = f(x_t W_xh + h_{t-1} W_hh + b_h), f = tanh or relu. Keras' SimpleRNN, PyTorch's nn.RNN."""

    kind = "SimpleRNN"
    n_blocks = 1
    gate_names = ()

    def __init__(self, input_size: int, hidden_size: int, activation: str = "tanh", seed: int = 0) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
        self.activation = activation
        super().__init__(input_size, hidden_size, seed)

    @classmethod
    def from_torch(cls, state_dict: Mapping, activation: str = "tanh") -> SimpleRNN:
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
        D, H, arrs = cls._torch_shapes_ok(state_dict)
        return cls._from_torch_arrays(D, H, arrs, activation=activation)

    @classmethod
    def from_keras(cls, kernel, recurrent_kernel, bias, activation: str = "tanh") -> SimpleRNN:
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
        k, rk, D, H = cls._check_keras(kernel, recurrent_kernel)
        b = _as_float_array(bias, "bias")
        if b.shape != (H,):
            raise ValueError(f"bias has shape {b.shape}; a Keras SimpleRNN with {H} units needs ({H},)")
        return cls._from_params(D, H, {"W_xh": k, "W_hh": rk, "b_h": b}, activation=activation)

    def to_keras(self) -> list[np.ndarray]:
        return [self.W_xh.copy(), self.W_hh.copy(), self.b_h.copy()]

    def _act(self, a: np.ndarray) -> np.ndarray:
        return np.tanh(a) if self.activation == "tanh" else np.maximum(a, 0.0)

    def _act_grad(self, a: np.ndarray, h: np.ndarray) -> np.ndarray:
        # tanh' = 1 - tanh²; relu' = 1 where a > 0, and 0 at a = 0
        return 1.0 - h * h if self.activation == "tanh" else (a > 0).astype(np.float64)

    def _forward(self, x, h0, c0, scale) -> dict:
        T, (K, H) = x.shape[0], h0.shape
        x_part = x @ self.W_xh  # (T, H): x_t W_xh, a row pick for one-hot x_t
        xb = x_part + self.b_h
        h_prev, h_part, a, h = (np.empty((T, K, H)) for _ in range(4))
        h_t = h0
        for t in range(T):
            h_prev[t] = h_t
            h_part[t] = _recurrent(h_t, self.W_hh, scale)  # h_{t-1} W_hh
            a[t] = xb[t] + h_part[t]  # pre-activation a_t
            h_t = h[t] = self._act(a[t])  # h_t = f(a_t)
        return {"h_prev": h_prev, "h": h, "x_part": np.repeat(x_part[:, None], K, 1), "h_part": h_part,
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


class LSTM(_Cell):
    """Long short-term memory; gate order i, f, g (candidate c̃), o as in PyTorch.

    Initialisation as Keras: Glorot-uniform W_xh, orthogonal W_hh, zero bias except the forget gate's,
    which starts at 1 (Keras' unit_forget_bias=True) so that the cell remembers by default.
    """

    kind = "LSTM"
    n_blocks = 4
    gate_names = ("i", "f", "g", "o")

    def _init_params(self, rng):
        params = super()._init_params(rng)
        H = self.hidden_size
        params["b_h"][H : 2 * H] = 1.0  # forget-gate bias 1
        return params

    @classmethod
    def from_torch(cls, state_dict: Mapping) -> LSTM:
        D, H, arrs = cls._torch_shapes_ok(state_dict)
        return cls._from_torch_arrays(D, H, arrs)

    @classmethod
    def from_keras(cls, kernel, recurrent_kernel, bias) -> LSTM:
        # Keras' gate order i, f, c, o is PyTorch's i, f, g, o
        k, rk, D, H = cls._check_keras(kernel, recurrent_kernel)
        b = _as_float_array(bias, "bias")
        if b.shape != (4 * H,):
            raise ValueError(f"bias has shape {b.shape}; a Keras LSTM with {H} units needs ({4 * H},)")
        return cls._from_params(D, H, {"W_xh": k, "W_hh": rk, "b_h": b})

    def to_keras(self) -> list[np.ndarray]:
        return [self.W_xh.copy(), self.W_hh.copy(), self.b_h.copy()]

    def _forward(self, x, h0, c0, scale) -> dict:
        T, (K, H) = x.shape[0], h0.shape
        x_part = x @ self.W_xh  # (T, 4H)
        xb = x_part + self.b_h
        h_part, z = np.empty((T, K, 4 * H)), np.empty((T, K, 4 * H))
        act = np.empty((T, K, 4 * H))  # σ(i) σ(f) tanh(g) σ(o)
        h_prev, h, c_prev, c = (np.empty((T, K, H)) for _ in range(4))
        h_t, c_t = h0, (np.zeros_like(h0) if c0 is None else c0)
        g_ = slice(2 * H, 3 * H)
        for t in range(T):
            h_prev[t], c_prev[t] = h_t, c_t
            h_part[t] = _recurrent(h_t, self.W_hh, scale)  # h_{t-1} W_hh
            z[t] = zt = xb[t] + h_part[t]  # pre-activations of i, f, g, o
            a = act[t]
            a[:] = sigmoid(zt)  # i, f, o = σ(·)
            a[:, g_] = np.tanh(zt[:, g_])  # candidate c̃ = tanh(·)
            c_t = c[t] = a[:, H : 2 * H] * c_t + a[:, :H] * a[:, g_]  # c_t = f * c_{t-1} + i * c̃
            h_t = h[t] = a[:, 3 * H :] * np.tanh(c_t)  # h_t = o * tanh(c_t)
        names = self.gate_names
        return {"h_prev": h_prev, "h": h, "c_prev": c_prev, "c": c,
                "x_part": np.repeat(x_part[:, None], K, 1), "h_part": h_part,
                "pre": {n: z[..., k * H : (k + 1) * H] for k, n in enumerate(names)},
                "gates": {n: act[..., k * H : (k + 1) * H] for k, n in enumerate(names)}}

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
        buf = np.empty(4 * H)
        for t in range(T - 1, -1, -1):
            dh_tot[t] = gh = dh[t] + dh_next  # dL/dh_t
            dc_tot[t] = dc = dc_next + gh * o_dtc[t]  # dL/dc_t: from c_{t+1} and through h_t
            buf[:H] = dc * g[t]  # ∂c_t/∂i = c̃
            buf[H : 2 * H] = dc * trace.c_prev[t]  # ∂c_t/∂f = c_{t-1}
            buf[2 * H : 3 * H] = dc * i[t]  # ∂c_t/∂c̃ = i
            buf[3 * H :] = gh * tc[t]  # ∂h_t/∂o = tanh(c_t)
            dz[t] = d = buf * dact[t]  # to the pre-activations
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


class GRU(_Cell):
    """Gated recurrent unit; gate order r, z, n as in PyTorch; h_t = (1 - z) * n + z * h_{t-1}.

    Some lecture notes write h_t = (1 - z) * h_{t-1} + z * h̃_t: the same cell with z and 1 - z swapped.
    rnnviz (like PyTorch and Keras) uses z as the share of the old state that is kept.
    """

    kind = "GRU"
    n_blocks = 3
    gate_names = ("r", "z", "n")

    @classmethod
    def from_torch(cls, state_dict: Mapping) -> GRU:
        D, H, arrs = cls._torch_shapes_ok(state_dict)
        return cls._from_torch_arrays(D, H, arrs)

    @staticmethod
    def _keras_to_rzn(a: np.ndarray, H: int) -> np.ndarray:
        # Keras stacks z, r, h; PyTorch and rnnviz stack r, z, n
        return np.concatenate([a[..., H : 2 * H], a[..., :H], a[..., 2 * H :]], axis=-1)

    @classmethod
    def from_keras(cls, kernel, recurrent_kernel, bias) -> GRU:
        k, rk, D, H = cls._check_keras(kernel, recurrent_kernel)
        b = _as_float_array(bias, "bias")
        if b.shape != (2, 3 * H):
            raise ValueError(f"bias has shape {b.shape}; rnnviz reads a Keras GRU with reset_after=True, "
                             f"whose bias is (2, {3 * H}) for {H} units")
        re = cls._keras_to_rzn
        params = {"W_xh": re(k, H), "W_hh": re(rk, H), "b_xh": re(b[0], H), "b_hh": re(b[1], H)}
        return cls._from_params(D, H, params)

    def to_keras(self) -> list[np.ndarray]:
        H = self.hidden_size

        def zrh(a):
            return np.concatenate([a[..., H : 2 * H], a[..., :H], a[..., 2 * H :]], axis=-1)

        return [zrh(self.W_xh), zrh(self.W_hh), np.stack([zrh(self.b_xh), zrh(self.b_hh)])]

    def _forward(self, x, h0, c0, scale) -> dict:
        T, (K, H) = x.shape[0], h0.shape
        x_part = x @ self.W_xh  # (T, 3H)
        xb = x_part + self.b_xh
        h_part = np.empty((T, K, 3 * H))  # h_{t-1} W_hh (without b_hh)
        pre, act = np.empty((T, K, 3 * H)), np.empty((T, K, 3 * H))
        h_prev, h = np.empty((T, K, H)), np.empty((T, K, H))
        h_t = h0
        H2 = 2 * H
        for t in range(T):
            h_prev[t] = h_t
            h_part[t] = hp = _recurrent(h_t, self.W_hh, scale)
            hw = hp + self.b_hh  # h_{t-1} W_hh + b_hh
            p = pre[t]
            p[:, :H2] = xb[t, :H2] + hw[:, :H2]  # pre-activations of r, z
            act[t, :, :H2] = rz = sigmoid(p[:, :H2])
            r, z = rz[:, :H], rz[:, H:]
            p[:, H2:] = xb[t, H2:] + r * hw[:, H2:]  # n's pre-activation: x W_in + b_in + r * (h W_hn + b_hn)
            act[t, :, H2:] = n = np.tanh(p[:, H2:])
            h_t = h[t] = n + z * (h_t - n)  # (1 - z) * n + z * h_{t-1}
        names = self.gate_names
        return {"h_prev": h_prev, "h": h, "x_part": np.repeat(x_part[:, None], K, 1), "h_part": h_part,
                "pre": {nm: pre[..., k * H : (k + 1) * H] for k, nm in enumerate(names)},
                "gates": {nm: act[..., k * H : (k + 1) * H] for k, nm in enumerate(names)}}

    def backward(self, trace: Trace, dh) -> Grads:
        dh = self._check_dh(trace, dh)
        T, H = trace.h.shape
        gt = trace.gates
        r, z, n = gt["r"], gt["z"], gt["n"]
        hn = trace.h_part[:, 2 * H :] + self.b_hh[2 * H :]  # h_{t-1} W_hn + b_hn  (T, H)
        dr_act, dz_act, dn_act = r * (1 - r), z * (1 - z), 1 - n * n
        hp_minus_n = trace.h_prev - n
        W_hh_T = self.W_hh.T
        dA_x, dA_h = np.empty((T, 3 * H)), np.empty((T, 3 * H))  # grads of x-side and h-side products
        dh_tot = np.empty((T, H))
        dh_next = np.zeros(H)
        for t in range(T - 1, -1, -1):
            dh_tot[t] = gh = dh[t] + dh_next  # dL/dh_t
            dn_pre = gh * (1 - z[t]) * dn_act[t]  # h_t = (1-z) n + z h_{t-1}; n = tanh(·)
            dz_pre = gh * hp_minus_n[t] * dz_act[t]  # ∂h_t/∂z = h_{t-1} - n
            dr_pre = dn_pre * hn[t] * dr_act[t]  # r multiplies (h W_hn + b_hn)
            dA_x[t, :H], dA_x[t, H : 2 * H], dA_x[t, 2 * H :] = dr_pre, dz_pre, dn_pre
            dA_h[t, : 2 * H] = dA_x[t, : 2 * H]
            dA_h[t, 2 * H :] = dn_pre * r[t]  # the h-side of n is gated by r
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
