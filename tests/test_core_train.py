"""Training on the seeds' two datasets reaches 100 % accuracy; SGD and Adam; history and snapshots."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import rnnviz as rv
from rnnviz import presets

REVIEWS = [("movie was good", 1), ("movie was bad", 0), ("movie was not good", 0)]
CAT_MAT_RAT = [("cat mat rat", 1), ("rat rat rat", 1), ("mat mat cat", 0)]


def _data(pairs):
    vocab = rv.Vocabulary.from_texts([s for s, _ in pairs])
    return vocab, [rv.one_hot(s, vocab) for s, _ in pairs], [y for _, y in pairs]


@pytest.mark.parametrize("pairs", [REVIEWS, CAT_MAT_RAT], ids=["reviews", "cat_mat_rat"])
@pytest.mark.parametrize("optimizer,lr,epochs", [("sgd", 0.5, 300), ("adam", 0.05, 200)])
def test_simple_rnn_3_reaches_full_training_accuracy(pairs, optimizer, lr, epochs):
    vocab, xs, ys = _data(pairs)
    cell, head = rv.SimpleRNN(len(vocab), 3, seed=0), rv.SigmoidHead.init(3, seed=0)
    cfg = rv.TrainConfig(optimizer=optimizer, lr=lr, epochs=epochs, snapshot_epochs=(1, epochs))
    res = rv.train(cell, head, xs, ys, cfg)
    h = res.history
    assert h.accuracy[-1] == 1.0
    assert h.loss[-1] < 0.5 * h.loss[0]
    assert set(h.snapshots) == {1, epochs}
    assert h.loss.shape == h.grad_norm.shape == (epochs,)
    _, acc, preds = rv.evaluate(res.cell, res.head, xs, ys)
    assert acc == 1.0 and np.all((preds >= 0.5) == np.array(ys, bool))


def test_training_is_deterministic_and_does_not_mutate_the_start():
    vocab, xs, ys = _data(REVIEWS)
    cell, head = rv.LSTM(len(vocab), 2, seed=1), rv.SigmoidHead.init(2, seed=1)
    W0 = cell.W_hh.copy()
    cfg = rv.TrainConfig(epochs=20, batch_size=1, seed=3)
    a, b = rv.train(cell, head, xs, ys, cfg), rv.train(cell, head, xs, ys, cfg)
    np.testing.assert_array_equal(a.history.loss, b.history.loss)
    np.testing.assert_array_equal(cell.W_hh, W0)


def test_clipping_caps_each_update():
    vocab, xs, ys = _data(CAT_MAT_RAT)
    cell, head = rv.GRU(len(vocab), 3, seed=0), rv.SigmoidHead.init(3, seed=0)
    res = rv.train(cell, head, xs, ys, rv.TrainConfig(optimizer="sgd", lr=0.1, epochs=3, clip_norm=1e-4))
    assert res.history.clipped.all()
    moved = np.sqrt(sum(np.sum((res.cell.params[k] - cell.params[k]) ** 2) for k in cell.params))
    assert moved <= 3 * 0.1 * 1e-4 * (1 + 1e-9)


def test_train_config_errors():
    with pytest.raises(ValueError, match="'rmsprop'"):
        rv.TrainConfig(optimizer="rmsprop")
    with pytest.raises(ValueError, match="lr"):
        rv.TrainConfig(lr=0)
    with pytest.raises(ValueError, match="labels"):
        rv.train(rv.SimpleRNN(2, 2), rv.SigmoidHead.init(2), [np.ones((2, 2))], [1, 0])


# --------------------------------------------------------------------------------------------------------
# Batched BPTT, callbacks, divergence and parity with PyTorch training (issue 12)
# --------------------------------------------------------------------------------------------------------

TRAIN_REF = np.load(Path(__file__).parent / "reference" / "train_reference.npz")
TRAIN_CASES = sorted({k.split("/", 1)[0] for k in TRAIN_REF.files})


def _cells(D: int, H: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    out = [rv.SimpleRNN(D, H, activation="tanh", seed=seed), rv.SimpleRNN(D, H, activation="relu", seed=seed),
           rv.LSTM(D, H, seed=seed), rv.GRU(D, H, seed=seed)]
    # larger weights than the initialisation, so gates and relus see both signs
    return [c.replace(**{k: v + 0.4 * rng.standard_normal(v.shape) for k, v in c.params.items()})
            for c in out]


@pytest.mark.parametrize("cell", _cells(6, 4), ids=["tanh", "relu", "lstm", "gru"])
@pytest.mark.parametrize("lengths", [[5] * 7, [5, 2, 1, 4, 5, 3, 2]], ids=["equal", "padded"])
def test_batched_bptt_sums_the_per_sentence_gradients(cell, lengths):
    rng = np.random.default_rng(5)
    D = cell.input_size
    xs = [rv.one_hot_ids(rng.integers(0, D, n), D) for n in lengths]
    y = rng.integers(0, 2, len(xs)).astype(float)
    head = rv.SigmoidHead.init(cell.hidden_size, seed=2)
    X, n = rv.pad_batch(xs)
    assert X.shape == (len(xs), max(lengths), D) and n.tolist() == lengths
    step = rv.batch_many_to_one(cell, head, X, y, n)
    np.testing.assert_allclose(rv.batch_last_hidden(cell, X, n), [cell.forward(x).h[-1] for x in xs],
                               rtol=1e-13, atol=1e-14)
    total: dict[str, np.ndarray] = {}
    for x, label, yhat, loss in zip(xs, y, step.yhat, step.loss, strict=True):
        ex = rv.many_to_one(cell, head, x, label)
        assert yhat == pytest.approx(ex.yhat, abs=1e-14)
        assert loss == pytest.approx(ex.loss, abs=1e-13)
        for k, g in {**ex.grads.params, **ex.head.grads}.items():
            total[k] = total.get(k, 0.0) + g
    assert set(total) == set(step.grads)
    for k, g in total.items():
        np.testing.assert_allclose(step.grads[k], g, rtol=1e-12, atol=1e-14, err_msg=k)


def test_batched_bptt_rejects_bad_shapes_and_labels():
    cell, head = rv.GRU(3, 2), rv.SigmoidHead.init(2)
    with pytest.raises(ValueError, match=r"\(N, T, 3\)"):
        rv.batch_many_to_one(cell, head, np.zeros((2, 4, 5)), [0, 1])
    with pytest.raises(ValueError, match="labels"):
        rv.batch_many_to_one(cell, head, np.zeros((2, 4, 3)), [0, 2])
    with pytest.raises(ValueError, match=r"lengths must be 2 integers in 1..4"):
        rv.batch_many_to_one(cell, head, np.zeros((2, 4, 3)), [0, 1], lengths=[0, 4])


def _torch_start(case: dict, kind: str):
    sd = {k[3:]: v for k, v in case.items() if k.startswith("sd/")}
    if kind.startswith("rnn"):
        cell = rv.SimpleRNN.from_torch(sd, activation=kind[4:])
    else:
        cell = (rv.LSTM if kind == "lstm" else rv.GRU).from_torch(sd)
    return cell, rv.SigmoidHead(case["w_o"], float(case["b_o"][0]))


@pytest.mark.parametrize("name", TRAIN_CASES)
def test_training_matches_pytorch_sgd_adam_and_clipping(name):
    case = {k.split("/", 1)[1]: TRAIN_REF[k] for k in TRAIN_REF.files if k.startswith(name + "/")}
    kind = name.split("_", 1)[1].rsplit("_", 1)[0]
    cell, head = _torch_start(case, kind)
    lr, clip, epochs, adam = case["config"]
    ids = np.split(case["ids"], np.cumsum(case["lengths"])[:-1])
    xs = [rv.one_hot_ids(s, cell.input_size) for s in ids]
    cfg = rv.TrainConfig(optimizer="adam" if adam else "sgd", lr=float(lr), epochs=int(epochs),
                         clip_norm=float(clip) if clip > 0 else None)
    res = rv.train(cell, head, xs, list(case["ys"]), cfg)
    np.testing.assert_allclose(res.history.grad_norm, case["grad_norm"], rtol=1e-10)
    np.testing.assert_allclose(res.history.loss, case["loss"], rtol=1e-10)
    if clip > 0:
        np.testing.assert_array_equal(res.history.clipped, case["grad_norm"] > clip)
    final = {k[6:]: v for k, v in case.items() if k.startswith("final/")}
    got = res.cell.to_torch()
    for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0"):
        np.testing.assert_allclose(got[k], final[k], rtol=1e-9, atol=1e-12, err_msg=k)
    if kind == "gru":
        np.testing.assert_allclose(got["bias_hh_l0"], final["bias_hh_l0"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.head.w_o, final["w_o"], rtol=1e-9, atol=1e-12)
    assert res.head.b_o == pytest.approx(float(final["b_o"][0]), rel=1e-9, abs=1e-12)


def test_callback_sees_every_epoch_and_can_stop():
    vocab, xs, ys = _data(REVIEWS)
    seen = []

    def cb(report: rv.EpochReport) -> bool:
        seen.append((report.epoch, report.loss, report.cell.W_hh.copy()))
        return report.epoch == 4

    cell, head = rv.LSTM(len(vocab), 3, seed=0), rv.SigmoidHead.init(3, seed=0)
    res = rv.train(cell, head, xs, ys, rv.TrainConfig(epochs=50, snapshot_epochs=(0, 2, 4, 9)), callback=cb)
    h = res.history
    assert [s[0] for s in seen] == [1, 2, 3, 4]
    assert h.stop_reason == "stopped" and h.epochs_run == 4 and h.diverged_at is None
    assert h.loss.shape == h.accuracy.shape == h.grad_norm.shape == h.clipped.shape == (4,)
    np.testing.assert_array_equal(h.loss, [s[1] for s in seen])
    np.testing.assert_array_equal(res.cell.W_hh, seen[-1][2])  # the result is the stopped state
    assert set(h.snapshots) == {0, 2, 4}
    np.testing.assert_array_equal(h.snapshots[0]["W_hh"], cell.W_hh)
    assert h.initial_loss == pytest.approx(rv.evaluate(cell, head, xs, ys)[0])


def test_too_high_learning_rate_diverges_as_data_and_clipping_rescues_it():
    """The Train page's named fix: ReLU SimpleRNN(16), SGD η = 5 on the generated reviews explodes to an
    infinite gradient (reported, not raised); the same run with clipping at 1 converges."""
    pairs = presets.sentiment_set(60, 0)
    vocab, xs, ys = _data(pairs)
    cell = rv.SimpleRNN(len(vocab), 16, activation="relu", seed=0)
    head = rv.SigmoidHead.init(16, seed=0)
    cfg = rv.TrainConfig(optimizer="sgd", lr=5.0, epochs=150)
    wild = rv.train(cell, head, xs, ys, cfg)
    h = wild.history
    assert h.stop_reason == "diverged" and h.diverged_at == h.epochs_run < 150
    assert np.isnan(h.loss[-1]) and np.isnan(h.accuracy[-1]) and not np.isfinite(h.grad_norm[-1])
    assert np.isfinite(h.loss[:-1]).all()
    assert all(np.isfinite(p).all() for p in wild.cell.params.values())  # the last finite parameters
    tamed = rv.train(cell, head, xs, ys, replace(cfg, clip_norm=1.0)).history
    assert tamed.stop_reason == "done" and np.isfinite(tamed.loss).all()
    assert tamed.clipped.any() and tamed.loss[-1] < 0.5 * tamed.initial_loss
