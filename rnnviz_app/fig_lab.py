"""Figures of the gradient lab: gradient norms against steps back, the (w_h × steps back) phase diagram,
and SimpleRNN vs LSTM vs GRU on the same input.

Norms are plotted as log10 values on a linear axis labelled 10^k, so that 1e-400 and 1e+400 are points on
the chart, not NaN or inf: an exact 0 is drawn on a "0" floor row, and values past float range
(> 1.8e308) sit in a shaded band labelled "overflow".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale

import rnnviz as rv

from . import theme
from .equations import html_escape
from .lab import Regime, fmt_pow, regime_of

JAC = "‖dh<sub>T</sub>/dh<sub>t</sub>‖"
LOSS = "‖∂L/∂h<sub>t</sub>‖"
BOUND = "bound (γ·w<sub>h</sub>)<sup>T−t</sup>"
FORGET = "LSTM ∏ f (cell path)"
GREY = "#555555"
OVERFLOW_FILL = "rgba(213, 94, 0, 0.12)"
CELL_COLOURS = {"SimpleRNN": theme.SERIES[0], "LSTM": theme.SERIES[2], "GRU": theme.SERIES[3]}


def lab_layout(present: bool) -> dict:
    """The shared theme (theme.themed_layout) with the lab's height and margins."""
    return theme.merge(theme.themed_layout(present, height=500),
                       {"margin": {"b": 130 if present else 110, "t": 125 if present else 85}})


def new_figure(data: list[dict], layout: dict, present: bool = False) -> go.Figure:
    """A themed figure from plain dicts (theme.figure: no per-property validation; the unit tests
    re-validate every figure)."""
    return theme.figure(data, theme.merge(lab_layout(present), layout))


def pow10_text(k: int) -> str:
    """Tick text for 10^k ("1" for k = 0), with a real minus sign."""
    if k == 0:
        return "1"
    return f"10<sup>{'−' if k < 0 else ''}{abs(k)}</sup>"


def log_ticks(lo: float, hi: float, max_ticks: int = 8) -> tuple[list[int], list[str]]:
    """Integer powers of ten between lo and hi (log10 units), at most about max_ticks of them."""
    span = max(hi - lo, 1.0)
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500) if span / s <= max_ticks)
    first = int(np.ceil(lo / step) * step)
    vals = list(range(first, int(np.floor(hi)) + 1, step))
    return vals, [pow10_text(v) for v in vals]


def step_names(tokens: Sequence[str] | None, T: int) -> list[str]:
    if tokens is None or len(tokens) != T:
        return [f"t={t + 1}" for t in range(T)]
    return [f"t={t + 1} · {tok}" for t, tok in enumerate(tokens)]


@dataclass(frozen=True)
class Series:
    name: str
    log10: np.ndarray  # (T,) column t = time step t (0-based)
    colour: str
    dash: str = "solid"
    key: str = ""  # the trace's meta: how tests and the browser find it
    width: float = 0.0  # extra line width


