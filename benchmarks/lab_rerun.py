"""What the gradient lab's server does when the w_h slider settles (not a test: no asserts).

    python benchmarks/lab_rerun.py [--moves 40]

Moving the w_h slider happens in the browser (every grid w_h is a frame of the chart); once the student
settles, the w_h is reported and the server computes what depends on it exactly: the three cells side by
side and the clipping numbers. Two measurements per scenario, each over a series of settled w_h (every one a
new value, so nothing per-w_h is cached; the 61-value grid sweep and the chart are cached, as in the app):
  fragment   that fragment's own work, timed directly: the exact K = 1 sweeps of the three cells, the
             clipping numbers, the comparison figure and its JSON. In the browser only this reruns.
  AppTest    a full script rerun after the report (AppTest does not run fragments alone, so this also
             includes the sidebar and the page around the fragment).
Baseline (same run): an AppTest rerun of a trivial one-slider script. Prints p50/p95 (ms) and the ratio of
each p50 to the baseline's. Target: fragment p50 ≤ 100 ms at the lab's defaults.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import plotly.io as pio

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from apptiming import baseline, open_app, print_table, time_state  # noqa: E402

from rnnviz_app import fig_lab, lab, state  # noqa: E402
from rnnviz_app.model import build_model  # noqa: E402

SCENARIOS = (
    ("defaults (SimpleRNN tanh, H=3, T=100)", {}),
    ("ReLU, T=200", {"lab_act": "relu", "lab_T": 200}),
    ("LSTM, H=16, T=200 (largest)", {"lab_cell": "LSTM", "hidden": 16, "lab_T": 200}),
)



def w_moves(n: int) -> list[float]:
    """n distinct slider values, alternating low and high (vanishing ↔ exploding)."""
    rng = np.random.default_rng(0)
    return [round(float(w), 2) for w in rng.permutation(np.linspace(0.01, 3.0, n))]


def fragment_times(over: dict, ws: list[float]) -> list[float]:
    s = {**state.defaults(), **over}
    view = build_model(s)
    spec = lab.lab_spec(s, view.V, view.ids, view.label)
    tokens = lab.lab_tokens(spec, view.corpus.vocab.tokens)
    out = []
    for w in ws:
        t0 = time.perf_counter()
        lp = lab.lab_point(spec, w, 1.0)
        pio.to_json(fig_lab.compare_figure(lp.cells, tokens).to_dict(), validate=False)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def apptest_times(over: dict, ws: list[float]) -> list[float]:
    at = open_app("pages/lab.py", timeout=120, **over)  # warm: the grid sweep and the chart are cached here
    return time_state(at, "wh", ws, time.perf_counter)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=40)
    n = parser.parse_args().moves
    ws = w_moves(n)

    rows = [("baseline: trivial script, AppTest rerun", baseline("0.0, 3.0, 1.0, 0.01", ws))]
    for name, over in SCENARIOS:
        rows.append((f"{name}: fragment", fragment_times(over, ws)))
        rows.append((f"{name}: AppTest rerun", apptest_times(over, ws)))

    print(f"{n} settled w_h per scenario (ms)")
    print_table(rows)
    frag = rows[1][1]
    print(f"target (fragment at the lab's defaults: p50 ≤ 100 ms): "
          f"{'met' if statistics.median(frag) <= 100 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
