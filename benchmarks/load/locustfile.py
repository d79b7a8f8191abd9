"""Locust: a room of students, each in their own Streamlit session, over the app's websocket protocol.

    locust -f benchmarks/load/locustfile.py --headless -u 30 -r 5 -t 120s --host http://127.0.0.1:8501 \
        --room mixed --events-file events.csv

Each simulated student opens the app, types their own sentence into the corpus (a word no one else has),
then moves sliders and switches pages with ~1 s of think time (see scenario.py). Every reply is checked:
another student's word anywhere in it, the student's own word missing from the figures of a page that
draws the sentence, an exception element, the app's error boundary, a script error, a closed socket or a
timeout each count as a failure. A student whose connection broke reloads the page with the address it
had (the app keeps its state in the URL) and goes on.

Use benchmarks/load/run.py to start the server, run the room sizes and write the reports; this file is
what Locust runs. Loopback only: --host must be a 127.x address or localhost.
"""

from __future__ import annotations

import csv
import itertools
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from locust import User, events, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scenario
from st_client import ProtocolError, Reply, Tab, foreign_tags

STUDENTS = itertools.count()
ACTIONS = {a.name: a for a in scenario.ACTIONS}
EVENT_FIELDS = ["t", "student", "action", "ms", "bytes", "ok", "error", "replica"]


@events.init_command_line_parser.add_listener
def _args(parser) -> None:
    parser.add_argument("--room", default="mixed", choices=sorted(scenario.PROFILES),
                        help="what the students do (scenario.PROFILES)")
    parser.add_argument("--events-file", default="", help="CSV of every request (time, action, ms, …)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop after this many")
    parser.add_argument("--think-min", type=float, default=0.5, help="think time between moves, s")
    parser.add_argument("--think-max", type=float, default=1.5)
    parser.add_argument("--seed", type=int, default=0)


class EventLog:
    """Every request as one CSV row (Locust's own CSV has the percentiles; this has the time course)."""

    def __init__(self) -> None:
        self.writer = None
        self.file = None
        self.count = 0
        self.t0 = time.time()

    def open(self, path: str) -> None:
        if path:
            self.file = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115 (closed at quit)
            self.writer = csv.writer(self.file)
            self.writer.writerow(EVENT_FIELDS)

    def write(self, student: int, action: str, ms: float, nbytes: int, error: str, replica: str) -> None:
        self.count += 1
        if self.writer is not None:
            self.writer.writerow([f"{time.time():.3f}", student, action, f"{ms:.1f}", nbytes,
                                  int(not error), error, replica])

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


LOG = EventLog()


@events.test_start.add_listener
def _start(environment, **_kwargs) -> None:
    host = urlsplit(environment.host or "").hostname or ""
    if not (host == "localhost" or host.startswith("127.")):
        raise SystemExit(f"--host {environment.host}: load tests run on loopback only")
    LOG.open(environment.parsed_options.events_file)


@events.quitting.add_listener
def _quit(environment, **_kwargs) -> None:
    LOG.close()


