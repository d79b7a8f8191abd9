"""Figure of a recurrent layer's weight matrices (pure: no streamlit)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import theme
from .equations import param_split, weight_columns, weights_drawn


def weight_heatmaps(cell: Any, words: Sequence[str] | None = None, present: bool = False) -> go.Figure:
    """W_xh (one row per input, i.e. per word with one-hot inputs) next to W_hh, on one diverging scale
    centred at 0 (blue < 0 < red), with the exact values on hover."""
    W_xh, W_hh = np.asarray(cell.W_xh), np.asarray(cell.W_hh)
    D, H = cell.input_size, cell.hidden_size
    rows_x = [str(w) for w in words] if words is not None and len(words) == D else [
        f"input {i + 1}" for i in range(D)]
    rows_h = [f"unit {i + 1}" for i in range(H)]
    cols = weight_columns(cell)
    vmax = float(max(np.max(np.abs(W_xh)), np.max(np.abs(W_hh)), 1e-12))
    titles = ("W<sub>xh</sub> (input → hidden)", "W<sub>hh</sub> (hidden → hidden)")
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.2, subplot_titles=titles)
    for k, (W, rows, name) in enumerate(((W_xh, rows_x, "W_xh"), (W_hh, rows_h, "W_hh")), start=1):
        fig.add_trace(go.Heatmap(
            z=W, x=cols, y=rows, zmin=-vmax, zmax=vmax, zmid=0.0, colorscale=theme.STATE_SCALE,
            showscale=k == 2, colorbar={"title": {"text": "weight"}},
            hovertemplate=f"{name}[%{{y}}, %{{x}}] = %{{z:.4f}}<extra></extra>",
        ), row=1, col=k)
        fig.update_yaxes(autorange="reversed", row=1, col=k)
    fig.update_xaxes(title_text="column (gate · unit)" if cell.gate_names else "hidden unit")
    fig.update_yaxes(title_text="word (one-hot input)" if words is not None else "input", row=1, col=1)
    fig.update_yaxes(title_text="h<sub>t−1</sub> unit", row=1, col=2)
    drawn, rest = weights_drawn(param_split(cell), html=True)  # counted from the cell's own arrays
    fig.update_layout(title={"text": f"{cell.kind}: {drawn}", "subtitle": {"text": rest}})
    height = 200 + 26 * max(min(D, 30), H)
    theme.apply(fig, present, height=min(height, 900))
    fig.update_annotations(font={"size": theme.sizes(present).font, "color": "#111111"})  # subplot titles
    fig.update_layout(margin={"t": 145 if present else 125})  # title, subtitle, then the subplot titles
    return fig
