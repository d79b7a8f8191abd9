"""Issue 9's Chromium sequences as regression tests: settings changed one after another in a real browser.

Before the fix, clearing the corpus and typing a new sentence (or replacing three sentences by one) ended in
"TypeError: unsupported operand type(s) for -: 'str' and 'int'": the sentence picker sent back the label of
an option that no longer existed, and it became the sentence number.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser_app1 import TIMEOUT_MS, no_exception, wait_idle, watch_console

SIDEBAR = '[data-testid="stSidebar"]'


def type_corpus(page, text: str) -> None:
    box = page.locator(f"{SIDEBAR} textarea")
    box.fill(text)
    box.press("Control+Enter")
    wait_idle(page)


def assert_clean(page, where: str, corpus: str) -> None:
    from playwright.sync_api import expect

    no_exception(page, where)
    assert page.get_by_text("Something went wrong").count() == 0, where
    expect(page.locator(f"{SIDEBAR} textarea")).to_have_value(corpus)


def sentence_picker(page):
    return page.locator(SIDEBAR).get_by_role("combobox", name="Sentence to inspect")


@pytest.mark.browser
def test_clear_type_and_shrink_the_corpus_in_sequence(page, app_server: str, screenshot_dir: Path) -> None:
    from playwright.sync_api import expect

    errors: list[str] = []
    watch_console(page, errors)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{app_server}/forward")
    expect(page.get_by_role("heading", name="Forward through time")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page)

    # clear the box, then type a new sentence
    type_corpus(page, "")
    expect(page.get_by_text("The corpus has no words yet")).to_be_visible(timeout=TIMEOUT_MS)
    assert_clean(page, "cleared", "")
    type_corpus(page, "the cat sat on the mat | 1")
    expect(page.get_by_role("heading", name="Step t = 1: the word “the” (id 0)")).to_be_visible(
        timeout=TIMEOUT_MS)
    expect(sentence_picker(page)).to_have_value("1. the cat sat on the mat")
    assert_clean(page, "clear → type", "the cat sat on the mat | 1")

    # three sentences, pick the last, then replace them by one
    three = "movie was good | 1\nmovie was bad | 0\nmovie was not good | 0"
    type_corpus(page, three)
    sentence_picker(page).click()
    page.get_by_role("option", name="3. movie was not good").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Step t = 1: the word “movie” (id 0)")).to_be_visible(
        timeout=TIMEOUT_MS)
    assert_clean(page, "three sentences, the third picked", three)
    type_corpus(page, "a lovely film | 1")
    expect(page.get_by_role("heading", name="Step t = 1: the word “a” (id 0)")).to_be_visible(
        timeout=TIMEOUT_MS)
    expect(sentence_picker(page)).to_have_value("1. a lovely film")
    assert_clean(page, "3 sentences → 1", "a lovely film | 1")

    # the same edits once more on another page (the picker's old label is sent back again)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="3 · Gates").click()
    wait_idle(page)
    type_corpus(page, "")
    type_corpus(page, "riya lives in delhi | 1\nshe moved to london | 0")
    assert_clean(page, "gates: clear → two sentences", "riya lives in delhi | 1\nshe moved to london | 0")
    page.screenshot(path=str(screenshot_dir / "sequence_after_edits.png"))
    assert errors == [], errors
