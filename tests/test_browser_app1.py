"""End to end in headless Chromium against `streamlit run`: the home, encoding and forward pages.

One session: open every page, type a new sentence into the corpus, step and play through time, switch the
cell, then open the copied address in a fresh tab and get the same view (the hidden-state heatmap's data,
read from the chart in the page, equals the core's numbers in both tabs). No exception element and no
browser console error anywhere. Screenshots at 1280×800 go to docs/screenshots/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

from rnnviz_app import equations as eq
from rnnviz_app.components.frame_stepper import SETTLE_MS
from rnnviz_app.model import build_model
from rnnviz_app.state import DEFAULT_CORPUS

TIMEOUT_MS = 60_000
NEW_LINE = "the plot was great | 1"
NEW_CORPUS = DEFAULT_CORPUS + "\n" + NEW_LINE

QUIET_JS = """() => {
    // quiet = no "Running…" status and no stale (greyed, about to be replaced) element, 5 checks in a row
    const busy = document.querySelector('[data-testid="stStatusWidget"], [data-stale="true"]') !== null;
    window.__quiet = busy ? 0 : (window.__quiet || 0) + 1;
    return window.__quiet >= 5;
}"""

CHART_JS = """(title) => {
    // the newest chart whose title (tags stripped: Streamlit's theme makes it bold) starts with `title`:
    // its traces as Plotly drew them (decoded arrays)
    const gd = [...document.querySelectorAll('.js-plotly-plot')].reverse()
        .find(g => g._fullLayout
                   && (g._fullLayout.title.text || '').replace(/<[^>]*>/g, '').startsWith(title));
    return gd ? gd._fullData.map(d => ({name: d.name, z: d.z, x: d.x, y: d.y})) : null;
}"""

DIAGRAM_JS = """(title) => {
    // the unrolled diagram (layout.meta) as Plotly shows it now: slider position and the traces' content
    const gd = [...document.querySelectorAll('.js-plotly-plot')].reverse()
        .find(g => g.layout && g.layout.meta === 'rnnviz-forward'
                   && (g._fullLayout.title.text || '').replace(/<[^>]*>/g, '').startsWith(title));
    if (!gd) return null;
    const tr = (m) => gd._fullData.find(d => d.meta === m) || {};
    const text = tr('text'), states = tr('states');
    const mono = (i) => text.textfont.family[i].includes('Mono');
    const items = Array.from(text.text);
    const of = (name) => Array.from(states.marker.color).filter((v, i) => states.customdata[i][2] === name);
    return {active: gd._fullLayout.sliders[0].active,
            heading: items.find(t => t.startsWith('<b>Step t')).replace(/<[^>]*>/g, ''),
            labels: items.filter((t, i) => !mono(i)), values: items.filter((t, i) => mono(i)),
            h: of('h'), c: of('c')};
}"""

# On a page's own address (…/forward), Streamlit's frontend first probes for a base path one level up
# (…/forward/_stcore/health, …/host-config); the 404s it gets are logged as console errors by Chromium
# before it settles on the real root. They are Streamlit's, not the app's: only these are tolerated.
PROBE_404 = re.compile(r"^/[^/]+/_stcore/(health|host-config)$")


def wait_idle(page) -> None:
    page.wait_for_timeout(200)
    page.evaluate("window.__quiet = 0")
    page.wait_for_function(QUIET_JS, polling=100, timeout=TIMEOUT_MS)


def chart(page, title: str) -> list[dict]:
    page.wait_for_function(f"() => ({CHART_JS})({title!r}) !== null", timeout=TIMEOUT_MS)
    return page.evaluate(CHART_JS, title)


def hidden_states(page) -> np.ndarray:
    h = next(d for d in chart(page, "States over time") if d["name"] == "h")
    return np.array(h["z"], dtype=float)


class Wire:
    """When the page sent messages to the server (Streamlit's websocket) and when keys were pressed. Stepping
    must never send: a message may only be the settled report, which comes once no key was pressed for the
    stepper's SETTLE_MS (checked as: nothing sent within 0.8 · SETTLE_MS of a key press)."""

    def __init__(self, page) -> None:
        self.sent: list[float] = []
        self.keys: list[float] = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda _: self.sent.append(time.monotonic())))

    def press(self, page, key: str) -> None:
        self.keys.append(time.monotonic())
        page.keyboard.press(key)

    def mark(self) -> float:
        return time.monotonic()

    def after(self, mark: float) -> list[float]:
        return [t for t in self.sent if t >= mark]

    def stepping_sent(self, mark: float) -> list[float]:
        """Messages since `mark` that came too soon after a key press to be a settled report."""
        quiet = 0.8 * SETTLE_MS / 1000
        return [t for t in self.after(mark) if any(0 <= t - k < quiet for k in self.keys)]


