"""3 · Gates: every gate and state of the chosen cell as a (units × time) heatmap, in words per step; the
current step moves in the browser (Plotly's slider, Play, or the keyboard)."""

import pandas as pd
import streamlit as st

import rnnviz as rv
from rnnviz import presets
from rnnviz_app import equations as eq
from rnnviz_app import fig_gates, glossary, lab, session, theme, train_view
from rnnviz_app.components import frame_stepper

PRESET_FLAG = "_gates_trained_preset"  # a trained example to load on this run (it may train first)
PRESET_CELL = {"riya_lstm": "LSTM", "riya_gru": "GRU"}
CLOUDS_GAP = eq.word_gap(rv.tokenize(lab.PRESET_BY_KEY["clouds"].text), "clouds", "sky")  # 4 words apart
RIYA_GAP = eq.word_gap(rv.tokenize(presets.RIYA_TEXT), "delhi", "london")  # 11 words apart
CLOUDS_PURPOSE = (f"**The clouds are in the sky: a short dependency.** The word that tells “sky” (“clouds”) "
                  f"is only {CLOUDS_GAP} words back, so even a SimpleRNN can carry it: the notes' first "
                  "example, where a plain RNN is enough. Riya · Delhi · London is the long one: Delhi has "
                  f"to be kept for {RIYA_GAP} words until London replaces it, and that is what an LSTM's "
                  "gates are for.")
PRESET_HELP = {"clouds": f"A short dependency: “sky” comes {CLOUDS_GAP} words after “clouds” (untrained "
                         "weights).",
               "riya": f"A long dependency: Delhi must be kept {RIYA_GAP} words until London replaces it "
                       "(a trained LSTM)."}


def load_preset(key: str) -> None:
    """Button callback: the preset becomes the corpus (sentence 1). A trained example then loads its network
    (below, with a spinner the first time); an untrained one leaves a trained example's weights and turns a
    SimpleRNN into an LSTM."""
    preset = lab.PRESET_BY_KEY[key]
    session.set_value("corpus", preset.text)
    session.set_value("sentence", 1)
    custom = session.custom_weights()
    if preset.trained:
        st.session_state[PRESET_FLAG] = preset.trained
        session.set_value("cell", PRESET_CELL[preset.trained])  # after Reset: the same cell, untrained
    elif custom is not None and custom.digest.startswith("preset-"):
        session.reset_custom_weights()
    if not preset.trained and session.get("cell") == "SimpleRNN":
        session.set_value("cell", "LSTM")


def load_trained(name: str) -> None:
    with st.spinner("Training the lecture's example network (once per server, a few seconds)…"):
        preset = lab.TRAINED_PRESETS[name]()
    st.session_state[session.CUSTOM_KEY] = train_view.preset_weights(preset)
    st.session_state.pop(PRESET_FLAG, None)
    st.rerun()  # the sidebar shows the trained network's badge


@st.cache_resource(max_entries=64, show_spinner=False)
def gates_figure(key: tuple, step: int, present: bool, _view):
    """The heatmaps with every step as a frame (the step only sets where the figure opens)."""
    trace, tokens = _view.trace, _view.tokens
    sentences = [lab.gate_sentence(trace, tokens, t) for t in range(trace.T)]
    return fig_gates.gates_figure(trace, tokens, step, present=present, sentences=sentences)


def settle(step: int) -> None:
    """The student stopped on `step` in the browser: it becomes the shared step (the URL, page 2)."""
    session.set_value("step", step)


@st.fragment
def step_sync(T: int) -> None:
    """The keyboard for the heatmaps, and the settled step reported back (reruns only this)."""
    step = min(max(int(session.get("step")), 1), T)
    frame_stepper(fig_gates.CHART_META, step, T, key="gates_stepper", on_settle=settle)
    session.sync_url()  # a fragment rerun skips the end of app.py, where the URL is normally written


session.ensure_shell()
st.title("3 · Gates")
glossary.glossary_popover(st)
st.markdown("An LSTM and a GRU decide at every step, with **gates** between 0 (closed) and 1 (open), how "
            "much of their memory to keep, what to write into it and what to show. Each panel below is one "
            "gate or state: a row per hidden unit, a column per word.")

cols = st.columns([1.3] * len(lab.PRESETS) + [1.0])
for col, preset in zip(cols, lab.PRESETS, strict=False):
    col.button(f"Example: {preset.label}", key=f"gates_preset_{preset.key}",
               on_click=load_preset, args=(preset.key,), width="stretch", help=PRESET_HELP.get(preset.key))
cols[-1].caption("The examples replace the corpus. Riya and the GRU example load networks trained here "
                 "(badge in the sidebar; Reset goes back); the clouds run on untrained (random) weights.")
