"""6 · Gradient lab: slide w_h and watch gradients vanish or explode through time, exactly."""

import streamlit as st

from rnnviz import longdep
from rnnviz_app import fig_lab, fig_train, lab, session, state, theme, train_view

BADGE_COLOURS = {"vanishing": "blue", "stable": "green", "exploding": "red", "cut": "gray"}
SOURCE_LABELS = {"sentence": "the sentence", "generated": "generated"}


# A LabSpec is hashed by its compared fields (the upload by its digest, not its arrays).
SPEC_HASH = {lab.LabSpec: hash}


@st.cache_resource(max_entries=24, show_spinner="Sweeping w_h from 0 to 3 …", hash_funcs=SPEC_HASH)
def grid_sweep(spec: lab.LabSpec):
    """The whole (w_h grid × steps back) sweep: depends on everything but the current w_h."""
    return lab.sweep(spec, lab.WH_GRID)


@st.cache_resource(max_entries=24, show_spinner=False, hash_funcs=SPEC_HASH)
def phase_traces(spec: lab.LabSpec, present: bool):
    return fig_lab.phase_traces(grid_sweep(spec), present)


def controls() -> None:
    c = st.columns([2.2, 1.35, 1.1, 1.35, 1.5, 1.1])
    with c[0]:
        session.widget(st.slider, "wh", "w_h — the scale of W_hh (its spectral radius)", min_value=0.0,
                       max_value=lab.WH_MAX, step=0.01, format="%.2f")
    with c[1]:
        custom = session.custom_weights()
        if custom is None:
            session.widget(st.radio, "lab_cell", "Cell", options=list(state.CELLS))
        else:
            st.markdown(f"**Cell**  \n{custom.kind}, H = {custom.cell.hidden_size} (your weights)")
    with c[2]:
        session.widget(st.radio, "lab_act", "Activation", options=list(state.ACTIVATIONS),
                       disabled=custom is not None or session.get("lab_cell") != "SimpleRNN")
    with c[3]:
        session.widget(st.radio, "lab_len", "Input", options=list(state.LAB_LENGTHS),
                       format_func=SOURCE_LABELS.get)
    with c[4]:
        session.widget(st.slider, "lab_T", "Generated length T", min_value=2, max_value=200,
                       disabled=session.get("lab_len") != "generated")
    with c[5]:
        session.widget(st.number_input, "clip", "Clip at (0 = off)", min_value=0.0, max_value=100.0,
                       step=0.5, format="%g")


WEIGHT_LABELS = {"untrained": "untrained (random) weights", "trained": "trained (long-dependency task)"}


def comparison(lp, tokens, present: bool) -> None:
    """SimpleRNN vs LSTM vs GRU: untrained (random) weights at the slider's w_h, or the three cells trained
    on the Train page's long-dependency task (shared with it: trained once per server)."""
    session.widget(st.radio, "lab_weights", "Compare the three cells with", options=list(state.LAB_WEIGHTS),
                   format_func=WEIGHT_LABELS.get, horizontal=True)
    if session.get("lab_weights") != "trained":
        st.plotly_chart(fig_lab.compare_figure(lp.cells, tokens, present=present), width="stretch",
                        config=theme.PLOTLY_CONFIG, key="lab_compare")
        st.caption("**Untrained (random) weights**: seeded cells with W_hh = w_h·Q. Nothing has taught their "
                   "gates to keep anything yet, so an untrained LSTM or GRU can lose the past as fast as a "
                   "SimpleRNN. Pick *trained* to see what training does.")
        return
    cfg = longdep.LongDepConfig()
    k = max(cfg.ks)
    with st.spinner("Training the three cells on the long-dependency task (once per server, seconds)…"):
        runs = train_view.longdep_runs(cfg, k, session.result_store())
    ids, _ = longdep.make_task(k, 1, cfg.seed + 2000)
    curves = train_view.trained_curves(runs, ids[0])
    st.plotly_chart(fig_train.trained_compare_figure(curves, k, present), width="stretch",
                    config=theme.PLOTLY_CONFIG, key="lab_compare_trained")
    by = {c.kind: c for c in curves}
    acc = ", ".join(f"{kind} {r.test_accuracy:.0%}" for kind, r in runs.items())
    st.caption(f"**Trained weights**: each cell trained on the Train page's long-dependency task (the "
               f"first word sets the label, then k = {k} words; same data, H = {cfg.hidden} and budget). "
               f"Right on new sentences: {acc}. On this sentence, {k} steps back: ‖dh_T/dh_1‖ = "
               + ", ".join(f"{c.kind} {lab.fmt_pow(float(c.log10_jac[0]))}" for c in curves)
               + (f"; the LSTM's cell path ∏ f = {lab.fmt_pow(float(by['LSTM'].log10_forget[0]))}"
                  if "LSTM" in by else "")
               + ". The w_h slider does not apply to trained weights.")


