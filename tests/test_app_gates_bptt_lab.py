"""AppTest of the gates, BPTT and gradient-lab pages: they load for every cell, follow their controls, show
the core's numbers, take a gradient-descent step that lowers the loss, and pass the gradient check."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from apptools import decode, open_page, rerun, set_widget
from streamlit.testing.v1 import AppTest

import rnnviz as rv
from rnnviz_app import lab, state
from rnnviz_app.model import build_model

REPO = Path(__file__).resolve().parent.parent
CELLS = ("SimpleRNN", "LSTM", "GRU")
PAGES = ("pages/gates.py", "pages/bptt.py", "pages/lab.py")


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def chart(at: AppTest, words: str) -> dict:
    for spec in charts(at):
        if words in spec["layout"]["title"]["text"]:
            return spec
    raise AssertionError(f"no chart titled …{words}…: {[s['layout']['title']['text'] for s in charts(at)]}")


def trace(spec: dict, name: str) -> dict:
    return next(d for d in spec["data"] if d.get("meta") == name)


def text_of(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.info] + [m.value for m in at.warning]
    parts += [m.value for m in at.success] + [m.value for m in at.error] + [m.value for m in at.caption]
    return "\n".join(str(p) for p in parts)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


# ------------------------------------------------------------------------------------------- every page


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("page", PAGES)
def test_page_loads_for_every_cell(page: str, cell: str) -> None:
    at = open_page(page, cell=cell, lab_cell=cell)
    assert at.get("plotly_chart")
    assert at.radio(key="w_cell").value == cell  # the page ran inside app.py, with the URL's settings


@pytest.mark.parametrize("page", PAGES)
def test_empty_corpus_is_a_message_not_a_traceback(page: str) -> None:
    at = open_page(page)
    at = set_widget(at, "w_corpus", "  ...  ")
    assert "no words yet" in "\n".join(i.value for i in at.info)
    assert at.text_area(key="w_corpus").value == "  ...  "  # nothing typed is lost


# ------------------------------------------------------------------------------------------- gates


def outlined(spec: dict) -> set[float]:
    """The left edge of the current-step outline in every panel, as the figure opens."""
    return {float(decode(d["x"]).min()) for d in spec["data"] if str(d.get("meta", "")).startswith("now-")}


def sentence(spec: dict) -> str:
    return trace(spec, "sentence")["text"][0].replace("<br>", " ")


def test_gates_heatmaps_follow_the_step_and_the_cell() -> None:
    at = open_page("pages/gates.py", cell="LSTM", corpus=lab.PRESET_BY_KEY["riya"].text, step=19)
    spec = chart(at, "LSTM over time")
    heat = [d for d in spec["data"] if d["type"] == "heatmap"]
    assert [d["name"] for d in heat] == ["i", "f", "c̃", "o", "c", "h"]
    v = build_model({**state.defaults(), "cell": "LSTM", "corpus": lab.PRESET_BY_KEY["riya"].text})
    np.testing.assert_allclose(decode(heat[1]["z"]), v.trace.gates["f"].T)
    assert outlined(spec) == {18.5}
    assert sentence(spec).startswith("t = 19 ‘london’: mean forget gate f = ")
    assert len(spec["frames"]) == v.T  # every step travels with the page: stepping is in the browser
    at.session_state["step"] = 4  # what the browser reports once the student settled on t = 4
    spec = chart(rerun(at), "LSTM over time")
    assert outlined(spec) == {3.5} and sentence(spec).startswith("t = 4 ‘doctor’")
    at = set_widget(at, "w_cell", "GRU")
    heat = [d for d in chart(at, "GRU over time")["data"] if d["type"] == "heatmap"]
    assert [d["name"] for d in heat] == ["r", "z", "h̃", "h"]
    assert "Which way round is z?" in text_of(at)


def test_gates_simple_rnn_shows_a_and_h_and_says_why() -> None:
    at = open_page("pages/gates.py")
    heat = [d for d in chart(at, "SimpleRNN over time")["data"] if d["type"] == "heatmap"]
    assert [d["name"] for d in heat] == ["a", "h"]
    assert "SimpleRNN has no gates" in text_of(at)


@pytest.mark.parametrize("key", ["riya", "riya_gru", "clouds"])
def test_gates_preset_button_loads_the_lecture_example(key: str) -> None:
    at = open_page("pages/gates.py")
    at.button(key=f"gates_preset_{key}").click()
    at = rerun(at)
    preset = lab.PRESET_BY_KEY[key]
    assert at.text_area(key="w_corpus").value == preset.text
    kind = "GRU" if key == "riya_gru" else "LSTM"
    if preset.trained:  # a network trained here: its badge stands in for the cell picker
        assert "training in rnnviz" in " ".join(m.value for m in at.sidebar.markdown)
    else:
        assert at.radio(key="w_cell").value == "LSTM"  # SimpleRNN has no gates
    x = chart(at, f"{kind} over time")["layout"]["xaxis"]["ticktext"]  # "t=2 · clouds", …
    assert len(x) == len(rv.tokenize(preset.text)) and x[1].endswith(rv.tokenize(preset.text)[1])


def test_gates_step_beyond_a_short_sentence_is_clamped() -> None:
    at = open_page("pages/gates.py", cell="GRU", step=30)
    spec = chart(at, "GRU over time")
    assert spec["layout"]["sliders"][0]["active"] == 2 and at.session_state["step"] == 3
    assert sentence(spec).startswith("t = 3 ‘good’")


# ------------------------------------------------------------------------------------------- BPTT


def test_bptt_shows_the_many_to_one_numbers() -> None:
    at = open_page("pages/bptt.py")
    v = build_model(state.defaults())
    ex = rv.many_to_one(v.cell, v.head, v.x, v.label, v.h0)
    assert metric(at, "prediction ŷ") == f"{ex.yhat:.4f}"
    assert metric(at, "loss L") == f"{ex.loss:.4f}"
    assert metric(at, "∂L/∂ŷ") == f"{ex.head.dL_dyhat:.4f}"
    latex = "\n".join(e.value for e in at.latex)
    assert f"{ex.loss:.4f}" in latex and r",\ ".join(f"{g:.4f}" for g in ex.head.grads["w_o"]) in latex
    falls = [d for d in chart(at, "sum over time steps")["data"] if d["type"] == "waterfall"]
    np.testing.assert_allclose(decode(falls[0]["y"])[:-1], ex.grads.per_step["W_hh"].reshape(3, -1).sum(1))
    texts = [a["text"] for a in chart(at, "chain rule")["layout"]["annotations"]]
    assert f"{np.linalg.norm(ex.grads.dh[0]):.2g}" in texts


def test_bptt_gradient_descent_step_lowers_the_loss_and_resets() -> None:
    at = open_page("pages/bptt.py")
    before = float(metric(at, "loss L"))
    at.button(key="bptt_step").click()
    at = rerun(at)
    after = float(metric(at, "loss L"))
    assert after < before
    v = build_model(state.defaults())
    ex0 = rv.many_to_one(v.cell, v.head, v.x, 1.0, v.h0)
    cell, head = rv.sgd_step(v.cell, v.head, ex0, 0.5)
    assert after == pytest.approx(rv.many_to_one(cell, head, v.x, 1.0).loss, abs=5e-5)
    assert f"the loss went from {before:.4f} to {after:.4f}" in text_of(at)
    assert chart(at, "loss and prediction after each step")
    at.button(key="bptt_step").click()
    at = rerun(at)
    assert float(metric(at, "loss L")) < after
    assert "Steps taken: **2**" in text_of(at)
    at.button(key="bptt_reset").click()
    at = rerun(at)
    assert float(metric(at, "loss L")) == before


def test_bptt_learning_rate_changes_the_step() -> None:
    at = open_page("pages/bptt.py")
    at.button(key="bptt_step").click()
    small = float(metric(rerun(at), "loss L"))
    at = set_widget(at, "w_lr", 2.0)
    assert float(metric(at, "loss L")) < small  # a bigger step on this convex-ish start


def test_bptt_gradcheck_agrees() -> None:
    at = open_page("pages/bptt.py", cell="LSTM")
    assert any("agree with finite differences to 1e-" in s.value for s in at.success)
    table = at.dataframe[-1].value.data if hasattr(at.dataframe[-1].value, "data") else at.dataframe[-1].value
    assert set(table["agrees"]) == {"✓ yes"}
    assert {"weight W_hh", "weight W_xh", "weight b_h", "weight w_o", "weight b_o"} <= set(
        table["gradient of L with respect to"])


def test_bptt_sentence_without_label_lets_the_user_choose_y() -> None:
    at = open_page("pages/bptt.py", corpus="movie was good")
    assert at.radio(key="bptt_y").value == 1
    loss1 = float(metric(at, "loss L"))
    at = set_widget(at, "bptt_y", 0)
    v = build_model({**state.defaults(), "corpus": "movie was good"})
    assert float(metric(at, "loss L")) == pytest.approx(rv.bce(v.yhat, 0.0), abs=5e-5)
    assert float(metric(at, "loss L")) != loss1


# ------------------------------------------------------------------------------------------- the lab


LAB = "Gradient lab"  # the chart: the curves, the phase diagram and the w_h slider, every w_h a frame


def earliest(at: AppTest) -> float:
    """log10 ‖dh_T/dh_1‖ as plotted at the chart's w_h: the jac curve at the largest steps-back value."""
    jac = trace(chart(at, LAB), "jac")
    x, y = decode(jac["x"]), decode(jac["y"])
    return float(y[np.argmax(x)])


