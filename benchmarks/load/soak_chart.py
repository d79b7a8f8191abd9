"""The soak chart as a PNG: server RSS and p95 over time, drawn with Plotly and photographed by Chromium.

No new dependency: the figure is a Plotly figure (plotly.js inlined from the installed package, so it
renders offline) and Playwright's Chromium (the browser tests' /usr/bin/chromium) saves the PNG.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import plotly.graph_objects as go
from plotly.subplots import make_subplots

CHROMIUM = "/usr/bin/chromium"
WINDOW_S = 30  # p95 over 30-second windows
WIDTH, HEIGHT = 1100, 640


def windows(run, width_s: float = WINDOW_S) -> tuple[list[float], list[float], list[float]]:
    """(minute, p50, p95) of the moves in consecutive windows after all students arrived."""
    from run import pct

    moves = run.moves()
    xs, p50, p95 = [], [], []
    t = run.t_start
    while t < run.t_end:
        ms = [e["ms"] for e in moves if t <= e["t"] < t + width_s]
        if ms:
            xs.append((t + width_s / 2 - run.t_start) / 60)
            p50.append(pct(ms, 50))
            p95.append(pct(ms, 95))
        t += width_s
    return xs, p50, p95


def figure(samples: list[dict], run, warm_rss: float) -> go.Figure:
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=("Server memory (RSS)", f"Response time per {WINDOW_S} s window"))
    t0 = run.t_start
    fig.add_trace(go.Scatter(x=[(s["t"] - t0) / 60 for s in samples], y=[s["rss_mb"] for s in samples],
                             name="RSS (MB)", line={"color": "#1f5fbf", "width": 2.5}), row=1, col=1)
    fig.add_hline(y=warm_rss * 1.10, line={"color": "#c0392b", "dash": "dash", "width": 2}, row=1, col=1,
                  annotation_text="warm-up RSS + 10 % (the limit)", annotation_position="bottom right",
                  annotation_font={"size": 15, "color": "#c0392b"})
    xs, p50, p95 = windows(run)
    fig.add_trace(go.Scatter(x=xs, y=p95, name="p95 (ms)", line={"color": "#d35400", "width": 2.5}),
                  row=2, col=1)
    fig.add_trace(go.Scatter(x=xs, y=p50, name="p50 (ms)", line={"color": "#7f8c8d", "width": 2}),
                  row=2, col=1)
    fig.update_yaxes(title_text="MB", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="ms", rangemode="tozero", row=2, col=1)
    fig.update_xaxes(title_text="minutes after all students arrived", row=2, col=1)
    fig.update_layout(
        title={"text": f"Soak: {run.users} students, room “{run.room}”", "font": {"size": 22}},
        width=WIDTH, height=HEIGHT, template="plotly_white", font={"size": 16, "color": "#111"},
        legend={"orientation": "h", "y": -0.14}, margin={"l": 70, "r": 30, "t": 80, "b": 90})
    return fig


def draw(samples: list[dict], run, out: Path, warm_rss: float) -> None:
    from playwright.sync_api import sync_playwright

    fig = figure(samples, run, warm_rss)
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "soak.html"
        fig.write_html(html, include_plotlyjs=True, full_html=True, config={"staticPlot": True})
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox",
                                                                        "--disable-gpu"])
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.goto(html.as_uri())
            page.wait_for_selector(".main-svg")
            page.screenshot(path=str(out))
            browser.close()
