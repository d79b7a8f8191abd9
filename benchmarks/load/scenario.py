"""What a simulated student does, as data: the pages, the widgets (by key) and how each is moved.

The app's pages and widgets change; when they do, update these tables, not the harness. A widget that is
not on the page (because the page now steps in the browser, say) is simply not chosen, and the run's
summary lists the actions that never happened.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

# url path of each page ("" is the default page) -> label in reports
PAGES: dict[str, str] = {
    "": "home",
    "encoding": "encoding",
    "forward": "forward",
    "gates": "gates",
    "bptt": "bptt",
    "train": "train",
    "lab": "lab",
    "weights": "weights",
    "types": "types",
}
# Pages whose figures draw the words of the inspected sentence (the student's own must be in them).
SHOWS_SENTENCE = {"encoding", "forward", "gates", "bptt"}
CORPUS_KEY = "w_corpus"  # the sidebar's corpus text area
AFFINITY_COOKIE = "rnnviz-replica"  # set by the load balancer of deploy/replicas.py (which replica)
ANY_PAGE = None

# Each student's sentence carries a tag no one else has: "zq" + 5 letters from the student's number.
TAG_PATTERN = re.compile(rb"(?<![A-Za-z0-9+/])zq[a-z]{5}(?![A-Za-z0-9+/])")


def tag(n: int) -> str:
    letters = []
    for _ in range(5):
        n, r = divmod(n, 26)
        letters.append(chr(ord("a") + r))
    return "zq" + "".join(reversed(letters))


def corpus(student_tag: str) -> str:
    """The student's own sentence first (so it is the inspected one), then two of the lecture's."""
    return f"my {student_tag} movie was good | 1\nmovie was bad | 0\nmovie was not good | 0"


def slider_value(rng: random.Random, el: object, last: object) -> float:
    """Another value of the slider on its step grid: not the one drawn, not the one this student set."""
    step = el.step or 1.0
    n = round((el.max - el.min) / step)
    drawn = el.value[0] if el.set_value and el.value else (el.default[0] if el.default else el.min)
    avoid = {round((drawn - el.min) / step)}
    if isinstance(last, float | int):
        avoid.add(round((last - el.min) / step))
    choices = [i for i in range(n + 1) if i not in avoid] or [0]
    return round(el.min + rng.choice(choices) * step, 6)


def radio_value(rng: random.Random, el: object, last: object) -> str:
    options = [o for o in el.options if o != last] or list(el.options)
    return rng.choice(options)


def press(rng: random.Random, el: object, last: object) -> bool:
    return True


@dataclass(frozen=True)
class Action:
    name: str  # as reported
    key: str  # the widget's user key
    page: str | None  # url path, or ANY_PAGE for a sidebar widget
    value: Callable[[random.Random, object, object], object]  # (rng, proto, last set)
    weight: float  # relative frequency in the mixed profile


# The forward and gates pages now step in the browser (no round trip until the student stops): their
# "step" sliders are gone and those actions simply never happen. Training (page "train") runs in the
# background with progress reruns the server starts itself; students only visit that page here.
ACTIONS: tuple[Action, ...] = (
    Action("forward step", "w_step", "forward", slider_value, 6),
    Action("gates step", "w_step", "gates", slider_value, 4),
    Action("lab w_h", "w_wh", "lab", slider_value, 6),
    Action("lab cell", "w_lab_cell", "lab", radio_value, 1),
    Action("embedding size", "w_emb_dim", "encoding", slider_value, 2),
    Action("padding", "w_padding", "encoding", radio_value, 1),
    Action("descent step", "bptt_step", "bptt", press, 2),
    Action("hidden size", "w_hidden", ANY_PAGE, slider_value, 1),
    Action("cell", "w_cell", ANY_PAGE, radio_value, 0.5),
)

# Profiles: which page a student starts on, how often they switch pages, which actions they use.
PROFILES: dict[str, dict] = {
    "mixed": {"start": "", "switch": 0.2, "actions": [a.name for a in ACTIONS]},
    "forward": {"start": "forward", "switch": 0.0, "actions": ["forward step"]},
    "lab": {"start": "lab", "switch": 0.0, "actions": ["lab w_h"]},
    "bptt": {"start": "bptt", "switch": 0.0, "actions": ["descent step"]},
}
# Where a mixed student goes when switching (relative weights).
PAGE_WEIGHTS: dict[str, float] = {"": 1, "encoding": 2, "forward": 3, "gates": 2, "bptt": 2, "train": 1,
                                  "lab": 3, "weights": 0.5, "types": 1}