if st.session_state.get(PRESET_FLAG) in lab.TRAINED_PRESETS:
    load_trained(st.session_state[PRESET_FLAG])

view = session.model_or_stop()
custom = session.custom_weights()
if custom is not None and custom.digest.startswith("preset-"):
    st.info(f"**Trained weights.** {session.escape_md(custom.about)}", icon="🏋️")
    note = lab.trained_note(view.cell.kind, view.trace, view.tokens)
    if note:
        st.success(note, icon="🎯")
trace, present = view.trace, session.present()

if view.cell.kind == "SimpleRNN":
    st.info("A **SimpleRNN has no gates**: every step computes one pre-activation "
            "aₜ = xₜW_xh + hₜ₋₁W_hh + b and overwrites the state with hₜ = f(aₜ). Nothing decides what to "
            "keep, which is why old words fade (page 6). Below are aₜ and hₜ; pick LSTM or GRU in the "
            "sidebar, or load a lecture example, to see gates.", icon=":material/info:")

step = min(max(int(session.get("step")), 1), view.T)
if session.get("step") != step:
    st.session_state["step"] = step  # a shorter sentence: its last word
key = (tuple(sorted((k, v) for k, v in view.settings.items() if k != "step")),
       getattr(session.custom_weights(), "digest", None))
fig = gates_figure(key, step, present, view)
st.plotly_chart(fig, width="stretch", config=theme.PLOTLY_CONFIG, key="gates_heatmaps")
st.caption("Move the orange box with the slider under the heatmaps, ▶ Play, or the keyboard (click the "
           "chart, then ← →, space plays): the line above the panels says in words what the gates do at that "
           "step.")
step_sync(view.T)
if CLOUDS_GAP is not None and eq.word_gap(view.tokens, "clouds", "sky") == CLOUDS_GAP:
    st.info(CLOUDS_PURPOSE, icon=":material/cloud:")
if view.cell.kind == "GRU":
    st.warning("**Which way round is z?** rnnviz, like PyTorch and Keras, writes hₜ = (1 − z)·h̃ + "
               "z·hₜ₋₁: a z near 1 **keeps the old state**. Some lecture notes write hₜ = (1 − z)·hₜ₋₁ + "
               "z·h̃, where a z near 1 takes the **new candidate**. It is the same cell with z and 1 − z "
               "swapped: to compare with such notes, read their z as our 1 − z.",
               icon=":material/swap_horiz:")
    gap = eq.gru_reset_gap(view.cell, trace)
    st.warning("**And the reset gate r?** rnnviz, like PyTorch, Keras (reset_after=True) and the slides, "
               "applies r **after** the matrix: h̃ₜ = tanh(xₜW_xn + b_xn + r ⊙ (hₜ₋₁W_hn + b_hn)). The "
               "handwritten notes apply it **before**: h̃ₜ = tanh(W·[r ⊙ hₜ₋₁, xₜ]). That is not a renaming "
               "but a slightly different cell (Keras' reset_after=False): on this sentence, with the same "
               f"rₜ and hₜ₋₁, r before the matrix would change h̃ by up to {gap:.3f}.",
               icon=":material/swap_horiz:")

if view.cell.kind == "LSTM":
    st.markdown("**The LSTM step** (σ = sigmoid, ⊙ = element-wise product; gate order i, f, g, o as in "
                "PyTorch and Keras):")
    st.latex(r"i_t,\ f_t,\ o_t = \sigma(x_t W_{x\cdot} + h_{t-1} W_{h\cdot} + b_\cdot),\qquad "
             r"\tilde c_t = \tanh(x_t W_{xg} + h_{t-1} W_{hg} + b_g)")
    st.latex(r"c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t,\qquad h_t = o_t \odot \tanh(c_t)")
    st.caption("The cell state c is not squashed, so its colours saturate beyond ±1: hover for the exact "
               "value.")
elif view.cell.kind == "GRU":
    st.markdown("**The GRU step** (gate order r, z, n as in PyTorch):")
    st.latex(r"r_t, z_t = \sigma(x_t W_{x\cdot} + b_{x\cdot} + h_{t-1} W_{h\cdot} + b_{h\cdot}),\quad "
             r"\tilde h_t = \tanh\big(x_t W_{xn} + b_{xn} + r_t \odot (h_{t-1} W_{hn} + b_{hn})\big)")
    st.latex(r"h_t = (1 - z_t) \odot \tilde h_t + z_t \odot h_{t-1}")

with st.expander("Every step in words"):
    st.dataframe(pd.DataFrame({"step": [f"t={t + 1}" for t in range(view.T)], "word": list(view.tokens),
                               "what happens": [lab.gate_sentence(trace, view.tokens, t, prefix=False)
                                                 for t in range(view.T)]}),
                 hide_index=True, width="stretch")
