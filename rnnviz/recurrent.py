"""Stacked and bidirectional recurrent networks built from the cells, and what the RNN types compute.

`Recurrent` is what torch.nn.RNN / LSTM / GRU(input_size, hidden_size, num_layers, bidirectional) is, for
one unbatched sentence: layer l, direction d is one cell. The forward direction reads x_1..x_T, the backward
direction reads x_T..x_1; their states are concatenated per step, [h→_t, h←_t] (T, dirs·H), and that is the
input of the next layer:

    layer 0:   h→_t = cell_0→(x_t, h→_{t-1})        h←_t = cell_0←(x_t, h←_{t+1})
    layer l:   the same, with x_t replaced by [h→_t, h←_t] of layer l − 1
    output_t = [h→_t, h←_t] of the top layer                                    (T, dirs·H)

Parameters and gradients keep the cells' row-vector names with a PyTorch-like suffix: "W_xh_l1_reverse" is
the backward direction of layer 1; `to_torch()` gives PyTorch's own names and layout ("weight_ih_l1_reverse").
Also here: `many_to_many` (a softmax at every step, mean cross-entropy) and `connectivity` (how much each
input word moves each output, ‖∂output_t/∂x_s‖, exact).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .cells import ACTIVATIONS, CELL_CLASSES, CELL_KINDS, Grads, ReadOnlyDict, Trace, make_cell
from .train import SoftmaxHead

TORCH_PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_TORCH_KEY = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)(_reverse)?$")


def _suffix(layer: int, direction: int) -> str:
    """"_l0", "_l0_reverse", "_l1", …: PyTorch's names for layer/direction."""
    return f"_l{layer}" + ("_reverse" if direction else "")


def _array(value, name: str) -> np.ndarray:
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a PyTorch tensor: take its values
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got {type(value).__name__}") from exc


