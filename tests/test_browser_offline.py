"""Offline classroom check: a whole session in headless Chromium talks to the local server only.

Every network request (and websocket) the page makes is recorded while visiting every page of the app
through the sidebar navigation, switching the cell, turning presentation mode on, opening the share link,
uploading weights and downloading a file. Any request to another host (web fonts, CDNs, telemetry) fails
the test. The distinct hosts and paths seen are printed (run pytest with -s to read them).
"""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from apptools import app_pages

import rnnviz as rv

PAGE_TITLES = [title for _, title, _ in app_pages()]
PAGE_PATHS = [path for _, _, path in app_pages()]
TITLE_OF = {path: title for _, title, path in app_pages()}
LOCAL_SCHEMES = {"data", "blob", "about"}
TIMEOUT_MS = 60_000


QUIET_JS = """() => {
    // quiet = no "Running…" status and no stale (greyed, about to be replaced) element, for 5 checks in a row
    const busy = document.querySelector('[data-testid="stStatusWidget"], [data-stale="true"]') !== null;
    window.__rnnvizQuiet = busy ? 0 : (window.__rnnvizQuiet || 0) + 1;
    return window.__rnnvizQuiet >= 5;
}"""


def wait_idle(page) -> None:
    """The script run is over and stayed over (a rerun may start a moment after a click)."""
    page.wait_for_timeout(200)
    page.evaluate("window.__rnnvizQuiet = 0")
    page.wait_for_function(QUIET_JS, polling=100, timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)


def weights_file() -> bytes:
    cell = rv.GRU(5, 2, seed=3)
    buf = io.BytesIO()
    np.savez(buf, **cell.to_torch(), vocab=np.array(["movie", "was", "good", "bad", "not"]))
    return buf.getvalue()


@pytest.mark.browser
def test_a_whole_session_stays_on_the_local_server(page, app_server: str, screenshot_dir: Path,
                                                   tmp_path: Path) -> None:
    from playwright.sync_api import expect

    server = urlsplit(app_server)
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    page.on("websocket", lambda ws: requests.append(ws.url))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1280, "height": 800})

    page.goto(app_server)
    nav = page.locator('[data-testid="stSidebarNav"]')
    expect(nav).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page)

    # every page, through the sidebar navigation
    for title, path in zip(PAGE_TITLES, PAGE_PATHS, strict=True):
        nav.get_by_role("link", name=title).click()
        page.wait_for_url(lambda url, path=path: urlsplit(url).path.strip("/") == path, timeout=TIMEOUT_MS)
        wait_idle(page)
        exceptions = page.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, f"{title}: {exceptions.first.inner_text()[:1500]}"

    # interact: another cell, presentation mode, the share link (on the forward page)
    nav.get_by_role("link", name=TITLE_OF["forward"]).click()
    wait_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("LSTM", exact=True).click()
    wait_idle(page)
    expect(page).to_have_url(lambda_url_has("cell=LSTM"), timeout=TIMEOUT_MS)
    sidebar.get_by_text("Presentation mode (large text for projectors)").click()
    wait_idle(page)
    expect(page).to_have_url(lambda_url_has("present=1"), timeout=TIMEOUT_MS)
    expect(sidebar).not_to_be_in_viewport(timeout=TIMEOUT_MS)  # a projector gets the whole width
    page.get_by_test_id("stExpandSidebarButton").click()  # the one control that brings it back
    expect(sidebar).to_be_in_viewport(timeout=TIMEOUT_MS)
    sidebar.get_by_text("Share this view").click()
    expect(sidebar.locator('[data-testid="stCode"]').filter(has_text="cell=LSTM")).to_be_visible()
    sidebar.get_by_text("Presentation mode (large text for projectors)").click()
    wait_idle(page)

    # upload weights on page 6, then download the trace they produce
    nav.get_by_role("link", name=TITLE_OF["weights"]).click()
    wait_idle(page)
    upload = tmp_path / "gru.npz"
    upload.write_bytes(weights_file())
    page.locator('input[type="file"]').set_input_files(str(upload))
    expect(sidebar.get_by_text("Using your weights:")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page)
    page.get_by_text("Download the numbers and figures").click()
    wait_idle(page)
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.get_by_role("button", name="Trace (CSV)").click()
    saved = tmp_path / "trace.csv"
    download.value.save_as(saved)
    assert saved.read_text().startswith("step,token,quantity,unit,value")
    page.screenshot(path=str(screenshot_dir / "weights.png"))

    outside, seen = [], set()
    for url in requests:
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            seen.add(f"{parts.scheme}:")
            continue
        if parts.hostname != server.hostname or parts.port != server.port:
            outside.append(url)
        path = parts.path
        if path.startswith("/static/"):
            path = "/static/…" + Path(path).suffix  # hashed bundle names
        for prefix in ("/media/", "/_stcore/upload_file/"):  # per-file and per-session ids
            if path.startswith(prefix):
                path = prefix + "…"
        seen.add(f"{parts.scheme}://{parts.hostname}:{parts.port} {path}")
    print(f"\n{len(requests)} requests; distinct scheme/host/path seen:")
    for item in sorted(seen):
        print("  ", item)
    assert outside == [], f"requests leaving the local server: {sorted(set(outside))}"
    assert errors == [], errors


def lambda_url_has(fragment: str):
    import re

    return re.compile(f".*{re.escape(fragment)}.*")


@pytest.mark.browser
def test_presentation_mode_screenshot(page, app_server: str, screenshot_dir: Path) -> None:
    """Presentation mode at a projector-ish 1280×800: large text, larger figure fonts, no help icons."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{app_server}/weights?present=1")
    expect(page.get_by_test_id("stExpandSidebarButton")).to_be_visible(timeout=TIMEOUT_MS)  # sidebar folded
    wait_idle(page)
    font_px = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
    page.wait_for_function(f"{font_px} >= 19", timeout=TIMEOUT_MS)  # the base font is enlarged
    size = page.evaluate(font_px)
    for icon in page.locator('[data-testid="stTooltipIcon"]').all():
        expect(icon).to_be_hidden()
    chart = page.locator(".js-plotly-plot").last
    expect(chart).to_be_visible(timeout=TIMEOUT_MS)
    page.get_by_role("heading", name="The weights on screen").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshot_dir / "presentation_mode.png"))
    page.goto(f"{app_server}/weights")
    wait_idle(page)
    normal = page.evaluate(font_px)
    assert normal < size
