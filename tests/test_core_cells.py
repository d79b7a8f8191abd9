"""Cells: the seeds' worked numbers, invariants, initialisation, and errors that name the bad value."""

import subprocess
import sys

import numpy as np
import pytest

import rnnviz as rv

CELLS = [lambda D, H, s=0: rv.SimpleRNN(D, H, seed=s), lambda D, H, s=0: rv.SimpleRNN(D, H, "relu", seed=s),
         lambda D, H, s=0: rv.LSTM(D, H, seed=s), lambda D, H, s=0: rv.GRU(D, H, seed=s)]
IDS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]


def test_import_does_not_pull_ui_libraries():
    code = "import sys, rnnviz; print(sorted(m for m in ('streamlit','plotly','pandas') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_seed_parameter_counts():
    # Keras SimpleRNN(3) on (4, 5) + Dense(1): 27 + 4 = 31; LSTM 108 + 4; GRU (reset_after) 90 + 4
    assert rv.SimpleRNN(5, 3).num_params() == 27
    assert rv.LSTM(5, 3).num_params() == 108
    assert rv.GRU(5, 3).num_params() == 90
    assert rv.SigmoidHead.init(3).num_params() == 4


def test_seed_shapes_row_vector_convention():
    cell = rv.SimpleRNN(5, 3)
    assert cell.W_xh.shape == (5, 3) and cell.W_hh.shape == (3, 3) and cell.b_h.shape == (3,)
    x = rv.one_hot("movie was not good", rv.Vocabulary.from_texts(["movie was good", "movie was bad",
                                                                   "movie was not good"]))
    tr = cell.forward(x)
    # x_t (1,5)·W_xh (5,3) picks row id of W_xh
    np.testing.assert_array_equal(tr.x_part[2], cell.W_xh[4])
    np.testing.assert_allclose(tr.h[0], np.tanh(cell.W_xh[0] + cell.b_h))
    np.testing.assert_allclose(tr.h[1], np.tanh(cell.W_xh[1] + tr.h[0] @ cell.W_hh + cell.b_h))
    np.testing.assert_array_equal(tr.h_prev[1:], tr.h[:-1])


@pytest.mark.parametrize("make", CELLS, ids=IDS)
def test_same_seed_same_weights_other_seed_other_weights(make):
    a, b, c = make(4, 3, 7), make(4, 3, 7), make(4, 3, 8)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert not np.array_equal(a.W_xh, c.W_xh)


@pytest.mark.parametrize("make", CELLS, ids=IDS)
def test_keras_like_initialisation(make):
    cell = make(6, 4, 3)
    H, G = 4, cell.n_blocks
    limit = np.sqrt(6 / (6 + G * H))
    assert np.abs(cell.W_xh).max() <= limit
    # orthogonal recurrent kernel: its rows are orthonormal (H <= G·H)
    np.testing.assert_allclose(cell.W_hh @ cell.W_hh.T, np.eye(H), atol=1e-12)
    biases = {k: v for k, v in cell.params.items() if k.startswith("b")}
    if cell.kind == "LSTM":
        np.testing.assert_array_equal(cell.gate_block(cell.b_h, "f"), 1.0)  # unit forget bias
        np.testing.assert_array_equal(np.delete(cell.b_h, np.s_[H : 2 * H]), 0.0)
    else:
        assert all(np.all(b == 0) for b in biases.values())


def test_lstm_invariants():
    cell = rv.LSTM(3, 4, seed=2)
    x = np.random.default_rng(0).standard_normal((9, 3)) * 3
    tr = cell.forward(x, h0=np.full(4, 0.3), c0=np.full(4, -0.7))
    g = tr.gates
    for name in "ifo":
        assert np.all((g[name] > 0) & (g[name] < 1))
    assert np.all(np.abs(g["g"]) < 1)
    np.testing.assert_allclose(tr.c, g["f"] * tr.c_prev + g["i"] * g["g"], rtol=1e-14)
    np.testing.assert_allclose(tr.h, g["o"] * np.tanh(tr.c), rtol=1e-14)
    np.testing.assert_array_equal(tr.c_prev[0], -0.7)
    assert set(g) == {"i", "f", "g", "o"}


