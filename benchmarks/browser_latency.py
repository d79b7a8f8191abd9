"""How fast the app answers in a real browser (headless Chromium), against a trivial Streamlit app measured in
the same run (not a test: no asserts; targets are printed as met / NOT met).

    python benchmarks/browser_latency.py [--events 30] [--first-views 5] [--json out.json]

Interactions — keyboard event (its timestamp in the page) → the last change of the chart it moves
(a MutationObserver on the chart), median and p95 over --events presses:
  trivial slider       a one-slider, one-chart Streamlit app: ← → on st.slider, a server round trip each
  forward step         the Forward page's diagram, ← →: T = 3 and T = 20, SimpleRNN and LSTM, H = 8
  gates step           the Gates page (the Riya passage, LSTM), ← →
  lab w_h              the Gradient lab's w_h slider (generated T = 100), ← →
For each, the websocket messages the page sends because of a key press (must be 0: stepping never
reruns the script; the one report after the student settles is not counted). Play: the interval between
frames at the "fast" speed (nominal 400 ms) on T = 20, and how long each frame takes to draw. First view:
a page opened in a fresh browser profile (cold) and reloaded (warm), until its last chart is drawn and the
page is idle, as a ratio to the trivial app; bytes received per page.

Targets (issue 14): step and w_h median ≤ 40 ms, p95 ≤ 80 ms; first view within 10 % of the trivial app.
The machine's load average is printed before and after: other processes on the cores change every number.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from rnnviz_app.components.frame_stepper import SETTLE_MS  # noqa: E402
from tasks import find_chromium  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}
RIYA = ("Riya is a doctor. She lives in Delhi. She works at a hospital. Last year, Riya moved to London. "
        "Now she works at a research lab")
TRIVIAL_APP = '''import plotly.graph_objects as go
import streamlit as st

st.title("Trivial")
x = st.slider("x", 1, 40, 1, key="x")
st.plotly_chart(go.Figure(go.Scatter(x=list(range(40)), y=[(i * x) % 7 for i in range(40)])), key="c")
'''
SERVER_FLAGS = ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats",
                "false", "--server.fileWatcherType", "none", "--runner.postScriptGC", "false"]

# In every page from its first byte: the time of the last change inside a Plotly chart (or, for first views,
# anywhere in the page), and the time of the last keydown.
INIT_JS = """
(() => {
  window.__rnnviz = {key: 0, chart: 0, page: 0};
  window.addEventListener('keydown', () => { window.__rnnviz.key = performance.now(); }, true);
  const mo = new MutationObserver((list) => {
    const now = performance.now();
    window.__rnnviz.page = now;
    for (const m of list) {
      const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      if (el && el.closest && el.closest('.js-plotly-plot')) { window.__rnnviz.chart = now; break; }
    }
  });
  const start = () => mo.observe(document, {subtree: true, childList: true, attributes: true,
                                            characterData: true});
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
})();
"""
QUIET_JS = """(ms) => {
  const r = window.__rnnviz;
  return r.chart > r.key && performance.now() - r.chart > ms;
}"""
IDLE_JS = """([charts, ms]) => {
  const drawn = [...document.querySelectorAll('.js-plotly-plot')].filter(g => g._fullLayout).length;
  const shown = document.querySelector('[data-testid="stMain"] [data-testid="stHeading"]');  // the page ran
  const busy = document.querySelector('[data-testid="stStatusWidget"], [data-stale="true"]');
  return shown && drawn >= charts && !busy && performance.now() - window.__rnnviz.page > ms;
}"""


TRANSFERRED_JS = """() => [...performance.getEntriesByType('navigation'),
                           ...performance.getEntriesByType('resource')]
    .reduce((sum, e) => sum + (e.transferSize || 0), 0)"""  # bytes over HTTP (the websocket is counted apart)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def summary(xs: list[float]) -> dict:
    return {"n": len(xs), "median": statistics.median(xs), "p95": pct(xs, 0.95)} if xs else {"n": 0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(script: Path, cwd: Path) -> Iterator[str]:
    """`streamlit run script` on a free local port; yields its URL; stopped (by its PID) afterwards."""
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed below, after the server stopped)
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port), *SERVER_FLAGS]
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with opener.open(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise SystemExit(f"streamlit did not start:\n{log.read().decode(errors='replace')[-2000:]}")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


class Page:
    """A browser page with the timing script, counting what it sends over Streamlit's websocket."""

    def __init__(self, context, url: str) -> None:
        self.page = context.new_page()
        self.sent: list[float] = []  # when the page sent a message (time.monotonic)
        self.keys: list[float] = []  # when a key was pressed
        self.received = 0
        self.page.on("websocket", self._socket)
        self.page.add_init_script(INIT_JS)
        self.page.set_viewport_size(VIEWPORT)
        self.url = url

    def _socket(self, ws) -> None:
        ws.on("framesent", lambda payload: self.sent.append(time.monotonic()))
        ws.on("framereceived", self._received)

    def _received(self, payload) -> None:
        self.received += len(payload)

    def open(self, charts: int, idle_ms: int = 800) -> float:
        """Go to the URL; ms from navigation start to the last change of the page before it went idle."""
        self.page.goto(self.url, wait_until="commit")
        self.page.wait_for_function(IDLE_JS, arg=[charts, idle_ms], polling=100, timeout=120_000)
        return float(self.page.evaluate("window.__rnnviz.page"))

    def focus_chart(self, selector: str) -> None:
        """Click an empty corner of the chart (the page, not a widget, gets the keys)."""
        self.page.locator(selector).last.click(position={"x": 4, "y": 4})
        self.page.wait_for_timeout(300)

    def press(self, key: str, quiet_ms: int, timeout_ms: int = 5000) -> float | None:
        """Press `key`; ms from its keydown to the last change of a chart, once the charts are quiet."""
        self.page.evaluate("window.__rnnviz.chart = 0")
        self.keys.append(time.monotonic())
        self.page.keyboard.press(key)
        try:
            self.page.wait_for_function(QUIET_JS, arg=quiet_ms, polling=20, timeout=timeout_ms)
        except Exception:  # nothing changed (e.g. already at the end): not an event to count
            return None
        r = self.page.evaluate("window.__rnnviz")
        return r["chart"] - r["key"]


