#!/usr/bin/env python3
"""One command for the classroom load tests: start the app, run rooms of students, write the reports.

    python benchmarks/load/run.py sweep      # N = 1, 10, 30, 50 students, then where p95 passes 2 s
    python benchmarks/load/run.py soak       # 30 students for 20 minutes: RSS and p95 over time (PNG)
    python benchmarks/load/run.py replicas   # 1 vs 2 replicas behind HAProxy, and a replica killed

Options: --seconds (per room), --room mixed|forward|lab, --users, --minutes. Everything runs on
127.0.0.1, each Locust run is bounded in users, time and requests, and every process started here is
stopped by its PID at the end. Results: docs/load.md (tables), docs/load_results.csv (per room size and
action), docs/load_locust_stats.csv (Locust's own CSV, all runs), docs/load_soak.csv/.png, and the
README's "Serving a whole class" table.

The server is `streamlit run app.py` with the repository's .streamlit/config.toml (post-run GC off),
Streamlit's default error details (so an exception reaches the harness as an exception element) and the
Docker image's MALLOC_ARENA_MAX=2 (set MALLOC_ARENA_MAX yourself to compare). Its
CPU (utime + stime, % of one core) and RSS are read from /proc once a second, and so are Locust's.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
LOCUSTFILE = HERE / "locustfile.py"
SATURATION_MS = 2000.0
SESSION_START = {"open page", "type sentence", "reconnect"}  # once per session, not a move
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE_KB = os.sysconf("SC_PAGE_SIZE") / 1024


def log(msg: str) -> None:
    print(f"[load] {msg}", flush=True)


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


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def start_app(port: int, log_path: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false"]
    env = {**os.environ, "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}  # as the image
    with log_path.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                env=env)
    deadline = time.monotonic() + 90
    while not healthy(f"http://127.0.0.1:{port}"):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"the app did not start:\n{log_path.read_text(errors='replace')[-2000:]}")
        time.sleep(0.3)
    return proc


# --------------------------------------------------------------------------- /proc sampling


def proc_times(pid: int) -> tuple[float, float] | None:
    """(cpu seconds, rss MB) of a process from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        statm = Path(f"/proc/{pid}/statm").read_text().split()
    except (OSError, IndexError):
        return None
    cpu = (int(stat[11]) + int(stat[12])) / CLK_TCK  # utime + stime
    return cpu, int(statm[1]) * PAGE_SIZE_KB / 1024


@dataclass
class Sampler:
    """Samples CPU % (of one core) and RSS of named processes once a second in a thread."""

    pids: dict[str, list[int]]  # role -> pids
    rows: list[dict] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Sampler:
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def _loop(self) -> None:
        last: dict[int, tuple[float, float]] = {}
        while not self._stop.is_set():
            now = time.time()
            for role, pids in self.pids.items():
                cpu_pct, rss = 0.0, 0.0
                for pid in pids:
                    got = proc_times(pid)
                    if got is None:
                        continue
                    cpu, mb = got
                    if pid in last:
                        t0, c0 = last[pid]
                        cpu_pct += 100 * (cpu - c0) / max(now - t0, 1e-6)
                    last[pid] = (now, cpu)
                    rss += mb
                self.rows.append({"t": now, "role": role, "cpu_pct": cpu_pct, "rss_mb": rss,
                                  "load1": os.getloadavg()[0]})
            self._stop.wait(1.0)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)

    def summary(self, role: str, since: float = 0.0) -> dict[str, float]:
        rows = [r for r in self.rows if r["role"] == role and r["t"] >= since]
        if not rows:
            return {"cpu_pct": float("nan"), "rss_max": float("nan"), "rss_first": float("nan")}
        return {"cpu_pct": statistics.fmean(r["cpu_pct"] for r in rows[1:] or rows),
                "rss_max": max(r["rss_mb"] for r in rows), "rss_first": rows[0]["rss_mb"],
                "load1": statistics.fmean(r["load1"] for r in rows)}


# --------------------------------------------------------------------------- a Locust run


