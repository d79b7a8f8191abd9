"""End to end in headless Chromium: the RNN types page.

One session, settings changed one after another: open the page, type a sentence into the sidebar corpus and
read the tagger's predictions from the drawn diagram, switch to one-to-many and read the generated words,
switch the cell to LSTM and reverse the sentence with the encoder–decoder, compare one- and bidirectional
tagging of "watch", stack three layers, and flip the connectivity matrix to bidirectional. What the page
draws must equal what the core computes for the same settings. Screenshots at 1280×800 go to
docs/screenshots/types*.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from test_browser_app1 import TIMEOUT_MS, no_exception, wait_idle, watch_console

from rnnviz import toy
from rnnviz_app import types_view as tv

SENTENCE = "my name is priya"
TYPE_RADIO = ".st-key-w_types_type"  # the "RNN type" radio

NAMED_JS = """([title, prefix]) => {
    // the texts of the annotations named "<prefix> j" of the newest chart whose title starts with `title`
    const gd = [...document.querySelectorAll('.js-plotly-plot')].reverse()
        .find(g => g._fullLayout
                   && (g._fullLayout.title.text || '').replace(/<[^>]*>/g, '').startsWith(title));
    if (!gd) return null;
    return gd._fullLayout.annotations.filter(a => (a.name || '').startsWith(prefix + ' '))
        .sort((a, b) => +a.name.split(' ')[1] - +b.name.split(' ')[1])
        .map(a => a.text.replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>')
                        .replace(/&amp;/g, '&'));
}"""

Z_JS = """(title) => {
    const gd = [...document.querySelectorAll('.js-plotly-plot')].reverse()
        .find(g => g._fullLayout
                   && (g._fullLayout.title.text || '').replace(/<[^>]*>/g, '').startsWith(title));
    return gd ? gd._fullData.map(d => d.z) : null;
}"""


def named(page, title: str, prefix: str) -> list[str]:
    page.wait_for_function(f"() => ({NAMED_JS})({[title, prefix]!r}) !== null", timeout=TIMEOUT_MS)
    return page.evaluate(NAMED_JS, [title, prefix])


def heatmaps(page, title: str) -> list[np.ndarray]:
    page.wait_for_function(f"() => ({Z_JS})({title!r}) !== null", timeout=TIMEOUT_MS)
    return [np.array(z, dtype=float) for z in page.evaluate(Z_JS, title)]


def shoot(page, path: Path, top: str) -> None:
    """Screenshot of the window (1280×800) with the element `top` (a CSS selector) near its top; the mouse
    rests in the page margin, so that no chart shows a hover label."""
    page.locator(top).first.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.mouse.move(1270, 790)
    page.mouse.wheel(0, -24)  # a little air above it
    page.wait_for_timeout(500)
    page.screenshot(path=str(path))


def pick(page, label: str) -> None:
    """Click a radio option (by its visible label) in the main area."""
    page.locator('[data-testid="stMain"] [data-testid="stRadio"] label').filter(
        has_text=re.compile(f"^{re.escape(label)}$")).first.click()
    wait_idle(page)


@pytest.mark.browser
def test_rnn_types_page_in_the_browser(page, app_server: str, screenshot_dir: Path) -> None:
    from playwright.sync_api import expect

    errors: list[str] = []
    watch_console(page, errors)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(app_server)
    wait_idle(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="8 · RNN types").click()
    expect(page.get_by_role("heading", name="RNN types")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page)

    # --- type a sentence: the tagger tags it, word by word (many-to-many is the default type)
    corpus = page.locator('[data-testid="stSidebar"] textarea')
    corpus.fill(SENTENCE)
    corpus.press("Control+Enter")
    wait_idle(page)
    expect(page).to_have_url(re.compile(r".*corpus=my\+name.*"), timeout=TIMEOUT_MS)
    tokens = SENTENCE.split()
    assert named(page, "Many-to-many", "input") == tokens
    tags = named(page, "Many-to-many", "output")
    expected = toy.train_tagger("SimpleRNN", tv.TAGGER_HIDDEN, epochs=tv.TAGGER_EPOCHS,
                                batch_size=tv.TAGGER_BATCH).predict(tokens).tags
    assert tags == list(expected)
    assert tags[1:3] == ["noun", "verb"]  # "name is": the tagged corpus says so
    no_exception(page, "many-to-many")
    shoot(page, screenshot_dir / "types.png", '[data-testid="stHeading"]:has-text("RNN types")')

    # --- one-to-many: the generator trained on the corpus writes from the first word
    pick(page, "One-to-many")
    generated = named(page, "One-to-many", "output")
    gen = toy.train_next_word([tokens], "SimpleRNN", tv.GENERATOR_HIDDEN, epochs=150).generate("my", 12)
    assert generated[:-1] == list(gen.words[1:]) and generated[-1] == "<eos>"
    expect(page.get_by_text(f"Generated from “my”: {' '.join(gen.words)}")).to_be_visible()
    no_exception(page, "one-to-many")

    # --- the cell becomes an LSTM; the encoder–decoder writes the sentence backwards
    page.locator('[data-testid="stSidebar"]').get_by_text("LSTM", exact=True).click()
    wait_idle(page)
    pick(page, "Encoder–decoder")
    outputs = named(page, "Encoder–decoder", "output")
    assert outputs == [*tokens[::-1], "<eos>"]
    expect(page.get_by_text("✓ exactly backwards")).to_be_visible()
    context = heatmaps(page, "The context vector")[0]
    assert context.shape == (2, tv.REVERSER_HIDDEN)  # h_T and the LSTM's c_T
    no_exception(page, "encoder-decoder")
    shoot(page, screenshot_dir / "types_encoder_decoder.png", TYPE_RADIO)

    # --- bidirectional: "watch" is told apart by the words after it
    pick(page, "Bidirectional")
    pick(page, "“watch was new” (watch = noun)")
    assert named(page, "Bidirectional", "output")[0] == "noun"
    pick(page, "“watch movies with friends” (watch = verb)")
    assert named(page, "Bidirectional", "output")[0] == "verb"
    states = heatmaps(page, "The two directions")
    assert [s.shape for s in states] == [(4, tv.TAGGER_HIDDEN), (4, tv.TAGGER_HIDDEN)]
    no_exception(page, "bidirectional")
    shoot(page, screenshot_dir / "types_bidirectional.png", TYPE_RADIO)

    # --- deep: three stacked layers, each with its own heatmap and Keras count
    pick(page, "Deep (stacked)")
    slider = page.get_by_role("slider", name="Stacked layers")
    slider.focus()
    page.keyboard.press("ArrowRight")
    wait_idle(page)
    expect(slider).to_have_value("3")
    assert len(heatmaps(page, "Each layer's hidden states")) == 3
    expect(page).to_have_url(re.compile(r".*types_layers=3.*"), timeout=TIMEOUT_MS)
    no_exception(page, "deep")
    shoot(page, screenshot_dir / "types_deep.png", TYPE_RADIO)

    # --- connectivity: one direction cannot look ahead; two directions can
    M = heatmaps(page, "Connectivity of the trained LSTM")[0]
    assert M.shape == (4, 4) and np.all(M[np.triu_indices(4, 1)] == 0) and np.all(np.diag(M) > 0)
    page.get_by_text("Bidirectional", exact=True).last.click()
    wait_idle(page)
    M_bi = heatmaps(page, "Connectivity of the trained bidirectional LSTM")[0]
    assert np.all(M_bi[np.triu_indices(4, 1)] > 0)
    no_exception(page, "connectivity")
    shoot(page, screenshot_dir / "types_connectivity.png",
          '[data-testid="stHeading"]:has-text("connectivity matrix")')

    assert errors == [], errors
