"""Figures of the gradient lab: gradient norms against steps back, the (w_h × steps back) phase diagram,
and SimpleRNN vs LSTM vs GRU on the same input.

Norms are plotted as log10 values on a linear axis labelled 10^k, so that 1e-400 and 1e+400 are points on
the chart, not NaN or inf: an exact 0 is drawn on a "0" floor row, and values past float range
(> 1.8e308) sit in a shaded band labelled "overflow".
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

import rnnviz as rv

from . import theme
from .lab import fmt_pow

JAC = "‖dh<sub>T</sub>/dh<sub>t</sub>‖"
LOSS = "‖∂L/∂h<sub>t</sub>‖"
BOUND = "bound (γ·w<sub>h</sub>)<sup>T−t</sup>"
FORGET = "LSTM ∏ f (cell path)"
GREY = "#555555"
OVERFLOW_FILL = "rgba(213, 94, 0, 0.12)"
CELL_COLOURS = {"SimpleRNN": theme.SERIES[0], "LSTM": theme.SERIES[2], "GRU": theme.SERIES[3]}


@functools.lru_cache(maxsize=4)
def _themed_layout_json(present: bool) -> str:
    """theme.apply's layout (fonts, template, margins, height) for the lab's figures, computed once: applying
    the template costs more than the rest of a figure, and the lab redraws three on every slider move."""
    fig = theme.apply(go.Figure(), present, height=500)
    fig.update_layout(margin={"b": 130 if present else 110, "t": 125 if present else 85})
    return json.dumps(fig.to_dict()["layout"])


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return out


def new_figure(data: list[dict], layout: dict, present: bool = False) -> go.Figure:
    """A themed figure from plain dicts, without plotly's per-property validation (the lab redraws on every
    slider move; the unit tests re-validate every figure)."""
    layout = _merge(json.loads(_themed_layout_json(present)), layout)
    return go.Figure({"data": data, "layout": layout}, _validate=False)


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
    hover = "w<sub>h</sub> = %{y:.2f}, %{x} steps back<br>" + JAC + " = 10<sup>%{customdata:.1f}</sup>"
    data = [{
        "type": "heatmap", "x": x, "y": y, "meta": "phase",
        "z": np.where(ok, np.clip(L, -c, c), np.nan).astype(np.float32),
        "customdata": np.where(ok, L, np.nan).astype(np.float32), "hovertemplate": hover + "<extra></extra>",
        "zmin": -c, "zmax": c, "zmid": 0, "colorscale": theme.STATE_SCALE,
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
                            "text": "grey = exactly 0 (the chain is cut)"})
    act = f" ({sweep.activation})" if sweep.cell == "SimpleRNN" else ""
    layout = {
        "title": _title(f"Phase diagram: {JAC} for every w<sub>h</sub>",
                        f"{sweep.cell}{act}: blue vanishing · white stable · red exploding"),
        "xaxis": {"title": {"text": "steps back from the last word (T − t)"}, "nticks": 10},
        "yaxis": {"title": {"text": f"w<sub>h</sub> ({sweep.w_h.size} values from {sweep.w_h[0]:g} to "
                                    f"{sweep.w_h[-1]:g})"}},
        "shapes": shapes, "annotations": annotations}
    return new_figure([dict(d) for d in traces.data], layout, present)