@dataclass
class Run:
    users: int
    room: str
    events: list[dict]
    t_start: float  # when the measured window starts (all students in)
    t_end: float
    server: dict[str, float]
    locust: dict[str, float]
    stats_rows: list[dict]
    samples: list[dict]  # the Sampler's rows (server and Locust, once a second)

    def moves(self) -> list[dict]:
        return [e for e in self.events if e["action"] not in SESSION_START and e["t"] >= self.t_start]

    def failures(self) -> list[dict]:
        return [e for e in self.events if not e["ok"]]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def read_events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as f:
        return [{"t": float(r["t"]), "student": int(r["student"]), "action": r["action"],
                 "ms": float(r["ms"]), "bytes": int(r["bytes"]), "ok": r["ok"] == "1", "error": r["error"],
                 "replica": r.get("replica", "")}
                for r in csv.DictReader(f)]


def locust(host: str, users: int, seconds: int, room: str, work: Path, name: str,
           server_pids: list[int], extra: list[str] | None = None,
           during: callable | None = None) -> Run:
    """One headless Locust run: `users` students arrive at 5 per second, then `seconds` measured."""
    rate = min(users, 5)
    ramp = users / rate + 5  # arrivals, then each student's first two runs
    events_path = work / f"{name}_events.csv"
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
           "-u", str(users), "-r", str(rate), "-t", f"{int(ramp + seconds)}s", "--stop-timeout", "30",
           "--host", host, "--room", room, "--events-file", str(events_path),
           "--max-requests", str(max(2000, users * (int(ramp) + seconds) * 3)),
           "--csv", str(work / name), "--loglevel", "WARNING", *(extra or [])]
    log(f"{name}: {users} students, room {room}, {seconds} s (+{ramp:.0f} s arriving)")
    with (work / f"{name}_locust.log").open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    sampler = Sampler({"server": server_pids, "locust": [proc.pid]}).start()
    t0 = time.time()
    try:
        if during is not None:
            during(t0)
        proc.wait(timeout=ramp + seconds + 120)
    finally:
        stop(proc)
        sampler.stop()
    t_start = t0 + ramp
    with (work / f"{name}_stats.csv").open(encoding="utf-8") as f:
        stats_rows = list(csv.DictReader(f))
    return Run(users, room, read_events(events_path), t_start, time.time(),
               sampler.summary("server", t_start), sampler.summary("locust", t_start), stats_rows,
               sampler.rows)


# --------------------------------------------------------------------------- reports


def action_table(run: Run) -> list[dict]:
    by: dict[str, list[dict]] = defaultdict(list)
    for e in run.events:
        if e["t"] >= run.t_start or e["action"] in SESSION_START:
            by[e["action"]].append(e)
    moves = run.moves()
    rows = []
    for action, evs in [*sorted(by.items()), ("all moves", moves)]:
        ms = [e["ms"] for e in evs]
        rows.append({"students": run.users, "room": run.room, "action": action, "count": len(evs),
                     "failures": sum(not e["ok"] for e in evs),
                     "p50_ms": pct(ms, 50), "p95_ms": pct(ms, 95), "p99_ms": pct(ms, 99),
                     "kb_mean": statistics.fmean(e["bytes"] for e in evs) / 1024 if evs else float("nan")})
    return rows


def fmt_ms(v: float) -> str:
    return "–" if v != v else f"{v:,.0f}"


def replace_block(text: str, name: str, body: str) -> str:
    """Replace the text between <!-- load:NAME --> and <!-- /load:NAME --> (append the block if absent)."""
    start, end = f"<!-- load:{name} -->", f"<!-- /load:{name} -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        return re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _m: block, text, flags=re.DOTALL)
    return text.rstrip() + "\n\n" + block + "\n"


LOAD_MD_HEAD = """# rnnviz under classroom load

Measured with `python benchmarks/load/run.py` (Locust, protocol level: every simulated student has their
own Streamlit session over the websocket, types their own sentence, then moves a slider or switches a page
about once a second). Server and load generator share one 2-core machine; "server CPU" is % of one core
(one Python process cannot use more, the GIL), sampled from /proc. p50/p95/p99 are over the moves after
all students arrived (opening the page and typing the sentence are listed separately). Each section
gives the machine's load average: on a shared machine the server gets less than a core and saturates
early (its CPU column then stays well under 100 %).
"""


def update_doc(name: str, body: str) -> None:
    path = DOCS / "load.md"
    text = path.read_text(encoding="utf-8") if path.exists() else LOAD_MD_HEAD
    path.write_text(replace_block(text, name, body), encoding="utf-8")


def write_csv(path: Path, rows: list[dict]) -> None:
    if not rows:
        return
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.1f}" if isinstance(v, float) else v) for k, v in r.items()})