def _log_lines(series: Sequence[Series], steps_back: np.ndarray, names: Sequence[str], present: bool, *,
               overflow_step: int = -1) -> tuple[list[dict], dict]:
    """Traces and layout for log10 series against steps back; exact zeros on a floor row, overflow in a
    shaded band."""
    s = theme.sizes(present)
    finite = [se.log10[np.isfinite(se.log10)] for se in series]
    allv = np.concatenate([f for f in finite if f.size] or [np.zeros(1)])
    lo, hi = float(min(allv.min(), 0.0)), float(max(allv.max(), 0.0))
    pad = max(0.06 * (hi - lo), 0.5)
    has_zero = any(np.isneginf(se.log10).any() for se in series)
    floor = lo - 3 * pad if has_zero else lo - pad
    top = hi + pad
    order = np.argsort(steps_back)
    x = steps_back[order]
    where = [f"{x[i]} steps back ({names[order[i]]})" for i in range(len(x))]
    data = []
    for se in series:
        v = se.log10[order]
        ok = np.isfinite(v)
        data.append({
            "type": "scatter", "x": x, "y": [float(a) if b else None for a, b in zip(v, ok, strict=True)],
            "name": se.name, "meta": se.key or se.name, "mode": "lines+markers" if len(x) <= 40 else "lines",
            "text": [f"{w}<br>{se.name} = {fmt_pow(a)}" for w, a in zip(where, v, strict=True)],
            "hovertemplate": "%{text}<extra></extra>", "connectgaps": False,
            "marker": {"size": s.marker * 0.6},
            "line": {"color": se.colour, "dash": se.dash,
                     "width": s.line + se.width + (0 if se.dash == "solid" else -0.5)}})
        zero = np.flatnonzero(np.isneginf(v))
        if zero.size:
            data.append({
                "type": "scatter", "x": x[zero], "y": np.full(zero.size, floor), "mode": "markers",
                "name": f"{se.name} = 0 exactly", "meta": f"{se.key or se.name}-zero", "showlegend": False,
                "marker": {"symbol": "x-thin", "size": s.marker, "line": {"width": 2, "color": se.colour}},
                "text": [f"{where[i]}<br>{se.name} = 0 exactly" for i in zero],
                "hovertemplate": "%{text}<extra></extra>"})
    vals, texts = log_ticks(lo, hi)
    if has_zero:
        vals, texts = [floor, *vals], ["0 (exact)", *texts]
    layout = {
        "yaxis": {"range": [floor - pad * 0.5, top], "tickvals": vals, "ticktext": texts, "zeroline": False,
                  "title": {"text": "norm (log scale)"}},
        "xaxis": {"range": [-0.5, float(x.max()) + 0.5], "nticks": 10,
                  "title": {"text": "steps back from the last word (T − t)"}},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0.0,
                   "font": {"size": s.font}},
        "hovermode": "closest", "shapes": [], "annotations": []}
    if hi > rv.LOG10_MAX:
        layout["shapes"].append({"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "y0": rv.LOG10_MAX,
                                 "y1": top, "fillcolor": OVERFLOW_FILL, "line": {"width": 0},
                                 "layer": "below"})
        at = f" from t = {overflow_step + 1}" if overflow_step >= 0 else ""
        layout["annotations"].append({
            "x": 0.01, "xref": "paper", "y": top, "yanchor": "top", "xanchor": "left", "showarrow": False,
            "text": f"overflow: > 1.8e308 (float64 max){at}", "font": {"size": s.annotation}})
    return data, layout


def _title(text: str, subtitle: str) -> dict:
    return {"text": text, "subtitle": {"text": subtitle}}


def norms_figure(point: rv.WhSweep, tokens: Sequence[str] | None = None, *, present: bool = False,
                 title: str | None = None) -> go.Figure:
    """‖dh_T/dh_t‖, ‖∂L/∂h_t‖ (and the SimpleRNN bound) against steps back for one w_h (row 0 of point)."""
    w = float(point.w_h[0])
    series = [Series(JAC, point.log10_jac[0], theme.SERIES[0], key="jac", width=2.5),
              Series(LOSS, point.log10_loss_grad[0], theme.SERIES[1], key="loss")]
    if point.log10_bound is not None:
        series.append(Series(BOUND, point.log10_bound[0], GREY, "dash", key="bound"))
    data, layout = _log_lines(series, point.steps_back, step_names(tokens, point.T), present,
                              overflow_step=int(point.overflow_step[0]))
    act = f" ({point.activation})" if point.cell == "SimpleRNN" else ""
    layout["title"] = _title(title or f"Gradient vs steps back, w<sub>h</sub> = {w:.2f}",
                             f"{point.cell}{act}, T = {point.T} words")
    return new_figure(data, layout, present)


def compare_figure(points: Mapping[str, rv.WhSweep], tokens: Sequence[str] | None = None, *,
                   present: bool = False) -> go.Figure:
    """‖dh_T/dh_t‖ of each cell at the same w_h on the same input, plus the LSTM's forget-gate product."""
    if not points:
        raise ValueError("compare_figure needs at least one sweep")
    series = []
    for kind, p in points.items():
        act = f" ({p.activation})" if kind == "SimpleRNN" else ""
        series.append(Series(f"{kind}{act}", p.log10_jac[0], CELL_COLOURS.get(kind, GREY), key=kind))
        if p.log10_forget is not None:
            series.append(Series(FORGET, p.log10_forget[0], CELL_COLOURS["LSTM"], "dot", key="forget"))
    some = next(iter(points.values()))
    data, layout = _log_lines(series, some.steps_back, step_names(tokens, some.T), present)
    layout["title"] = _title(f"Three cells, same words, same w<sub>h</sub> = {float(some.w_h[0]):.2f}",
                             "dotted: the LSTM's cell path, a product of forget gates only")
    layout["yaxis"]["title"] = {"text": f"{JAC} (log scale)"}
    return new_figure(data, layout, present)


