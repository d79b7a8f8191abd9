"""Shared fixtures for the browser (end-to-end) tests.

Browser tests are marked ``browser`` (tests that use pytest-playwright's ``page`` fixture get the marker
automatically). They run Debian's chromium headless against a Streamlit server started by ``app_server``.
Without chromium they are skipped locally, but fail when ``CI=true``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks import DEBIAN_CHROMIUM, find_chromium  # one lookup for `tasks.py test` and the tests

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT_S = 60.0


CHROMIUM = find_chromium()
NO_CHROMIUM_MESSAGE = (
    "chromium not found (expected /usr/bin/chromium or `chromium` on PATH). "
    "On Debian: apt-get install -y chromium (`python3 tasks.py test` does this when run as root)."
)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "page" in getattr(item, "fixturenames", ()) and item.get_closest_marker("browser") is None:
            item.add_marker(pytest.mark.browser)
        if CHROMIUM is None and item.get_closest_marker("browser") is not None and not in_ci():
            item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM_MESSAGE))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # In CI a missing browser is an error, not a reason to skip: fail before any fixture tries to launch it.
    if CHROMIUM is None and in_ci() and item.get_closest_marker("browser") is not None:
        pytest.fail(f"CI=true and browser tests cannot run: {NO_CHROMIUM_MESSAGE}", pytrace=False)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM or str(DEBIAN_CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(opener: urllib.request.OpenerDirector, url: str) -> bool:
    try:
        with opener.open(url, timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no server output)"
    return "\n".join(text.splitlines()[-lines:]) or "(no server output)"


@pytest.fixture(scope="session")
def app_server() -> Iterator[str]:
    """Start the Streamlit app on a free local port; yield its base URL, e.g. http://127.0.0.1:12345."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    fd, log_name = tempfile.mkstemp(prefix="rnnviz-streamlit-", suffix=".log")
    log_path = Path(log_name)
    # Talk to the local server directly, even if an HTTP proxy is configured in the environment.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with os.fdopen(fd, "wb") as log_file:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    failed = True
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _healthy(opener, f"{base_url}/_stcore/health"):
            if proc.poll() is not None:
                pytest.fail(
                    f"streamlit exited with code {proc.returncode} before becoming healthy.\n"
                    f"--- server output (tail) ---\n{_tail(log_path)}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit did not answer {base_url}/_stcore/health within "
                    f"{SERVER_START_TIMEOUT_S:.0f} s.\n--- server output (tail) ---\n{_tail(log_path)}",
                    pytrace=False,
                )
            time.sleep(0.25)
        yield base_url
        failed = False
    finally:
        _stop(proc)
        if failed:
            print(f"streamlit server log kept at {log_path}", file=sys.stderr)
        else:
            log_path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """docs/screenshots/ in the repository (committed): where browser tests save screenshots."""
    path = REPO_ROOT / "docs" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(autouse=True)
def run_pages_through_app_py(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest (Streamlit 1.67) resets PagesManager.uses_pages_directory before every run; with a pages/
    folder next to app.py it then takes the legacy route and runs a switched-to page file ALONE: no
    session.init(), no sidebar, no URL sync. The browser always runs app.py (st.navigation), so make
    AppTest do the same. (Only this test process is patched; live servers are separate processes.)"""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
