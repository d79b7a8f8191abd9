"""Colours and type sizes shared by every figure; presentation mode scales them for a projector.

Colour scales are colour-blind-safe: a blue–white–red diverging scale (ColorBrewer RdBu, no red–green
pair) for signed states fixed to [-1, 1], and the perceptually uniform Viridis for gates in [0, 1].
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
from _plotly_utils.utils import to_typed_array_spec

STATE_SCALE = "RdBu_r"  # negative = blue, 0 = white, positive = red; fixed range [-1, 1]
STATE_RANGE = (-1.0, 1.0)
GATE_SCALE = "Viridis"  # 0 = dark purple, 1 = yellow; fixed range [0, 1]
GATE_RANGE = (0.0, 1.0)
ONE_HOT_SCALE = [[0.0, "#f4f4f4"], [1.0, "#1f5fbf"]]  # 0 = light grey, 1 = strong blue
PAD_COLOUR = "#b0b0b0"  # padding rows/steps
HIGHLIGHT = "#e69f00"  # Okabe–Ito orange: the current time step
POSITIVE = "#d55e00"  # Okabe–Ito vermillion (weights > 0)
NEGATIVE = "#0072b2"  # Okabe–Ito blue (weights < 0)
SERIES = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")


@dataclass(frozen=True)
class Sizes:
    font: int
    title: int
    tick: int
    line: float
    marker: int
    annotation: int


NORMAL = Sizes(font=14, title=18, tick=13, line=2.0, marker=8, annotation=13)
PRESENT = Sizes(font=20, title=26, tick=18, line=4.0, marker=13, annotation=19)


def sizes(present: bool) -> Sizes:
    return PRESENT if present else NORMAL


def apply(fig: go.Figure, present: bool = False, *, height: int | None = None) -> go.Figure:
    """Fonts, margins and a white background sized for the screen or (present=True) a projector."""
    s = sizes(present)
    fig.update_layout(
        font={"size": s.font, "family": "sans-serif", "color": "#111111"},
        title_font={"size": s.title},
        template="plotly_white",
        margin={"l": 70, "r": 30, "t": 70 if present else 60, "b": 60},
        hoverlabel={"font_size": s.font},
    )
    axis_text = {"color": "#222222"}  # darker than the template's grey: readable on a projector
    fig.update_xaxes(tickfont={"size": s.tick, **axis_text}, title_font={"size": s.font, **axis_text})
    fig.update_yaxes(tickfont={"size": s.tick, **axis_text}, title_font={"size": s.font, **axis_text})
    if height is not None:
        fig.update_layout(height=int(height * (1.25 if present else 1.0)))
    return fig


# Offline: Plotly's toolbar PNG export needs no network; MathJax is never loaded (LaTeX stays out of figures).
PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


# --------------------------------------------------------------------------- the figure kit


@functools.lru_cache(maxsize=16)
def _themed_layout_json(present: bool, height: int | None) -> str:
    """apply() on an empty figure, as JSON (an immutable cache: applying the template costs ~25 ms)."""
    return json.dumps(apply(go.Figure(), present, height=height).to_dict()["layout"])


def themed_layout(present: bool = False, height: int | None = None) -> dict:
    """A fresh layout dict with the shared theme (fonts, sizes, template) for the screen or a projector."""
    return json.loads(_themed_layout_json(present, height))


def merge(base: Mapping, over: Mapping) -> dict:
    """`base` updated by `over`, nested dicts merged key by key (neither argument is changed)."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(base[k], v) if isinstance(v, Mapping) and isinstance(base.get(k), Mapping) else v
    return out


def figure(data: Sequence[dict], layout: Mapping, frames: Sequence[dict] | None = None) -> go.Figure:
    """A figure from plain dicts without Plotly's per-property validation (5x faster for figures of many
    traces and frames; the unit tests validate every figure); with `frames`, a FramedFigure."""
    if frames:
        return FramedFigure(data, layout, frames)
    return go.Figure(data=list(data), layout=dict(layout), _validate=False)


def encode_arrays(obj: Any) -> Any:
    """`obj` with every NumPy array as Plotly's typed-array spec {"dtype", "bdata", "shape"} (a copy):
    what Plotly.js reads, ready to be written as JSON."""
    if isinstance(obj, np.ndarray):
        return to_typed_array_spec(obj)
    if isinstance(obj, Mapping):
        return {k: encode_arrays(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [encode_arrays(v) for v in obj]
    return obj


class FramedFigure(go.Figure):
    """A figure with animation frames kept as the plain dicts they were built as.

    plotly.py turns every trace of every frame into a trace object, even unvalidated (~1 s for 40 frames of
    20 traces), and deep-copies them all each time the figure is serialized, which Streamlit does on every
    rerun. Here `frames` stays as given (plain dicts; NumPy arrays are encoded once, on the first
    serialization, unless they already are) and the figure's dict form is computed once; `to_dict()` hands
    out a copy whose layout is fresh (frames and traces are shared and must be treated as read-only).
    """

    def __init__(self, data: Sequence[dict], layout: Mapping, frames: Sequence[dict]) -> None:
        super().__init__(data=list(data), layout=dict(layout), _validate=False)
        self._plain_frames = tuple(frames)
        self._plain_dict: dict | None = None

    @property
    def frames(self) -> tuple[dict, ...]:
        return self._plain_frames

    def to_dict(self) -> dict:
        if self._plain_dict is None:
            plain = super().to_dict()
            plain["frames"] = encode_arrays(list(self._plain_frames))
            self._plain_dict = plain
        return {**self._plain_dict, "layout": copy.deepcopy(self._plain_dict["layout"])}
