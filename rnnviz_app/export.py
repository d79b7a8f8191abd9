"""Files to take home: the forward trace as a tidy table (CSV) or JSON, the weights as .npz, figures as
standalone HTML (plotly.js inlined, so they open offline). Pure: no streamlit."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

import rnnviz as rv

TIDY_COLUMNS = ("step", "token", "quantity", "unit", "value")


def _trace_of(view_or_trace: Any) -> rv.Trace:
    trace = getattr(view_or_trace, "trace", view_or_trace)
    if not isinstance(trace, rv.Trace):
        raise ValueError(f"expected a ModelView or an rnnviz Trace, got {type(view_or_trace).__name__}")
    return trace


def _quantities(trace: rv.Trace) -> list[tuple[str, np.ndarray]]:
    """(name, (T, n) array) per time step: x, the pre-activations, the gates, c (LSTM) and h."""
    out = [("x", trace.x)]
    out += [(f"pre_{g}", a) for g, a in trace.pre.items()]
    out += [(f"gate_{g}", a) for g, a in trace.gates.items()]
    if trace.c is not None:
        out.append(("c", trace.c))
    out.append(("h", trace.h))
    return out


def trace_to_tidy(view_or_trace: Any, tokens: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per (step, quantity, unit): step 1..T (h at step t is h_t), the step's token, the quantity
    ("x", "pre_a", "pre_f", "gate_f", "c", "h", …), the unit index (0-based: input feature or hidden unit)."""
    trace = _trace_of(view_or_trace)
    if tokens is None:
        tokens = getattr(view_or_trace, "tokens", None)
    T = trace.T
    tokens = [str(t) for t in tokens] if tokens is not None else [""] * T
    if len(tokens) != T:
        raise ValueError(f"{len(tokens)} tokens for a trace of {T} steps")
    frames = []
    for name, arr in _quantities(trace):
        arr = np.asarray(arr, dtype=np.float64)
        n = arr.shape[1]
        frames.append(pd.DataFrame({
            "step": np.repeat(np.arange(1, T + 1), n),
            "token": np.repeat(np.asarray(tokens, dtype=object), n),
            "quantity": name,
            "unit": np.tile(np.arange(n), T),
            "value": arr.reshape(-1),
        }))
    df = pd.concat(frames, ignore_index=True)
    return df.astype({"step": "int64", "unit": "int64", "value": "float64"})[list(TIDY_COLUMNS)]


def to_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV without the index (numbers at full precision)."""
    return df.to_csv(index=False, float_format="%.17g").encode("utf-8")


def _json_array(a: np.ndarray) -> dict[str, Any]:
    a = np.asarray(a, dtype=np.float64)
    values = [None if not math.isfinite(v) else v for v in a.reshape(-1).tolist()]
    nested: Any = np.array(values, dtype=object).reshape(a.shape).tolist() if a.ndim else values[0]
    return {"shape": list(a.shape), "values": nested}


def trace_to_json(trace: rv.Trace, tokens: Sequence[str], cell: rv.Cell) -> bytes:
    """The forward pass as JSON: cell info and parameters, then every array of the trace as
    {"shape": [...], "values": nested lists} (null marks an overflowed value)."""
    trace = _trace_of(trace)
    arrays: dict[str, Any] = {}
    for name in ("x", "h0", "h_prev", "h", "x_part", "h_part", "c0", "c_prev", "c"):
        a = getattr(trace, name)
        if a is not None:
            arrays[name] = _json_array(a)
    arrays["pre"] = {g: _json_array(a) for g, a in trace.pre.items()}
    arrays["gates"] = {g: _json_array(a) for g, a in trace.gates.items()}
    doc = {
        "format": "rnnviz forward trace",
        "conventions": "row vectors: h_t = f(x_t W_xh + h_{t-1} W_hh + b); step t = 1..T; "
                       "h_prev[t-1] = h_{t-1}, h[t-1] = h_t; x_part = x_t W_xh, h_part = h_{t-1} W_hh",
        "cell": {
            "kind": cell.kind,
            "activation": cell.activation,  # Keras' `activation` (an LSTM's and a GRU's is tanh)
            "input_size": cell.input_size,
            "hidden_size": cell.hidden_size,
            "gate_names": list(cell.gate_names),
            "num_params": cell.num_params(),
            "params": {k: _json_array(v) for k, v in cell.params.items()},
        },
        "tokens": [str(t) for t in tokens],
        "T": trace.T,
        "trace": arrays,
    }
    return json.dumps(doc, allow_nan=False, ensure_ascii=False, indent=1).encode("utf-8")


def weights_to_npz(cell: rv.Cell, head: rv.SigmoidHead | None = None,
                   vocab: Sequence[str] | None = None) -> bytes:
    """An .npz with PyTorch names (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0), the head's w_o and
    b_o, and vocab as a unicode array: loads with allow_pickle=False, and back into rnnviz's weights page."""
    arrays: dict[str, np.ndarray] = {k: np.asarray(v, dtype=np.float64) for k, v in cell.to_torch().items()}
    if head is not None:
        arrays["w_o"] = np.asarray(head.w_o, dtype=np.float64)
        arrays["b_o"] = np.asarray([head.b_o], dtype=np.float64)
    if vocab is not None:
        words = [str(w) for w in vocab]
        if len(words) != cell.input_size:
            raise ValueError(f"vocab has {len(words)} words; the cell has {cell.input_size} inputs")
        arrays["vocab"] = np.array(words, dtype=str)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def figure_to_html(fig: go.Figure) -> bytes:
    """A standalone HTML page with plotly.js inlined (~4.7 MB): opens offline, hover and zoom work."""
    html = fig.to_html(full_html=True, include_plotlyjs=True, include_mathjax=False,
                       config={"displaylogo": False})
    return html.encode("utf-8")
