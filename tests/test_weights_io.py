"""Uploaded weights: .npz parsing and checks (rnnviz_app.weights_io) and the model built on them."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

import rnnviz as rv
from rnnviz_app import export, state
from rnnviz_app.model import WeightsMismatch, build_model
from rnnviz_app.weights_io import (
    BLOCKS,
    KINDS,
    MAX_BYTES,
    MAX_UPLOAD_HIDDEN,
    CustomWeights,
    WeightsError,
    load_weights,
)

CELLS = {"SimpleRNN": rv.SimpleRNN, "LSTM": rv.LSTM, "GRU": rv.GRU}
WORDS = ["movie", "was", "good", "bad", "not"]  # the default corpus' vocabulary, in id order


def npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def make_cell(kind: str, D: int = 5, H: int = 3, seed: int = 4, activation: str = "tanh"):
    if kind == "SimpleRNN":
        return rv.SimpleRNN(D, H, activation=activation, seed=seed)
    cell = CELLS[kind](D, H, seed=seed)
    # non-zero biases so that a lost or swapped bias shows up in the outputs
    rng = np.random.default_rng(seed)
    return cell.replace(**{k: rng.normal(size=v.shape) for k, v in cell.params.items() if k.startswith("b")})


def outputs(cell, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = np.eye(cell.input_size)[rng.integers(0, cell.input_size, 6)]
    h0 = rng.normal(size=cell.hidden_size)
    tr = cell.forward(x, h0)
    return tr.h, tr.c


def keras_file(cell) -> bytes:
    kernel, recurrent_kernel, bias = cell.to_keras()
    return npz(kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias)


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("source", ["pytorch", "keras"])
@pytest.mark.parametrize("given", [False, True])
def test_round_trip_gives_the_same_forward_outputs(kind: str, source: str, given: bool) -> None:
    cell = make_cell(kind)
    data = npz(**cell.to_torch()) if source == "pytorch" else keras_file(cell)
    cw = load_weights(data, kind=kind if given else None)
    assert isinstance(cw, CustomWeights)
    assert (cw.kind, cw.source, cw.head, cw.vocab) == (kind, source, None, None)
    assert (cw.cell.input_size, cw.cell.hidden_size) == (5, 3)
    (h, c), (h_ref, c_ref) = outputs(cw.cell), outputs(cell)
    np.testing.assert_allclose(h, h_ref, rtol=1e-12, atol=1e-12)
    if kind == "LSTM":
        np.testing.assert_allclose(c, c_ref, rtol=1e-12, atol=1e-12)
    label = {"pytorch": "PyTorch", "keras": "Keras"}[source]
    assert cw.summary == f"{kind}{' (tanh)' if kind == 'SimpleRNN' else ''}, H=3, from {label}"
    if not given:
        assert any(kind in n and "shapes" in n for n in cw.notes)


def test_pytorch_biases_are_summed_like_the_module_does() -> None:
    cell = make_cell("LSTM")
    sd = cell.to_torch()
    rng = np.random.default_rng(1)
    split = rng.normal(size=sd["bias_ih_l0"].shape)
    sd = {**sd, "bias_ih_l0": sd["bias_ih_l0"] - split, "bias_hh_l0": split}  # same sum, different halves
    cw = load_weights(npz(**sd))
    np.testing.assert_allclose(outputs(cw.cell)[0], outputs(cell)[0], rtol=1e-12, atol=1e-12)


def test_relu_simple_rnn_uses_the_chosen_activation() -> None:
    cell = make_cell("SimpleRNN", activation="relu")
    cw = load_weights(npz(**cell.to_torch()), activation="relu")
    assert cw.cell.activation == "relu"
    assert "relu" in cw.summary
    np.testing.assert_allclose(outputs(cw.cell)[0], outputs(cell)[0], rtol=1e-12, atol=1e-12)
    # the default reads the same file as tanh: different numbers, a different cache key
    tanh = load_weights(npz(**cell.to_torch()))
    assert tanh.cell.activation == "tanh" and tanh.digest != cw.digest


def test_head_and_vocab_are_read() -> None:
    cell = make_cell("GRU", H=4)
    w_o = np.arange(4.0) / 10
    cw = load_weights(npz(**cell.to_torch(), w_o=w_o[:, None], b_o=np.array([0.25]), vocab=np.array(WORDS)))
    np.testing.assert_array_equal(cw.head.w_o, w_o)
    assert cw.head.b_o == 0.25
    assert cw.vocab == tuple(WORDS)
    # a scalar b_o, a (H,) w_o, and no b_o at all (then 0, with a note)
    assert load_weights(npz(**cell.to_torch(), w_o=w_o, b_o=np.float64(-1.5))).head.b_o == -1.5
    no_bias = load_weights(npz(**cell.to_torch(), w_o=w_o))
    assert no_bias.head.b_o == 0.0 and any("b_o" in n for n in no_bias.notes)


def test_export_npz_loads_back_with_everything() -> None:
    view = build_model({"cell": "LSTM", "hidden": 4, "seed": 9})
    cw = load_weights(export.weights_to_npz(view.cell, view.head, view.corpus.vocab.tokens))
    assert (cw.kind, cw.vocab) == ("LSTM", tuple(WORDS))
    again = build_model({"cell": "LSTM", "hidden": 4, "seed": 9}, cw)
    np.testing.assert_allclose(again.trace.h, view.trace.h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(again.trace.c, view.trace.c, rtol=1e-12, atol=1e-12)
    assert again.yhat == pytest.approx(view.yhat, abs=1e-12)


def test_unknown_extra_arrays_are_ignored_with_a_note() -> None:
    cw = load_weights(npz(**make_cell("LSTM").to_torch(), optimizer_step=np.array(3)))
    assert any("optimizer_step" in n for n in cw.notes)


def test_digest_identifies_file_and_options() -> None:
    data = npz(**make_cell("SimpleRNN").to_torch())
    assert load_weights(data).digest == load_weights(data).digest
    assert load_weights(data).digest != load_weights(npz(**make_cell("SimpleRNN", seed=5).to_torch())).digest


# --------------------------------------------------------------------------- every error is a message


def _bad_files() -> dict[str, tuple[bytes, dict, str]]:
    """name → (file bytes, load_weights kwargs, a regex the message must match)."""
    lstm = make_cell("LSTM", H=2).to_torch()  # weight_hh_l0 (8, 2), weight_ih_l0 (8, 5)
    gru_k = make_cell("GRU", H=2).to_keras()
    zipped_text = io.BytesIO()
    with zipfile.ZipFile(zipped_text, "w") as zf:
        zf.writestr("notes.txt", "hello")
    bomb = io.BytesIO()
    np.savez_compressed(bomb, weight_hh_l0=np.zeros((4000, 4000)))  # 128 MB of zeros, a few kB packed
    valid = npz(**lstm)
    return {
        "empty": (b"", {}, "empty"),
        "not a zip": (b"this is a text file, not weights", {}, "not an .npz"),
        "too big": (b"\0" * (MAX_BYTES + 1), {}, "MB"),
        "single npy": (b"\x93NUMPY" + b"\0" * 100, {}, "single .npy"),
        "truncated": (valid[: len(valid) // 2], {}, "not an .npz|damaged|could not be read"),
        "zip without arrays": (zipped_text.getvalue(), {}, "could not be read|damaged|no recurrent"),
        "zip bomb": (bomb.getvalue(), {}, "unpacks to"),
        "pickled objects": (npz(weight_ih_l0=np.array([{"a": 1}], dtype=object)), {}, "pickle"),
        "no known names": (npz(W=np.zeros((2, 2))), {}, "no recurrent weights.*weight_ih_l0.*kernel"),
        "mixed layouts": (npz(**lstm, kernel=np.zeros((5, 8))), {}, "mixes PyTorch"),
        "two layers": (npz(**lstm, weight_ih_l1=np.zeros((8, 2))), {}, r"2-layer.*missing \['weight_hh_l1'"),
        "bidirectional": (npz(**lstm, weight_ih_l0_reverse=np.zeros((8, 5))), {},
                          r"bidirectional.*missing \['weight_hh_l0_reverse'"),
        "missing bias": (npz(**{k: v for k, v in lstm.items() if k != "bias_hh_l0"}), {},
                         "missing bias_hh_l0"),
        "missing recurrent": (npz(weight_ih_l0=lstm["weight_ih_l0"]), {}, "weight_hh_l0 is missing"),
        "wrong input rows": (npz(**{**lstm, "weight_ih_l0": np.zeros((6, 5))}), {},
                             r"weight_ih_l0 has shape \(6, 5\).*\(8, input_size\)"),
        "no block ratio": (npz(**{**lstm, "weight_hh_l0": np.zeros((10, 2))}), {},
                           r"weight_hh_l0 has shape \(10, 2\).*G = 1"),
        "1-d recurrent": (npz(**{**lstm, "weight_hh_l0": np.zeros(8)}), {}, "expected a matrix"),
        "kind mismatch": (npz(**lstm), {"kind": "GRU"}, r"\(8, 2\).*GRU.*fit a LSTM"),
        "bad kind": (npz(**lstm), {"kind": "Transformer"}, "cell type must be"),
        "bad activation": (npz(**lstm), {"activation": "sigmoid"}, "activation must be"),
        "nan": (npz(**{**lstm, "weight_hh_l0": np.full((8, 2), np.nan)}), {}, "NaN"),
        "strings as weights": (npz(**{**lstm, "bias_ih_l0": np.array(["a"] * 8)}), {}, "real numbers"),
        "complex": (npz(**{**lstm, "bias_ih_l0": np.ones(8) * 1j}), {}, "real numbers"),
        "keras gru bias": (npz(kernel=gru_k[0], recurrent_kernel=gru_k[1], bias=np.zeros(6)), {},
                           r"bias has shape \(6,\).*\(2, 6\)"),
        "keras missing bias": (npz(kernel=gru_k[0], recurrent_kernel=gru_k[1]), {}, "missing bias"),
        "too many units": (npz(**make_cell("SimpleRNN", H=MAX_UPLOAD_HIDDEN + 1).to_torch()), {},
                           "hidden units"),
        "vocab size": (npz(**lstm, vocab=np.array(["a", "b"])), {}, "vocab has 2 words.*input size is 5"),
        "vocab numbers": (npz(**lstm, vocab=np.arange(5)), {}, "vocab holds"),
        "vocab 2-d": (npz(**lstm, vocab=np.array([WORDS, WORDS])), {}, "vocab has shape"),
        "vocab duplicates": (npz(**lstm, vocab=np.array(["a", "b", "a", "c", "d"])), {}, "more than once: a"),
        "w_o shape": (npz(**lstm, w_o=np.zeros(3)), {}, r"w_o has shape \(3,\).*\(2,\)"),
        "b_o shape": (npz(**lstm, w_o=np.zeros(2), b_o=np.zeros(2)), {}, "one number"),
        "b_o alone": (npz(**lstm, b_o=np.zeros(1)), {}, "b_o was given without w_o"),
    }


BAD = _bad_files()


@pytest.mark.parametrize("name", list(BAD))
def test_bad_files_give_a_message_not_a_crash(name: str) -> None:
    data, kwargs, pattern = BAD[name]
    with pytest.raises(WeightsError, match=pattern) as info:
        load_weights(data, **kwargs)
    assert isinstance(info.value, ValueError)
    assert len(str(info.value)) > 15


def test_not_bytes_is_a_message() -> None:
    with pytest.raises(WeightsError, match="bytes"):
        load_weights("rnn.npz")  # type: ignore[arg-type]


def test_damaged_files_never_raise_anything_else() -> None:
    """Random truncations and bit flips of a valid file: either it loads, or a WeightsError says why."""
    valid = npz(**make_cell("GRU").to_torch(), w_o=np.ones(3), vocab=np.array(WORDS))
    rng = np.random.default_rng(0)
    outcomes = set()
    for _ in range(300):
        data = bytearray(valid)
        if rng.random() < 0.3:
            data = data[: rng.integers(0, len(data))]
        for i in rng.integers(0, max(len(data), 1), rng.integers(1, 6)):
            if len(data):
                data[i] = int(rng.integers(0, 256))
        try:
            load_weights(bytes(data))
            outcomes.add("loaded")
        except WeightsError:
            outcomes.add("message")
    assert "message" in outcomes


# --------------------------------------------------------------------------- the model on uploaded weights


def test_build_model_runs_on_custom_weights_with_vocab() -> None:
    cell = make_cell("LSTM", D=6, H=2)
    vocab = ["not", "bad", "good", "was", "movie", "boring"]  # a different id order than the corpus'
    cw = load_weights(npz(**cell.to_torch(), w_o=np.array([1.0, -2.0]), b_o=np.array(0.5),
                          vocab=np.array(vocab)))
    view = build_model({"cell": "SimpleRNN", "hidden": 7, "sentence": 1}, cw)
    assert view.tokens == ("movie", "was", "good")
    assert view.ids == (4, 3, 2)
    assert view.x.shape == (3, 6) and view.V == 6
    assert view.cell is cw.cell and view.head is cw.head
    assert (view.settings["cell"], view.settings["hidden"]) == ("LSTM", 2)
    assert view.c0 is not None
    ref = cell.forward(np.eye(6)[[4, 3, 2]])
    np.testing.assert_allclose(view.trace.h, ref.h, rtol=1e-12, atol=1e-12)
    assert view.yhat == pytest.approx(float(rv.sigmoid(ref.h[-1] @ np.array([1.0, -2.0]) + 0.5)))


def test_build_model_without_vocab_numbers_the_corpus_words() -> None:
    cell = make_cell("GRU", D=5, H=3)
    cw = load_weights(npz(**cell.to_torch()))
    view = build_model({"seed": 3}, cw)
    np.testing.assert_allclose(view.trace.h, cell.forward(view.x, view.h0).h, rtol=1e-12, atol=1e-12)
    # no head in the file: the seeded head of the built-in model, sized for the upload's H
    assert view.head.w_o.shape == (3,)


def test_unknown_words_are_listed() -> None:
    cw = load_weights(npz(**make_cell("SimpleRNN", D=3).to_torch(), vocab=np.array(["movie", "was", "good"])))
    pattern = r"2 words.*not in your weights' vocabulary of 3 words: bad, not"
    with pytest.raises(WeightsMismatch, match=pattern):
        build_model({}, cw)
    assert build_model({"corpus": "movie was good | 1\ngood movie"}, cw).ids == (0, 1, 2)


def test_input_size_must_match_the_corpus_without_vocab() -> None:
    cw = load_weights(npz(**make_cell("SimpleRNN", D=4).to_torch()))
    with pytest.raises(WeightsMismatch, match=r"expect 4 inputs.*corpus has 5 different words"):
        build_model({}, cw)


def test_vocab_entries_that_no_typed_word_can_match_are_made_safe_to_show() -> None:
    words = ["movie", "<pad>", "<a href=x>", "a&b", "x" * 60]
    cw = load_weights(npz(**make_cell("SimpleRNN").to_torch(), vocab=np.array(words)))
    assert cw.vocab[:4] == ("movie", "‹pad›", "‹a href=x›", "a＆b")
    assert len(cw.vocab[4]) == 40
    assert not any(c in "".join(cw.vocab) for c in "<>&")
    assert any("never match" in n for n in cw.notes)


# ----------------------------------------------------------------- one registry, two hidden-size limits


def test_kinds_and_block_counts_come_from_the_core_registry() -> None:
    assert KINDS == rv.CELL_KINDS
    assert BLOCKS == {1: "SimpleRNN", 4: "LSTM", 3: "GRU"}
    with pytest.raises(WeightsError, match=r"G = 1 \(SimpleRNN\), 4 \(LSTM\) or 3 \(GRU\)"):
        load_weights(npz(weight_ih_l0=np.zeros((6, 5)), weight_hh_l0=np.zeros((6, 3)),
                         bias_ih_l0=np.zeros(6), bias_hh_l0=np.zeros(6)))
    assert load_weights(npz(**make_cell("SimpleRNN", activation="relu").to_torch()),
                        activation="relu").summary == "SimpleRNN (relu), H=3, from PyTorch"
    lstm = load_weights(npz(**make_cell("LSTM").to_torch()), activation="relu")  # relu is a SimpleRNN's only
    assert lstm.summary == "LSTM, H=3, from PyTorch" and lstm.cell.activation == "tanh"


def test_an_upload_may_be_larger_than_the_sidebar_allows() -> None:
    # the sidebar offers H = 1..16 (every lesson's pictures stay readable); a trained layer of up to 32 units
    # (a common size) is still read, and every page's model is built on it
    assert state.MAX_HIDDEN < MAX_UPLOAD_HIDDEN == 32
    H = state.MAX_HIDDEN + 4
    cw = load_weights(npz(**make_cell("GRU", H=H).to_torch(), vocab=np.array(WORDS)))
    view = build_model({}, cw)
    assert view.H == H and view.trace.h.shape == (3, H) and view.settings["hidden"] == H