def phase_clamp(sweep: rv.WhSweep) -> float:
    """The colour range ±c of the phase diagram: the largest finite |log10|, between 5 and 60."""
    v = sweep.log10_jac[np.isfinite(sweep.log10_jac)]
    c = float(np.max(np.abs(v))) if v.size else 5.0
    return float(min(max(np.ceil(c / 5) * 5, 5.0), 60.0))


PHASE_KEY = "blue vanishing · white stable · red exploding"  # the diverging scale, white at ‖·‖ = 1
PHASE_KEY_LINES = "red: exploding<br>white: stable<br>blue: vanishing"  # the same, top to bottom of the bar
CUT_KEY = "× = exactly 0 (the chain is cut)"


def cut_markers(sweep: rv.WhSweep, present: bool = False, axes: tuple[str, str] = ("x", "y")) -> dict | None:
    """An × on every phase-diagram cell where ‖dh_T/dh_t‖ is exactly 0 (columns in steps-back order), so a
    cut chain never looks like a colour of the scale; None when there is none."""
    L = sweep.log10_jac[:, ::-1]
    k, j = np.nonzero(np.isneginf(L))  # (w_h row, steps back) of each exact zero
    if k.size == 0:
        return None
    s = theme.sizes(present)
    return {"type": "scatter", "mode": "markers", "meta": "phase-cut", "xaxis": axes[0], "yaxis": axes[1],
            "x": j.astype(np.float32), "y": sweep.w_h[k].astype(np.float32), "showlegend": False,
            "marker": {"symbol": "x-thin", "size": max(6, s.marker - 2), "color": "#000000",
                       "line": {"width": 1.5, "color": "#000000"}},
            "hovertemplate": f"w<sub>h</sub> = %{{y:.2f}}, %{{x}} steps back<br>{JAC} = 0 exactly (the chain "
                             "is cut)<extra></extra>"}


@dataclass(frozen=True, eq=False)
class PhaseTraces:
    """The heatmap traces of a sweep (independent of the current w_h, so a page can cache them)."""

    data: tuple[dict, ...]
    clamp: float


def phase_traces(sweep: rv.WhSweep, present: bool = False) -> PhaseTraces:
    """Heatmap of log10 ‖dh_T/dh_t‖ (columns in steps-back order), plus grey cells for exact zeros and
    dark red cells for overflow, each with its own hover."""
    c = phase_clamp(sweep)
    L = sweep.log10_jac[:, ::-1]
    ok = np.isfinite(L) & (L <= rv.LOG10_MAX)
    x, y = np.arange(sweep.T), sweep.w_h
    vals, texts = log_ticks(-c, c, max_ticks=6)
    texts[0], texts[-1] = "≤" + texts[0], "≥" + texts[-1]
    hover = "w<sub>h</sub> = %{y:.2f}, %{x} steps back<br>" + JAC + " = 10<sup>%{z:.1f}</sup>"
    data = [{
        "type": "heatmap", "x": x, "y": y, "meta": "phase",
        "z": np.where(ok, np.clip(L, -c, c), np.nan).astype(np.float32),
        "customdata": np.where(ok, L, np.nan).astype(np.float32), "hovertemplate": hover + "<extra></extra>",
        "zmin": -c, "zmax": c, "zmid": 0, "colorscale": get_colorscale(theme.STATE_SCALE),  # white at 0
        "colorbar": {"title": {"text": f"{JAC}<br>(log scale)", "side": "top"}, "tickvals": vals,
                     "ticktext": texts, "thickness": 20 if present else 14, "len": 0.9}}]
    for mask, colour, label in ((np.isneginf(L), "#9a9a9a", "0 exactly (the chain is cut)"),
                                (~np.isneginf(L) & ~ok, "#67000d", "overflow (> 1.8e308)")):
        if mask.any():
            data.append({
                "type": "heatmap", "x": x, "y": y, "z": np.where(mask, 1.0, np.nan).astype(np.float32),
                "colorscale": [[0, colour], [1, colour]], "showscale": False, "meta": f"phase-{colour}",
                "hovertemplate": f"w<sub>h</sub> = %{{y:.2f}}, %{{x}} steps back<br>{JAC}: {label}"
                                 "<extra></extra>"})
    cut = cut_markers(sweep, present)
    if cut is not None:
        data.append(cut)
    return PhaseTraces(data=tuple(data), clamp=c)


