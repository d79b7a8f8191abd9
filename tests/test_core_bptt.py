"""BPTT: finite differences for every parameter of every cell, the per-step sum, heads and clipping."""

import numpy as np
import pytest

import rnnviz as rv

CELLS = [lambda D, H, s=0: rv.SimpleRNN(D, H, seed=s), lambda D, H, s=0: rv.SimpleRNN(D, H, "relu", seed=s),
         lambda D, H, s=0: rv.LSTM(D, H, seed=s), lambda D, H, s=0: rv.GRU(D, H, seed=s)]
IDS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]


def _random_biases(cell, rng):
    return cell.replace(**{k: rng.uniform(-0.5, 0.5, v.shape) for k, v in cell.params.items()
                           if k.startswith("b")})


@pytest.mark.parametrize("make", CELLS, ids=IDS)
@pytest.mark.parametrize("D,H,T", [(3, 2, 5), (4, 1, 6), (2, 4, 3)])
def test_gradcheck_every_parameter(make, D, H, T):
    rng = np.random.default_rng(D * 10 + H)
    cell = _random_biases(make(D, H, 3), rng)
    x = rng.standard_normal((T, D))
    h0 = rng.uniform(-0.5, 0.5, H)
    c0 = rng.uniform(-0.5, 0.5, H) if cell.kind == "LSTM" else None
    check = rv.gradcheck(cell, x, h0, c0)
    assert set(check.rel_error) >= set(cell.params) | {"x", "h0"}
    assert check.worst <= 1e-6, check.rel_error
    assert check.passed()


def test_gradcheck_detects_a_wrong_gradient():
    cell = rv.SimpleRNN(3, 2, seed=1)
    x = np.random.default_rng(0).standard_normal((4, 3))

    def wrong_loss(tr):  # claims dL/dh = 2·dh while L = Σ dh ⊙ h
        dh = np.ones_like(tr.h)
        return float(np.sum(tr.h)), 2 * dh

    assert rv.gradcheck(cell, x, loss=wrong_loss).worst > 0.1


@pytest.mark.parametrize("make", CELLS, ids=IDS)
def test_per_step_terms_sum_to_the_gradient(make):
    cell = make(4, 3, 1)
    rng = np.random.default_rng(5)
    tr = cell.forward(rng.standard_normal((6, 4)))
    dh = np.zeros((6, 3))
    dh[-1] = rng.standard_normal(3)  # many-to-one
    g = cell.backward(tr, dh)
    for name, total in g.params.items():
        terms = g.per_step[name]
        assert terms.shape == (6, *total.shape)
        np.testing.assert_allclose(terms.sum(0), total, rtol=1e-12, atol=1e-15)
        assert g[name] is total and getattr(g, name) is total


def test_many_to_one_total_dh_is_chained_from_the_last_step():
    cell = rv.SimpleRNN(5, 3, seed=0)
    head = rv.SigmoidHead.init(3, seed=0)
    vocab = rv.Vocabulary.from_texts(["cat mat rat"])
    ex = rv.many_to_one(cell, head, rv.one_hot("cat mat rat", vocab)[:, :3] @ np.eye(3, 5), 1)
    tr, g = ex.trace, ex.grads
    np.testing.assert_allclose(g.dh[-1], ex.head.dh_T)
    A = cell.step_jacobians(tr)  # ∂h_t/∂h_{t-1}
    np.testing.assert_allclose(g.dh[1], g.dh[2] @ A[2], rtol=1e-12)
    np.testing.assert_allclose(g.dh0, g.dh[0] @ A[0], rtol=1e-12)


