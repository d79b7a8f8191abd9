"""Figures of the Train page (pure: data → plotly Figure, no streamlit): loss and accuracy per epoch, the
gradient norm with the clipping threshold, the weights at an epoch, hidden states before and after training,
the lecture's fixes side by side, and the long-dependency experiment.

A loss that became NaN (a diverged run) is never a blank chart: the finite epochs are drawn and the epoch
that diverged is marked and named. Every trace has a `meta` name, which the tests read back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import rnnviz as rv
from rnnviz import longdep

from . import theme
from .equations import weight_columns

LOSS_COLOUR, ACC_COLOUR, CLIP_COLOUR = theme.SERIES[0], theme.SERIES[2], theme.SERIES[1]
CELL_COLOURS = {"SimpleRNN": theme.SERIES[0], "LSTM": theme.SERIES[2], "GRU": theme.SERIES[3]}
DIVERGED = "#b00020"


def _finite_or_none(values: np.ndarray) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def _diverged_marker(fig: go.Figure, epoch: int, present: bool, text: str, row: int | None = None) -> None:
    kw = {"row": row, "col": 1} if row else {}
    fig.add_vline(x=epoch, line={"color": DIVERGED, "dash": "dash", "width": theme.sizes(present).line},
                  **kw)
    fig.add_annotation(x=epoch, y=1.0, yref="paper", text=text, showarrow=False, xanchor="right",
                       yanchor="top", font={"color": DIVERGED, "size": theme.sizes(present).annotation},
                       bgcolor="rgba(255,255,255,0.85)")


def loss_figure(loss: Sequence[float], accuracy: Sequence[float], *, epochs: int, initial_loss: float,
                initial_accuracy: float, diverged_at: int | None = None, present: bool = False,
                title: str = "Loss and accuracy per epoch") -> go.Figure:
    """Mean loss (left axis) and accuracy (right axis, %) for epochs 0 (before training) … n, drawn on an
    x axis fixed to 0 … `epochs`, so a run in progress fills it from the left."""
    loss = np.concatenate([[initial_loss], np.asarray(loss, dtype=float)])
    acc = np.concatenate([[initial_accuracy], np.asarray(accuracy, dtype=float)]) * 100
    x = np.arange(loss.size)
    s = theme.sizes(present)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=x, y=_finite_or_none(loss), name="loss L (mean binary cross-entropy)",
                             meta="loss", mode="lines", line={"color": LOSS_COLOUR, "width": s.line},
                             hovertemplate="epoch %{x}: loss %{y:.4f}<extra></extra>"), secondary_y=False)
    fig.add_trace(go.Scatter(x=x, y=_finite_or_none(acc), name="accuracy (%)", meta="accuracy",
                             mode="lines", line={"color": ACC_COLOUR, "width": s.line, "dash": "dot"},
                             hovertemplate="epoch %{x}: accuracy %{y:.0f}%<extra></extra>"), secondary_y=True)
    finite = loss[np.isfinite(loss)]
    top = float(max(finite.max() * 1.08, 0.1)) if finite.size else 1.0
    fig.update_yaxes(title_text="loss", range=[0, top], secondary_y=False)
    fig.update_yaxes(title_text="accuracy (%)", range=[0, 105], tickvals=[0, 25, 50, 75, 100],
                     secondary_y=True, showgrid=False)
    fig.update_xaxes(title_text="epoch (0 = before training)", range=[0, max(epochs, 1)])
    fig.update_layout(title={"text": title}, legend={"orientation": "h", "y": -0.25, "x": 0},
                      uirevision="loss")
    theme.apply(fig, present, height=360)
    if diverged_at is not None:
        _diverged_marker(fig, diverged_at, present, f"diverged at epoch {diverged_at}: loss NaN ")
    return fig


def grad_norm_figure(grad_norm: Sequence[float], clipped: Sequence[bool], clip: float, *,
                     diverged_at: int | None = None, present: bool = False) -> go.Figure:
    """The largest global gradient norm ‖∂L/∂θ‖ of each epoch (before clipping), on a log axis, with the
    clipping threshold drawn: points above the line were scaled down to it."""
    g = np.asarray(grad_norm, dtype=float)
    was = np.asarray(clipped, dtype=bool)
    x = np.arange(1, g.size + 1)
    s = theme.sizes(present)
    ok = np.isfinite(g) & (g > 0)
    colours = [CLIP_COLOUR if c else LOSS_COLOUR for c in was]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=x, y=np.where(ok, g, np.nan), meta="grad_norm", name="‖∂L/∂θ‖ before clipping",
        mode="lines+markers", line={"color": "#888888", "width": max(s.line / 2, 1)},
        marker={"color": colours, "size": s.marker * 0.7},
        hovertemplate="epoch %{x}: ‖∂L/∂θ‖ = %{y:.3g}<extra></extra>"))
    if clip > 0:
        fig.add_hline(y=clip, line={"color": CLIP_COLOUR, "dash": "dash", "width": s.line})
        fig.add_annotation(x=1, xref="paper", y=np.log10(clip), text=f"clip threshold {clip:g}",
                           showarrow=False, xanchor="right", yanchor="bottom",
                           font={"color": CLIP_COLOUR, "size": s.annotation})
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", meta="clipped_legend",
                                 marker={"color": CLIP_COLOUR, "size": s.marker},
                                 name="clipped to the threshold this epoch"))
    title = "Gradient norm ‖∂L/∂θ‖ per epoch" + (" and the clipping threshold" if clip > 0 else "")
    fig.update_yaxes(type="log", title_text="‖∂L/∂θ‖ (log scale)")
    fig.update_xaxes(title_text="epoch", range=[0.5, max(g.size, 1) + 0.5])
    fig.update_layout(title={"text": title}, legend={"orientation": "h", "y": -0.25, "x": 0})
    theme.apply(fig, present, height=340)
    if diverged_at is not None:
        _diverged_marker(fig, diverged_at, present, f"epoch {diverged_at}: ‖∂L/∂θ‖ = ∞ (overflow) ")
    return fig


def weights_figure(params: Mapping[str, np.ndarray], cell: rv.Cell, words: Sequence[str], epoch: int,
                   zmax: float, present: bool = False) -> go.Figure:
    """W_xh, W_hh and w_o at one epoch on one colour scale ±zmax (the same for every epoch of the run, so
    the colours move as the weights do)."""
    W_xh, W_hh = np.asarray(params["W_xh"]), np.asarray(params["W_hh"])
    w_o = np.asarray(params["w_o"]).reshape(-1, 1)
    H = W_hh.shape[0]
    cols = weight_columns(cell)
    units = [f"unit {i + 1}" for i in range(H)]
    fig = make_subplots(rows=1, cols=3, column_widths=[0.45, 0.45, 0.1], horizontal_spacing=0.1,
                        subplot_titles=("W<sub>xh</sub> (word → hidden)", "W<sub>hh</sub> (hidden → hidden)",
                                        "w<sub>o</sub>"))
    for k, (W, rows, xs, name) in enumerate(((W_xh, list(words), cols, "W_xh"), (W_hh, units, cols, "W_hh"),
                                             (w_o, units, ["ŷ"], "w_o")), start=1):
        fig.add_trace(go.Heatmap(z=W, x=xs, y=rows, zmin=-zmax, zmax=zmax, zmid=0.0, meta=name,
                                 colorscale=theme.STATE_SCALE, showscale=k == 3,
                                 colorbar={"title": {"text": "weight"}},
                                 hovertemplate=f"{name}[%{{y}}, %{{x}}] = %{{z:.4f}}<extra></extra>"),
                      row=1, col=k)
        fig.update_yaxes(autorange="reversed", row=1, col=k)
    fig.update_layout(title={"text": f"The weights at epoch {epoch}"})
    theme.apply(fig, present, height=min(200 + 22 * max(min(len(words), 30), H), 820))
    fig.update_annotations(font={"size": theme.sizes(present).font, "color": "#111111"})
    return fig


def hidden_figure(before: rv.Trace, after: rv.Trace, tokens: Sequence[str], epochs: int,
                  present: bool = False) -> go.Figure:
    """One sentence's hidden states h_t (units × words) before training and after it, side by side."""
    x = [f"{t + 1}·{w}" for t, w in enumerate(tokens)]
    units = [f"unit {i + 1}" for i in range(before.H)]
    vmax = float(max(np.max(np.abs(before.h)), np.max(np.abs(after.h)), theme.STATE_RANGE[1]))
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.08,
                        subplot_titles=("before training (epoch 0)", f"after training (epoch {epochs})"))
    for k, (tr, name) in enumerate(((before, "before"), (after, "after")), start=1):
        fig.add_trace(go.Heatmap(z=tr.h.T, x=x, y=units, zmin=-vmax, zmax=vmax, zmid=0.0, meta=name,
                                 colorscale=theme.STATE_SCALE, showscale=k == 2,
                                 colorbar={"title": {"text": "h"}},
                                 hovertemplate="%{y}, %{x}: h = %{z:.3f}<extra></extra>"), row=1, col=k)
        fig.update_yaxes(autorange="reversed", row=1, col=k)
    fig.update_layout(title={"text": "One sentence's hidden states h<sub>t</sub> before and after training"})
    theme.apply(fig, present, height=260 + 24 * before.H)
    fig.update_annotations(font={"size": theme.sizes(present).font, "color": "#111111"})
    return fig


