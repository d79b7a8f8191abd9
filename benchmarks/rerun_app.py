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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from apptiming import baseline, open_app, pct, print_table, time_slider

LONG = "the film was not good at all and the plot was a mess | 0"



def moves(values: list[int], n: int) -> list[int]:
    return [values[i % len(values)] for i in range(n)]




def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=30)
    n = parser.parse_args().moves

    rows = [("baseline (trivial script)", baseline("1, 40, 1", moves(list(range(2, 41)), n)))]
    at = open_app("pages/forward.py")
    rows.append(("forward, step slider (defaults)", time_slider(at, "w_step", moves([2, 3, 1], n))))
    at = open_app("pages/forward.py", corpus=LONG, cell="LSTM", hidden=16)
    rows.append(("forward, step slider (LSTM, H=16, T=12)",
                 time_slider(at, "w_step", moves([*range(2, 13), 1], n))))
    at = open_app("pages/encoding.py")
    rows.append(("encoding, embedding-size slider", time_slider(at, "w_emb_dim", moves([16, 1], n))))

    print(f"{n} slider moves per scenario, one AppTest rerun each (ms)")
    print_table(rows)
    fwd = rows[1][1]
    ok = statistics.median(fwd) <= 100 and pct(fwd, 0.95) <= 250
    print(f"target (forward at defaults: p50 ≤ 100 ms, p95 ≤ 250 ms): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