def badge(at: AppTest) -> str:
    """The regime headline above the curves, as text."""
    return re.sub(r"<[^>]+>", "", trace(chart(at, LAB), "headline")["text"][0])


def test_lab_w_h_moves_the_regime_and_the_curves() -> None:
    at = open_page("pages/lab.py", lab_act="relu", lab_T=120, wh=0.5)
    assert "VANISHING" in badge(at) and "after 119 steps back" in badge(at)
    low = earliest(at)
    spec = lab.lab_spec({**state.defaults(), "lab_act": "relu", "lab_T": 120}, 5, (0, 1, 2), 1.0)
    assert low == pytest.approx(float(lab.sweep(spec, 0.5).log10_jac[0, 0]), abs=1e-4)  # float32 in the page
    lab_chart = chart(at, LAB)
    assert len(lab_chart["frames"]) == 61 and lab_chart["frames"][10]["name"] == "0.5"  # the whole grid
    assert lab_chart["layout"]["sliders"][0]["active"] == 10
    at.session_state["wh"] = 2.0  # what the browser reports once the slider settled on 2
    at = rerun(at)
    assert "EXPLODING" in badge(at)
    assert earliest(at) - low > 20  # many orders of magnitude
    assert list(decode(trace(chart(at, LAB), "your-wh")["y"])) == [2.0, 2.0]  # marked on the phase diagram
    assert decode(trace(chart(at, LAB), "phase")["z"]).shape == (61, 120)


