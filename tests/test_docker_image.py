"""The real image: built by a Docker engine from the Dockerfile, run, and used through its port.

deploy/docker_engine.py starts a private dockerd (root on Debian; Debian's docker.io) and, since no image
registry is reachable, imports a debootstrapped stand-in for the base image. The image is then built and
run as a Kubernetes pod would run it (deploy/k8s/deployment.yaml): read-only root filesystem with
writable /tmp and HOME, no capabilities, no privilege escalation, DNS pointed at nothing (127.0.0.1), the
port published on loopback only. The app container shares the network namespace of a small holder
container (like a pod's), and deploy/netwatch.py records every packet in that namespace from before the
server starts until the end: only TCP on the served port may appear. A second container, started without
the image's browser.serverAddress setting, shows that the watch does see the external-IP probe.

Locally without root (or without apt) these tests skip; with CI=true they fail instead.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import in_ci

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "deploy"))

import docker_engine as de  # noqa: E402
import netwatch  # noqa: E402

TAG = "rnnviz:test-image"
PORT = 8501
TIMEOUT_MS = 90_000
HEALTHY_WITHIN_S = 90.0  # HEALTHCHECK --interval=30s: the first check runs 30 s after the start
PROBE_LOG = "Did not auto detect external IP"
RUN_LIKE_A_POD = [  # deploy/k8s/deployment.yaml's securityContext and volumes, in docker run flags
    "--read-only", "--tmpfs", "/tmp:rw,size=64m", "--tmpfs", "/home/rnnviz:rw,size=64m,uid=10001",
    "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
]

QUIET_JS = """() => {
    // quiet = no "Running…" status and no stale (greyed, about to be replaced) element, 5 checks in a row
    const busy = document.querySelector('[data-testid="stStatusWidget"], [data-stale="true"]') !== null;
    window.__quiet = busy ? 0 : (window.__quiet || 0) + 1;
    return window.__quiet >= 5;
}"""


def app_pages() -> list[tuple[str, str]]:
    """(url path, title) of every page app.py lists in st.navigation (the default page is "")."""
    text = (REPO_ROOT / "app.py").read_text(encoding="utf-8")
    pages = []
    for m in re.finditer(r'st\.Page\(\s*"pages/(\w+)\.py"(.*?)\)\s*,?\s*$', text, flags=re.MULTILINE):
        args = m.group(2)
        url = re.search(r'url_path\s*=\s*"([^"]*)"', args)
        title = re.search(r'title\s*=\s*"([^"]*)"', args)
        path = "" if "default=True" in args else (url.group(1) if url else m.group(1))
        pages.append((path, title.group(1) if title else m.group(1)))
    assert len(pages) >= 7, f"could not read the pages from app.py: {pages}"
    return pages


def fetch(url: str) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as resp:
            return resp.status, resp.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


@dataclass
class Served:
    engine: de.Engine
    holder: str  # the container that owns the network namespace (and the published port)
    app: str
    base_url: str
    watch_file: Path
    watcher: subprocess.Popen

    def records(self) -> list[dict]:
        return netwatch.read(self.watch_file)


def start_watched(engine: de.Engine, name: str, tmp: Path, app_args: list[str],
                  publish: bool) -> Served:
    """A holder container (its netns watched by netwatch from the start) and the app container in it."""
    holder, app = f"{name}-net", f"{name}-app"
    for old in (app, holder):
        engine.docker("rm", "-f", old, check=False, timeout=60)
    port_flags = ["-p", f"127.0.0.1::{PORT}"] if publish else []
    engine.docker("run", "-d", "--name", holder, "--dns", "127.0.0.1", *port_flags,
                  "--sysctl", "net.ipv6.conf.all.disable_ipv6=1", TAG, "sleep", "900", timeout=120)
    watch_file = tmp / f"{name}.jsonl"
    watcher = subprocess.Popen(
        ["nsenter", "-t", str(de.container_pid(engine, holder)), "-n", sys.executable,
         str(REPO_ROOT / "deploy" / "netwatch.py"), str(watch_file), "600"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not any(r.get("ready") for r in netwatch.read(watch_file)):
        assert watcher.poll() is None, f"netwatch failed: {watcher.stderr.read().decode()[-2000:]}"
        assert time.monotonic() < deadline, "netwatch did not start"
        time.sleep(0.1)
    engine.docker("run", "-d", "--name", app, "--network", f"container:{holder}", *app_args, timeout=120)
    base_url = ""
    if publish:
        host_port = engine.text("port", holder, f"{PORT}/tcp").splitlines()[0].rsplit(":", 1)[1]
        base_url = f"http://127.0.0.1:{host_port}"
    return Served(engine, holder, app, base_url, watch_file, watcher)


def stop_watched(served: Served) -> None:
    served.engine.docker("rm", "-f", served.app, served.holder, check=False, timeout=120)
    served.watcher.terminate()
    try:
        served.watcher.wait(timeout=10)
    except subprocess.TimeoutExpired:
        served.watcher.kill()
        served.watcher.wait(timeout=10)


def logs(served: Served) -> str:
    proc = served.engine.docker("logs", served.app, check=False, timeout=60)
    return (proc.stdout + proc.stderr).decode(errors="replace")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def engine() -> Iterator[de.Engine]:
    try:
        eng = de.start_engine()
    except de.EngineUnavailable as exc:
        if in_ci():
            pytest.fail(f"CI=true and no Docker engine can be started: {exc}", pytrace=False)
        pytest.skip(f"no Docker engine here: {exc}")
    try:
        yield eng
    finally:
        eng.stop()


@pytest.fixture(scope="module")
def image(engine: de.Engine) -> str:
    seconds = de.build_image(engine, TAG)
    print(f"\nbuilt {TAG} in {seconds:.0f} s")
    return TAG


@pytest.fixture(scope="module")
def served(engine: de.Engine, image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("docker-image")
    s = start_watched(engine, "rnnviz-test", tmp, [*RUN_LIKE_A_POD, image], publish=True)
    try:
        deadline = time.monotonic() + 90
        while fetch(f"{s.base_url}/_stcore/health") != (200, b"ok"):
            running = engine.text("inspect", "--format", "{{.State.Running}}", s.app)
            assert running == "true", f"the container stopped:\n{logs(s)}"
            assert time.monotonic() < deadline, f"no health within 90 s:\n{logs(s)}"
            time.sleep(0.3)
        yield s
    finally:
        stop_watched(s)


# --------------------------------------------------------------------------- the tests


def test_serves_health_as_non_root_from_a_read_only_app(served: Served) -> None:
    assert fetch(f"{served.base_url}/_stcore/health") == (200, b"ok")
    status, html = fetch(f"{served.base_url}/")
    assert status == 200 and b'<div id="root">' in html
    uid = served.engine.text("exec", served.app, "id", "-u")
    assert uid == "10001", f"the server runs as uid {uid}"
    top = served.engine.text("top", served.app, "-o", "uid,pid,args")
    assert "streamlit run app.py" in top and all(
        line.split()[0] == "10001" for line in top.splitlines()[1:]), top
    write = served.engine.docker("exec", served.app, "python", "-c", "open('/app/x', 'w')", check=False)
    assert write.returncode != 0 and b"Read-only file system" in write.stderr, write.stderr


@pytest.mark.browser
def test_every_page_renders_in_chromium_through_the_port(served: Served, page, screenshot_dir: Path) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for path, title in app_pages():
        page.goto(f"{served.base_url}/{path}")
        expect(page.locator('[data-testid="stSidebarNav"]')).to_be_visible(timeout=TIMEOUT_MS)
        page.wait_for_timeout(300)
        page.evaluate("window.__quiet = 0")
        page.wait_for_function(QUIET_JS, polling=100, timeout=TIMEOUT_MS)
        main = page.locator('[data-testid="stMain"]')
        assert page.locator('[data-testid="stException"]').count() == 0, f"{title}: an exception"
        assert "Something went wrong" not in main.inner_text(), f"{title}: the error boundary fired"
        expect(main.locator("h1, h2").first).to_be_visible(timeout=TIMEOUT_MS)
        if path == "forward":
            page.screenshot(path=str(screenshot_dir / "docker_forward.png"))
    assert not errors, errors


def test_the_healthcheck_turns_healthy(served: Served) -> None:
    deadline = time.monotonic() + HEALTHY_WITHIN_S
    status = de.health_status(served.engine, served.app)
    while status != "healthy" and time.monotonic() < deadline:
        assert status in ("starting", "none", "healthy"), f"HEALTHCHECK: {status}\n{logs(served)}"
        time.sleep(1)
        status = de.health_status(served.engine, served.app)
    assert status == "healthy", f"HEALTHCHECK still {status} after {HEALTHY_WITHIN_S:.0f} s"


def test_no_request_leaves_the_container(served: Served) -> None:
    text = logs(served)
    assert PROBE_LOG not in text, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    records = served.records()
    served_port = [r for r in records if r.get("proto") == "tcp" and PORT in (r["sport"], r["dport"])]
    assert served_port, f"the watch saw no traffic at all: {records}"
    assert netwatch.outside(records, PORT) == [], "packets other than the served port"


def test_the_watch_sees_the_probe_without_the_images_setting(engine: de.Engine, image: str,
                                                             tmp_path: Path) -> None:
    """The control: the same image with browser.serverAddress unset looks up its external IP at start,
    and the watch records that (DNS queries), so an empty record above means nothing was tried."""
    cmd = ["env", "-u", "STREAMLIT_BROWSER_SERVER_ADDRESS", "streamlit", "run", "app.py",
           "--server.address", "0.0.0.0", "--server.port", str(PORT), "--server.headless", "true"]
    s = start_watched(engine, "rnnviz-probe", tmp_path, [image, *cmd], publish=False)
    try:
        deadline = time.monotonic() + 60
        while PROBE_LOG not in logs(s) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert PROBE_LOG in logs(s)
        dns = [r for r in netwatch.outside(s.records(), PORT) if r.get("dport") == 53]
        assert dns, s.records()
    finally:
        stop_watched(s)