def keys(n: int, span: int) -> list[str]:
    """n presses walking right then left over a slider of `span` positions (never against an end)."""
    out, pos, step = [], 0, 1
    while len(out) < n:
        if not 0 <= pos + step < span:
            step = -step
        pos += step
        out.append("ArrowRight" if step > 0 else "ArrowLeft")
    return out


def stepping(page: Page, selector: str, span: int, n: int, quiet_ms: int = 150) -> tuple[list[float], int]:
    """Latencies of n presses, and the websocket messages the page sent because of a press: any message
    within 0.8 · SETTLE_MS of a key press (later ones are the settled report, sent on purpose once the
    student stops; on a slow machine the pause between two presses can be that long)."""
    page.focus_chart(selector)
    start = time.monotonic()
    times = [t for t in (page.press(k, quiet_ms) for k in keys(n, span)) if t is not None]
    quiet = 0.8 * SETTLE_MS / 1000
    stepping_sent = [t for t in page.sent if t >= start and any(0 <= t - k < quiet for k in page.keys)]
    return times, len(stepping_sent)


def play(page: Page, selector: str) -> tuple[list[float], list[float]]:
    """Press the chart's "fast" speed, then Play: the intervals between frames and each frame's draw time."""
    gd = f"[...document.querySelectorAll('{selector} .js-plotly-plot')].pop()"
    page.page.evaluate(f"""() => {{ const gd = {gd}; window.__frames = [];
        gd.on('plotly_animatingframe', () => window.__frames.push([performance.now(), 0]));
        new MutationObserver(() => {{ const f = window.__frames[window.__frames.length - 1];
                                     if (f) f[1] = performance.now(); }})
            .observe(gd, {{subtree: true, childList: true, attributes: true, characterData: true}}); }}""")
    page.page.keyboard.press("Home")
    page.page.wait_for_timeout(300)
    page.page.locator(f"{selector} g.updatemenu-button", has_text="fast").first.click()
    page.page.wait_for_timeout(300)
    page.page.evaluate("window.__frames = []")
    page.page.locator(f"{selector} g.updatemenu-button", has_text="Play").first.click()
    page.page.wait_for_function(f"() => {gd}._fullLayout.sliders[0].active === "
                                f"{gd}._fullLayout.sliders[0].steps.length - 1", timeout=60_000)
    page.page.wait_for_timeout(400)
    frames = page.page.evaluate("window.__frames")
    starts = [f[0] for f in frames]
    return [b - a for a, b in itertools.pairwise(starts)], [f[1] - f[0] for f in frames if f[1]]


def first_views(browser, url: str, charts: int, n: int) -> dict:
    """n cold opens (a fresh profile each) and n warm reloads: ms to the page's last change, and bytes."""
    cold, warm, received = [], [], []
    for _ in range(n):
        context = browser.new_context()
        page = Page(context, url)
        cold.append(page.open(charts))
        received.append(page.page.evaluate(TRANSFERRED_JS) + page.received)
        page.page.evaluate("window.__rnnviz.page = 0")
        page.page.reload(wait_until="commit")
        page.page.wait_for_function(IDLE_JS, arg=[charts, 800], polling=100, timeout=120_000)
        warm.append(float(page.page.evaluate("window.__rnnviz.page")))
        context.close()
    return {"cold": summary(cold), "warm": summary(warm), "bytes": statistics.median(received)}


