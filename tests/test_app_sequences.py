"""Settings changed one after another, as a user does, with the browser's selectbox memory (issue 9).

Each test is a short sequence that ended in a traceback before: the sentence picker's stale label (a string)
reached `build_model` as the sentence number. The AppTests send what a browser sends (apptools.browser_like).
"""

from __future__ import annotations

import pytest
from apptools import REPO, browser_labels, browser_like, browser_run, browser_select
from streamlit.testing.v1 import AppTest

from rnnviz_app import session, state

HOSTILE = [
    "<script>alert(1)</script> <b>bold</b> | 1",
    "مرحبا بالعالم الجميل | 0",
    "🎬 movie 😀 was 🍿 good | 1",
    "nul\x00byte text | 1",
    " ".join(f"w{i}" for i in range(5000)),
    "$x^2$ \\frac{a}{b} **bold** _it_ | 1",
]


def app(page: str = "pages/forward.py", **query) -> AppTest:
    at = browser_like(AppTest.from_file(str(REPO / "app.py"), default_timeout=60))
    for k, v in query.items():
        at.query_params[k] = str(v)
    browser_run(at)
    at.switch_page(page)
    return clean(browser_run(at))


def clean(at: AppTest) -> AppTest:
    """No exception, no error boundary message, the typed corpus kept, and the shown sentence exists."""
    assert not at.exception, [e.value for e in at.exception][:1]
    boundary = [e.value for e in at.error if "Something went wrong" in str(e.value)]
    assert not boundary, boundary
    corpus = at.session_state["corpus"]
    assert at.text_area(key="w_corpus").value == corpus
    sentence = at.session_state["sentence"]
    assert type(sentence) is int and sentence >= 1
    box = at.selectbox(key="w_sentence")
    assert len(box.options) >= 1 and sentence <= max(1, len(box.options))
    shown = browser_labels(at).get("w_sentence")
    if shown is not None:
        assert shown == box.options[min(sentence, len(box.options)) - 1], "the picker shows the sentence"
    settings = session_settings(at)
    values, notes = state.from_query(state.to_query(settings))  # the link the page writes, read back
    assert not notes, notes
    assert normal({**state.defaults(), **values}) == normal(settings), "the URL reproduces the view"
    return at


def session_settings(at: AppTest) -> dict:
    return {f.key: at.session_state[f.key] for f in state.FIELDS}


def normal(settings: dict) -> dict:
    """An emptied corpus travels in the URL as one space (a URL drops empty parameters)."""
    return {**settings, "corpus": settings["corpus"].strip() or ""}


def type_corpus(at: AppTest, text: str) -> AppTest:
    at.text_area(key="w_corpus").set_value(text)
    return clean(browser_run(at))


def test_clear_then_type_a_new_sentence() -> None:
    at = app()
    type_corpus(at, "")
    assert any("no words yet" in str(i.value) for i in at.info)
    type_corpus(at, "the cat sat on the mat | 1")
    assert at.session_state["sentence"] == 1
    assert at.selectbox(key="w_sentence").options == ["1. the cat sat on the mat"]


def test_three_sentences_replaced_by_one() -> None:
    at = app()
    type_corpus(at, "a lovely film | 1")
    assert at.selectbox(key="w_sentence").options == ["1. a lovely film"]


def test_pick_the_last_sentence_then_shorten_the_corpus() -> None:
    at = app()
    browser_select(at, "w_sentence", "3. movie was not good")
    clean(at)
    assert at.session_state["sentence"] == 3
    type_corpus(at, "movie was good | 1\nmovie was bad | 0")
    assert at.session_state["sentence"] == 2, "the last sentence stays picked"
    type_corpus(at, "only one | 1")
    assert at.session_state["sentence"] == 1


def test_lstm_on_a_long_sentence_then_a_one_word_sentence() -> None:
    at = app(cell="LSTM")
    type_corpus(at, " ".join(f"word{i}" for i in range(60)) + " | 1")
    at.session_state["step"] = state.MAX_STEPS  # the last word (a slider or the player got there)
    clean(browser_run(at))
    type_corpus(at, "hello | 0")
    assert at.session_state["step"] == 1
    at.switch_page("pages/forward.py")
    clean(browser_run(at))
    assert at.session_state["step"] == 1


def test_garbage_labels_then_backprop() -> None:
    at = app()
    type_corpus(at, "movie was good | yes\nmovie | 7\n||| \n | 1")
    at.switch_page("pages/bptt.py")
    clean(browser_run(at))


@pytest.mark.parametrize("first", range(len(HOSTILE)))
def test_hostile_text_typed_after_another(first: int) -> None:
    at = app("pages/gates.py")
    for k in range(len(HOSTILE)):
        type_corpus(at, HOSTILE[(first + k) % len(HOSTILE)])


def test_a_stale_label_never_becomes_the_sentence() -> None:
    """The browser sends the label of an option that no longer exists: the setting stays a number."""
    at = app()
    browser_select(at, "w_sentence", "2. movie was bad")
    browser_select(at, "w_sentence", "7. a sentence that was never there")
    assert at.session_state["sentence"] == 2


def test_fit_clamps_and_rejects() -> None:
    assert session.fit(5, lo=1, hi=3) == 3
    assert session.fit(0.5, lo=1.0, hi=3.0) == 1.0
    assert session.fit("2. movie", options=[1, 2, 3]) is None
    assert session.fit(True, options=[1, 2]) is None
    assert session.fit("LSTM", options=["SimpleRNN", "LSTM"]) == "LSTM"
    assert session.fit(float("nan"), lo=0.0, hi=3.0) is None
    assert session.fit(2.5, lo=1, hi=9) is None
