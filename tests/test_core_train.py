"""Training on the seeds' two datasets reaches 100 % accuracy; SGD and Adam; history and snapshots."""

import numpy as np
import pytest

import rnnviz as rv

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