def _positive_int(name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return int(v)


def _check_kind(kind, activation) -> None:
    if kind not in CELL_CLASSES:
        raise ValueError(f"kind must be one of {', '.join(CELL_KINDS)}, got {kind!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
    if kind != "SimpleRNN" and activation != "tanh":
        raise ValueError(f"activation {activation!r} is only for a SimpleRNN; a {kind} has fixed activations")


def _cell_seed(seed: int, layer: int, direction: int) -> int:
    """Each layer/direction gets its own weights, all derived from the one explicit seed."""
    return int(np.random.SeedSequence([int(seed), layer, direction]).generate_state(1)[0])


# --------------------------------------------------------------------------------------------------------
# Traces and gradients of a stack
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RecurrentTrace:
    """A forward pass of the whole stack.

    x (T, D); output (T, dirs·H): the top layer's [h→_t, h←_t]; h_n, c_n (num_layers·dirs, H): the last
    state of every layer/direction in PyTorch's order (l0, l0_reverse, l1, …) — for the backward direction
    that is its state after reading x_1; layer_outputs[l] (T, dirs·H) the output of layer l (the input of
    layer l + 1). layers[l][d] is the cell's own Trace, in the order the cell read the words: for d = 1 (the
    backward direction) row 0 is x_T, so `layers[l][1].h[::-1]` puts its states back in sentence order.
    """

    kind: str
    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray | None
    output: np.ndarray
    h_n: np.ndarray
    c_n: np.ndarray | None
    layer_outputs: tuple[np.ndarray, ...]
    layers: tuple[tuple[Trace, ...], ...]

    @property
    def T(self) -> int:
        return self.output.shape[0]

    def states(self, layer: int, direction: int) -> np.ndarray:
        """(T, H): the hidden states of one layer/direction in sentence order (row t is the state at x_t)."""
        h = self.layers[layer][direction].h
        return h if direction == 0 else h[::-1]


@dataclass(frozen=True, eq=False)
class RecurrentGrads:
    """Gradients of one BPTT pass through the stack.

    dx (T, D); dh0 (num_layers·dirs, H); LSTM dc0 (num_layers·dirs, H). `params` maps the stack's names
    ("W_xh_l0", "W_hh_l1_reverse", …) to dL/dθ in the row-vector layout; `layers[l][d]` the same per cell
    under the cell's names; `to_torch()` under PyTorch's names and layout.
    """

    kind: str
    dx: np.ndarray
    dh0: np.ndarray
    dc0: np.ndarray | None
    params: Mapping[str, np.ndarray]
    layers: tuple[tuple[Mapping[str, np.ndarray], ...], ...]
    torch: Mapping[str, np.ndarray]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.params[name]

    def to_torch(self) -> dict[str, np.ndarray]:
        """The gradient of each PyTorch parameter, under the state_dict's names and shapes."""
        return {k: v.copy() for k, v in self.torch.items()}

    def global_norm(self) -> float:
        """sqrt(Σ ||dθ||²) over every parameter of the stack."""
        return float(np.sqrt(sum(float(np.sum(g * g)) for g in self.params.values())))


def _lstm_final_cell_grads(cell, trace: Trace, dc_T: np.ndarray) -> Grads:
    """The gradients of L = dc_T · c_T: a gradient that reaches the LSTM's last cell state from outside.

    LSTM.backward receives dL/dh_t only. At the last step it forms dL/dc_T = dL/dh_T · o_T (1 − tanh² c_T)
    and sends dL/dh_T · tanh(c_T) to the output gate. Run it on a copy of the trace whose last step has
    o_T = 1 and c_T = 0 (so tanh c_T = 0): dL/dh_T = dc_T then reaches c_T unchanged and the output gate gets
    nothing, while every earlier step is the real one. Backward is linear in what it receives, so adding
    these gradients to those of the real trace is exact.
    """
    o = np.array(trace.gates["o"])
    o[-1] = 1.0  # ∂h_T/∂c_T = o_T (1 − tanh² c_T) = 1
    c = np.array(trace.c)
    c[-1] = 0.0  # ∂h_T/∂o_T = tanh(c_T) = 0: the output gate sees nothing
    bridge = dataclasses.replace(trace, gates=ReadOnlyDict({**trace.gates, "o": o}), c=c)
    dh = np.zeros_like(trace.h)
    dh[-1] = dc_T
    return cell.backward(bridge, dh)


@dataclass(frozen=True, eq=False)
class CellGrads:
    """The parts of one cell's gradients a stack needs, with a gradient on its last cell state folded in."""

    params: Mapping[str, np.ndarray]
    torch: Mapping[str, np.ndarray]  # under the single-layer names (…_l0)
    dx: np.ndarray
    dh0: np.ndarray
    dc0: np.ndarray | None


def cell_backward(cell, trace: Trace, dh, dc_T=None) -> CellGrads:
    """cell.backward(trace, dh), plus dL/dc_T (H,) arriving at an LSTM's last cell state (an encoder's
    context handed to a decoder, or a stack's dc_n)."""
    g = cell.backward(trace, dh)
    params, torch, dx, dh0, dc0 = dict(g.params), g.to_torch(), g.dx, g.dh0, g.dc0
    if dc_T is not None:
        if trace.c is None:
            raise ValueError(f"dc_T is only for an LSTM; a {trace.cell} has no cell state")
        dc_T = _array(dc_T, "dc_T")
        if dc_T.shape != (trace.H,):
            raise ValueError(f"dc_T must have shape ({trace.H},), got {dc_T.shape}")
        if np.any(dc_T):
            e = _lstm_final_cell_grads(cell, trace, dc_T)
            params = {k: v + e.params[k] for k, v in params.items()}
            e_torch = e.to_torch()
            torch = {k: v + e_torch[k] for k, v in torch.items()}
            dx, dh0, dc0 = dx + e.dx, dh0 + e.dh0, dc0 + e.dc0
    return CellGrads(params=ReadOnlyDict(params), torch=ReadOnlyDict(torch), dx=dx, dh0=dh0, dc0=dc0)


# --------------------------------------------------------------------------------------------------------
# The stack
# --------------------------------------------------------------------------------------------------------


class Recurrent:
    """torch.nn.RNN / LSTM / GRU with num_layers and bidirectional, unbatched, from the rnnviz cells.

    `kind` is "SimpleRNN", "LSTM" or "GRU"; `activation` ("tanh" or "relu") is for a SimpleRNN. Weights are
    initialised like Keras (each layer/direction from its own seed derived from `seed`). Immutable:
    `replace(**params)` returns a new stack.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, activation: str = "tanh", seed: int = 0) -> None:
        _check_kind(kind, activation)
        D = _positive_int("input_size", input_size)
        H = _positive_int("hidden_size", hidden_size)
        L = _positive_int("num_layers", num_layers)
        if not isinstance(bidirectional, (bool, np.bool_)):
            raise ValueError(f"bidirectional must be True or False, got {bidirectional!r}")
        dirs = 2 if bidirectional else 1
        cells = tuple(tuple(make_cell(kind, D if layer == 0 else dirs * H, H, activation,
                                       _cell_seed(seed, layer, d))
                            for d in range(dirs)) for layer in range(L))
        self._set(kind, activation, cells)
        self.seed = seed

    def _set(self, kind: str, activation: str, cells: tuple[tuple, ...]) -> None:
        self.kind = kind
        self.activation = activation
        self.cells = cells  # cells[l][d]: layer l, direction d (0 forward, 1 backward)
        self.num_layers = len(cells)
        self.bidirectional = len(cells[0]) == 2
        self.input_size = cells[0][0].input_size
        self.hidden_size = cells[0][0].hidden_size

    @classmethod
    def _from_cells(cls, kind: str, activation: str, cells: tuple[tuple, ...]) -> Recurrent:
        net = object.__new__(cls)
        net._set(kind, activation, cells)
        net.seed = None
        return net

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def output_size(self) -> int:
        """dirs·H: the width of output_t = [h→_t, h←_t]."""
        return self.num_directions * self.hidden_size

    def __repr__(self) -> str:
        extra = f", activation={self.activation!r}" if self.kind == "SimpleRNN" else ""
        return (f"Recurrent({self.kind!r}, input_size={self.input_size}, hidden_size={self.hidden_size}, "
                f"num_layers={self.num_layers}, bidirectional={self.bidirectional}{extra})")

    def _describe(self) -> str:
        bi = "bidirectional " if self.bidirectional else ""
        return (f"a {self.num_layers}-layer {bi}{self.kind} with input size {self.input_size} and hidden "
                f"size {self.hidden_size}")

    # --- parameters ---------------------------------------------------------------------------------

    @property
    def params(self) -> Mapping[str, np.ndarray]:
        """Every parameter as "<cell name><suffix>": W_xh_l0, W_hh_l0, b_h_l0, W_xh_l0_reverse, …"""
        return ReadOnlyDict({f"{n}{_suffix(layer, d)}": p for layer, pair in enumerate(self.cells)
                             for d, cell in enumerate(pair) for n, p in cell.params.items()})

    def replace(self, **params: np.ndarray) -> Recurrent:
        """A new stack with some parameters replaced (by the names of `params`)."""
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise ValueError(f"unknown parameters {unknown}; {self._describe()} has {sorted(self.params)}")
        cells = tuple(tuple(cell.replace(**{n: params[f"{n}{_suffix(layer, d)}"] for n in cell.params
                                            if f"{n}{_suffix(layer, d)}" in params})
                            for d, cell in enumerate(pair)) for layer, pair in enumerate(self.cells))
        return Recurrent._from_cells(self.kind, self.activation, cells)

    def num_params(self) -> int:
        """Keras' count (Bidirectional doubles each layer; GRU with reset_after=True), summed over layers."""
        return int(sum(self.layer_num_params()))

    def layer_num_params(self) -> list[int]:
        """What Keras' model.summary() prints per recurrent layer (both directions of a Bidirectional)."""
        return [sum(cell.num_params() for cell in pair) for pair in self.cells]

    # --- PyTorch interop ----------------------------------------------------------------------------

    @classmethod
    def from_torch(cls, state_dict: Mapping, kind: str, activation: str = "tanh") -> Recurrent:
        """A stack from torch.nn.RNN/LSTM/GRU(...).state_dict(); num_layers and bidirectional are read from
        the keys (weight_ih_l{k}, …_reverse). Wrong keys or shapes raise ValueError naming key and shapes."""
        _check_kind(kind, activation)
        if not isinstance(state_dict, Mapping):
            raise ValueError("state_dict must be a mapping of names to arrays, got "
                             f"{type(state_dict).__name__}")
        parsed, unknown = {}, []
        for key in state_dict:
            m = _TORCH_KEY.match(str(key))
            if m is None:
                unknown.append(str(key))
            else:
                parsed[key] = (m.group(1), int(m.group(2)), 1 if m.group(3) else 0)
        if unknown:
            raise ValueError(f"unexpected keys {sorted(unknown)}: a PyTorch {kind} state dict holds "
                             "weight_ih_l<k>, weight_hh_l<k>, bias_ih_l<k>, bias_hh_l<k> (and …_reverse)")
        if not parsed:
            raise ValueError(f"the state dict is empty: a PyTorch {kind} needs weight_ih_l0, weight_hh_l0, "
                             "bias_ih_l0, bias_hh_l0")
        L = max(layer for _, layer, _ in parsed.values()) + 1
        dirs = 2 if any(d for _, _, d in parsed.values()) else 1
        expected = [f"{p}{_suffix(layer, d)}" for layer in range(L) for d in range(dirs)
                    for p in TORCH_PARAMS]
        missing = [k for k in expected if k not in state_dict]
        if missing:
            bi = "bidirectional " if dirs == 2 else ""
            raise ValueError(f"a {L}-layer {bi}PyTorch {kind} state dict needs {expected}; missing {missing}")
        arrs = {k: _array(state_dict[k], k) for k in expected}
        G = CELL_CLASSES[kind].n_blocks
        w_hh = arrs["weight_hh_l0"]
        if w_hh.ndim != 2 or w_hh.shape[1] < 1 or w_hh.shape[0] != G * w_hh.shape[1]:
            raise ValueError(f"weight_hh_l0 has shape {w_hh.shape}; a {kind} needs ({G}·H, H)")
        H = w_hh.shape[1]
        w_ih = arrs["weight_ih_l0"]
        if w_ih.ndim != 2 or w_ih.shape[1] < 1:
            raise ValueError(f"weight_ih_l0 has shape {w_ih.shape}; a {kind} with hidden size {H} needs "
                             f"({G * H}, input_size)")
        D = w_ih.shape[1]
        for layer in range(L):
            for d in range(dirs):
                sfx = _suffix(layer, d)
                shapes = {"weight_ih": (G * H, D if layer == 0 else dirs * H), "weight_hh": (G * H, H),
                          "bias_ih": (G * H,), "bias_hh": (G * H,)}
                for p, shape in shapes.items():
                    got = arrs[p + sfx].shape
                    if got != shape:
                        bi = "bidirectional " if dirs == 2 else ""
                        raise ValueError(f"{p + sfx} has shape {got}; expected {shape} for a {L}-layer {bi}"
                                         f"{kind} with input size {D} and hidden size {H}")
        kw = {"activation": activation} if kind == "SimpleRNN" else {}
        cells = tuple(tuple(CELL_CLASSES[kind].from_torch({f"{p}_l0": arrs[f"{p}{_suffix(layer, d)}"]
                                                           for p in TORCH_PARAMS}, **kw)
                            for d in range(dirs)) for layer in range(L))
        return cls._from_cells(kind, activation, cells)

    def to_torch(self) -> dict[str, np.ndarray]:
        """The state dict of the equivalent torch module, in PyTorch's key order (fused biases go to
        bias_ih; bias_hh is zero, as for the single cells)."""
        out = {}
        for layer, pair in enumerate(self.cells):
            for d, cell in enumerate(pair):
                for k, v in cell.to_torch().items():
                    out[k.removesuffix("_l0") + _suffix(layer, d)] = v
        return out

    # --- forward and backward -----------------------------------------------------------------------

    def _initial(self, value, name: str) -> np.ndarray:
        shape = (self.num_layers * self.num_directions, self.hidden_size)
        if value is None:
            return np.zeros(shape)
        arr = _array(value, name)
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape} (num_layers·dirs, H) for {self._describe()}, "
                             f"got {arr.shape}")
        return arr

    def forward(self, x, h0=None, c0=None) -> RecurrentTrace:
        """Run the stack over x (T, input_size); h0, c0 (num_layers·dirs, H) like PyTorch's unbatched h_0."""
        x = _array(x, "x")
        if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] != self.input_size:
            raise ValueError(f"x must have shape (T, {self.input_size}) with T >= 1, got {x.shape}")
        if c0 is not None and self.kind != "LSTM":
            raise ValueError(f"c0 is only for an LSTM; a {self.kind} has no cell state")
        h0 = self._initial(h0, "h0")
        c0 = self._initial(c0, "c0") if self.kind == "LSTM" else None
        dirs = self.num_directions
        inp = x
        layers, outputs, h_n, c_n = [], [], [], []
        for layer, pair in enumerate(self.cells):
            traces, outs = [], []
            for d, cell in enumerate(pair):
                k = layer * dirs + d
                seq = inp if d == 0 else inp[::-1]  # the backward direction reads from the last word
                tr = cell.forward(seq, h0[k], None if c0 is None else c0[k])
                traces.append(tr)
                outs.append(tr.h if d == 0 else tr.h[::-1])  # back in sentence order
                h_n.append(tr.h[-1])
                if tr.c is not None:
                    c_n.append(tr.c[-1])
            inp = np.concatenate(outs, axis=1)  # (T, dirs·H): [h→_t, h←_t] per step
            layers.append(tuple(traces))
            outputs.append(inp)
        return RecurrentTrace(kind=self.kind, x=x, h0=h0, c0=c0, output=inp, h_n=np.array(h_n),
                              c_n=np.array(c_n) if c_n else None, layer_outputs=tuple(outputs),
                              layers=tuple(layers))

    def backward(self, trace: RecurrentTrace, d_output, dh_n=None, dc_n=None) -> RecurrentGrads:
        """BPTT through every layer and direction: d_output (T, dirs·H) is dL/doutput_t, dh_n and dc_n
        (num_layers·dirs, H) the gradients on the final states (as PyTorch's h_n, c_n)."""
        if (not isinstance(trace, RecurrentTrace) or trace.kind != self.kind
                or len(trace.layers) != self.num_layers or len(trace.layers[0]) != self.num_directions):
            raise ValueError(f"the trace must come from forward() of {self._describe()}")
        T, H, dirs = trace.T, self.hidden_size, self.num_directions
        d_out = _array(d_output, "d_output")
        if d_out.shape != (T, dirs * H):
            raise ValueError(f"d_output must have the shape of trace.output {(T, dirs * H)}, "
                             f"got {d_out.shape}")
        if dc_n is not None and self.kind != "LSTM":
            raise ValueError(f"dc_n is only for an LSTM; a {self.kind} has no cell state")
        dh_n = self._initial(dh_n, "dh_n")
        dc_n = self._initial(dc_n, "dc_n") if dc_n is not None else None
        n = self.num_layers * dirs
        dh0, dc0 = np.zeros((n, H)), (np.zeros((n, H)) if self.kind == "LSTM" else None)
        per_cell: dict[tuple[int, int], CellGrads] = {}
        d_in = d_out
        for layer in range(self.num_layers - 1, -1, -1):
            d_below = 0.0
            for d, cell in enumerate(self.cells[layer]):
                k = layer * dirs + d
                tr = trace.layers[layer][d]
                dh = d_in[:, d * H : (d + 1) * H]
                dh = np.array(dh if d == 0 else dh[::-1])  # in the order this direction read the words
                dh[-1] += dh_n[k]  # the final state h_n feeds the loss too
                g = cell_backward(cell, tr, dh, None if dc_n is None else dc_n[k])
                per_cell[(layer, d)] = g
                dh0[k] = g.dh0
                if dc0 is not None:
                    dc0[k] = g.dc0
                d_below = d_below + (g.dx if d == 0 else g.dx[::-1])  # both directions read the same inputs
            d_in = d_below  # (T, dirs·H) for the layer below, (T, D) = dL/dx at the bottom
        order = [(layer, d) for layer in range(self.num_layers) for d in range(dirs)]
        layers = tuple(tuple(per_cell[(layer, d)].params for d in range(dirs))
                       for layer in range(self.num_layers))
        params = {f"{name}{_suffix(*ld)}": g for ld in order for name, g in per_cell[ld].params.items()}
        torch = {k.removesuffix("_l0") + _suffix(*ld): g for ld in order
                 for k, g in per_cell[ld].torch.items()}
        return RecurrentGrads(kind=self.kind, dx=d_in, dh0=dh0, dc0=dc0, params=ReadOnlyDict(params),
                              layers=layers, torch=ReadOnlyDict(torch))