def fixes_figure(runs: Sequence[tuple[str, rv.History]], present: bool = False) -> go.Figure:
    """One small panel per named run: its loss per epoch on a shared log axis. A run that diverged ends in
    a ✗ at its last finite epoch, labelled with the epoch it diverged at."""
    s = theme.sizes(present)
    n = len(runs)
    fig = make_subplots(rows=1, cols=n, shared_yaxes=True, horizontal_spacing=0.035,
                        subplot_titles=[name for name, _ in runs])
    lo, hi = np.inf, 0.0
    span = max(max(h.epochs_run for _, h in runs), 1)
    ticks = [int(v) for v in np.linspace(0, span, 4).round()] if span >= 3 else None
    for k, (name, h) in enumerate(runs, start=1):
        loss = np.concatenate([[h.initial_loss], h.loss])
        x = np.arange(loss.size)
        colour = theme.SERIES[(k - 1) % len(theme.SERIES)]
        fig.add_trace(go.Scatter(x=x, y=_finite_or_none(loss), name=name, meta=f"fix{k - 1}", mode="lines",
                                 line={"color": colour, "width": s.line}, showlegend=False,
                                 hovertemplate=f"{name}<br>epoch %{{x}}: loss %{{y:.4f}}<extra></extra>"),
                      row=1, col=k)
        finite = loss[np.isfinite(loss) & (loss > 0)]
        if finite.size:
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
        if h.diverged_at is not None:
            last = int(np.flatnonzero(np.isfinite(loss))[-1])
            fig.add_trace(go.Scatter(x=[last], y=[loss[last]], mode="markers+text",
                                     meta=f"fix{k - 1}_diverged",
                                     marker={"symbol": "x", "size": s.marker * 1.6, "color": DIVERGED},
                                     text=[f"NaN at epoch {h.diverged_at}"], textposition="top right",
                                     cliponaxis=False,
                                     textfont={"color": DIVERGED, "size": s.annotation}, showlegend=False,
                                     hovertemplate=f"{name}: NaN from epoch {h.diverged_at}<extra></extra>"),
                          row=1, col=k)
        fig.update_xaxes(title_text="epoch", range=[0, span], tickvals=ticks, row=1, col=k)
    if np.isfinite(lo):
        fig.update_yaxes(type="log", range=[np.floor(np.log10(lo)), np.ceil(np.log10(hi)) + 0.3])
    fig.update_yaxes(title_text="loss (log scale)", row=1, col=1)
    fig.update_layout(title={"text": "The same network and data, one change at a time"})
    theme.apply(fig, present, height=340)
    fig.update_annotations(font={"size": theme.sizes(present).annotation, "color": "#111111"})
    return fig


