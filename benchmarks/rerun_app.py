"""Server cost of a rerun of each page, measured with Streamlit's AppTest (not a test: no asserts).

    python benchmarks/rerun_app.py [--moves 30]

Stepping the Forward diagram, the Gates heatmaps and the lab's w_h happens in the browser (no rerun). What
still reruns, and is timed here as this process's CPU time around `at.run()` (AppTest runs the script in
process, so that is the server's CPU; Streamlit's post-run gc is off, as in the app):
  baseline        a trivial one-slider script, slider moved: AppTest's own cost of a rerun, this machine
  <page>, rerun   each page rerun with nothing changed (a widget elsewhere, a page revisit): what every
                  real change costs at least — nothing a cache holds may be recomputed
  forward settle  the step a student settled on reported (the step setting changes): the equations and
                  the hidden-state heatmap follow (in the browser only that fragment reruns; AppTest reruns
                  the whole page, so this is an upper bound)
  lab settle      the same for the lab's w_h (the three cells and clipping at the new w_h)
  encoding        the embedding-size slider (a real server-side control)
Also the JSON of every chart each page sends (figure payload per page). Target: forward rerun p50 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from apptiming import baseline, open_app, pct, print_table, time_slider, time_state

LONG = "the film was not good at all and the plot was a mess | 0"
PAGES = ("home", "encoding", "forward", "gates", "bptt", "lab", "types")


def moves(values: list, n: int) -> list:
    return [values[i % len(values)] for i in range(n)]


def payload(at) -> int:
    """Bytes of chart JSON the page sends (every st.plotly_chart's spec)."""
    return sum(len(c.proto.spec.encode()) for c in at.get("plotly_chart"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=30)
    n = parser.parse_args().moves

    cpu = time.process_time
    rows = [("baseline (trivial script)", baseline("1, 40, 1", moves(list(range(2, 41)), n), cpu))]
    sizes = {}
    for page in PAGES:
        path = Path(__file__).resolve().parent.parent / "pages" / f"{page}.py"
        if not path.exists():
            continue
        at = open_app(f"pages/{page}.py", timeout=120)
        sizes[page] = payload(at)
        rows.append((f"{page}, rerun", time_state(at, "step", [None] * n)))
        if page == "forward":
            rows.append(("forward settle (step 1 → 2 → 3)", time_state(at, "step", moves([2, 3, 1], n))))
        if page == "lab":
            rows.append(("lab settle (w_h moves)", time_state(at, "wh", moves([0.5, 2.0, 1.35, 3.0], n))))
    at = open_app("pages/forward.py", corpus=LONG, cell="LSTM", hidden=16)
    sizes["forward (LSTM, H=16, T=12)"] = payload(at)
    rows.append(("forward settle (LSTM, H=16, T=12)", time_state(at, "step", moves([*range(2, 13), 1], n))))
    at = open_app("pages/encoding.py")
    rows.append(("encoding, embedding-size slider", time_slider(at, "w_emb_dim", moves([16, 1], n), cpu)))

    print(f"{n} reruns per scenario: server CPU ms (AppTest, in process)")
    print_table(rows)
    print("\nchart JSON sent by each page at the defaults (KB): "
          + ", ".join(f"{k} {v / 1024:.0f}" for k, v in sizes.items()))
    fwd = next(xs for name, xs in rows if name == "forward, rerun")
    ok = statistics.median(fwd) <= 100 and pct(fwd, 0.95) <= 250
    print(f"target (forward rerun: p50 ≤ 100 ms, p95 ≤ 250 ms): {'met' if ok else 'NOT met'}")
    print(json.dumps({name: round(statistics.median(xs), 1) for name, xs in rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