class Student(User):
    """One student in one browser tab."""

    def wait_time(self) -> float:
        o = self.environment.parsed_options
        return self.rng.uniform(o.think_min, o.think_max)

    def on_start(self) -> None:
        o = self.environment.parsed_options
        self.n = next(STUDENTS)
        self.rng = random.Random(o.seed * 100_003 + self.n)
        self.profile = scenario.PROFILES[o.room]
        self.tag = scenario.tag(self.n)
        self.tag_bytes = self.tag.encode()
        self.last: dict[str, object] = {}
        self.tab = Tab(self.environment.host)
        self.reconnects = 0
        # The teacher gives the app's address; a one-page room then clicks its page. (Deep links on a
        # server that was just started can run a page without the shell for all but the first visitor.)
        self.timed("open page", lambda: self.tab.open(""))
        self.timed("type sentence", lambda: self.tab.set_widget(scenario.CORPUS_KEY,
                                                                scenario.corpus(self.tag)))
        start = self.profile["start"]
        if start and self.tab.ws is not None:
            self.timed(f"page {scenario.PAGES.get(start, start)}", lambda: self.tab.switch_page(start))

    def on_stop(self) -> None:
        self.tab.close()

    # ----------------------------------------------------------------- the student

    @task
    def interact(self) -> None:
        if LOG.count >= self.environment.parsed_options.max_requests:
            self.environment.runner.quit()
            raise StopUser()
        if self.tab.ws is None:
            self.reconnect()
            return
        if self.rng.random() < self.profile["switch"]:
            self.switch()
            return
        possible = [ACTIONS[name] for name in self.profile["actions"]
                    if ACTIONS[name].key in self.tab.widgets
                    and ACTIONS[name].page in (scenario.ANY_PAGE, self.tab.page)
                    and not getattr(self.tab.widgets[ACTIONS[name].key].proto, "disabled", False)]
        if not any(a.page is not scenario.ANY_PAGE for a in possible):
            if self.profile["switch"] == 0.0:  # a one-page room whose widget is gone: back to its page
                start = self.profile["start"]
                self.timed(f"page {scenario.PAGES.get(start, start)}", lambda: self.tab.switch_page(start))
            else:  # nothing to move on this page but the sidebar: go somewhere else
                self.switch()
            return
        action = self.rng.choices(possible, [a.weight for a in possible])[0]
        el = self.tab.widget(action.key).proto
        value = action.value(self.rng, el, self.last.get(action.key))
        self.last[action.key] = value
        self.timed(action.name, lambda: self.tab.set_widget(action.key, value))

    def switch(self) -> None:
        pages = [p for p in scenario.PAGE_WEIGHTS if p != self.tab.page and p in self.tab.pages]
        target = self.rng.choices(pages, [scenario.PAGE_WEIGHTS[p] for p in pages])[0]
        self.timed(f"page {scenario.PAGES.get(target, target)}", lambda: self.tab.switch_page(target))

    def reconnect(self) -> None:
        """Reload: a new session on whichever server answers, with the address the tab had."""
        self.reconnects += 1
        self.tab.close()
        old = self.tab
        self.tab = Tab(self.environment.host)
        self.tab.query_string = old.query_string
        self.timed("reconnect", lambda: self.tab.open(old.page))

    # ----------------------------------------------------------------- timing and checks

    def timed(self, name: str, call) -> Reply | None:
        start = time.perf_counter()
        reply, error = None, ""
        try:
            reply = call()
            error = self.check(reply)
        except ProtocolError as exc:
            error = f"protocol: {exc}"
            self.tab.close()
        except (KeyError, ValueError) as exc:
            error = f"harness: {exc}"
        ms = (reply.seconds if reply else time.perf_counter() - start) * 1000
        nbytes = reply.nbytes if reply else 0
        LOG.write(self.n, name, ms, nbytes, error, self.tab.cookies.get(scenario.AFFINITY_COOKIE, ""))
        self.environment.events.request.fire(
            request_type="ws", name=name, response_time=ms, response_length=nbytes,
            exception=AssertionError(error) if error else None, context={"student": self.n})
        return reply

    def check(self, reply: Reply) -> str:
        if reply.problems:
            return "; ".join(reply.problems)
        foreign = foreign_tags(reply.raw(), scenario.TAG_PATTERN, self.tag_bytes)
        if foreign:
            return f"another session's sentence in this reply: {sorted(foreign)[:3]}"
        specs = reply.plotly_specs()  # the words of a figure are plain JSON text in its spec
        if (reply.status == "ok" and self.tab.page in scenario.SHOWS_SENTENCE and specs
                and not any(self.tag in spec for spec in specs)):
            return f"own sentence ({self.tag}) missing from the {self.tab.page} figures"
        return ""
