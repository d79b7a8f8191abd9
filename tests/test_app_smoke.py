"""Smoke tests: the app starts, in Streamlit's AppTest and in a real (headless) browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_app_renders_home_page() -> None:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["rnnviz"]


@pytest.mark.browser
def test_app_in_browser(page, app_server: str, screenshot_dir: Path) -> None:
    from playwright.sync_api import expect

    console_errors: list[str] = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: console_errors.append(f"pageerror: {exc}"))

    page.goto(app_server)
    expect(page.get_by_role("heading", name="rnnviz")).to_be_visible(timeout=30_000)
    # Wait until the script run is over (the "Running..." status widget is gone).
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=30_000)
    # Widgets load their code lazily: let those requests finish before looking at the page.
    page.wait_for_load_state("networkidle")

    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "smoke.png"), full_page=True)
    assert console_errors == []
