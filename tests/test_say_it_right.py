"""Issue 10, "say it right": every sentence, legend and badge agrees with the chart beside it and with the
lecture notes. One test (or a few) per item; each fails if the wrong statement comes back."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from apptools import decode, open_page, rerun, set_widget
from streamlit.testing.v1 import AppTest

import rnnviz as rv
from rnnviz_app import equations as eq
from rnnviz_app import fig_bptt, fig_weights, glossary, state
from rnnviz_app.model import build_model

CELLS = ("SimpleRNN", "LSTM", "GRU")


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def chart(at: AppTest, words: str) -> dict:
    for spec in charts(at):
        if words in spec["layout"]["title"]["text"]:
            return spec
    raise AssertionError(f"no chart titled …{words}…: {[s['layout']['title']['text'] for s in charts(at)]}")


def plain(html: str) -> str:
    """Plotly text without its <sub> tags: "W<sub>xh</sub> 15" → "W_xh 15"."""
    return re.sub(r"<sub>(.*?)</sub>", r"_\1", html)


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [w.value for w in at.warning] + [s.value for s in at.success] + [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


# --------------------------------------------------------------------------- item 4: weights drawn vs counted


@pytest.mark.parametrize("kind", CELLS)
def test_weights_title_counts_what_the_heatmaps_draw(kind: str) -> None:
    cell = rv.cell_class(kind)(5, 3, seed=0)
    fig = fig_weights.weight_heatmaps(cell, ["movie", "was", "good", "bad", "not"])
    drawn = sum(np.size(trace.z) for trace in fig.data)
    title = plain(fig.layout.title.text)
    subtitle = plain(fig.layout.title.subtitle.text)
    assert f"{drawn} weights drawn" in title  # the number in the title is the number of cells drawn
    assert f"W_xh {cell.W_xh.size} + W_hh {cell.W_hh.size}" in title
    biases = sum(cell.params[b].size for b in cell.bias_names)
    assert f"the {biases} biases" in subtitle and f"Keras' {cell.num_params()} parameters" in subtitle
    assert drawn + biases == cell.num_params()
    assert "biases not shown" not in title  # the old title called all 27 "numbers" above 24 drawn


def test_weights_split_seeds_numbers() -> None:
    split = eq.param_split(rv.SimpleRNN(5, 3, seed=0))
    assert (split.W_xh, split.W_hh, split.cell_bias_total, split.cell_total) == (15, 9, 3, 27)
    assert eq.weights_drawn(split) == ("24 weights drawn (W_xh 15 + W_hh 9)",
                                       "+ the 3 biases b_h (not drawn) = Keras' 27 parameters of this layer")


def test_weights_page_title_follows_the_cell_and_size() -> None:
    at = open_page("pages/weights.py")
    assert "24 weights drawn" in plain(chart(at, "weights drawn")["layout"]["title"]["text"])
    set_widget(at, "w_hidden", 4)  # 5·4 + 4·4 = 36 drawn, + 4 biases = Keras' 40
    spec = chart(at, "weights drawn")
    drawn = sum(decode(d["z"]).size for d in spec["data"])
    assert drawn == 36 and "36 weights drawn" in plain(spec["layout"]["title"]["text"])
    assert "Keras' 40 parameters" in plain(spec["layout"]["title"]["subtitle"]["text"])
    set_widget(at, "w_cell", "GRU")  # 3·(20 + 16) = 108 drawn; b_xh + b_hh = 24; Keras 132
    spec = chart(at, "weights drawn")
    assert "108 weights drawn" in plain(spec["layout"]["title"]["text"])
    subtitle = plain(spec["layout"]["title"]["subtitle"]["text"])
    assert "the 24 biases b_xh + b_hh (not drawn) = Keras' 132" in subtitle


# --------------------------------------------------------------------------- item 5: 27 + 4 = 31, both splits


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize(("V", "H"), [(5, 3), (7, 2)])
def test_both_splits_count_every_parameter_once(kind: str, V: int, H: int) -> None:
    cell, head = rv.cell_class(kind)(V, H, seed=1), rv.SigmoidHead.init(H, seed=1)
    split = eq.param_split(cell, head)
    notes, keras = eq.param_split_rows(split)
    G = cell.n_blocks
    assert notes[0][2] == V * G * H + H * G * H + H  # weights: W_xh, W_hh and w_o
    assert notes[1][2] == sum(cell.params[b].size for b in cell.bias_names) + 1  # biases: the cell's + b_o
    assert keras[0][2] == cell.num_params() and keras[1][2] == head.num_params() == H + 1
    assert notes[-1][2] == keras[-1][2] == cell.num_params() + head.num_params()
    assert notes[0][2] + notes[1][2] == notes[-1][2] and keras[0][2] + keras[1][2] == keras[-1][2]


def test_home_shows_the_notes_split_beside_keras_and_says_they_agree() -> None:
    at = open_page("pages/home.py")
    frames = {tuple(d.value.columns): d.value for d in at.table}
    notes = frames[("lecture notes", "made of", "count")]
    keras = frames[("Keras layer", "made of", "Param #")]
    assert list(notes["count"]) == [27, 4, 31]  # lecture note a: weights = 27 (15 + 9 + 3), biases = 4
    assert list(notes["made of"])[:2] == ["W_xh 15 + W_hh 9 + w_o 3", "b_h 3 + b_o 1"]
    assert list(keras["Param #"]) == [27, 4, 31]  # lecture note b's model.summary()
    assert list(keras["made of"])[:2] == ["kernel 15 + recurrent_kernel 9 + bias 3", "kernel 3 + bias 1"]
    text = page_text(at)
    assert ("Both add up to **31**: the same 31 numbers, grouped differently (weights 27 + biases 4 = "
            "SimpleRNN 27 + Dense 4)") in text
    assert "the notes' 27 weights include the 3 output weights w_o and no bias" in text
    assert any("27 + 4 = 31" in s.value for s in at.subheader)
    # the ANN-vs-RNN table no longer calls weights-plus-biases "weights"
    table = next(d.value for d in at.dataframe if "takes" in d.value.columns)
    assert "weights" not in table.columns
    assert list(table["parameters = weights + biases"]) == ["T_max·V·H + H: 60 weights + 3 biases",
                                                           "V·H + H·H + H: 24 weights + 3 biases"]
    assert list(table["count"]) == [63, 27]
    ann = chart(at, "first layer")
    assert ann["layout"]["yaxis"]["title"]["text"] == "parameters (weights + biases)"


def test_home_splits_follow_the_cell_and_sizes() -> None:
    at = open_page("pages/home.py")
    set_widget(at, "w_cell", "LSTM")  # weights 60 + 36 + 3 = 99, biases 12 + 1 = 13; Keras 108 + 4
    frames = {tuple(d.value.columns): d.value for d in at.table}
    assert list(frames[("lecture notes", "made of", "count")]["count"]) == [99, 13, 112]
    assert list(frames[("Keras layer", "made of", "Param #")]["Param #"]) == [108, 4, 112]
    assert "Both add up to **112**" in page_text(at) and "Careful" not in page_text(at)
    assert any("108 + 4 = 112" in s.value for s in at.subheader)
    set_widget(at, "w_cell", "GRU")
    set_widget(at, "w_hidden", 4)  # GRU 3·(5·4 + 4·4 + 2·4) = 132; weights 60 + 48 + 4, biases 24 + 1
    frames = {tuple(d.value.columns): d.value for d in at.table}
    assert list(frames[("lecture notes", "made of", "count")]["count"]) == [112, 25, 137]
    assert list(frames[("Keras layer", "made of", "Param #")]["Param #"]) == [132, 5, 137]
    assert frames[("lecture notes", "made of", "count")]["made of"][1] == "b_xh 12 + b_hh 12 + b_o 1"


# --------------------------------------------------------------------------- item 9: which tolerance passed


def row(name: str, norm: float, rel: float, err: float) -> dict:
    return {"gradient of L with respect to": name, "‖analytic‖": norm, "relative error": rel,
            "max |analytic − numeric|": err}


def test_gradcheck_verdict_names_the_test_each_weight_passed() -> None:
    rel_only = [row("weight W_hh", 0.2, 4e-10, 8e-11), row("weight w_o", 0.3, 1e-10, 5e-11),
                row("input x (the one-hot words)", 0.2, 0.5, 1e-9)]  # not a weight: not in the verdict
    text = eq.gradcheck_verdict(rel_only, 1e-6, 1e-8)
    assert text == ("The analytic gradients of the weights agree with finite differences to 1e-9 in "
                    "**relative error** (largest 4.0e-10; the test asks ≤ 1e-6).")
    tiny = [row("weight W_hh", 1e-14, 1e-2, 2e-17), row("weight b_o", 1e-14, 3e-3, 1e-17)]
    text = eq.gradcheck_verdict(tiny, 1e-6, 1e-8)
    assert "relative error" in text and "to 1e-2" not in text  # the old message: "to 1e-2 (relative error)"
    assert text.startswith("The analytic gradients of the weights agree with finite differences on the "
                           "**absolute error**: max |analytic − numeric| = 2.0e-17 ≤ 1e-8")
    assert "relative error is up to 1.0e-2 (above 1e-6)" in text and "as small as 1.0e-14" in text
    mixed = eq.gradcheck_verdict([row("weight W_hh", 5e-5, 2.7e-6, 1.2e-10), *rel_only[1:]], 1e-6, 1e-8)
    assert mixed.startswith("The analytic gradients of w_o agree with finite differences to 1e-10 in "
                            "**relative")
    assert "W_hh passed on the **absolute error** instead" in mixed
    bad = eq.gradcheck_verdict([row("weight W_hh", 1.0, 0.3, 0.1)], 1e-6, 1e-8)
    assert bad.startswith("Some derivatives disagree") and "W_hh" in bad


def test_bptt_gradcheck_message_after_big_steps_says_absolute() -> None:
    at = open_page("pages/bptt.py", cell="GRU")
    assert any("to 1e-" in s.value and "**relative error**" in s.value for s in at.success)
    set_widget(at, "w_lr", 10.0)
    for _ in range(3):  # the loss is ≈ 3e-4 now: the cell's gradients are ≈ 1e-4, too small for 1e-6 relative
        at.button(key="bptt_step").click()
        at = rerun(at)
    at.button(key="bptt_run_check").click()  # after a step the check runs on request
    at = rerun(at)
    verdict = next(s.value for s in at.success if "finite differences" in s.value)
    table = at.dataframe[-1].value
    table = table.data if hasattr(table, "data") else table
    only_abs = table[(table["relative error"] > 1e-6) & table["gradient of L with respect to"].str.startswith(
        "weight")]
    assert len(only_abs) > 0 and set(only_abs["agrees"]) == {"✓ yes"}
    assert "passed on the **absolute error** instead" in verdict
    for name in only_abs["gradient of L with respect to"]:
        assert name.removeprefix("weight ") in verdict.split("passed on")[0].split(").")[-1]


# --------------------------------------------------------------------------- unexplained: BPTT waterfall


def bptt_example(kind: str = "SimpleRNN", h0: str = "zeros") -> tuple:
    view = build_model({**state.defaults(), "cell": kind, "h0": h0})
    return view, rv.many_to_one(view.cell, view.head, view.x, 1.0, view.h0, view.c0)


@pytest.mark.parametrize("kind", CELLS)
def test_waterfall_says_why_delta_1_of_w_hh_is_zero(kind: str) -> None:
    view, ex = bptt_example(kind)
    fig = fig_bptt.contributions_figure(ex, view.tokens)
    assert not np.any(ex.grads.per_step["W_hh"][0])  # h₀ = 0 ⇒ δ₁(W_hh) = h₀ᵀ·(…) = 0
    note = [a for a in fig.layout.annotations if a.name == "delta1_zero"]
    assert len(note) == 1 and note[0].text == "δ₁ = 0<br>as h₀ = 0"
    assert note[0].x == f"δ₁ · {view.tokens[0]}" and note[0].xref == "x"  # the W_hh panel's first bar
    assert fig.data[0].text[0] == "0"  # not "+0"
    view, ex = bptt_example(kind, h0="random")  # a random h₀: δ₁(W_hh) is not zero, and nothing says it is
    fig = fig_bptt.contributions_figure(ex, view.tokens)
    assert np.any(ex.grads.per_step["W_hh"][0])
    assert not [a for a in fig.layout.annotations if a.name == "delta1_zero"]


def test_waterfall_axis_says_what_a_bar_is_and_why() -> None:
    view, ex = bptt_example()
    fig = fig_bptt.contributions_figure(ex, view.tokens)
    assert fig.layout.yaxis.title.text == "Σ entries of δ<sub>t</sub>"
    assert "Sums add up" in fig.layout.title.subtitle.text and "norms don't" in fig.layout.title.subtitle.text
    sums = [float(np.sum(d)) for d in ex.grads.per_step["W_hh"]]
    np.testing.assert_allclose(fig.data[0].y[-1], sum(sums), atol=1e-15)  # the total is where the bars end


def test_bptt_page_explains_the_zero_bar_the_summary_and_its_jargon() -> None:
    at = open_page("pages/bptt.py")
    text = page_text(at)
    assert "δ₁(W_hh) = 0 exactly" in text and "h₀ = 0" in text
    assert "Why bars of the *sum of the entries*?" in text
    assert "spectral norm" in text and "(vanishing)" in text  # the orange numbers of the chain, in words
    help_ = next(m.proto.help for m in at.metric if m.label.startswith("‖∂L/∂θ‖"))
    assert "size of the whole gradient" in help_
    set_widget(at, "w_cell", "LSTM")
    assert "the table of how much each of the 2H numbers" in page_text(at)
    set_widget(at, "w_h0", "random")
    assert "δ₁(W_hh) = 0 exactly" not in page_text(at)  # with a random h₀ the bar is not zero


# --------------------------------------------------------------------------- unexplained: encoding axes


def test_one_hot_and_embedding_axes_are_titled() -> None:
    at = open_page("pages/encoding.py")
    one_hot = chart(at, "One-hot matrix")
    assert one_hot["layout"]["xaxis"]["title"]["text"] == "vocabulary word (id): the column where the 1 goes"
    assert one_hot["layout"]["yaxis"]["title"]["text"] == "time step · token"
    emb = chart(at, "Dense embedding")
    assert emb["layout"]["yaxis"]["title"]["text"] == "word (id): row of E"
    assert emb["layout"]["yaxis2"]["title"]["text"] == "time step · token"
    for axis in ("xaxis", "xaxis2"):
        assert emb["layout"][axis]["title"]["text"] == "embedding dimension"


# --------------------------------------------------------------------------- the glossary


def popovers(at: AppTest) -> dict:
    """Popover label → the text of the Markdown inside it."""
    found = {}

    def walk(node) -> None:
        if getattr(node, "type", None) == "popover":
            found[node.proto.popover.label] = "\n".join(m.value for m in node.markdown)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return found


@pytest.mark.parametrize("name", ["home", "encoding", "bptt", "weights"])  # not "page": that is the browser's
def test_glossary_popover_maps_the_notes_symbols_on_the_page(name: str) -> None:
    at = open_page(f"pages/{name}.py")
    text = popovers(at)["Notation ↔ lecture notes"]
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert r"| h\_t |" in rows[r"O\_t, o\_t (the node's output at step t)"]
    assert "LSTM's output gate" in rows[r"O\_t, o\_t (the node's output at step t)"]  # the app's o_t
    assert r"| W\_xh (V × H) |" in rows[r"w\_i, w\_in, w\_1 (5 × 3)"]
    assert r"| W\_hh (H × H) |" in rows[r"w\_h (3 × 3)"]
    assert r"| w\_o (H,) |" in rows[r"w\_o (3 × 1)"]
    assert "reset gate r is applied after the matrix" in text  # the GRU's two conventions
    assert "read the notes' z as rnnviz's 1 − z" in text
    for term in ("‖∂L/∂θ‖", "spectral radius", "W_hh = w_h·Q, Q orthogonal", "log space", "Jacobian",
                 "PyTorch's g / n"):
        assert f"**{term.replace('_', chr(92) + '_')}**" in text, term


def test_glossary_help_text() -> None:
    assert glossary.help_text("spectral radius").startswith("How much multiplying by W_hh")
    with pytest.raises(ValueError, match="no glossary entry 'nonsense'"):
        glossary.help_text("nonsense")
    table = glossary.notation_markdown().splitlines()
    assert len(table) == 2 + len(glossary.NOTATION) and all(row.count(" | ") == 2 for row in table[2:])


# --------------------------------------------------------------------------- the home page's opening context


def expander_texts(at: AppTest) -> dict:
    """Expander label → the Markdown and subheaders inside it."""
    return {e.label: "\n".join([m.value for m in e.markdown] + [s.value for s in e.subheader])
            for e in at.expander}


def test_home_opens_with_data_kinds_order_and_costs_of_rnns() -> None:
    at = open_page("pages/home.py")
    text = page_text(at)
    for words in ("**ANN** (feed-forward) → **tabular data**", "**CNN** → **images**",
                  "text, time series (prices, temperatures), speech, DNA",
                  "Why a feed-forward net ignores order", "cannot run in parallel", "**hard to train**",
                  "**slow**"):
        assert words in text, words
    view = build_model(state.defaults())  # "movie was good": read backwards, the same cell predicts otherwise
    forward = view.head.forward(view.cell.forward(view.x).h[-1])
    backward = view.head.forward(view.cell.forward(view.x[::-1]).h[-1])
    assert f"→ ŷ = **{forward:.4f}**" in text and f"→ ŷ = **{backward:.4f}**" in text
    assert f"{forward:.4f}" != f"{backward:.4f}"
    assert not expander_texts(at).get("Which network for which data, and what RNNs cost")  # open on screen
    set_widget(at, "w_sentence", 3)  # "movie was not good" (sentences count from 1)
    assert "*good not was movie* → ŷ" in page_text(at)


def test_home_context_is_folded_in_presentation_mode() -> None:
    at = open_page("pages/home.py", present=1)
    folded = expander_texts(at)["Which network for which data, and what RNNs cost"]
    assert "Sequences need a network that reads in order" in folded and "tabular data" in folded
    top = [c.value for c in at.main.children.values() if getattr(c, "type", "") == "subheader"]  # not folded
    assert "Why not an ordinary neural network (ANN)?" in top
    assert "Sequences need a network that reads in order" not in top  # folded, so the chart comes up


# --------------------------------------------------------------------------- in the browser, with screenshots

BROWSER_TIMEOUT_MS = 60_000
TITLE_JS = """(w) => Array.from(document.querySelectorAll('.js-plotly-plot')).some(gd =>
    gd._fullLayout && gd._fullLayout.title && (gd._fullLayout.title.text || '').includes(w))"""


def open_in_browser(page, url: str, title_words: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    page.wait_for_function(TITLE_JS, arg=title_words, timeout=BROWSER_TIMEOUT_MS)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=BROWSER_TIMEOUT_MS)
    assert page.locator('[data-testid="stException"]').count() == 0, url


def shot(page, path, selector: str | None = None) -> None:
    """The window, scrolled so that `selector` (its last match) is near the top; no focus ring, no hover."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    if selector:
        page.locator(selector).last.evaluate("el => el.scrollIntoView({block: 'start'})")
        page.mouse.move(700, 400)
        page.mouse.wheel(0, -40)
    page.mouse.move(1275, 795)
    page.wait_for_timeout(500)
    page.screenshot(path=str(path))


