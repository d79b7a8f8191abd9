"""Stacked / bidirectional recurrent networks, many-to-many, connectivity and the encoder–decoder.

Parity with PyTorch float64 autograd (tests/reference/make_reference_recurrent.py made the committed values:
every kind × 1, 2, 3 layers × one direction / bidirectional): outputs, h_n, c_n, every parameter gradient,
dL/dx, dL/dh0, dL/dc0. The encoder–decoder and connectivity are checked against central differences.
"""

from pathlib import Path

import numpy as np
import pytest

import rnnviz as rv
from rnnviz import toy

REF = np.load(Path(__file__).parent / "reference" / "reference_recurrent.npz")
KIND = {"rnn_tanh": ("SimpleRNN", "tanh"), "rnn_relu": ("SimpleRNN", "relu"), "lstm": ("LSTM", "tanh"),
        "gru": ("GRU", "tanh")}


def _cases() -> dict[str, dict[str, np.ndarray]]:
    cases: dict[str, dict[str, np.ndarray]] = {}
    for key in REF.files:
        case, name = key.split("/", 1)
        cases.setdefault(case, {})[name] = REF[key]
    return cases


CASES = _cases()
STACKS = sorted(n for n in CASES if n.split("_l")[0] in KIND)


def _net(name: str) -> tuple[rv.Recurrent, dict[str, np.ndarray]]:
    case = CASES[name]
    kind, act = KIND[name.split("_l")[0]]
    sd = {k[3:]: v for k, v in case.items() if k.startswith("sd/")}
    return rv.Recurrent.from_torch(sd, kind, activation=act), case


def test_reference_covers_every_kind_depth_and_direction():
    assert len(STACKS) == 4 * 3 * 2
    for name in STACKS:
        net, case = _net(name)
        layers = int(name.split("_l")[1][0])
        assert net.num_layers == layers
        assert net.bidirectional == name.endswith("_bi")
        assert case["h_n"].shape == (layers * net.num_directions, net.hidden_size)