@st.fragment
def gradient_lab(view) -> None:
    """The lab: in the browser a control change reruns only this fragment (the sweep is cached)."""
    controls()
    settings = session.settings()
    present = session.present()
    spec = lab.lab_spec(settings, view.V, view.ids, view.label, session.custom_weights())
    clip = float(settings["clip"])
    lp = lab.lab_point(spec, float(settings["wh"]), clip)  # exact, at the slider's w_h (K = 1)
    tokens = lab.lab_tokens(spec, view.corpus.vocab.tokens)

    st.markdown(f"#### :{BADGE_COLOURS[lp.regime.name]}-background[{lp.regime.name.upper()}] &nbsp; "
                f"{session.escape_md(lp.regime.text)}")

    left, right = (st.container(), st.container()) if present else st.columns(2)
    with left:
        st.plotly_chart(fig_lab.norms_figure(lp.point, tokens, present=present), width="stretch",
                        config=theme.PLOTLY_CONFIG, key="lab_norms")
    with right:
        fig = fig_lab.phase_figure(grid_sweep(spec), lp.w_h, present=present,
                                   traces=phase_traces(spec, present))
        st.plotly_chart(fig, width="stretch", config=theme.PLOTLY_CONFIG, key="lab_phase")

    left, right = (st.container(), st.container()) if present else st.columns([2, 1])
    with left:
        comparison(lp, tokens, present)
    with right:
        st.markdown("##### Gradient clipping")
        if clip > 0:
            st.metric("‖∂L/∂θ‖ before clipping", lab.fmt_float(lp.clipped.pre_norm))
            st.metric("‖∂L/∂θ‖ after clipping", lab.fmt_float(lp.clipped.post_norm),
                      "clipped" if lp.clipped.clipped else "below the threshold: unchanged",
                      delta_color="off")
            st.caption(f"g ← g · min(1, {clip:g} / ‖g‖) over every weight of the {spec.cell} and the head, "
                       "for this sequence at this w_h. Clipping caps the step, not the vanishing.")
        else:
            st.metric("‖∂L/∂θ‖ (no clipping)", lab.fmt_float(lp.clipped.pre_norm))
            st.caption("Set a clip threshold to see the gradient before and after clipping by global norm.")
    session.sync_url()  # a fragment rerun skips the end of app.py, where the URL is normally written


session.ensure_shell()
st.title("6 · Gradient lab")
st.markdown("Going back one step multiplies the gradient by ∂hₜ/∂hₜ₋₁. Going back k steps multiplies k "
            "such factors, so it shrinks like (γ·w_h)ᵏ or grows like it. Slide **w_h** (W_hh = w_h·Q, Q "
            "orthogonal; with hidden size 1 it is the lecture's scalar w_h) and watch.")
st.latex(r"\frac{\partial h_T}{\partial h_t} = \prod_{s=t+1}^{T}\frac{\partial h_s}{\partial h_{s-1}},\qquad"
         r"\frac{\partial h_s}{\partial h_{s-1}} = \mathrm{diag}\big(f'(a_s)\big)\,W_{hh}^{\top}")
st.latex(r"\Big\|\frac{\partial h_T}{\partial h_t}\Big\| \le (\gamma\, w_h)^{T-t},\qquad "
         r"\gamma = \max|f'| = 1 \text{ for tanh and ReLU (SimpleRNN)}")

view = session.model_or_stop()
if session.custom_weights() is not None:
    st.caption("The lab runs on your uploaded cell: its own W_hh is rescaled so that each gate block has "
               "spectral radius w_h (w_h = its current radius reproduces your weights). The other two "
               "cells in the side-by-side comparison are seeded ones with W_hh = w_h·Q.")
gradient_lab(view)
st.caption("**Generated input**: T words drawn at random (seeded by the sidebar's seed) from the corpus "
           "vocabulary; with ReLU only from the words that switch on the most units, so the input itself "
           "never turns them off. The loss is the many-to-one loss of page 4 with the sentence's label "
           "(y = 0 when there is none, as for a generated sequence). Norms are exact (spectral norms of the "
           "products, computed in log space): 0 means exactly zero, and nothing is an overflowed ∞.")