# --------------------------------------------------------------------------------------------------------
# Many-to-many and connectivity
# --------------------------------------------------------------------------------------------------------


def _output_of(trace) -> np.ndarray:
    return trace.output if isinstance(trace, RecurrentTrace) else trace.h


def _output_size(model) -> int:
    return model.output_size if isinstance(model, Recurrent) else model.hidden_size


@dataclass(frozen=True, eq=False)
class ManyToMany:
    """One sentence with a label per word: a softmax ŷ_t = softmax(output_t W_hy + b_y) at every step.

    probs (T, C); loss = mean over the T steps of −log ŷ_t[y_t] (torch.nn.CrossEntropyLoss()); grads: the
    model's (Grads of a cell or RecurrentGrads, both with .to_torch()); head_grads {"W_hy", "b_y"};
    d_output (T, output size) = dL/doutput_t, what BPTT started from.
    """

    trace: object
    probs: np.ndarray
    loss: float
    targets: np.ndarray
    grads: object
    head_grads: Mapping[str, np.ndarray]
    d_output: np.ndarray

    @property
    def predictions(self) -> np.ndarray:
        """(T,): the most likely class at every step."""
        return np.argmax(self.probs, axis=1)


def many_to_many(model, head: SoftmaxHead, x, targets, h0=None, c0=None) -> ManyToMany:
    """Forward, mean cross-entropy over the steps, and BPTT; `model` is a cell or a Recurrent."""
    size = _output_size(model)
    if head.W_hy.ndim != 2 or head.W_hy.shape[0] != size:
        raise ValueError(f"the head's W_hy has shape {head.W_hy.shape}; the model's output has {size} "
                         f"values, so it needs ({size}, classes)")
    trace = model.forward(x, h0, c0)
    out = _output_of(trace)
    T = out.shape[0]
    y = np.asarray(targets)
    if y.shape != (T,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"targets must be {T} class ids (one per step), got {np.asarray(targets).tolist()}")
    loss, d_out, head_grads = head.backward(out, y)
    return ManyToMany(trace=trace, probs=head.forward(out), loss=loss, targets=y,
                      grads=model.backward(trace, d_out), head_grads=ReadOnlyDict(head_grads),
                      d_output=d_out)


def connectivity(model, x, h0=None, c0=None) -> np.ndarray:
    """(T, T): M[t, s] = ‖∂output_t/∂x_s‖_F, the Frobenius norm of the Jacobian of the output at step t
    with respect to the input at step s (zero where s > t for a one-directional model).

    Exact: one backward pass per output unit and step (a row of the Jacobian each).
    """
    trace = model.forward(x, h0, c0)
    out = _output_of(trace)
    T, n_out = out.shape
    M = np.zeros((T, T))
    seed = np.zeros((T, n_out))
    for t in range(T):
        for k in range(n_out):
            seed[t, k] = 1.0  # d_output = e_{t,k}: dx is the row ∂output_t[k]/∂x
            dx = model.backward(trace, seed).dx  # (T, D)
            seed[t, k] = 0.0
            M[t] += np.sum(dx * dx, axis=1)  # Σ_k Σ_j (∂output_t[k]/∂x_s[j])²
    return np.sqrt(M)


__all__ = [
    "CellGrads",
    "ManyToMany",
    "Recurrent",
    "RecurrentGrads",
    "RecurrentTrace",
    "cell_backward",
    "connectivity",
    "many_to_many",
]
