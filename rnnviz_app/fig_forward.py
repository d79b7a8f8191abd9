"""Figures and tables of the Forward page: the network unrolled over the sentence, the hidden-state heatmap,
and a Keras-style parameter summary. Pure: (model view or trace, step, present) → Plotly figure/DataFrame.

The unrolled diagram carries every time step at once, as Plotly animation frames with Plotly's own slider
and Play/Pause buttons, so stepping, scrubbing and playing happen in the browser without a server round
trip. Each frame holds that step's numbers too (a panel of the step's vectors under the diagram), so what a
student reads always belongs to the highlighted step. It is drawn from scatter traces only — squares for
units, lines for boxes and arrows, text for labels — because Plotly moves scatter traces from one frame to
the next without a full redraw (`frame.redraw = False`), several times faster than shapes and annotations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import get_colorscale, sample_colorscale

from . import equations as eq
from . import theme
from .equations import html_escape, shorten, time_label

MAX_VISIBLE = 4  # time steps drawn in the unrolled diagram (a window that follows the current step)
MAX_VISIBLE_PRESENT = 3  # fewer, larger steps in presentation mode
MAX_STRIP = 12  # one-hot x_t drawn as a strip of cells up to this vocabulary size, else its id only
MAX_UNIT_TEXT = 8  # numbers written inside the unit squares up to this many units
MAX_CELL_TEXT = 12  # numbers written inside the hidden-state heatmap's cells up to this many units

CHART_META = "rnnviz-forward"  # layout.meta: how the page's keyboard bridge finds this chart
GREY = "#9a9a9a"
INK = "#111111"
C_COLOUR = "#b35806"  # the LSTM cell-state path (dark orange, distinct from the blue/red values)
BOX_FILL = "#eef2f8"
TODO_FILL = "#f7f7f7"
MONO = "DejaVu Sans Mono, Liberation Mono, Menlo, Consolas, monospace"  # the panel's aligned vectors
SANS = "sans-serif"
SPEEDS = (("slow", 2000), ("normal", 1000), ("fast", 400))  # Play: milliseconds per time step
DEFAULT_SPEED = 1
NAN = float("nan")


def _state_coloraxis(title: str, side: str = "top", **colorbar) -> dict:
    """The fixed diverging scale [-1, 1] of every h_t / c_t value."""
    return {"colorscale": get_colorscale(theme.STATE_SCALE), "cmin": theme.STATE_RANGE[0],
            "cmax": theme.STATE_RANGE[1],
            "colorbar": {"title": {"text": title, "side": side}, "thickness": 14, **colorbar}}


# --------------------------------------------------------------------------- the window and the geometry


def step_window(T: int, step: int, n: int = MAX_VISIBLE) -> tuple[int, int]:
    """The 1-based steps (first, last) drawn: all of them up to n, else n consecutive ones around `step`."""
    if n >= T:
        return 1, T
    first = min(max(step - n // 2, 1), T - n + 1)
    return first, first + n - 1


@dataclass(frozen=True)
class _Geometry:
    """Where every part sits, in data units (y up). Slot j = 0..n is the state column of h_{first−1+j};
    cell box j = 1..n sits between state columns j−1 and j. The window of n steps slides with the current
    step, so positions never change between frames: only values, labels and styles do."""

    H: int
    V: int
    n: int  # time steps drawn
    lstm: bool
    present: bool
    more: bool  # steps after the window ("⋯ 3 more steps")
    rows: int  # rows of the numbers panel

    pitch: float = 3.6  # state column → next state column
    box_w: float = 1.2  # width of a cell box
    gap: float = 0.55  # arrows start and end this far from a state column's centre (clear of its squares)
    tip: float = 0.1  # an arrowhead sits this far before the end of its line
    c_lift: float = 1.4  # the c column's centre sits H + c_lift above the h column's (LSTM)
    box_pad: float = 0.5  # a cell box reaches this far past the outermost units
    strip_drop: float = 1.7  # the one-hot strip's centre below the bottom of the boxes
    strip_h: float = 0.8
    token_drop: float = 1.05  # the "t=… / token" label below the strip's centre
    name_gap: float = 0.15  # the h_t / c_t name off its column
    more_w: float = 2.6  # room for "⋯ N more steps" after the window
    head_gap: float = 1.1  # the Dense box starts this far after the last state column
    head_w: float = 2.4
    head_h: float = 1.2  # half height of the Dense box
    yhat_gap: float = 1.3  # the ŷ square's centre after the Dense box
    left: float = -0.8  # x of the left edge
    right_pad: float = 1.2  # room after ŷ
    controls_px: int = 96  # the band for Plotly's slider and buttons between the diagram and the panel

    @property
    def s(self) -> theme.Sizes:
        return theme.sizes(self.present)

    @property
    def unit_px(self) -> int:
        """Pixels per data unit, vertically (the figure's height is computed from it, so exact)."""
        base = 34 if self.H <= 4 else 30 if self.H <= 6 else 24 if self.H <= 8 else 20
        return int(base * (1.2 if self.present else 1.0))

    def px(self, pixels: float) -> float:
        """A height in pixels as data units."""
        return pixels / self.unit_px

    @property
    def c_centre(self) -> float:
        return self.H + self.c_lift

    @property
    def top(self) -> float:
        return self.c_centre + self.H / 2 if self.lstm else self.H / 2

    @property
    def box_bottom(self) -> float:
        return -self.H / 2 - self.box_pad

    @property
    def box_top(self) -> float:
        return self.top + self.box_pad

    @property
    def strip_y(self) -> float:
        return self.box_bottom - self.strip_drop

    @property
    def token_y(self) -> float:
        return self.strip_y - self.token_drop

    @property
    def diagram_bottom(self) -> float:
        """Below the two lines of "t=… / token"."""
        return self.token_y - self.px(2.7 * (self.s.annotation + 2)) - 0.1

    @property
    def bracket_y(self) -> float:
        return self.box_top + (1.9 if self.lstm else 1.2)

    @property
    def controls_top(self) -> float:
        return self.diagram_bottom - 0.2

    @property
    def row_h(self) -> float:
        return self.px(self.s.annotation + 9)

    @property
    def panel_top(self) -> float:
        return self.controls_top - self.px(self.controls_px)

    def panel_y(self, r: int) -> float:
        """Row r of the numbers panel (r = 0 is its heading)."""
        return self.panel_top - (r + 0.5) * self.row_h

    @property
    def y_lo(self) -> float:
        return self.panel_y(self.rows) - 0.3 * self.row_h

    @property
    def y_hi(self) -> float:
        return self.bracket_y + 1.0

    def unit_y(self, centre: float) -> list[float]:
        return [centre + (self.H - 1) / 2 - u for u in range(self.H)]

    def state_x(self, j: int) -> float:
        return j * self.pitch

    def box_x(self, j: int) -> float:
        return j * self.pitch - self.pitch / 2

    @property
    def x_end(self) -> float:
        """Where h_T's arrow leaves the window (after "⋯ more steps" when there are some)."""
        return self.n * self.pitch + (self.more_w if self.more else 0.0)

    @property
    def head_x0(self) -> float:
        return self.x_end + self.head_gap

    @property
    def head_x1(self) -> float:
        return self.head_x0 + self.head_w

    @property
    def yhat_x(self) -> float:
        return self.head_x1 + self.yhat_gap

    @property
    def x_hi(self) -> float:
        return self.yhat_x + self.right_pad

    @property
    def margin(self) -> dict:
        return {"l": 10, "r": 10, "t": 60 if self.present else 50, "b": 10}

    @property
    def height(self) -> int:
        m = self.margin
        return round((self.y_hi - self.y_lo) * self.unit_px) + m["t"] + m["b"]

    def paper_y(self, y: float) -> float:
        """A data y as a fraction of the plot area (for the slider and buttons)."""
        return (y - self.y_lo) / (self.y_hi - self.y_lo)

    @property
    def square_px(self) -> float:
        return 0.86 * self.unit_px

    @property
    def strip_px(self) -> float:
        """One-hot cells: as wide as the strip allows on a narrow (~34 px per unit) screen."""
        return max(4.0, min(0.8 * self.unit_px, 34 * self.box_w / max(self.V, 1) - 1))


@dataclass(frozen=True)
class _Step:
    """One frame: the current step k and the window of steps drawn."""

    k: int
    first: int
    T: int

    def t(self, j: int) -> int:
        """The time step of slot j (state column j shows h_t; cell box j computes it)."""
        return self.first - 1 + j

    def done(self, t: int) -> bool:
        return t <= self.k

    @property
    def j_now(self) -> int:
        return self.k - self.first + 1


# --------------------------------------------------------------------------- small trace helpers


def _rects(boxes: Sequence[tuple[float, float, float, float] | None]) -> tuple[np.ndarray, np.ndarray]:
    """Closed outlines (x0, x1, y0, y1) as one polyline with NaN breaks; None keeps its slot empty."""
    xs, ys = [], []
    for b in boxes:
        if b is None:
            xs += [NAN] * 6
            ys += [NAN] * 6
        else:
            x0, x1, y0, y1 = b
            xs += [x0, x1, x1, x0, x0, NAN]
            ys += [y0, y0, y1, y1, y0, NAN]
    return np.array(xs, dtype=np.float32), np.array(ys, dtype=np.float32)


def _segments(segs: Sequence[tuple[float, float, float, float] | None]) -> tuple[np.ndarray, np.ndarray]:
    """Line segments (x0, y0, x1, y1) as one polyline with NaN breaks; None keeps its slot empty."""
    xs, ys = [], []
    for sg in segs:
        x0, y0, x1, y1 = sg if sg is not None else (NAN,) * 4
        xs += [x0, x1, NAN]
        ys += [y0, y1, NAN]
    return np.array(xs, dtype=np.float32), np.array(ys, dtype=np.float32)


def _lines(meta: str, segs, colour: str, width: float, dash: str = "solid", fill: str | None = None,
           rect: bool = False) -> dict:
    x, y = (_rects if rect else _segments)(segs)
    trace = {"type": "scatter", "x": x, "y": y, "mode": "lines", "meta": meta, "hoverinfo": "skip",
             "line": {"color": colour, "width": width, "dash": dash}}
    if fill:
        trace.update(fill="toself", fillcolor=fill)
    return trace


@dataclass(frozen=True)
class _Text:
    x: float
    y: float
    text: str
    size: int
    colour: str = INK
    position: str = "middle center"
    family: str = SANS


def _texts(meta: str, items: Sequence[_Text]) -> dict:
    """Every label of a frame as one text trace (Plotly's cost per frame grows with the number of traces)."""
    font = {"size": [i.size for i in items], "color": [i.colour for i in items],
            "family": [i.family for i in items]}
    return {"type": "scatter", "mode": "text", "meta": meta, "hoverinfo": "skip", "cliponaxis": False,
            "x": np.array([i.x for i in items], dtype=np.float32),
            "y": np.array([i.y for i in items], dtype=np.float32),
            "text": [i.text for i in items], "textposition": [i.position for i in items], "textfont": font}


def _value_text(v: float) -> str:
    return f"{v:.2f}".replace("-0.00", "0.00")


# --------------------------------------------------------------------------- the parts of one frame


def _band(g: _Geometry, st: _Step) -> dict:
    """The current step's highlight, behind everything: its cell box, input, token and new state."""
    x0 = g.box_x(st.j_now) - g.box_w / 2 - 0.3
    x1 = g.state_x(st.j_now) + g.gap + 0.2
    trace = _lines("band", [(x0, x1, g.diagram_bottom, g.box_top + 0.3)], theme.HIGHLIGHT, 3, rect=True)
    return {**trace, "fill": "toself", "fillcolor": "rgba(230, 159, 0, 0.13)"}


def _boxes(g: _Geometry, st: _Step) -> tuple[list, list]:
    """The cell boxes and the Dense head as (done, not reached yet) outlines; None keeps a slot empty."""
    boxes = [(g.box_x(j) - g.box_w / 2, g.box_x(j) + g.box_w / 2, g.box_bottom, g.box_top)
             for j in range(1, g.n + 1)]
    done = [st.done(st.t(j)) for j in range(1, g.n + 1)]
    head = (g.head_x0, g.head_x1, -g.head_h, g.head_h)
    head_done = st.k == st.T
    return ([b if d else None for b, d in zip(boxes, done, strict=True)] + [head if head_done else None],
            [None if d else b for b, d in zip(boxes, done, strict=True)] + [None if head_done else head])


def _arrow_segments(g: _Geometry, st: _Step) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every arrow of the frame as (kind, (x0, y0, x1, y1)); kind is "done", "todo" or "c" (LSTM path)."""
    out = []
    for j in range(1, g.n + 1):
        done = st.done(st.t(j))
        bx, left, right = g.box_x(j), g.box_x(j) - g.box_w / 2, g.box_x(j) + g.box_w / 2
        kind = "done" if done else "todo"
        out.append((kind, (g.state_x(j - 1) + g.gap, 0.0, left, 0.0)))
        out.append((kind, (right, 0.0, g.state_x(j) - g.gap, 0.0)))
        out.append((kind, (bx, g.strip_y + g.strip_h / 2 + 0.02, bx, g.box_bottom)))
        if g.lstm:
            c_kind = "c" if done else "todo"
            out.append((c_kind, (g.state_x(j - 1) + g.gap, g.c_centre, left, g.c_centre)))
            out.append((c_kind, (right, g.c_centre, g.state_x(j) - g.gap, g.c_centre)))
    x_last = g.state_x(g.n) + g.gap
    if g.more:
        out.append(("todo", (x_last, 0.0, g.x_end - 0.2, 0.0)))
    head_kind = "done" if st.k == st.T else "todo"
    out.append((head_kind, ((g.x_end - 0.2) if g.more else x_last, 0.0, g.head_x0, 0.0)))
    out.append((head_kind, (g.head_x1, 0.0, g.yhat_x - 0.8, 0.0)))
    return out


def _outlines(g: _Geometry, st: _Step) -> list[dict]:
    """Boxes and arrows: what is done in ink, what is not reached yet dotted grey, the LSTM's c path in
    orange, and the arrowheads. A box and the arrows of the same kind share a trace (fill "toself" fills the
    closed boxes and leaves the two-point arrows alone)."""
    done_boxes, todo_boxes = _boxes(g, st)
    segs = _arrow_segments(g, st)
    colour = {"done": INK, "todo": GREY, "c": C_COLOUR}

    def path(meta: str, boxes: list, kind: str, dash: str, fill: str | None, width: float) -> dict:
        bx, by = _rects(boxes)
        sx, sy = _segments([sg if k == kind else None for k, sg in segs])
        trace = {"type": "scatter", "mode": "lines", "meta": meta, "hoverinfo": "skip",
                 "x": np.concatenate([bx, sx]), "y": np.concatenate([by, sy]),
                 "line": {"color": colour[kind], "width": width, "dash": dash}}
        return {**trace, "fill": "toself", "fillcolor": fill} if fill else trace

    hx, hy, symbols, colours = [], [], [], []
    for kind, (x0, _, x1, y1) in segs:
        up = x0 == x1
        hx.append(x1 if up else x1 - g.tip)
        hy.append(y1 - g.tip if up else y1)
        symbols.append("triangle-up" if up else "triangle-right")
        colours.append(colour[kind])
    heads = {"type": "scatter", "mode": "markers", "meta": "arrowheads", "hoverinfo": "skip",
             "x": np.array(hx, dtype=np.float32), "y": np.array(hy, dtype=np.float32),
             "marker": {"symbol": symbols, "size": 9, "color": colours, "line": {"width": 0}}}
    return [path("ink", done_boxes, "done", "solid", BOX_FILL, 1.6),
            path("todo", todo_boxes, "todo", "dot", TODO_FILL, 1.5),
            path("c-path", [], "c", "solid", None, 1.6), heads]


def _state_points(g: _Geometry) -> list[tuple[str, int, int, float, float]]:
    """Every unit square of the window: (name, slot j, unit u, x, y) — h columns, then c (LSTM)."""
    columns = [("h", 0.0)] + ([("c", g.c_centre)] if g.lstm else [])
    return [(name, j, u, g.state_x(j), y) for name, centre in columns for j in range(g.n + 1)
            for u, y in enumerate(g.unit_y(centre))]


def _states(g: _Geometry, st: _Step, trace) -> dict:
    """h_t (and c_t) of every slot as unit squares coloured by their values; a step not reached yet has no
    square here (x and value NaN): the empty square drawn under it (_empty_states) shows, and hovers."""
    source = {"h": (trace.h0, trace.h), "c": (trace.c0, trace.c)}
    xs, vals, texts, custom = [], [], [], []
    for name, j, u, x, _ in _state_points(g):
        t = st.t(j)
        v0, values = source[name]
        v = float((v0 if t == 0 else values[t - 1])[u])
        known = st.done(t)
        xs.append(x if known else NAN)
        vals.append(v if known else NAN)
        texts.append(_value_text(v) if known and g.H <= MAX_UNIT_TEXT else "")
        custom.append([t, u + 1, name])
    vals_arr = np.array(vals)
    return {"type": "scatter", "mode": "markers+text", "meta": "states", "x": np.array(xs, dtype=np.float32),
            "y": np.array([p[4] for p in _state_points(g)], dtype=np.float32),
            "marker": {"symbol": "square", "size": g.square_px, "color": vals_arr, "coloraxis": "coloraxis",
                       "line": {"width": 1, "color": "#c8c8c8"}},
            "text": texts, "textposition": "middle center",
            "textfont": {"size": 11 if g.H <= 6 else 10,
                         "color": ["#ffffff" if abs(v) > 0.6 else INK for v in np.nan_to_num(vals_arr)]},
            "customdata": custom,
            "hovertemplate": "%{customdata[2]}<sub>%{customdata[0]}</sub>, unit %{customdata[1]} = "
                             "%{marker.color:.4f}<extra></extra>"}


def _empty_states(g: _Geometry) -> dict:
    """An empty square under every unit square (what a step not reached yet shows)."""
    points = _state_points(g)
    return {"type": "scatter", "mode": "markers", "meta": "empty",
            "hovertemplate": "not computed yet: the network has not read this word<extra></extra>",
            "x": np.array([p[3] for p in points], dtype=np.float32),
            "y": np.array([p[4] for p in points], dtype=np.float32),
            "marker": {"symbol": "square", "size": g.square_px, "color": "#ffffff",
                       "line": {"width": 1, "color": GREY}}}


def _input_strip(g: _Geometry, st: _Step, view) -> dict:
    """x_t of every slot as a strip of V cells with a single 1 (or nothing when V is too large)."""
    V = g.V
    xs, ys, vals, custom = [], [], [], []
    if V <= MAX_STRIP:
        w = g.box_w / V
        for j in range(1, g.n + 1):
            t = st.t(j)
            for v in range(V):
                xs.append(g.box_x(j) - g.box_w / 2 + (v + 0.5) * w)
                ys.append(g.strip_y)
                vals.append(float(view.x[t - 1, v]))
                custom.append((t, v))
    words = [html_escape(shorten(w, 20)) for w in view.corpus.vocab.tokens]
    return {"type": "scatter", "mode": "markers", "meta": "x", "x": np.array(xs, dtype=np.float32),
            "y": np.array(ys, dtype=np.float32),
            "marker": {"symbol": "square", "size": g.strip_px, "color": np.array(vals), "cmin": 0, "cmax": 1,
                       "colorscale": theme.ONE_HOT_SCALE, "line": {"width": 0}},
            "customdata": np.array(custom, dtype=np.int16).reshape(-1, 2),
            "hovertext": words * g.n if V <= MAX_STRIP else [],
            "hovertemplate": "x<sub>%{customdata[0]}</sub>, position %{customdata[1]} (%{hovertext}) = "
                             "%{marker.color:.0f}<extra></extra>"}


def _slot_labels(g: _Geometry, st: _Step, view) -> list[_Text]:
    """Per slot: the token, the word id, the box's name, h_t / c_t under their columns."""
    s = g.s
    small = s.annotation if g.H <= 8 else s.annotation - 2
    kind = view.cell.kind
    box_label = f"<b>{view.cell.activation if kind == 'SimpleRNN' else kind}</b>"
    out = []
    for j in range(g.n + 1):
        t = st.t(j)
        col = INK if st.done(t) else GREY
        out.append(_Text(g.state_x(j), -g.H / 2 - g.name_gap, f"h<sub>{t}</sub>", s.annotation + 1, col,
                         "bottom center"))
        if g.lstm:
            out.append(_Text(g.state_x(j), g.c_centre + g.H / 2 + g.name_gap, f"c<sub>{t}</sub>",
                             s.annotation + 1, C_COLOUR if st.done(t) else GREY, "top center"))
    for j in range(1, g.n + 1):
        t = st.t(j)
        now, col = t == st.k, INK if st.done(t) else GREY
        bx = g.box_x(j)
        token = html_escape(shorten(view.tokens[t - 1], 12))
        body = f"t={t}<br>{token}"
        out.append(_Text(bx, g.token_y, f"<b>{body}</b>" if now else body, s.annotation + (2 if now else 0),
                         theme.HIGHLIGHT if now else col, "bottom center"))
        out.append(_Text(bx, g.strip_y - g.strip_h / 2 - 0.05, f"id {view.ids[t - 1]}", small - 1, col,
                         "bottom center"))
        if g.V > MAX_STRIP:
            out.append(_Text(bx, g.strip_y, "one-hot", small - 2, col))
        out.append(_Text(bx, (g.box_bottom + g.box_top) / 2, box_label, s.annotation, col))
    first_col = INK if st.done(st.first) else GREY
    out.append(_Text(g.box_x(1) + 0.1, (g.strip_y + g.strip_h / 2 + g.box_bottom) / 2, "W<sub>xh</sub>",
                     small, first_col, "middle right"))
    out.append(_Text((g.state_x(0) + g.gap + g.box_x(1) - g.box_w / 2) / 2, 0.1, "W<sub>hh</sub>", small - 1,
                     first_col, "top center"))
    before = f"after t=1…{st.first - 1}" if st.first > 1 else ""
    out.append(_Text(g.state_x(0), -g.H / 2 - 1.2, before, small - 1, GREY, "bottom center"))
    if g.more:
        left = st.T - st.t(g.n)
        more = f"⋯ {left} more<br>step{'s' if left > 1 else ''}" if left else ""
        out.append(_Text(g.state_x(g.n) + 1.35, 0.2, more, small - 1, GREY, "top center"))
    return out


def _head(g: _Geometry, st: _Step, view) -> tuple[dict, list[_Text]]:
    """The output ŷ = σ(h_T w_o + b_o): a square coloured on the gate scale once step T is reached."""
    s = g.s
    small = s.annotation if g.H <= 8 else s.annotation - 2
    done = st.k == st.T
    col = INK if done else GREY
    yhat = float(view.yhat)
    square = {"type": "scatter", "mode": "markers", "meta": "yhat", "x": np.array([g.yhat_x]),
              "y": np.array([0.0]),
              "marker": {"symbol": "square", "size": 1.4 * g.unit_px,
                         "color": [gate_colour(yhat) if done else "#ffffff"],
                         "line": {"width": 1.5, "color": INK if done else GREY}},
              "customdata": np.array([yhat if done else NAN]),
              "hovertemplate": "ŷ = %{customdata:.4f}<extra></extra>" if done else
                               f"ŷ is computed after the last word (t={st.T})<extra></extra>"}
    if done:
        verdict = "positive" if yhat >= 0.5 else "negative"
        label = "" if view.label is None else f"<br>(label y = {int(view.label)})"
        below = f"says {verdict}{label}"
        value = _Text(g.yhat_x, 0, f"<b>{yhat:.3f}</b>", s.annotation + 1, "#ffffff" if yhat < 0.6 else INK)
    else:
        below = f"after t={st.T}"
        value = _Text(g.yhat_x, 0, "?", s.annotation + 2, GREY)
    texts = [value,
             _Text(g.yhat_x, -0.85, below, small, col, "bottom center"),
             _Text(g.yhat_x, 0.8, "ŷ", s.annotation + 3, col, "top center"),
             _Text((g.head_x0 + g.head_x1) / 2, 0,
                   "<b>Dense</b><br>σ(h<sub>T</sub>·w<sub>o</sub> + b<sub>o</sub>)", small, col)]
    return square, texts


# --------------------------------------------------------------------------- the numbers panel


def _vector_text(values: np.ndarray, digits: int) -> str:
    width = digits + 3
    return "[" + " ".join(f"{eq.fmt(v, digits):>{width}}" for v in values) + " ]"


def panel_rows(view, k: int) -> list[tuple[str, np.ndarray]]:
    """The numbers of step k under the diagram: (label, vector) rows, read from the trace through
    equations.step_equations — for a SimpleRNN x_t·W_xh (the picked row), h_{t−1}·W_hh, b, a_t and h_t;
    for a gated cell x_t·W and h_{t−1}·W of each gate and the gate's value, then the new state."""
    steq = eq.step_equations(view.cell, view.trace, view.ids, view.tokens, k)
    tid = steq.token_id
    sub = {"t": f"<sub>{k}</sub>", "t-1": f"<sub>{k - 1}</sub>"}
    rows = []
    if steq.kind == "SimpleRNN":
        x_w, h_w, b = steq.blocks[0].terms
        act = view.cell.activation
        rows = [(f"x{sub['t']}·W<sub>xh</sub> = row {tid} of W<sub>xh</sub>", x_w.values),
                (f"h{sub['t-1']}·W<sub>hh</sub>", h_w.values),
                ("b", b.values),
                (f"a{sub['t']} = sum", steq.blocks[0].pre.values),
                (f"h{sub['t']} = {act}(a{sub['t']})", steq.blocks[0].out.values)]
        return rows
    symbols = {"i": "i", "f": "f", "g": "c̃", "o": "o", "r": "r", "z": "z", "n": "h̃"}
    for block in steq.blocks:
        g = block.name
        act = "tanh" if g in ("g", "n") else "σ"
        rows.append((f"x{sub['t']}·W<sub>x{g}</sub> = row {tid}", block.terms[0].values))
        if steq.kind == "GRU" and g == "n":
            label = f"r{sub['t']}⊙(h{sub['t-1']}·W<sub>hn</sub> + b<sub>hn</sub>)"
            rows.append((label, block.terms[2].values))
        else:
            h_term = block.terms[1] if steq.kind == "LSTM" else block.terms[2]
            rows.append((f"h{sub['t-1']}·W<sub>h{g}</sub>", h_term.values))
        rows.append((f"<b>{symbols[g]}{sub['t']}</b> = {act}(sum + b)", block.out.values))
    if steq.kind == "LSTM":
        rows.append((f"<b>c{sub['t']}</b> = f⊙c{sub['t-1']} + i⊙c̃", steq.update[2].values))
    rows.append((f"<b>h{sub['t']}</b>" + (" = o⊙tanh(c)" if steq.kind == "LSTM" else " = (1−z)⊙h̃ + z⊙h"),
                 steq.update[-1].values))
    return rows


def _panel_rows_count(kind: str) -> int:
    return {"SimpleRNN": 5, "LSTM": 14, "GRU": 10}.get(kind, 5)


def _panel(g: _Geometry, st: _Step, view) -> list[_Text]:
    """Heading, one row per vector of step k, then ŷ: labels right-aligned, vectors in a monospace font."""
    s = g.s
    k = st.k
    digits = 3 if g.H <= 8 else 2
    label_x = g.left + 5.4
    rows = panel_rows(view, k)
    width = len(_vector_text(rows[0][1], digits))
    mono = max(10, min(s.annotation, int(620 / (0.6 * width))))
    token = html_escape(shorten(view.tokens[k - 1], 24))
    window = "" if (st.first == 1 and not g.more) else f" · showing t={st.first}…{st.t(g.n)}"
    heading = f"<b>Step t = {k} of {st.T}: “{token}” (id {view.ids[k - 1]})</b> — the numbers of this step"
    labels = [_Text(g.left + 0.05, g.panel_y(0), heading + window, s.annotation + 1, INK, "middle right")]
    values = []
    for r, (label, vec) in enumerate(rows, start=1):
        labels.append(_Text(label_x, g.panel_y(r), label, s.annotation, INK, "middle left"))
        values.append(_Text(label_x + 0.25, g.panel_y(r), _vector_text(vec, digits), mono, INK,
                            "middle right", MONO))
    r = len(rows) + 1
    z = float(view.trace.h[-1] @ view.head.w_o + view.head.b_o)
    labels.append(_Text(label_x, g.panel_y(r), f"ŷ = σ(h<sub>{st.T}</sub>·w<sub>o</sub> + b<sub>o</sub>)",
                        s.annotation, INK if k == st.T else GREY, "middle left"))
    if k == st.T:
        verdict = "positive" if view.yhat >= 0.5 else "negative"
        yhat = f"= σ({eq.fmt(z)}) = {eq.fmt(view.yhat)} → says {verdict}"
    else:
        yhat = f"after the last word (t = {st.T})"
    values.append(_Text(label_x + 0.25, g.panel_y(r), yhat, mono, INK if k == st.T else GREY, "middle right",
                        MONO))
    return labels + values


# --------------------------------------------------------------------------- frames, layout, figure


def _static_traces(g: _Geometry) -> list[dict]:
    """What no step changes: the strip outlines, the shared-weights bracket, the empty unit squares."""
    strips = [(g.box_x(j) - g.box_w / 2, g.box_x(j) + g.box_w / 2, g.strip_y - g.strip_h / 2,
               g.strip_y + g.strip_h / 2) for j in range(1, g.n + 1)]
    fill = TODO_FILL if g.V > MAX_STRIP else None
    x0, x1 = g.box_x(1) - g.box_w / 2, g.box_x(g.n) + g.box_w / 2
    yb = g.bracket_y
    bracket = {"type": "scatter", "mode": "lines", "meta": "bracket", "hoverinfo": "skip",
               "x": np.array([x0, x0, x1, x1]), "y": np.array([yb - 0.35, yb, yb, yb - 0.35]),
               "line": {"color": theme.SERIES[0], "width": 2}}
    return [_lines("strips", strips, GREY, 1, fill=fill, rect=True), bracket, _empty_states(g),
            _yhat_legend_trace()]


def _shared_words(g: _Geometry, view) -> _Text:
    """Over the bracket: the same weights in every box."""
    x0, x1 = g.box_x(1) - g.box_w / 2, g.box_x(g.n) + g.box_w / 2
    gated = "" if view.cell.kind == "SimpleRNN" else " (all gates)"
    return _Text((x0 + x1) / 2, g.bracket_y + 0.12,
                 f"the same W<sub>xh</sub>, W<sub>hh</sub>, b{gated} in every box: shared across time",
                 g.s.annotation if g.H <= 8 else g.s.annotation - 2, theme.SERIES[0], "top center")


def _yhat_legend_trace() -> dict:
    """No mark of its own: it puts the ŷ square's colour scale (coloraxis2) on the page as a colour bar."""
    return {"type": "scatter", "mode": "markers", "meta": "yhat-scale", "hoverinfo": "skip",
            "showlegend": False, "x": np.array([NAN]), "y": np.array([NAN]),
            "marker": {"color": np.array([0.5]), "coloraxis": "coloraxis2", "opacity": 0}}


def _yhat_coloraxis(g: _Geometry) -> dict:
    """The gate scale [0, 1] of the ŷ square, as a short horizontal colour bar under it."""
    small = g.s.annotation if g.H <= 8 else g.s.annotation - 2
    below = -0.85 - g.px(2.6 * small + 10)  # under the two lines "says … (label y = …)"
    width = 2.8  # data units
    span = g.x_hi - g.left
    return {"colorscale": get_colorscale(theme.GATE_SCALE), "cmin": theme.GATE_RANGE[0],
            "cmax": theme.GATE_RANGE[1],
            "colorbar": {"orientation": "h", "x": (g.yhat_x - g.left) / span, "xanchor": "center",
                         "len": width / span, "lenmode": "fraction", "y": g.paper_y(below), "yanchor": "top",
                         "thickness": 10 if not g.present else 14, "tickvals": [0, 0.5, 1],
                         "ticktext": ["0", "0.5", "1"], "tickfont": {"size": small - 1},
                         "title": {"text": "ŷ colour", "side": "top", "font": {"size": small}},
                         "outlinewidth": 0}}


def _frame_traces(g: _Geometry, view, st: _Step) -> list[dict]:
    """Every trace that a step changes, in a fixed order (the frames address them by index)."""
    head, head_texts = _head(g, st, view)
    texts = [*_slot_labels(g, st, view), *head_texts, _shared_words(g, view), *_panel(g, st, view)]
    return [_band(g, st), *_outlines(g, st), _states(g, st, view.trace), _input_strip(g, st, view), head,
            _texts("text", texts)]


def _animate_args(name: str | None, duration: int = 0) -> list:
    """Plotly.animate arguments: no redraw (scatter traces move in place), no transition (no easing);
    name None plays every frame from the current one on."""
    opts = {"mode": "immediate", "frame": {"duration": duration, "redraw": False},
            "transition": {"duration": 0}}
    return [[name], opts] if name is not None else [None, {**opts, "fromcurrent": True}]


PAUSE_ARGS = [[None], {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
                       "transition": {"duration": 0}}]  # Plotly's way to stop an animation


def _controls(g: _Geometry, T: int, active: int) -> dict:
    """Plotly's own slider over the steps, Play/Pause, and the playing speed — all in the browser."""
    s = g.s
    y = g.paper_y(g.controls_top)
    every = 1 if T <= 20 else 5
    steps = [{"label": str(t) if (t == 1 or t == T or t % every == 0) else "", "method": "animate",
              "args": _animate_args(str(t))} for t in range(1, T + 1)]
    slider = {"active": active - 1, "steps": steps, "x": 0.24, "len": 0.76, "y": y, "yanchor": "top",
              "pad": {"t": 6, "b": 0}, "currentvalue": {"visible": False}, "transition": {"duration": 0},
              "font": {"size": s.tick}, "name": "step"}
    speed = SPEEDS[DEFAULT_SPEED][1]
    play = {"type": "buttons", "direction": "right", "showactive": False, "x": 0.0, "xanchor": "left",
            "y": y, "yanchor": "top", "pad": {"t": 4, "r": 6}, "font": {"size": s.font},
            "buttons": [{"label": "▶ Play", "method": "animate", "args": _animate_args(None, speed)},
                        {"label": "❚❚ Pause", "method": "animate", "args": PAUSE_ARGS}]}
    pace = {"type": "buttons", "direction": "right", "showactive": True, "active": DEFAULT_SPEED, "x": 0.0,
            "xanchor": "left", "y": y, "yanchor": "top", "pad": {"t": 46, "r": 6}, "font": {"size": s.tick},
            "buttons": [{"label": name, "method": "relayout",
                         "args": ["updatemenus[0].buttons[0].args[1].frame.duration", ms]}
                        for name, ms in SPEEDS]}
    return {"sliders": [slider], "updatemenus": [play, pace]}


def _layout(g: _Geometry, view, T: int, active: int) -> dict:
    cell = view.cell
    what = cell.kind + (f" ({cell.activation})" if cell.kind == "SimpleRNN" else "")
    axis = {"visible": False, "fixedrange": True}
    layout = theme.themed_layout(g.present)
    hint = {"text": "keys: ← → step · space play/pause", "xref": "paper", "yref": "paper", "x": 1.0,
            "y": g.paper_y(g.controls_top), "yanchor": "top", "xanchor": "right", "yshift": -62,
            "showarrow": False, "font": {"size": g.s.tick - 1, "color": "#555555"}}
    return theme.merge(layout, {
        "title": {"text": f"{what} unrolled over T={T} steps"}, "meta": CHART_META,
        "showlegend": False, "plot_bgcolor": "#ffffff", "hovermode": "closest", "annotations": [hint],
        "xaxis": {**axis, "range": [g.left, g.x_hi]}, "yaxis": {**axis, "range": [g.y_lo, g.y_hi]},
        "coloraxis2": _yhat_coloraxis(g),
        "coloraxis": _state_coloraxis("h" + (", c" if g.lstm else "") + " value", side="right",
                                      len=min(0.8, 1.6 * g.H / (g.y_hi - g.y_lo) + 0.2),
                                      y=g.paper_y((g.top + g.box_bottom) / 2),
                                      tickvals=[-1, -0.5, 0, 0.5, 1]),
        "height": g.height, "margin": g.margin, **_controls(g, T, active)})


@dataclass(frozen=True, eq=False)
class Unrolled:
    """Every frame of a sentence's unrolled diagram, built once (the costly part); `figure(step)` opens it
    at a step (cheap: the frames are shared, only the first view and the slider's position differ)."""

    T: int
    static: tuple[dict, ...]  # traces no step changes
    steps: tuple[tuple[dict, ...], ...]  # steps[k - 1]: every trace that changes, as step k draws it
    frames: tuple[dict, ...]  # Plotly frames "1" … "T": what each step changes, arrays encoded for Plotly.js
    layout: dict  # without the slider's position

    def figure(self, step: int | None = None) -> go.Figure:
        """The diagram opened at `step` (default: the last); Plotly's slider, Play/Pause and speed buttons
        move between the frames in the browser."""
        step = self.T if step is None else min(max(int(step), 1), self.T)
        layout = theme.merge(self.layout, {})
        layout["sliders"] = [{**layout["sliders"][0], "active": step - 1}]
        return theme.figure(self.static + self.steps[step - 1], layout, self.frames)


def unrolled(view, present: bool = False, max_visible: int | None = None) -> Unrolled:
    """The network unrolled over the sentence with every time step as an animation frame: tokens, one-hot
    x_t, the shared cell, h_t (and c_t) as coloured unit squares with their values, arrows h_{t-1} → h_t,
    the output head ŷ = σ(h_T w_o + b_o), and under it the numbers of the current step.

    Frame t shows the network after reading word t: steps after t are empty and dotted, step t is
    highlighted, and only a window of `max_visible` steps around t is drawn when the sentence is longer.
    """
    trace = view.trace
    T = trace.T
    n = min(T, max_visible or (MAX_VISIBLE_PRESENT if present else MAX_VISIBLE))
    g = _Geometry(H=trace.H, V=trace.D, n=n, lstm=trace.c is not None, present=present, more=n < T,
                  rows=_panel_rows_count(view.cell.kind) + 1)
    per_step = [_frame_traces(g, view, _Step(k, step_window(T, k, n)[0], T)) for k in range(1, T + 1)]
    static = _static_traces(g)
    frames = theme.animation_frames(per_step, [str(k) for k in range(1, T + 1)], len(static))
    return Unrolled(T=T, static=tuple(static), steps=tuple(tuple(p) for p in per_step),
                    frames=tuple(theme.encode_arrays(frames)), layout=_layout(g, view, T, 1))


def unrolled_figure(view, step: int | None = None, present: bool = False,
                    max_visible: int | None = None) -> go.Figure:
    """unrolled(view, present, max_visible) opened at `step` (default: the last): see `unrolled`."""
    return unrolled(view, present, max_visible).figure(step)


def frame_step(fig: go.Figure) -> int:
    """The step a figure of unrolled_figure opens at (its slider's active step, 1-based)."""
    return int(fig.to_dict()["layout"]["sliders"][0]["active"]) + 1


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
    layout = theme.themed_layout(present)
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
        coloraxis=_state_coloraxis("value", len=1.0),
        shapes=shapes, annotations=notes,
        height=int(min(900, max(300, 170 + 40 * T)) * (1.25 if present else 1.0)))
    return theme.figure(data, layout)


def gate_colour(v: float) -> str:
    """A value in [0, 1] as its colour on the gate scale."""
    return sample_colorscale(theme.GATE_SCALE, [min(max(float(v), 0.0), 1.0)])[0]


# --------------------------------------------------------------------------- model.summary()

_KERAS_NAME = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}


def param_summary(cell, head) -> pd.DataFrame:
    """Keras' model.summary() for Sequential([cell(H), Dense(1, sigmoid)]), with how each count arises."""
    V, H = cell.input_size, cell.hidden_size
    rows = [
        (f"{_KERAS_NAME[cell.kind]} ({cell.kind})", f"(None, {H})", cell.num_params(),
         eq.param_formula(cell.kind, V, H)),
        ("dense (Dense)", "(None, 1)", head.num_params(), f"H·1 + 1 = {H} + 1"),
    ]
    return pd.DataFrame(rows, columns=["Layer (type)", "Output Shape", "Param #", "how it is counted"])


def total_params(cell, head) -> int:
    return int(cell.num_params() + head.num_params())


def sequence_names(tokens: Sequence[str]) -> list[str]:
    """Time-axis labels shared by the page's tables: "t=1 · movie", …"""
    return [time_label(t + 1, tok) for t, tok in enumerate(tokens)]
