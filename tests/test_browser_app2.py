"""End-to-end in headless chromium: the gates, BPTT and gradient-lab pages react to their controls, and the
lab's chart in the page (read from the rendered Plotly div, not from the server) moves by many orders of
magnitude when w_h goes from a vanishing to an exploding setting. Saves the pages' screenshots."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from test_browser_app1 import Wire

from rnnviz_app import lab

pytestmark = pytest.mark.browser

RIYA = quote(lab.PRESET_BY_KEY["riya"].text)
VIEWPORT = {"width": 1280, "height": 800}

# Every Plotly chart in the page: its title, traces (meta, x, y) and shapes, from Plotly's own state.
CHARTS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
    title: (gd._fullLayout.title && gd._fullLayout.title.text) || '',
    traces: gd._fullData.map(t => ({meta: t.meta, name: t.name, type: t.type,
                                   x: t.x ? Array.from(t.x) : [], y: t.y ? Array.from(t.y) : []})),
    shapes: (gd._fullLayout.shapes || []).map(s => ({x0: s.x0, y0: s.y0}))}))"""


GATES_JS = """(cell) => {
    // the gates chart as Plotly shows it now: the slider, the outline of panel 1, the sentence
    const gd = [...document.querySelectorAll('.js-plotly-plot')].reverse().find(g => g.layout
        && g.layout.meta === 'rnnviz-gates'
        && (g._fullLayout.title.text || '').replace(/<[^>]*>/g, '').startsWith(cell));
    if (!gd) return null;
    const now = gd._fullData.find(d => d.meta === 'now-0');
    const text = gd._fullData.find(d => d.meta === 'sentence').text[0];
    const xs = Array.from(now.x).filter(Number.isFinite);
    return {active: gd._fullLayout.sliders[0].active, outline: [Math.min(...xs), Math.max(...xs)],
            sentence: text.replace(/<br>/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>'),
            ticks: gd._fullLayout.xaxis.ticktext};
}"""


def gates_state(page, cell: str = "LSTM") -> dict:
    page.wait_for_function(f"() => ({GATES_JS})({cell!r}) !== null", timeout=60_000)
    return page.evaluate(GATES_JS, cell)


def wait_gates(page, active: int, cell: str = "LSTM") -> dict:
    """The gates chart once its slider shows the 0-based step `active`."""
    check = (f"() => {{ const d = ({GATES_JS})({cell!r}); return d && d.active === {active} "
             f"&& d.sentence.startsWith('t = {active + 1} '); }}")  # the frame drawn, not only the slider
    page.wait_for_function(check, timeout=60_000)
    return page.evaluate(GATES_JS, cell)


LAB_JS = """() => {
    // the lab chart as Plotly shows it now: the slider's w_h, the headline, the jac curve, the marker
    const gd = [...document.querySelectorAll('.js-plotly-plot')].reverse()
        .find(g => g.layout && g.layout.meta === 'rnnviz-lab');
    if (!gd) return null;
    const tr = (m) => gd._fullData.find(d => d.meta === m);
    const s = gd._fullLayout.sliders[0];
    const jac = tr('jac');
    const x = Array.from(jac.x), y = Array.from(jac.y);
    const k = x.indexOf(Math.max(...x));
    return {w_h: s.steps[s.active].args[0][0], headline: tr('headline').text[0].replace(/<[^>]*>/g, ''),
            x: x, earliest: y[k], marker: Array.from(tr('your-wh').y)};
}"""


def settled(page) -> None:
    """Nothing greyed: no element of a finished run left stale, and the server-side part of the lab (dimmed
    while the slider shows another w_h than the one it was computed at) up to date."""
    page.wait_for_function(
        """() => !document.querySelector('[data-stale="true"]')
                 && [...document.querySelectorAll('.st-key-lab_at_wh')]
                    .every(el => getComputedStyle(el).opacity === '1')""", timeout=60_000)


def lab_state(page) -> dict:
    page.wait_for_function(f"() => ({LAB_JS})() !== null", timeout=60_000)
    return page.evaluate(LAB_JS)


def wait_lab(page, w_h: str) -> dict:
    """The lab chart once its slider shows `w_h` (the frame's name, e.g. "0.65")."""
    drawn = f"w<sub>h</sub> = {float(w_h):.2f}".replace("<sub>", "").replace("</sub>", "")
    page.wait_for_function(f"() => {{ const d = ({LAB_JS})(); return d && d.w_h === {w_h!r} "
                           f"&& d.headline.startsWith({drawn!r}); }}", timeout=60_000)  # the frame drawn too
    return page.evaluate(LAB_JS)


def wait_idle(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=60_000)


def open_page(page, url: str, title: str) -> None:
    page.set_viewport_size(VIEWPORT)
    page.goto(url)
    wait_chart(page, title)
    wait_idle(page)


