"""Colours and type sizes shared by every figure; presentation mode scales them for a projector.

Colour scales are colour-blind-safe: a blue–white–red diverging scale (ColorBrewer RdBu, no red–green
pair) for signed states fixed to [-1, 1], and the perceptually uniform Viridis for gates in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

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
