"""Figures and tables of the RNN types page. Pure: data in, Plotly figure or DataFrame out (no Streamlit).

The unrolled diagram speaks the Forward page's language: one box per cell and time step, the word under it,
an arrow h_{t-1} → h_t between boxes, and what comes out above it. A `DiagramSpec` says which columns have
an input and an output, how many rows of cells there are and in which direction each row reads (a
bidirectional layer is a → row and a ← row; a deep network is one row per layer), whether outputs are fed
back as the next input (generation), and where an encoder hands its context to a decoder. The annotations
of the inputs and outputs are named "input j" and "output j" (tests and readers find them by name).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import get_colorscale

from . import theme
from .equations import html_escape, shorten, time_label

MAX_COLUMNS = 8  # time steps drawn in one diagram; longer sentences show the first ones and "⋯ n more"
P = 2.3  # horizontal pitch of a time step
BOX_W, BOX_H = 1.45, 0.9
ROW_GAP = 1.75  # vertical pitch between rows of cells
INK, GREY = "#111111", "#8a8a8a"
FILL = "#eef2f8"
ENCODER, DECODER = theme.SERIES[0], theme.SERIES[1]  # blue reads, vermillion writes
FORWARD, BACKWARD = theme.SERIES[0], theme.SERIES[2]  # → blue, ← green
CONTEXT = theme.SERIES[3]


@dataclass(frozen=True)
class Column:
    """One time step: the token read (None: nothing read) and the output written (None: nothing written)."""

    input: str | None
    output: str | None
    group: str = "main"  # "main", or "encoder" / "decoder" for an encoder–decoder
    fed_back: bool = False  # the input is the previous column's output, read back in


@dataclass(frozen=True)
class Row:
    """One row of cells: a layer, or one direction of a bidirectional layer."""

    label: str  # written in every box
    direction: int = 1  # +1 reads left to right, −1 right to left
    colour: str = INK
    name: str = ""  # written once, left of the row ("layer 2", "backward")


@dataclass(frozen=True)
class DiagramSpec:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    feedback: bool = False  # each output is fed back as the next column's input (dashed)
    recurrent: bool = True  # False: one-to-one, no arrow between time steps
    hidden: int = 0  # columns not drawn (the sentence is longer than MAX_COLUMNS)
    output_note: str = ""  # said once beside the outputs, e.g. "[h→ ; h←] → softmax"


# --------------------------------------------------------------------------- the specs of the types


def _cap(tokens: Sequence[str], outputs: Sequence[str | None]) -> tuple[list, list, int]:
    tokens, outputs = list(tokens), list(outputs)
    hidden = max(0, len(tokens) - MAX_COLUMNS)
    return tokens[:MAX_COLUMNS], outputs[:MAX_COLUMNS], hidden


def spec_one_to_one(token: str, output: str) -> DiagramSpec:
    return DiagramSpec("One-to-one: one input, one output — no recurrence (a plain feed-forward network)",
                       (Column(token, output),), (Row("Dense"),), recurrent=False)


def spec_many_to_one(tokens: Sequence[str], output: str, cell: str) -> DiagramSpec:
    toks, _, hidden = _cap(tokens, [])
    cols = [Column(t, None) for t in toks]
    if not hidden:
        cols[-1] = Column(toks[-1], output)
    return DiagramSpec("Many-to-one: read every word, one output after the last (sentiment)", tuple(cols),
                       (Row(cell),), hidden=hidden,
                       output_note=f"ŷ = {output} after t={len(tokens)}" if hidden else "")


def spec_many_to_many(tokens: Sequence[str], outputs: Sequence[str], cell: str) -> DiagramSpec:
    toks, outs, hidden = _cap(tokens, outputs)
    cols = tuple(Column(t, o) for t, o in zip(toks, outs, strict=True))
    return DiagramSpec("Many-to-many, same length: one output per word (tagging)", cols, (Row(cell),),
                       hidden=hidden, output_note="softmax over the tags at every step")


def spec_one_to_many(first: str, generated: Sequence[str], cell: str) -> DiagramSpec:
    """Column 1 reads the first word; every output is fed back as the next input."""
    words = [first, *generated]
    cols = [Column(words[k], words[k + 1] if k + 1 < len(words) else "<eos>", fed_back=k > 0)
            for k in range(len(words))]
    shown = cols[:MAX_COLUMNS]
    return DiagramSpec("One-to-many: one input, a sequence out (each word generated is read back in)",
                       tuple(shown), (Row(cell),), feedback=True, hidden=len(cols) - len(shown),
                       output_note="softmax over the words")


def spec_encoder_decoder(tokens: Sequence[str], outputs: Sequence[str], cell: str) -> DiagramSpec:
    """Encoder columns read the tokens (no output); decoder columns read <bos>, y_1, … and write y_1, …"""
    enc = [Column(t, None, "encoder") for t in tokens]
    reads = ["<bos>", *outputs[:-1]]  # the decoder reads what it wrote one step before
    dec = [Column(r, o, "decoder", fed_back=k > 0)
           for k, (r, o) in enumerate(zip(reads, outputs, strict=True))]
    return DiagramSpec("Encoder–decoder (seq2seq): read everything first, then write — lengths may differ",
                       tuple(enc + dec), (Row(cell),), feedback=True)


def spec_bidirectional(tokens: Sequence[str], outputs: Sequence[str], cell: str) -> DiagramSpec:
    toks, outs, hidden = _cap(tokens, outputs)
    rows = (Row(f"{cell} →", 1, FORWARD, "forward"), Row(f"{cell} ←", -1, BACKWARD, "backward"))
    cols = tuple(Column(t, o) for t, o in zip(toks, outs, strict=True))
    return DiagramSpec("Bidirectional: one layer reads left → right, another right ← left; both feed each "
                       "output", cols, rows, hidden=hidden, output_note="[h→ ; h←] → softmax")


def spec_deep(tokens: Sequence[str], outputs: Sequence[str], cell: str, layers: int) -> DiagramSpec:
    toks, outs, hidden = _cap(tokens, outputs)
    rows = tuple(Row(cell, 1, theme.SERIES[k % len(theme.SERIES)], f"layer {k + 1}") for k in range(layers))
    return DiagramSpec(f"Deep (stacked): {layers} layers; layer l reads the states of layer l − 1",
                       tuple(Column(t, o) for t, o in zip(toks, outs, strict=True)), rows, hidden=hidden,
                       output_note="top layer → softmax")


# --------------------------------------------------------------------------- drawing


@functools.lru_cache(maxsize=2)
def _themed_json(present: bool) -> str:
    """theme.apply on an empty figure, as JSON (immutable, so it can be cached)."""
    fig = go.Figure()
    theme.apply(fig, present)
    return json.dumps(fig.to_dict()["layout"])


def _layout(present: bool) -> dict:
    return json.loads(_themed_json(present))


class _Canvas:
    """Shapes and annotations of one diagram, in data coordinates."""

    def __init__(self, present: bool) -> None:
        self.s = theme.sizes(present)
        self.shapes: list[dict] = []
        self.notes: list[dict] = []

    def text(self, x, y, t, size=None, color=INK, **kw) -> None:
        self.notes.append({"x": x, "y": y, "text": t, "showarrow": False,
                           "font": {"size": size or self.s.annotation, "color": color}, **kw})

    def arrow(self, x0, y0, x1, y1, color=INK, width=1.8, dash=False) -> None:
        if dash:
            self.shapes.append({"type": "line", "x0": x0, "y0": y0, "x1": x1, "y1": y1,
                                "line": {"color": color, "width": width, "dash": "dot"}})
            return
        self.notes.append({"x": x1, "y": y1, "ax": x0, "ay": y0, "xref": "x", "yref": "y", "axref": "x",
                           "ayref": "y", "text": "", "showarrow": True, "arrowhead": 2, "arrowsize": 1.1,
                           "arrowwidth": width, "arrowcolor": color})

    def box(self, xc, yc, w, h, label, color=INK, fill=FILL, size=None, dash="solid") -> None:
        self.shapes.append({"type": "rect", "x0": xc - w / 2, "x1": xc + w / 2, "y0": yc - h / 2,
                            "y1": yc + h / 2, "fillcolor": fill, "line": {"color": color, "width": 2,
                                                                          "dash": dash}})
        self.text(xc, yc, f"<b>{label}</b>", size=size, color=color)

    def path(self, points, color, dash="dot", width=1.6) -> None:
        d = "M " + " L ".join(f"{x},{y}" for x, y in points)
        self.shapes.append({"type": "path", "path": d,
                            "line": {"color": color, "width": width, "dash": dash}})


def _label(text: str | None, width: int = 12) -> str:
    return "" if text is None else html_escape(shorten(text, width))


def diagram(spec: DiagramSpec, present: bool = False) -> go.Figure:
    """The unrolled network of `spec`: tokens below, a row of cells per layer/direction, outputs above."""
    cv = _Canvas(present)
    s = cv.s
    n, R = len(spec.columns), len(spec.rows)
    groups = [c.group for c in spec.columns]
    split = groups.index("decoder") if "decoder" in groups else None
    gap = 1.6 if split is not None else 0.0  # room for the context vector between encoder and decoder

    def xc(j: int) -> float:
        return j * P + (gap if split is not None and j >= split else 0.0)

    def yc(r: int) -> float:
        return r * ROW_GAP

    y_in, y_out = -1.55, yc(R - 1) + 1.55
    box_size = s.annotation - (1 if R > 1 else 0)
    for j, col in enumerate(spec.columns):
        x = xc(j)
        for r, row in enumerate(spec.rows):
            colour = row.colour
            if col.group == "encoder":
                colour = ENCODER
            elif col.group == "decoder":
                colour = DECODER
            cv.box(x, yc(r), BOX_W, BOX_H, row.label, color=colour, size=box_size)
        # the input: into the bottom row (a bidirectional layer: into both rows, the ← row by its left side)
        if col.input is not None:
            read = f"<i>{_label(col.input)}</i>" if col.fed_back else f"<b>{_label(col.input)}</b>"
            ink = GREY if col.fed_back else INK
            cv.text(x, y_in - 0.05, read, yanchor="top", size=s.annotation + 1, color=ink, name=f"input {j}")
            cv.arrow(x, y_in, x, yc(0) - BOX_H / 2 - 0.02, ink)
            if R == 2 and spec.rows[1].direction == -1:  # around the → box, up into the ← box
                xs, yb = x - BOX_W / 2 - 0.2, yc(1) - BOX_H / 2 - 0.25
                cv.path([(x, y_in + 0.25), (xs, y_in + 0.25), (xs, yb), (x - 0.3, yb)], ink, dash="solid",
                        width=1.4)
                cv.arrow(x - 0.3, yb, x - 0.3, yc(1) - BOX_H / 2 - 0.02, ink, width=1.4)
        # stacked rows: layer r − 1 feeds layer r (not for the two directions of one layer)
        bidir = R == 2 and spec.rows[1].direction == -1
        if not bidir:
            for r in range(1, R):
                cv.arrow(x, yc(r - 1) + BOX_H / 2, x, yc(r) - BOX_H / 2 - 0.02, spec.rows[r - 1].colour)
        # the output: from the top row (a bidirectional layer: from both, the → row by its right side)
        if col.output is not None:
            colour = DECODER if col.group == "decoder" else INK
            cv.arrow(x, yc(R - 1) + BOX_H / 2, x, y_out - 0.02, colour)
            if bidir:  # h→ joins h← on the way out: up from the → box, around the ← box
                xs, yt = x + BOX_W / 2 + 0.2, yc(0) + BOX_H / 2 + 0.25
                cv.path([(x + 0.3, yc(0) + BOX_H / 2), (x + 0.3, yt), (xs, yt), (xs, y_out - 0.35),
                         (x + 0.02, y_out - 0.35)], FORWARD, dash="solid", width=1.4)
            cv.text(x, y_out + 0.05, f"<b>{_label(col.output)}</b>", yanchor="bottom", size=s.annotation + 1,
                    color=colour, name=f"output {j}")
        # feedback: the word written at j is read at j + 1 (dashed)
        if j + 1 < n and spec.columns[j + 1].fed_back:
            xm = x + P / 2
            cv.path([(x + 0.45, y_out + 0.2), (xm, y_out + 0.2), (xm, y_in - 0.2),
                     (xc(j + 1) - 0.45, y_in - 0.2)], GREY)
    # the recurrence: h_{t-1} → h_t along every row, in the row's direction
    if spec.recurrent:
        for r, row in enumerate(spec.rows):
            for j in range(n - 1):
                if split is not None and j + 1 == split:
                    continue  # the encoder hands over through the context, drawn below
                a, b = (j, j + 1) if row.direction == 1 else (j + 1, j)
                sgn = 1 if row.direction == 1 else -1
                cv.arrow(xc(a) + sgn * BOX_W / 2, yc(r), xc(b) - sgn * (BOX_W / 2 + 0.02), yc(r), row.colour)
            if spec.hidden and row.direction == 1:
                x_last = xc(n - 1) + BOX_W / 2
                cv.arrow(x_last, yc(r), x_last + 0.8, yc(r), GREY)
    if spec.hidden:
        cv.text(xc(n - 1) + BOX_W / 2 + 0.9, yc(0), f"⋯ {spec.hidden} more", xanchor="left", color=GREY,
                size=s.annotation - 1)
    # the context vector between encoder and decoder
    if split is not None:
        xm = (xc(split - 1) + xc(split)) / 2
        cv.box(xm, yc(0), 1.0, 1.5, "context<br>h<sub>T</sub>", color=CONTEXT, fill="#f7eef4",
               size=s.annotation - 1)
        cv.arrow(xc(split - 1) + BOX_W / 2, yc(0), xm - 0.52, yc(0), ENCODER)
        cv.arrow(xm + 0.5, yc(0), xc(split) - BOX_W / 2 - 0.02, yc(0), DECODER)
        cv.text((xc(0) + xc(split - 1)) / 2, y_out + 0.05, "<b>encoder</b> (reads)", yanchor="bottom",
                color=ENCODER)
        cv.text((xc(split) + xc(n - 1)) / 2, y_out + 0.75, "<b>decoder</b> (writes)", yanchor="bottom",
                color=DECODER)
    # the first h_0 and the weights shared along a row
    if spec.recurrent:
        for r, row in enumerate(spec.rows):
            start = 0 if row.direction == 1 else n - 1
            sgn = 1 if row.direction == 1 else -1
            x0 = xc(start) - sgn * (BOX_W / 2 + 0.7)
            cv.text(x0, yc(r) + 0.05, "h<sub>0</sub>", color=GREY, size=s.annotation - 1,
                    yanchor="bottom")
            cv.arrow(x0, yc(r), xc(start) - sgn * (BOX_W / 2 + 0.02), yc(r), GREY, width=1.2)
    for r, row in enumerate(spec.rows):
        if row.name:
            cv.text(-BOX_W / 2 - 0.95, yc(r), f"<b>{row.name}</b>", xanchor="right", color=row.colour)
    x_lo = -BOX_W / 2 - (2.9 if any(r.name for r in spec.rows) else 1.1)
    x_hi = xc(n - 1) + BOX_W / 2 + (2.6 if spec.hidden else 1.2)
    y_lo, y_hi = y_in - 1.1, y_out + (1.5 if split is not None else 0.9)
    unit_px = 62 if present else 52
    layout = _layout(present)
    axis = {"visible": False, "fixedrange": True}
    layout.update(
        title={**layout.get("title", {}), "text": spec.title + (
            f"<br><span style='font-size:{s.annotation}px;color:#444444'>{spec.output_note}</span>"
            if spec.output_note else "")},
        showlegend=False, plot_bgcolor="#ffffff", shapes=cv.shapes, annotations=cv.notes,
        xaxis={**layout["xaxis"], **axis, "range": [x_lo, x_hi]},
        yaxis={**layout["yaxis"], **axis, "range": [y_lo, y_hi]},
        height=int(max(300, (y_hi - y_lo) * unit_px + 80)),
        margin={"l": 10, "r": 10, "t": (60 if present else 50) + (28 if spec.output_note else 0), "b": 10})
    return go.Figure(layout=layout)


# --------------------------------------------------------------------------- states, context, connectivity


def _state_coloraxis(title: str) -> dict:
    return {"colorscale": get_colorscale(theme.STATE_SCALE), "cmin": theme.STATE_RANGE[0],
            "cmax": theme.STATE_RANGE[1], "colorbar": {"title": {"text": title}, "thickness": 14}}


def states_figure(panels: Sequence[tuple[str, np.ndarray]], tokens: Sequence[str], title: str,
                  present: bool = False) -> go.Figure:
    """Side-by-side heatmaps of (T, H) state matrices (rows = time steps with their words, columns = units),
    on the fixed ±1 scale of every state in the app."""
    T = len(tokens)
    ylab = [time_label(t + 1, tok) for t, tok in enumerate(tokens)]
    n = len(panels)
    gap = 0.05
    width = (1 - gap * (n - 1)) / n
    layout = _layout(present)
    s = theme.sizes(present)
    data, notes = [], []
    for k, (name, arr) in enumerate(panels):
        arr = np.asarray(arr, dtype=float)
        if arr.shape[0] != T:
            raise ValueError(f"panel {name!r} has {arr.shape[0]} rows; the sentence has {T} words")
        sfx = "" if k == 0 else str(k + 1)
        x0 = k * (width + gap)
        H = arr.shape[1]
        data.append({"type": "heatmap", "z": arr, "x": [f"{u + 1}" for u in range(H)], "y": ylab,
                     "coloraxis": "coloraxis", "xgap": 2, "ygap": 2, "name": name,
                     "xaxis": f"x{sfx}", "yaxis": f"y{sfx}",
                     "texttemplate": "%{z:.2f}" if H <= 8 and T <= 20 else None,
                     "hovertemplate": f"%{{y}}<br>{html_escape(name)}, unit %{{x}}: %{{z:.4f}}"
                                      "<extra></extra>"})
        layout[f"xaxis{sfx}"] = {**layout["xaxis"], "domain": [x0, x0 + width], "anchor": f"y{sfx}",
                                 "title": {"text": "unit"}}
        layout[f"yaxis{sfx}"] = {**layout["yaxis"], "anchor": f"x{sfx}", "autorange": "reversed"}
        if k > 0:
            layout[f"yaxis{sfx}"].update(matches="y", showticklabels=False)
        notes.append({"text": name, "x": x0 + width / 2, "y": 1.0, "xref": "paper", "yref": "paper",
                      "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": s.font}})
    layout.update(title={**layout.get("title", {}), "text": title}, annotations=notes,
                  coloraxis=_state_coloraxis("value"),
                  height=int(min(700, max(260, 150 + 34 * T)) * (1.25 if present else 1.0)))
    return go.Figure(data=data, layout=layout)


def context_figure(h: np.ndarray, c: np.ndarray | None = None, present: bool = False) -> go.Figure:
    """The context vector the encoder hands to the decoder: h_T (and c_T for an LSTM), one cell per unit."""
    rows = [("h<sub>T</sub>", np.asarray(h, dtype=float))]
    if c is not None:
        rows.append(("c<sub>T</sub>", np.asarray(c, dtype=float)))
    z = np.stack([r[1] for r in rows])
    H = z.shape[1]
    layout = _layout(present)
    layout.update(
        title={**layout.get("title", {}),
               "text": f"The context vector: all the decoder gets from the sentence ({H} numbers"
                       + (" per row)" if c is not None else ")")},
        coloraxis=_state_coloraxis("value"),
        xaxis={**layout["xaxis"], "title": {"text": "unit"}, "dtick": 1 if H <= 24 else None},
        yaxis={**layout["yaxis"], "autorange": "reversed"},
        height=int((150 + 48 * len(rows)) * (1.25 if present else 1.0)))
    data = [{"type": "heatmap", "z": z, "x": list(range(1, H + 1)), "y": [r[0] for r in rows],
             "coloraxis": "coloraxis", "xgap": 2, "ygap": 2, "name": "context",
             "texttemplate": "%{z:.2f}" if H <= 24 else None,
             "hovertemplate": "%{y}, unit %{x}: %{z:.4f}<extra></extra>"}]
    return go.Figure(data=data, layout=layout)


def connectivity_figure(M: np.ndarray, tokens: Sequence[str], title: str, present: bool = False) -> go.Figure:
    """M[t, s] = ‖∂output_t/∂x_s‖ as a heatmap: rows = outputs (time steps), columns = input words."""
    M = np.asarray(M, dtype=float)
    T = len(tokens)
    if M.shape != (T, T):
        raise ValueError(f"M must be ({T}, {T}) for {T} words, got {M.shape}")
    labels = [time_label(t + 1, tok) for t, tok in enumerate(tokens)]
    layout = _layout(present)
    layout.update(
        title={**layout.get("title", {}), "text": title},
        xaxis={**layout["xaxis"], "title": {"text": "input word x<sub>s</sub>"}, "side": "bottom"},
        yaxis={**layout["yaxis"], "title": {"text": "output at step t"}, "autorange": "reversed"},
        height=int(min(720, max(320, 170 + 38 * T)) * (1.25 if present else 1.0)))
    data = [{"type": "heatmap", "z": M, "x": labels, "y": labels, "colorscale": "Viridis", "zmin": 0.0,
             "zmax": float(M.max()) if M.max() > 0 else 1.0, "xgap": 2, "ygap": 2, "name": "connectivity",
             "colorbar": {"title": {"text": "‖∂out<sub>t</sub>/∂x<sub>s</sub>‖"}, "thickness": 14},
             "texttemplate": "%{z:.2f}" if T <= 14 else None,
             "hovertemplate": "output %{y}<br>input %{x}<br>‖∂output/∂x‖ = %{z:.4f}<extra></extra>"}]
    return go.Figure(data=data, layout=layout)


# --------------------------------------------------------------------------- tables


def tag_table(tokens: Sequence[str], tags: Sequence[str], probs: np.ndarray, known: Sequence[bool],
              tag_names: Sequence[str]) -> pd.DataFrame:
    """One row per word: the tag, how sure (the softmax), and whether the tagger knew the word."""
    probs = np.asarray(probs, dtype=float)
    df = pd.DataFrame({"t": range(1, len(tokens) + 1), "word": list(tokens),
                       "known word?": ["yes" if k else "no (read as <unk>)" for k in known],
                       "tag": list(tags)})
    for k, name in enumerate(tag_names):
        df[f"P({name})"] = probs[:, k].round(3)
    return df


def compare_tags(tokens: Sequence[str], uni: Sequence[str], bi: Sequence[str]) -> pd.DataFrame:
    """The one-directional and the bidirectional tagger side by side, with where they differ."""
    return pd.DataFrame({"t": range(1, len(tokens) + 1), "word": list(tokens), "→ only": list(uni),
                         "→ and ←": list(bi),
                         "differ?": ["◀ differs" if a != b else "" for a, b in zip(uni, bi, strict=True)]})


def generation_table(words: Sequence[str], probs: np.ndarray, vocab: Sequence[str],
                     k: int = 3) -> pd.DataFrame:
    """One row per generation step: the word read, the word written, and the k most likely next words."""
    probs = np.asarray(probs, dtype=float)
    rows = []
    for step, p in enumerate(probs):
        order = np.argsort(-p, kind="stable")[:k]
        read = words[step]
        wrote = vocab[int(order[0])]
        top = ", ".join(f"{vocab[int(i)]} {p[i]:.2f}" for i in order)
        rows.append((step + 1, read, wrote, top))
    return pd.DataFrame(rows, columns=["step", "reads", "writes", f"top {k} next words (probability)"])


def keras_summary(kind: str, layer_params: Sequence[int], bidirectional: bool, hidden: int, T: int,
                  n_classes: int | None) -> pd.DataFrame:
    """What Keras' model.summary() prints for a stack: one row per recurrent layer, then (n_classes given)
    the Dense head applied at every step."""
    name = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}[kind]
    dirs = 2 if bidirectional else 1
    rows = []
    for k, n in enumerate(layer_params):
        sfx = "" if k == 0 else f"_{k}"
        layer = f"bidirectional{sfx} (Bidirectional({kind}))" if bidirectional else f"{name}{sfx} ({kind})"
        rows.append((layer, f"(None, {T}, {dirs * hidden})", int(n)))
    if n_classes is not None:
        rows.append(("dense (Dense)", f"(None, {T}, {n_classes})", dirs * hidden * n_classes + n_classes))
    return pd.DataFrame(rows, columns=["Layer (type)", "Output Shape", "Param #"])
