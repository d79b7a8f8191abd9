"""How long training takes (not a test: no asserts): the Train page's default run, the lecture's fixes, the
trained lecture presets and the long-dependency sweep, each once from scratch, in seconds.

    python benchmarks/train_presets.py

Baseline (same run): one forward + backward pass of the default network over the lecture's three reviews
(rv.batch_many_to_one), the median of many. Each line prints seconds and the ratio to that baseline, so runs
on a loaded machine compare. Targets (issue 12): the default Train run ≤ 10 s; the long-dependency sweep's
first view ≤ 30 s, and instant when cached (a store lookup).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import rnnviz as rv  # noqa: E402
from rnnviz import longdep, presets  # noqa: E402
from rnnviz_app import train_view as tv  # noqa: E402

DEFAULT = {"train_cell": "SimpleRNN", "train_act": "tanh", "train_hidden": 3, "train_seed": 0,
           "train_opt": "adam", "train_lr": 0.05, "train_epochs": 200, "train_batch": 0, "train_clip": 0.0}


def baseline() -> float:
    """Median seconds of one forward + backward pass of the default network on the three reviews."""
    spec, _ = tv.spec_from(DEFAULT, tv.DATA_PRESETS["reviews"][1])
    cell, head = spec.start()
    X, lengths = rv.pad_batch(spec.inputs())
    times = []
    for _ in range(300):
        t = time.perf_counter()
        rv.batch_many_to_one(cell, head, X, spec.labels, lengths)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def timed(fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    base = baseline()
    rows: list[tuple[str, float, str]] = []

    spec, _ = tv.spec_from(DEFAULT, tv.DATA_PRESETS["reviews"][1])
    s, out = timed(lambda: tv.run(spec))
    rows.append(("Train page default run (SimpleRNN H=3, Adam, 200 epochs)", s,
                 f"target ≤ 10 s; accuracy {out.history.accuracy[-1]:.0%}"))
    for fix in tv.FIXES:
        s, out = timed(lambda fix=fix: tv.run(tv.fix_spec(fix)))
        rows.append((f"fix run: {fix.short}", s, f"{out.stop}, {out.history.epochs_run} epochs"))
    for name, fn, gate in (("preset Riya/Delhi/London LSTM", presets.riya_lstm, "f"),
                           ("preset GRU keep vs update", presets.riya_gru, "z")):
        s, p = timed(fn.__wrapped__)  # not the process cache: a fresh training
        prof = presets.gate_profile(p, gate)
        rows.append((name, s, f"{gate} at London {prof['second_city']:.2f}, test accuracy "
                              f"{p.test_accuracy:.0%}"))
    store = tv.ResultStore()
    cfg = longdep.LongDepConfig()
    s, _ = timed(lambda: tv.longdep_job(cfg, store).start().wait())
    sweep = tv.stored_sweep(cfg, store)
    acc = " ".join(f"{k}={sweep.accuracy[i, -1]:.0%}" for i, k in enumerate(sweep.kinds))
    rows.append((f"long-dependency sweep, first view ({len(cfg.ks) * len(cfg.kinds)} trainings)", s,
                 f"target ≤ 30 s; at k={max(cfg.ks)}: {acc}"))
    s, _ = timed(lambda: tv.stored_sweep(cfg, store))
    rows.append(("long-dependency sweep, cached view", s, "store lookup"))

    print(f"baseline: one forward+backward pass of the default network = {base * 1e3:.3f} ms")
    print(f"{'run':<66}{'seconds':>9}{'× baseline':>13}  note")
    for name, sec, note in rows:
        print(f"{name:<66}{sec:>9.3f}{sec / base:>13,.0f}  {note}")


if __name__ == "__main__":
    main()
