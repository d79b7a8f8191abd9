"""AppTest of the home, encoding and forward pages: they load, follow the sidebar and the step, show the
core's numbers, and answer bad input with a message (never a traceback), keeping what was typed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from apptools import decode, open_page, rerun, set_widget
from streamlit.testing.v1 import AppTest

from rnnviz_app import equations as eq
from rnnviz_app import state
from rnnviz_app.model import build_model

REPO = Path(__file__).resolve().parent.parent
PAGES = ("pages/home.py", "pages/encoding.py", "pages/forward.py")


def chart(at: AppTest, key: str) -> dict:
    for c in at.get("plotly_chart"):
        spec = json.loads(c.proto.spec)
        if c.proto.id and key in c.proto.id:
            return spec
    raise AssertionError(f"no chart {key!r}")


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def titles(spec: dict) -> str:
    return spec["layout"]["title"]["text"]


def chart_by_title(at: AppTest, words: str) -> dict:
    for spec in charts(at):
        if words in titles(spec):
            return spec
    raise AssertionError(f"no chart titled …{words}…: {[titles(s) for s in charts(at)]}")


def hidden_z(at: AppTest) -> np.ndarray:
    spec = chart_by_title(at, "States over time")
    return decode(next(d for d in spec["data"] if d.get("name") == "h")["z"])


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [w.value for w in at.warning] + [s.value for s in at.subheader] + [t.value for t in at.text]
    return "\n".join(str(p) for p in parts)


# --------------------------------------------------------------------------- every page loads


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_with_charts(page: str) -> None:
    at = open_page(page)
    assert at.get("plotly_chart"), "every page of mine draws at least one chart"


# --------------------------------------------------------------------------- home


def test_home_why_not_an_ann_matches_the_seeds() -> None:
    at = open_page("pages/home.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Longest sentence T_max"] == "4 words"
    assert metrics["ANN input size T_max·V"] == "20"
    table = at.dataframe[0].value
    assert list(table["count"]) == [4 * 5 * 3 + 3, 5 * 3 + 3 * 3 + 3]  # 63 vs 27
    assert "it cannot take it" in texts(at).replace("**", "")


def test_home_follows_the_sidebar() -> None:
    at = open_page("pages/home.py")
    set_widget(at, "w_cell", "LSTM")
    assert list(at.dataframe[0].value["count"]) == [63, 108]
    set_widget(at, "w_hidden", 5)
    assert at.dataframe[0].value["count"].iloc[0] == 4 * 5 * 5 + 5
    set_widget(at, "w_corpus", "one two three four five six seven | 1\nshort one | 0")
    assert {m.label: m.value for m in at.metric}["Longest sentence T_max"] == "7 words"


def test_home_tour_links_every_page() -> None:
    at = open_page("pages/home.py")
    links = [p.proto.page for p in at.get("page_link")]
    for page in ("encoding", "forward", "gates", "bptt", "lab", "weights"):
        assert any(page in link for link in links), links


# --------------------------------------------------------------------------- encoding


def test_encoding_shows_vocab_ids_one_hot_and_the_padded_batch() -> None:
    at = open_page("pages/encoding.py")
    vocab = next(d.value for d in at.dataframe if "word" in d.value.columns)
    assert list(vocab["word"]) == ["movie", "was", "good", "bad", "not"]
    assert list(vocab["id"]) == [0, 1, 2, 3, 4]
    assert vocab.iloc[2, 2] == "[0 0 1 0 0]"
    one_hot = chart_by_title(at, "One-hot matrix")
    view = build_model({})
    np.testing.assert_array_equal(decode(one_hot["data"][0]["z"]), view.x)
    batch = chart_by_title(at, "Padded batch")
    assert "(3, 4, 5)" in titles(batch)
    assert len(batch["data"]) == 3  # one panel per sentence
    # post padding: sentence 1's last row is zeros
    z1 = decode(batch["data"][0]["z"])
    assert z1.shape == (4, 5) and z1[3].sum() == 0 and z1[0].sum() == 1


def test_encoding_padding_embedding_and_sentence_follow_the_controls() -> None:
    at = open_page("pages/encoding.py")
    set_widget(at, "w_padding", "pre")
    z1 = decode(chart_by_title(at, "Padded batch")["data"][0]["z"])
    assert z1[0].sum() == 0 and z1[3].sum() == 1  # pre: the zero row comes first
    assert at.session_state["padding"] == "pre"
    set_widget(at, "w_emb_dim", 7)
    emb = chart_by_title(at, "Dense embedding")
    assert decode(emb["data"][0]["z"]).shape == (5, 7)
    assert decode(emb["data"][1]["z"]).shape == (3, 7)
    set_widget(at, "w_sentence", 3)
    one_hot = decode(chart_by_title(at, "One-hot matrix")["data"][0]["z"])
    assert one_hot.shape == (4, 5) and one_hot[2, 4] == 1  # "not" is id 4 at t=3


def test_encoding_caps_the_columns_of_a_large_vocabulary() -> None:
    words = " ".join(f"w{i}" for i in range(60))
    at = open_page("pages/encoding.py")
    set_widget(at, "w_corpus", words)
    one_hot = decode(chart_by_title(at, "One-hot matrix")["data"][0]["z"])
    assert one_hot.shape[1] <= 24
    assert "columns are drawn" in texts(at)


# --------------------------------------------------------------------------- forward


def unrolled(at: AppTest) -> dict:
    return chart_by_title(at, "unrolled over T=")


def squares(spec: dict, name: str, H: int) -> np.ndarray:
    """The unit squares of h (or c) in the unrolled diagram as the page opens it: (slots, H), NaN = not
    computed yet."""
    trace = next(d for d in spec["data"] if d.get("meta") == "states")
    names = np.array([c[2] for c in trace["customdata"]])
    return decode(trace["marker"]["color"]).astype(float)[names == name].reshape(-1, H)


def settle(at: AppTest, step: int) -> AppTest:
    """What the browser does when the student stops on a step: the step setting changes, the page reruns."""
    at.session_state["step"] = step
    return rerun(at)


def test_forward_shows_the_core_numbers() -> None:
    at = open_page("pages/forward.py")
    view = build_model({})
    np.testing.assert_allclose(hidden_z(at), view.trace.h)
    spec = unrolled(at)
    h = squares(spec, "h", 3)
    np.testing.assert_allclose(h[:2], [view.trace.h0, view.trace.h[0]])
    assert np.isnan(h[2:]).all()  # step 1: h_2 and h_3 are not computed yet
    assert [f["name"] for f in spec["frames"]] == ["1", "2", "3"]  # every step travels with the page
    assert spec["layout"]["sliders"][0]["active"] == 0
    summary = next(d.value for d in at.table if "Param #" in d.value.columns)
    assert list(summary.index) == ["simple_rnn (SimpleRNN)", "dense (Dense)"]
    assert list(summary["Output Shape"]) == ["(None, 3)", "(None, 1)"]
    assert list(summary["Param #"]) == [27, 4]
    assert "Total params: 31" in texts(at)
    latex = "\n".join(x.value for x in at.latex)
    assert r"\underset{(1\times 5)}{x_t}" in latex and r"(1\times 3)" in latex
    assert "W_{xh}[0,:]" in latex  # x_1 = "movie" (id 0) picks row 0
    h_1 = eq.latex_row(view.trace.h[0])
    assert rf"h_t = \tanh(a_t) &= {h_1}" in latex  # the activation line with h_1's real numbers
    assert at.get("bidi_component")  # the keyboard bridge of the diagram


def test_forward_settled_step_moves_the_server_side_panel() -> None:
    at = open_page("pages/forward.py")
    settle(at, 2)
    assert "Step t = 2: the word “was” (id 1)" in texts(at)
    spec = unrolled(at)
    assert spec["layout"]["sliders"][0]["active"] == 1  # the diagram opens where the student stopped
    view = build_model({})
    np.testing.assert_allclose(squares(spec, "h", 3)[2], view.trace.h[1])
    latex = "\n".join(x.value for x in at.latex)
    assert "W_{xh}[1,:]" in latex
    heat = chart_by_title(at, "States over time")
    rect = heat["layout"]["shapes"][0]
    assert (rect["y0"], rect["y1"]) == (0.5, 1.5)  # the row of t=2 is outlined
    assert at.query_params["step"] in ("2", ["2"])  # the link follows


def test_forward_cells_and_hidden_sizes() -> None:
    at = open_page("pages/forward.py", step=3)
    set_widget(at, "w_cell", "LSTM")
    view = build_model({"cell": "LSTM", "step": 3})
    np.testing.assert_allclose(hidden_z(at), view.trace.h)
    spec = chart_by_title(at, "LSTM unrolled")
    np.testing.assert_allclose(squares(spec, "c", 3)[3], view.trace.c[2])
    latex = "\n".join(x.value for x in at.latex)
    for sym in ("i_t", "f_t", r"\tilde{c}_t", "o_t", r"c_t = f_t \odot c_{t-1}"):
        assert sym in latex
    assert list(next(d.value for d in at.table if "Param #" in d.value.columns)["Param #"]) == [108, 4]
    set_widget(at, "w_cell", "GRU")
    latex = "\n".join(x.value for x in at.latex)
    assert r"\tilde{h}_t" in latex and "r_t" in latex and "z_t" in latex
    assert list(next(d.value for d in at.table if "Param #" in d.value.columns)["Param #"]) == [90, 4]
    set_widget(at, "w_hidden", 9)  # too wide for LaTeX vectors: a table of every term
    table = next(d.value for d in at.dataframe if "unit 9" in d.value.columns)
    assert table.shape[1] == 9
    assert hidden_z(at).shape == (3, 9)


def test_forward_sentence_change_and_step_clamp() -> None:
    at = open_page("pages/forward.py", sentence=3, step=4)
    assert "the word “not”" not in texts(at)  # t=4 is "good"
    assert "Step t = 4: the word “good” (id 2)" in texts(at)
    set_widget(at, "w_sentence", 1)  # 3 words: the step is clamped to 3
    assert "Step t = 3" in texts(at)
    assert hidden_z(at).shape == (3, 3)
    assert unrolled(at)["layout"]["sliders"][0]["active"] == 2
    settle(at, 40)  # a stale report from a longer sentence is clamped, never a crash
    assert "Step t = 3" in texts(at)


def test_forward_plays_in_the_browser() -> None:
    at = open_page("pages/forward.py")
    spec = unrolled(at)
    play = spec["layout"]["updatemenus"][0]["buttons"]
    assert [b["label"] for b in play] == ["▶ Play", "❚❚ Pause"]
    assert play[0]["method"] == "animate" and play[0]["args"][0] is None  # every frame, from the current
    assert [b["label"] for b in spec["layout"]["updatemenus"][1]["buttons"]] == ["slow", "normal", "fast"]
    assert not [b for b in at.button if "Play" in str(b.label)]  # no server-side player any more


def test_forward_url_values_and_invalid_ones() -> None:
    at = open_page("pages/forward.py", cell="GRU", hidden=2, step=2)
    spec = charts(at)[0]
    assert "GRU unrolled over T=3 steps" in titles(spec) and spec["layout"]["sliders"][0]["active"] == 1
    at = open_page("pages/forward.py", hidden=99, cell="Transformer")
    notes = "\n".join(w.value for w in at.warning)
    assert "hidden=" in notes and "cell=" in notes
    assert hidden_z(at).shape == (3, state.FIELD_BY_KEY["hidden"].default)


# --------------------------------------------------------------------------- bad input

BAD = {
    "empty": "",
    "punctuation": "!!! ??? ... ,,, ;;",
    "5000 chars": ("word " * 1000)[:5000],
    "emoji": "😀 🎉 great movie 👍 | 1",
    "right-to-left": "הסרט היה טוב | 1\nالفيلم كان جيدا | 0",
    "script": "<script>alert('x')</script> nice | 1",
    "markdown and latex": r"$x^2$ **bold** \frac{1}{2} # _u_ ~ % & {a} [link](http://x) `code`",
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_gives_a_message_not_a_traceback(page: str, name: str) -> None:
    text = BAD[name]
    at = open_page(page)
    set_widget(at, "w_corpus", text)
    assert at.session_state["corpus"] == text  # nothing typed is lost
    shown = texts(at)
    if name in ("empty", "punctuation"):
        assert "no words yet" in shown
    elif name == "5000 chars":
        assert f"at most {state.MAX_STEPS} time steps" in shown
    if page == "pages/forward.py" and name not in ("empty", "punctuation"):
        settle(at, 2)
        set_widget(at, "w_cell", "LSTM")
        assert at.get("plotly_chart")
    # user text never reaches Markdown unescaped
    for m in at.markdown:
        assert "<script>" not in m.value
