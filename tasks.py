#!/usr/bin/env python3
"""The project's commands. Needs only python3 (>= 3.11) and its standard library.

    python3 tasks.py run  [streamlit args...]   create .venv, install requirements.txt, start the app
    python3 tasks.py test [pytest args...]      install requirements-dev.txt, (Debian chromium), ruff, pytest
    python3 tasks.py lint                       ruff only
    python3 tasks.py bench [args...]            python benchmarks/run.py

The virtual environment lives in .venv/. Each requirements file is installed again only when its
content (including files it pulls in with -r) changed: a hash is kept in a stamp file inside .venv/.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
HOST = "127.0.0.1"
PORT = "8501"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
MIN_PYTHON = (3, 11)
# One BLAS thread per process: rnnviz multiplies small matrices, and under load OpenBLAS' thread pool made a
# 23x720 by 720x64 product ~100x slower (measured on 2 cores); several students share one server anyway.
SINGLE_THREADED_BLAS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def log(msg: str) -> None:
    print(f"[tasks] {msg}", flush=True)


def die(msg: str, code: int = 1) -> None:
    print(f"[tasks] ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


def venv_bin(name: str) -> Path:
    """Path of an executable inside .venv (POSIX bin/ or Windows Scripts/)."""
    if os.name == "nt":
        scripts = VENV / "Scripts"
        exe = scripts / f"{name}.exe"
        return exe if exe.exists() or name == "python" else scripts / name
    return VENV / "bin" / name


def venv_python() -> Path:
    return venv_bin("python")


def run(cmd: list[str | os.PathLike[str]], **kwargs) -> int:
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, **kwargs)


def check(cmd: list[str | os.PathLike[str]], what: str, **kwargs) -> None:
    rc = run(cmd, **kwargs)
    if rc != 0:
        die(f"{what} failed (exit code {rc})", rc)


def is_root_on_debian() -> bool:
    return (
        hasattr(os, "geteuid")
        and os.geteuid() == 0
        and Path("/etc/debian_version").exists()
        and shutil.which("apt-get") is not None
    )


def apt_install(*packages: str) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log(f"apt-get update && apt-get install -y {' '.join(packages)}")
    if run(["apt-get", "update"], env=env) != 0:
        return False
    return run(["apt-get", "install", "-y", *packages], env=env) == 0


# --------------------------------------------------------------------------- virtual environment


def venv_works() -> bool:
    py = venv_python()
    if not py.exists():
        return False
    probe = subprocess.run([str(py), "-m", "pip", "--version"], capture_output=True)
    return probe.returncode == 0


def create_venv() -> None:
    log(f"creating virtual environment in {VENV.name}/ ...")
    try:
        venv.create(VENV, with_pip=True, clear=True)
        return
    except (subprocess.CalledProcessError, OSError) as exc:
        error = exc
    # Debian's python3 ships without ensurepip unless python3-venv is installed.
    ver = f"{sys.version_info.major}.{sys.version_info.minor}"
    if is_root_on_debian() and apt_install(f"python{ver}-venv"):
        venv.create(VENV, with_pip=True, clear=True)
        return
    die(
        f"could not create {VENV.name}/ ({error}). On Debian/Ubuntu install the venv module first: "
        f"apt-get install python{ver}-venv"
    )


def ensure_venv() -> None:
    if sys.version_info < MIN_PYTHON:
        die(f"Python >= {MIN_PYTHON[0]}.{MIN_PYTHON[1]} is needed, this is {sys.version.split()[0]}")
    if not venv_works():
        if VENV.exists():
            log(f"{VENV.name}/ is incomplete or broken: recreating it")
        create_venv()


def requirement_files(req: Path, seen: set[Path] | None = None) -> list[Path]:
    """req and every file it includes with -r / --requirement / -c / --constraint, recursively."""
    seen = set() if seen is None else seen
    req = req.resolve()
    if req in seen:
        return []
    seen.add(req)
    files = [req]
    for raw in req.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        for flag in ("-r", "--requirement", "-c", "--constraint"):
            if line.startswith(flag + " ") or line.startswith(flag + "="):
                target = line[len(flag) :].lstrip(" =").strip()
                files += requirement_files(req.parent / target, seen)
    return files


def requirements_hash(req: Path) -> str:
    digest = hashlib.sha256()
    for f in requirement_files(req):
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()


def ensure_requirements(name: str) -> None:
    """pip install -r name into .venv, skipped when the stamp holds the same hash."""
    ensure_venv()
    req = ROOT / name
    if not req.exists():
        die(f"{name} not found")
    stamp = VENV / f".installed-{name}.sha256"
    wanted = requirements_hash(req)
    if stamp.exists() and stamp.read_text().strip() == wanted:
        return
    log(f"installing {name} into {VENV.name}/ (first time takes a while) ...")
    check(
        [venv_python(), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", req],
        f"pip install -r {name}",
    )
    stamp.write_text(wanted + "\n")
    # Files pulled in with -r were installed too (requirements-dev.txt includes requirements.txt).
    for included in requirement_files(req)[1:]:
        if included.parent == ROOT:
            (VENV / f".installed-{included.name}.sha256").write_text(requirements_hash(included) + "\n")


# --------------------------------------------------------------------------- chromium


def find_chromium() -> str | None:
    if DEBIAN_CHROMIUM.exists():
        return str(DEBIAN_CHROMIUM)
    return shutil.which("chromium")


EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")


def ensure_chromium() -> None:
    """Debian's chromium for the browser tests, and a colour emoji font so the page icons show in them."""
    found = find_chromium()
    if found and (EMOJI_FONT.exists() or not is_root_on_debian()):
        return
    if is_root_on_debian():
        wanted = (("chromium", found), ("fonts-noto-color-emoji", EMOJI_FONT.exists()))
        missing = [pkg for pkg, ok in wanted if not ok]
        log(f"installing {' and '.join(missing)} for the browser tests")
        if apt_install(*missing) and find_chromium():
            return
        log("NOTE: installing chromium failed")
    else:
        log("NOTE: chromium not found and cannot be installed automatically here")
    log(
        "NOTE: browser tests (marker 'browser') need /usr/bin/chromium (Debian: apt-get install chromium);"
        " without it they are skipped locally and FAIL when CI=true"
    )