@pytest.mark.parametrize("name", STACKS)
def test_torch_parity_forward_and_backward(name):
    net, case = _net(name)
    lstm = net.kind == "LSTM"
    trace = net.forward(case["x"], case["h0"], case.get("c0"))
    np.testing.assert_allclose(trace.output, case["output"], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(trace.h_n, case["h_n"], rtol=1e-12, atol=1e-13)
    if lstm:
        np.testing.assert_allclose(trace.c_n, case["c_n"], rtol=1e-12, atol=1e-13)
    else:
        assert trace.c_n is None
    grads = net.backward(trace, case["d_output"], case["dh_n"], case.get("dc_n"))
    torch_grads = grads.to_torch()
    assert set(torch_grads) == {k[5:] for k in case if k.startswith("grad/")}
    for key, g in torch_grads.items():
        np.testing.assert_allclose(g, case[f"grad/{key}"], rtol=1e-10, atol=1e-12, err_msg=key)
    np.testing.assert_allclose(grads.dx, case["dx"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads.dh0, case["dh0"], rtol=1e-10, atol=1e-12)
    if lstm:
        np.testing.assert_allclose(grads.dc0, case["dc0"], rtol=1e-10, atol=1e-12)
    worst = max(rv.relative_error(g, case[f"grad/{k}"]) for k, g in torch_grads.items())
    assert worst < 1e-13


@pytest.mark.parametrize("name", STACKS)
def test_to_torch_round_trips_in_pytorch_key_order(name):
    net, case = _net(name)
    sd = {k[3:]: v for k, v in case.items() if k.startswith("sd/")}
    out = net.to_torch()
    assert list(out) == list(sd)  # the order of torch's state_dict()
    assert all(out[k].shape == sd[k].shape for k in sd)
    again = rv.Recurrent.from_torch(out, net.kind, activation=net.activation)
    np.testing.assert_allclose(again.forward(case["x"], case["h0"], case.get("c0")).output, case["output"],
                               rtol=1e-12, atol=1e-13)


def test_layer_traces_are_the_cells_own_and_the_backward_direction_reads_from_the_end():
    net, case = _net("lstm_l2_bi")
    trace = net.forward(case["x"], case["h0"], case["c0"])
    H = net.hidden_size
    back = trace.layers[0][1]
    np.testing.assert_array_equal(back.x, case["x"][::-1])
    own = net.cells[0][1].forward(case["x"][::-1], case["h0"][1], case["c0"][1])
    np.testing.assert_array_equal(back.h, own.h)
    np.testing.assert_array_equal(trace.states(0, 1), own.h[::-1])
    np.testing.assert_array_equal(trace.layer_outputs[0][:, H:], own.h[::-1])
    np.testing.assert_array_equal(trace.layers[1][0].x, trace.layer_outputs[0])
    np.testing.assert_array_equal(trace.h_n[1], trace.states(0, 1)[0])  # h← after reading x_1
    np.testing.assert_array_equal(trace.output, trace.layer_outputs[-1])


def test_one_layer_one_direction_is_the_cell():
    cell = rv.GRU(4, 3, seed=5)
    net = rv.Recurrent.from_torch(cell.to_torch(), "GRU")
    x = np.random.default_rng(0).standard_normal((6, 4))
    tr = net.forward(x)
    np.testing.assert_array_equal(tr.output, cell.forward(x).h)
    d = np.random.default_rng(1).standard_normal((6, 3))
    g, gc = net.backward(tr, d), cell.backward(cell.forward(x), d)
    np.testing.assert_array_equal(g.dx, gc.dx)
    for k, v in gc.params.items():
        np.testing.assert_array_equal(g.params[f"{k}_l0"], v)


def test_keras_parameter_counts_per_layer():
    # Keras: SimpleRNN(3) on 5 features = 27 (the seeds); Bidirectional doubles; stacked layers read dirs·H
    assert rv.Recurrent("SimpleRNN", 5, 3).num_params() == 27
    lstm = rv.Recurrent("LSTM", 5, 3, num_layers=2, bidirectional=True)
    assert lstm.layer_num_params() == [2 * 4 * (5 * 3 + 3 * 3 + 3), 2 * 4 * (6 * 3 + 3 * 3 + 3)]
    assert lstm.num_params() == sum(lstm.layer_num_params()) == 216 + 240
    gru = rv.Recurrent("GRU", 5, 3, num_layers=3)
    assert gru.layer_num_params() == [3 * (5 * 3 + 3 * 3 + 2 * 3), 3 * (3 * 3 + 3 * 3 + 2 * 3),
                                      3 * (3 * 3 + 3 * 3 + 2 * 3)]


def test_seeded_init_is_deterministic_and_layers_differ():
    a, b = rv.Recurrent("LSTM", 4, 3, 2, True, seed=7), rv.Recurrent("LSTM", 4, 3, 2, True, seed=7)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert not np.allclose(a.params["W_hh_l0"], a.params["W_hh_l0_reverse"])
    c = rv.Recurrent("LSTM", 4, 3, 2, True, seed=8)
    assert not np.allclose(a.params["W_xh_l0"], c.params["W_xh_l0"])


def test_params_and_replace():
    net = rv.Recurrent("GRU", 3, 2, num_layers=2, bidirectional=True, seed=1)
    assert {"W_xh_l0", "b_hh_l1_reverse", "W_hh_l1"} <= set(net.params)
    new = net.replace(W_hh_l1_reverse=np.zeros((2, 6)))
    np.testing.assert_array_equal(new.cells[1][1].W_hh, 0.0)
    np.testing.assert_array_equal(new.params["W_hh_l1"], net.params["W_hh_l1"])
    np.testing.assert_array_equal(net.cells[1][1].W_hh, net.params["W_hh_l1_reverse"])  # unchanged
    with pytest.raises(ValueError, match="W_hh_l2"):
        net.replace(W_hh_l2=np.zeros((2, 6)))


# --------------------------------------------------------------------------- bad input


def _lstm_sd(layers=2, bi=True, D=4, H=3) -> dict[str, np.ndarray]:
    return rv.Recurrent("LSTM", D, H, num_layers=layers, bidirectional=bi).to_torch()


def test_bad_shape_names_the_key_and_both_shapes():
    sd = _lstm_sd()
    sd["weight_ih_l1_reverse"] = np.zeros((12, 3))  # layer 1 reads [h→, h←]: 6 values
    with pytest.raises(ValueError, match=r"weight_ih_l1_reverse has shape \(12, 3\); expected \(12, 6\)"):
        rv.Recurrent.from_torch(sd, "LSTM")
    sd = _lstm_sd()
    sd["bias_hh_l0"] = np.zeros(9)
    with pytest.raises(ValueError, match=r"bias_hh_l0 has shape \(9,\); expected \(12,\)"):
        rv.Recurrent.from_torch(sd, "LSTM")
    with pytest.raises(ValueError, match=r"weight_hh_l0 has shape \(12, 3\); a GRU needs \(3·H, H\)"):
        rv.Recurrent.from_torch(_lstm_sd(), "GRU")


def test_bad_keys_are_named():
    sd = _lstm_sd()
    del sd["weight_hh_l1"]
    with pytest.raises(ValueError, match=r"missing \['weight_hh_l1'\]"):
        rv.Recurrent.from_torch(sd, "LSTM")
    sd = _lstm_sd(layers=1, bi=False)
    sd["weight_hr_l0"] = np.zeros((2, 3))  # proj_size: not supported
    with pytest.raises(ValueError, match=r"unexpected keys \['weight_hr_l0'\]"):
        rv.Recurrent.from_torch(sd, "LSTM")
    sd = _lstm_sd(layers=1, bi=False)
    sd["weight_ih_l2"] = sd["weight_ih_l0"]  # a layer 2 without layer 1
    with pytest.raises(ValueError, match="weight_hh_l1"):
        rv.Recurrent.from_torch(sd, "LSTM")
    with pytest.raises(ValueError, match="empty"):
        rv.Recurrent.from_torch({}, "GRU")
    with pytest.raises(ValueError, match="kind"):
        rv.Recurrent.from_torch(_lstm_sd(), "RNN")


def test_bad_constructor_and_inputs():
    with pytest.raises(ValueError, match="num_layers"):
        rv.Recurrent("GRU", 3, 2, num_layers=0)
    with pytest.raises(ValueError, match="relu"):
        rv.Recurrent("LSTM", 3, 2, activation="relu")
    with pytest.raises(ValueError, match="bidirectional"):
        rv.Recurrent("GRU", 3, 2, bidirectional="yes")
    net = rv.Recurrent("LSTM", 3, 2, num_layers=2, bidirectional=True)
    with pytest.raises(ValueError, match=r"x must have shape \(T, 3\)"):
        net.forward(np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"h0 must have shape \(4, 2\).*got \(2,\)"):
        net.forward(np.zeros((4, 3)), h0=np.zeros(2))
    with pytest.raises(ValueError, match="c0 is only for an LSTM"):
        rv.Recurrent("GRU", 3, 2).forward(np.zeros((4, 3)), c0=np.zeros((1, 2)))
    trace = net.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"trace.output \(4, 4\), got \(4, 2\)"):
        net.backward(trace, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="trace must come from"):
        rv.Recurrent("LSTM", 3, 2).backward(trace, np.zeros((4, 2)))


# --------------------------------------------------------------------------- many-to-many


def test_many_to_many_matches_torch_cross_entropy():
    case = CASES["many_to_many"]
    sd = {k[3:]: v for k, v in case.items() if k.startswith("sd/")}
    net = rv.Recurrent.from_torch(sd, "GRU")
    head = rv.SoftmaxHead(case["W_hy"], case["b_y"])
    ex = rv.many_to_many(net, head, case["x"], case["y"])
    np.testing.assert_allclose(ex.probs, case["probs"], rtol=1e-12, atol=1e-14)
    assert ex.loss == pytest.approx(float(case["loss"]), rel=1e-12)
    np.testing.assert_allclose(ex.head_grads["W_hy"], case["grad/W_hy"], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ex.head_grads["b_y"], case["grad/b_y"], rtol=1e-10, atol=1e-13)
    for key, g in ex.grads.to_torch().items():
        np.testing.assert_allclose(g, case[f"grad/{key}"], rtol=1e-10, atol=1e-13, err_msg=key)
    np.testing.assert_allclose(ex.grads.dx, case["dx"], rtol=1e-10, atol=1e-13)
    np.testing.assert_array_equal(ex.predictions, np.argmax(case["probs"], axis=1))


def test_many_to_many_on_a_cell_and_bad_input():
    cell = rv.LSTM(4, 3, seed=2)
    head = rv.SoftmaxHead.init(3, 5, seed=2)
    x = np.random.default_rng(3).standard_normal((6, 4))
    y = np.array([0, 4, 1, 1, 3, 2])
    ex = rv.many_to_many(cell, head, x, y)
    g = ex.grads.params["W_hh"]

    def loss(W):
        return rv.many_to_many(cell.replace(W_hh=W), head, x, y).loss

    assert rv.relative_error(g, rv.numeric_gradient(loss, cell.W_hh)) < 1e-7
    with pytest.raises(ValueError, match=r"needs \(6, classes\)"):
        rv.many_to_many(rv.Recurrent("GRU", 4, 3, bidirectional=True), head, x, y)
    with pytest.raises(ValueError, match="targets must be 6 class ids"):
        rv.many_to_many(cell, head, x, y[:5])


# --------------------------------------------------------------------------- connectivity


def _fd_connectivity(model, x, eps=1e-6) -> np.ndarray:
    T, D = x.shape

    def out(xx):
        tr = model.forward(xx)
        return tr.output if isinstance(tr, rv.RecurrentTrace) else tr.h

    M = np.zeros((T, T))
    for s in range(T):
        for j in range(D):
            xp, xm = x.copy(), x.copy()
            xp[s, j] += eps
            xm[s, j] -= eps
            col = (out(xp) - out(xm)) / (2 * eps)  # (T, O): ∂output_t/∂x_s[j]
            M[:, s] += np.sum(col * col, axis=1)
    return np.sqrt(M)


@pytest.mark.parametrize("model", [
    rv.SimpleRNN(4, 3, seed=1),
    rv.Recurrent("LSTM", 4, 3, num_layers=2, seed=2),
    rv.Recurrent("GRU", 4, 2, num_layers=2, bidirectional=True, seed=3),
], ids=["simplernn-cell", "lstm-2-layers", "gru-2-layers-bi"])
def test_connectivity_matches_finite_differences(model):
    x = np.random.default_rng(4).standard_normal((5, 4))
    M = rv.connectivity(model, x)
    np.testing.assert_allclose(M, _fd_connectivity(model, x), rtol=1e-6, atol=1e-8)
    bi = isinstance(model, rv.Recurrent) and model.bidirectional
    upper = M[np.triu_indices(5, 1)]
    if bi:
        assert (upper > 1e-6).all()  # the backward direction sees later words
    else:
        np.testing.assert_array_equal(upper, 0.0)  # a one-directional model cannot see the future
        assert (np.diag(M) > 0).all()


# --------------------------------------------------------------------------- encoder–decoder


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_seq2seq_gradcheck_through_decoder_context_and_encoder(kind):
    s2s = rv.Seq2Seq.init(kind, source_size=4, target_size=5, hidden_size=3, seed=3)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 4))
    y = [2, 3, 4, 1]
    step = s2s.loss(x, y)
    np.testing.assert_array_equal(step.decoder_inputs, [0, 2, 3, 4])  # <bos>, then the true tokens
    np.testing.assert_array_equal(step.decoder_trace.h0, step.context)  # the context starts the decoder
    if kind == "LSTM":
        np.testing.assert_array_equal(step.decoder_trace.c0, step.encoder_trace.c[-1])
    assert set(step.grads) == set(s2s.params)
    for name, p in s2s.params.items():
        num = rv.numeric_gradient(lambda a, n=name: s2s.replace(**{n: a}).loss(x, y).loss, p)
        assert rv.relative_error(step.grads[name], num) < 1e-6, name
    num_dx = rv.numeric_gradient(lambda a: s2s.loss(a, y).loss, x)
    assert rv.relative_error(step.dx, num_dx) < 1e-6
    assert np.abs(step.grads["encoder.W_hh"]).sum() > 0  # BPTT reached the encoder through the context


