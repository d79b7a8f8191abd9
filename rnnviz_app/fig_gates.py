"""Gate heatmaps: one (units × time) panel per gate and state of the chosen cell, tokens on the time axis,
gates on a fixed [0, 1] scale and states on a fixed diverging [−1, 1] scale.

The current step travels in the browser: every step is a Plotly animation frame that moves the orange
outline of the current column and the plain-language line about it (scatter traces, moved without a
redraw), with Plotly's own slider and Play/Pause. The panels are sent once, as pictures (theme.heat_image)
under invisible heatmap traces that keep the hover and the colour bars.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale

import rnnviz as rv

from . import theme
from .equations import html_escape, shorten

CHART_META = "rnnviz-gates"  # layout.meta: how the page's keyboard bridge finds this chart
MAX_CELL_TEXT_T, MAX_CELL_TEXT_H = 12, 8  # values written in the cells up to this many steps and units
PLAY_MS = 1000  # Play: milliseconds per step


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


@dataclass(frozen=True)
class _Geometry:
    """Pixel layout of the stacked panels (top to bottom: title, the step's sentence, the panels, the time
    axis, the slider)."""

    n: int  # panels
    T: int
    H: int
    present: bool
    sentence_lines: int

    @property
    def s(self) -> theme.Sizes:
        return theme.sizes(self.present)

    @property
    def row_px(self) -> int:
        return min(max(46, 18 * self.H), 220)  # height of one panel

    @property
    def gap_px(self) -> int:
        return 34 if self.present else 27  # room for a panel's title

    @property
    def sentence_px(self) -> int:
        return self.sentence_lines * (self.s.font + 6) + 14

    @property
    def axis_px(self) -> int:
        return 90 if self.T > 8 else 40  # the time axis' labels

    @property
    def slider_px(self) -> int:
        return 70

    @property
    def margin(self) -> dict:
        return {"l": 70, "r": 110 if self.present else 90, "t": 130 if self.present else 100,
                "b": self.axis_px + self.slider_px}

    @property
    def plot_px(self) -> int:
        """The sentence's band, then the panels with room for their titles."""
        return self.sentence_px + self.n * self.row_px + (self.n - 1) * self.gap_px + self.gap_px

    @property
    def height(self) -> int:
        m = self.margin
        return self.plot_px + m["t"] + m["b"]

    def domain(self, k: int) -> list[float]:
        """Panel k (0 = top) as a fraction of the plot area, bottom to top."""
        top = 1 - (self.sentence_px + self.gap_px + k * (self.row_px + self.gap_px)) / self.plot_px
        return [max(top - self.row_px / self.plot_px, 0.0), top]

    @property
    def sentence_domain(self) -> list[float]:
        return [1 - self.sentence_px / self.plot_px, 1.0]


def _axes(k: int) -> tuple[str, str]:
    """Plotly's axis names of panel k: ("x", "y"), ("x2", "y2"), …"""
    return ("x", "y") if k == 0 else (f"x{k + 1}", f"y{k + 1}")


def colour_range(p: Panel, trace: rv.Trace) -> tuple[str, float, float]:
    """The colour scale and range of a panel (the SimpleRNN's a: symmetric, at least ±1)."""
    if p.scale == "gate":
        return theme.GATE_SCALE, *theme.GATE_RANGE
    if p.scale == "pre":
        a_max = a_range(trace)
        return theme.STATE_SCALE, -a_max, a_max
    return theme.STATE_SCALE, *theme.STATE_RANGE


def a_range(trace: rv.Trace) -> float:
    return float(np.ceil(max(float(np.max(np.abs(trace.pre["a"]))), 1.0) * 10) / 10)


def _heatmap(p: Panel, k: int, tokens: Sequence[str]) -> dict:
    """Panel k's values for hover and the colour bar (invisible: the picture under it shows them).
    Rows are units, unit 1 at the top (y = H … 1), columns time steps (x = 1 … T)."""
    T, H = p.values.shape
    xa, ya = _axes(k)
    words = [html_escape(shorten(w, 12)) for w in tokens]
    return {"type": "heatmap", "z": p.values.T, "x": np.arange(1, T + 1), "y": np.arange(H, 0, -1),
            "coloraxis": COLOR_AXES[p.scale], "name": p.symbol, "meta": p.key, "opacity": 0,
            "xaxis": xa, "yaxis": ya, "customdata": [words] * H,
            "hovertemplate": f"t=%{{x}} · %{{customdata}}<br>{p.symbol} = %{{z:.4f}}<extra></extra>"}


