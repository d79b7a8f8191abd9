"""Figure and table builders of the RNN types page, without Streamlit: what is drawn is what was computed."""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objects as go
import pytest

import rnnviz as rv
from rnnviz import toy
from rnnviz_app import fig_types as ft

TOKENS = ["my", "name", "is", "imran"]
TAGS = ["pronoun", "noun", "verb", "noun"]


def named(fig: go.Figure, prefix: str) -> list[str]:
    """The texts of the annotations named "<prefix> j", in column order, tags stripped."""
    notes = [a for a in fig.layout.annotations if (a.name or "").startswith(prefix + " ")]
    notes.sort(key=lambda a: int(a.name.split()[1]))
    return [re.sub(r"</?[bi]>", "", a.text) for a in notes]


def boxes(fig: go.Figure) -> list:
    return [s for s in fig.layout.shapes if s.type == "rect"]


def arrows(fig: go.Figure, colour: str) -> list:
    return [a for a in fig.layout.annotations if a.showarrow and a.arrowcolor == colour]


def test_many_to_many_draws_one_output_per_word():
    fig = ft.diagram(ft.spec_many_to_many(TOKENS, TAGS, "LSTM"))
    assert named(fig, "input") == TOKENS
    assert named(fig, "output") == TAGS
    assert len(boxes(fig)) == 4
    assert fig.layout.title.text.startswith("Many-to-many")


def test_many_to_one_has_a_single_output_after_the_last_word():
    fig = ft.diagram(ft.spec_many_to_one(TOKENS, "0.53", "tanh"))
    outs = [a for a in fig.layout.annotations if (a.name or "").startswith("output")]
    assert [a.name for a in outs] == ["output 3"] and "0.53" in outs[0].text


def test_one_to_one_has_no_recurrence():
    fig = ft.diagram(ft.spec_one_to_one("movie", "class"))
    assert named(fig, "input") == ["movie"] and named(fig, "output") == ["class"]
    assert arrows(fig, ft.INK)
    assert not [a for a in fig.layout.annotations if "h<sub>0</sub>" in (a.text or "")]


def test_one_to_many_reads_one_word_and_then_its_own_outputs():
    fig = ft.diagram(ft.spec_one_to_many("movie", ["was", "good"], "LSTM"))
    assert named(fig, "output") == ["was", "good", "&lt;eos&gt;"]
    assert named(fig, "input") == ["movie", "was", "good"]  # read back in: the previous output
    fed = [a for a in fig.layout.annotations if (a.name or "") in ("input 1", "input 2")]
    assert all(a.font.color == ft.GREY for a in fed)
    assert len([s for s in fig.layout.shapes if s.type == "path"]) == 2  # dashed feedback paths


def test_encoder_decoder_hands_over_a_context_and_feeds_back_its_words():
    spec = ft.spec_encoder_decoder(["movie", "was", "good"], ["good", "was", "movie", "<eos>"], "GRU")
    fig = ft.diagram(spec)
    assert named(fig, "input") == ["movie", "was", "good", "&lt;bos&gt;", "good", "was", "movie"]
    assert named(fig, "output") == ["good", "was", "movie", "&lt;eos&gt;"]
    assert len(boxes(fig)) == 3 + 4 + 1  # encoder, decoder, context
    assert any("context" in (a.text or "") for a in fig.layout.annotations)
    # the encoder's last box does not pass h to the decoder's first box directly: through the context only
    ctx = next(s for s in boxes(fig) if s.line.color == ft.CONTEXT)
    assert ctx.x0 > 2 * ft.P + ft.BOX_W / 2


def test_bidirectional_has_a_backward_row_whose_arrows_point_left():
    fig = ft.diagram(ft.spec_bidirectional(TOKENS, TAGS, "GRU"))
    assert len(boxes(fig)) == 8
    back = arrows(fig, ft.BACKWARD)
    assert len(back) == 3 and all(a.ax > a.x for a in back)  # from t+1 to t
    fwd = arrows(fig, ft.FORWARD)
    assert len(fwd) == 3 and all(a.ax < a.x for a in fwd)
    assert "[h→ ; h←]" in fig.layout.title.text


def test_deep_stacks_rows_and_names_each_layer():
    fig = ft.diagram(ft.spec_deep(TOKENS, TAGS, "LSTM", 3))
    assert len(boxes(fig)) == 12
    names = [a.text for a in fig.layout.annotations if "layer" in (a.text or "")]
    assert names == ["<b>layer 1</b>", "<b>layer 2</b>", "<b>layer 3</b>"]


