"""Streamlit glue: session state seeded from the URL, the shared sidebar, and the URL kept in step.

Each setting has a canonical value in st.session_state[key] (a plain value, never a widget key) and a
widget key "w_<key>" whose change callback copies into it. Widgets on a page that is not shown are cleaned
up by Streamlit, but the canonical value survives, so switching pages never loses a setting, and the URL
(written from the canonical values at the end of every run) always reproduces the view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from . import state
from .model import EmptyCorpus, ModelView, build_model

NOTES_KEY = "_link_notes"


def init() -> None:
    """First run of a session: defaults, overridden by valid URL parameters; invalid ones become notes."""
    if st.session_state.get("_initialised"):
        return
    values, notes = state.from_query(st.query_params.to_dict())
    for key, value in {**state.defaults(), **values}.items():
        st.session_state[key] = value
    st.session_state[NOTES_KEY] = notes
    st.session_state["_initialised"] = True


def get(key: str) -> Any:
    return st.session_state.get(key, state.FIELD_BY_KEY[key].default)


def settings() -> dict[str, Any]:
    """The canonical values of every field of the table."""
    return {f.key: get(f.key) for f in state.FIELDS}


def set_value(key: str, value: Any) -> None:
    """Change a setting from code (a button, the player); call it from a callback or before the widget."""
    st.session_state[key] = value
    st.session_state["w_" + key] = value


def _copy(key: str) -> None:
    st.session_state[key] = st.session_state["w_" + key]


def widget(fn: Callable, key: str, label: str | None = None, **kwargs) -> Any:
    """Draw `fn` (st.slider, st.sidebar.radio, …) bound to the setting `key`; returns its value."""
    wkey = "w_" + key
    if wkey not in st.session_state or st.session_state[wkey] != get(key):
        st.session_state[wkey] = get(key)  # seed (or re-seed) the widget from the canonical value
    fn(label or state.FIELD_BY_KEY[key].label, key=wkey, on_change=_copy, args=(key,), **kwargs)
    return get(key)


def sync_url() -> None:
    """Write the non-default settings to the URL query string (called at the end of every run)."""
    wanted = state.to_query(settings())
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def show_link_notes() -> None:
    for note in st.session_state.get(NOTES_KEY, []):
        st.warning(note, icon="⚠️")


def sidebar() -> None:
    """The one sidebar every page shares: corpus, sentence, cell, activation, hidden size, seed, h0."""
    sb = st.sidebar
    sb.markdown("### Your data")
    widget(sb.text_area, "corpus", "Corpus — one sentence per line, optional label after “|” (1 or 0)",
           height=130, max_chars=4 * state.MAX_CORPUS_CHARS)
    try:
        view = cached_model(settings())
        options = list(range(1, len(view.corpus) + 1))
        labels = {i + 1: f"{i + 1}. {s[:40]}" for i, s in enumerate(view.corpus.sentences)}
    except EmptyCorpus:
        options, labels = [get("sentence")], {get("sentence"): "(no sentence yet)"}
    if get("sentence") not in options:
        st.session_state["sentence"] = options[-1]
    widget(sb.selectbox, "sentence", options=options, format_func=lambda i: labels.get(i, str(i)))
    sb.markdown("### The network")
    widget(sb.radio, "cell", options=list(state.CELLS), horizontal=True)
    if get("cell") == "SimpleRNN":
        widget(sb.radio, "act", options=list(state.ACTIVATIONS), horizontal=True)
    widget(sb.slider, "hidden", "Hidden size H (units)", min_value=1, max_value=state.MAX_HIDDEN)
    widget(sb.number_input, "seed", "Random seed (weights and h0)", min_value=0, max_value=state.MAX_SEED,
           step=1)
    widget(sb.radio, "h0", "Initial state h0", options=list(state.H0_MODES), horizontal=True)
    sb.markdown("### Classroom")
    widget(sb.toggle, "present", "Presentation mode (large text for projectors)")


@st.cache_resource(max_entries=64, show_spinner=False)
def _cached_model(items: tuple) -> ModelView:
    return build_model(dict(items))


def cached_model(values: dict[str, Any]) -> ModelView:
    """build_model through a shared cache (the view is immutable; sessions can share it)."""
    return _cached_model(tuple(sorted(values.items())))


def model_or_stop() -> ModelView:
    """The model for the current settings, or a clear message and st.stop() when there is none."""
    try:
        view = cached_model(settings())
    except EmptyCorpus as exc:
        st.info(str(exc), icon="✍️")
        st.stop()
    for note in view.notes:
        st.caption(f"ℹ️ {note}")
    return view