def test_gru_invariants_and_convention():
    cell = rv.GRU(3, 4, seed=2)
    x = np.random.default_rng(1).standard_normal((7, 3)) * 3
    tr = cell.forward(x, h0=np.full(4, 0.5))
    r, z, n = tr.gates["r"], tr.gates["z"], tr.gates["n"]
    assert np.all((r > 0) & (r < 1)) and np.all((z > 0) & (z < 1)) and np.all(np.abs(n) < 1)
    # z is the share of the old state that is kept (PyTorch/Keras), not the share of the candidate
    np.testing.assert_allclose(tr.h, (1 - z) * n + z * tr.h_prev, rtol=1e-13)
    H = 4
    hn = tr.h_part[:, 2 * H :] + cell.b_hh[2 * H :]
    np.testing.assert_allclose(n, np.tanh(tr.x_part[:, 2 * H :] + cell.b_xh[2 * H :] + r * hn), rtol=1e-13)


def test_simple_rnn_has_no_gates_and_relu_derivative_at_zero_is_zero():
    cell = rv.SimpleRNN(2, 2, activation="relu").replace(W_xh=np.zeros((2, 2)), W_hh=np.zeros((2, 2)))
    tr = cell.forward(np.ones((3, 2)))
    assert dict(tr.gates) == {} and set(tr.pre) == {"a"}
    np.testing.assert_array_equal(tr.pre["a"], 0.0)  # a = 0 exactly
    g = cell.backward(tr, np.ones((3, 2)))
    np.testing.assert_array_equal(g.W_xh, 0.0)  # relu'(0) = 0
    np.testing.assert_array_equal(g.dh0, 0.0)


def test_trace_is_read_only():
    tr = rv.LSTM(2, 2).forward(np.ones((2, 2)))
    with pytest.raises(TypeError):
        tr.gates["i"] = np.zeros((2, 2))
    with pytest.raises(AttributeError):
        tr.h = None
    with pytest.raises(ValueError):
        rv.LSTM(2, 2).W_xh[0, 0] = 1.0


@pytest.mark.parametrize("make", CELLS, ids=IDS)
def test_forward_errors_name_the_shape(make):
    cell = make(3, 2)
    with pytest.raises(ValueError, match=r"\(0, 3\)"):
        cell.forward(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"\(4, 5\)"):
        cell.forward(np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"\(3,\)"):
        cell.forward(np.zeros(3))
    with pytest.raises(ValueError, match="h0"):
        cell.forward(np.zeros((2, 3)), h0=np.zeros(3))
    if cell.kind == "LSTM":
        with pytest.raises(ValueError, match="c0"):
            cell.forward(np.zeros((2, 3)), c0=np.zeros(5))
    else:
        with pytest.raises(ValueError, match="only for an LSTM"):
            cell.forward(np.zeros((2, 3)), c0=np.zeros(2))


def test_constructor_errors():
    with pytest.raises(ValueError, match="'sigmoid'"):
        rv.SimpleRNN(3, 2, activation="sigmoid")
    with pytest.raises(ValueError, match="hidden_size"):
        rv.LSTM(3, 0)
    with pytest.raises(ValueError, match="input_size"):
        rv.GRU(2.5, 3)


def _sd(kind, D=3, H=2, rng=None):
    rng = rng or np.random.default_rng(0)
    G = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    return {"weight_ih_l0": rng.standard_normal((G * H, D)), "weight_hh_l0": rng.standard_normal((G * H, H)),
            "bias_ih_l0": rng.standard_normal(G * H), "bias_hh_l0": rng.standard_normal(G * H)}


@pytest.mark.parametrize("kind,cls", [("rnn", rv.SimpleRNN), ("lstm", rv.LSTM), ("gru", rv.GRU)])
def test_from_torch_refuses_bad_state_dicts(kind, cls):
    sd = _sd(kind)
    cell = cls.from_torch(sd)
    assert (cell.input_size, cell.hidden_size) == (3, 2)
    with pytest.raises(ValueError, match="bias_hh_l0"):
        cls.from_torch({k: v for k, v in sd.items() if k != "bias_hh_l0"})
    with pytest.raises(ValueError, match="extra_key"):
        cls.from_torch({**sd, "extra_key": np.zeros(1)})
    with pytest.raises(ValueError, match="_l1"):
        cls.from_torch({**sd, **{k.replace("_l0", "_l1"): v for k, v in sd.items()}})
    with pytest.raises(ValueError, match="reverse"):
        cls.from_torch({**sd, **{k + "_reverse": v for k, v in sd.items()}})
    bad = dict(sd, weight_hh_l0=np.zeros((sd["weight_hh_l0"].shape[0], 3)))
    with pytest.raises(ValueError, match=r"weight_hh_l0 has shape"):
        cls.from_torch(bad)
    with pytest.raises(ValueError, match=r"bias_ih_l0 has shape \(5,\)"):
        cls.from_torch(dict(sd, bias_ih_l0=np.zeros(5)))
    with pytest.raises(ValueError, match=r"weight_ih_l0 has shape"):
        cls.from_torch(dict(sd, weight_ih_l0=np.zeros((7, 3))))


