"""AppTests of the RNN types page: type a sentence, switch type, read what the trained examples say — and
change one setting after another (corpus, cell, type, first word, layers, connectivity) without a crash."""

from __future__ import annotations

import json
import re

import numpy as np
from apptools import REPO, browser_like, browser_run, decode, open_page, rerun, set_widget
from streamlit.testing.v1 import AppTest

from rnnviz import toy
from rnnviz_app import types_view as tv

PAGE = "pages/types.py"


def spec(at: AppTest, title: str) -> dict:
    """The plotly spec of the chart whose title (tags stripped) starts with `title`."""
    for el in at.get("plotly_chart"):
        fig = json.loads(el.proto.spec)
        text = re.sub(r"<[^>]*>", "", fig["layout"].get("title", {}).get("text", ""))
        if text.startswith(title):
            return fig
    raise AssertionError(f"no chart titled {title!r}")


def named(at: AppTest, title: str, prefix: str) -> list[str]:
    notes = [a for a in spec(at, title)["layout"]["annotations"]
             if a.get("name", "").startswith(prefix + " ")]
    notes.sort(key=lambda a: int(a["name"].split()[1]))
    return [re.sub(r"<[^>]*>", "", a["text"]).replace("&lt;", "<").replace("&gt;", ">") for a in notes]