def _picture(p: Panel, k: int, trace: rv.Trace) -> dict:
    """Panel k's cells as a layout image covering x 0.5 … T + 0.5, y 0.5 … H + 0.5."""
    T, H = p.values.shape
    xa, ya = _axes(k)
    scale, lo, hi = colour_range(p, trace)
    cell = max(4, min(24, 240 // H)), max(4, min(24, 960 // T))  # (h, w) pixels: sharp when stretched
    picture = theme.heat_image(theme.colours(p.values.T, scale, lo, hi), cell)
    return {"source": picture, "xref": xa, "yref": ya, "x": 0.5, "y": H + 0.5, "sizex": T, "sizey": H,
            "xanchor": "left", "yanchor": "top", "sizing": "stretch", "layer": "below"}


def _values(p: Panel, k: int, font: int) -> dict:
    """The numbers written in the cells (small sentences and sizes only)."""
    T, H = p.values.shape
    xa, ya = _axes(k)
    t, u = np.meshgrid(np.arange(1, T + 1), np.arange(H, 0, -1))
    z = p.values.T
    dark = np.abs(z) > 0.6 if p.scale != "gate" else z < 0.45
    return {"type": "scatter", "mode": "text", "meta": f"values-{k}", "xaxis": xa, "yaxis": ya,
            "hoverinfo": "skip", "x": t.ravel().astype(float), "y": u.ravel().astype(float),
            "text": [f"{v:.2f}".replace("-0.00", "0.00") for v in z.ravel()],
            "textfont": {"size": font, "color": ["#ffffff" if d else "#111111" for d in dark.ravel()]}}


def _outline(k: int, step: int, H: int, width: float) -> dict:
    """The current step's column of panel k, outlined: a scatter trace on the panel's own axes (a
    frame moves it without a redraw, and a panel whose axes hold a moving scatter trace keeps its other
    scatter traces, the numbers in the cells)."""
    xa, ya = _axes(k)
    x0, x1, y0, y1 = step - 0.5, step + 0.5, 0.53, H + 0.47
    return {"type": "scatter", "mode": "lines", "meta": f"now-{k}", "xaxis": xa, "yaxis": ya,
            "hoverinfo": "skip", "x": np.array([x0, x1, x1, x0, x0]), "y": np.array([y0, y0, y1, y1, y0]),
            "line": {"color": theme.HIGHLIGHT, "width": width}}


def _sentence(g: _Geometry, text: str, xa: str, ya: str) -> dict:
    """The step's plain-language line, above the panels (on an axis pair of its own)."""
    return {"type": "scatter", "mode": "text", "meta": "sentence", "xaxis": xa, "yaxis": ya,
            "hoverinfo": "skip", "cliponaxis": False, "x": np.array([0.002]), "y": np.array([0.97]),
            "text": [text], "textposition": "bottom right",
            "textfont": {"size": g.s.font, "color": "#111111"}}


def wrap(text: str, width: int = 100) -> str:
    """A long line as Plotly text of several lines (user words escaped)."""
    return "<br>".join(html_escape(line) for line in textwrap.wrap(text, width)) or " "


def _controls(g: _Geometry, T: int, step: int) -> dict:
    anim = {"mode": "immediate", "frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0}}
    every = 1 if T <= 20 else 5
    slider = {"active": step - 1, "x": 0.27, "len": 0.73, "y": 0, "yanchor": "top",
              "pad": {"t": g.axis_px, "b": 0}, "currentvalue": {"visible": False},
              "transition": {"duration": 0}, "font": {"size": g.s.tick}, "name": "step",
              "steps": [{"label": str(t) if (t in (1, T) or t % every == 0) else "", "method": "animate",
                         "args": [[str(t)], anim]} for t in range(1, T + 1)]}
    play = {**anim, "frame": {"duration": PLAY_MS, "redraw": False}, "fromcurrent": True}
    menu = {"type": "buttons", "direction": "right", "showactive": False, "x": 0.0, "xanchor": "left", "y": 0,
            "yanchor": "top", "pad": {"t": g.axis_px - 4, "r": 6}, "font": {"size": g.s.font},
            "buttons": [{"label": "▶ Play", "method": "animate", "args": [None, play]},
                        {"label": "❚❚ Pause", "method": "animate", "args": [[None], anim]}]}
    return {"sliders": [slider], "updatemenus": [menu]}


def _color_axes(g: _Geometry, trace: rv.Trace) -> dict:
    """Gates on [0, 1] (or the SimpleRNN's a) beside the upper panels, states on [−1, 1] beside the lower."""
    n, present = g.n, g.present
    panels_top = g.domain(0)[1]
    bar = {"thickness": 20 if present else 14, "len": 0.45 * panels_top, "x": 1.01, "xanchor": "left"}
    top, bottom = {"y": panels_top, "yanchor": "top"}, {"y": 0.0, "yanchor": "bottom"}
    axes = {"coloraxis2": {"colorscale": get_colorscale(theme.STATE_SCALE), "cmin": theme.STATE_RANGE[0],
                           "cmax": theme.STATE_RANGE[1],
                           "colorbar": {**bar, **bottom, "title": {"text": "state<br>−1 … 1"},
                                        "tickvals": [-1, -0.5, 0, 0.5, 1] if n > 4 else [-1, 0, 1]}}}
    if trace.cell == "SimpleRNN":
        a_max = a_range(trace)
        axes["coloraxis3"] = {"colorscale": get_colorscale(theme.STATE_SCALE), "cmin": -a_max, "cmax": a_max,
                              "colorbar": {**bar, **top, "title": {"text": f"a<br>±{a_max:g}"}}}
    else:
        axes["coloraxis"] = {"colorscale": get_colorscale(theme.GATE_SCALE), "cmin": theme.GATE_RANGE[0],
                             "cmax": theme.GATE_RANGE[1],
                             "colorbar": {**bar, **top, "title": {"text": "gate<br>0 closed<br>1 open"},
                                          "tickvals": [0, 0.5, 1]}}
    return axes


def _what(trace: rv.Trace) -> str:
    """What the panels show, for the title: a SimpleRNN has no gate to speak of."""
    if not trace.gates:
        return "a and h, no gates"
    return "every gate and state"


def _layout(g: _Geometry, ps: Sequence[Panel], trace: rv.Trace, tokens: Sequence[str], step: int) -> dict:
    s = g.s
    T, n = g.T, g.n
    layout = theme.themed_layout(g.present)
    ticks = [html_escape(shorten(w, 12)) for w in tokens]
    notes = []
    for k, p in enumerate(ps):
        xa, ya = _axes(k)
        dom = g.domain(k)
        x_axis = {**layout["xaxis"], "range": [0.5, T + 0.5], "anchor": ya, "tickvals": list(range(1, T + 1)),
                  "ticktext": [f"t={t} · {w}" for t, w in enumerate(ticks, start=1)],
                  "showticklabels": k == n - 1, "tickangle": -45 if T > 8 else 0, "showgrid": False,
                  "zeroline": False}
        if k:
            x_axis["matches"] = "x"
        layout[f"xaxis{'' if k == 0 else k + 1}"] = x_axis
        layout[f"yaxis{'' if k == 0 else k + 1}"] = {
            **layout["yaxis"], "domain": dom, "anchor": xa, "range": [0.5, g.H + 0.5], "showgrid": False,
            "zeroline": False, "tickvals": list(range(g.H, 0, -1)),
            "ticktext": [f"unit {j}" for j in range(1, g.H + 1)]}
        notes.append({"text": p.title, "x": 0.0, "xanchor": "left", "xref": "paper", "y": dom[1],
                      "yref": "paper", "yanchor": "bottom", "showarrow": False, "font": {"size": s.font}})
    hidden = {"visible": False, "range": [0, 1], "fixedrange": True}
    sentence_axes = {f"xaxis{n + 1}": {**hidden, "domain": [0, 1], "anchor": f"y{n + 1}"},
                     f"yaxis{n + 1}": {**hidden, "domain": g.sentence_domain, "anchor": f"x{n + 1}"}}
    return theme.merge(layout, {
        **sentence_axes, **_color_axes(g, trace), **_controls(g, T, step),
        "images": [_picture(p, k, trace) for k, p in enumerate(ps)],
        "title": {"text": f"{trace.cell} over time: {_what(trace)} (rows = units, columns = words)",
                  "subtitle": {"text": "orange box = the current time step; hover a cell for its exact "
                                       "value"}},
        "meta": CHART_META, "showlegend": False, "annotations": notes, "hovermode": "closest",
        "height": int(g.height * (1.25 if g.present else 1.0)), "margin": g.margin})


def gates_figure(trace: rv.Trace, tokens: Sequence[str], step: int | None = None, *, present: bool = False,
                 sentences: Sequence[str] | None = None) -> go.Figure:
    """One heatmap per gate/state (rows = units, columns = time steps) with every step as an animation
    frame: frame t outlines column t in every panel and shows `sentences[t-1]` (a plain-language line
    about step t) above them. Opens at `step` (default 1); frames are named "1" … "T"."""
    ps = panels(trace)
    T, H = trace.T, trace.H
    if len(tokens) != T:
        raise ValueError(f"need {T} tokens for {T} time steps, got {len(tokens)}")
    if sentences is not None and len(sentences) != T:
        raise ValueError(f"need {T} sentences for {T} time steps, got {len(sentences)}")
    step = 1 if step is None else min(max(int(step), 1), T)
    lines = [wrap(text, 70 if present else 100) for text in (sentences or [""] * T)]
    g = _Geometry(n=len(ps), T=T, H=H, present=present,
                  sentence_lines=max(line.count("<br>") + 1 for line in lines) if sentences else 0)
    s = theme.sizes(present)
    show_text = T <= MAX_CELL_TEXT_T and H <= MAX_CELL_TEXT_H
    heat = [_heatmap(p, k, tokens) for k, p in enumerate(ps)]
    if show_text:
        heat += [_values(p, k, s.tick - 1) for k, p in enumerate(ps)]
    width = 4 if present else 3
    sx, sy = _axes(len(ps))

    def moving(t: int) -> list[dict]:
        return [*(_outline(k, t, H, width) for k in range(len(ps))), _sentence(g, lines[t - 1], sx, sy)]

    frames = [{"name": str(t), "traces": list(range(len(heat), len(heat) + len(ps) + 1)),
               "data": [{"x": d["x"]} if d["meta"] != "sentence" else {"text": d["text"]} for d in moving(t)]}
              for t in range(1, T + 1)]
    return theme.figure(heat + moving(step), _layout(g, ps, trace, tokens, step), frames)