def machine_note() -> str:
    return (f"{os.cpu_count()} cores, load average before the run "
            f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")


# --------------------------------------------------------------------------- modes


def room_row(run: Run) -> dict:
    moves = [e["ms"] for e in run.moves()]
    seconds = max(run.t_end - run.t_start, 1e-9)
    cpu_ms = 10 * run.server["cpu_pct"] * seconds / max(len(moves), 1)  # % of a core → ms per move
    return {"students": run.users, "moves": len(moves), "moves_per_s": len(moves) / seconds,
            "cpu_ms_per_move": cpu_ms,
            "p50": pct(moves, 50), "p95": pct(moves, 95), "p99": pct(moves, 99),
            "failures": len(run.failures()), "server_cpu": run.server["cpu_pct"],
            "server_rss": run.server["rss_max"], "locust_cpu": run.locust["cpu_pct"],
            "load1": run.server.get("load1", float("nan"))}


def sweep(args: argparse.Namespace, work: Path) -> None:
    before = machine_note()
    port = free_port()
    app = start_app(port, work / "server.log")
    host = f"http://127.0.0.1:{port}"
    runs: list[Run] = []
    try:
        sizes = list(args.students)
        for n in sizes:
            runs.append(locust(host, n, args.seconds, args.room, work, f"n{n}", [app.pid]))
            log(f"  p95 {room_row(runs[-1])['p95']:.0f} ms, failures {len(runs[-1].failures())}")
        # saturation: the smallest room whose p95 passes 2 s (grow, then halve the gap to 5 students)
        ok = [r.users for r in runs if room_row(r)["p95"] <= SATURATION_MS]
        bad = [r.users for r in runs if room_row(r)["p95"] > SATURATION_MS]
        lo, hi = max(ok, default=0), min(bad, default=None)
        while (hi is None and lo < args.max_students) or (hi is not None and hi - lo > 5):
            n = min(lo * 2, args.max_students) if hi is None else (lo + hi) // 2
            runs.append(locust(host, n, args.probe_seconds, args.room, work, f"n{n}", [app.pid]))
            p95 = room_row(runs[-1])["p95"]
            log(f"  p95 {p95:.0f} ms")
            if p95 <= SATURATION_MS:
                lo = n
            else:
                hi = n
    finally:
        stop(app)
    runs.sort(key=lambda r: r.users)
    rows = [room_row(r) for r in runs]
    saturation = next((r["students"] for r in rows if r["p95"] > SATURATION_MS), None)
    per_action = [row for r in runs for row in action_table(r)]
    write_csv(DOCS / "load_results.csv", per_action)
    write_csv(DOCS / "load_locust_stats.csv",
              [{"students": r.users, **s} for r in runs for s in r.stats_rows])
    sat = (f"p95 passes 2 s at **{saturation} students**" if saturation else
           f"p95 stayed under 2 s up to {max(r['students'] for r in rows)} students (the largest tried)")
    table = ["| students | moves/s | p50 / p95 / p99 (ms) | failures | server CPU (% of a core) | "
             "server RSS (MB) | Locust CPU |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        table.append(f"| {r['students']} | {r['moves_per_s']:.1f} | {fmt_ms(r['p50'])} / "
                     f"{fmt_ms(r['p95'])} / {fmt_ms(r['p99'])} | {r['failures']} | {r['server_cpu']:.0f} % | "
                     f"{r['server_rss']:.0f} | {r['locust_cpu']:.0f} % |")
    actions = ["| students | action | count | p50 / p95 / p99 (ms) | KB per reply | failures |",
               "|---|---|---|---|---|---|"]
    for a in per_action:
        if a["students"] in args.students:
            actions.append(f"| {a['students']} | {a['action']} | {a['count']} | {fmt_ms(a['p50_ms'])} / "
                           f"{fmt_ms(a['p95_ms'])} / {fmt_ms(a['p99_ms'])} | {a['kb_mean']:.0f} | "
                           f"{a['failures']} |")
    failures = [e for r in runs for e in r.failures()]
    fail_text = "none" if not failures else "; ".join(sorted({e["error"][:120] for e in failures})[:5])
    body = "\n".join([
        f"## Room sizes (room `{args.room}`, {args.seconds} s each)", "",
        f"Machine: {before}. Saturation: {sat}.", "", *table, "",
        f"Failures: {fail_text}.", "", "### Per action", "", *actions])
    update_doc(f"sweep-{args.room}", body)
    if args.room == "mixed":
        update_readme(rows, saturation)
    log(f"wrote docs/load.md, docs/load_results.csv; saturation {saturation}")


def update_readme(rows: list[dict], saturation: int | None) -> None:
    if not README.exists():
        return
    table = ["| students | p50 / p95 (ms) | failures | server CPU | server RSS |", "|---|---|---|---|---|"]
    for r in rows:
        table.append(f"| {r['students']} | {fmt_ms(r['p50'])} / {fmt_ms(r['p95'])} | {r['failures']} | "
                     f"{r['server_cpu']:.0f} % of a core | {r['server_rss']:.0f} MB |")
    sat = (f"p95 passes 2 s at {saturation} students" if saturation
           else "p95 stayed under 2 s in every room tried")
    loads = [r["load1"] for r in rows if r["load1"] == r["load1"]]
    busy = (f" Measured while the machine's load average was {min(loads):.0f}–{max(loads):.0f} on its 2 "
            f"cores (other work running): the server got at most {max(r['server_cpu'] for r in rows):.0f} % "
            "of a core, so on a quiet machine these are upper bounds for the times."
            if loads and max(loads) > 2.5 else "")
    body = "\n".join([*table, "", f"One replica (one process, one core): {sat}.{busy} "
                      "Details, per-action numbers and the soak: [docs/load.md](docs/load.md)."])
    text = README.read_text(encoding="utf-8")
    if "<!-- load:readme -->" in text:
        README.write_text(replace_block(text, "readme", body), encoding="utf-8")


def soak(args: argparse.Namespace, work: Path) -> None:
    before = machine_note()
    port = free_port()
    app = start_app(port, work / "server.log")
    host = f"http://127.0.0.1:{port}"
    try:
        run = locust(host, args.users, int(args.minutes * 60), args.room, work, "soak", [app.pid])
    finally:
        stop(app)
    samples = [r for r in run.samples if r["role"] == "server"]
    minutes = []
    t0 = run.t_start
    for m in range(int(args.minutes)):
        lo, hi = t0 + 60 * m, t0 + 60 * (m + 1)
        ms = [e["ms"] for e in run.moves() if lo <= e["t"] < hi]
        rss = [s["rss_mb"] for s in samples if lo <= s["t"] < hi]
        cpu = [s["cpu_pct"] for s in samples if lo <= s["t"] < hi]
        minutes.append({"minute": m + 1, "moves": len(ms), "p50_ms": pct(ms, 50), "p95_ms": pct(ms, 95),
                        "rss_mb": max(rss) if rss else float("nan"),
                        "cpu_pct": statistics.fmean(cpu) if cpu else float("nan"),
                        "failures": sum(1 for e in run.events if not e["ok"] and lo <= e["t"] < hi)})
    write_csv(DOCS / "load_soak.csv", minutes)
    warm = minutes[min(2, len(minutes) - 1)]["rss_mb"]  # after two minutes of warm-up
    last = max(m["rss_mb"] for m in minutes[-3:])
    growth = 100 * (last - warm) / warm
    failures = len(run.failures())
    from soak_chart import draw

    draw(samples, run, DOCS / "load_soak.png", warm_rss=warm)
    body = "\n".join([
        f"## Soak: {args.users} students for {args.minutes:g} minutes (room `{args.room}`)", "",
        f"Machine: {before}. Post-run GC off (`runner.postScriptGC = false`).", "",
        f"- moves: {len(run.moves()):,}, failures: {failures}",
        f"- p50 / p95 over the whole soak: {fmt_ms(pct([e['ms'] for e in run.moves()], 50))} / "
        f"{fmt_ms(pct([e['ms'] for e in run.moves()], 95))} ms",
        f"- server RSS after 2 minutes of warm-up {warm:.0f} MB, at the end {last:.0f} MB: "
        f"**{growth:+.1f} %** (target ≤ 10 %)",
        f"- server CPU {run.server['cpu_pct']:.0f} % of a core, Locust {run.locust['cpu_pct']:.0f} %", "",
        "![RSS and p95 over the soak](load_soak.png)", "",
        "Per minute: [load_soak.csv](load_soak.csv)."])
    update_doc("soak", body)
    log(f"soak: growth {growth:+.1f} %, failures {failures}")


def replicas(args: argparse.Namespace, work: Path) -> None:
    sys.path.insert(0, str(ROOT / "deploy"))
    from replicas import Replicas

    before = machine_note()
    rows = []
    for n in (1, 2):
        with Replicas(n, work / f"replicas{n}") as rs:
            run = locust(rs.url, args.users, args.seconds, args.room, work, f"replicas{n}", rs.app_pids())
            r = room_row(run)
            rows.append({"replicas": n, **r})
            log(f"{n} replica(s): {r['moves_per_s']:.1f} moves/s, p95 {r['p95']:.0f} ms")
    # a replica dies in the middle of a class
    with Replicas(2, work / "kill") as rs:
        killed: dict = {}

        def kill_later(t0: float) -> None:
            time.sleep(args.kill_after)
            killed["t"] = time.time()
            rs.kill(0)

        run = locust(rs.url, args.kill_users, args.kill_after + 40, "mixed", work, "kill", rs.app_pids(),
                     during=kill_later)
        victim = rs.server_name(0)
    t_kill = killed["t"]
    where: dict[int, str] = {}  # each student's replica just before the kill
    for e in run.events:
        if e["t"] < t_kill and e["replica"]:
            where[e["student"]] = e["replica"]
    on_killed = sorted(s for s, r in where.items() if r == victim)
    on_other = sorted(s for s, r in where.items() if r != victim)
    failed = sorted({e["student"] for e in run.events if not e["ok"]})
    recovered = sorted({e["student"] for e in run.events if e["t"] > t_kill and e["ok"]
                        and e["action"] not in SESSION_START and e["replica"] != victim})
    after = [e for e in run.events if e["t"] > t_kill + 10]
    bad_after = [e for e in after if not e["ok"]]
    body = "\n".join([
        f"## Replicas behind HAProxy (cookie affinity), {args.users} students, room `{args.room}`", "",
        f"Machine: {before}. Each replica is one `streamlit run` process; HAProxy and Locust on the same "
        "2 cores.", "",
        "| replicas | moves/s | p50 / p95 / p99 (ms) | failures | app CPU (sum, % of a core) |",
        "|---|---|---|---|---|",
        *[f"| {r['replicas']} | {r['moves_per_s']:.1f} | {fmt_ms(r['p50'])} / {fmt_ms(r['p95'])} / "
          f"{fmt_ms(r['p99'])} | {r['failures']} | {r['server_cpu']:.0f} % |" for r in rows], "",
        f"### A replica killed ({args.kill_users} students on 2 replicas, replica 1 killed after "
        f"{args.kill_after} s)", "",
        f"- students on the killed replica: {len(on_killed)}, on the other: {len(on_other)}",
        f"- students that saw a failure: {len(failed)}; all of them were on the killed replica: "
        f"{'yes' if set(failed) <= set(on_killed) else 'NO ' + str(sorted(set(failed) - set(on_killed)))}",
        f"- students of the killed replica who then worked on the other one (reload with their address, "
        f"their own sentence in their figures): {len(set(on_killed) & set(recovered))} of {len(on_killed)}",
        f"- failures later than 10 s after the kill: {len(bad_after)} of {len(after)} requests"])
    update_doc("replicas", body)
    write_csv(DOCS / "load_replicas.csv", rows)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["sweep", "soak", "replicas"])
    p.add_argument("--room", default="mixed", help="mixed, forward or lab (scenario.PROFILES)")
    p.add_argument("--students", type=int, nargs="+", default=[1, 10, 30, 50])
    p.add_argument("--seconds", type=int, default=90, help="measured seconds per room")
    p.add_argument("--probe-seconds", type=int, default=60, help="per saturation probe")
    p.add_argument("--max-students", type=int, default=120)
    p.add_argument("--users", type=int, default=30, help="soak / replicas room size")
    p.add_argument("--minutes", type=float, default=20)
    p.add_argument("--kill-users", type=int, default=20)
    p.add_argument("--kill-after", type=int, default=30)
    p.add_argument("--work", default="", help="folder for raw files (default: a new temp folder)")
    args = p.parse_args(argv)
    import tempfile

    work = Path(args.work or tempfile.mkdtemp(prefix="rnnviz-load-"))
    work.mkdir(parents=True, exist_ok=True)
    log(f"raw files in {work}")
    {"sweep": sweep, "soak": soak, "replicas": replicas}[args.mode](args, work)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main(sys.argv[1:]))