def wait_diagram(page, active: int, title: str = "") -> dict:
    """The diagram once its slider shows step `active` + 1 (0-based `active`) and the frame is drawn (the
    slider moves at once, the frame follows on the next animation frame)."""
    check = (f"() => {{ const d = ({DIAGRAM_JS})({title!r}); return d && d.active === {active} "
             f"&& d.heading.startsWith('Step t = {active + 1} of'); }}")
    page.wait_for_function(check, timeout=TIMEOUT_MS)
    return page.evaluate(DIAGRAM_JS, title)


def diagram(page) -> dict:
    page.wait_for_function(f"() => ({DIAGRAM_JS})('') !== null", timeout=TIMEOUT_MS)
    return page.evaluate(DIAGRAM_JS, "")


def squares(shown: dict, H: int, meta: str = "h") -> np.ndarray:
    """The unit squares' values as (slots, H); NaN (null in the page) = not computed yet."""
    return np.array([np.nan if v is None else v for v in shown[meta]], dtype=float).reshape(-1, H)


def ff_vector(values) -> str:
    return "[" + " ".join(f"{eq.fmt(v):>6}" for v in values) + " ]"


def watch_console(page, errors: list[str]) -> None:
    def on_console(msg) -> None:
        if msg.type != "error":
            return
        where = urlsplit(msg.location.get("url", "") or "").path
        if msg.text.startswith("Failed to load resource") and "404" in msg.text and PROBE_404.match(where):
            return
        errors.append(f"{msg.text} @ {msg.location.get('url')}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))


def no_exception(page, where: str) -> None:
    exc = page.locator('[data-testid="stException"]')
    assert exc.count() == 0, f"{where}: {exc.first.inner_text()[:1500]}"


def shoot(page, path: Path, top: str | None = None) -> None:
    """Screenshot of the window (1280×800), scrolled so that the element `top` (a CSS selector) is at the
    top of it."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # no focus ring
    if top:
        page.locator(top).last.evaluate("el => el.scrollIntoView({block: 'start'})")
        page.mouse.move(700, 400)
        page.mouse.wheel(0, -24)  # a little air above it
        page.mouse.move(1275, 795)  # no hover label in the picture
        page.wait_for_timeout(500)
    page.screenshot(path=str(path))


@pytest.mark.browser
def test_home_encoding_forward_in_the_browser(page, app_server: str, screenshot_dir: Path) -> None:
    from playwright.sync_api import expect

    errors: list[str] = []
    watch_console(page, errors)
    wire = Wire(page)
    page.set_viewport_size({"width": 1280, "height": 800})

    # --- home
    page.goto(app_server)
    expect(page.get_by_role("heading", name="rnnviz")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page)
    expect(page.get_by_text("ANN input size T_max·V")).to_be_visible()
    no_exception(page, "home")
    shoot(page, screenshot_dir / "home.png", '[data-testid="stHeading"]:has-text("A guided tour")')

    # --- encoding: type a new sentence into the corpus
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_role("link", name="1 · Text to numbers").click()
    expect(page.get_by_role("heading", name="Text to numbers")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page)
    corpus = page.locator('[data-testid="stSidebar"] textarea')
    corpus.fill(NEW_CORPUS)
    corpus.press("Control+Enter")
    wait_idle(page)
    expect(page).to_have_url(re.compile(r".*corpus=.*great.*"), timeout=TIMEOUT_MS)
    one_hot = chart(page, "One-hot matrix")[0]
    assert one_hot["x"] == ["movie (0)", "was (1)", "good (2)", "bad (3)", "not (4)", "the (5)", "plot (6)",
                            "great (7)"]
    assert one_hot["y"] == ["t=1 · movie", "t=2 · was", "t=3 · good"]
    batch = chart(page, "Padded batch")
    assert len(batch) == 4  # four sentences side by side
    no_exception(page, "encoding")
    shoot(page, screenshot_dir / "encoding.png", '[data-testid="stHeading"]:has-text("2 · Vocabulary")')

    # --- forward: step with the keyboard in the browser (no rerun), settle, play to the end
    nav.get_by_role("link", name="2 · Forward through time").click()
    expect(page.get_by_role("heading", name="Forward through time")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page)
    expected = build_model({"corpus": NEW_CORPUS})
    np.testing.assert_allclose(hidden_states(page), expected.trace.h, atol=1e-12)
    assert diagram(page)["active"] == 0
    page.locator(".js-plotly-plot").first.click(position={"x": 5, "y": 5})  # focus the page, not a widget
    mark = wire.mark()
    wire.press(page, "ArrowRight")
    shown = wait_diagram(page, 1)
    assert shown["heading"].startswith("Step t = 2 of 3: “was” (id 1)")  # the numbers travel with the step
    np.testing.assert_allclose(squares(shown, expected.H)[2], expected.trace.h[1], atol=1e-12)
    assert shown["values"][-2] == ff_vector(expected.trace.h[1])  # h_2 in the numbers panel
    wire.press(page, "ArrowRight")
    wait_diagram(page, 2)
    wire.press(page, "ArrowLeft")
    shown = wait_diagram(page, 1)
    assert "<b>t=2<br>was</b>" in shown["labels"]  # the highlighted step
    assert wire.stepping_sent(mark) == [], "stepping in the diagram must not talk to the server"
    # settled: one message, and the server-side equations and the link follow
    expect(page.get_by_role("heading", name="Step t = 2: the word “was” (id 1)")).to_be_visible(
        timeout=TIMEOUT_MS)
    wait_idle(page)
    expect(page).to_have_url(re.compile(r".*step=2.*"), timeout=TIMEOUT_MS)
    assert len(wire.after(mark)) >= 1 and wire.stepping_sent(mark) == []  # only the settled report
    no_exception(page, "forward, step 2")

    wire.press(page, "Home")
    wait_diagram(page, 0)
    page.wait_for_timeout(SETTLE_MS + 500)  # the report of t = 1 is out of the way (events keep flowing)
    mark = wire.mark()
    page.locator("g.updatemenu-button", has_text="Play").first.click()
    wait_diagram(page, 1)  # mid-animation: the screenshot of the page
    shoot(page, screenshot_dir / "forward.png", ".st-key-unrolled")
    shown = wait_diagram(page, 2)  # playing reaches T
    assert "says positive" in " ".join(shown["values"]) or "says negative" in " ".join(shown["values"])
    assert wire.after(mark) == [], "playing must not talk to the server"
    expect(page.get_by_role("heading", name="Step t = 3: the word “good” (id 2)")).to_be_visible(
        timeout=TIMEOUT_MS)
    wait_idle(page)
    expect(page).to_have_url(re.compile(r".*step=3.*"), timeout=TIMEOUT_MS)

    # --- switch the cell: the diagram opens where the student stopped
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("LSTM", exact=True).click()
    wait_idle(page)
    expect(page).to_have_url(re.compile(r".*cell=LSTM.*"), timeout=TIMEOUT_MS)
    shown = wait_diagram(page, 2, title="LSTM unrolled over T=3 steps")
    lstm = build_model({"corpus": NEW_CORPUS, "cell": "LSTM"})
    np.testing.assert_allclose(squares(shown, lstm.H, "c")[3], lstm.trace.c[2], atol=1e-12)
    before = hidden_states(page)
    np.testing.assert_allclose(before, lstm.trace.h, atol=1e-12)
    no_exception(page, "forward, LSTM")
    shoot(page, screenshot_dir / "forward_lstm.png", ".st-key-unrolled")

    # --- the copied address reproduces the view in a fresh tab
    url = page.url
    fresh = page.context.new_page()
    watch_console(fresh, errors)
    fresh.set_viewport_size({"width": 1280, "height": 800})
    fresh.goto(url)
    expect(fresh.get_by_role("heading", name="Forward through time")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(fresh)
    np.testing.assert_array_equal(hidden_states(fresh), before)
    shown = wait_diagram(fresh, 2, title="LSTM unrolled over T=3 steps")
    assert shown["heading"].startswith("Step t = 3 of 3")
    expect(fresh.locator('[data-testid="stSidebar"] textarea')).to_have_value(NEW_CORPUS)
    no_exception(fresh, "reloaded link")
    fresh.close()

    assert errors == [], errors