def test_seq2seq_greedy_decoding_feeds_back_its_own_tokens():
    s2s = rv.Seq2Seq.init("GRU", 3, 6, 4, seed=1)
    x = np.eye(3)
    dec = s2s.greedy(x, max_len=7)
    assert 1 <= len(dec.ids) <= 7
    assert dec.finished == (dec.ids[-1] == s2s.eos)
    np.testing.assert_array_equal(np.argmax(dec.probs, axis=1), dec.ids)
    # the decoder read <bos> and then its own previous outputs
    np.testing.assert_array_equal(np.argmax(dec.decoder_trace.x, axis=1), [s2s.bos, *dec.ids[:-1]])
    # teacher forcing on the greedy output gives the same probabilities
    np.testing.assert_allclose(s2s.loss(x, list(dec.ids)).probs, dec.probs, rtol=1e-13)


def test_seq2seq_bad_input():
    with pytest.raises(ValueError, match="same hidden size"):
        rv.Seq2Seq(rv.GRU(3, 4), rv.GRU(5, 3), rv.SoftmaxHead.init(3, 5))
    with pytest.raises(ValueError, match=r"needs \(4, 5\)"):
        rv.Seq2Seq(rv.GRU(3, 4), rv.GRU(5, 4), rv.SoftmaxHead.init(4, 6))
    with pytest.raises(ValueError, match="eos must be a token id"):
        rv.Seq2Seq.init("GRU", 3, 5, 4, eos=5)
    s2s = rv.Seq2Seq.init("LSTM", 3, 5, 4)
    with pytest.raises(ValueError, match=r"targets must hold ids in 0..4"):
        s2s.loss(np.eye(3), [1, 7])
    with pytest.raises(ValueError, match="max_len"):
        s2s.greedy(np.eye(3), max_len=0)


