"""Shared pieces of the app rerun benchmarks: AppTest sessions, slider timing, the printed table."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parent.parent


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def open_app(page: str, timeout: float = 60, **query) -> AppTest:
    """An AppTest session of app.py with these URL parameters, switched to `page`."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout)
    for k, v in query.items():
        at.query_params[k] = str(v)
    at.run()
    at.switch_page(page).run()
    return at


def time_slider(at: AppTest, key: str, values: list, clock=time.perf_counter) -> list[float]:
    """Milliseconds (of `clock`: wall time by default) of each rerun after setting the slider `key` to each
    value in turn."""
    out = []
    for v in values:
        at.slider(key=key).set_value(v)
        t0 = clock()
        at.run()
        out.append((clock() - t0) * 1000)
        if at.exception:
            raise SystemExit(f"the app raised: {[e.value for e in at.exception]}")
    return out


def time_state(at: AppTest, key: str, values: list, clock=time.process_time) -> list[float]:
    """Milliseconds (of `clock`: by default this process's CPU time, i.e. the server's) of each rerun after
    setting session_state[key] to each value in turn — what a browser-side control reports when the
    student settles (the Forward step, the lab's w_h), or, with values [None, …], a rerun with no change."""
    out = []
    for v in values:
        if v is not None:
            at.session_state[key] = v
        t0 = clock()
        at.run()
        out.append((clock() - t0) * 1000)
        if at.exception:
            raise SystemExit(f"the app raised: {[e.value for e in at.exception]}")
    return out


def baseline(slider_args: str, values: list, clock=time.perf_counter) -> list[float]:
    """The same reruns on a trivial one-slider script: AppTest's own cost on this machine, this run."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "trivial.py"
        script.write_text(f'import streamlit as st\nst.write(st.slider("x", {slider_args}, key="x"))\n')
        at = AppTest.from_file(str(script), default_timeout=60)
        at.run()
        return time_slider(at, "x", values, clock)


def print_table(rows: list[tuple[str, list[float]]]) -> None:
    """p50 / p95 in ms and each p50 as a ratio to the first row's (the baseline)."""
    width = max(len(name) for name, _ in rows) + 2
    b50 = statistics.median(rows[0][1])
    print(f"{'scenario':{width}s} {'p50':>8s} {'p95':>8s} {'p50 / baseline':>15s}")
    for name, xs in rows:
        p50 = statistics.median(xs)
        print(f"{name:{width}s} {p50:8.1f} {pct(xs, 0.95):8.1f} {p50 / b50:15.1f}")
