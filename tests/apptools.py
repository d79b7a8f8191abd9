"""Helpers shared by the AppTest files: open a page through app.py, set widgets, decode Plotly arrays."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Radio, Selectbox

REPO = Path(__file__).resolve().parent.parent


def app_pages() -> list[tuple[str, str, str]]:
    """(file, title, URL path) of every page app.py lists, in menu order; the home page's URL path is ""."""
    src = (REPO / "app.py").read_text(encoding="utf-8")
    pages = re.findall(r'st\.Page\("(pages/(\w+)\.py)", title="([^"]+)"([^)]*)\)', src)
    return [(file, title, "" if "default=True" in rest else stem) for file, stem, title, rest in pages]


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


# --------------------------------------------------------------------------- the browser's option memory

# The browser keeps the *label* a selectbox or radio shows and sends that string back on every rerun, even
# after the options changed under it (the server then reads a label it no longer knows). AppTest instead
# re-formats the current value with the current options, which hid the crash of issue 9. `browser_like(at)`
# makes an AppTest send what a browser sends: the label it showed last, updated only when the user picks or
# the server sets it.

_FRONTEND = "_browser_option_labels"
_LABELLED = (Selectbox, Radio)


def _labelled_state(original):
    def state(self):
        ws = original.fget(self)
        labels = getattr(getattr(self.root, "_runner", None), _FRONTEND, None)
        if labels is not None and self.key is not None and labels.get(self.key) is not None:
            ws.string_value = labels[self.key]
        return ws

    return property(state)


def _remember_labels(at: AppTest) -> None:
    """After a run: what each selectbox/radio shows now (a server-set value replaces the browser's own)."""
    labels = getattr(at, _FRONTEND)
    for box in [*at.selectbox, *at.radio]:
        if box.key is None:
            continue
        proto = box.proto
        if proto.set_value and proto.HasField("raw_value"):
            labels[box.key] = proto.raw_value
        elif box.key not in labels:
            has_default = proto.HasField("default") and 0 <= proto.default < len(proto.options)
            labels[box.key] = proto.options[proto.default] if has_default else None


def browser_like(at: AppTest) -> AppTest:
    """Make `at` send option labels the way a browser does (see above); call before the first run."""
    setattr(at, _FRONTEND, {})
    return at


def browser_labels(at: AppTest) -> dict[str, str | None]:
    """What each selectbox/radio of a browser_like AppTest shows, by key (empty for a plain AppTest)."""
    return dict(getattr(at, _FRONTEND, {}))


def browser_run(at: AppTest) -> AppTest:
    """at.run(), then remember what the selectboxes and radios show (for browser_like AppTests)."""
    at.run()
    if hasattr(at, _FRONTEND):
        _remember_labels(at)
    return at


def browser_select(at: AppTest, key: str, label: str) -> AppTest:
    """The user picks the option shown as `label` in the selectbox or radio `key`."""
    getattr(at, _FRONTEND)[key] = label
    box = next(w for w in [*at.selectbox, *at.radio] if w.key == key)
    box.set_value(box.value)  # mark the widget as touched so AppTest sends its state
    return browser_run(at)


for _cls in _LABELLED:
    _cls._widget_state = _labelled_state(_cls._widget_state)
