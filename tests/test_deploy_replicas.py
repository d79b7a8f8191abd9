"""Two app replicas behind HAProxy (deploy/replicas.py), driven by the Locust load harness, one killed.

A short classroom (Locust, protocol level, benchmarks/load/) runs through HAProxy on loopback; halfway,
replica r1 is killed. Every failure must belong to a student whose session was on r1, each of those
students must then work on r2 with their own sentence back (the app keeps it in the address), and no
reply may ever carry another student's sentence. The harness's own checks are tested first, so a quiet
run means something: it sees an exception element and another session's words.

HAProxy is Debian's package (installed by deploy/replicas.py as root on Debian); without it these tests
skip locally and fail under CI=true.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import in_ci

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "deploy"))
sys.path.insert(0, str(REPO_ROOT / "benchmarks" / "load"))

import replicas as rp  # noqa: E402
import scenario  # noqa: E402
from st_client import Tab, foreign_tags  # noqa: E402

STUDENTS = 6
KILL_AFTER_S = 12
AFTER_KILL_S = 20


def test_tags_are_unique_and_found_only_as_words() -> None:
    tags = {scenario.tag(n) for n in range(500)}
    assert len(tags) == 500 and all(scenario.TAG_PATTERN.fullmatch(t.encode()) for t in tags)
    mine, other = scenario.tag(3).encode(), scenario.tag(4).encode()
    reply = b'{"text": ["my", "' + mine + b'"], "ticktext": "' + other + b' movie"}'
    assert foreign_tags(reply, scenario.TAG_PATTERN, mine) == {other}
    # inside base64 data a tag-like run is not a word
    assert foreign_tags(b'"bdata": "AAB' + other + b'Q9x=="', scenario.TAG_PATTERN, mine) == set()


def test_the_harness_reports_an_exception_element(tmp_path: Path) -> None:
    app = tmp_path / "boom.py"
    app.write_text("import streamlit as st\nst.title('x')\nraise ValueError('boom')\n", encoding="utf-8")
    port = rp.free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not rp.healthy(f"http://127.0.0.1:{port}"):
            assert proc.poll() is None and time.monotonic() < deadline, "the test app did not start"
            time.sleep(0.2)
        tab = Tab(f"http://127.0.0.1:{port}")
        reply = tab.open("")
        tab.close()
        assert any("exception element: ValueError" in p for p in reply.problems), reply.problems
    finally:
        rp.stop(proc)


@pytest.fixture(scope="module")
def haproxy() -> str:
    try:
        return rp.haproxy_binary()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        if in_ci():
            pytest.fail(f"CI=true and HAProxy cannot be installed: {exc}", pytrace=False)
        pytest.skip(str(exc))


def test_a_killed_replica_drops_only_its_own_students(haproxy: str, tmp_path: Path) -> None:
    assert shutil.which("haproxy") or Path(haproxy).exists()
    import run as load

    killed: dict[str, float] = {}
    with rp.Replicas(2, tmp_path / "replicas") as rs:

        def kill_later(t0: float) -> None:
            time.sleep(KILL_AFTER_S)
            killed["t"] = time.time()
            rs.kill(0)

        run = load.locust(rs.url, STUDENTS, KILL_AFTER_S + AFTER_KILL_S, "mixed", tmp_path, "kill",
                          rs.app_pids(), during=kill_later)
        victim = rs.server_name(0)
    events = run.events
    assert len(events) > 4 * STUDENTS, f"too few requests: {len(events)}"
    where = {e["student"]: e["replica"] for e in events if e["t"] < killed["t"] and e["replica"]}
    assert set(where.values()) == {"r1", "r2"}, f"the students did not spread over both replicas: {where}"
    on_victim = {s for s, r in where.items() if r == victim}
    errors = [e for e in events if not e["ok"]]
    assert not [e for e in errors if "another session" in e["error"]], "a reply carried another's sentence"
    failed = {e["student"] for e in errors}
    assert failed <= on_victim, f"students of the healthy replica failed: {sorted(failed - on_victim)}"
    assert not [e for e in errors if e["t"] < killed["t"]], [e["error"] for e in errors][:3]
    # the killed replica's students reload onto r2 and carry on (own sentence checked in every reply)
    for s in on_victim:
        later = [e for e in events if e["student"] == s and e["t"] > killed["t"] and e["ok"]]
        assert any(e["replica"] == "r2" and e["action"] not in load.SESSION_START for e in later), (
            f"student {s} did not come back on r2: {[e for e in events if e['student'] == s][-4:]}")
    assert not [e for e in events if e["t"] > killed["t"] + 8 and not e["ok"]], "failures long after the kill"
