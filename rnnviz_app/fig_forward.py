"""Figures and tables of the Forward page: the network unrolled over the sentence, the hidden-state heatmap,
and a Keras-style parameter summary. Pure: (model view or trace, step, present) → Plotly figure/DataFrame.

The unrolled diagram is drawn with Plotly shapes, annotations and small heatmaps (one per state column, so
every h_t / c_t cell is coloured by its value on the fixed diverging scale, shows the number and hovers).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import get_colorscale

from . import theme
from .equations import html_escape, shorten, time_label

MAX_VISIBLE = 4  # time steps drawn in the unrolled diagram (a window that follows the current step)
MAX_VISIBLE_PRESENT = 3  # fewer, larger steps in presentation mode
MAX_STRIP = 12  # one-hot x_t drawn as a strip of cells up to this vocabulary size, else its id only
MAX_CELL_TEXT = 12  # numbers written inside heatmap cells up to this many units

P = 3.6  # horizontal pitch of one time step (state column → cell box → next state column)
STATE_W = 1.1  # width of a state column
BOX_W = 1.2  # width of a cell box
GREY = "#9a9a9a"
INK = "#111111"
C_COLOUR = "#b35806"  # the LSTM cell-state path (dark orange, distinct from the blue/red values)


@functools.lru_cache(maxsize=2)
def _themed_json(present: bool) -> str:
    """theme.apply on an empty figure, as JSON (an immutable cache: applying the theme costs ~25 ms)."""
    fig = go.Figure()
    theme.apply(fig, present)
    return json.dumps(fig.to_dict()["layout"])


def themed_layout(present: bool) -> dict:
    """A fresh layout dict with the shared theme (fonts, sizes, template) for the screen or a projector."""
    return json.loads(_themed_json(present))


def _figure(data: list[dict], layout: dict) -> go.Figure:
    """Assemble a figure from plain dicts without Plotly's per-property validation (5× faster for the many
    cells, shapes and annotations; the unit tests validate every figure)."""
    return go.Figure(data=data, layout=layout, _validate=False)


def _state_coloraxis(title: str, side: str = "top", **colorbar) -> dict:
    """The fixed diverging scale [-1, 1] of every h_t / c_t cell."""
    return {"colorscale": get_colorscale(theme.STATE_SCALE), "cmin": theme.STATE_RANGE[0],
            "cmax": theme.STATE_RANGE[1],
            "colorbar": {"title": {"text": title, "side": side}, "thickness": 14, **colorbar}}


def step_window(T: int, step: int, n: int = MAX_VISIBLE) -> tuple[int, int]:
    """The 1-based steps (first, last) drawn: all of them up to n, else n consecutive ones around `step`."""
    if n >= T:
        return 1, T
    first = min(max(step - n // 2, 1), T - n + 1)
    return first, first + n - 1


@dataclass(frozen=True)
class _Geometry:
    H: int
    lstm: bool

    @property
    def h_top(self) -> float:
        return self.H / 2

    @property
    def c_centre(self) -> float:
        return self.H + 1.4

    @property
    def top(self) -> float:
        return self.c_centre + self.H / 2 if self.lstm else self.h_top

    @property
    def box_bottom(self) -> float:
        return -self.H / 2 - 0.5

    @property
    def box_top(self) -> float:
        return self.top + 0.5

    @property
    def strip_y(self) -> float:
        return self.box_bottom - 1.7

    def unit_y(self, centre: float) -> list[float]:
        return [centre + (self.H - 1) / 2 - u for u in range(self.H)]


def _state_column(values: np.ndarray | None, x: float, ys: list[float], name: str, t_label: str,
                  shown: bool, text_size: int) -> dict:
    """One h_t (or c_t) as a vertical column of H cells; values hidden (NaN) for steps not reached yet."""
    H = len(ys)
    if shown and values is not None:
        z = np.asarray(values, dtype=float).reshape(H, 1)
        text = [[f"{v:.2f}".replace("-0.00", "0.00")] for v in z[:, 0]] if H <= 16 else None
        custom = [[f"unit {u + 1} = {v:.4f}"] for u, v in enumerate(z[:, 0])]
    else:
        z = np.full((H, 1), np.nan)
        text = [[""] for _ in range(H)]
        custom = [[f"unit {u + 1}: not computed yet"] for u in range(H)]
    return dict(
        type="heatmap", z=z, x0=x, dx=STATE_W, y=ys, coloraxis="coloraxis", xgap=0, ygap=3, text=text,
        texttemplate="%{text}", textfont={"size": text_size}, customdata=custom, name=name,
        hovertemplate=f"{t_label}<br>{name}: %{{customdata}}<extra></extra>",
        showscale=False)


def _empty_cells(x: float, ys: list[float]) -> list[dict]:
    return [{"type": "rect", "x0": x - STATE_W / 2, "x1": x + STATE_W / 2, "y0": y - 0.45, "y1": y + 0.45,
             "line": {"color": GREY, "width": 1, "dash": "dot"}} for y in ys]


def unrolled_figure(view, step: int | None = None, present: bool = False,
                    max_visible: int | None = None) -> go.Figure:
    """The network unrolled over the sentence: tokens, one-hot x_t, the shared cell, h_t (and c_t) as
    coloured cells with their values, arrows h_{t-1} → h_t, and the output head ŷ = σ(h_T w_o + b_o).

    Steps after `step` are drawn but not filled in (the network has not read those words yet); `step` is
    highlighted. Only a window of `max_visible` steps around `step` is drawn when the sentence is longer.
    """
    trace, cell = view.trace, view.cell
    T, H, V = trace.T, trace.H, trace.D
    step = T if step is None else min(max(int(step), 1), T)
    max_visible = max_visible or (MAX_VISIBLE_PRESENT if present else MAX_VISIBLE)
    first, last = step_window(T, step, max_visible)
    n = last - first + 1
    lstm = trace.c is not None
    g = _Geometry(H, lstm)
    s = theme.sizes(present)
    small = s.annotation if H <= 8 else s.annotation - 2
    cell_text = min(s.annotation + 1, 16) if H <= 6 else min(small, 14)
    data: list[dict] = []
    shapes: list[dict] = []
    notes: list[dict] = []
    ys_h = g.unit_y(0.0)
    ys_c = g.unit_y(g.c_centre)

    def text(x, y, t, size=small, color=INK, **kw):
        notes.append({"x": x, "y": y, "text": t, "showarrow": False, "font": {"size": size, "color": color},
                      **kw})

    def arrow(x0, y0, x1, y1, color=INK, width=1.6):
        notes.append({"x": x1, "y": y1, "ax": x0, "ay": y0, "xref": "x", "yref": "y", "axref": "x",
                      "ayref": "y", "text": "", "showarrow": True, "arrowhead": 2, "arrowsize": 1.1,
                      "arrowwidth": width, "arrowcolor": color})

    def rect(x0, x1, y0, y1, **kw):
        shapes.append({"type": "rect", "x0": x0, "x1": x1, "y0": y0, "y1": y1, **kw})

    token_y = g.strip_y - 1.05  # top of the "t=… / token" label
    unit_px = (36 if present else 30) if H <= 6 else (26 if present else 22)
    token_depth = 2.7 * (s.annotation + 2) / unit_px  # two lines of text, in y units
    # --- the current step's highlight band (behind everything)
    j_now = step - first + 1
    bx0, bx1 = j_now * P - P / 2 - BOX_W / 2 - 0.3, j_now * P + STATE_W / 2 + 0.3
    by0, by1 = token_y - token_depth - 0.1, g.box_top + 0.3
    rect(bx0, bx1, by0, by1, fillcolor=theme.HIGHLIGHT, opacity=0.13, line={"width": 0}, layer="below")
    rect(bx0, bx1, by0, by1, line={"color": theme.HIGHLIGHT, "width": 3}, layer="below")
    # --- state columns h_{first-1} .. h_last (and c for the LSTM)
    for j in range(0, n + 1):
        t = first - 1 + j  # h_t; t = 0 is the initial state
        x = j * P
        known = t <= step
        label = "initial state" if t == 0 else time_label(t, view.tokens[t - 1])
        h_vals = trace.h0 if t == 0 else trace.h[t - 1]
        data.append(_state_column(h_vals, x, ys_h, f"h_{t}", label, known, cell_text))
        if not known:
            shapes += _empty_cells(x, ys_h)
        text(x, -H / 2 - 0.15, f"h<sub>{t}</sub>", size=s.annotation + 1, yanchor="top",
             color=INK if known else GREY)
        if lstm:
            c_vals = trace.c0 if t == 0 else trace.c[t - 1]
            data.append(_state_column(c_vals, x, ys_c, f"c_{t}", label, known, cell_text))
            if not known:
                shapes += _empty_cells(x, ys_c)
            text(x, g.c_centre + H / 2 + 0.15, f"c<sub>{t}</sub>", size=s.annotation + 1, yanchor="bottom",
                 color=C_COLOUR if known else GREY)
    if first > 1:
        text(0, -H / 2 - 1.2, f"after t=1…{first - 1}", yanchor="top", color=GREY, size=small - 1)
    # --- cell boxes, inputs, tokens, arrows
    box_label = cell.activation if cell.kind == "SimpleRNN" else cell.kind
    for j in range(1, n + 1):
        t = first - 1 + j
        bx, sx_prev, sx = j * P - P / 2, (j - 1) * P, j * P
        done = t <= step
        col = INK if done else GREY
        rect(bx - BOX_W / 2, bx + BOX_W / 2, g.box_bottom, g.box_top,
             fillcolor="#eef2f8" if done else "#f7f7f7",
             line={"color": col, "width": 3 if t == step else 1.5, "dash": "solid" if done else "dot"})
        text(bx, (g.box_bottom + g.box_top) / 2, f"<b>{box_label}</b>", color=col, size=s.annotation)
        # h_{t-1} → cell → h_t, and c the same way for the LSTM
        arrow(sx_prev + STATE_W / 2 + 0.02, 0, bx - BOX_W / 2 - 0.02, 0, col)
        arrow(bx + BOX_W / 2 + 0.02, 0, sx - STATE_W / 2 - 0.02, 0, col)
        if lstm:
            c_col = C_COLOUR if done else GREY
            arrow(sx_prev + STATE_W / 2 + 0.02, g.c_centre, bx - BOX_W / 2 - 0.02, g.c_centre, c_col)
            arrow(bx + BOX_W / 2 + 0.02, g.c_centre, sx - STATE_W / 2 - 0.02, g.c_centre, c_col)
        # x_t: the one-hot strip (or its id), the arrow into the cell, the token
        tid = view.ids[t - 1]
        if V <= MAX_STRIP:
            w = BOX_W / V
            data.append(dict(
                type="heatmap", z=np.asarray(trace.x[t - 1], dtype=float).reshape(1, V),
                x0=bx - BOX_W / 2 + w / 2, dx=w, y0=g.strip_y, dy=0.8, zmin=0, zmax=1,
                colorscale=theme.ONE_HOT_SCALE, showscale=False, xgap=1, name=f"x_{t}",
                customdata=[[html_escape(w_) for w_ in view.corpus.vocab.tokens]],
                hovertemplate=f"x<sub>{t}</sub>: word %{{customdata}} → %{{z:.0f}}<extra></extra>"))
            rect(bx - BOX_W / 2, bx + BOX_W / 2, g.strip_y - 0.4, g.strip_y + 0.4,
                 line={"color": GREY, "width": 1})
        else:
            rect(bx - BOX_W / 2, bx + BOX_W / 2, g.strip_y - 0.4, g.strip_y + 0.4,
                 line={"color": GREY, "width": 1}, fillcolor="#f4f4f4")
            text(bx, g.strip_y, "one-hot", color=col, size=small - 2)
        text(bx, g.strip_y - 0.45, f"id {tid}", yanchor="top", size=small - 1, color=col)
        arrow(bx, g.strip_y + 0.42, bx, g.box_bottom - 0.02, col)
        if j == 1:  # the weights are named once; the bracket above says every box uses the same ones
            text(bx + 0.1, (g.strip_y + 0.4 + g.box_bottom) / 2, "W<sub>xh</sub>", xanchor="left", color=col)
            text((sx_prev + STATE_W / 2 + bx - BOX_W / 2) / 2, 0.1, "W<sub>hh</sub>", yanchor="bottom",
                 color=col, size=small - 1)
        token = html_escape(shorten(view.tokens[t - 1], 12))
        now = t == step
        body = f"t={t}<br>{token}"
        text(bx, token_y, f"<b>{body}</b>" if now else body, yanchor="top",
             size=s.annotation + (2 if now else 0), color=theme.HIGHLIGHT if now else col)
    # --- after the window
    x_end = n * P
    if last < T:
        text(x_end + 1.35, 0.2, f"⋯ {T - last} more<br>step{'s' if T - last > 1 else ''}", yanchor="bottom",
             color=GREY, size=small - 1)
        arrow(x_end + STATE_W / 2 + 0.02, 0, x_end + 2.4, 0, GREY)
        x_end += 2.6
    # --- the output head ŷ = σ(h_T w_o + b_o)
    done = step == T
    col = INK if done else GREY
    hx0, hx1 = x_end + 1.1, x_end + 3.5
    rect(hx0, hx1, -1.2, 1.2, fillcolor="#eef2f8" if done else "#f7f7f7",
         line={"color": col, "width": 1.5, "dash": "solid" if done else "dot"})
    text((hx0 + hx1) / 2, 0, "<b>Dense</b><br>σ(h<sub>T</sub>·w<sub>o</sub> + b<sub>o</sub>)", color=col,
         size=small)
    arrow(x_end + STATE_W / 2 + 0.02, 0, hx0 - 0.02, 0, col)
    yx = hx1 + 1.3
    if done:
        yhat = view.yhat
        rect(yx - 0.75, yx + 0.75, -0.7, 0.7, fillcolor=_gate_colour(yhat), line={"color": INK, "width": 1.5})
        text(yx, 0, f"<b>{yhat:.3f}</b>", size=s.annotation + 1, color="#ffffff" if yhat < 0.6 else INK)
        verdict = "positive" if yhat >= 0.5 else "negative"
        label = "" if view.label is None else f"<br>(label y = {int(view.label)})"
        text(yx, -0.85, f"says {verdict}{label}", yanchor="top")
    else:
        rect(yx - 0.75, yx + 0.75, -0.7, 0.7, line={"color": GREY, "width": 1.5, "dash": "dot"})
        text(yx, 0, "?", size=s.annotation + 2, color=GREY)
        text(yx, -0.85, f"after t={T}", yanchor="top", color=GREY)
    text(yx, 0.8, "ŷ", yanchor="bottom", size=s.annotation + 3, color=col)
    arrow(hx1 + 0.02, 0, yx - 0.77, 0, col)
    # --- the shared weights, said once over all boxes
    x0b, x1b = P / 2 - BOX_W / 2, n * P - P / 2 + BOX_W / 2
    yb = g.box_top + (1.9 if lstm else 1.2)
    bracket = f"M {x0b},{yb - 0.35} L {x0b},{yb} L {x1b},{yb} L {x1b},{yb - 0.35}"
    shapes.append({"type": "path", "path": bracket, "line": {"color": theme.SERIES[0], "width": 2}})
    shared = "W<sub>xh</sub>, W<sub>hh</sub>, b" + ("" if cell.kind == "SimpleRNN" else " (all gates)")
    text((x0b + x1b) / 2, yb + 0.12, f"the same {shared} in every box: shared across time", yanchor="bottom",
         color=theme.SERIES[0], size=small)
    y_lo, y_hi = token_y - token_depth - 0.3, yb + 1.0
    what = cell.kind + (f" ({cell.activation})" if cell.kind == "SimpleRNN" else "")
    window = "" if (first, last) == (1, T) else f" · showing t={first}…{last}"
    layout = themed_layout(present)
    axis = {"visible": False, "fixedrange": True}
    layout.update(
        title={**layout.get("title", {}),
               "text": f"{what} unrolled over T={T} steps — step {step} of {T}{window}"},
        showlegend=False, plot_bgcolor="#ffffff", shapes=shapes, annotations=notes,
        xaxis={**layout["xaxis"], **axis, "range": [-0.8, yx + 1.2]},
        yaxis={**layout["yaxis"], **axis, "range": [y_lo, y_hi]},
        coloraxis=_state_coloraxis("h" + (", c" if lstm else "") + " value", len=0.8, side="right",
                                   tickvals=[-1, -0.5, 0, 0.5, 1]),
        height=int(max(360, (y_hi - y_lo) * unit_px + 70)),
        margin={"l": 10, "r": 10, "t": 60 if present else 50, "b": 10})
    fig = _figure(data, layout)
    return fig


def _gate_colour(v: float) -> str:
    from plotly.colors import sample_colorscale

    return sample_colorscale(theme.GATE_SCALE, [min(max(float(v), 0.0), 1.0)])[0]


# --------------------------------------------------------------------------- hidden states over time


def hidden_heatmap(view, step: int | None = None, present: bool = False) -> go.Figure:
    """h_t for every step (rows = time steps with their tokens, columns = units); LSTM: c_t beside it."""
    trace = view.trace
    T, H = trace.T, trace.H
    ylab = [time_label(t + 1, tok) for t, tok in enumerate(view.tokens)]
    xlab = [f"unit {u + 1}" for u in range(H)]
    panels = [("h", trace.h, "hidden state h<sub>t</sub>")]
    if trace.c is not None:
        panels.append(("c", trace.c, "cell state c<sub>t</sub>"))
    n = len(panels)
    gap = 0.06
    width = (1 - gap * (n - 1)) / n
    show_text = H <= MAX_CELL_TEXT and T <= 30
    layout = themed_layout(present)
    s = theme.sizes(present)
    data, shapes, notes = [], [], []
    for k, (name, arr, title) in enumerate(panels):
        suffix = "" if k == 0 else str(k + 1)
        x0 = k * (width + gap)
        data.append({
            "type": "heatmap", "z": arr, "x": xlab, "y": ylab, "coloraxis": "coloraxis", "xgap": 2, "ygap": 2,
            "name": name, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}",
            "texttemplate": "%{z:.2f}" if show_text else None,
            "hovertemplate": f"%{{y}}<br>{name}<sub>t</sub>, %{{x}}: %{{z:.4f}}<extra></extra>"})
        layout[f"xaxis{suffix}"] = {**layout["xaxis"], "domain": [x0, x0 + width], "anchor": f"y{suffix}",
                                    "title": {**layout["xaxis"].get("title", {}), "text": "hidden unit"}}
        layout[f"yaxis{suffix}"] = {**layout["yaxis"], "anchor": f"x{suffix}", "autorange": "reversed"}
        if k > 0:
            layout[f"yaxis{suffix}"].update(matches="y", showticklabels=False)
        notes.append({"text": title, "x": x0 + width / 2, "y": 1.0, "xref": "paper", "yref": "paper",
                      "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": s.font}})
        if step is not None and 1 <= step <= T:
            shapes.append({"type": "rect", "xref": f"x{suffix}", "yref": f"y{suffix}", "x0": -0.5,
                           "x1": H - 0.5, "y0": step - 1.5, "y1": step - 0.5,
                           "line": {"color": theme.HIGHLIGHT, "width": 4}})
    layout["yaxis"]["title"] = {**layout["yaxis"].get("title", {}), "text": "time step · token"}
    what = "h" if trace.c is None else "h and c"
    layout.update(
        title={**layout.get("title", {}),
               "text": f"States over time: {what} as a T × H = {T} × {H} matrix (colour fixed to ±1)"},
        coloraxis=_state_coloraxis("value", len=1.0), shapes=shapes, annotations=notes,
        height=int(min(900, max(300, 170 + 40 * T)) * (1.25 if present else 1.0)))
    return _figure(data, layout)


# --------------------------------------------------------------------------- model.summary()

_KERAS_NAME = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}
_COUNT = {
    "SimpleRNN": "V·H + H·H + H = {V}·{H} + {H}·{H} + {H}",
    "LSTM": "4·(V·H + H·H + H) = 4·({V}·{H} + {H}·{H} + {H})",
    "GRU": "3·(V·H + H·H + 2·H) = 3·({V}·{H} + {H}·{H} + 2·{H})",
}


def param_summary(cell, head) -> pd.DataFrame:
    """Keras' model.summary() for Sequential([cell(H), Dense(1, sigmoid)]), with how each count arises."""
    V, H = cell.input_size, cell.hidden_size
    rows = [
        (f"{_KERAS_NAME[cell.kind]} ({cell.kind})", f"(None, {H})", cell.num_params(),
         _COUNT[cell.kind].format(V=V, H=H)),
        ("dense (Dense)", "(None, 1)", head.num_params(), f"H·1 + 1 = {H} + 1"),
    ]
    return pd.DataFrame(rows, columns=["Layer (type)", "Output Shape", "Param #", "how it is counted"])


def total_params(cell, head) -> int:
    return int(cell.num_params() + head.num_params())


def sequence_names(tokens: Sequence[str]) -> list[str]:
    """Time-axis labels shared by the page's tables: "t=1 · movie", …"""
    return [time_label(t + 1, tok) for t, tok in enumerate(tokens)]
