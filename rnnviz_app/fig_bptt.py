"""Figures of backpropagation through time for the many-to-one example: each weight gradient as the sum of
its per-step terms δ_1 + … + δ_T, the unrolled chain with the norms of its factors, and the loss over
gradient-descent steps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import rnnviz as rv

from . import theme
from .lab import entry_sums, frobenius

SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
PARAM_LABELS = {"W_xh": "W<sub>xh</sub>", "W_hh": "W<sub>hh</sub>", "b_h": "b<sub>h</sub>",
                "b_xh": "b<sub>xh</sub>", "b_hh": "b<sub>hh</sub>"}


def sub(n: int) -> str:
    """An integer as unicode subscript digits: 12 → ₁₂."""
    return str(n).translate(SUBSCRIPT)


def contributions_figure(ex: rv.ManyToOne, tokens: Sequence[str], names: Sequence[str] = ("W_hh", "W_xh"), *,
                         present: bool = False) -> go.Figure:
    """One waterfall per parameter: the signed sum of the entries of each δ_t, then their total, which is
    the sum of the entries of ∂L/∂W (the bars add up exactly)."""
    s = theme.sizes(present)
    T = ex.trace.T
    if len(tokens) != T:
        raise ValueError(f"need {T} tokens for {T} time steps, got {len(tokens)}")
    fig = make_subplots(rows=1, cols=len(names), horizontal_spacing=0.08,
                        subplot_titles=[f"∂L/∂{PARAM_LABELS.get(n, n)} = Σ<sub>t</sub> δ<sub>t</sub>"
                                        for n in names])
    for k, name in enumerate(names, start=1):
        per = ex.grads.per_step[name]
        sums, norms = entry_sums(per), frobenius(per)
        total = float(np.sum(ex.grads.params[name]))
        xs = [f"δ{sub(t + 1)} · {tok}" for t, tok in enumerate(tokens)] + ["Σ = total"]
        hover = [f"δ{sub(t + 1)} (t={t + 1} · {tok}): sum of entries {sums[t]:+.4g}<br>‖δ{sub(t + 1)}‖ = "
                 f"{norms[t]:.4g}" for t, tok in enumerate(tokens)]
        hover.append(f"sum of the entries of ∂L/∂{name}: {total:+.4g}<br>‖∂L/∂{name}‖ = "
                     f"{float(np.linalg.norm(ex.grads.params[name])):.4g}")
        fig.add_trace(go.Waterfall(
            x=xs, y=[*sums.tolist(), total], measure=["relative"] * T + ["total"], name=name,
            text=[f"{v:+.3g}" if v else "0" for v in [*sums.tolist(), total]] if T <= 12 else None,
            textposition="outside",
            cliponaxis=False,
            hovertext=hover, hoverinfo="text", textfont={"size": s.tick},
            increasing={"marker": {"color": theme.POSITIVE}},
            decreasing={"marker": {"color": theme.NEGATIVE}},
            totals={"marker": {"color": "#444444"}}, connector={"line": {"color": "#999999", "width": 1}}),
            row=1, col=k)
        fig.update_yaxes(title_text="Σ entries of δ<sub>t</sub>" if k == 1 else None, row=1, col=k)
        fig.update_xaxes(tickangle=-45 if T > 4 else 0, row=1, col=k)
    fig.update_layout(
        title={"text": "Each weight gradient is a sum over time steps: δ₁ + δ₂ + … + δ<sub>T</sub>",
               "subtitle": {"text": "bar t: the sum of all entries of δ<sub>t</sub>. Sums add up, so the "
                                    "bars end at the grey total (norms don't: hover for ‖δ<sub>t</sub>‖)"}},
        showlegend=False)
    fig.update_annotations(font={"size": s.font}, yshift=8)  # the subplot titles
    if "W_hh" in names and not np.any(ex.trace.h0) and not np.any(ex.grads.per_step["W_hh"][0]):
        k = list(names).index("W_hh") + 1  # δ₁(W_hh) = h₀ᵀ·(∂L/∂ pre-activation₁): zero when h₀ is
        axis = "" if k == 1 else str(k)
        fig.add_annotation(x=f"δ{sub(1)} · {tokens[0]}", y=0, xref=f"x{axis}", yref=f"y{axis}", yanchor="top",
                           yshift=-24, text="δ₁ = 0<br>as h₀ = 0", showarrow=False,  # short: bars are narrow
                           font={"size": s.tick, "color": "#111111"}, name="delta1_zero")
    theme.apply(fig, present, height=430 + (40 if T > 4 else 0))
    fig.update_layout(margin={"t": 185 if present else 135})
    return fig


def chain_figure(ex: rv.ManyToOne, factor_norms: np.ndarray, tokens: Sequence[str], *, present: bool = False,
                 lstm: bool = False) -> go.Figure:
    """The unrolled chain h₀ → h₁ → … → h_T → ŷ → L; under each h_t its ‖∂L/∂h_t‖, on each link the
    norm of the factor ∂h_t/∂h_{t−1} that the gradient is multiplied by on its way back."""
    s = theme.sizes(present)
    T = ex.trace.T
    if len(tokens) != T or len(factor_norms) != T:
        raise ValueError(f"need {T} tokens and {T} factor norms, got {len(tokens)} and {len(factor_norms)}")
    dh = np.linalg.norm(ex.grads.dh, axis=1)
    small = T > 12
    fs = s.annotation - (3 if small else 0)
    xs = np.arange(T + 3)  # h_0 … h_T, ŷ, L
    labels = [f"h{sub(t)}" if not small or t in (0, T) else "" for t in range(T + 1)] + ["ŷ", "L"]
    colours = ["#9a9a9a"] + [theme.SERIES[0]] * T + [theme.SERIES[2], theme.SERIES[1]]
    hover = ["h₀: the initial state (no gradient is needed there)"]
    hover += [f"h{sub(t + 1)} (t={t + 1} · {tokens[t]})<br>‖∂L/∂h{sub(t + 1)}‖ = {dh[t]:.4g}"
              for t in range(T)]
    hover += [f"ŷ = σ(h<sub>T</sub>·w<sub>o</sub> + b<sub>o</sub>) = {ex.yhat:.4f}<br>∂L/∂ŷ = "
              f"{ex.head.dL_dyhat:.4g}", f"L = {ex.loss:.4f} (label y = {ex.y:g})"]
    fig = go.Figure(go.Scatter(
        x=xs, y=np.zeros(T + 3), mode="markers+text", text=labels, textposition="middle center",
        textfont={"size": fs, "color": "#ffffff"}, hovertext=hover, hoverinfo="text",
        marker={"size": (s.marker * 4.2) if not small else s.marker * 2.4, "color": colours,
                "line": {"width": 1, "color": "#333333"}}))
    ann = []
    arrow = {"showarrow": True, "arrowhead": 3, "arrowsize": 1.1, "arrowwidth": 2,
             "arrowcolor": theme.HIGHLIGHT, "axref": "x", "ayref": "y", "xref": "x", "yref": "y"}
    for t in range(1, T + 1):  # gradient goes from h_t back to h_{t-1}
        stagger = 0.2 if small and t % 2 == 0 else 0.0  # long sentences: alternate two rows of labels
        ann.append({**arrow, "x": t - 0.72, "y": 0.22, "ax": t - 0.28, "ay": 0.22, "text": ""})
        ann.append({"x": t - 0.5, "y": 0.42 + stagger, "text": f"{factor_norms[t - 1]:.2g}",
                    "showarrow": False, "font": {"size": fs, "color": "#8a5a00"}})
        ann.append({"x": t, "y": -0.42 - stagger, "text": f"{dh[t - 1]:.2g}", "showarrow": False,
                    "font": {"size": fs, "color": theme.SERIES[0]}})
        ann.append({"x": t, "y": 0.75 if not small else 0.85, "text": tokens[t - 1], "showarrow": False,
                    "textangle": -40 if small else 0, "font": {"size": fs, "color": "#333333"},
                    "yanchor": "bottom" if small else "middle"})
    ann.append({**arrow, "x": T + 0.28, "y": 0.22, "ax": T + 0.72, "ay": 0.22, "text": ""})
    ann.append({"x": T + 0.5, "y": 0.42, "text": "w<sub>o</sub>", "showarrow": False, "font": {"size": fs}})
    ann.append({**arrow, "x": T + 1.28, "y": 0.22, "ax": T + 1.72, "ay": 0.22, "text": ""})
    for x, y, text in ((T + 1, -0.42, f"ŷ = {ex.yhat:.3f}"), (T + 2, -0.62 if small else -0.42,
                                                             f"L = {ex.loss:.3f}")):
        ann.append({"x": x, "y": y, "text": text, "showarrow": False, "font": {"size": fs}})
    state = "[h<sub>t</sub>; c<sub>t</sub>]" if lstm else "h<sub>t</sub>"
    prev = "[h<sub>t−1</sub>; c<sub>t−1</sub>]" if lstm else "h<sub>t−1</sub>"
    for y, text, colour in ((0.42, f"‖∂{state}/∂{prev}‖ →", "#8a5a00"),
                            (-0.42, "‖∂L/∂h<sub>t</sub>‖ →", theme.SERIES[0])):
        ann.append({"x": -0.45, "y": y, "text": text, "showarrow": False, "xanchor": "right",
                    "font": {"size": fs, "color": colour}})
    fig.update_layout(
        annotations=ann, showlegend=False,
        title={"text": "The chain rule, unrolled: the gradient walks back from L through every h<sub>t</sub>",
               "subtitle": {"text": "each step back multiplies by ∂h<sub>t</sub>/∂h<sub>t−1</sub> (norm in "
                                    "orange); blue: ‖∂L/∂h<sub>t</sub>‖ arriving at h<sub>t</sub>"}},
        xaxis={"visible": False, "range": [-2.4 if not small else -3.6, T + 2.6]},
        yaxis={"visible": False, "range": [-0.8 if small else -0.6, 1.45 if small else 1.0]})
    theme.apply(fig, present, height=280 if not small else 360)
    fig.update_layout(margin={"b": 10})
    return fig


def descent_figure(examples: Sequence[rv.ManyToOne], *, present: bool = False) -> go.Figure:
    """Loss and prediction ŷ after each gradient-descent step (step 0 = the seed-initialised weights)."""
    s = theme.sizes(present)
    n = np.arange(len(examples))
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=n, y=[e.loss for e in examples], name="loss L", mode="lines+markers",
                             line={"color": theme.SERIES[1], "width": s.line}, marker={"size": s.marker},
                             hovertemplate="step %{x}<br>L = %{y:.5f}<extra></extra>"), secondary_y=False)
    fig.add_trace(go.Scatter(x=n, y=[e.yhat for e in examples], name="prediction ŷ", mode="lines+markers",
                             line={"color": theme.SERIES[2], "width": s.line, "dash": "dash"},
                             marker={"size": s.marker},
                             hovertemplate="step %{x}<br>ŷ = %{y:.5f}<extra></extra>"),
                  secondary_y=True)
    fig.update_xaxes(title_text="gradient-descent steps taken", dtick=max(1, len(examples) // 10))
    fig.update_yaxes(title_text="loss L", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text="ŷ", secondary_y=True, range=[0, 1])
    fig.update_layout(title={"text": "w ← w − η·∂L/∂w: loss and prediction after each step"},
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0.0})
    return theme.apply(fig, present, height=340)
