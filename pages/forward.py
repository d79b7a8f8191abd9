"""2 · Forward through time: the network unrolled over the sentence, stepped (or played) word by word, with
every equation of the current step written out in real numbers."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from rnnviz_app import equations as eq
from rnnviz_app import fig_forward as ff
from rnnviz_app import session, theme

PLAYING = "_forward_playing"  # session-only (not in the URL): is the player running?
LAST_TICK = "_forward_last_tick"
TICK_S = 1.2  # seconds per step while playing


@st.cache_resource(max_entries=256, show_spinner=False)
def figures(key: tuple, step: int, present: bool, _view) -> tuple:
    """The two figures of a view at a step (figure building costs ~40 ms; a cached one ~3 ms to send)."""
    return ff.unrolled_figure(_view, step, present), ff.hidden_heatmap(_view, step, present)


def toggle_play(T: int) -> None:
    playing = not st.session_state.get(PLAYING, False)
    st.session_state[PLAYING] = playing
    if playing:
        if session.get("step") >= T:  # at the end: play again from the first word
            session.set_value("step", 1)
        st.session_state[LAST_TICK] = time.monotonic()


def player(T: int) -> None:
    """While playing, every TICK_S seconds: one step further, then rerun the whole page; stop at T."""
    if not st.session_state.get(PLAYING):
        return
    now = time.monotonic()
    if now - st.session_state.get(LAST_TICK, 0.0) < 0.8 * TICK_S:
        return  # a rerun for another reason (or the tick's own rerun): not yet time to move
    st.session_state[LAST_TICK] = now
    step = min(session.get("step"), T)
    if step < T:
        st.session_state["step"] = step + 1  # canonical value; the slider follows on this rerun
    if step + 1 >= T:
        st.session_state[PLAYING] = False
    st.rerun()


session.ensure_shell()
present = session.present()
st.title("Forward through time")
st.markdown("The network reads the sentence **one word per time step**. At every step the *same* cell (the "
            "same weights) takes the word's one-hot vector x<sub>t</sub> and the previous hidden state "
            "h<sub>t−1</sub> and computes the new hidden state h<sub>t</sub>. After the last word, a Dense "
            "layer turns h<sub>T</sub> into the prediction ŷ.", unsafe_allow_html=True)
view = session.model_or_stop()
T = view.T

# --- the step control: slider (arrow keys work) and play/pause
if session.get("step") > T:
    st.session_state["step"] = T  # a shorter sentence: the slider re-seeds from the canonical value
playing = bool(st.session_state.get(PLAYING)) and T > 1
c_play, c_slider = st.columns([1, 5], vertical_alignment="bottom")
with c_play:
    st.button("⏸ Pause" if playing else "▶ Play", key="play_button", on_click=toggle_play, args=(T,),
              disabled=T == 1, width="stretch",
              help="Step through the sentence automatically, one word every "
                   f"{TICK_S:g} s (stops at the last word).")
with c_slider:
    if T > 1:
        session.widget(st.slider, "step", "Time step t (← → keys move one word)", min_value=1, max_value=T)
    else:
        st.caption("This sentence has a single word: there is one time step, t = 1.")
step = min(max(int(session.get("step")), 1), T)
st.fragment(run_every=TICK_S if playing else None)(player)(T)

fig_unrolled, fig_heat = figures((tuple(sorted(session.settings().items())),
                                  getattr(session.custom_weights(), "digest", None)), step, present, view)
st.plotly_chart(fig_unrolled, width="stretch", config=theme.PLOTLY_CONFIG, key="unrolled")
st.caption("Each coloured cell is one unit of the state, coloured by its value on a fixed scale (blue −1, "
           "white 0, red +1). Steps after t are dotted: the network has not read those words yet. "
           "Hover a cell for more digits. The weights are seeded random numbers — an untrained network, so "
           "ŷ is not a good prediction yet (page 4 trains it).")

# --- the step panel: the equations of step t with real numbers
cell = view.cell
steq = eq.step_equations(cell, view.trace, view.ids, view.tokens, step)
st.subheader(f"Step t = {step}: the word “{eq.md_escape(steq.token)}” (id {steq.token_id})")
st.markdown("**Shapes** (row vectors, as in Keras):")
st.latex(eq.shapes_latex(cell.kind, steq.V, steq.H))
first_gate = cell.gate_names[0] if cell.gate_names else None
W_pick = cell.W_xh if first_gate is None else cell.gate_block(cell.W_xh, first_gate)
W_name = "W_{xh}" if first_gate is None else f"W_{{x{first_gate}}}"
st.markdown(f"**x<sub>t</sub> is one-hot** — a single 1, at position {steq.token_id}: multiplying it by a "
            f"weight matrix just **picks row {steq.token_id}** (the word's row). No other row takes part."
            + ("" if first_gate is None else f" Shown for the {first_gate}-gate block; the same row is "
               f"picked in every gate block of W<sub>xh</sub> ({steq.V} × {cell.W_xh.shape[1]})."),
            unsafe_allow_html=True)
if steq.V <= eq.MAX_PICK_ROWS and steq.H <= eq.MAX_PICK_COLS:
    st.latex(eq.row_pick_latex(view.x[step - 1], W_pick, steq.token_id, view.corpus.vocab.tokens, W_name))
else:
    words = [f"{j} · {w}" for j, w in enumerate(view.corpus.vocab.tokens)]
    st.dataframe(pd.DataFrame(W_pick.round(3), index=words, columns=eq.weight_columns(cell)[:steq.H]),
                 height=min(36 * (steq.V + 1), 300), key="w_xh_table")
    st.markdown(f"Row {steq.token_id} (**{eq.md_escape(steq.token)}**), the one x<sub>t</sub> picks:",
                unsafe_allow_html=True)
    st.dataframe(pd.DataFrame(W_pick[[steq.token_id]].round(3), index=[words[steq.token_id]],
                              columns=eq.weight_columns(cell)[:steq.H]), key="w_xh_row")

kind = cell.kind
if steq.H <= eq.MAX_LATEX_UNITS:
    if kind == "SimpleRNN":
        st.markdown(f"**The step:** a<sub>t</sub> = x<sub>t</sub>W<sub>xh</sub> + h<sub>t−1</sub>"
                    f"W<sub>hh</sub> + b, then h<sub>t</sub> = {cell.activation}(a<sub>t</sub>)",
                    unsafe_allow_html=True)
        st.latex(eq.block_latex(steq.blocks[0]))
    else:
        st.markdown("**The gates** (σ = sigmoid, ⊙ = element-wise product)" + (
            "; the LSTM's candidate c̃ is PyTorch's g" if kind == "LSTM" else
            "; the GRU's candidate h̃ is PyTorch's n, and the reset gate r scales "
            "h<sub>t−1</sub>W<sub>hn</sub> + b<sub>hn</sub>"), unsafe_allow_html=True)
        per_row = 2 if steq.H <= 3 else 1
        for k in range(0, len(steq.blocks), per_row):
            cols = st.columns(per_row)
            for col, block in zip(cols, steq.blocks[k:k + per_row], strict=False):
                with col:
                    st.markdown(f"**{block.title.capitalize()}**")
                    st.latex(eq.block_latex(block))
        st.markdown("**The new state**")
        st.latex(eq.update_latex(steq.update))
else:
    st.markdown(f"**Every vector of step {step}** (H = {steq.H} units is too wide to write out; rows are the "
                "terms in order, each block ends with its sum and activation):")
    st.dataframe(eq.step_table(steq), key="step_table")

# --- all steps at once, and the parameter count
st.subheader("All time steps")
st.plotly_chart(fig_heat, width="stretch", config=theme.PLOTLY_CONFIG, key="hidden_heatmap")
st.subheader("Parameters — like Keras' model.summary()")
st.dataframe(ff.param_summary(cell, view.head), hide_index=True, key="param_summary")
total = ff.total_params(cell, view.head)
st.markdown(f"**Total params: {total}** · Trainable params: {total} · Non-trainable params: 0 — the same "
            f"{cell.num_params()} cell weights are used at all {T} time steps.")
session.download_buttons(view, {"unrolled": fig_unrolled, "hidden states": fig_heat}, key="forward")
