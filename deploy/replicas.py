#!/usr/bin/env python3
"""N rnnviz processes behind HAProxy on one machine, with cookie affinity (loopback only).

    python3 deploy/replicas.py --replicas 2 --port 8500     # then open http://127.0.0.1:8500

Each replica is `streamlit run app.py` on its own loopback port (one Python process uses one core, so
on a 2-core machine two replicas can use both). HAProxy (Debian's package; installed with apt-get when
missing and run as root on Debian) sends each new browser to the replica with the fewest connections
and sets a cookie (rnnviz-replica) that keeps it there: the websocket and an uploaded weights file
live in that one process. If a replica dies, its students' next page load or reconnect goes to a
healthy one (HAProxy checks /_stcore/health every second and redispatches); the app keeps each
student's settings in the address, so they come back to the same view. Ctrl+C stops everything.

Bind it to another address than 127.0.0.1 with --bind to serve a classroom network.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COOKIE = "rnnviz-replica"
START_TIMEOUT_S = 90.0

HAPROXY_CFG = """\
global
    maxconn 4000

defaults
    mode http
    option redispatch
    retries 2
    timeout connect 5s
    timeout http-request 10s
    # a websocket stays open for a whole lesson
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h

frontend classroom
    bind {bind}:{port}
    default_backend rnnviz

backend rnnviz
    balance leastconn
    cookie {cookie} insert indirect nocache httponly
    option httpchk GET /_stcore/health
    http-check expect string ok
    default-server inter 1s fall 2 rise 2
{servers}
"""


def log(msg: str) -> None:
    print(f"[replicas] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def haproxy_binary() -> str:
    """HAProxy on PATH, or Debian's package installed now (root on Debian only)."""
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if found:
        return found
    if os.geteuid() == 0 and Path("/etc/debian_version").exists():
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        log("apt-get install -y haproxy")
        subprocess.run(["apt-get", "update"], env=env, check=True, capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "haproxy"], env=env,
                       check=True, capture_output=True, timeout=600)
        return "/usr/sbin/haproxy"
    raise RuntimeError("HAProxy is not installed (Debian: apt-get install haproxy)")


def app_env() -> dict[str, str]:
    """The app's environment as the Docker image sets it: two malloc arenas (Streamlit runs every script
    run in a new thread; per-thread arenas let RSS grow by half again under a class, see docs/load.md)."""
    return {**os.environ, "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


class Replicas:
    """`with Replicas(2, work) as rs:` N app processes and HAProxy in front; everything stops on exit."""

    def __init__(self, n: int, work: Path, port: int | None = None, bind: str = "127.0.0.1",
                 python: str = sys.executable) -> None:
        if n < 1:
            raise ValueError(f"replicas must be >= 1, got {n}")
        self.n, self.work, self.bind, self.python = n, Path(work), bind, python
        self.port = port or free_port()
        self.app_ports = [free_port() for _ in range(n)]
        self.apps: list[subprocess.Popen] = []
        self.haproxy: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{'127.0.0.1' if self.bind == '0.0.0.0' else self.bind}:{self.port}"

    def server_name(self, i: int) -> str:
        return f"r{i + 1}"

    def app_pids(self) -> list[int]:
        return [p.pid for p in self.apps]

    def __enter__(self) -> Replicas:
        self.work.mkdir(parents=True, exist_ok=True)
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        haproxy = haproxy_binary()
        for i, port in enumerate(self.app_ports):
            cmd = [self.python, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
                   "--server.port", str(port), "--server.headless", "true",
                   "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
            with (self.work / f"{self.server_name(i)}.log").open("wb") as out:
                self.apps.append(subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                                  stderr=subprocess.STDOUT, env=app_env()))
        deadline = time.monotonic() + START_TIMEOUT_S
        for i, port in enumerate(self.app_ports):
            while not healthy(f"http://127.0.0.1:{port}"):
                if self.apps[i].poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"replica {self.server_name(i)} did not start: see "
                                       f"{self.work / (self.server_name(i) + '.log')}")
                time.sleep(0.3)
        names = [self.server_name(i) for i in range(self.n)]
        servers = "\n".join(f"    server {name} 127.0.0.1:{p} check cookie {name}"
                            for name, p in zip(names, self.app_ports, strict=True))
        cfg = self.work / "haproxy.cfg"
        cfg.write_text(HAPROXY_CFG.format(bind=self.bind, port=self.port, cookie=COOKIE, servers=servers),
                       encoding="utf-8")
        check = subprocess.run([haproxy, "-c", "-q", "-f", str(cfg)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy.cfg is invalid:\n{check.stdout}{check.stderr}")
        with (self.work / "haproxy.log").open("wb") as out:
            self.haproxy = subprocess.Popen([haproxy, "-db", "-f", str(cfg)], stdin=subprocess.DEVNULL,
                                            stdout=out, stderr=subprocess.STDOUT)
        while not healthy(self.url):
            if self.haproxy.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"haproxy did not start: see {self.work / 'haproxy.log'}")
            time.sleep(0.2)
        log(f"{self.n} replica(s) on ports {self.app_ports} behind {self.url}")

    def kill(self, i: int) -> None:
        """Replica i dies at once (SIGKILL), as a crashed process or a lost node would."""
        stop(self.apps[i], signal.SIGKILL)

    def close(self) -> None:
        if self.haproxy is not None:
            stop(self.haproxy)
        for proc in self.apps:
            stop(proc)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--replicas", type=int, default=2)
    p.add_argument("--port", type=int, default=8500)
    p.add_argument("--bind", default="127.0.0.1", help="address HAProxy listens on (127.0.0.1: this machine)")
    args = p.parse_args(argv)
    stopping = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stopping.update(now=True))
    with tempfile.TemporaryDirectory(prefix="rnnviz-replicas-") as work, \
            Replicas(args.replicas, Path(work), args.port, args.bind) as rs:
        print(f"rnnviz: {args.replicas} replica(s) at {rs.url}  (Ctrl+C to stop)", flush=True)
        try:
            while not stopping["now"]:
                time.sleep(1)
                if rs.haproxy is not None and rs.haproxy.poll() is not None:
                    log("haproxy exited")
                    return 1
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
