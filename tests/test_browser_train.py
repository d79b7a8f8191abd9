"""End-to-end in headless chromium: page 5 · Train trains the default network and the drawn chart (read from
Plotly's own state in the page) shows the loss falling and the accuracy reaching 100 %; the trained weights
go to every page and back; a long run shows its live loss curve and stops on Stop; the lecture's fixes and
the long-dependency experiment are drawn. Saves docs/screenshots/train*.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 120_000

TRACES_JS = """(title) => {
    const gds = Array.from(document.querySelectorAll('.js-plotly-plot')).filter(gd =>
        gd._fullLayout && gd._fullLayout.title && gd._fullLayout.title.text.includes(title));
    if (!gds.length) return null;
    return gds[gds.length - 1]._fullData.map(t => ({meta: t.meta, name: t.name,
        x: t.x ? Array.from(t.x) : [], y: t.y ? Array.from(t.y) : []}));
}"""


def wait_idle(page) -> None:
    from playwright.sync_api import expect

    page.wait_for_timeout(300)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=TIMEOUT_MS)


def traces(page, title: str) -> list[dict] | None:
    return page.evaluate(TRACES_JS, title)


def wait_trace(page, title: str, meta: str, points: int | None = None, at_least: int = 1) -> dict:
    """The trace `meta` of the last chart titled `title`, once it has `points` (or ≥ at_least) points."""
    page.wait_for_function(
        """([title, meta, points, least]) => {
            const gds = Array.from(document.querySelectorAll('.js-plotly-plot')).filter(gd =>
                gd._fullLayout && gd._fullLayout.title && gd._fullLayout.title.text.includes(title));
            if (!gds.length) return false;
            const t = gds[gds.length - 1]._fullData.find(t => t.meta === meta);
            if (!t || !t.y) return false;
            const n = Array.from(t.y).filter(v => v !== null && !Number.isNaN(v)).length;
            return points === null ? n >= least : t.y.length === points;
        }""", arg=[title, meta, points, at_least], timeout=TIMEOUT_MS)
    return next(t for t in traces(page, title) if t["meta"] == meta)


def button(page, key: str):
    return page.locator(f'[class*="st-key-{key}"] button').first


def scroll_to(page, locator, offset: int = 16) -> None:
    locator.first.evaluate(
        "(el, off) => { el.scrollIntoView({block: 'start'}); "
        "const m = document.querySelector('[data-testid=\"stMain\"]'); if (m) m.scrollBy(0, -off); }", offset)
    page.wait_for_timeout(500)


def no_exceptions(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_train_the_default_read_the_chart_and_use_the_weights(page, app_server: str,
                                                               screenshot_dir: Path) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size(VIEWPORT)
    page.goto(f"{app_server}/train")
    expect(page.get_by_role("heading", name="5 · Train")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page)
    page.screenshot(path=str(screenshot_dir / "train.png"))

    button(page, "train_start").click()
    loss = wait_trace(page, "Loss and accuracy per epoch", "loss", points=201)
    acc = wait_trace(page, "Loss and accuracy per epoch", "accuracy", points=201)
    wait_idle(page)
    assert loss["x"][0] == 0 and loss["x"][-1] == 200
    assert loss["y"][-1] < 0.05 * loss["y"][0] and loss["y"][-1] < 0.01  # the drawn loss falls
    assert acc["y"][-1] == 100 and acc["y"][0] < 100  # and the drawn accuracy reaches 100 %
    expect(page.get_by_text(re.compile(r"Finished after 200 of 200 epochs"))).to_be_visible()
    no_exceptions(page)
    scroll_to(page, page.get_by_role("heading", name="What training did"))
    page.screenshot(path=str(screenshot_dir / "train_results.png"))

    button(page, "train_use_weights").click()
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text(re.compile("training in rnnviz"))).to_be_visible(timeout=TIMEOUT_MS)
    sidebar.get_by_role("link", name="2 · Forward through time").click()
    expect(page.get_by_role("heading", name=re.compile("Forward through time"))).to_be_visible(
        timeout=TIMEOUT_MS)
    expect(sidebar.get_by_text(re.compile("training in rnnviz"))).to_be_visible()
    wait_idle(page)
    no_exceptions(page)
    sidebar.get_by_role("button", name="Reset to built-in weights").click()
    expect(sidebar.get_by_text(re.compile("training in rnnviz"))).to_have_count(0, timeout=TIMEOUT_MS)


def test_live_loss_curve_and_stop(page, app_server: str, screenshot_dir: Path) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size(VIEWPORT)
    page.goto(f"{app_server}/train")
    expect(page.get_by_role("heading", name="5 · Train")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page)
    button(page, "train_data_generated").click()
    wait_idle(page)
    page.locator('[class*="st-key-w_train_cell"]').get_by_text("LSTM", exact=True).click()
    wait_idle(page)
    for key in ("w_train_hidden", "w_train_epochs"):
        slider = page.locator(f'[class*="st-key-{key}"]').get_by_role("slider")
        slider.focus()
        slider.press("End")
        wait_idle(page)
    button(page, "train_start").click()
    live = wait_trace(page, "Loss and accuracy so far", "loss", at_least=4)
    assert all(v is not None for v in live["y"][1:])
    expect(page.locator('[data-testid="stProgress"]')).to_be_visible()
    scroll_to(page, page.locator('[data-testid="stProgress"]'), offset=120)
    page.screenshot(path=str(screenshot_dir / "train_live.png"))
    button(page, "train_stop").click()
    done = page.get_by_text(re.compile(r"Stopped by you after \d+ of \d+ epochs"))
    expect(done).to_be_visible(timeout=TIMEOUT_MS)
    ran, total = map(int, re.search(r"after (\d+) of (\d+)", done.inner_text()).groups())
    assert 1 <= ran < total
    wait_idle(page)
    no_exceptions(page)


def test_lecture_fixes_and_long_dependency_experiment(page, app_server: str, screenshot_dir: Path) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size(VIEWPORT)
    page.goto(f"{app_server}/train")
    expect(page.get_by_role("heading", name="5 · Train")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page)
    button(page, "train_run_fixes").click()
    diverged = wait_trace(page, "one change at a time", "fix0_diverged")
    assert diverged["x"] == [35]
    wait_idle(page)
    scroll_to(page, page.get_by_role("heading", name=re.compile("fixes for exploding gradients")))
    page.screenshot(path=str(screenshot_dir / "train_fixes.png"))

    button(page, "train_run_longdep").click()
    simple = wait_trace(page, "still use the first word", "SimpleRNN")
    lstm = wait_trace(page, "still use the first word", "LSTM")
    gru = wait_trace(page, "still use the first word", "GRU")
    assert simple["x"][-1] == 30 and simple["y"][0] >= 95  # fine at a small k …
    assert simple["y"][-1] <= 70 <= min(lstm["y"][-1], gru["y"][-1]) - 20  # … fails at k = 30
    wait_trace(page, "back to the first one", "LSTM")
    wait_idle(page)
    no_exceptions(page)
    scroll_to(page, page.get_by_role("heading", name="The long-dependency experiment"))
    page.screenshot(path=str(screenshot_dir / "train_longdep.png"))