def phase_figure(sweep: rv.WhSweep, w_h: float, *, present: bool = False,
                 traces: PhaseTraces | None = None) -> go.Figure:
    """Heatmap of log10 ‖dh_T/dh_t‖ over (w_h grid × steps back); the current w_h is marked."""
    s = theme.sizes(present)
    traces = traces or phase_traces(sweep, present)
    xr = float(sweep.T - 1)
    line = {"type": "line", "xref": "paper", "x0": 0, "x1": 1}
    shapes = [{**line, "y0": 1.0, "y1": 1.0, "line": {"color": GREY, "dash": "dot", "width": 1.5}},
              {**line, "y0": w_h, "y1": w_h, "line": {"color": "#000000", "width": s.line + 1}}]
    annotations = [{"x": xr, "y": w_h, "xanchor": "right", "yanchor": "bottom", "showarrow": False,
                    "text": f"<b>your w<sub>h</sub> = {w_h:.2f}</b>", "font": {"size": s.annotation},
                    "bgcolor": "rgba(255,255,255,0.85)"}]
    if sweep.overflow.any():
        w_over = float(sweep.w_h[np.argmax(sweep.overflow)])
        annotations.append({"x": 0, "y": w_over, "xanchor": "left", "yanchor": "bottom", "showarrow": False,
                            "text": f"overflow (> 1.8e308) for w<sub>h</sub> ≥ {w_over:.2f}",
                            "font": {"size": s.annotation}, "bgcolor": "rgba(255,255,255,0.85)"})
    if np.isneginf(sweep.log10_jac).any():
        annotations.append({"x": 0, "xref": "paper", "y": -0.2, "yref": "paper", "xanchor": "left",
                            "yanchor": "top", "showarrow": False, "font": {"size": s.annotation},
                            "text": CUT_KEY})
    act = f" ({sweep.activation})" if sweep.cell == "SimpleRNN" else ""
    cut = " · × exactly 0 (cut)" if np.isneginf(sweep.log10_jac).any() else ""
    layout = {
        "title": _title(f"Phase diagram: {JAC} for every w<sub>h</sub>",
                        f"{sweep.cell}{act}: {PHASE_KEY}{cut}"),
        "xaxis": {"title": {"text": "steps back from the last word (T − t)"}, "nticks": 10},
        "yaxis": {"title": {"text": f"w<sub>h</sub> ({sweep.w_h.size} values from {sweep.w_h[0]:g} to "
                                    f"{sweep.w_h[-1]:g})"}},
        "shapes": shapes, "annotations": annotations}
    return new_figure([dict(d) for d in traces.data], layout, present)


# --------------------------------------------------------------------------- the w_h slider in the browser

LAB_META = "rnnviz-lab"  # layout.meta: how the page's keyboard bridge finds the chart
REGIME_COLOURS = {"vanishing": theme.SERIES[0], "stable": theme.SERIES[2], "exploding": theme.SERIES[1],
                  "cut": GREY}
ZERO_COLOUR, OVERFLOW_COLOUR = "#9a9a9a", "#67000d"  # phase cells: exactly 0 / past float range


@dataclass(frozen=True)
class WhRow:
    """One w_h of the slider: the sweep and row that hold its exact numbers, and its regime."""

    w_h: float
    sweep: rv.WhSweep
    row: int
    regime: Regime


def wh_rows(grid: rv.WhSweep, exact: rv.WhSweep | None = None) -> list[WhRow]:
    """Every w_h the slider offers, ascending: the grid's rows and, when it is off the grid, the exact
    value a student typed (its own sweep, K = 1)."""
    rows = [WhRow(float(w), grid, k, regime_of(grid, k)) for k, w in enumerate(grid.w_h)]
    if exact is not None and not np.isclose(grid.w_h, exact.w_h[0], rtol=0, atol=1e-12).any():
        rows.append(WhRow(float(exact.w_h[0]), exact, 0, regime_of(exact, 0)))
    return sorted(rows, key=lambda r: r.w_h)