# --------------------------------------------------------------------------- the trained tiny examples


def test_adam_minimises_a_quadratic_and_shuffles_from_the_seed():
    target = np.array([1.0, -2.0, 3.0])

    def loss_and_grads(p, idx):
        d = p["w"] - target
        return float(d @ d), {"w": 2 * d}

    p, losses = toy.adam({"w": np.zeros(3)}, loss_and_grads, n_examples=4, epochs=200, lr=0.1, batch_size=2)
    np.testing.assert_allclose(p["w"], target, atol=1e-3)
    assert losses[-1] < 1e-5 < losses[0]


@pytest.fixture(scope="module")
def taggers():
    return {bi: toy.train_tagger("SimpleRNN", 8, bidirectional=bi, seed=0) for bi in (False, True)}


def test_bidirectional_tagger_reads_the_words_after_a_word(taggers):
    uni, bi = taggers[False], taggers[True]
    verb, noun = ["watch", "movies", "with", "friends"], ["watch", "was", "new"]
    # one direction: the first output has seen only "watch", so both sentences get the same first tag
    np.testing.assert_array_equal(uni.predict(verb).probs[0], uni.predict(noun).probs[0])
    assert bi.predict(verb).tags[0] == "verb" and bi.predict(noun).tags[0] == "noun"
    assert bi.accuracy == 1.0 and uni.accuracy < 1.0  # the ambiguous first words cost the uni tagger
    assert bi.losses[-1] < bi.losses[0]


