"""Figures and tables of the Encoding page (text → vocabulary → ids → one-hot → padded batch → embedding)
and of the home page's "why not an ANN" comparison. Pure: (core objects, present) → Plotly figure/DataFrame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import rnnviz as rv

from . import theme
from .equations import AnnVsRnn, ParamSplit, html_escape, param_split_rows, shorten, time_label

MAX_COLUMNS = 24  # vocabulary columns drawn in a heatmap; the rest are noted, not drawn
MAX_ONE_HOT_TEXT = 20  # one-hot vectors longer than this are described, not spelled out
MAX_BATCH_PANELS = 4  # sentences drawn side by side in the padded batch
EMB_RANGE = 0.05  # rv.embedding_matrix draws uniform values in [-0.05, 0.05]


def _word(vocab_tokens: Sequence[str], j: int) -> str:
    return f"{html_escape(shorten(vocab_tokens[j], 12))} ({j})"


# --------------------------------------------------------------------------- tables


def vocab_table(vocab: rv.Vocabulary) -> pd.DataFrame:
    """word, id, one-hot vector (spelled out up to MAX_ONE_HOT_TEXT words, described beyond)."""
    V = len(vocab)
    rows = []
    for j, word in enumerate(vocab.tokens):
        if V <= MAX_ONE_HOT_TEXT:
            vec = "[" + " ".join("1" if k == j else "0" for k in range(V)) + "]"
        else:
            vec = f"a 1 at position {j}, {V - 1} zeros"
        rows.append((word, j, vec))
    return pd.DataFrame(rows, columns=["word", "id", f"one-hot vector (length V = {V})"])


def encoded_table(corpus) -> pd.DataFrame:
    """Each sentence as integer ids (the seeds' "integer encoding"), with its length T and label."""
    rows = []
    for i, text in enumerate(corpus.sentences):
        label = corpus.labels[i]
        rows.append((i + 1, shorten(text, 60), " ".join(corpus.tokens[i]), str(corpus.ids(i)),
                     len(corpus.tokens[i]), "–" if label is None else str(int(label))))
    return pd.DataFrame(rows, columns=["#", "sentence", "tokens", "ids", "T", "label"])


# --------------------------------------------------------------------------- which columns to draw


def shown_columns(V: int, must: Sequence[int], cap: int = MAX_COLUMNS) -> list[int]:
    """The vocabulary ids to draw: all of them up to `cap`; beyond, the ids in `must` and the first others."""
    if cap >= V:
        return list(range(V))
    keep = sorted(set(int(i) for i in must))[:cap]
    rest = [j for j in range(V) if j not in set(keep)][: cap - len(keep)]
    return sorted(keep + rest)


def columns_note(V: int, shown: Sequence[int]) -> str | None:
    if len(shown) >= V:
        return None
    return (f"The vocabulary has {V} words; {len(shown)} columns are drawn (every word of the sentences "
            f"shown, then the first others). The {V - len(shown)} columns not drawn are 0 in every row.")


# --------------------------------------------------------------------------- one sentence's one-hot matrix


def one_hot_figure(x: np.ndarray, tokens: Sequence[str], ids: Sequence[int], vocab: rv.Vocabulary,
                   present: bool = False, step: int | None = None) -> go.Figure:
    """The sentence as its (T × V) one-hot matrix: rows = time steps (tokens), columns = vocabulary words."""
    T, V = x.shape
    cols = shown_columns(V, ids)
    z = x[:, cols]
    ylab = [time_label(t + 1, tok) for t, tok in enumerate(tokens)]
    xlab = [_word(vocab.tokens, j) for j in cols]
    text = np.where(z > 0, "1", "0") if len(cols) <= MAX_ONE_HOT_TEXT and T <= 24 else None
    fig = go.Figure(go.Heatmap(
        z=z, x=xlab, y=ylab, colorscale=theme.ONE_HOT_SCALE, zmin=0, zmax=1, xgap=2, ygap=2,
        text=text, texttemplate="%{text}" if text is not None else None, showscale=False,
        hovertemplate="%{y}<br>column %{x}<br>x<sub>t</sub>[j] = %{z:.0f}<extra></extra>"))
    if step is not None and 1 <= step <= T:
        fig.add_shape(type="rect", x0=-0.5, x1=len(cols) - 0.5, y0=step - 1.5, y1=step - 0.5,
                      line={"color": theme.HIGHLIGHT, "width": 3})
    fig.update_layout(title=f"One-hot matrix x of this sentence: T × V = {T} × {V} (one 1 per row; columns = "
                            "words, with their id)")
    fig.update_xaxes(side="top", tickangle=-45 if len(cols) > 8 else 0,
                     title="vocabulary word (id): the column where the 1 goes")
    fig.update_yaxes(title="time step · token", autorange="reversed")
    theme.apply(fig, present, height=min(900, 190 + 36 * T))
    fig.update_layout(margin={"t": 160 if len(cols) > 8 else 130})
    return fig


# --------------------------------------------------------------------------- the padded batch


@dataclass(frozen=True, eq=False)
class PaddedBatch:
    """Rows of the Keras-shaped batch (B, T_max, V) for some sentences, exactly as rv.one_hot_batch pads."""

    shape: tuple[int, int, int]  # the whole corpus' batch shape
    rows: tuple[int, ...]  # 0-based sentence indices drawn
    batch: np.ndarray  # (len(rows), T_max, V)
    mask: np.ndarray  # (len(rows), T_max) True on real words
    padding: str


def batch_rows(n: int, selected: int, k: int = MAX_BATCH_PANELS) -> tuple[int, ...]:
    """Up to k consecutive sentence indices that include `selected` (0-based)."""
    start = min(max(selected - k // 2, 0), max(n - k, 0))
    return tuple(range(start, min(start + k, n)))


def padded_batch(corpus, padding: str, rows: Sequence[int]) -> PaddedBatch:
    """The chosen rows of the corpus' padded one-hot batch, computed by the core (rv.one_hot_batch)."""
    texts = [" ".join(t) for t in corpus.tokens]
    lengths = [len(t) for t in corpus.tokens]
    T_max, V = corpus.t_max, len(corpus.vocab)
    rows = tuple(rows)
    shown = [texts[i] for i in rows]
    longest = int(np.argmax(lengths))
    if longest not in rows:
        shown.append(texts[longest])  # pads to the corpus' T_max, as the full batch would; dropped below
    batch = rv.one_hot_batch(shown, corpus.vocab, padding=padding)[: len(rows)]
    mask = rv.padding_mask([lengths[i] for i in rows], T_max, padding)
    return PaddedBatch((len(texts), T_max, V), rows, batch, mask, padding)


def padded_batch_figure(pb: PaddedBatch, corpus, selected: int, present: bool = False) -> go.Figure:
    """Side-by-side (T_max × V) panels of the batch; zero rows of padding shaded grey and labelled."""
    T_max, V = pb.shape[1:]
    ids_shown = [j for i in pb.rows for j in corpus.ids(i)]
    cols = shown_columns(V, ids_shown)
    titles = []
    for i in pb.rows:
        label = corpus.labels[i]
        lab = "" if label is None else f", label {int(label)}"
        mark = " ◀ selected" if i == selected else ""
        titles.append(f"sentence {i + 1} (T={len(corpus.tokens[i])}{lab}){mark}")
    fig = make_subplots(rows=1, cols=len(pb.rows), subplot_titles=titles, shared_yaxes=True,
                        horizontal_spacing=0.03)
    xlab = [_word(corpus.vocab.tokens, j) for j in cols]
    ylab = [f"t={t + 1}" for t in range(T_max)]
    small = len(cols) <= 12 and T_max <= 24
    for p, i in enumerate(pb.rows):
        z = pb.batch[p][:, cols]
        words = []
        k = 0
        for t in range(T_max):
            if pb.mask[p, t]:
                words.append(html_escape(corpus.tokens[i][k]))
                k += 1
            else:
                words.append("padding (all zeros)")
        custom = np.array([[w] * len(cols) for w in words])
        fig.add_trace(go.Heatmap(
            z=z, x=xlab, y=ylab, colorscale=theme.ONE_HOT_SCALE, zmin=0, zmax=1, xgap=1, ygap=1,
            showscale=False, customdata=custom,
            text=np.where(z > 0, "1", "") if small else None, texttemplate="%{text}" if small else None,
            hovertemplate=(f"sentence {i + 1}, %{{y}}: %{{customdata}}<br>column %{{x}}: %{{z:.0f}}"
                           "<extra></extra>")), row=1, col=p + 1)
        xref = "x" if p == 0 else f"x{p + 1}"
        yref = "y" if p == 0 else f"y{p + 1}"
        for t in np.flatnonzero(~pb.mask[p]):
            fig.add_shape(type="rect", xref=xref, yref=yref, x0=-0.5, x1=len(cols) - 0.5, y0=t - 0.5,
                          y1=t + 0.5, fillcolor=theme.PAD_COLOUR, opacity=0.55, line={"width": 0},
                          layer="above")
            fig.add_annotation(xref=xref, yref=yref, x=(len(cols) - 1) / 2, y=t, text="pad · 0 0 0",
                               showarrow=False, font={"color": "#222222"})
        if i == selected:
            fig.add_shape(type="rect", xref=f"{xref} domain", yref=f"{yref} domain", x0=-0.01, x1=1.01,
                          y0=-0.01, y1=1.01, line={"color": theme.HIGHLIGHT, "width": 3})
    fig.update_yaxes(autorange="reversed")
    fig.update_yaxes(title="time step", row=1, col=1)
    fig.update_xaxes(tickangle=-60 if len(cols) * len(pb.rows) * 75 > 800 else 0)
    fig.update_annotations(yshift=6, selector={"xref": "paper"})
    fig.update_layout(title=(f"Padded batch, Keras shape (batch, timesteps, features) = {pb.shape} · "
                             f"padding='{pb.padding}'"))
    theme.apply(fig, present, height=min(900, 220 + 30 * T_max))
    return fig


# --------------------------------------------------------------------------- dense embedding


def embedded(E: np.ndarray, ids: Sequence[int]) -> np.ndarray:
    """x_t = E[id_t]: the sentence as (T × d) dense rows (a row lookup, no multiplication)."""
    return E[np.asarray(ids, dtype=int)]


def embedding_figure(E: np.ndarray, ids: Sequence[int], tokens: Sequence[str], vocab: rv.Vocabulary,
                     present: bool = False) -> go.Figure:
    """Left: the embedding matrix E (V × d), words as rows; right: the sentence x_t = E[id] (T × d)."""
    V, d = E.shape
    rows = shown_columns(V, ids)
    X = embedded(E, ids)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.18, column_widths=[0.5, 0.5],
                        subplot_titles=(f"E: V × d = {V} × {d} (one row per word)",
                                        f"sentence: x<sub>t</sub> = E[id] → T × d = {len(ids)} × {d}"))
    cols = [f"e{k + 1}" for k in range(d)]
    show_text = d <= 8
    common = {"colorscale": theme.STATE_SCALE, "zmin": -EMB_RANGE, "zmax": EMB_RANGE, "xgap": 2, "ygap": 2,
              "texttemplate": "%{z:.3f}" if show_text else None}
    fig.add_trace(go.Heatmap(z=E[rows], x=cols, y=[_word(vocab.tokens, j) for j in rows], **common,
                             colorbar={"title": {"text": "value"}, "len": 0.9},
                             hovertemplate="E[%{y}, %{x}] = %{z:.4f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Heatmap(z=X, x=cols, y=[time_label(t + 1, tok) for t, tok in enumerate(tokens)],
                             **common, showscale=False,
                             customdata=[[int(i)] * d for i in ids],
                             hovertemplate="%{y} (id %{customdata})<br>%{x} = %{z:.4f}<extra></extra>"),
                  row=1, col=2)
    fig.update_yaxes(autorange="reversed")
    fig.update_yaxes(title="word (id): row of E", row=1, col=1)
    fig.update_yaxes(title="time step · token", row=1, col=2)
    fig.update_xaxes(title="embedding dimension", side="bottom")
    fig.update_layout(title=f"Dense embedding (seeded, values in [−{EMB_RANGE}, {EMB_RANGE}]): no zeros")
    theme.apply(fig, present, height=min(900, 220 + 30 * max(len(rows), len(ids))))
    fig.update_layout(margin={"t": 110 if present else 90})  # the title, then the two subplot titles
    return fig


# --------------------------------------------------------------------------- home: ANN vs RNN weights


def ann_vs_rnn_figure(cmp: AnnVsRnn, kind: str, present: bool = False,
                      t_until: int | None = None) -> go.Figure:
    """First-layer weights vs sentence length: the ANN on padded one-hot input grows, the RNN stays put."""
    t_until = t_until or max(2 * cmp.T_max, cmp.T_max + 4)
    T = np.arange(1, t_until + 1)
    ann = [cmp.ann_weights_for(int(t)) for t in T]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=T, y=ann, mode="lines+markers", name="ANN on padded one-hot input",
                             line={"color": theme.SERIES[1]},
                             hovertemplate="T=%{x}: ANN needs %{y} parameters (T·V·H + H)<extra></extra>"))
    fig.add_trace(go.Scatter(x=T, y=[cmp.rnn_weights] * len(T), mode="lines",
                             name=f"{kind} (shared parameters)", line={"color": theme.SERIES[0]},
                             hovertemplate=f"T=%{{x}}: {kind} uses {cmp.rnn_weights} parameters"
                                           "<extra></extra>"))
    fig.add_vline(x=cmp.T_max, line={"color": theme.HIGHLIGHT, "dash": "dash"},
                  annotation_text=f"T_max = {cmp.T_max} (the ANN's fixed size)",
                  annotation_position="top left")
    fig.update_layout(title="Parameters of the first layer vs the number of words T", legend={
        "orientation": "h", "y": -0.25, "x": 0})
    fig.update_xaxes(title="words in the sentence, T", dtick=max(1, t_until // 10))
    fig.update_yaxes(title="parameters (weights + biases)", rangemode="tozero")
    theme.apply(fig, present, height=380)
    return fig


def param_split_tables(split: ParamSplit) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The lecture notes' split (weights | biases) and Keras' model.summary() split (per layer), as tables."""
    notes, keras = param_split_rows(split)
    return (pd.DataFrame(notes, columns=["lecture notes", "made of", "count"]),
            pd.DataFrame(keras, columns=["Keras layer", "made of", "Param #"]))
