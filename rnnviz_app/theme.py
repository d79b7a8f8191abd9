"""Colours and type sizes shared by every figure; presentation mode scales them for a projector.

Colour scales are colour-blind-safe: a blue–white–red diverging scale (ColorBrewer RdBu, no red–green
pair) for signed states fixed to [-1, 1], and the perceptually uniform Viridis for gates in [0, 1].
"""

from __future__ import annotations

import base64
import functools
import json
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale, hex_to_rgb, unlabel_rgb

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
    """A finished figure from plain dicts, without Plotly's per-property validation (5x faster for figures
    of many traces and frames; the unit tests validate every figure), serialized once (Streamlit serializes
    every chart on every rerun): with `frames` a FramedFigure, else a FinishedFigure."""
    if frames:
        return FramedFigure(data, layout, frames)
    return FinishedFigure(data=list(data), layout=dict(layout), _validate=False)


class FinishedFigure(go.Figure):
    """A go.Figure whose dict form (`to_dict()`, what Streamlit serializes on every rerun) is computed once.
    Build it finished: changing it afterwards (update_layout, …) would not reach the cached form."""

    def to_dict(self) -> dict:
        cached = getattr(self, "_finished", None)
        if cached is None:
            cached = super().to_dict()
            self._finished = cached
        return dict(cached)


# --------------------------------------------------------------------------- heatmaps as pictures


def colours(values: np.ndarray, scale: str | list, vmin: float, vmax: float) -> np.ndarray:
    """Values (any shape) as RGB bytes (shape + (3,)) on a Plotly colour scale over [vmin, vmax], clipped."""
    cs = get_colorscale(scale) if isinstance(scale, str) else scale
    pos = np.array([p for p, _ in cs], dtype=float)
    rgb = np.array([unlabel_rgb(c) if c.startswith("rgb") else hex_to_rgb(c) for _, c in cs], dtype=float)
    u = (np.clip(np.nan_to_num(values, nan=vmin), vmin, vmax) - vmin) / ((vmax - vmin) or 1.0)
    return np.round(np.stack([np.interp(u, pos, rgb[:, k]) for k in range(3)], axis=-1)).astype(np.uint8)


def _png(rgba: np.ndarray) -> bytes:
    """An (h, w, 4) uint8 array as a PNG file (zlib only: no imaging library needed)."""
    h, w, _ = rgba.shape
    raw = b"".join(b"\x00" + rgba[i].tobytes() for i in range(h))  # filter 0 (None) on every row

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)  # 8-bit RGBA
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def heat_image(rgb: np.ndarray, cell: tuple[int, int] = (12, 12), gap: int = 1,
               hidden: np.ndarray | None = None) -> str:
    """A grid of coloured cells (rows, cols, 3) as a PNG data URI, each cell `cell` (h, w) pixels with `gap`
    transparent pixels after it; `hidden` cells (rows, cols) are transparent.

    Figures whose steps are animated in the browser without a redraw (frame.redraw = False) draw their
    heatmaps this way, as a layout image: Plotly removes a heatmap trace's picture when it moves the
    scatter traces of a frame (the trace itself stays, invisible, for hover and the colour bar)."""
    rows, cols, _ = rgb.shape
    ch, cw = cell
    alpha = np.full((rows, cols, 1), 255, np.uint8)
    if hidden is not None:
        alpha[np.asarray(hidden, bool)] = 0
    img = np.repeat(np.repeat(np.concatenate([rgb, alpha], axis=-1), ch, axis=0), cw, axis=1)
    if gap and ch > gap and cw > gap:
        img[(np.arange(rows * ch) % ch) >= ch - gap, :, 3] = 0
        img[:, (np.arange(cols * cw) % cw) >= cw - gap, 3] = 0
    return "data:image/png;base64," + base64.b64encode(_png(img)).decode("ascii")


# --------------------------------------------------------------------------- animation frames


