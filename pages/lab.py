"""6 · Gradient lab: slide w_h and watch gradients vanish or explode through time, exactly. The w_h slider
moves in the browser over a precomputed exact grid; a typed w_h is computed exactly on the server."""

import streamlit as st

from rnnviz import longdep
from rnnviz_app import fig_lab, fig_train, glossary, lab, session, state, theme, train_view
from rnnviz_app.components import frame_stepper

SOURCE_LABELS = {"sentence": "the sentence", "generated": "generated"}


# A LabSpec is hashed by its compared fields (the upload by its digest, not its arrays).
SPEC_HASH = {lab.LabSpec: hash}


@st.cache_resource(max_entries=24, show_spinner="Sweeping w_h from 0 to 3 …", hash_funcs=SPEC_HASH)
def grid_sweep(spec: lab.LabSpec):
    """The whole (w_h grid × steps back) sweep: depends on everything but the current w_h."""
    return lab.sweep(spec, lab.WH_GRID)


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=SPEC_HASH)
def exact_sweep(spec: lab.LabSpec, w_h: float):
    """The lab cell at a typed w_h that is not on the grid (K = 1)."""
    return lab.sweep(spec, w_h)


@st.cache_resource(max_entries=24, show_spinner=False, hash_funcs=SPEC_HASH)
def wh_frames(spec: lab.LabSpec, exact: float | None, present: bool, tokens: tuple[str, ...]):
    """Every w_h of the slider as a frame (the grid, and a typed value off the grid), built once."""
    extra = None if exact is None else exact_sweep(spec, exact)
    return fig_lab.wh_frames(grid_sweep(spec), extra, tokens, present=present)


@st.cache_resource(max_entries=128, show_spinner=False, hash_funcs=SPEC_HASH)
def wh_figure(spec: lab.LabSpec, exact: float | None, present: bool, tokens: tuple[str, ...], w_h: float):
    """The figure opened at w_h (the frames are shared; the figure keeps its serialized form)."""
    return wh_frames(spec, exact, present, tokens).figure(w_h)


@st.cache_resource(max_entries=256, show_spinner=False, hash_funcs=SPEC_HASH)
def lab_point(spec: lab.LabSpec, w_h: float, clip: float):
    """The three cells and the clipping numbers at a settled w_h (a rerun for another reason reuses them)."""
    return lab.lab_point(spec, w_h, clip)


@st.cache_resource(max_entries=256, show_spinner=False, hash_funcs=SPEC_HASH)
def compare_figure(spec: lab.LabSpec, w_h: float, present: bool, tokens: tuple[str, ...], _cells):
    """SimpleRNN vs LSTM vs GRU at a settled w_h (built once; `_cells` is lab_point's, for these keys)."""
    return fig_lab.compare_figure(_cells, list(tokens), present=present)


def off_grid(w_h: float) -> float | None:
    """w_h when it is not one of the grid's values (a typed exact value), else None."""
    return None if any(abs(w_h - g) < 1e-12 for g in lab.WH_GRID) else float(w_h)


TYPED = "_lab_typed_wh"  # a w_h was typed: the figure must be rebuilt around it (a full rerun)


def typed_wh() -> None:
    """The exact w_h box changed (a widget callback): the setting follows, and the page reruns."""
    value = session.fit(st.session_state.get("w_wh"), lo=0.0, hi=lab.WH_MAX)
    if value is not None and value != session.get("wh"):
        st.session_state["wh"] = value
        st.session_state[TYPED] = True


def exact_wh_input() -> None:
    if st.session_state.get("w_wh") != session.get("wh"):
        st.session_state["w_wh"] = float(session.get("wh"))  # follow the slider's settled value
    st.number_input("w_h, typed exactly (Enter)", min_value=0.0, max_value=lab.WH_MAX, step=0.01,
                    format="%.3f", key="w_wh", on_change=typed_wh,
                    help="The slider on the chart moves over w_h = 0, 0.05, …, 3 in the browser; a value "
                         "typed here is computed exactly on the server and added to the slider. w_h is the "
                         "spectral radius of W_hh: " + glossary.help_text("spectral radius"))


def controls() -> None:
    c = st.columns([1.35, 1.1, 1.35, 1.5])
    with c[0]:
        custom = session.custom_weights()
        if custom is None:
            session.widget(st.radio, "lab_cell", "Cell", options=list(state.CELLS))
        else:
            st.markdown(f"**Cell**  \n{custom.kind}, H = {custom.cell.hidden_size} (your weights)")
    with c[1]:
        session.widget(st.radio, "lab_act", "Activation", options=list(state.ACTIVATIONS),
                       disabled=custom is not None or session.get("lab_cell") != "SimpleRNN")
    with c[2]:
        session.widget(st.radio, "lab_len", "Input", options=list(state.LAB_LENGTHS),
                       format_func=SOURCE_LABELS.get)
    with c[3]:
        session.widget(st.slider, "lab_T", "Generated length T", min_value=2, max_value=200,
                       disabled=session.get("lab_len") != "generated")


