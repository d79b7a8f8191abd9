"""The error boundary (issue 9): an unexpected exception becomes a short message with a Reset button, is
logged on the server, and shows its details only where the server is not deployed for users."""

from __future__ import annotations

import logging

import pytest
from streamlit.testing.v1 import AppTest


def failing_page() -> None:
    import streamlit as st

    from rnnviz_app import session

    st.session_state.setdefault("corpus", "my own words | 1")
    session.guard(lambda: 1 / 0, where="test page")
    st.markdown("after the boundary")


def run() -> AppTest:
    at = AppTest.from_function(failing_page, default_timeout=30)
    at.run()
    return at


@pytest.mark.parametrize("details", ["full", "none"])
def test_a_failing_page_says_so_and_keeps_going(details: str, monkeypatch) -> None:
    import streamlit as st

    monkeypatch.setattr(st, "get_option", lambda name, _o=st.get_option: details
                        if name == "client.showErrorDetails" else _o(name))
    logged: list[str] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = lambda record: logged.append(record.getMessage() + str(record.exc_info))
    logging.getLogger("rnnviz").addHandler(handler)
    try:
        at = run()
    finally:
        logging.getLogger("rnnviz").removeHandler(handler)
    assert any("Something went wrong" in e.value for e in at.error)
    assert [b.label for b in at.button] == ["Reset view"]
    assert any("after the boundary" in m.value for m in at.markdown), "the rest of the script still runs"
    assert any("ZeroDivisionError" in m for m in logged), "the traceback is logged on the server"
    # full details (tests, development) show the exception; a deployed server shows none of it
    assert len(at.exception) == (1 if details == "full" else 0)


def page_failing_on_gru() -> None:
    import streamlit as st

    from rnnviz_app import session

    session.init()

    def draw() -> None:
        if session.get("cell") == "GRU":
            raise RuntimeError("this page cannot draw a GRU")
        st.markdown(f"drawn: {session.get('cell')}, H = {session.get('hidden')}")

    session.guard(draw)


def test_reset_view_keeps_the_corpus_and_resets_the_rest() -> None:
    at = AppTest.from_function(page_failing_on_gru, default_timeout=30)
    at.query_params.update(corpus="my own words | 1", cell="GRU", hidden="7", step="2")
    at.run()
    assert any("Something went wrong" in e.value for e in at.error)
    at.button(key="reset_view_page").click().run()
    assert not at.error and not at.exception
    assert at.session_state["corpus"] == "my own words | 1", "what the user typed is kept"
    ss = at.session_state
    assert (ss["cell"], ss["hidden"], ss["step"]) == ("SimpleRNN", 3, 1)
    assert any("drawn: SimpleRNN, H = 3" in m.value for m in at.markdown)
