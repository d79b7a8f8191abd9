"""Rerun time of the app after a slider move, measured with Streamlit's AppTest (not a test: no asserts).

    python benchmarks/rerun_app.py [--moves 30]

Scenarios (each a series of slider moves, one rerun per move, timed around `at.run()`):
  baseline   a trivial one-slider script: AppTest's own cost of a rerun on this machine
  forward    the Forward page at defaults, the time-step slider moved 1 → 2 → 3 → 1 … (the cached
             figures make revisited steps cheap; the first visit of each step builds them)
  forward H  the same with an LSTM of 16 units on a 12-word sentence
  encoding   the Encoding page, the embedding-size slider moved 1 → 16 → 1 …
Prints p50/p95 in ms and the ratio to the baseline's p50. Targets: forward p50 ≤ 100 ms, p95 ≤ 250 ms.
AppTest runs the script in-process (no browser, no websocket), and Streamlit's post-run gc is not part of
it, so these numbers are the script's own cost.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TRIVIAL = """
import streamlit as st
v = st.slider("x", 1, 40, 1, key="x")
st.write(v)
"""
LONG = "the film was not good at all and the plot was a mess | 0"


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def moves(values: list[int], n: int) -> list[int]:
    return [values[i % len(values)] for i in range(n)]


def time_reruns(at: AppTest, key: str, values: list[int]) -> list[float]:
    out = []
    for v in values:
        at.slider(key=key).set_value(v)
        t0 = time.perf_counter()
        at.run()
        out.append((time.perf_counter() - t0) * 1000)
        if at.exception:
            raise SystemExit(f"the app raised: {[e.value for e in at.exception]}")
    return out


def app(page: str, **query) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = str(v)
    at.run()
    at.switch_page(page).run()
    return at


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=30)
    n = parser.parse_args().moves

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "trivial.py"
        script.write_text(TRIVIAL)
        base = AppTest.from_file(str(script), default_timeout=60)
        base.run()
        baseline = time_reruns(base, "x", moves(list(range(2, 41)), n))

    rows = [("baseline (trivial script)", baseline)]
    at = app("pages/forward.py")
    rows.append(("forward, step slider (defaults)", time_reruns(at, "w_step", moves([2, 3, 1], n))))
    at = app("pages/forward.py", corpus=LONG, cell="LSTM", hidden=16)
    rows.append(("forward, step slider (LSTM, H=16, T=12)",
                 time_reruns(at, "w_step", moves([*range(2, 13), 1], n))))
    at = app("pages/encoding.py")
    rows.append(("encoding, embedding-size slider", time_reruns(at, "w_emb_dim", moves([16, 1], n))))

    b50 = statistics.median(baseline)
    print(f"{n} slider moves per scenario, one AppTest rerun each (ms)")
    print(f"{'scenario':44s} {'p50':>8s} {'p95':>8s} {'p50 / baseline':>15s}")
    for name, xs in rows:
        p50 = statistics.median(xs)
        print(f"{name:44s} {p50:8.1f} {pct(xs, 0.95):8.1f} {p50 / b50:15.1f}")
    fwd = rows[1][1]
    ok = statistics.median(fwd) <= 100 and pct(fwd, 0.95) <= 250
    print(f"target (forward at defaults: p50 ≤ 100 ms, p95 ≤ 250 ms): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
