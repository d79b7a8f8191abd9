"""Regenerate tests/reference/train_reference.npz: training runs in PyTorch (float64), run by hand.

    pip install torch numpy
    python tests/reference/make_train_reference.py

Each case trains a one-layer nn.RNN / nn.LSTM / nn.GRU with a Linear(H, 1) + sigmoid head on a few one-hot
sentences of different lengths: full batch, mean binary cross-entropy, global-norm clipping of every
parameter's gradient (g · clip / ‖g‖ exactly, as Keras' global_clipnorm; clip_grad_norm_ would divide by
‖g‖ + 1e-6), then torch.optim.SGD or torch.optim.Adam. rnnviz keeps ONE bias for a SimpleRNN and an
LSTM (as Keras does), so those PyTorch modules train bias_ih_l0 only (bias_hh_l0 is zero and frozen).
Stored: the start weights, the sentences and labels, the loss and the pre-clip gradient norm of every
step, the loss after every epoch, and the final weights.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).with_name("train_reference.npz")
torch.set_default_dtype(torch.float64)

CASES = [  # (kind, D, H, optimizer, lr, clip or 0, epochs)
    ("rnn_tanh", 5, 3, "sgd", 0.5, 0.0, 6),
    ("rnn_relu", 4, 3, "adam", 0.05, 0.3, 6),
    ("lstm", 5, 3, "adam", 0.05, 0.5, 6),
    ("gru", 6, 2, "adam", 0.1, 0.2, 6),
    ("gru", 5, 3, "sgd", 1.0, 0.0, 4),
]


def module(kind: str, D: int, H: int) -> torch.nn.Module:
    if kind.startswith("rnn"):
        return torch.nn.RNN(D, H, nonlinearity=kind[4:], batch_first=True)
    return (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(D, H, batch_first=True)


def case(i: int, kind: str, D: int, H: int, opt: str, lr: float, clip: float, epochs: int, rng) -> dict:
    torch.manual_seed(300 + i)
    rnn, head = module(kind, D, H), torch.nn.Linear(H, 1)
    with torch.no_grad():
        for p in [*rnn.parameters(), *head.parameters()]:
            p.copy_(torch.tensor(rng.uniform(-0.8, 0.8, p.shape)))
        if kind != "gru":
            rnn.bias_hh_l0.zero_()
    if kind != "gru":
        rnn.bias_hh_l0.requires_grad_(False)
    lengths = rng.integers(2, 6, 5)
    ids = [rng.integers(0, D, n) for n in lengths]
    xs = [torch.eye(D)[torch.tensor(s)] for s in ids]
    ys = torch.tensor(rng.integers(0, 2, len(xs)), dtype=torch.float64)
    start = {f"sd/{k}": v.detach().numpy().copy() for k, v in rnn.state_dict().items()}
    start.update({"w_o": head.weight.detach().numpy()[0].copy(), "b_o": head.bias.detach().numpy().copy()})
    params = [p for p in [*rnn.parameters(), *head.parameters()] if p.requires_grad]
    optim = (torch.optim.SGD(params, lr=lr) if opt == "sgd"
             else torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8))

    def mean_loss() -> torch.Tensor:
        out = torch.stack([rnn(x[None])[0][0, -1] for x in xs])  # h_T of each sentence
        yhat = torch.sigmoid(head(out))[:, 0]
        return torch.nn.functional.binary_cross_entropy(yhat, ys)

    step_norm, epoch_loss = [], []
    for _ in range(epochs):
        optim.zero_grad()
        mean_loss().backward()
        norm = torch.sqrt(sum((p.grad**2).sum() for p in params))  # global norm, before clipping
        if 0 < clip < norm:  # g ← g · clip / ‖g‖ (Keras' global_clipnorm; clip_grad_norm_ adds 1e-6)
            for p in params:
                p.grad.mul_(clip / norm)
        step_norm.append(float(norm))
        optim.step()
        with torch.no_grad():
            epoch_loss.append(float(mean_loss()))
    out = {**start, "lengths": lengths, "ids": np.concatenate(ids), "ys": ys.numpy(),
           "grad_norm": np.array(step_norm), "loss": np.array(epoch_loss),
           "config": np.array([lr, clip, epochs, 1.0 if opt == "adam" else 0.0])}
    out.update({f"final/{k}": v.detach().numpy().copy() for k, v in rnn.state_dict().items()})
    out.update({"final/w_o": head.weight.detach().numpy()[0].copy(),
                "final/b_o": head.bias.detach().numpy().copy()})
    return out


def main() -> None:
    rng = np.random.default_rng(2027)
    data: dict[str, np.ndarray] = {}
    for i, (kind, D, H, opt, lr, clip, epochs) in enumerate(CASES):
        for k, v in case(i, kind, D, H, opt, lr, clip, epochs, rng).items():
            data[f"{i:02d}_{kind}_{opt}/{k}"] = np.asarray(v)
    np.savez_compressed(OUT, **data)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(data)} arrays)")


if __name__ == "__main__":
    main()
