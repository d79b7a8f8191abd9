"""Regenerate tests/reference/reference_recurrent.npz from PyTorch (run by hand, not in the test run).

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchenv/bin/python tests/reference/make_reference_recurrent.py

For every kind × {1, 2, 3 layers} × {one direction, bidirectional}: a torch.nn.RNN/LSTM/GRU in float64 with
seeded weights, one unbatched sentence x (T, D), initial states h0/c0 (num_layers·dirs, H), and
L = Σ d_output ⊙ output + Σ dh_n ⊙ h_n (+ Σ dc_n ⊙ c_n for the LSTM). Stored: the state dict, the inputs,
output, h_n, c_n, and from autograd every parameter gradient, dL/dx, dL/dh0, dL/dc0. Also the many-to-many
case: a Linear head and torch.nn.CrossEntropyLoss() (mean over the steps) on a 2-layer bidirectional GRU.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).with_name("reference_recurrent.npz")
torch.set_default_dtype(torch.float64)

KINDS = {"rnn_tanh": 5, "rnn_relu": 6, "lstm": 7, "gru": 8}  # kind → seed offset
LAYERS = (1, 2, 3)
D, H, T = 4, 3, 5


def module(kind: str, layers: int, bi: bool) -> torch.nn.Module:
    kw = {"num_layers": layers, "bidirectional": bi}
    if kind.startswith("rnn"):
        return torch.nn.RNN(D, H, nonlinearity=kind[4:], **kw)
    return (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(D, H, **kw)


def case(kind: str, layers: int, bi: bool) -> dict[str, np.ndarray]:
    rng = np.random.default_rng([KINDS[kind], layers, int(bi)])
    m = module(kind, layers, bi)
    with torch.no_grad():  # larger weights than the default init, so gates and relus see both signs
        for p in m.parameters():
            p.copy_(torch.tensor(rng.uniform(-0.8, 0.8, p.shape)))
    n = layers * (2 if bi else 1)
    x = torch.tensor(rng.standard_normal((T, D)), requires_grad=True)
    h0 = torch.tensor(rng.uniform(-0.7, 0.7, (n, H)), requires_grad=True)
    c0 = torch.tensor(rng.uniform(-0.7, 0.7, (n, H)), requires_grad=True)
    out, state = m(x, (h0, c0) if kind == "lstm" else h0)  # unbatched: x (T, D), h0 (n, H)
    h_n, c_n = state if kind == "lstm" else (state, None)
    d_out = rng.standard_normal(tuple(out.shape))
    dh_n = rng.standard_normal((n, H))
    loss = (out * torch.tensor(d_out)).sum() + (h_n * torch.tensor(dh_n)).sum()
    rec = {"x": x, "h0": h0, "output": out, "h_n": h_n, "d_output": d_out, "dh_n": dh_n}
    if kind == "lstm":
        dc_n = rng.standard_normal((n, H))
        loss = loss + (c_n * torch.tensor(dc_n)).sum()
        rec.update(c0=c0, c_n=c_n, dc_n=dc_n)
    loss.backward()
    rec.update(dx=x.grad, dh0=h0.grad)
    if kind == "lstm":
        rec["dc0"] = c0.grad
    for name, p in m.named_parameters():
        rec[f"sd/{name}"] = p
        rec[f"grad/{name}"] = p.grad
    return {k: (v.detach().numpy() if torch.is_tensor(v) else np.asarray(v)) for k, v in rec.items()}


def many_to_many_case() -> dict[str, np.ndarray]:
    """A 2-layer bidirectional GRU tagger: Linear(2H, C) head, CrossEntropyLoss over the T steps."""
    rng = np.random.default_rng(99)
    C = 4
    m = torch.nn.GRU(D, H, num_layers=2, bidirectional=True)
    head = torch.nn.Linear(2 * H, C)
    with torch.no_grad():
        for p in [*m.parameters(), *head.parameters()]:
            p.copy_(torch.tensor(rng.uniform(-0.8, 0.8, p.shape)))
    x = torch.tensor(rng.standard_normal((T, D)), requires_grad=True)
    y = rng.integers(0, C, T)
    out, _ = m(x)
    logits = head(out)
    loss = torch.nn.CrossEntropyLoss()(logits, torch.tensor(y))
    loss.backward()
    rec = {"x": x, "y": y, "probs": torch.softmax(logits, dim=1), "loss": loss, "dx": x.grad,
           "W_hy": head.weight.T, "b_y": head.bias, "grad/W_hy": head.weight.grad.T,
           "grad/b_y": head.bias.grad}
    for name, p in m.named_parameters():
        rec[f"sd/{name}"] = p
        rec[f"grad/{name}"] = p.grad
    return {k: (v.detach().numpy() if torch.is_tensor(v) else np.asarray(v)) for k, v in rec.items()}


def main() -> None:
    arrays = {}
    for kind in KINDS:
        for layers in LAYERS:
            for bi in (False, True):
                name = f"{kind}_l{layers}_{'bi' if bi else 'uni'}"
                for k, v in case(kind, layers, bi).items():
                    arrays[f"{name}/{k}"] = v
    for k, v in many_to_many_case().items():
        arrays[f"many_to_many/{k}"] = v
    arrays["meta/torch_version"] = np.array(torch.__version__)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {len(arrays)} arrays)")


if __name__ == "__main__":
    main()