def longdep_accuracy_figure(sweep: longdep.LongDepSweep, present: bool = False) -> go.Figure:
    """Test accuracy of each trained cell against the number k of distractors after the first word."""
    s = theme.sizes(present)
    fig = go.Figure()
    ks = list(sweep.ks)
    for i, kind in enumerate(sweep.kinds):
        fig.add_trace(go.Scatter(x=ks, y=sweep.accuracy[i] * 100, name=kind, meta=kind, mode="lines+markers",
                                 line={"color": CELL_COLOURS[kind], "width": s.line * (1.8 - 0.4 * i),
                                       "dash": ("solid", "solid", "dash")[i % 3]},
                                 marker={"size": s.marker * (1.5 - 0.25 * i),
                                         "symbol": ("circle", "square", "diamond")[i % 3]},
                                 hovertemplate=f"{kind}, k = %{{x}}: %{{y:.0f}}% right<extra></extra>"))
    fig.add_hline(y=50, line={"color": "#777777", "dash": "dot", "width": max(s.line / 2, 1)})
    fig.add_annotation(x=ks[-1], y=50, text="chance (50%)", showarrow=False, xanchor="right",
                       yanchor="top", font={"color": "#555555", "size": s.annotation})
    fig.update_yaxes(title_text="accuracy on new sentences (%)", range=[35, 103])
    fig.update_xaxes(title_text="k = words between the first word and the answer", tickvals=ks)
    fig.update_layout(title={"text": "Can the trained network still use the first word?"},
                      legend={"orientation": "h", "y": -0.25, "x": 0})
    theme.apply(fig, present, height=380)
    return fig


