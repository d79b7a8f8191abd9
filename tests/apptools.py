"""Helpers shared by the AppTest files: open a page through app.py, set widgets, decode Plotly arrays."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parent.parent


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_page(page: str, **query) -> AppTest:
    """app.py run once (with these URL parameters), then switched to `page`; no exception allowed."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = str(v)
    at.run()
    at.switch_page(page)
    return rerun(at)


def set_widget(at: AppTest, key: str, value) -> AppTest:
    """Set the widget with this key, whatever its kind, and rerun."""
    for kind in ("slider", "radio", "selectbox", "text_area", "number_input", "toggle"):
        try:
            widget = getattr(at, kind)(key=key)
        except KeyError:
            continue
        widget.set_value(value)
        return rerun(at)
    raise AssertionError(f"no widget with key {key!r}")


def decode(v) -> np.ndarray:
    """A data array of a chart spec: plotly ≥ 6 sends numpy arrays as {"dtype", "bdata", "shape"}."""
    if isinstance(v, dict) and "bdata" in v:
        arr = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        shape = v.get("shape")
        if isinstance(shape, str):  # Plotly writes "3, 5"
            shape = [int(n) for n in shape.split(",")]
        return arr.reshape(shape) if shape else arr
    return np.asarray(v, dtype=float)  # None (a gap) becomes nan