def table(at: AppTest, column: str):
    """The dataframe on the page that has this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def type_corpus(at: AppTest, text: str) -> AppTest:
    at.text_area(key="w_corpus").input(text)
    return rerun(at)


def test_tagger_tags_the_typed_sentence():
    at = open_page(PAGE)
    assert at.radio(key="w_types_type").value == "many-to-many"
    assert named(at, "Many-to-many", "input") == ["movie", "was", "good"]
    type_corpus(at, "my name is priya")
    tags = named(at, "Many-to-many", "output")
    expected = tv.tagger("SimpleRNN", "tanh", 1, False, 0).model.predict(["my", "name", "is", "priya"])
    assert tags == list(expected.tags)
    tagged = table(at, "known word?")
    assert list(tagged["tag"]) == tags and list(tagged["word"]) == ["my", "name", "is", "priya"]
    assert tagged["known word?"].iloc[3].startswith("no")  # "priya" is not in the tagged corpus
    np.testing.assert_allclose(tagged[[f"P({t})" for t in toy.TAG_NAMES]].sum(axis=1), 1.0, atol=2e-3)
    assert any("read as <unk>" in c.value for c in at.caption)


def test_switching_types_in_sequence():
    at = open_page(PAGE, corpus="movie was good\nmovie was bad\nmovie was not good")
    # one-to-many: generated from the sentence's first word, then from a chosen one
    set_widget(at, "w_types_type", "one-to-many")
    gen = tv.generator("SimpleRNN", "tanh", (("movie", "was", "good"), ("movie", "was", "bad"),
                                             ("movie", "was", "not", "good")), 0).model
    words = gen.generate("movie", 12).words
    assert f"Generated from “movie”:** {' '.join(words)}" in markdown(at)
    assert named(at, "One-to-many", "output") == [*words[1:], "<eos>"]
    set_widget(at, "w_types_first", "not")
    assert "Generated from “not”:** " + " ".join(gen.generate("not", 12).words) in markdown(at)
    assert at.query_params["types_first"] == "not"
    # the cell becomes a GRU: everything retrains for it
    set_widget(at, "w_cell", "GRU")
    assert any("GRU with 12 units" in c.value for c in at.caption)
    # encoder–decoder: the sentence backwards, the context vector beside it
    set_widget(at, "w_types_type", "encoder-decoder")
    out = named(at, "Encoder–decoder", "output")
    rev = tv.reverser("GRU", "tanh", ("movie", "was", "good"), 0).model
    assert out[:-1] == list(rev.reverse(["movie", "was", "good"])[0]) and out[-1] == "<eos>"
    assert named(at, "Encoder–decoder", "input")[:4] == ["movie", "was", "good", "<bos>"]
    ctx = decode(spec(at, "The context vector")["data"][0]["z"])
    assert ctx.shape == (1, tv.REVERSER_HIDDEN)  # a GRU hands over h only
    # bidirectional: a preset sentence where the words after "watch" decide
    set_widget(at, "w_types_type", "bidirectional")
    set_widget(at, "w_types_bi", "watch was new")
    cmp = table(at, "→ and ←")
    assert cmp["→ and ←"].iloc[0] == "noun" and named(at, "Bidirectional", "output")[0] == "noun"
    set_widget(at, "w_types_bi", "watch movies with friends")
    assert table(at, "→ and ←")["→ and ←"].iloc[0] == "verb"
    # deep: layers, heatmaps and the Keras summary agree
    set_widget(at, "w_types_type", "deep")
    set_widget(at, "w_types_layers", 3)
    summary = table(at, "Param #")
    assert len(summary) == 4 and summary["Layer (type)"].iloc[2] == "gru_2 (GRU)"
    net = tv.tagger("GRU", "tanh", 3, False, 0).model.net
    assert list(summary["Param #"][:3]) == net.layer_num_params()
    assert f"**Total params: {net.num_params() + 8 * 4 + 4}**" in markdown(at)
    assert len(spec(at, "Each layer's hidden states")["data"]) == 3
    # one-to-one and many-to-one draw without training anything
    set_widget(at, "w_types_type", "one-to-one")
    assert named(at, "One-to-one", "output") == ["class"]
    set_widget(at, "w_types_type", "many-to-one")
    assert len(named(at, "Many-to-one", "output")) == 1
    assert at.query_params["types_type"] == "many-to-one"


def test_connectivity_uni_vs_bi():
    at = open_page(PAGE)
    M = decode(spec(at, "Connectivity of the trained LSTM tagger")["data"][0]["z"])
    assert M.shape == (3, 3) and np.all(M[np.triu_indices(3, 1)] == 0) and np.all(np.diag(M) > 0)
    set_widget(at, "w_types_conn_bi", True)
    set_widget(at, "w_types_conn_cell", "SimpleRNN")
    M = decode(spec(at, "Connectivity of the trained bidirectional SimpleRNN")["data"][0]["z"])
    assert np.all(M > 0)
    np.testing.assert_allclose(M, tv.connectivity("SimpleRNN", "tanh", True, 0, ("movie", "was", "good")))
    assert at.query_params["types_conn_bi"] == "1"


def test_a_link_opens_the_same_view_and_bad_values_fall_back():
    at = open_page(PAGE, types_type="deep", types_layers=3, corpus="the cat sat on the mat")
    assert at.slider(key="w_types_layers").value == 3
    assert len(named(at, "Deep", "output")) == 6
    at = open_page(PAGE, types_type="sideways", types_layers=9)
    assert at.radio(key="w_types_type").value == "many-to-many"
    assert any("types_layers" in w.value for w in at.warning)


def test_first_word_survives_a_corpus_that_no_longer_has_it():
    """Issue 9's bug class: the picker's value came from an older corpus (the browser resends its label)."""
    at = browser_like(AppTest.from_file(str(REPO / "app.py"), default_timeout=60))
    at.query_params["types_type"] = "one-to-many"
    at.query_params["types_first"] = "bad"
    browser_run(at)
    at.switch_page(PAGE)
    browser_run(at)
    assert not at.exception
    assert "Generated from “bad”" in markdown(at)
    at.text_area(key="w_corpus").input("riya lives in delhi")
    browser_run(at)
    assert not at.exception, [e.value for e in at.exception]
    assert "Generated from “riya”" in markdown(at)  # "bad" is gone: back to the sentence's first word
    assert at.selectbox(key="w_types_first").value == ""


def test_long_and_odd_sentences_do_not_break_the_page():
    long = " ".join(f"w{i}" for i in range(45))
    at = open_page(PAGE, corpus=long)
    assert len(named(at, "Many-to-many", "input")) == 8  # the diagram's window; the table has every word
    assert len(table(at, "known word?")) == 40
    for kind in ("encoder-decoder", "bidirectional", "deep", "one-to-many"):
        set_widget(at, "w_types_type", kind)
    type_corpus(at, "<b>été</b> 東京 🎬")
    assert named(at, "One-to-many", "input")[0] == "b"
    set_widget(at, "w_types_type", "encoder-decoder")
    assert named(at, "Encoder–decoder", "input")[:4] == ["b", "été", "b", "東京"]
    assert not any("reads the first" in c.value for c in at.caption)  # 4 words: all of them are read


def test_presentation_mode_draws_larger():
    normal, big = open_page(PAGE), open_page(PAGE, present=1)
    sizes = [next(a["font"]["size"] for a in spec(at, "Many-to-many")["layout"]["annotations"]
                  if a.get("name") == "output 0") for at in (normal, big)]
    assert sizes[1] > sizes[0]


def test_an_uploaded_bidirectional_stack_runs_whole_here_and_layer_one_elsewhere():
    import io

    import rnnviz as rv
    from rnnviz_app import session
    from rnnviz_app.weights_io import load_weights

    net = rv.Recurrent("GRU", 5, 3, num_layers=2, bidirectional=True, seed=4)
    buf = io.BytesIO()
    np.savez(buf, **net.to_torch(), vocab=np.array(["movie", "was", "good", "bad", "not"]))
    custom = load_weights(buf.getvalue(), file_name="stack.npz")
    assert custom.summary == "GRU, H=3, from PyTorch — layer 1 (forward) of a 2-layer bidirectional network"
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.session_state[session.CUSTOM_KEY] = custom
    rerun(at)
    at.switch_page("pages/forward.py")
    rerun(at)  # the other pages unroll layer 1's forward cell, and the badge says which one
    assert any("layer 1 (forward) of a 2-layer bidirectional network" in m.value for m in at.markdown)
    at.switch_page(PAGE)
    rerun(at)
    x = np.eye(5)[[0, 1, 2]]  # "movie was good" with the file's ids
    states = spec(at, "Hidden states of every layer and direction")["data"]
    assert [d["name"] for d in states] == ["layer 1 →", "layer 1 ←", "layer 2 →", "layer 2 ←"]
    np.testing.assert_allclose(decode(states[3]["z"]), net.forward(x).states(1, 1), atol=1e-12)
    M = decode(spec(at, "Connectivity of your network")["data"][0]["z"])
    np.testing.assert_allclose(M, rv.connectivity(net, x), atol=1e-12)
    summary = table(at, "Param #")
    assert list(summary["Param #"]) == net.layer_num_params()