def flow_figure(flows: Sequence[longdep.GradientFlow], present: bool = False) -> go.Figure:
    """‖dL/dh_t‖ of each trained model on one sentence, per word, on a log axis (exact BPTT)."""
    s = theme.sizes(present)
    fig = go.Figure()
    tokens = flows[0].tokens
    x = [f"{t + 1}·{w}" for t, w in enumerate(tokens)]
    for f in flows:
        v = np.where(f.dl_dh > 0, f.dl_dh, np.nan)
        fig.add_trace(go.Scatter(x=x, y=v, name=f"{f.kind} (ŷ = {f.yhat:.2f})", meta=f.kind,
                                 mode="lines+markers", line={"color": CELL_COLOURS[f.kind], "width": s.line},
                                 marker={"size": s.marker * 0.7},
                                 hovertemplate=f"{f.kind}, %{{x}}: ‖dL/dh‖ = %{{y:.3g}}<extra></extra>"))
    fig.update_yaxes(type="log", title_text="‖∂L/∂h<sub>t</sub>‖ (log scale)")
    fig.update_xaxes(title_text="word t (the first word decides the label)", tickangle=-45)
    fig.update_layout(title={"text": "The gradient at every word, back to the first one"},
                      legend={"orientation": "h", "y": -0.45, "x": 0})
    theme.apply(fig, present, height=420)
    return fig


def trained_compare_figure(curves: Sequence, k: int, present: bool = False) -> go.Figure:
    """The Gradient lab's comparison on trained cells: ‖dh_T/dh_t‖ against steps back (log axis) for each
    trained cell on one sentence of its task, and the LSTM's cell path ∏ f dotted."""
    s = theme.sizes(present)
    fig = go.Figure()
    for c in curves:
        x = c.steps_back
        text = [f"t={t + 1} · {w}" for t, w in enumerate(c.tokens)]
        fig.add_trace(go.Scatter(x=x, y=10.0 ** c.log10_jac, name=f"{c.kind} (trained)", meta=c.kind,
                                 mode="lines", line={"color": CELL_COLOURS[c.kind], "width": s.line},
                                 text=text, hovertemplate="%{text}: ‖dh_T/dh_t‖ = %{y:.3g}<extra></extra>"))
        if c.log10_forget is not None:
            fig.add_trace(go.Scatter(x=x, y=10.0 ** c.log10_forget, name="LSTM ∏ f (cell path, trained)",
                                     meta="forget", mode="lines", text=text,
                                     line={"color": CELL_COLOURS["LSTM"], "width": s.line, "dash": "dot"},
                                     hovertemplate="%{text}: max ∏ f = %{y:.3g}<extra></extra>"))
    fig.update_yaxes(type="log", title_text="‖dh<sub>T</sub>/dh<sub>t</sub>‖ (log scale)")
    fig.update_xaxes(title_text="steps back from the last word (T − t)")
    title = f"Trained cells (long-dependency task, k = {k}), same words"
    fig.update_layout(title={"text": title},
                      legend={"orientation": "h", "y": -0.3, "x": 0})
    theme.apply(fig, present, height=420)
    return fig