# --------------------------------------------------------------------------- commands


def lint() -> int:
    rc = run([venv_bin("ruff"), "check", "."])
    if rc != 0:
        log("ruff check failed")
        return rc
    dockerfile = ROOT / "Dockerfile"
    if dockerfile.exists():
        rc = run([venv_bin("hadolint"), dockerfile])
        if rc != 0:
            log("hadolint failed")
    return rc


def option_value(args: list[str], key: str) -> str | None:
    """Value of `--key value` or `--key=value` in args (last one wins), else None."""
    value = None
    for i, arg in enumerate(args):
        if arg.startswith(key + "="):
            value = arg.split("=", 1)[1]
        elif arg == key and i + 1 < len(args):
            value = args[i + 1]
    return value


def cmd_run(args: list[str]) -> int:
    ensure_requirements("requirements.txt")
    host = option_value(args, "--server.address")
    port = option_value(args, "--server.port")
    extra: list[str] = []
    if host is None:
        host = HOST
        extra += ["--server.address", HOST]
    if port is None:
        port = PORT
        extra += ["--server.port", PORT]
    if option_value(args, "--client.showErrorDetails") is None:
        # Served to users: a failing page says so in plain words; the traceback goes to this terminal only.
        extra += ["--client.showErrorDetails", "none"]
    cmd = [str(venv_python()), "-m", "streamlit", "run", "app.py", *extra, *args]
    # Streamlit runs every script run in a new thread; glibc's per-thread malloc arenas then let the
    # server's memory grow by half again under a class (docs/load.md). Two arenas, as in the Docker image.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    log(f"starting rnnviz at http://{host}:{port}  (Ctrl+C to stop)")
    os.chdir(ROOT)
    for name, value in SINGLE_THREADED_BLAS.items():
        os.environ.setdefault(name, value)
    if os.name == "nt":
        try:
            return subprocess.call(cmd)
        except KeyboardInterrupt:
            return 0
    os.execv(cmd[0], cmd)
    return 0  # not reached


def cmd_test(args: list[str]) -> int:
    ensure_requirements("requirements-dev.txt")
    ensure_chromium()
    log("ruff check .")
    rc = lint()
    if rc != 0:
        return rc
    log("pytest " + " ".join(args))
    rc = run([venv_python(), "-m", "pytest", *args], env={**SINGLE_THREADED_BLAS, **os.environ})
    if rc != 0:
        log(f"pytest failed (exit code {rc})")
    return rc


def cmd_lint(args: list[str]) -> int:
    ensure_requirements("requirements-dev.txt")
    return lint()


def cmd_bench(args: list[str]) -> int:
    script = ROOT / "benchmarks" / "run.py"
    if not script.exists():
        log("no benchmarks/run.py in this checkout: nothing to run")
        return 1
    ensure_requirements("requirements-dev.txt")
    return run([venv_python(), script, *args])


COMMANDS = {"run": cmd_run, "test": cmd_test, "lint": cmd_lint, "bench": cmd_bench}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 0 if argv and argv[0] in ("-h", "--help", "help") else 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