def use_sidebar_cell() -> None:
    """Button callback: the lab takes the sidebar's cell and activation."""
    session.set_value("lab_cell", session.get("cell"))
    session.set_value("lab_act", session.get("act"))


def settings_source(view, spec: lab.LabSpec) -> None:
    """Where each lab setting comes from, and a button to follow the sidebar when the lab's cell differs."""
    settings = session.settings()
    text = lab.settings_source(settings, spec, view.corpus.sentences[view.index], view.label)
    st.caption(text)
    if spec.custom is None and lab.differs_from_sidebar(settings):
        st.button("Use the sidebar's cell and activation", key="lab_use_sidebar", on_click=use_sidebar_cell)


WEIGHT_LABELS = {"untrained": "untrained (random) weights", "trained": "trained (long-dependency task)"}


def comparison(lp, tokens, present: bool) -> None:
    """SimpleRNN vs LSTM vs GRU: untrained (random) weights at the slider's w_h, or the three cells trained
    on the Train page's long-dependency task (shared with it: trained once per server)."""
    session.widget(st.radio, "lab_weights", "Compare the three cells with", options=list(state.LAB_WEIGHTS),
                   format_func=WEIGHT_LABELS.get, horizontal=True)
    if session.get("lab_weights") != "trained":
        st.plotly_chart(compare_figure(lp.spec, lp.w_h, present, tuple(tokens), lp.cells), width="stretch",
                        config=theme.PLOTLY_CONFIG, key="lab_compare")
        st.caption("**Untrained (random) weights**: seeded cells with W_hh = w_h·Q. Nothing has taught their "
                   "gates to keep anything yet, so an untrained LSTM or GRU can lose the past as fast as a "
                   "SimpleRNN. Pick *trained* to see what training does: **LSTM/GRU** is the lecture's fix "
                   "for both vanishing and exploding gradients.")
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


def clipping(lp, spec, clip: float) -> None:
    st.markdown("##### Gradient clipping")
    st.caption("The lecture's fix for exploding gradients.")
    helps = glossary.help_text("‖∂L/∂θ‖")
    if clip > 0:
        st.metric("‖∂L/∂θ‖ before clipping", lab.fmt_float(lp.clipped.pre_norm), help=helps)
        st.metric("‖∂L/∂θ‖ after clipping", lab.fmt_float(lp.clipped.post_norm),
                  "clipped" if lp.clipped.clipped else "below the threshold: unchanged",
                  delta_color="off", help=helps)
        st.caption(f"g ← g · min(1, {clip:g} / ‖g‖) over every weight of the {spec.cell} and the head, "
                   "for this sequence at this w_h. Clipping caps the step, not the vanishing.")
    else:
        st.metric("‖∂L/∂θ‖ (no clipping)", lab.fmt_float(lp.clipped.pre_norm), help=helps)
        st.caption("Set a clip threshold to see the gradient before and after clipping by global norm.")
    st.caption(lab.badge_vs_metric(lp.point, lp.clipped.pre_norm))


AT_WH = "lab_at_wh"  # computed on the server at the settled w_h (dimmed while the slider is elsewhere)


@st.fragment
def at_wh(spec: lab.LabSpec, tokens: list[str], values: tuple[float, ...]) -> None:
    """The parts computed on the server at the settled w_h: the exact w_h box, the three cells side by side,
    clipping. In the browser a settled slider (or a control here) reruns only this fragment."""
    if st.session_state.pop(TYPED, False):
        st.rerun()  # a typed w_h: the whole page, so that the chart is rebuilt around it
    present = session.present()
    w_h = float(session.get("wh"))
    frame = min(range(len(values)), key=lambda k: abs(values[k] - w_h)) + 1

    def settle(k: int) -> None:
        if 1 <= k <= len(values):
            session.set_value("wh", values[k - 1])

    frame_stepper(fig_lab.LAB_META, frame, len(values), key="lab_stepper", play=False, stale=[AT_WH],
                  on_settle=settle)
    with st.container(key=AT_WH):
        c = st.columns([1.3, 1.1, 3])
        with c[0]:
            exact_wh_input()
        with c[1]:
            session.widget(st.number_input, "clip", "Clip at (0 = off)", min_value=0.0, max_value=100.0,
                           step=0.5, format="%g")
        clip = float(session.get("clip"))
        lp = lab_point(spec, w_h, clip)  # exact, at the settled w_h (K = 1)
        c[2].caption(lab.ceiling_sentence(lp.point))
        left, right = (st.container(), st.container()) if present else st.columns([2, 1])
        with left:
            comparison(lp, tokens, present)
        with right:
            clipping(lp, spec, clip)
    session.sync_url()  # a fragment rerun skips the end of app.py, where the URL is normally written


