"""Core benchmarks: rnnviz (NumPy) against PyTorch CPU autograd, measured in the same run.

    pip install torch            # optional, for the comparison only
    python benchmarks/core_vs_torch.py [--repeats 7]

Both sides run single-threaded in float64. Printed: the median of several repeats per case and the ratio
PyTorch / rnnviz (> 1 means rnnviz is faster). Targets: forward + full BPTT ≥ 3× at T = 20, H = 8 and
≥ 2× at T = 50, H = 32; the w_h sweep (64 values × T = 100, H = 16, every ‖dh_T/dh_t‖) ≥ 10×.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # single-threaded NumPy (must precede the import)

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import rnnviz as rv  # noqa: E402

TARGETS = {"lstm_fwd_bptt_T20_H8": 3.0, "lstm_fwd_bptt_T50_H32": 2.0, "wh_sweep_64x100_H16": 10.0}


def median_time(fn, repeats: int, inner: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times)


def rnnviz_lstm(T: int, H: int, D: int = 16):
    rng = np.random.default_rng(0)
    cell = rv.LSTM(D, H, seed=0)
    x = rng.standard_normal((T, D))
    dh = rng.standard_normal((T, H))

    def run():
        tr = cell.forward(x)
        return cell.backward(tr, dh)

    return run


def torch_lstm(torch, T: int, H: int, D: int = 16):
    rng = np.random.default_rng(0)
    m = torch.nn.LSTM(D, H, batch_first=True).double()
    x = torch.tensor(rng.standard_normal((1, T, D)), requires_grad=True)
    dh = torch.tensor(rng.standard_normal((1, T, H)))

    def run():
        m.zero_grad(set_to_none=True)
        out, _ = m(x)
        out.backward(dh)

    return run


def rnnviz_sweep(T: int, H: int, K: int):
    cell = rv.SimpleRNN(H, H, seed=0)
    x = np.random.default_rng(0).standard_normal((T, H))
    grid = np.linspace(0.0, 3.0, K)
    return lambda: rv.wh_sweep(cell, x, grid)


def torch_sweep(torch, T: int, H: int, K: int):
    """The obvious PyTorch way: per w_h, one forward with autograd, then dh_T/dh_t for every t by
    backpropagating each of the H output units (torch.autograd.grad over the kept hidden states)."""
    cell = rv.SimpleRNN(H, H, seed=0)
    Q = torch.tensor(rv.recurrent_direction(cell))
    W_xh, b = torch.tensor(cell.W_xh), torch.tensor(cell.b_h)
    x = torch.tensor(np.random.default_rng(0).standard_normal((T, H)))
    grid = np.linspace(0.0, 3.0, K)

    def run():
        out = np.empty((K, T))
        for k, w in enumerate(grid):
            W_hh = float(w) * Q
            h = torch.zeros(H, dtype=torch.float64)
            hs = []
            for t in range(T):
                h = h.detach().requires_grad_(True) if t == 0 else h
                hs.append(h)
                h = torch.tanh(x[t] @ W_xh + h @ W_hh + b)
            hs = [*hs[1:], h]  # h_1..h_T
            rows = [torch.autograd.grad(h[i], hs, retain_graph=True, allow_unused=True) for i in range(H)]
            for t in range(T):
                zero = torch.zeros(H, dtype=torch.float64)
                J = torch.stack([r[t] if r[t] is not None else zero for r in rows])
                out[k, t] = float(torch.linalg.matrix_norm(J, ord=2))
        return out

    return run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: `pip install torch` to compare; timing rnnviz alone.")
        torch = None
    if torch is not None:
        torch.set_num_threads(1)
    rows = []
    cases = [
        ("lstm_fwd_bptt_T20_H8", lambda: rnnviz_lstm(20, 8), lambda: torch_lstm(torch, 20, 8), 50),
        ("lstm_fwd_bptt_T50_H32", lambda: rnnviz_lstm(50, 32), lambda: torch_lstm(torch, 50, 32), 20),
        ("wh_sweep_64x100_H16", lambda: rnnviz_sweep(100, 16, 64),
         lambda: torch_sweep(torch, 100, 16, 64), 1),
    ]
    for name, ours, theirs, inner in cases:
        t_ours = median_time(ours(), args.repeats, inner)
        reps = args.repeats if inner > 1 else max(3, args.repeats // 2)
        t_theirs = median_time(theirs(), reps, inner) if torch is not None else float("nan")
        rows.append((name, t_ours, t_theirs))
    print(f"{'case':26s} {'rnnviz':>12s} {'pytorch':>12s} {'ratio':>8s} {'target':>8s}")
    ok = True
    for name, a, b in rows:
        ratio = b / a
        tgt = TARGETS[name]
        ok &= not (ratio < tgt)
        print(f"{name:26s} {a * 1e3:10.3f}ms {b * 1e3:10.3f}ms {ratio:7.1f}× {tgt:6.1f}× "
              f"{'ok' if ratio >= tgt else ('-' if np.isnan(ratio) else 'MISSED')}")
    return 0 if ok or torch is None else 1


if __name__ == "__main__":
    raise SystemExit(main())