def charts(page) -> list[dict]:
    return page.evaluate(CHARTS_JS)


def wait_chart(page, words: str) -> dict:
    """The last chart whose title contains `words` (old and new charts can coexist during a rerun)."""
    page.wait_for_function(
        """(w) => Array.from(document.querySelectorAll('.js-plotly-plot')).some(gd =>
                   gd._fullLayout && gd._fullLayout.title && gd._fullLayout.title.text.includes(w))""",
        arg=words, timeout=60_000)
    return [c for c in charts(page) if words in c["title"]][-1]


def trace(chart: dict, meta: str) -> dict:
    return next(t for t in chart["traces"] if t["meta"] == meta)


def scroll_to(page, locator, offset: int = 24) -> None:
    """Scroll the main area so that `locator` sits near the top of the screenshot."""
    locator.first.evaluate(
        "(el, off) => { el.scrollIntoView({block: 'start'}); "
        "const m = document.querySelector('[data-testid=\"stMain\"]'); if (m) m.scrollBy(0, -off); }", offset)
    page.wait_for_timeout(400)


def no_exceptions(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def metric_value(page, label: str) -> float:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return float(box.locator('[data-testid="stMetricValue"]').inner_text())


# ------------------------------------------------------------------------------------------------------


def test_gates_page_in_browser(page, app_server: str, screenshot_dir: Path) -> None:
    from playwright.sync_api import expect

    wire = Wire(page)
    open_page(page, f"{app_server}/gates", "SimpleRNN over time")
    expect(page.get_by_text("SimpleRNN has no gates")).to_be_visible()
    # the preset button: the Riya passage on the LSTM trained for it (rnnviz.presets)
    page.get_by_role("button", name=re.compile("Riya")).click()
    chart = wait_chart(page, "LSTM over time")
    wait_idle(page)
    assert [t["name"] for t in chart["traces"] if t["type"] == "heatmap"] == ["i", "f", "c̃", "o", "c", "h"]
    shown = gates_state(page)
    assert shown["active"] == 0 and shown["ticks"][18] == "t=19 · london"
    assert shown["outline"] == [0.5, 1.5] and shown["sentence"].startswith("t = 1 ‘riya’")  # step 1
    # step with the keyboard in the browser: End → the last word, then back to t = 19 'london'
    page.locator(".st-key-gates_heatmaps").click(position={"x": 5, "y": 5})
    mark = wire.mark()
    wire.press(page, "End")
    shown = wait_gates(page, 25)
    assert shown["outline"] == [25.5, 26.5]
    assert shown["sentence"].startswith("t = 26 ‘lab’: mean forget gate f =")
    for _ in range(7):
        wire.press(page, "ArrowLeft")
    shown = wait_gates(page, 18)
    assert shown["outline"] == [18.5, 19.5]
    assert shown["sentence"].startswith("t = 19 ‘london’: mean forget gate f =")
    assert wire.stepping_sent(mark) == [], "stepping the heatmaps must not talk to the server"
    page.wait_for_url(re.compile(r".*step=19.*"), timeout=60_000)  # settled: the shared step follows
    wait_idle(page)
    assert len(wire.after(mark)) >= 1 and wire.stepping_sent(mark) == []  # only the settled report
    no_exceptions(page)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # no focus ring
    scroll_to(page, page.locator(".st-key-gates_heatmaps"), offset=16)
    page.mouse.move(1275, 795)
    page.screenshot(path=str(screenshot_dir / "gates.png"))

    page.get_by_role("button", name="Reset to built-in weights").click()  # the preset's trained LSTM → seeded
    wait_chart(page, "LSTM over time")
    wait_idle(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("GRU", exact=True).click()
    chart = wait_chart(page, "GRU over time")
    wait_idle(page)
    assert [t["name"] for t in chart["traces"] if t["type"] == "heatmap"] == ["r", "z", "h̃", "h"]
    expect(page.get_by_text("Which way round is z?")).to_be_attached()
    shown = wait_gates(page, 18, "GRU")  # the page opens where the student stopped
    assert shown["sentence"].startswith("t = 19 ‘london’: mean update gate z =")
    no_exceptions(page)
    scroll_to(page, page.locator(".js-plotly-plot"), offset=8)  # the heatmaps and the z note below them
    page.screenshot(path=str(screenshot_dir / "gates_gru.png"))


def test_bptt_page_in_browser(page, app_server: str, screenshot_dir: Path) -> None:
    from playwright.sync_api import expect

    open_page(page, f"{app_server}/bptt", "sum over time steps")
    expect(page.get_by_text(re.compile("agree with finite differences to 1e-"))).to_be_visible()
    before = metric_value(page, "loss L")
    page.get_by_role("button", name=re.compile("One gradient-descent step")).click()
    expect(page.get_by_text(re.compile(r"Step 1: the loss went from"))).to_be_visible(timeout=60_000)
    wait_idle(page)
    after = metric_value(page, "loss L")
    assert after < before
    wait_chart(page, "loss and prediction after each step")
    # the learning rate is a control too: a larger η from the same start
    lr = page.get_by_label("Learning rate η")
    lr.fill("2")
    lr.press("Enter")
    expect(page.get_by_text(re.compile(r"η = 2, so the view"))).to_be_visible(timeout=60_000)
    wait_idle(page)
    assert metric_value(page, "loss L") < after
    lr.fill("0.5")
    lr.press("Enter")
    expect(page.get_by_text(re.compile(r"η = 0\.5, so the view"))).to_be_visible(timeout=60_000)
    wait_idle(page)
    no_exceptions(page)
    scroll_to(page, page.locator(".js-plotly-plot"), offset=8)  # the chain, then the sum over time
    page.screenshot(path=str(screenshot_dir / "bptt.png"))


def test_lab_in_browser_vanishing_to_exploding(page, app_server: str, screenshot_dir: Path) -> None:
    from playwright.sync_api import expect

    wire = Wire(page)
    # the lab's defaults (tanh, generated T = 100, w_h = 1): the screenshot of the page as it opens
    open_page(page, f"{app_server}/lab", "Gradient lab")
    shown = lab_state(page)
    assert shown["w_h"] == "1" and "VANISHING" in shown["headline"]
    no_exceptions(page)
    scroll_to(page, page.locator(".st-key-lab_wh"), offset=12)
    page.screenshot(path=str(screenshot_dir / "lab.png"))

    # a long generated sequence with ReLU, from a vanishing w_h …
    query = "lab_act=relu&lab_T=120"
    open_page(page, f"{app_server}/lab?{query}&wh=0.5", "Gradient lab")
    shown = lab_state(page)
    assert shown["w_h"] == "0.5" and "VANISHING" in shown["headline"] and len(shown["x"]) == 120
    low = shown["earliest"]
    # … the w_h slider moves in the browser, with the keyboard: nothing goes to the server …
    page.locator(".st-key-lab_wh").click(position={"x": 5, "y": 5})
    mark = wire.mark()
    for _ in range(3):
        wire.press(page, "ArrowRight")
    shown = wait_lab(page, "0.65")
    assert shown["earliest"] > low and shown["marker"] == [0.65, 0.65]
    assert lab.fmt_pow(shown["earliest"]) in shown["headline"]  # the badge says what the curve shows
    assert wire.stepping_sent(mark) == [], "moving w_h must not talk to the server"
    page.wait_for_url(re.compile(r"wh=0\.65"), timeout=30_000)  # settled: one report, the link follows
    wait_idle(page)
    assert len(wire.after(mark)) >= 1 and wire.stepping_sent(mark) == []  # only the settled report
    expect(page.get_by_role("spinbutton", name="w_h, typed exactly (Enter)")).to_have_value("0.650")
    settled(page)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    scroll_to(page, page.locator(".st-key-lab_wh"), offset=12)
    page.mouse.move(1275, 795)
    page.screenshot(path=str(screenshot_dir / "lab_vanishing.png"))

    # … to an exploding one, typed exactly (computed on the server, added to the slider)
    typed = page.get_by_role("spinbutton", name="w_h, typed exactly (Enter)")
    typed.fill("2.03")
    typed.press("Enter")
    shown = wait_lab(page, "2.03")
    wait_idle(page)
    assert "EXPLODING" in shown["headline"] and lab.fmt_pow(shown["earliest"]) in shown["headline"]
    assert shown["earliest"] - low > 20, (low, shown["earliest"])  # more than 20 orders, as drawn in the page
    assert shown["marker"] == [2.03, 2.03]  # your w_h on the phase diagram
    compare = wait_chart(page, "Three cells")
    assert [t["meta"] for t in compare["traces"]][:4] == ["SimpleRNN", "LSTM", "forget", "GRU"]
    clip = page.get_by_label("Clip at (0 = off)")
    clip.fill("1")
    clip.press("Enter")
    expect(page.get_by_text("‖∂L/∂θ‖ after clipping")).to_be_visible(timeout=60_000)
    wait_idle(page)
    assert metric_value(page, "after clipping") == pytest.approx(1.0, rel=1e-3)
    assert metric_value(page, "before clipping") > 1e6
    no_exceptions(page)
    settled(page)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    scroll_to(page, page.locator(".st-key-lab_wh"), offset=12)
    page.mouse.move(1275, 795)
    page.screenshot(path=str(screenshot_dir / "lab_exploding.png"))
