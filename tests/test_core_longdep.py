"""The long-dependency experiment, retrained from its seeded code: the label is set by the first word and k
distractors follow; with the same data, hidden size and budget, the SimpleRNN fails at the largest k while
the LSTM and the GRU hold (and the SimpleRNN is fine at a small k)."""

import numpy as np
import pytest

import rnnviz as rv
from rnnviz import longdep, presets

CFG = longdep.LongDepConfig()


@pytest.fixture(scope="module")
def largest():
    k = max(CFG.ks)
    return {kind: longdep.train_one(kind, k, CFG) for kind in longdep.KINDS}


def test_simple_rnn_fails_at_the_largest_k_while_lstm_and_gru_hold(largest):
    acc = {kind: run.test_accuracy for kind, run in largest.items()}
    assert acc["SimpleRNN"] <= 0.7
    assert acc["LSTM"] >= 0.9 and acc["GRU"] >= 0.9
    assert min(acc["LSTM"], acc["GRU"]) - acc["SimpleRNN"] >= 0.25


def test_simple_rnn_holds_at_a_small_k():
    assert longdep.train_one("SimpleRNN", min(CFG.ks), CFG).test_accuracy >= 0.95


def test_the_first_word_sets_the_label_and_the_task_is_seeded():
    ids, y = longdep.make_task(7, 40, 3)
    assert ids.shape == (40, 8) and y.shape == (40,)
    vocab = longdep.vocabulary()
    first = [vocab.tokens[i] for i in ids[:, 0]]
    np.testing.assert_array_equal(y, [int(w in presets.MARATHI_PLACES) for w in first])
    assert all(vocab.tokens[i] in longdep.DISTRACTORS for i in ids[:, 1:].ravel())
    again, y_again = longdep.make_task(7, 40, 3)
    np.testing.assert_array_equal(again, ids)
    np.testing.assert_array_equal(y_again, y)
    assert not np.array_equal(longdep.make_task(7, 40, 4)[0], ids)
    assert longdep.LECTURE_K == 19 and set(rv.tokenize(presets.MAHARASHTRA_TEXT)) <= set(vocab.tokens)


def test_gradient_flow_is_the_exact_bptt_of_the_trained_model(largest):
    run = largest["LSTM"]
    flow = longdep.gradient_flow(run)
    assert flow.tokens[0] == "maharashtra" and len(flow.tokens) == longdep.LECTURE_K + 1 and flow.y == 1.0
    vocab = longdep.vocabulary()
    x = rv.one_hot_ids(vocab.encode(presets.MAHARASHTRA_TEXT), len(vocab))
    ex = rv.many_to_one(run.cell, run.head, x, 1.0)
    np.testing.assert_allclose(flow.dl_dh, np.linalg.norm(ex.grads.dh, axis=1), rtol=1e-12)
    assert flow.yhat == pytest.approx(ex.yhat)
    assert flow.reaching_first == pytest.approx(flow.dl_dh[0] / flow.dl_dh[-1])
    punjab = presets.MAHARASHTRA_TEXT.replace("Maharashtra", "Punjab")
    yhat = longdep.predictions(run, [presets.MAHARASHTRA_TEXT, punjab])
    assert yhat[0] > 0.5 > yhat[1]  # the LSTM still reads the first word 19 words later


def test_sweep_shape_callback_and_config_errors():
    cfg = longdep.LongDepConfig(ks=(2, 3), n_train=8, n_test=8, epochs=2)
    seen = []
    sw = longdep.sweep(cfg, seen.append)
    assert sw.accuracy.shape == (3, 2) and len(seen) == 6
    assert sw.run("GRU", 3).k == 3 and sw.accuracy[2, 1] == sw.run("GRU", 3).test_accuracy
    with pytest.raises(ValueError, match="ks"):
        longdep.LongDepConfig(ks=())
    with pytest.raises(ValueError, match="kinds"):
        longdep.LongDepConfig(kinds=("RNN",))
