"""Gate heatmaps: one (units × time) panel per gate and state of the chosen cell, tokens on the time axis,
gates on a fixed [0, 1] scale and states on a fixed diverging [−1, 1] scale, the current step outlined."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import rnnviz as rv

from . import theme


@dataclass(frozen=True)
class Panel:
    key: str  # "f", "c", "h", "a", …
    symbol: str  # how the hover names the value
    title: str
    values: np.ndarray  # (T, H)
    scale: str  # "gate" | "state" | "pre"


def panels(trace: rv.Trace) -> list[Panel]:
    """The panels of a trace, top to bottom, in the order the cell computes them."""
    g = trace.gates
    if trace.cell == "LSTM":
        return [
            Panel("i", "i", "input gate i = σ(·): how much of the candidate to write", g["i"], "gate"),
            Panel("f", "f", "forget gate f = σ(·): how much of c<sub>t−1</sub> to keep", g["f"], "gate"),
            Panel("g", "c̃", "candidate c̃ = tanh(·) (PyTorch's g)", g["g"], "state"),
            Panel("o", "o", "output gate o = σ(·): how much of tanh(c<sub>t</sub>) to show", g["o"], "gate"),
            Panel("c", "c", "cell state c<sub>t</sub> = f·c<sub>t−1</sub> + i·c̃ (long-term memory)", trace.c,
                  "state"),
            Panel("h", "h", "hidden state h<sub>t</sub> = o·tanh(c<sub>t</sub>)", trace.h, "state"),
        ]
    if trace.cell == "GRU":
        return [
            Panel("r", "r", "reset gate r = σ(·): how much of h<sub>t−1</sub> the candidate sees", g["r"],
                  "gate"),
            Panel("z", "z", "update gate z = σ(·): how much of h<sub>t−1</sub> to keep", g["z"], "gate"),
            Panel("n", "h̃", "candidate h̃ = tanh(·) (PyTorch's n)", g["n"], "state"),
            Panel("h", "h", "hidden state h<sub>t</sub> = (1 − z)·h̃ + z·h<sub>t−1</sub>", trace.h, "state"),
        ]
    f = trace.activation
    return [
        Panel("a", "a", "pre-activation a<sub>t</sub> = x<sub>t</sub>W<sub>xh</sub> + "
                        "h<sub>t−1</sub>W<sub>hh</sub> + b (no gate: nothing decides what to keep)",
              trace.pre["a"], "pre"),
        Panel("h", "h", f"hidden state h<sub>t</sub> = {f}(a<sub>t</sub>)", trace.h, "state"),
    ]


COLOR_AXES = {"gate": "coloraxis", "state": "coloraxis2", "pre": "coloraxis3"}


def gates_figure(trace: rv.Trace, tokens: Sequence[str], step: int | None = None, *,
                 present: bool = False) -> go.Figure:
    """One heatmap per gate/state (rows = units, columns = time steps); `step` (1-based) is outlined."""
    ps = panels(trace)
    T, H = trace.T, trace.H
    if len(tokens) != T:
        raise ValueError(f"need {T} tokens for {T} time steps, got {len(tokens)}")
    s = theme.sizes(present)
    xlab = [f"t={t + 1} · {tok}" for t, tok in enumerate(tokens)]
    ylab = [f"unit {j + 1}" for j in range(H)]
    row_px = min(max(46, 18 * H), 220)  # height of one panel
    gap_px = 34 if present else 27  # room for a panel's title
    height = 140 + len(ps) * (row_px + gap_px) + (50 if T > 8 else 0)  # + margins and the time axis
    fig = make_subplots(rows=len(ps), cols=1, shared_xaxes=True, vertical_spacing=gap_px / height,
                        subplot_titles=[p.title for p in ps])
    show_text = T <= 12 and H <= 8
    for k, p in enumerate(ps, start=1):
        fig.add_trace(go.Heatmap(
            z=p.values.T, x=xlab, y=ylab, coloraxis=COLOR_AXES[p.scale], xgap=1, ygap=1, name=p.symbol,
            texttemplate="%{z:.2f}" if show_text else None, textfont={"size": s.tick - 1},
            hovertemplate=f"%{{x}}<br>%{{y}}<br>{p.symbol} = %{{z:.4f}}<extra></extra>"), row=k, col=1)
        fig.update_yaxes(autorange="reversed", row=k, col=1)
    if step is not None and 1 <= step <= T:
        for k in range(1, len(ps) + 1):
            ax = "" if k == 1 else str(k)
            fig.add_shape(type="rect", xref=f"x{ax}", yref=f"y{ax} domain", x0=step - 1.5, x1=step - 0.5,
                          y0=-0.02, y1=1.02, line={"color": theme.HIGHLIGHT, "width": 4 if present else 3})
    bar = {"thickness": 20 if present else 14, "len": 0.42, "x": 1.01, "xanchor": "left"}
    top, bottom = {"y": 1.0, "yanchor": "top"}, {"y": 0.0, "yanchor": "bottom"}
    axes = {"coloraxis2": {"colorscale": theme.STATE_SCALE, "cmin": theme.STATE_RANGE[0],
                           "cmax": theme.STATE_RANGE[1],
                           "colorbar": {**bar, **bottom, "title": {"text": "state<br>−1 … 1"},
                                        "tickvals": [-1, -0.5, 0, 0.5, 1] if len(ps) > 4 else [-1, 0, 1]}}}
    if trace.cell == "SimpleRNN":
        a_max = float(np.ceil(max(float(np.max(np.abs(trace.pre["a"]))), 1.0) * 10) / 10)
        axes["coloraxis3"] = {"colorscale": theme.STATE_SCALE, "cmin": -a_max, "cmax": a_max,
                              "colorbar": {**bar, **top, "title": {"text": f"a<br>±{a_max:g}"}}}
    else:
        axes["coloraxis"] = {"colorscale": theme.GATE_SCALE, "cmin": theme.GATE_RANGE[0],
                             "cmax": theme.GATE_RANGE[1],
                             "colorbar": {**bar, **top, "title": {"text": "gate<br>0 closed<br>1 open"},
                                          "tickvals": [0, 0.5, 1]}}
    fig.update_layout(
        **axes,
        title={"text": f"{trace.cell} over time: every gate and state (rows = units, columns = words)",
               "subtitle": {"text": "orange box = the current time step; hover a cell for its exact value"}},
        showlegend=False,
    )
    fig.update_annotations(font={"size": s.font}, xanchor="left", x=0.0)
    fig.update_xaxes(tickangle=-45 if T > 8 else 0, row=len(ps), col=1)
    theme.apply(fig, present)
    fig.update_layout(height=int(height * (1.25 if present else 1.0)),
                      margin={"t": 130 if present else 100, "r": 110 if present else 90,
                              "b": 90 if T > 8 else 40})
    return fig