@pytest.mark.browser
def test_say_it_right_in_the_browser(page, app_server: str, screenshot_dir) -> None:
    from playwright.sync_api import expect

    shots = screenshot_dir / "say_it_right"
    shots.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    # home: the two splits side by side, and the sentence that they agree
    open_in_browser(page, app_server, "Parameters of the first layer")
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text("Both add up to 31", exact=False)).to_be_visible()
    expect(main.get_by_text("Sequences need a network that reads in order")).to_be_visible()
    shot(page, shots / "home_27_plus_4.png", '[data-testid="stHeading"]:has-text("two ways to count")')
    shot(page, shots / "home_context.png", '[data-testid="stHeading"]:has-text("Sequences need")')
    # the glossary popover opens on a click and shows the mapping
    page.get_by_role("button", name="Notation ↔ lecture notes").click()
    expect(page.get_by_text("The lecture notes' symbols and rnnviz's")).to_be_visible()
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(400)
    page.screenshot(path=str(shots / "glossary_popover.png"))
    page.keyboard.press("Escape")
    # weights: the title counts what is drawn
    open_in_browser(page, f"{app_server}/weights", "weights drawn")
    title = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(
        g => g._fullLayout.title.text).find(t => t.includes('weights drawn'))""")
    assert "24 weights drawn" in title
    shot(page, shots / "weights_title.png", '[data-testid="stHeading"]:has-text("The weights on screen")')
    # BPTT: the zero bar, explained on the bar
    open_in_browser(page, f"{app_server}/bptt", "sum over time steps")
    expect(page.locator("text=as h₀ = 0").first).to_be_attached()
    shot(page, shots / "bptt_waterfall.png", '[data-testid="stPlotlyChart"] >> nth=1')
    # encoding: the one-hot heatmap's columns are named
    open_in_browser(page, f"{app_server}/encoding", "One-hot matrix")
    expect(page.locator("text=the column where the 1 goes").first).to_be_attached()
    shot(page, shots / "encoding_axes.png", '[data-testid="stHeading"]:has-text("One-hot vectors")')