def test_from_keras_gru_needs_reset_after_layout():
    rng = np.random.default_rng(0)
    k, rk = rng.standard_normal((4, 6)), rng.standard_normal((2, 6))
    cell = rv.GRU.from_keras(k, rk, rng.standard_normal((2, 6)))
    # Keras z, r, h → rnnviz r, z, n
    np.testing.assert_array_equal(cell.gate_block(cell.W_xh, "z"), k[:, :2])
    np.testing.assert_array_equal(cell.gate_block(cell.W_xh, "r"), k[:, 2:4])
    with pytest.raises(ValueError, match="reset_after"):
        rv.GRU.from_keras(k, rk, np.zeros(6))
    with pytest.raises(ValueError, match="recurrent_kernel"):
        rv.LSTM.from_keras(k, rk, np.zeros(6))
    with pytest.raises(ValueError, match="kernel has shape"):
        rv.SimpleRNN.from_keras(np.zeros((4, 3)), np.zeros((2, 2)), np.zeros(2))


def test_replace_validates_and_keeps_the_original():
    cell = rv.SimpleRNN(3, 2)
    new = cell.replace(W_hh=np.eye(2) * 2)
    np.testing.assert_array_equal(new.W_hh, np.eye(2) * 2)
    assert not np.array_equal(cell.W_hh, new.W_hh)
    with pytest.raises(ValueError, match=r"W_hh has shape \(3, 3\)"):
        cell.replace(W_hh=np.eye(3))


# --------------------------------------------------------------------------- the public base and the registry


def test_registry_knows_every_kind_once():
    assert rv.CELL_KINDS == ("SimpleRNN", "LSTM", "GRU")
    for kind, cls in rv.CELL_CLASSES.items():
        assert issubclass(cls, rv.Cell) and cls.kind == kind and rv.cell_class(kind) is cls
        assert len(cls.gate_names) == (cls.n_blocks if cls.n_blocks > 1 else 0)
        assert sorted(cls.keras_gate_names) == sorted(cls.gate_names)
        assert cls.keras_name == {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}[kind]
    with pytest.raises(TypeError):
        rv.CELL_CLASSES["RNN"] = rv.SimpleRNN  # one registry for every user of the process
    with pytest.raises(ValueError, match=r"SimpleRNN, LSTM, GRU, got 'Elman'"):
        rv.cell_class("Elman")


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_make_cell_is_the_constructor_with_the_same_seed(kind):
    cell = rv.make_cell(kind, 5, 3, seed=4)
    same = rv.cell_class(kind)(5, 3, seed=4)
    assert type(cell) is rv.cell_class(kind)
    for name in cell.params:
        np.testing.assert_array_equal(cell.params[name], same.params[name])
    # Keras' count G·(D·H + H·H + B·H), from the class alone: 27, 108, 90 for the seeds' (5, 3)
    assert cell.num_params() == rv.cell_class(kind).count_params(5, 3) == {"SimpleRNN": 27, "LSTM": 108,
                                                                           "GRU": 90}[kind]


def test_make_cell_activation_is_for_a_simple_rnn_only():
    assert rv.make_cell("SimpleRNN", 3, 2, "relu").activation == "relu"
    lstm = rv.make_cell("LSTM", 3, 2, "relu")  # the sidebar may still say relu: a gated cell keeps tanh
    assert lstm.activation == "tanh" and lstm.forward(np.ones((2, 3))).activation == "tanh"
    with pytest.raises(ValueError, match="'sigmoid'"):
        rv.make_cell("SimpleRNN", 3, 2, "sigmoid")
    assert rv.LSTM.activation_kwargs("relu") == {}
    assert rv.SimpleRNN.activation_kwargs("relu") == {"activation": "relu"}


