"""Projector first (issue 16): every page in presentation mode at 1024×768, 1280×720 and 1920×1080.

Without scrolling, the page's main chart starts inside the window; no equation, button or widget label is
wider than its box; no label breaks inside a word; the figure text stays projector-large (≥ 16 px); the
sidebar starts collapsed. Screenshots go to docs/screenshots/projector/<page>_<w>x<h>.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from apptools import app_pages
from test_browser_app1 import TIMEOUT_MS, no_exception, wait_idle

REPO = Path(__file__).resolve().parent.parent
SIZES = [(1024, 768), (1280, 720), (1920, 1080)]
MIN_FIGURE_FONT_PX = 16
FIRST_ACTION = {"train": "Train"}


CHECK_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const charts = [...main.querySelectorAll('.js-plotly-plot')].filter(g => g.offsetParent);
  const first = charts.length ? charts[0] : null;
  const onScreen = (el) => el.offsetParent && el.getBoundingClientRect().right > 0;
  const over = [];
  const wide = (el, what) => {
    if (el.scrollWidth > el.clientWidth + 1) {
      over.push(`${what} «${el.innerText.slice(0, 40)}» ${el.scrollWidth}>${el.clientWidth}`);
    }
  };
  main.querySelectorAll('.katex-display').forEach(el => {
    // what the eye sees: the rendered symbols (.base boxes) must lie inside the equation's box
    if (!onScreen(el)) return;
    const box = el.getBoundingClientRect();
    const right = Math.max(...[...el.querySelectorAll('.base')].map(b => b.getBoundingClientRect().right));
    if (right > box.right + 1) over.push(`equation «${el.innerText.slice(0, 30)}» ends past its box`);
  });
  document.querySelectorAll('button').forEach(el => {
    if (onScreen(el) && el.innerText.trim()) wide(el, 'button');
  });
  document.querySelectorAll('[data-testid="stWidgetLabel"]').forEach(el => {
    if (onScreen(el)) wide(el, 'label');
  });
  const broken = [];
  const texts = document.querySelectorAll('[data-testid="stWidgetLabel"] p, button p, '
    + '[data-testid="stRadio"] label p, [data-testid="stMetricLabel"] p');
  for (const el of texts) {
    if (!onScreen(el)) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const re = /\\S+/g; let m;
      while ((m = re.exec(node.data))) {
        const r = document.createRange(); r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
        const rows = new Set([...r.getClientRects()].filter(q => q.width > 0).map(q => Math.round(q.top)));
        if (rows.size > 1) broken.push(m[0]);
      }
    }
  }
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  return {
    chartTop: first ? first.getBoundingClientRect().top : null,
    fontPx: first && first._fullLayout ? first._fullLayout.font.size : null,
    scrolled: window.scrollY, over, broken,
    sidebarRight: sidebar ? sidebar.getBoundingClientRect().right : 0,
  };
}"""


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_page_fits_a_projector(page, app_server: str, width: int, height: int) -> None:
    shots = REPO / "docs" / "screenshots" / "projector"
    shots.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": height})
    problems = []
    for _, _, name in app_pages():
        page.goto(f"{app_server}/{name}?present=1")
        if name in FIRST_ACTION:  # a page whose picture appears after one click (Train: the loss curve)
            wait_idle(page)
            page.get_by_role("button", name=re.compile(rf"(^|\s){FIRST_ACTION[name]}$")).click()
        page.wait_for_selector('[data-testid="stMain"] .js-plotly-plot', timeout=TIMEOUT_MS)
        wait_idle(page)
        page.wait_for_timeout(300)  # equations refitted after the last redraw
        no_exception(page, name or "home")
        r = page.evaluate(CHECK_JS)
        page.screenshot(path=str(shots / f"{name or 'home'}_{width}x{height}.png"))
        where = f"{name or 'home'} at {width}×{height}"
        if r["chartTop"] is None or not 0 <= r["chartTop"] < height - 60:
            problems.append(f"{where}: the main chart starts at y = {r['chartTop']} (window {height})")
        if r["over"]:
            problems.append(f"{where}: wider than its box: {r['over'][:4]}")
        if r["broken"]:
            problems.append(f"{where}: words broken across lines: {r['broken'][:6]}")
        if r["fontPx"] is not None and r["fontPx"] < MIN_FIGURE_FONT_PX:
            problems.append(f"{where}: figure text {r['fontPx']} px")
        if r["sidebarRight"] > 1:
            problems.append(f"{where}: the sidebar is open ({r['sidebarRight']:.0f} px)")
    assert not problems, "\n".join(problems)
