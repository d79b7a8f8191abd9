"""The w_h experiment: exact norms, the physics the lecture predicts, overflow flags, vectorisation."""

import numpy as np
import pytest

import rnnviz as rv


def _long_one_hot(T, V=5, seed=0):
    return rv.one_hot_ids(np.random.default_rng(seed).integers(0, V, T), V)


def test_tanh_w_h_half_vanishes_fifty_steps_back():
    cell = rv.SimpleRNN(5, 8, seed=0)
    sweep = rv.wh_sweep(cell, _long_one_hot(51), 0.5)
    assert sweep.T == 51 and sweep.steps_back[0] == 50
    assert sweep.jac_norm[0, 0] < 1e-10
    assert sweep.jac_norm[0, -1] == pytest.approx(1.0)


def test_relu_hidden_size_one_is_the_scalar_w_h_power():
    # inputs that keep the unit active: x_t w_in > 0 every step, so relu' = 1 and dh_T/dh_t = w_h^(T−t)
    cell = rv.SimpleRNN(1, 1, activation="relu").replace(W_xh=np.array([[1.0]]))
    sweep = rv.wh_sweep(cell, np.ones((61, 1)), [1.5])
    assert sweep.jac_norm[0, 0] == pytest.approx(1.5**60, rel=1e-12)  # ≈ 3.7e10
    assert sweep.log10_jac[0, 0] == pytest.approx(60 * np.log10(1.5), rel=1e-12)
    np.testing.assert_allclose(sweep.factor_norm[0, 1:], 1.5)
    assert not sweep.overflow[0]


def test_tanh_never_exceeds_the_bound():
    rng = np.random.default_rng(3)
    for H in (1, 4, 16):
        cell = rv.SimpleRNN(6, H, seed=H)
        x = rng.standard_normal((80, 6))
        sweep = rv.wh_sweep(cell, x, np.linspace(0, 3, 31), h0=rng.uniform(-1, 1, H))
        finite = np.isfinite(sweep.log10_jac)
        assert np.all(sweep.log10_jac[finite] <= sweep.log10_bound[finite] + 1e-9)
        assert sweep.gamma == 1.0


@pytest.mark.parametrize("make", [
    lambda: rv.SimpleRNN(4, 3, seed=1), lambda: rv.SimpleRNN(4, 3, "relu", seed=1),
    lambda: rv.LSTM(4, 3, seed=1), lambda: rv.GRU(4, 3, seed=1)],
                         ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_sweep_rows_equal_single_traces(make):
    cell = make()
    x = np.random.default_rng(0).standard_normal((12, 4))
    grid = np.array([0.3, 1.0, 2.2])
    sweep = rv.wh_sweep(cell, x, grid, seed=4)
    Q = rv.recurrent_direction(cell, "orthogonal", seed=4)
    head_w = np.full(3, 1 / np.sqrt(3))
    for k, w in enumerate(grid):
        one = cell.replace(W_hh=w * Q)
        tr = one.forward(x)
        np.testing.assert_allclose(sweep.jac_norm[k], rv.jacobian_norms(one, tr), rtol=1e-9)
        step = rv.SigmoidHead(head_w, 0.0).backward(tr.h[-1], 1.0)
        dh = np.zeros_like(tr.h)
        dh[-1] = step.dh_T
        g = one.backward(tr, dh)
        np.testing.assert_allclose(sweep.loss_grad_norm[k], np.linalg.norm(g.dh, axis=1), rtol=1e-9)
        A = one.step_jacobians(tr)[:, :3, :3]
        np.testing.assert_allclose(sweep.factor_norm[k], np.linalg.norm(A, ord=2, axis=(1, 2)), rtol=1e-9)
        assert sweep.yhat[k] == pytest.approx(step.yhat)


def test_orthogonal_direction_has_unit_spectral_radius_per_block():
    for cell in (rv.SimpleRNN(3, 5), rv.LSTM(3, 5), rv.GRU(3, 5)):
        Q = rv.recurrent_direction(cell, "orthogonal", seed=2)
        for k in range(cell.n_blocks):
            block = Q[:, 5 * k : 5 * (k + 1)]
            np.testing.assert_allclose(block @ block.T, np.eye(5), atol=1e-12)
    np.testing.assert_array_equal(rv.recurrent_direction(rv.LSTM(3, 1)), np.ones((1, 4)))


def test_rescale_mode_uses_the_cells_own_w_hh():
    cell = rv.SimpleRNN(3, 4, seed=0).replace(W_hh=np.diag([0.5, -2.0, 1.0, 0.1]))
    Q = rv.recurrent_direction(cell, "rescale")
    np.testing.assert_allclose(Q, np.diag([0.25, -1.0, 0.5, 0.05]))
    with pytest.raises(ValueError, match="spectral radius"):
        rv.recurrent_direction(cell.replace(W_hh=np.zeros((4, 4))), "rescale")
    with pytest.raises(ValueError, match="'sideways'"):
        rv.wh_sweep(cell, np.ones((3, 3)), 1.0, mode="sideways")


def test_lstm_forget_product_along_the_cell_path():
    cell = rv.LSTM(4, 3, seed=0)
    x = np.random.default_rng(1).standard_normal((10, 4))
    sweep = rv.wh_sweep(cell, x, [0.5, 1.5], seed=0)
    Q = rv.recurrent_direction(cell, seed=0)
    tr = cell.replace(W_hh=1.5 * Q).forward(x)
    f = tr.gates["f"]
    expect = [np.max(np.prod(f[t + 1 :], axis=0)) for t in range(10)]
    np.testing.assert_allclose(sweep.forget_product[1], expect, rtol=1e-10)
    assert sweep.bound is None and sweep.gamma is None


def test_overflow_is_flagged_not_passed_on():
    # relu, w_h = 3, 700 steps back: 3^699 ≈ 1e333 is past float range
    cell = rv.SimpleRNN(1, 1, activation="relu").replace(W_xh=np.array([[1e-300]]))
    sweep = rv.wh_sweep(cell, np.ones((700, 1)), [0.9, 3.0])
    assert not sweep.overflow[0] and sweep.overflow_step[0] == -1
    assert sweep.overflow[1]
    t = sweep.overflow_step[1]
    assert 0 <= t < 700 - 600 and sweep.log10_jac[1, 0] > rv.LOG10_MAX
    assert np.isinf(sweep.jac_norm[1, 0]) and not np.isnan(sweep.log10_jac).any()
    # the exact value is still known as a log10
    assert sweep.log10_jac[1, 0] == pytest.approx(699 * np.log10(3.0), rel=1e-9)


def test_forward_overflow_is_flagged_with_its_step():
    cell = rv.SimpleRNN(1, 1, activation="relu").replace(W_xh=np.array([[1e300]]))
    sweep = rv.wh_sweep(cell, np.ones((20, 1)), [1.0, 3.0])
    assert sweep.forward_overflow[1] and sweep.overflow[1] and sweep.overflow_step[1] >= 0
    assert not np.isnan(sweep.log10_jac).any()


def test_sweep_rejects_bad_grids():
    with pytest.raises(ValueError, match="w_h"):
        rv.wh_sweep(rv.SimpleRNN(2, 2), np.ones((3, 2)), [[1.0, 2.0]])
    with pytest.raises(ValueError, match="w_h"):
        rv.wh_sweep(rv.SimpleRNN(2, 2), np.ones((3, 2)), [np.nan])


def test_regime_labels():
    assert rv.regime(-12.0, 99) == "vanishing"
    assert rv.regime(0.4, 99) == "stable"
    assert rv.regime(15.0, 99) == "exploding"