def test_parameters_and_gradients_are_real_attributes():
    # visible on the class (an editor, help() and dir() see them), not produced by __getattr__
    for cls, names in ((rv.SimpleRNN, ("W_xh", "W_hh", "b_h")), (rv.LSTM, ("W_xh", "W_hh", "b_h")),
                       (rv.GRU, ("W_xh", "W_hh", "b_xh", "b_hh"))):
        for name in names:
            assert isinstance(getattr(cls, name), property), (cls.kind, name)
    for name in ("W_xh", "W_hh", "b_h", "b_xh", "b_hh"):
        assert isinstance(getattr(rv.Grads, name), property)
    assert not hasattr(rv.Cell, "__getattr__") and not hasattr(rv.Grads, "__getattr__")
    gru = rv.GRU(3, 2)
    g = gru.backward(gru.forward(np.ones((2, 3))), np.ones((2, 2)))
    assert g.b_hh is g.params["b_hh"] and not hasattr(g, "b_h") and not hasattr(gru, "b_h")
    with pytest.raises(AttributeError, match="b_h"):
        _ = g.b_h
    with pytest.raises(AttributeError):
        gru.W_hh = np.zeros((2, 6))  # read-only: replace() makes a new cell


def test_what_a_kind_is_reads_from_the_class():
    assert [c.label for c in (rv.SimpleRNN(2, 3, "relu"), rv.LSTM(2, 3), rv.GRU(2, 3))] == [
        "SimpleRNN (relu)", "LSTM", "GRU"]
    assert [c.state_size for c in (rv.SimpleRNN(2, 3), rv.LSTM(2, 3), rv.GRU(2, 3))] == [3, 6, 3]
    assert rv.SimpleRNN.act_grad_max == 1.0 and rv.LSTM.act_grad_max is None
    assert repr(rv.SimpleRNN(2, 3)) == "SimpleRNN(input_size=2, hidden_size=3, activation='tanh')"
    assert repr(rv.GRU(2, 3)) == "GRU(input_size=2, hidden_size=3)"


@pytest.mark.parametrize("make", CELLS, ids=IDS)
def test_keras_and_torch_round_trips(make):
    cell = _random_biases(make(4, 3, 2), np.random.default_rng(1))
    kw = rv.cell_class(cell.kind).activation_kwargs(cell.activation)
    cls = type(cell)
    for again in (cls.from_keras(*cell.to_keras(), **kw), cls.from_torch(cell.to_torch(), **kw)):
        assert again.activation == cell.activation
        for name in cell.params:
            np.testing.assert_array_equal(again.params[name], cell.params[name])
    if cell.kind == "GRU":  # Keras stacks z, r, h
        k = cell.to_keras()
        np.testing.assert_array_equal(k[0][:, :3], cell.gate_block(cell.W_xh, "z"))
        np.testing.assert_array_equal(k[2][1, 3:6], cell.gate_block(cell.b_hh, "r"))


def _random_biases(cell, rng):
    return cell.replace(**{k: rng.uniform(-0.5, 0.5, v.shape) for k, v in cell.params.items()
                           if k.startswith("b")})


def test_global_norm_is_one_overflow_safe_function():
    assert rv.global_norm([np.array([3.0]), np.array([[4.0]])]) == pytest.approx(5.0)
    assert rv.global_norm([np.array([3e200, 4e200])]) == pytest.approx(5e200)  # Σ g² alone would overflow
    assert rv.global_norm([np.zeros(3), np.zeros(0)]) == 0.0
    cell = rv.SimpleRNN(2, 2)
    tr = cell.forward(np.ones((1, 2)))
    g = cell.backward(tr, np.full((1, 2), 1e200))
    assert np.isfinite(g.global_norm()) and g.global_norm() > 1e200


def test_forward_loop_reads_as_the_equations_and_batches_states():
    # the K-state loop (the w_h grid, and a batch of inputs (T, K, D)) gives each row's own forward pass
    cell = rv.LSTM(3, 2, seed=1)
    X = np.random.default_rng(0).standard_normal((4, 5, 3))  # (T, K, D)
    arrs = cell._forward(X, np.zeros((5, 2)), np.zeros((5, 2)), None)
    for k in range(5):
        tr = cell.forward(X[:, k])
        np.testing.assert_allclose(arrs["h"][:, k], tr.h, rtol=1e-14)
        np.testing.assert_allclose(arrs["gates"]["g"][:, k], tr.gates["g"], rtol=1e-14)