def _canon(v: Any) -> Any:
    """A comparable form of a trace value (arrays by their bytes, so NaN equals NaN)."""
    if isinstance(v, np.ndarray):
        return v.shape, v.dtype.str, v.tobytes()
    return json.dumps(v, default=str, sort_keys=True)


def animation_frames(per_step: Sequence[Sequence[dict]], names: Sequence[str], first: int = 0) -> list[dict]:
    """Plotly frames from the full traces of every step (the same traces, in the same order, at each step),
    cut down to what differs between steps: Plotly merges a frame into the traces it names, key by key, so
    what no step changes travels once, with the figure. `first` is the index of the first of these traces
    in the figure's data; traces that never change are left out of the frames."""
    parts: list[list[dict]] = [[{} for _ in steps] for steps in per_step]
    for i, base in enumerate(per_step[0]):
        for key, v0 in base.items():
            for sub in (v0.keys() if isinstance(v0, Mapping) else [None]):
                vals = [steps[i][key] if sub is None else steps[i][key][sub] for steps in per_step]
                if len({_canon(v) for v in vals}) > 1:
                    for part, v in zip(parts, vals, strict=True):
                        if sub is None:
                            part[i][key] = v
                        else:
                            part[i].setdefault(key, {})[sub] = v
    moving = [i for i in range(len(per_step[0])) if any(part[i] for part in parts)]
    return [{"name": name, "traces": [first + i for i in moving], "data": [part[i] for i in moving]}
            for name, part in zip(names, parts, strict=True)]


_TYPED = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4",
          "float32": "f4", "float64": "f8"}  # NumPy dtypes Plotly.js reads as typed arrays


def _typed_array(v: np.ndarray) -> Any:
    """A NumPy array as Plotly's typed-array spec (what plotly.py writes, without its per-array checks)."""
    if v.dtype == np.int64 and v.size and v.min() >= -(2**31) and v.max() < 2**31:
        v = v.astype(np.int32)
    code = _TYPED.get(str(v.dtype))
    if code is None or v.size == 0:
        return v.tolist()
    spec = {"dtype": code, "bdata": base64.b64encode(np.ascontiguousarray(v).astype(v.dtype.newbyteorder("<"),
                                                                                     copy=False)).decode()}
    if v.ndim > 1:
        spec["shape"] = ", ".join(str(n) for n in v.shape)
    return spec


def encode_arrays(obj: Any) -> Any:
    """`obj` with every NumPy array as Plotly's typed-array spec {"dtype", "bdata", "shape"} (a copy):
    what Plotly.js reads, ready to be written as JSON."""
    if isinstance(obj, np.ndarray):
        return _typed_array(obj)
    if isinstance(obj, Mapping):
        return {k: encode_arrays(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [encode_arrays(v) for v in obj]
    return obj


class FramedFigure(go.Figure):
    """A finished figure with animation frames, kept as the plain dicts it was built from.

    plotly.py turns every trace of every frame into a trace object, even unvalidated (~1 s for 40 frames of
    20 traces), builds an object per axis of the layout, and deep-copies all of it each time the figure is
    serialized — which Streamlit does on every rerun. Here data, layout and frames stay plain and their
    dict form is computed once. Read it through `to_dict()` (or `plain`): the go.Figure underneath is
    empty, so `.data`, `.layout` and the update_* methods do not apply.
    """

    def __init__(self, data: Sequence[dict], layout: Mapping, frames: Sequence[dict]) -> None:
        super().__init__()
        self._plain = {"data": tuple(data), "layout": dict(layout), "frames": tuple(frames)}
        self._plain_dict: dict | None = None

    @property
    def plain(self) -> dict:
        """{"data", "layout", "frames"} as built (NumPy arrays not encoded yet): read-only."""
        return self._plain

    @property
    def frames(self) -> tuple[dict, ...]:
        return self._plain["frames"]

    def to_dict(self) -> dict:
        """{"data", "layout", "frames"} as Plotly.js reads them (shared with every caller: read only)."""
        if self._plain_dict is None:
            self._plain_dict = {k: encode_arrays(v) for k, v in self._plain.items()}
        return dict(self._plain_dict)
