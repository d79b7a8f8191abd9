#!/usr/bin/env python3
"""A private Docker engine for building and running the real rnnviz image on a machine without one.

Needs root on Debian (Debian's `docker.io` and `debootstrap` are installed with apt-get when missing) and
only Python's standard library, so tests and tasks.py can import it.

    python3 deploy/docker_engine.py start     # dockerd in the state folder (its own socket), left running
    python3 deploy/docker_engine.py base      # the stand-in base image (see below), if missing
    python3 deploy/docker_engine.py build     # docker build -t rnnviz:local .
    python3 deploy/docker_engine.py stop      # stop the dockerd started by `start` (by its PID)

The engine keeps everything (images, containers, its socket) in one state folder outside the repository,
RNNVIZ_DOCKER_DIR or /var/tmp/rnnviz-docker, so a second run reuses the base image and the build cache.
It runs without touching the host's firewall (--iptables=false, no masquerading, no forwarding): a
container's published port works on loopback, and nothing routes from a container to the outside.

No image registry is reachable from these machines, so the Dockerfile's base image cannot be pulled. The
stand-in is Debian bookworm (the base's own distribution) with python3, venv, pip and CA certificates,
made by debootstrap from the host's own Debian mirror and imported under the base image's name. Its
Python is Debian's 3.11 (the tag says 3.11.14): the same minor version, which is what requirements.txt
needs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("RNNVIZ_DOCKER_DIR", "/var/tmp/rnnviz-docker"))
DOCKER = "/usr/bin/docker"  # Debian's client, matching its daemon (a newer client may be first on PATH)
DOCKERD = "/usr/sbin/dockerd"
DEBOOTSTRAP = "/usr/sbin/debootstrap"
PACKAGES = ("docker.io", "debootstrap")
START_TIMEOUT_S = 60.0
BASE_INCLUDES = "python3,python3-venv,python3-pip,ca-certificates"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BASE_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class EngineUnavailable(RuntimeError):
    """A Docker engine cannot be started here (not root, not Debian, packages missing, dockerd failed)."""


def log(msg: str) -> None:
    print(f"[docker-engine] {msg}", file=sys.stderr, flush=True)


def is_root_on_debian() -> bool:
    return (hasattr(os, "geteuid") and os.geteuid() == 0 and Path("/etc/debian_version").exists()
            and shutil.which("apt-get") is not None)


def install_packages() -> None:
    """docker.io and debootstrap from Debian's archive, when missing (root on Debian only)."""
    if Path(DOCKERD).exists() and Path(DOCKER).exists() and Path(DEBOOTSTRAP).exists():
        return
    if not is_root_on_debian():
        raise EngineUnavailable("dockerd/debootstrap missing and this is not root on Debian "
                                f"(apt-get install -y {' '.join(PACKAGES)})")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log(f"apt-get install -y {' '.join(PACKAGES)}")
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise EngineUnavailable(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")


# --------------------------------------------------------------------------- the engine


@dataclass
class Engine:
    """A running dockerd reached through its own unix socket."""

    state_dir: Path
    pid: int | None  # set when this process started it (then `stop` ends it)

    @property
    def host(self) -> str:
        return f"unix://{self.state_dir / 'docker.sock'}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        return {**env, "DOCKER_HOST": self.host, "DOCKER_BUILDKIT": "0"}

    def docker(self, *args: str, timeout: float = 600, check: bool = True,
               stdin: bytes | None = None) -> subprocess.CompletedProcess:
        proc = subprocess.run([DOCKER, *args], env=self.env(), input=stdin, capture_output=True,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)} failed ({proc.returncode}):\n"
                               f"{proc.stdout.decode(errors='replace')[-3000:]}"
                               f"{proc.stderr.decode(errors='replace')[-3000:]}")
        return proc

    def text(self, *args: str, timeout: float = 600) -> str:
        return self.docker(*args, timeout=timeout).stdout.decode().strip()

    def alive(self) -> bool:
        try:
            return self.docker("version", "--format", "{{.Server.Version}}", timeout=20,
                               check=False).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def stop(self) -> None:
        """Stop dockerd if this process started it (SIGTERM to its PID, then SIGKILL after 30 s)."""
        if self.pid is None:
            return
        stop_pid(self.pid)
        self.pid = None


def stop_pid(pid: int, grace_s: float = 30.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)