def frame_name(w_h: float) -> str:
    """The frame (and slider step) of a w_h: its shortest exact text, "1.35"."""
    text = repr(round(float(w_h), 10))
    return text[:-2] if text.endswith(".0") else text


def headline(r: WhRow) -> str:
    """The regime badge as Plotly text: w_h, the regime in its colour, the numbers that decide it."""
    colour = REGIME_COLOURS[r.regime.name]
    return (f"<b>w<sub>h</sub> = {r.w_h:.2f}</b>   <span style='color:{colour}'><b>{r.regime.name.upper()}"
            f"</b></span>   {html_escape(r.regime.text)}")


@dataclass(frozen=True)
class _LabGeometry:
    """Where the two plots, the headline band and the slider sit (paper fractions)."""

    present: bool

    @property
    def height(self) -> int:
        return 900 if self.present else 600

    @property
    def norms(self) -> tuple[list[float], list[float]]:
        """(x domain, y domain) of the gradient curves."""
        return ([0, 0.9], [0.6, 0.9]) if self.present else ([0, 0.44], [0.0, 0.88])

    @property
    def phase(self) -> tuple[list[float], list[float]]:
        return ([0, 0.86], [0.0, 0.42]) if self.present else ([0.55, 0.9], [0.0, 0.88])

    @property
    def head(self) -> list[float]:
        return [0.93, 1.0]

    @property
    def margin(self) -> dict:
        return {"l": 80, "r": 30, "t": 70 if self.present else 60, "b": 210 if self.present else 170}


def _curve_traces(r: WhRow, words: np.ndarray, present: bool, floor: float) -> list[dict]:
    """The gradient curves at one w_h (x = steps back, y = log10), exact zeros as x marks on the floor;
    `words` names each point (hover)."""
    s = theme.sizes(present)
    sw, k = r.sweep, r.row
    series = [Series(JAC, sw.log10_jac[k], theme.SERIES[0], key="jac", width=2.5),
              Series(LOSS, sw.log10_loss_grad[k], theme.SERIES[1], key="loss")]
    if sw.log10_bound is not None:
        series.append(Series(BOUND, sw.log10_bound[k], GREY, "dash", key="bound"))
    x = sw.steps_back.astype(np.float32)
    out = []
    for se in series:
        v = np.asarray(se.log10, dtype=float)
        where = "%{x} steps back (%{customdata})<br>"
        out.append({"type": "scatter", "mode": "lines", "name": se.name, "meta": se.key, "x": x,
                    "y": np.where(np.isfinite(v), v, np.nan).astype(np.float32), "customdata": words,
                    "hovertemplate": f"{where}{se.name} = 10<sup>%{{y:.2f}}</sup><extra></extra>",
                    "line": {"color": se.colour, "dash": se.dash,
                             "width": s.line + se.width + (0 if se.dash == "solid" else -0.5)}})
        zero = np.flatnonzero(np.isneginf(v))  # usually none: the arrays hold only the zeros
        out.append({"type": "scatter", "mode": "markers", "name": f"{se.name} = 0 exactly",
                    "meta": f"{se.key}-zero", "showlegend": False, "x": x[zero], "customdata": words[zero],
                    "y": np.full(zero.size, floor, dtype=np.float32),
                    "hovertemplate": f"{where}{se.name} = 0 exactly<extra></extra>",
                    "marker": {"symbol": "x-thin", "size": s.marker,
                               "line": {"width": 2, "color": se.colour}}})
    return out


@dataclass(frozen=True)
class _LogAxis:
    """The log axis of one w_h's curves (as norms_figure draws it): exact zeros on a floor row under the
    smallest value, overflow (> 1.8e308) in a band above float range."""

    floor: float
    bottom: float
    top: float
    hi: float
    tickvals: tuple[float, ...]
    ticktext: tuple[str, ...]

    def layout(self) -> dict:
        return {"range": [self.bottom, self.top], "tickvals": list(self.tickvals),
                "ticktext": list(self.ticktext)}