def run(args) -> dict:
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("chromium not found (Debian: apt-get install -y chromium)")
    results: dict = {"load_before": os.getloadavg(), "machine": f"{platform.machine()}, "
                     f"{os.cpu_count()} cores, {platform.system()} {platform.release()}",
                     "date": time.strftime("%Y-%m-%d %H:%M")}
    n = args.events
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        trivial = Path(tmp) / "trivial.py"
        trivial.write_text(TRIVIAL_APP)
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        results["chromium"] = browser.version
        with server(trivial, Path(tmp)) as base, server(REPO / "app.py", REPO) as app:
            context = browser.new_context()
            page = Page(context, base)
            page.open(1)
            page.page.get_by_role("slider").first.focus()
            times = [t for t in (page.press(k, 200) for k in keys(n, 40)) if t is not None]
            results["trivial slider"] = {**summary(times), "sent": None}

            def step(name: str, path: str, charts: int, selector: str, span: int,
                     then: Callable[[Page], None] | None = None) -> None:
                page = Page(context, f"{app}/{path}")
                page.open(charts)
                times, sent = stepping(page, selector, span, n)
                results[name] = {**summary(times), "sent": sent}
                if then:
                    then(page)
                page.page.close()

            def play_forward(page: Page) -> None:
                intervals, draws = play(page, ".st-key-unrolled")
                results["forward play, fast (400 ms)"] = {**summary(intervals), "draw": summary(draws)}

            twenty = quote(" ".join(["the movie was not good at all and the plot was a mess"] * 2))
            step("forward step, T=3, SimpleRNN H=8", "forward?hidden=8", 2, ".st-key-unrolled", 3)
            step("forward step, T=20, SimpleRNN H=8", f"forward?hidden=8&corpus={twenty}", 2,
                 ".st-key-unrolled", 20, play_forward)
            step("forward step, T=3, LSTM H=8", "forward?hidden=8&cell=LSTM", 2, ".st-key-unrolled", 3)
            step("forward step, T=20, LSTM H=8", f"forward?hidden=8&cell=LSTM&corpus={twenty}", 2,
                 ".st-key-unrolled", 20)
            step("gates step (Riya, LSTM H=3)", f"gates?cell=LSTM&corpus={quote(RIYA)}", 1,
                 ".st-key-gates_heatmaps", 26)
            step("lab w_h (T=100)", "lab", 2, ".st-key-lab_wh", 61)
            context.close()
            views = {"trivial app": (base, 1), "home": (app, 0), "forward": (f"{app}/forward", 2),
                     "gates": (f"{app}/gates", 1), "lab": (f"{app}/lab", 2)}
            for name, (url, charts) in views.items():
                results[f"first view: {name}"] = first_views(browser, url, charts, args.first_views)
        browser.close()
    results["load_after"] = os.getloadavg()
    return results


def report(r: dict) -> None:
    print(f"{r['date']} · {r['machine']} · Chromium {r['chromium']} · load average before "
          f"{r['load_before'][0]:.1f}, after {r['load_after'][0]:.1f}")
    head = f"{'interaction (event → last chart change)':45s} {'median':>8s} {'p95':>8s} {'n':>4s}"
    head += f" {'sent':>5s}"
    print(f"\n{head}")
    for name, v in r.items():
        if isinstance(v, dict) and "median" in v and "cold" not in v:
            sent = "" if v.get("sent") is None else str(v["sent"])
            print(f"{name:45s} {v['median']:8.1f} {v['p95']:8.1f} {v['n']:4d} {sent:>5s}")
            if "draw" in v and v["draw"].get("n"):
                print(f"{'  … each frame drawn in':45s} {v['draw']['median']:8.1f} {v['draw']['p95']:8.1f}")
    base = r["first view: trivial app"]
    print(f"\n{'first view (ms to the last change)':35s} {'cold':>8s} {'ratio':>6s} {'warm':>8s} "
          f"{'ratio':>6s} {'KB':>7s}")
    for name, v in r.items():
        if isinstance(v, dict) and "cold" in v:
            c, w = v["cold"]["median"], v["warm"]["median"]
            print(f"{name.removeprefix('first view: '):35s} {c:8.0f} {c / base['cold']['median']:6.2f} "
                  f"{w:8.0f} {w / base['warm']['median']:6.2f} {v['bytes'] / 1024:7.0f}")
    steps = [v for k, v in r.items() if isinstance(v, dict) and (k.startswith(("forward step", "lab w_h")))]
    ok = all(v["median"] <= 40 and v["p95"] <= 80 for v in steps)
    quiet = all(v.get("sent") == 0 for k, v in r.items() if isinstance(v, dict) and v.get("sent") is not None)
    print(f"\ntarget step and w_h median ≤ 40 ms, p95 ≤ 80 ms: {'met' if ok else 'NOT met'}; "
          f"no message sent while stepping: {'yes' if quiet else 'NO'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=30, help="key presses per interaction (≥ 30)")
    parser.add_argument("--first-views", type=int, default=5, help="cold and warm opens per page")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args()
    results = run(args)
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