def test_sigmoid_head_gradients_match_the_seeds_formulas():
    head = rv.SigmoidHead(np.array([0.5, -1.0, 2.0]), 0.1)
    h = np.array([0.2, 0.4, -0.3])
    step = head.backward(h, 1.0)
    z = h @ head.w_o + 0.1
    yhat = 1 / (1 + np.exp(-z))
    assert step.yhat == pytest.approx(yhat)
    assert step.loss == pytest.approx(-np.log(yhat))
    assert step.dL_dyhat == pytest.approx(-1 / yhat)  # −y/ŷ + (1−y)/(1−ŷ)
    np.testing.assert_allclose(step.grads["w_o"], (yhat - 1) * h)  # dL/dw_o = dL/dŷ · dŷ/dw_o
    np.testing.assert_allclose(step.dh_T, (yhat - 1) * head.w_o)


def test_softmax_head_gradient_by_finite_differences():
    rng = np.random.default_rng(0)
    head = rv.SoftmaxHead.init(3, 4, seed=1)
    h = rng.standard_normal((5, 3))
    y = [0, 3, 1, 1, 2]
    _, dh, grads = head.backward(h, y)
    eps = 1e-6
    num = np.zeros_like(h)
    for idx in np.ndindex(h.shape):
        hp, hm = h.copy(), h.copy()
        hp[idx] += eps
        hm[idx] -= eps
        num[idx] = (head.backward(hp, y)[0] - head.backward(hm, y)[0]) / (2 * eps)
    np.testing.assert_allclose(dh, num, rtol=1e-6, atol=1e-9)
    assert grads["W_hy"].shape == (3, 4)
    with pytest.raises(ValueError, match="class ids"):
        head.backward(h, [0, 1])


def test_sgd_step_lowers_the_loss_on_the_seed_review():
    vocab = rv.Vocabulary.from_texts(["movie was good", "movie was bad", "movie was not good"])
    cell, head = rv.SimpleRNN(5, 3, seed=0), rv.SigmoidHead.init(3, seed=0)
    x = rv.one_hot("movie was good", vocab)
    before = rv.many_to_one(cell, head, x, 1)
    cell2, head2 = rv.sgd_step(cell, head, before, lr=0.5)
    after = rv.many_to_one(cell2, head2, x, 1)
    assert after.loss < before.loss and after.yhat > before.yhat
    np.testing.assert_allclose(cell2.W_hh, cell.W_hh - 0.5 * before.grads.W_hh)


def test_backward_checks_its_inputs():
    cell = rv.GRU(3, 2)
    tr = cell.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"\(4, 2\)"):
        cell.backward(tr, np.ones((3, 2)))
    with pytest.raises(ValueError, match="from a GRU"):
        rv.LSTM(3, 2).backward(tr, np.ones((4, 2)))
    with pytest.raises(ValueError, match="0 or 1"):
        rv.many_to_one(cell, rv.SigmoidHead.init(2), np.ones((4, 3)), 0.5)


def test_clip_by_global_norm():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    c = rv.clip_by_global_norm(grads, 1.0)
    assert c.pre_norm == pytest.approx(5.0) and c.post_norm == pytest.approx(1.0) and c.clipped
    np.testing.assert_allclose(c.grads["a"], [0.6, 0.0])
    same = rv.clip_by_global_norm(grads, 10.0)
    assert not same.clipped and same.post_norm == pytest.approx(5.0)
    cell = rv.LSTM(3, 2)
    g = cell.backward(cell.forward(np.ones((3, 3))), np.ones((3, 2)))
    assert rv.clip_by_global_norm(g, 1e-3).pre_norm == pytest.approx(g.global_norm())
    with pytest.raises(ValueError, match="max_norm"):
        rv.clip_by_global_norm(grads, 0)
    huge = rv.clip_by_global_norm({"w": np.array([3e200, 4e200])}, 1.0)  # Σ g² alone would overflow
    assert huge.pre_norm == pytest.approx(5e200) and huge.post_norm == pytest.approx(1.0)


def test_numeric_gradient_of_a_known_function():
    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    np.testing.assert_allclose(rv.numeric_gradient(lambda v: float(np.sum(v**3)), a), 3 * a**2, rtol=1e-8)
