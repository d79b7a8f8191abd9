"""The keyboard and the "settled" report for a chart whose steps are Plotly animation frames.

Plotly's slider and Play/Pause buttons already move between frames in the browser, with no rerun; but a
Plotly slider does not take the keyboard, and the server never hears where the student stopped. This
component (a Streamlit v2 custom component: inline JavaScript in the app page, no iframe, nothing
downloaded) adds both: ← → / Home / End move the chart's own slider and space plays or pauses it; once the
student has settled on a step (no move for `settle_ms`, not playing) the step is sent once, so the
server-side parts of the page (LaTeX equations, the URL) follow — they are dimmed until then.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import streamlit as st

_JS = (Path(__file__).with_name("frame_stepper.js")).read_text(encoding="utf-8")
_MOUNT = st.components.v2.component("rnnviz_frame_stepper", js=_JS)
SETTLE_MS = 1000  # a pause this long after the last move counts as "settled" (a reading pace)


def frame_stepper(chart: str, frame: int, frames: int, *, key: str, play: bool = True,
                  stale: Sequence[str] = (), on_settle: Callable[[int], None] | None = None,
                  settle_ms: int = SETTLE_MS) -> int | None:
    """Mount the bridge for the chart whose `layout.meta` is `chart`, now showing the 1-based `frame` of
    `frames`. `stale` names element keys (st.container(key=…)) to dim while the chart shows another frame.
    `on_settle(frame)` runs (as a widget callback, before the rerun) when the student settled elsewhere;
    returns the frame reported in this run, or None."""
    if not 1 <= frame <= frames:
        raise ValueError(f"frame must lie in 1..{frames}, got {frame}")

    def settled() -> None:
        value = _reported(st.session_state.get(key))
        if on_settle is not None and value is not None:
            on_settle(value)

    data = {"chart": chart, "frame": int(frame), "frames": int(frames), "play": bool(play),
            "settle_ms": int(settle_ms), "stale": list(stale)}
    return _reported(_MOUNT(key=key, data=data, on_settled_change=settled, height=0))


def _reported(result) -> int | None:
    """The 1-based frame a component result reports as settled, or None (none, or not a whole number)."""
    value = None
    if result is not None:
        value = result.get("settled") if hasattr(result, "get") else getattr(result, "settled", None)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None
    return int(value) if float(value).is_integer() else None