def test_tagger_reads_unknown_words_as_unk_and_tags_them_from_context(taggers):
    pred = taggers[True].predict(["my", "name", "is", "priya"])
    assert pred.known == (True, True, True, False)
    assert pred.tags == ("pronoun", "noun", "verb", "noun")  # the lecture's "my name is Imran"
    np.testing.assert_allclose(pred.probs.sum(axis=1), 1.0)
    assert pred.trace.output.shape == (4, 16)


def test_next_word_generator_follows_the_corpus():
    sents = [t.split() for t, _ in toy.TAGGED_SENTENCES]
    gen = toy.train_next_word(sents, "GRU", 12, epochs=60, seed=0)
    out = gen.generate("my")
    assert out.words == ("my", "name", "is", "riya") and out.finished  # "imran"/"riya": a tie it resolves
    assert out.probs.shape == (4, len(gen.vocab))
    assert gen.vocab.tokens[int(np.argmax(out.probs[-1]))] == toy.EOS
    with pytest.raises(ValueError, match="not a word"):
        gen.generate("zebra")


def test_reverser_writes_its_input_backwards_through_the_context():
    rev = toy.train_reverser(["movie", "was", "good"], "LSTM", hidden_size=16, max_len=3, n_train=150,
                             epochs=10, lr=0.02, batch_size=5, seed=0)
    out, dec = rev.reverse(["movie", "was", "good"])
    assert out == ("good", "was", "movie")
    assert rev.accuracy > 0.9
    np.testing.assert_array_equal(dec.decoder_trace.h0, dec.context)
    with pytest.raises(ValueError, match="knows only the words"):
        rev.reverse(["movie", "is", "good"])


def test_readme_rnn_types_example_runs_and_matches_its_comments():
    import contextlib
    import io
    import re

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", readme.split("## RNN types from Python", 1)[1], re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue().splitlines() == [
        "(4, 6) (4, 3)", "[216, 240]", "['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0']", "True",
        "('pronoun', 'noun', 'verb', 'noun')", "(4,)"]
