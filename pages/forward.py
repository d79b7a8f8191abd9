"""2 · Forward through time: the network unrolled over the sentence, stepped (or played) word by word in the
browser, with every equation of the step the student settles on written out in real numbers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rnnviz_app import equations as eq
from rnnviz_app import fig_forward as ff
from rnnviz_app import glossary, session, theme
from rnnviz_app.components import frame_stepper

PANEL = "forward_step_panel"  # the server-side part of the step (dimmed while the diagram shows another)


def view_key(view) -> tuple:
    """What the figures depend on: every setting but the step (the figures carry all steps), the upload."""
    settings = tuple(sorted((k, v) for k, v in view.settings.items() if k != "step"))
    return settings, getattr(session.custom_weights(), "digest", None)


@st.cache_resource(max_entries=32, show_spinner=False)
def unrolled(key: tuple, present: bool, _view) -> ff.Unrolled:
    """Every frame of the unrolled diagram (built once per sentence and settings, shared by sessions)."""
    return ff.unrolled(_view, present)


@st.cache_resource(max_entries=256, show_spinner=False)
def unrolled_at(key: tuple, present: bool, step: int, _view):
    """The diagram opened at a step: the frames are shared, and the figure keeps its serialized form."""
    return unrolled(key, present, _view).figure(step)


@st.cache_resource(max_entries=256, show_spinner=False)
def hidden_heatmap(key: tuple, present: bool, step: int, _view):
    return ff.hidden_heatmap(_view, step, present)


def settle(step: int) -> None:
    """The student stopped on `step` in the browser: it becomes the setting (the URL, the equations)."""
    session.set_value("step", step)


def row_pick(view, steq) -> None:
    cell = view.cell
    first_gate = cell.gate_names[0] if cell.gate_names else None
    W_pick = cell.W_xh if first_gate is None else cell.gate_block(cell.W_xh, first_gate)
    W_name = "W_{xh}" if first_gate is None else f"W_{{x{first_gate}}}"
    st.markdown(f"**x<sub>t</sub> is one-hot** — a single 1, at position {steq.token_id}: multiplying it by "
                f"a weight matrix just **picks row {steq.token_id}** (the word's row). No other row takes "
                "part."
                + ("" if first_gate is None else f" Shown for the {first_gate}-gate block; the same row is "
                   f"picked in every gate block of W<sub>xh</sub> ({steq.V} × {cell.W_xh.shape[1]})."),
                unsafe_allow_html=True)
    if steq.V <= eq.MAX_PICK_ROWS and steq.H <= eq.MAX_PICK_COLS:
        st.latex(eq.row_pick_latex(view.x[steq.t - 1], W_pick, steq.token_id, view.corpus.vocab.tokens,
                                   W_name))
        return
    words = [f"{j} · {w}" for j, w in enumerate(view.corpus.vocab.tokens)]
    columns = eq.weight_columns(cell)[:steq.H]
    st.dataframe(pd.DataFrame(W_pick.round(3), index=words, columns=columns),
                 height=min(36 * (steq.V + 1), 300), key="w_xh_table")
    st.markdown(f"Row {steq.token_id} (**{eq.md_escape(steq.token)}**), the one x<sub>t</sub> picks:",
                unsafe_allow_html=True)
    picked = pd.DataFrame(W_pick[[steq.token_id]].round(3), index=[words[steq.token_id]], columns=columns)
    st.dataframe(picked, key="w_xh_row")


def step_equations(view, steq) -> None:
    cell, kind = view.cell, view.cell.kind
    if steq.H > eq.MAX_LATEX_UNITS:
        st.markdown(f"**Every vector of step {steq.t}** (H = {steq.H} units is too wide to write out; rows "
                    "are the terms in order, each block ends with its sum and activation):")
        st.dataframe(eq.step_table(steq), key="step_table")
        return
    if kind == "SimpleRNN":
        st.markdown(f"**The step:** a<sub>t</sub> = x<sub>t</sub>W<sub>xh</sub> + h<sub>t−1</sub>"
                    f"W<sub>hh</sub> + b, then h<sub>t</sub> = {cell.activation}(a<sub>t</sub>)",
                    unsafe_allow_html=True)
        st.latex(eq.block_latex(steq.blocks[0]))
        return
    st.markdown("**The gates** (σ = sigmoid, ⊙ = element-wise product)" + (
        "; the LSTM's candidate c̃ is PyTorch's g" if kind == "LSTM" else
        "; the GRU's candidate h̃ is PyTorch's n, and the reset gate r scales "
        "h<sub>t−1</sub>W<sub>hn</sub> + b<sub>hn</sub>"), unsafe_allow_html=True)
    per_row = 2 if steq.H <= 3 else 1
    for k in range(0, len(steq.blocks), per_row):
        for col, block in zip(st.columns(per_row), steq.blocks[k:k + per_row], strict=False):
            with col:
                st.markdown(f"**{block.title.capitalize()}**")
                st.latex(eq.block_latex(block))
    forget_note = eq.forget_bias_note(cell)
    if forget_note:
        st.caption(forget_note)
    st.markdown("**The new state**")
    st.latex(eq.update_latex(steq.update))


CONCAT_WHAT = {
    "SimpleRNN": "",
    "LSTM": " Shown for the forget gate, the notes' f<sub>t</sub> = σ(W<sub>f</sub>·[h<sub>t−1</sub>, "
            "x<sub>t</sub>] + b<sub>f</sub>); every gate works the same way.",
    "GRU": " Shown for the update gate, the notes' z<sub>t</sub> = σ(W<sub>z</sub>·[h<sub>t−1</sub>, "
           "x<sub>t</sub>]) (rnnviz then adds the biases b<sub>xz</sub> + b<sub>hz</sub>)."}


def concat_form(view, step: int) -> None:
    """The notes' W·[h_{t−1}, x_t] with this step's numbers: one glued row times one stacked matrix."""
    form = eq.concat_form(view.cell, view.trace, step)
    H = view.H
    V = len(form.hx) - H
    st.markdown(f"**The notes' form W·[h<sub>t−1</sub>, x<sub>t</sub>]** is the same sum: glue "
                f"h<sub>t−1</sub> ({H} numbers) and x<sub>t</sub> ({V}) into one row of {H + V} and stack "
                f"W<sub>hh</sub> on W<sub>xh</sub> into one ({H + V} × {H}) matrix. The first {H} numbers "
                f"meet only W<sub>hh</sub>'s rows, the other {V} only W<sub>xh</sub>'s, so one product "
                "gives h<sub>t−1</sub>W<sub>hh</sub> + x<sub>t</sub>W<sub>xh</sub> (the notes write W first, "
                "for column vectors)." + CONCAT_WHAT[view.cell.kind], unsafe_allow_html=True)
    st.latex(eq.concat_latex(form))


@st.fragment
def step_panel(view, key: tuple, present: bool) -> None:
    """The server-side part of the current step: in the browser, a settled step reruns only this."""
    T = view.T
    step = min(max(int(session.get("step")), 1), T)
    frame_stepper(ff.CHART_META, step, T, key="forward_stepper", stale=[PANEL], on_settle=settle)
    with st.container(key=PANEL):
        steq = eq.step_equations(view.cell, view.trace, view.ids, view.tokens, step)
        st.subheader(f"Step t = {step}: the word “{eq.md_escape(steq.token)}” (id {steq.token_id})")
        st.markdown("**Shapes** (row vectors, as in Keras):")
        st.latex(eq.shapes_latex(view.cell.kind, steq.V, steq.H))
        row_pick(view, steq)
        step_equations(view, steq)
        concat_form(view, step)
        st.subheader("All time steps")
        st.plotly_chart(hidden_heatmap(key, present, step, view), width="stretch", config=theme.PLOTLY_CONFIG,
                        key="hidden_heatmap")
    session.sync_url()  # a fragment rerun skips the end of app.py, where the URL is normally written


session.ensure_shell()
present = session.present()
st.title("Forward through time")
glossary.glossary_popover(st)
st.markdown("The network reads the sentence **one word per time step**. At every step the *same* cell (the "
            "same weights) takes the word's one-hot vector x<sub>t</sub> and the previous hidden state "
            "h<sub>t−1</sub> and computes the new hidden state h<sub>t</sub>. After the last word, a Dense "
            "layer turns h<sub>T</sub> into the prediction ŷ.", unsafe_allow_html=True)
view = session.model_or_stop()
T = view.T
if session.get("step") != min(max(int(session.get("step")), 1), T):
    st.session_state["step"] = min(max(int(session.get("step")), 1), T)  # a shorter sentence: its last word
key = view_key(view)
fig_unrolled = unrolled_at(key, present, int(session.get("step")), view)
st.plotly_chart(fig_unrolled, width="stretch", config=theme.PLOTLY_CONFIG, key="unrolled")
st.caption("Step through the sentence with the slider under the diagram, ▶ Play (at the speed you pick), or "
           "the keyboard: click the diagram, then ← → move one word and space plays or pauses. Each coloured "
           "square is one unit of the state, coloured by its value on a fixed scale (blue −1, white 0, red "
           "+1); steps after t are dotted: the network has not read those words yet. Under the diagram are "
           "the numbers of step t.")
custom = session.custom_weights()
weights = "seeded" if custom is None else "trained" if custom.source == "rnnviz" else "uploaded"
st.caption(eq.prediction_verdict(view.yhat, view.label, weights))

step_panel(view, key, present)
st.subheader("Parameters — like Keras' model.summary()")
# a static table (two rows): the interactive data grid costs a chart's worth of rendering on every first view
st.table(ff.param_summary(view.cell, view.head).set_index("Layer (type)"))
total = ff.total_params(view.cell, view.head)
split = eq.param_split(view.cell, view.head)
st.markdown(f"**Total params: {total}** · Trainable params: {total} · Non-trainable params: 0 — the same "
            f"{split.cell_total} cell parameters ({split.cell_weights} weights + {split.cell_bias_total} "
            f"biases) are used at all {T} time steps.")
fig_heat = hidden_heatmap(key, present, int(session.get("step")), view)
session.download_buttons(view, {"unrolled": fig_unrolled, "hidden states": fig_heat}, key="forward")