def _log_axis(r: WhRow) -> _LogAxis:
    sw, k = r.sweep, r.row
    rows = [sw.log10_jac[k], sw.log10_loss_grad[k]] + ([] if sw.log10_bound is None else [sw.log10_bound[k]])
    finite = [v[np.isfinite(v)] for v in rows]
    allv = np.concatenate([f for f in finite if f.size] or [np.zeros(1)])
    lo, hi = float(min(allv.min(), 0.0)), float(max(allv.max(), 0.0))
    pad = max(0.06 * (hi - lo), 0.5)
    has_zero = any(np.isneginf(v).any() for v in rows)
    floor = lo - 3 * pad if has_zero else lo - pad
    vals, texts = log_ticks(lo, hi)
    if has_zero:
        vals, texts = [floor, *vals], ["0 (exact)", *texts]
    return _LogAxis(floor, floor - pad * 0.5, hi + pad, hi, tuple(float(v) for v in vals), tuple(texts))


def _overflow_traces(r: WhRow, axis: _LogAxis, T: int, present: bool) -> list[dict]:
    """The band above float range and its label, when this w_h's curves reach it."""
    show = axis.hi > rv.LOG10_MAX
    y0, y1 = (rv.LOG10_MAX, axis.top) if show else (np.nan, np.nan)
    band = {"type": "scatter", "mode": "lines", "meta": "overflow", "showlegend": False, "hoverinfo": "skip",
            "x": np.array([-0.5, T - 0.5, T - 0.5, -0.5, -0.5]), "y": np.array([y0, y0, y1, y1, y0]),
            "fill": "toself", "fillcolor": OVERFLOW_FILL, "line": {"width": 0}}
    step = int(r.sweep.overflow_step[r.row])
    at = f" from t = {step + 1}" if step >= 0 else ""
    label = {"type": "scatter", "mode": "text", "meta": "overflow-label", "showlegend": False,
             "hoverinfo": "skip", "cliponaxis": False, "x": np.array([0.0]),
             "y": np.array([axis.top if show else np.nan]), "textposition": "bottom right",
             "text": [f"overflow: > 1.8e308 (float64 max){at}" if show else ""],
             "textfont": {"size": theme.sizes(present).annotation}}
    return [band, label]


def _marker_traces(r: WhRow, T: int, present: bool) -> list[dict]:
    """The "your w_h" line across the phase diagram and its label."""
    s = theme.sizes(present)
    line = {"type": "scatter", "mode": "lines", "meta": "your-wh", "xaxis": "x2", "yaxis": "y2",
            "showlegend": False,
            "hoverinfo": "skip", "x": np.array([-0.5, T - 0.5]), "y": np.array([r.w_h, r.w_h]),
            "line": {"color": "#000000", "width": s.line + 1}}
    label = {"type": "scatter", "mode": "text", "meta": "your-wh-label", "xaxis": "x2", "yaxis": "y2",
             "showlegend": False,
             "hoverinfo": "skip", "cliponaxis": False, "x": np.array([T - 1.0]), "y": np.array([r.w_h]),
             "text": [f"<b>your w<sub>h</sub> = {r.w_h:.2f}</b>"], "textposition": "top left",
             "textfont": {"size": s.annotation, "color": "#000000"}}
    return [line, label]


def _head_trace(r: WhRow, present: bool) -> dict:
    return {"type": "scatter", "mode": "text", "meta": "headline", "xaxis": "x3", "yaxis": "y3",
            "showlegend": False,
            "hoverinfo": "skip", "cliponaxis": False, "x": np.array([0.002]), "y": np.array([0.5]),
            "text": [headline(r)], "textposition": "middle right",
            "textfont": {"size": theme.sizes(present).font + 2, "color": "#111111"}}


def _rgb(colour: str) -> np.ndarray:
    return theme.colours(np.zeros(1), [[0, colour], [1, colour]], 0, 1)[0]


