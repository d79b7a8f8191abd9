"""Regenerate tests/reference/reference.npz from PyTorch and Keras (run by hand, not in the test run).

    pip install torch keras numpy   # Keras 3 runs on the PyTorch backend here
    KERAS_BACKEND=torch python tests/reference/make_reference.py

Every case stores its inputs, weights (in the framework's own names and layout) and the framework's outputs:
PyTorch in float64 (hidden states, every parameter gradient, dL/dx, dL/dh0, dL/dc0 for L = Σ dh ⊙ h, and
the exact Jacobian norms ‖dh_T/dh_t‖ from autograd), Keras in float32 (hidden states and parameter counts).
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np
import torch

OUT = Path(__file__).with_name("reference.npz")
torch.set_default_dtype(torch.float64)

TORCH_CASES = [  # (kind, D, H, T, nonzero initial state)
    ("rnn_tanh", 5, 3, 4, False), ("rnn_tanh", 4, 5, 7, True), ("rnn_tanh", 3, 1, 6, True),
    ("rnn_relu", 5, 3, 4, False), ("rnn_relu", 4, 5, 7, True), ("rnn_relu", 3, 1, 6, True),
    ("lstm", 5, 3, 4, False), ("lstm", 4, 5, 7, True), ("lstm", 3, 1, 6, True),
    ("gru", 5, 3, 4, False), ("gru", 4, 5, 7, True), ("gru", 3, 1, 6, True),
]
KERAS_CASES = [  # (kind, D, H, T, nonzero initial state)
    ("rnn_tanh", 5, 3, 4, False), ("rnn_relu", 4, 2, 6, True), ("lstm", 5, 3, 4, False),
    ("lstm", 4, 2, 6, True), ("gru", 5, 3, 4, False), ("gru", 4, 2, 6, True), ("rnn_tanh", 3, 1, 5, True),
]


def torch_module(kind: str, D: int, H: int) -> torch.nn.Module:
    if kind.startswith("rnn"):
        return torch.nn.RNN(D, H, nonlinearity=kind[4:], batch_first=True)
    return (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(D, H, batch_first=True)


def run_torch(m, kind, x, h0, c0):
    state = (h0[None, None], c0[None, None]) if kind == "lstm" else h0[None, None]
    out, _ = m(x[None], state)
    return out[0]


def torch_case(i: int, kind: str, D: int, H: int, T: int, nonzero: bool, rng) -> dict[str, np.ndarray]:
    torch.manual_seed(100 + i)
    m = torch_module(kind, D, H)
    with torch.no_grad():  # larger weights than the default init, so gates and relus see both signs
        for p in m.parameters():
            p.copy_(torch.tensor(rng.uniform(-0.9, 0.9, p.shape)))
    x = torch.tensor(rng.standard_normal((T, D)), requires_grad=True)
    h0 = torch.tensor(rng.uniform(-0.8, 0.8, H) if nonzero else np.zeros(H), requires_grad=True)
    c0 = torch.tensor(rng.uniform(-0.8, 0.8, H) if nonzero else np.zeros(H), requires_grad=True)
    h = run_torch(m, kind, x, h0, c0)
    dh = rng.standard_normal((T, H))
    (h * torch.tensor(dh)).sum().backward()
    case = {"x": x.detach().numpy(), "h0": h0.detach().numpy(), "dh": dh, "h": h.detach().numpy(),
            "dx": x.grad.numpy(), "dh0": h0.grad.numpy()}
    if kind == "lstm":
        case["c0"], case["dc0"] = c0.detach().numpy(), c0.grad.numpy()
        # c_t for every t: run the module step by step
        cs, hc = [], (h0.detach()[None, None], c0.detach()[None, None])
        for t in range(T):
            _, hc = m(x.detach()[None, t : t + 1], hc)
            cs.append(hc[1][0, 0].detach().numpy())
        case["c"] = np.stack(cs)
    for name, p in m.named_parameters():
        case[f"sd/{name}"] = p.detach().numpy()
        case[f"grad/{name}"] = p.grad.numpy()
    # exact ‖dh_T/dh_t‖ by autograd: restart the module at step t from h_t (c_t held fixed for an LSTM)
    xs = x.detach()
    hs = h.detach()
    norms = []
    for t in range(T):
        if t == T - 1:
            norms.append(1.0)
            continue
        c_t = torch.tensor(case["c"][t]) if kind == "lstm" else None

        def tail(h_t, t=t, c_t=c_t):
            state = (h_t[None, None], c_t[None, None]) if kind == "lstm" else h_t[None, None]
            return m(xs[None, t + 1 :], state)[0][0, -1]

        J = torch.autograd.functional.jacobian(tail, hs[t])
        norms.append(float(torch.linalg.matrix_norm(J, ord=2)))
    case["jac_norms"] = np.array(norms)
    return case


def keras_layer(kind: str, H: int):
    common = {"return_sequences": True}
    if kind.startswith("rnn"):
        return keras.layers.SimpleRNN(H, activation=kind[4:], **common)
    return (keras.layers.LSTM if kind == "lstm" else keras.layers.GRU)(H, **common)


def keras_case(kind: str, D: int, H: int, T: int, nonzero: bool, rng) -> dict[str, np.ndarray]:
    layer = keras_layer(kind, H)
    layer.build((None, T, D))
    weights = [rng.uniform(-0.9, 0.9, w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)
    x = rng.standard_normal((1, T, D)).astype("float32")
    h0 = (rng.uniform(-0.8, 0.8, (1, H)) if nonzero else np.zeros((1, H))).astype("float32")
    c0 = (rng.uniform(-0.8, 0.8, (1, H)) if nonzero else np.zeros((1, H))).astype("float32")
    init = [h0, c0] if kind == "lstm" else [h0]
    h = keras.ops.convert_to_numpy(layer(x, initial_state=init))[0]
    case = {"x": x[0], "h0": h0[0], "h": h, "kernel": weights[0], "recurrent_kernel": weights[1],
            "bias": weights[2]}
    if kind == "lstm":
        case["c0"] = c0[0]
    return case


def keras_counts() -> dict[str, np.ndarray]:
    out = {}
    for kind, layer in (("SimpleRNN", keras.layers.SimpleRNN), ("LSTM", keras.layers.LSTM),
                        ("GRU", keras.layers.GRU)):
        for D, H in ((5, 3), (4, 1), (7, 6)):
            m = keras.Sequential([keras.Input((4, D)), layer(H), keras.layers.Dense(1, activation="sigmoid")])
            out[f"count/{kind}/{D}/{H}"] = np.array([m.layers[0].count_params(), m.count_params()])
    return out


def main() -> None:
    rng = np.random.default_rng(2026)
    data: dict[str, np.ndarray] = {}
    for i, (kind, D, H, T, nonzero) in enumerate(TORCH_CASES):
        for k, v in torch_case(i, kind, D, H, T, nonzero, rng).items():
            data[f"torch/{i:02d}_{kind}_{D}_{H}_{T}/{k}"] = np.asarray(v)
    for i, (kind, D, H, T, nonzero) in enumerate(KERAS_CASES):
        keras.utils.set_random_seed(200 + i)
        for k, v in keras_case(kind, D, H, T, nonzero, rng).items():
            data[f"keras/{i:02d}_{kind}_{D}_{H}_{T}/{k}"] = np.asarray(v)
    data.update(keras_counts())
    np.savez_compressed(OUT, **data)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(data)} arrays)")


if __name__ == "__main__":
    main()