def pid_file_pid(state_dir: Path) -> int | None:
    try:
        pid = int((state_dir / "dockerd.pid").read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def start_engine(state_dir: Path = STATE_DIR) -> Engine:
    """The engine of `state_dir`: reused when it already answers, else dockerd is started (overlay2, no
    firewall changes, data and exec roots inside `state_dir`). Raises EngineUnavailable."""
    install_packages()
    state_dir.mkdir(parents=True, exist_ok=True)
    reused = Engine(state_dir, None)
    if reused.alive():
        return reused
    stale = pid_file_pid(state_dir)
    if stale is not None:  # a dockerd of this folder that stopped answering
        stop_pid(stale)
    (state_dir / "docker.sock").unlink(missing_ok=True)
    cmd = [DOCKERD, "--data-root", str(state_dir / "data"), "--exec-root", str(state_dir / "exec"),
           "--pidfile", str(state_dir / "dockerd.pid"), "--host", reused.host,
           "--storage-driver=overlay2", "--iptables=false", "--ip-masq=false", "--ip-forward=false"]
    log_path = state_dir / "dockerd.log"
    with log_path.open("ab") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    engine = Engine(state_dir, proc.pid)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not engine.alive():
        if proc.poll() is not None or time.monotonic() > deadline:
            engine.stop()
            tail = log_path.read_text(errors="replace")[-3000:]
            raise EngineUnavailable(f"dockerd did not start (exit {proc.poll()}):\n{tail}")
        time.sleep(0.5)
    log(f"dockerd {proc.pid} answers on {engine.host}")
    return engine


# --------------------------------------------------------------------------- the stand-in base image


def dockerfile_base(dockerfile: Path = ROOT / "Dockerfile") -> str:
    match = re.search(r"^FROM\s+(\S+)", dockerfile.read_text(encoding="utf-8"), flags=re.MULTILINE)
    if not match:
        raise ValueError(f"no FROM line in {dockerfile}")
    return match.group(1)


def debian_mirror(suite: str) -> str:
    """The host's own Debian mirror for `suite` (from its apt sources)."""
    candidates: list[tuple[str, str]] = []
    sources = Path("/etc/apt/sources.list.d")
    for f in sorted(sources.glob("*.sources")) if sources.exists() else []:
        for stanza in f.read_text(errors="replace").split("\n\n"):
            fields = dict(re.findall(r"^(\w[\w-]*):\s*(.+)$", stanza, flags=re.MULTILINE))
            for uri in fields.get("URIs", "").split():
                candidates += [(uri, s) for s in fields.get("Suites", "").split()]
    for f in [Path("/etc/apt/sources.list"), *sorted(sources.glob("*.list"))]:
        if f.exists():
            for line in f.read_text(errors="replace").splitlines():
                parts = re.sub(r"\[[^]]*\]", "", line).split()
                if len(parts) >= 3 and parts[0] == "deb":
                    candidates.append((parts[1], parts[2]))
    for uri, s in candidates:
        if s == suite and not uri.rstrip("/").endswith("-security"):
            return uri
    raise EngineUnavailable(f"no Debian mirror for {suite} in the host's apt sources")


def base_tarball(state_dir: Path, suite: str) -> Path:
    """A root filesystem tarball of Debian `suite` with Python, cached in `state_dir` (debootstrap)."""
    tarball = state_dir / f"base-{suite}.tar"
    if tarball.exists():
        return tarball
    rootfs = state_dir / f"rootfs-{suite}"
    shutil.rmtree(rootfs, ignore_errors=True)
    mirror = debian_mirror(suite)
    log(f"debootstrap {suite} (about a minute)")
    proc = subprocess.run([DEBOOTSTRAP, "--variant=minbase", f"--include={BASE_INCLUDES}", suite, str(rootfs),
                           mirror], capture_output=True, text=True, timeout=1200)
    if proc.returncode != 0:
        raise EngineUnavailable(f"debootstrap failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    for name in ("python", "pip"):  # where the official python image has them
        link = rootfs / "usr/local/bin" / name
        link.unlink(missing_ok=True)
        link.symlink_to(f"/usr/bin/{name}3")
    for marker in rootfs.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):
        marker.unlink()  # the official image's pip installs system-wide too
    if HOST_CA_BUNDLE.exists():  # pip inside the build trusts what the host trusts
        shutil.copyfile(HOST_CA_BUNDLE, rootfs / "etc/ssl/certs/ca-certificates.crt")
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for f in (rootfs / junk).glob("*"):
            if f.is_file():
                f.unlink()
    partial = tarball.with_suffix(".partial")
    subprocess.run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], check=True, timeout=600)
    partial.rename(tarball)
    shutil.rmtree(rootfs, ignore_errors=True)
    return tarball


def ensure_base_image(engine: Engine, image: str | None = None) -> str:
    """The Dockerfile's base image in `engine`: present already, or the debootstrapped stand-in."""
    image = image or dockerfile_base()
    if engine.docker("image", "inspect", image, check=False, timeout=60).returncode == 0:
        return image
    match = re.search(r"-(bookworm|trixie|bullseye)\b", image)
    suite = match.group(1) if match else "bookworm"
    tarball = base_tarball(engine.state_dir, suite)
    engine.docker("import", "--change", f"ENV {BASE_PATH_ENV}", "--change", 'CMD ["python3"]',
                  "--change", "LABEL org.rnnviz.stand-in=debootstrap", str(tarball), image, timeout=600)
    log(f"imported the stand-in {image} from {tarball.name}")
    return image


def build_image(engine: Engine, tag: str = "rnnviz:local", context: Path = ROOT) -> float:
    """docker build (legacy builder, host network for pip); returns the seconds it took."""
    ensure_base_image(engine)
    start = time.monotonic()
    engine.docker("build", "--network", "host", "-t", tag, str(context), timeout=1800)
    return time.monotonic() - start


def container_pid(engine: Engine, name: str) -> int:
    return int(engine.text("inspect", "--format", "{{.State.Pid}}", name))


def health_status(engine: Engine, name: str) -> str:
    state = json.loads(engine.text("inspect", "--format", "{{json .State}}", name))
    return (state.get("Health") or {}).get("Status", "none")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("start", "stop", "base", "build"):
        print(__doc__)
        return 2
    try:
        if argv[0] == "stop":
            pid = pid_file_pid(STATE_DIR)
            if pid is not None:
                stop_pid(pid)
                log(f"stopped dockerd {pid}")
            return 0
        engine = start_engine()
        if argv[0] == "base":
            print(ensure_base_image(engine))
        elif argv[0] == "build":
            print(f"built rnnviz:local in {build_image(engine):.0f} s")
        print(f"export DOCKER_HOST={engine.host}")
    except EngineUnavailable as exc:
        log(str(exc))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
