"""Stateful property-based test of the whole app (issue 9): random sequences of user actions on every page.

A hypothesis RuleBasedStateMachine drives one AppTest session the way a browser does (apptools.browser_like):
it types corpus texts (empty, punctuation only, one word, 40+ words, many sentences, unicode, good and bad
labels), picks sentences (also with labels left over from an older corpus), switches pages, uploads good and
corrupt weight files, and moves *whatever widgets the current page has* to their ends — so pages and widgets
added later join the machine without editing it. After every step the page must hold: no exception, no
error-boundary message, the typed text kept, the shown sentence exists, and the settings round-trip through
the URL the page writes.

CI runs a bounded, derandomized number of sequences (RNNVIZ_FUZZ_EXAMPLES, default 200); the benchmark
benchmarks/fuzz_app.py runs the same machine for thousands.
"""

from __future__ import annotations

import io
import os

import numpy as np
import test_app_sequences as seq
from apptools import REPO, browser_run, browser_select
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import rnnviz as rv

PAGES = sorted(f"pages/{p.name}" for p in (REPO / "pages").glob("*.py"))
EXAMPLES = int(os.environ.get("RNNVIZ_FUZZ_EXAMPLES", "200"))
STEPS = int(os.environ.get("RNNVIZ_FUZZ_STEPS", "8"))
SKIP_BUTTONS = ("Download", "⬇")  # downloads change nothing on the page

WORDS = st.sampled_from(["movie", "was", "good", "bad", "not", "the", "cat", "sat", "mat", "riya", "delhi",
                         "été", "naïve", "東京", "مرحبا", "🎬", "x"])
LABELS = st.sampled_from(["", " | 1", " | 0", " | 2", " | yes", " |", " | 1 | 0", "|||"])
SENTENCE = st.builds(lambda ws, lab: " ".join(ws) + lab, st.lists(WORDS, min_size=1, max_size=6), LABELS)
LONG = st.builds(lambda n, lab: " ".join(f"w{i}" for i in range(n)) + lab, st.integers(40, 70), LABELS)
CORPUS = st.one_of(
    st.just(""),
    st.sampled_from(["!!! ... ???", "   \n\n  ", "word", "<script>alert(1)</script> | 1", "$x$ **b** | 0",
                     "nul\x00byte | 1", "a\u202eb c | 1", "\t tab | 0"]),
    SENTENCE,
    LONG,
    st.lists(SENTENCE, min_size=2, max_size=12).map("\n".join),
    st.text(max_size=60),
)


def npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


UPLOADS = [
    ("lstm.npz", lambda: npz(**rv.LSTM(5, 2, seed=1).to_torch(),
                             vocab=np.array(["movie", "was", "good", "bad", "not"]))),
    ("gru.npz", lambda: npz(**rv.GRU(5, 3, seed=2).to_torch())),
    ("broken.npz", lambda: b"not a zip at all"),
    ("wrong-shape.npz", lambda: npz(weight_ih_l0=np.zeros((4, 5)), weight_hh_l0=np.zeros((3, 3)))),
]


class AppMachine(RuleBasedStateMachine):
    """One user's session: every rule is one action, every invariant holds after each."""

    def __init__(self) -> None:
        super().__init__()
        self.at = None
        self.labels_seen: list[str] = []

    @initialize(page=st.sampled_from(PAGES))
    def open_app(self, page: str) -> None:
        self.at = seq.app(page)

    def run(self) -> None:
        browser_run(self.at)
        options = self.at.selectbox(key="w_sentence").options
        self.labels_seen += [o for o in options if o not in self.labels_seen]

    def select(self, key: str, label: str) -> None:
        browser_select(self.at, key, label)
        self.run()

    @rule(text=CORPUS)
    def type_corpus(self, text: str) -> None:
        self.at.text_area(key="w_corpus").set_value(text)
        self.run()

    @rule(pick=st.integers(0, 20))
    def pick_sentence(self, pick: int) -> None:
        """A current option, or a label from an older corpus (what a browser may still send)."""
        options = self.at.selectbox(key="w_sentence").options + self.labels_seen[-8:]
        self.select("w_sentence", options[pick % len(options)])

    @rule(page=st.sampled_from(PAGES))
    def switch_page(self, page: str) -> None:
        self.at.switch_page(page)
        self.run()

    @rule(pick=st.integers(0, 50), end=st.sampled_from(["min", "max", "min", "max", "middle"]))
    def move_a_slider(self, pick: int, end: str) -> None:
        sliders = [s for s in self.at.slider if not s.disabled]
        if sliders:
            s = sliders[pick % len(sliders)]
            value = {"min": s.min, "max": s.max, "middle": (s.min + s.max) / 2}[end]
            s.set_value(int(value) if isinstance(s.min, int) else value)
            self.run()

    @rule(pick=st.integers(0, 50), option=st.integers(0, 50))
    def pick_an_option(self, pick: int, option: int) -> None:
        radios = [r for r in self.at.radio if not r.disabled and r.key is not None and r.options]
        if radios:
            r = radios[pick % len(radios)]
            self.select(r.key, r.options[option % len(r.options)])

    @rule(pick=st.integers(0, 50), value=st.sampled_from([0.0, 1e-4, 0.01, 1.0, 7.0, 123456.0, 1e9]))
    def type_a_number(self, pick: int, value: float) -> None:
        inputs = [n for n in self.at.number_input if not n.disabled]
        if inputs:
            n = inputs[pick % len(inputs)]
            lo = n.min if n.min is not None else -1e9
            hi = n.max if n.max is not None else 1e9
            value = min(max(value, lo), hi)
            n.set_value(int(value) if isinstance(n.value, int) else value)
            self.run()

    @rule(pick=st.integers(0, 50))
    def toggle(self, pick: int) -> None:
        toggles = [t for t in [*self.at.toggle, *self.at.checkbox] if not t.disabled]
        if toggles:
            t = toggles[pick % len(toggles)]
            t.set_value(not t.value)
            self.run()

    @rule(pick=st.integers(0, 50))
    def click_a_button(self, pick: int) -> None:
        buttons = [b for b in self.at.button if not b.disabled and not b.label.startswith(SKIP_BUTTONS)]
        if buttons:
            buttons[pick % len(buttons)].click()
            self.run()

    @rule(upload=st.sampled_from(UPLOADS))
    def upload_weights(self, upload) -> None:
        if not any(u.key and u.key.startswith("w_upload") for u in self.at.file_uploader):
            self.at.switch_page("pages/weights.py")
            self.run()
        name, data = upload
        uploader = next(u for u in self.at.file_uploader if u.key and u.key.startswith("w_upload"))
        uploader.set_value((name, data(), "application/octet-stream"))
        self.run()

    @invariant()
    def page_is_clean(self) -> None:
        if self.at is not None:
            seq.clean(self.at)


AppMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
TestApp = AppMachine.TestCase

