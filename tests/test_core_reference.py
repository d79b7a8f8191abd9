"""Parity with PyTorch (float64: states, every gradient, Jacobian norms) and Keras (float32: states, counts).

The reference file is made by tests/reference/make_reference.py with torch and keras installed; the test
run itself needs neither.
"""

from pathlib import Path

import numpy as np
import pytest

import rnnviz as rv

REF = np.load(Path(__file__).parent / "reference" / "reference.npz")


def _cases(prefix: str) -> dict[str, dict[str, np.ndarray]]:
    cases: dict[str, dict[str, np.ndarray]] = {}
    for key in REF.files:
        if key.startswith(prefix + "/"):
            _, case, name = key.split("/", 2)
            cases.setdefault(case, {})[name] = REF[key]
    return cases


TORCH = _cases("torch")
KERAS = _cases("keras")


def _kind(case_name: str) -> str:
    return case_name.split("_", 1)[1].rsplit("_", 3)[0]


def _cell_from_torch(kind: str, sd: dict):
    if kind.startswith("rnn"):
        return rv.SimpleRNN.from_torch(sd, activation=kind[4:])
    return (rv.LSTM if kind == "lstm" else rv.GRU).from_torch(sd)


def test_reference_covers_every_cell_and_hidden_size_one():
    kinds = {_kind(n) for n in TORCH}
    assert kinds == {"rnn_tanh", "rnn_relu", "lstm", "gru"}
    assert any(c["h0"].shape == (1,) for c in TORCH.values())
    assert {_kind(n) for n in KERAS} == kinds


@pytest.mark.parametrize("name", sorted(TORCH))
def test_torch_forward_backward_and_jacobians(name):
    case, kind = TORCH[name], _kind(name)
    sd = {k[3:]: v for k, v in case.items() if k.startswith("sd/")}
    cell = _cell_from_torch(kind, sd)
    c0 = case.get("c0")
    trace = cell.forward(case["x"], case["h0"], c0)
    np.testing.assert_allclose(trace.h, case["h"], rtol=1e-12, atol=1e-13)
    if kind == "lstm":
        np.testing.assert_allclose(trace.c, case["c"], rtol=1e-12, atol=1e-13)
    grads = cell.backward(trace, case["dh"])
    for torch_name, g in grads.to_torch().items():
        np.testing.assert_allclose(g, case[f"grad/{torch_name}"], rtol=1e-10, atol=1e-12, err_msg=torch_name)
    np.testing.assert_allclose(grads.dx, case["dx"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads.dh0, case["dh0"], rtol=1e-10, atol=1e-12)
    if kind == "lstm":
        np.testing.assert_allclose(grads.dc0, case["dc0"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rv.jacobian_norms(cell, trace), case["jac_norms"], rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("name", sorted(TORCH))
def test_to_torch_round_trip(name):
    case, kind = TORCH[name], _kind(name)
    sd = {k[3:]: v for k, v in case.items() if k.startswith("sd/")}
    cell = _cell_from_torch(kind, sd)
    again = _cell_from_torch(kind, cell.to_torch())
    np.testing.assert_allclose(again.forward(case["x"], case["h0"], case.get("c0")).h, case["h"], rtol=1e-12,
                               atol=1e-13)
    out = cell.to_torch()
    assert set(out) == set(sd) and all(out[k].shape == sd[k].shape for k in sd)
    if kind != "gru":  # one fused bias: PyTorch's two biases sum to it
        np.testing.assert_array_equal(out["bias_hh_l0"], 0.0)
        np.testing.assert_allclose(out["bias_ih_l0"], sd["bias_ih_l0"] + sd["bias_hh_l0"])


@pytest.mark.parametrize("name", sorted(KERAS))
def test_keras_forward_float32(name):
    case, kind = KERAS[name], _kind(name)
    args = (case["kernel"], case["recurrent_kernel"], case["bias"])
    if kind.startswith("rnn"):
        cell = rv.SimpleRNN.from_keras(*args, activation=kind[4:])
    else:
        cell = (rv.LSTM if kind == "lstm" else rv.GRU).from_keras(*args)
    trace = cell.forward(case["x"], case["h0"], case.get("c0"))
    np.testing.assert_allclose(trace.h, case["h"], rtol=1e-4, atol=2e-5)
    back = cell.to_keras()
    for ours, theirs in zip(back, args, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-7)


@pytest.mark.parametrize("kind,cls", [("SimpleRNN", rv.SimpleRNN), ("LSTM", rv.LSTM), ("GRU", rv.GRU)])
def test_parameter_counts_match_keras(kind, cls):
    for key in REF.files:
        if key.startswith(f"count/{kind}/"):
            D, H = map(int, key.split("/")[2:])
            layer_count, model_count = REF[key]
            cell = cls(D, H)
            assert cell.num_params() == layer_count
            assert cell.num_params() + rv.SigmoidHead.init(H).num_params() == model_count