def fixes(grid) -> None:
    """The lecture's fixes, each named with where this page (or another) shows it."""
    at_one = next(r.regime.name for r in fig_lab.wh_rows(grid) if abs(r.w_h - 1.0) < 1e-9)
    with session.folded("The lecture's fixes, and where to see them", icon="🛠️"):
        st.markdown(
            "**The lecture's fixes** — for vanishing: other activations, better initialisation, skip RNNs, "
            "LSTM; for exploding: gradient clipping, a controlled learning rate, LSTM.\n"
            "- **Gradient clipping** (exploding): the *Clip at* box above; it caps the size of the step, it "
            "does not bring back a vanished gradient.\n"
            "- **Controlled learning rate** (exploding): a smaller η takes smaller steps; page 5 (Train) "
            "runs η = 5 and η = 2 side by side.\n"
            "- **ReLU / leaky ReLU** (vanishing): *Activation* relu above. ReLU′ = 1 wherever a unit is on, "
            "so nothing saturates, but w_h > 1 then explodes. Leaky ReLU (a small slope below 0, so no unit "
            "is ever fully off) is not in rnnviz.\n"
            "- **Better (orthogonal / identity) initialisation** (both): W_hh = w_h·Q with Q orthogonal is "
            "such an initialisation at w_h = 1, the dotted line on the phase diagram: it stretches no "
            f"vector. On this input w_h = 1 is **{at_one}**.\n"
            "- **Skip connections (skip RNNs)** (vanishing): a shortcut from h<sub>t−k</sub> to "
            "h<sub>t</sub> lets the gradient jump k steps at once; not in rnnviz.\n"
            "- **LSTM / GRU** (both): the comparison above; pick *trained* to see their gates keep "
            "‖dh<sub>T</sub>/dh<sub>1</sub>‖ where the SimpleRNN's vanishes.", unsafe_allow_html=True)


@st.fragment
def gradient_lab(view) -> None:
    """The lab: in the browser a control change reruns only this fragment (the sweeps are cached); the w_h
    slider moves inside the chart without any rerun."""
    controls()
    settings = session.settings()
    present = session.present()
    spec = lab.lab_spec(settings, view.V, view.ids, view.label, session.custom_weights())
    tokens = tuple(lab.lab_tokens(spec, view.corpus.vocab.tokens))
    w_h = float(settings["wh"])
    exact = off_grid(w_h)
    frames = wh_frames(spec, exact, present, tokens)
    st.plotly_chart(wh_figure(spec, exact, present, tokens, w_h), width="stretch", config=theme.PLOTLY_CONFIG,
                    key="lab_wh")
    st.caption("Move **w_h** with the slider under the charts (or click the chart, then ← →): the curves, "
               "the bound, the verdict above them and your w_h on the phase diagram follow at once. Every "
               "value is exact for the grid w_h = 0, 0.05, …, 3; type any other w_h below.")
    settings_source(view, spec)
    grid = grid_sweep(spec)
    st.markdown(f"**On this input**: {lab.regime_summary(grid)}")
    at_wh(spec, list(tokens), tuple(frames.values))
    fixes(grid)


session.ensure_shell()
st.title("6 · Gradient lab")
glossary.glossary_popover(st)
session.intro("Going back one step multiplies the gradient by ∂hₜ/∂hₜ₋₁ = diag(f′(aₜ))·W_hhᵀ. Going back k "
              "steps multiplies k such factors, so ‖∂h_T/∂h_t‖ is **at most** (γ·w_h)ᵏ: a ceiling, not a "
              "forecast. With tanh, f′ ≤ 1 and it shrinks as w_h grows (the units saturate, f′ → 0), so "
              "**tanh alone never explodes here**. ReLU has f′ = 1 wherever a unit is on, so the ceiling is "
              "reached and w_h > 1 explodes: the lecture's point. Slide **w_h** (W_hh = w_h·Q, Q orthogonal: "
              "Q turns a vector without changing its length, so W_hh stretches every vector by exactly w_h; "
              "with hidden size 1 it is the lecture's scalar w_h) and watch.")
st.latex(r"\frac{\partial h_T}{\partial h_t} = \prod_{s=t+1}^{T}\frac{\partial h_s}{\partial h_{s-1}},\qquad"
         r"\frac{\partial h_s}{\partial h_{s-1}} = \mathrm{diag}\big(f'(a_s)\big)\,W_{hh}^{\top}")
st.latex(r"\Big\|\frac{\partial h_T}{\partial h_t}\Big\| \le (\gamma\, w_h)^{T-t},\qquad "
         r"\gamma = \max|f'| = 1 \text{ for tanh and ReLU (SimpleRNN)}")

view = session.model_or_stop()
if session.custom_weights() is not None:
    st.caption("The lab runs on your uploaded cell: its own W_hh is rescaled so that each gate block has "
               "spectral radius w_h (how much repeated multiplication stretches a vector in the long run; "
               "w_h = its current radius reproduces your weights). The other two "
               "cells in the side-by-side comparison are seeded ones with W_hh = w_h·Q.")
gradient_lab(view)
st.caption("**Generated input**: T words drawn at random (seeded by the sidebar's seed) from the corpus "
           "vocabulary; with ReLU only from the words that switch on the most units, so the input itself "
           "never turns them off. The loss is the many-to-one loss of page 4 with the sentence's label "
           "(y = 0 when there is none, as for a generated sequence). Norms are exact: each is the spectral "
           "norm (the most the product can stretch a vector), computed from logarithms so that 1e-300 "
           "stays 1e-300 instead of rounding to 0; 0 means exactly zero, and nothing is an overflowed ∞.")
