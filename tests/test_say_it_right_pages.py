"""Issue 10, "say it right", second part: the Forward, Gates and Gradient-lab pages say what their charts
show and what the lecture notes say. One test (or a few) per item; each fails if the wrong statement comes
back. Tests move through the pages as a student does: one setting after another on the same session."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from apptools import decode, open_page, rerun, set_widget
from plotly.colors import sample_colorscale
from streamlit.testing.v1 import AppTest

import rnnviz as rv
from rnnviz_app import equations as eq
from rnnviz_app import fig_gates, fig_lab, glossary, lab, state
from rnnviz_app.model import build_model

CELLS = ("SimpleRNN", "LSTM", "GRU")
GLOSSARY = "Notation ↔ lecture notes"


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def chart(at: AppTest, words: str) -> dict:
    for spec in charts(at):
        if words in spec["layout"]["title"]["text"]:
            return spec
    raise AssertionError(f"no chart titled …{words}…: {[s['layout']['title']['text'] for s in charts(at)]}")


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [w.value for w in at.warning] + [s.value for s in at.success] + [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


def latex(at: AppTest) -> str:
    return "\n".join(x.value for x in at.latex)


def settle(at: AppTest, step: int) -> AppTest:
    """What the browser does when the student stops on a step: the step setting changes, the page reruns."""
    at.session_state["step"] = step
    return rerun(at)


def popover_labels(at: AppTest) -> list[str]:
    found = []

    def walk(node) -> None:
        if getattr(node, "type", None) == "popover":
            found.append(node.proto.popover.label)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return found


# --------------------------------------------------------------------------- the glossary on every page


@pytest.mark.parametrize("name", ["forward", "gates", "lab", "train", "types"])
def test_glossary_popover_under_the_title(name: str) -> None:
    at = open_page(f"pages/{name}.py")
    assert GLOSSARY in popover_labels(at)
    blocks = list(at.main.children.values())
    title = next(i for i, b in enumerate(blocks) if getattr(b, "type", None) == "title")
    assert getattr(blocks[title + 1], "type", None) == "popover"  # right under the title


# --------------------------------------------------------------------------- Forward, item 5: parameters


def test_forward_counts_the_shared_cell_parameters_as_weights_plus_biases() -> None:
    at = open_page("pages/forward.py")
    text = page_text(at)
    assert "the same 27 cell parameters (24 weights + 3 biases) are used at all 3 time steps" in text
    assert "cell weights are used" not in text  # the old wording called all 27 "weights"
    set_widget(at, "w_cell", "GRU")  # 3·(5·3 + 3·3) = 72 weights, b_xh + b_hh = 18 biases
    assert "the same 90 cell parameters (72 weights + 18 biases)" in page_text(at)
    set_widget(at, "w_hidden", 4)  # 3·(5·4 + 4·4) = 108 weights + 24 biases
    assert "the same 132 cell parameters (108 weights + 24 biases)" in page_text(at)


# --------------------------------------------------------------------------- Forward, item 8: ŷ vs the label


def test_prediction_verdict_says_chance_wrong_or_unlabelled() -> None:
    assert "**right by chance**" in eq.prediction_verdict(0.766, 1.0)
    assert "luck" in eq.prediction_verdict(0.766, 1.0)
    wrong = eq.prediction_verdict(0.766, 0.0)
    assert "says **positive** but the label is y = 0: **wrong**" in wrong and "chance" not in wrong
    assert "**right by chance**" in eq.prediction_verdict(0.2, 0.0)
    assert "no label" in eq.prediction_verdict(0.2, None)
    trained = eq.prediction_verdict(0.9, 1.0, "trained")
    assert "**right**, with the trained weights" in trained and "chance" not in trained
    assert "**wrong**, with the uploaded weights" in eq.prediction_verdict(0.1, 1.0, "uploaded")
    assert "not a number" in eq.prediction_verdict(float("nan"), 1.0)
    with pytest.raises(ValueError, match="'random'"):
        eq.prediction_verdict(0.5, 1.0, "random")


def verdict_expected(settings: dict) -> str:
    view = build_model(settings)
    right = (view.yhat >= 0.5) == (view.label >= 0.5)
    return "right by chance" if right else "wrong"


def test_forward_caption_says_whether_the_untrained_prediction_is_right_by_chance() -> None:
    at = open_page("pages/forward.py")
    seen = set()
    for sentence in (1, 2, 3):  # the student picks one sentence after the other
        if sentence > 1:
            set_widget(at, "w_sentence", sentence)
        view = build_model({"sentence": sentence})
        caption = next(c.value for c in at.caption if c.value.startswith("ŷ = "))
        expected = verdict_expected({"sentence": sentence})
        assert caption.startswith(f"ŷ = {eq.fmt(view.yhat)} says")
        assert f"the label is y = {int(view.label)}: **{expected}" in caption
        seen.add(expected)
        assert "not a good prediction yet" not in page_text(at)  # the old caption, beside a right answer
        assert "page 4 trains" not in page_text(at)  # training is page 5
    assert seen == {"right by chance", "wrong"}  # the default corpus shows both cases


# --------------------------------------------------------------------------- Forward: b_f = 1


def test_forget_bias_note_only_at_keras_initialisation() -> None:
    lstm = rv.LSTM(5, 3, seed=0)
    note = eq.forget_bias_note(lstm)
    assert "unit_forget_bias=True" in note and "σ(1) = 0.73" in note
    assert eq.forget_bias_note(rv.SimpleRNN(5, 3, seed=0)) is None
    assert eq.forget_bias_note(rv.GRU(5, 3, seed=0)) is None
    sd = dict(lstm.to_torch())
    sd["bias_ih_l0"] = sd["bias_ih_l0"] + 0.1  # as after training: b_f is not 1 any more
    assert eq.forget_bias_note(rv.LSTM.from_torch(sd)) is None


def test_forward_lstm_says_why_b_f_is_one() -> None:
    at = open_page("pages/forward.py")
    assert "unit_forget_bias" not in page_text(at)  # a SimpleRNN has no forget gate
    set_widget(at, "w_cell", "LSTM")
    assert r"b_f &= \begin{bmatrix}1.000 & 1.000 & 1.000\end{bmatrix}" in latex(at)
    assert r"b_i &= \begin{bmatrix}0.000 & 0.000 & 0.000\end{bmatrix}" in latex(at)
    assert "**b_f = 1, every other bias 0**: Keras starts an LSTM so (unit_forget_bias=True" in page_text(at)
    settle(at, 2)  # the note stays with the equations of every step
    assert "unit_forget_bias=True" in page_text(at)
    set_widget(at, "w_cell", "GRU")
    assert "unit_forget_bias" not in page_text(at)


# --------------------------------------------------------------------------- Forward: W·[h_{t−1}, x_t]


@pytest.mark.parametrize("kind", CELLS)
def test_concat_form_equals_the_two_products(kind: str) -> None:
    cell = rv.make_cell(kind, 5, 3, seed=1)
    trace = cell.forward(rv.one_hot_ids([0, 1, 4, 2], 5), np.full(3, 0.3))
    for t in range(1, 5):
        form = eq.concat_form(cell, trace, t)
        gate = eq.CONCAT_GATE[kind]
        assert form.hx.shape == (8,) and form.W_shape == (8, 3)
        np.testing.assert_allclose(form.hx[:3], trace.h_prev[t - 1])
        np.testing.assert_array_equal(form.hx[3:], trace.x[t - 1])
        np.testing.assert_allclose(form.product, form.h_part + form.x_part, atol=1e-15)
        bias = (np.asarray(cell.b_h) if kind == "SimpleRNN" else
                cell.gate_block(np.asarray(cell.b_h), gate) if kind == "LSTM" else
                cell.gate_block(np.asarray(cell.b_xh) + np.asarray(cell.b_hh), gate))
        np.testing.assert_allclose(form.product + bias, trace.pre[gate][t - 1], atol=1e-14)
    with pytest.raises(ValueError, match=r"1\.\.4, got 5"):
        eq.concat_form(cell, trace, 5)


def test_concat_latex_writes_long_one_hots_short_and_wide_states_as_symbols() -> None:
    cell = rv.SimpleRNN(12, 3, seed=0)
    form = eq.concat_form(cell, cell.forward(rv.one_hot_ids([0, 7], 12)), 2)
    text = eq.concat_latex(form)
    h = " & ".join(eq.fmt(v, 2) for v in form.hx[:3])
    assert "{rrr|ccc}" + h + r" & 0\,\cdots\,0 & \underset{7}{1} & 0\,\cdots\,0\end{array}" in text
    assert r"(1\times 15)" in text
    wide = rv.GRU(5, 8, seed=0)
    text = eq.concat_latex(eq.concat_form(wide, wide.forward(rv.one_hot_ids([0, 1], 5)), 1))
    assert "bmatrix}0" not in text and r"(13\times 8)" in text and "W_{hz}" in text


def test_forward_shows_the_concatenation_form_with_the_steps_numbers() -> None:
    at = open_page("pages/forward.py")
    view = build_model({})
    for step in (1, 2, 3):  # the student steps through the sentence
        if step > 1:
            settle(at, step)
        form = eq.concat_form(view.cell, view.trace, step)
        assert eq.concat_latex(form) in latex(at)
        assert eq.latex_row(form.product, 2) in latex(at)
    text = page_text(at)
    assert "The notes' form W·[h<sub>t−1</sub>, x<sub>t</sub>]** is the same sum" in text
    assert "one row of 8 and stack W<sub>hh</sub> on W<sub>xh</sub> into one (8 × 3) matrix" in text
    set_widget(at, "w_cell", "LSTM")
    assert r"\begin{bmatrix}W_{hf}\\ W_{xf}\end{bmatrix}" in latex(at)
    assert "Shown for the forget gate" in page_text(at)


# --------------------------------------------------------------------------- Forward: the ŷ box's colour


def test_forward_yhat_box_has_a_colour_scale() -> None:
    at = open_page("pages/forward.py", step=3)
    spec = chart(at, "unrolled over")
    scale = spec["layout"]["coloraxis2"]
    assert scale["colorbar"]["title"]["text"] == "ŷ colour" and scale["colorbar"]["orientation"] == "h"
    assert (scale["cmin"], scale["cmax"]) == (0, 1)
    assert any(d.get("marker", {}).get("coloraxis") == "coloraxis2" for d in spec["data"])  # it is drawn
    view = build_model({"step": 3})
    square = next(d for d in spec["data"] if d.get("meta") == "yhat")
    drawn = square["marker"]["color"][0]
    assert drawn == sample_colorscale(scale["colorscale"], [view.yhat])[0]  # the box is on this scale
    x0 = spec["layout"]["xaxis"]["range"][0]
    span = spec["layout"]["xaxis"]["range"][1] - x0
    assert scale["colorbar"]["x"] == pytest.approx((float(decode(square["x"])[0]) - x0) / span)  # under ŷ


# --------------------------------------------------------------------------- Gates, item 6: GRU reset


def test_gru_reset_before_the_matrix_is_the_notes_cell() -> None:
    cell = rv.GRU(5, 3, seed=2)
    trace = cell.forward(rv.one_hot_ids([0, 1, 2, 3], 5), np.full(3, 0.4))
    before = eq.gru_reset_before(cell, trace)
    W_hn = cell.gate_block(cell.W_hh, "n")
    for k in range(trace.T):  # the handwritten notes' h̃ = tanh(W·[r ⊙ h_{t−1}, x_t]), written out
        r, h = trace.gates["r"][k], trace.h_prev[k]
        a = (trace.x[k] @ cell.gate_block(cell.W_xh, "n") + (r * h) @ W_hn
             + cell.gate_block(cell.b_xh, "n") + cell.gate_block(cell.b_hh, "n"))
        np.testing.assert_allclose(before[k], np.tanh(a), atol=1e-15)
    assert eq.gru_reset_gap(cell, trace) > 1e-3  # a different cell, not a renaming
    with pytest.raises(ValueError, match="LSTM"):
        eq.gru_reset_before(rv.LSTM(5, 3, seed=0), trace)


def test_gates_gru_flags_the_reset_convention_next_to_z() -> None:
    at = open_page("pages/gates.py")
    assert "reset gate r?" not in page_text(at)
    set_widget(at, "w_cell", "GRU")
    warnings = [w.value for w in at.warning]
    z = next(i for i, w in enumerate(warnings) if "Which way round is z?" in w)
    reset = warnings[z + 1]  # right after the z note
    assert reset.startswith("**And the reset gate r?**")
    assert "r ⊙ (hₜ₋₁W_hn + b_hn)" in reset and "tanh(W·[r ⊙ hₜ₋₁, xₜ])" in reset
    assert "reset_after=False" in reset
    view = build_model({"cell": "GRU"})
    assert f"by up to {eq.gru_reset_gap(view.cell, view.trace):.3f}." in reset
    set_widget(at, "w_cell", "LSTM")
    assert "reset gate r?" not in page_text(at)


# --------------------------------------------------------------------------- Gates, item 7: SimpleRNN title


@pytest.mark.parametrize("kind", CELLS)
def test_gates_title_says_every_gate_only_where_there_are_gates(kind: str) -> None:
    trace = rv.make_cell(kind, 5, 3, seed=0).forward(rv.one_hot_ids([0, 1, 2], 5))
    title = fig_gates.gates_figure(trace, ["movie", "was", "good"], 1).to_dict()["layout"]["title"]["text"]
    if kind == "SimpleRNN":
        assert "gate" not in title.replace("no gates", "")
        assert title == "SimpleRNN over time: a and h, no gates (rows = units, columns = words)"
    else:
        assert "every gate and state" in title


def test_gates_page_simple_rnn_title_agrees_with_its_info_box() -> None:
    at = open_page("pages/gates.py", cell="SimpleRNN")
    assert "SimpleRNN has no gates" in page_text(at)
    assert "every gate" not in chart(at, "over time")["layout"]["title"]["text"]
    set_widget(at, "w_cell", "LSTM")
    assert "LSTM over time: every gate and state" in chart(at, "over time")["layout"]["title"]["text"]


# --------------------------------------------------------------------------- Gates, item 10: the clouds


def test_word_gap() -> None:
    assert eq.word_gap(rv.tokenize("The clouds are in the sky"), "clouds", "sky") == 4
    assert eq.word_gap(["sky", "clouds"], "clouds", "sky") is None
    assert eq.word_gap(["movie"], "clouds", "sky") is None


def test_gates_clouds_preset_says_it_is_a_short_dependency() -> None:
    at = open_page("pages/gates.py")
    assert "short dependency" not in page_text(at)  # not on the default corpus
    button = at.button(key="gates_preset_clouds")
    assert "A short dependency: “sky” comes 4 words after “clouds”" in button.help
    assert "A long dependency: Delhi must be kept 11 words" in at.button(key="gates_preset_riya").help
    button.click()
    rerun(at)
    info = next(i.value for i in at.info if "short dependency" in i.value)
    assert "only 4 words back, so even a SimpleRNN can carry it" in info
    assert "Riya · Delhi · London is the long one: Delhi has to be kept for 11 words" in info
    set_widget(at, "w_corpus", "movie was good | 1")  # another sentence: no clouds note
    assert "short dependency" not in page_text(at)


# --------------------------------------------------------------------------- the Gradient lab

LAB = "Gradient lab"


def lab_trace(at: AppTest, meta: str) -> dict:
    return next(d for d in chart(at, LAB)["data"] if d.get("meta") == meta)


def headline(at: AppTest) -> str:
    return re.sub(r"<[^>]+>", "", lab_trace(at, "headline")["text"][0])


def lab_spec(**settings) -> lab.LabSpec:
    return lab.lab_spec({**state.defaults(), **settings}, 5, (0, 1, 2), 1.0)


def test_lab_intro_says_the_bound_is_a_ceiling_and_why_tanh_never_explodes() -> None:
    at = open_page("pages/lab.py", wh=3)
    text = page_text(at)
    assert "is **at most** (γ·w_h)ᵏ: a ceiling, not a forecast" in text
    assert "**tanh alone never explodes here**" in text and "ReLU has f′ = 1 wherever a unit is on" in text
    assert "shrinks like (γ·w_h)ᵏ or grows like it" not in text  # the old two-sided wording
    grid = lab.sweep(lab_spec(), lab.WH_GRID)
    assert "exploding" not in {name for name, _, _ in lab.regime_ranges(grid)}  # what the intro claims
    assert "**On this input**: cut for w_h = 0 · vanishing for w_h 0.05–3 · never exploding." in text
    point = lab.sweep(lab_spec(), 3.0)  # the numbers: 5.6e-71 under a ceiling of 1.7e47
    ceiling = "At w_h = 3.00: ‖dh_T/dh_1‖ = 5.6e-71, its ceiling (γ·w_h)⁹⁹ = 1.7e+47"
    assert lab.ceiling_sentence(point).startswith(ceiling) and ceiling in text
    set_widget(at, "w_lab_act", "relu")  # the same page, ReLU: the ceiling is reached and w_h > 1 explodes
    text = page_text(at)
    runs = lab.regime_ranges(lab.sweep(lab_spec(lab_act="relu"), lab.WH_GRID))
    lo, hi = next((a, b) for name, a, b in runs if name == "exploding")
    assert f"exploding for w_h {lo:g}–{hi:g}" in text and "w_h > 1 explodes: the lecture's point" in text
    assert "tanh alone does not explode" not in text


def test_lab_intro_is_folded_in_presentation_mode() -> None:
    at = open_page("pages/lab.py", present=1)
    top = [c for c in at.main.children.values() if getattr(c, "type", None) == "markdown"]
    assert not any("a ceiling, not a forecast" in m.value for m in top)  # not above the chart
    folded = [e for e in at.expander if e.label == "About this page"]
    assert folded and any("a ceiling, not a forecast" in m.value for m in folded[0].markdown)


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_phase_diagram_is_white_in_the_middle_and_marks_cut_cells(act: str) -> None:
    grid = lab.sweep(lab_spec(lab_act=act, lab_T=40), lab.WH_GRID)
    frames = fig_lab.wh_frames(grid)
    d = frames.figure(1.0).to_dict()
    heat = next(t for t in d["data"] if t.get("meta") == "phase")
    assert heat["colorscale"][5] == [0.5, "rgb(247,247,247)"]  # converted: white, not plotly.js' grey
    cut = next(t for t in d["data"] if t.get("meta") == "phase-cut")
    assert cut["marker"]["symbol"] == "x-thin" and cut["xaxis"] == "x2"
    k, j = np.nonzero(np.isneginf(grid.log10_jac[:, ::-1]))
    np.testing.assert_allclose(decode(cut["x"]), j)
    np.testing.assert_allclose(decode(cut["y"]), grid.w_h[k], atol=1e-6)
    assert np.all(decode(cut["y"])[decode(cut["x"]) > 0] >= 0)
    notes = " ".join(a["text"] for a in d["layout"]["annotations"])
    assert "× = exactly 0 (the chain is cut)" in notes and "grey = exactly 0" not in notes
    key = next(a for a in d["layout"]["annotations"] if a.get("name") == "phase-key")  # under the colour bar
    assert key["text"] == "red: exploding<br>white: stable<br>blue: vanishing"
    old = fig_lab.phase_figure(grid, 1.0).to_dict()  # the single-figure form agrees
    assert old["data"][0]["colorscale"][5][1] == "rgb(247,247,247)"
    assert any(t.get("meta") == "phase-cut" for t in old["data"])
    assert "white stable · red exploding · × exactly 0 (cut)" in old["layout"]["title"]["subtitle"]["text"]


def test_phase_diagram_without_cut_cells_has_no_cut_marker() -> None:
    grid = lab.sweep(lab_spec(lab_T=20), np.array([0.5, 1.0, 2.0]))  # no w_h = 0 row: nothing is cut
    assert fig_lab.cut_markers(grid) is None
    d = fig_lab.wh_frames(grid).figure(1.0).to_dict()
    assert not any(t.get("meta") == "phase-cut" for t in d["data"])
    notes = " ".join(a["text"] for a in d["layout"]["annotations"])
    assert "×" not in notes
    assert "white: stable" in notes


def test_lab_badge_and_metric_say_what_each_measures() -> None:
    at = open_page("pages/lab.py", lab_act="relu", wh=0.9)  # the case: VANISHING beside 21.33
    for wh, regime in ((0.9, "VANISHING"), (1.0, "STABLE")):
        if wh != 0.9:
            at.session_state["wh"] = wh  # the slider settled on 1
            rerun(at)
        assert regime in headline(at)
        number = re.search(r"‖dh_T/dh_1‖ = (\S+) after", headline(at)).group(1)
        metric = next(m for m in at.metric if m.label == "‖∂L/∂θ‖ (no clipping)")
        assert metric.proto.help == glossary.help_text("‖∂L/∂θ‖")
        caption = next(c.value for c in at.caption if c.value.startswith("The headline above the chart"))
        assert f"reads only ‖dh_T/dh_1‖ = {number}: how much the first word" in caption
        assert f"‖∂L/∂θ‖ = {metric.value} is the size of the whole weight gradient, a sum over all" in caption
    assert metric.value == "421.6"  # STABLE beside 421.6, now explained


def test_lab_shows_where_its_settings_come_from_and_can_follow_the_sidebar() -> None:
    at = open_page("pages/lab.py")
    source = next(c.value for c in at.caption if c.value.startswith("**The lab runs**"))
    assert "cell SimpleRNN (tanh) (the lab's own choice above)" in source
    assert "input: 100 generated words (seeded), label y = 0" in source
    assert "H = 3, seed 0 and h₀ zeros from the sidebar" in source
    assert "lab_use_sidebar" not in [b.key for b in at.button]  # the same cell: nothing to follow
    set_widget(at, "w_act", "relu")  # the sidebar says relu, the lab runs tanh
    source = next(c.value for c in at.caption if c.value.startswith("**The lab runs**"))
    assert "The sidebar's cell is SimpleRNN (relu): the lab does not follow it." in source
    set_widget(at, "w_cell", "GRU")
    assert "The sidebar's cell is GRU" in next(c.value for c in at.caption if "**The lab runs**" in c.value)
    at.button(key="lab_use_sidebar").click()
    rerun(at)
    source = next(c.value for c in at.caption if c.value.startswith("**The lab runs**"))
    assert "cell GRU (the lab's own choice above)" in source and "does not follow" not in source
    assert "GRU" in chart(at, LAB)["layout"]["annotations"][0]["text"]  # the chart follows
    assert "lab_use_sidebar" not in [b.key for b in at.button]
    set_widget(at, "w_lab_len", "sentence")
    source = next(c.value for c in at.caption if c.value.startswith("**The lab runs**"))
    assert "input: the sidebar's sentence “movie was good” (3 words, label y = 1)" in source


def test_lab_names_the_lectures_fixes_and_explains_its_jargon() -> None:
    at = open_page("pages/lab.py")
    text = page_text(at)
    for fix in ("**Gradient clipping** (exploding)", "**Controlled learning rate** (exploding)",
                "**ReLU / leaky ReLU** (vanishing)", "**Better (orthogonal / identity) initialisation**",
                "**Skip connections (skip RNNs)**", "**LSTM / GRU** (both)"):
        assert fix in text, fix
    at_one = lab.regime_of(lab.sweep(lab_spec(), 1.0)).name
    assert f"On this input w_h = 1 is **{at_one}**." in text
    assert "The lecture's fix for exploding gradients." in text  # at the clipping box
    assert "**LSTM/GRU** is the lecture's fix" in text  # at the comparison
    typed = at.number_input(key="w_wh")
    assert glossary.help_text("spectral radius") in typed.help
    assert "computed in log space" not in text and "computed from logarithms so that 1e-300 stays" in text
    assert "Q turns a vector without changing its length" in text  # W_hh = w_h·Q, Q orthogonal
    set_widget(at, "w_present", True)  # presentation mode: the fixes fold away under the chart
    assert "The lecture's fixes, and where to see them" in [e.label for e in at.expander]


# --------------------------------------------------------------------------- in the browser, with screenshots

CHART_TOP_JS = """() => { const g = [...document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')]
    .filter(e => e.offsetParent); return g.length ? g[0].getBoundingClientRect().top : null; }"""


@pytest.mark.browser
def test_say_it_right_pages_in_the_browser(page, app_server: str, screenshot_dir) -> None:
    from playwright.sync_api import expect
    from test_say_it_right import open_in_browser, shot

    shots = screenshot_dir / "say_it_right"
    shots.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    main = page.locator('[data-testid="stMain"]')
    # forward, LSTM, last step: ŷ's verdict, b_f = 1 and the concatenation form with the step's numbers
    open_in_browser(page, f"{app_server}/forward?cell=LSTM&step=3", "unrolled over")
    expect(main.get_by_text("but the label is y = 1: wrong", exact=False)).to_be_visible()  # ŷ = 0.470
    shot(page, shots / "forward_yhat.png", '[data-testid="stHeading"]:has-text("Forward through time")')
    expect(main.get_by_text("unit_forget_bias=True", exact=False)).to_be_attached()
    shot(page, shots / "forward_b_f.png", '[data-testid="stCaptionContainer"]:has-text("unit_forget_bias")')
    expect(main.get_by_text("is the same sum", exact=False)).to_be_attached()
    shot(page, shots / "forward_concat.png", 'p:has-text("is the same sum")')
    # gates, GRU: the reset convention right after the z note
    open_in_browser(page, f"{app_server}/gates?cell=GRU", "GRU over time")
    expect(main.get_by_text("And the reset gate r?")).to_be_attached()
    shot(page, shots / "gates_gru_reset.png", '[data-testid="stAlert"]:has-text("Which way round is z?")')
    # gates, SimpleRNN: the title says there are no gates, as the info box does
    open_in_browser(page, f"{app_server}/gates?cell=SimpleRNN", "no gates")
    shot(page, shots / "gates_simple_rnn_title.png", '[data-testid="stAlert"]:has-text("has no gates")')
    # gates, the clouds: a short dependency
    page.get_by_role("button", name="Example: Clouds in the sky").click()
    expect(main.get_by_text("a short dependency.", exact=False)).to_be_visible(timeout=60_000)
    shot(page, shots / "gates_clouds.png", '[data-testid="stAlert"]:has-text("short dependency")')
    # the lab: the phase diagram's white middle and × cells, where the settings come from, the fixes
    open_in_browser(page, f"{app_server}/lab?lab_act=relu&cell=GRU", "Gradient lab")
    expect(main.get_by_text("The sidebar's cell is GRU", exact=False)).to_be_visible()
    shot(page, shots / "lab_phase_and_source.png", '[data-testid="stPlotlyChart"] >> nth=0')
    expect(main.get_by_text("The headline above the chart reads only", exact=False)).to_be_attached()
    source = '[data-testid="stCaptionContainer"]:has-text("The lab runs")'
    shot(page, shots / "lab_badge_vs_metric.png", source)
    shot(page, shots / "lab_fixes.png", 'p:has-text("The lecture\'s fixes")')
    page.get_by_role("button", name="Use the sidebar's cell and activation").click()
    followed = main.get_by_text("cell GRU (the lab's own choice above)", exact=False)
    expect(followed).to_be_visible(timeout=60_000)
    # presentation mode at 1024×768: the new text sits after the chart, which still starts on screen
    page.set_viewport_size({"width": 1024, "height": 768})
    for name, words in (("forward", "unrolled over"), ("gates", "over time"), ("lab", "Gradient lab")):
        open_in_browser(page, f"{app_server}/{name}?present=1", words)
        page.wait_for_timeout(300)
        top = page.evaluate(CHART_TOP_JS)
        assert top is not None and top < 768 - 60, (name, top)
        page.screenshot(path=str(shots / f"{name}_present_1024x768.png"))
    page.locator('[data-testid="stPlotlyChart"]').first.evaluate("el => el.scrollIntoView({block: 'end'})")
    page.wait_for_timeout(400)
    page.screenshot(path=str(shots / "lab_present_phase_1024x768.png"))  # the phase diagram and its key