def test_lab_a_typed_w_h_is_computed_exactly_and_joins_the_slider() -> None:
    at = open_page("pages/lab.py", lab_act="relu", lab_T=120)
    at = set_widget(at, "w_wh", 1.37)  # off the grid: computed on the server
    spec_chart = chart(at, LAB)
    names = [f["name"] for f in spec_chart["frames"]]
    assert len(names) == 62 and "1.37" in names
    assert spec_chart["layout"]["sliders"][0]["active"] == names.index("1.37")
    assert badge(at).startswith("wh = 1.37")
    spec = lab.lab_spec({**state.defaults(), "lab_act": "relu", "lab_T": 120}, 5, (0, 1, 2), 1.0)
    assert earliest(at) == pytest.approx(float(lab.sweep(spec, 1.37).log10_jac[0, 0]), abs=1e-4)
    assert at.query_params["wh"] in ("1.37", ["1.37"])


def test_lab_controls_change_the_view() -> None:
    at = open_page("pages/lab.py")
    assert len(decode(trace(chart(at, LAB), "jac")["x"])) == 100
    at = set_widget(at, "w_lab_T", 150)
    assert len(decode(trace(chart(at, LAB), "jac")["x"])) == 150
    at = set_widget(at, "w_lab_len", "sentence")
    assert len(decode(trace(chart(at, LAB), "jac")["x"])) == 3
    at = set_widget(at, "w_lab_cell", "LSTM")
    spec = chart(at, LAB)
    assert "LSTM" in spec["layout"]["annotations"][0]["text"]
    assert not any(d.get("meta") == "bound" for d in spec["data"])  # the bound is the SimpleRNN's
    compare = chart(at, "Three cells")
    assert [d["meta"] for d in compare["data"]][:4] == ["SimpleRNN", "LSTM", "forget", "GRU"]


def test_lab_clipping_numbers() -> None:
    at = open_page("pages/lab.py", lab_act="relu", lab_T=120, wh=2.0)
    pre_only = metric(at, "‖∂L/∂θ‖ (no clipping)")
    at = set_widget(at, "w_clip", 1.0)
    pre, post = metric(at, "‖∂L/∂θ‖ before clipping"), metric(at, "‖∂L/∂θ‖ after clipping")
    assert pre == pre_only and float(pre) > 1e6
    assert float(post) == pytest.approx(1.0, rel=1e-3)
    spec = lab.lab_spec({**state.defaults(), "lab_act": "relu", "lab_T": 120}, 5, (0, 1, 2), 1.0)
    assert float(pre) == pytest.approx(lab.clip_at(spec, 2.0, 1.0).pre_norm, rel=1e-3)


def test_lab_w_h_zero_is_cut_not_blank() -> None:
    at = open_page("pages/lab.py", wh=0)
    assert "CUT" in badge(at) and "W_hh = 0" in badge(at)
    spec = chart(at, LAB)
    assert len(decode(trace(spec, "jac-zero")["x"])) == 99  # marked on the 0 row (t = T is 1: nothing back)
    assert spec["layout"]["yaxis"]["ticktext"][0] == "0 (exact)"


def test_lab_settings_go_to_the_url() -> None:
    at = open_page("pages/lab.py")
    at = set_widget(at, "w_wh", 1.7)
    at = set_widget(at, "w_lab_cell", "GRU")
    assert at.query_params["wh"] in ("1.7", ["1.7"]) and at.query_params["lab_cell"] in ("GRU", ["GRU"])