def _phase_static(grid: rv.WhSweep, present: bool) -> tuple[dict, dict]:
    """The phase diagram's picture (a layout image) and its invisible heatmap (hover, colour bar)."""
    c = phase_clamp(grid)
    L = grid.log10_jac[:, ::-1]  # columns in steps-back order
    ok = np.isfinite(L) & (L <= rv.LOG10_MAX)
    rgb = theme.colours(np.where(ok, L, 0.0)[::-1], theme.STATE_SCALE, -c, c)  # image rows: top = largest w_h
    rgb[np.isneginf(L)[::-1]] = _rgb(ZERO_COLOUR)
    rgb[(~np.isneginf(L) & ~ok)[::-1]] = _rgb(OVERFLOW_COLOUR)
    K, T = L.shape
    dw = float(grid.w_h[1] - grid.w_h[0]) if K > 1 else 1.0
    cell = max(2, min(12, 600 // K)), max(1, min(12, 1200 // T))
    image = {"source": theme.heat_image(rgb, cell, gap=0), "xref": "x2", "yref": "y2", "x": -0.5,
             "y": float(grid.w_h[-1]) + dw / 2, "sizex": T, "sizey": K * dw, "xanchor": "left",
             "yanchor": "top", "sizing": "stretch", "layer": "below"}
    vals, texts = log_ticks(-c, c, max_ticks=6)
    texts[0], texts[-1] = "≤" + texts[0], "≥" + texts[-1]
    hover = "w<sub>h</sub> = %{y:.2f}, %{x} steps back<br>" + JAC + " = 10<sup>%{z:.1f}</sup>"
    heat = {"type": "heatmap", "x": np.arange(T), "y": grid.w_h, "meta": "phase", "xaxis": "x2",
            "yaxis": "y2",
            "z": np.where(ok, L, np.nan).astype(np.float32), "opacity": 0,  # the picture shows it
            "hovertemplate": hover + "<extra></extra>",
            "zmin": -c, "zmax": c, "colorscale": get_colorscale(theme.STATE_SCALE),  # the picture's, exactly
            "colorbar": {"title": {"text": f"{JAC}<br>(log scale)", "side": "top"}, "tickvals": vals,
                         "ticktext": texts, "thickness": 20 if present else 14, "len": 0.5, "y": 0.0,
                         "yanchor": "bottom"}}
    return image, heat


def _lab_layout(g: _LabGeometry, grid: rv.WhSweep) -> dict:
    s = theme.sizes(g.present)
    T = grid.T
    (nx, ny), (px, py) = g.norms, g.phase
    hidden = {"visible": False, "fixedrange": True, "range": [0, 1]}
    act = f" ({grid.activation})" if grid.cell == "SimpleRNN" else ""
    notes = [
        {"text": f"<b>Gradient vs steps back</b> ({grid.cell}{act}, T = {T})", "x": nx[0], "y": ny[1],
         "xref": "paper", "yref": "paper", "xanchor": "left", "yanchor": "bottom", "showarrow": False,
         "font": {"size": s.font}},
        {"text": f"<b>Phase diagram</b>: {JAC} for every w<sub>h</sub>", "x": px[0], "y": py[1],
         "xref": "paper", "yref": "paper", "xanchor": "left", "yanchor": "bottom", "showarrow": False,
         "font": {"size": s.font}}]
    notes.append({"text": PHASE_KEY_LINES, "x": 1.02, "y": 0.0, "xref": "paper", "yref": "paper",
                  "xanchor": "left", "yanchor": "top", "align": "left", "showarrow": False,
                  "name": "phase-key", "font": {"size": s.annotation}})  # under the colour bar
    if np.isneginf(grid.log10_jac).any():
        notes.append({"text": CUT_KEY, "x": px[1], "y": py[0], "xref": "paper", "yref": "paper",
                      "xanchor": "right", "yanchor": "top", "yshift": -52, "showarrow": False,
                      "font": {"size": s.annotation}})
    shapes = [{"type": "line", "xref": "x2 domain", "x0": 0, "x1": 1, "yref": "y2", "y0": 1.0, "y1": 1.0,
               "line": {"color": GREY, "dash": "dot", "width": 1.5}}]
    return {
        "title": {"text": f"Gradient lab: w<sub>h</sub> from {grid.w_h[0]:g} to {grid.w_h[-1]:g}"},
        "meta": LAB_META, "height": g.height, "margin": g.margin, "hovermode": "closest",
        "xaxis": {"domain": nx, "anchor": "y", "range": [-0.5, T - 0.5], "nticks": 10,
                  "title": {"text": "steps back from the last word (T − t)"}},
        "yaxis": {"domain": ny, "anchor": "x", "zeroline": False, "title": {"text": "norm (log scale)"}},
        "xaxis2": {"domain": px, "anchor": "y2", "range": [-0.5, T - 0.5], "nticks": 10, "showgrid": False,
                   "title": {"text": "steps back from the last word (T − t)"}},
        "yaxis2": {"domain": py, "anchor": "x2",
                   "range": [float(grid.w_h[0]) - 0.025, float(grid.w_h[-1]) + 0.025],
                   "showgrid": False, "zeroline": False,
                   "title": {"text": f"w<sub>h</sub> ({grid.w_h.size} values from {grid.w_h[0]:g} to "
                                     f"{grid.w_h[-1]:g})"}},
        "xaxis3": {**hidden, "domain": [0, 1], "anchor": "y3"},
        "yaxis3": {**hidden, "domain": g.head, "anchor": "x3"},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.16 if not g.present else 0.52,
                   "xanchor": "left",
                   "x": 0.0, "font": {"size": s.font}},
        "shapes": shapes, "annotations": notes}


def _wh_slider(rows: list[WhRow], active: int, present: bool) -> dict:
    s = theme.sizes(present)
    anim = {"mode": "immediate", "frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0}}
    steps = [{"label": frame_name(r.w_h) if abs(r.w_h * 2 - round(r.w_h * 2)) < 1e-9 else "",
              "method": "animate", "args": [[frame_name(r.w_h)], anim]} for r in rows]
    return {"active": active, "steps": steps, "x": 0.1, "len": 0.9, "y": 0, "yanchor": "top",
            "pad": {"t": 130 if present else 95, "b": 0}, "currentvalue": {"visible": False},
            "transition": {"duration": 0}, "font": {"size": s.tick}, "name": "w_h"}


@dataclass(frozen=True, eq=False)
class WhFrames:
    """Every w_h of the slider as an animation frame of one figure (gradient curves, the regime headline,
    the "your w_h" line on the phase diagram), built once; `figure(w_h)` opens it at a w_h."""

    rows: tuple[WhRow, ...]
    static: tuple[dict, ...]
    steps: tuple[tuple[dict, ...], ...]
    frames: tuple[dict, ...]
    layout: dict

    @property
    def values(self) -> list[float]:
        return [r.w_h for r in self.rows]

    def index(self, w_h: float) -> int:
        """The frame of the w_h nearest to `w_h`."""
        return int(np.argmin(np.abs(np.array(self.values) - float(w_h))))

    def figure(self, w_h: float) -> go.Figure:
        k = self.index(w_h)
        layout = theme.merge(self.layout, self.frames[k]["layout"])
        layout["sliders"] = [{**layout["sliders"][0], "active": k}]
        return theme.figure(self.static + self.steps[k], layout, self.frames)


def wh_frames(grid: rv.WhSweep, exact: rv.WhSweep | None = None, tokens: Sequence[str] | None = None, *,
              present: bool = False) -> WhFrames:
    """The lab's figure with the whole w_h grid (and an exact typed value) as frames: moving Plotly's
    slider shows each w_h's exact curves, bound, regime and phase-diagram marker in the browser. The phase
    diagram and the axes never change between frames (fixed log range over every w_h)."""
    rows = wh_rows(grid, exact)
    g = _LabGeometry(present)
    words = np.array(step_names(tokens, grid.T), dtype=object)[::-1]  # point i is i steps back
    image, heat = _phase_static(grid, present)
    axes = [_log_axis(r) for r in rows]
    per = [[_head_trace(r, present), *_overflow_traces(r, ax, grid.T, present),
            *_curve_traces(r, words, present, ax.floor), *_marker_traces(r, grid.T, present)]
           for r, ax in zip(rows, axes, strict=True)]
    cut = cut_markers(grid, present, ("x2", "y2"))
    static = [heat] if cut is None else [heat, cut]
    frames = theme.animation_frames(per, [frame_name(r.w_h) for r in rows], len(static))
    for frame, ax in zip(frames, axes, strict=True):  # each w_h's own log range (its ticks move with it)
        frame["layout"] = {"yaxis": ax.layout()}
    layout = theme.merge(lab_layout(present), _lab_layout(g, grid))
    layout["images"] = [image]
    layout["sliders"] = [_wh_slider(rows, 0, present)]
    return WhFrames(rows=tuple(rows), static=tuple(static), steps=tuple(tuple(p) for p in per),
                    frames=tuple(theme.encode_arrays(frames)), layout=layout)