def test_long_sentences_are_cut_with_a_count_and_tokens_are_escaped():
    words = [f"w{i}" for i in range(12)]
    fig = ft.diagram(ft.spec_many_to_many(["<script>", *words[1:]], ["x"] * 12, "tanh"))
    shown = named(fig, "input")
    assert len(shown) == ft.MAX_COLUMNS and shown[0] == "&lt;script&gt;"
    assert any(a.text == f"⋯ {12 - ft.MAX_COLUMNS} more" for a in fig.layout.annotations)


def test_presentation_mode_uses_larger_text():
    spec = ft.spec_many_to_many(TOKENS, TAGS, "LSTM")
    small, big = ft.diagram(spec), ft.diagram(spec, present=True)
    small_size, big_size = (next(a.font.size for a in f.layout.annotations if a.name == "output 0")
                            for f in (small, big))
    assert big_size > small_size
    assert big.layout.height > small.layout.height


def test_states_figure_shows_the_arrays_it_gets():
    net = rv.Recurrent("GRU", 3, 2, bidirectional=True, seed=1)
    tr = net.forward(np.eye(3))
    fig = ft.states_figure([("h→", tr.states(0, 0)), ("h←", tr.states(0, 1))], ["a", "b", "c"], "states")
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), tr.output[:, :2])
    np.testing.assert_array_equal(np.asarray(fig.data[1].z), tr.output[:, 2:])
    assert fig.layout.coloraxis.cmin == -1 and fig.layout.coloraxis.cmax == 1
    with pytest.raises(ValueError, match="has 3 rows; the sentence has 2 words"):
        ft.states_figure([("h", tr.output)], ["a", "b"], "x")


def test_context_figure_rows():
    h, c = np.array([0.1, -0.2, 0.3]), np.array([1.0, 2.0, -1.0])
    fig = ft.context_figure(h, c)
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), np.stack([h, c]))
    assert "3 numbers" in fig.layout.title.text
    assert len(ft.context_figure(h).data[0].z) == 1


def test_connectivity_figure_is_the_matrix():
    cell = rv.LSTM(3, 2, seed=0)
    M = rv.connectivity(cell, np.eye(3))
    fig = ft.connectivity_figure(M, ["a", "b", "c"], "conn")
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), M)
    assert list(fig.data[0].x) == ["t=1 · a", "t=2 · b", "t=3 · c"]
    with pytest.raises(ValueError, match=r"M must be \(2, 2\)"):
        ft.connectivity_figure(M, ["a", "b"], "x")


def test_tables():
    probs = np.array([[0.1, 0.2, 0.6, 0.1], [0.7, 0.1, 0.1, 0.1]])
    df = ft.tag_table(["my", "zork"], ["pronoun", "noun"], probs, [True, False], toy.TAG_NAMES)
    assert list(df["tag"]) == ["pronoun", "noun"] and list(df["P(pronoun)"]) == [0.6, 0.1]
    assert df["known word?"][1].startswith("no")
    cmp = ft.compare_tags(["watch", "was"], ["verb", "verb"], ["noun", "verb"])
    assert list(cmp["differ?"]) == ["◀ differs", ""]
    gen = ft.generation_table(["movie", "was"], np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]]),
                              ["movie", "was", "<eos>"], k=2)
    assert list(gen["writes"]) == ["was", "movie"]
    assert gen.iloc[0, 3] == "was 0.70, <eos> 0.20"


def test_keras_summary_counts_like_keras():
    net = rv.Recurrent("LSTM", 10, 8, num_layers=3)
    df = ft.keras_summary("LSTM", net.layer_num_params(), False, 8, 5, 4)
    assert list(df["Layer (type)"]) == ["lstm (LSTM)", "lstm_1 (LSTM)", "lstm_2 (LSTM)", "dense (Dense)"]
    assert list(df["Param #"]) == [4 * (10 * 8 + 8 * 8 + 8), 4 * (8 * 8 + 8 * 8 + 8), 4 * (8 * 8 + 8 * 8 + 8),
                                   8 * 4 + 4]
    assert df["Output Shape"][0] == "(None, 5, 8)"
    bi = ft.keras_summary("GRU", [100, 200], True, 8, 5, 4)
    assert list(bi["Output Shape"])[:2] == ["(None, 5, 16)", "(None, 5, 16)"]
    assert bi["Layer (type)"][0] == "bidirectional (Bidirectional(GRU))"
