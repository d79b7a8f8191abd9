"""4 · Backprop through time: the lecture's many-to-one sentiment example, every gradient with its numbers,
one gradient-descent step at a time, and a finite-difference check beside the analytic gradient."""

import numpy as np
import pandas as pd
import streamlit as st

import rnnviz as rv
from rnnviz_app import equations as eq
from rnnviz_app import fig_bptt, glossary, lab, session, theme

STEPS_KEY = "bptt_steps"  # this page's own state: how many descent steps from the seeded weights
LABEL_KEY = "bptt_y"  # the label chosen here when the sentence has none
MAX_DESCENT_STEPS = 200
AUTO_CHECK_COST = 25_000  # time steps of forward passes: beyond this the check waits for a button
MODEL_KEYS = ("corpus", "sentence", "cell", "act", "hidden", "seed", "h0")
SENTIMENT = {1: "positive", 0: "negative"}
SHOWN_UNITS = 4  # entries of h_T and ∂L/∂w_o written out in the equations


def model_key() -> tuple:
    custom = session.custom_weights()
    return tuple((k, session.get(k)) for k in MODEL_KEYS), (custom.digest if custom else None)


@st.cache_resource(max_entries=32, show_spinner=False)
def descent(key: tuple, y: float, lr: float, n: int, _view):
    """The n + 1 examples along n steps w ← w − η∂L/∂w from the seeded weights, and the final cell/head."""
    return lab.descend(_view.cell, _view.head, _view.x, y, _view.h0, _view.c0, lr, n)


@st.cache_resource(max_entries=16, show_spinner="Checking every derivative with finite differences…")
def finite_differences(key: tuple, y: float, lr: float, n: int, _cell, _head, _view):
    check = rv.gradcheck(_cell, _view.x, _view.h0, _view.c0, loss=lab.many_to_one_loss(_head, y))
    h_T = _cell.forward(_view.x, _view.h0, _view.c0).h[-1]
    return lab.gradcheck_rows(check, lab.head_gradcheck(_head, h_T, y), _head.backward(h_T, y).grads)


def take_step() -> None:
    st.session_state[STEPS_KEY] = min(st.session_state.get(STEPS_KEY, 0) + 1, MAX_DESCENT_STEPS)


def reset_steps() -> None:
    st.session_state[STEPS_KEY] = 0


session.ensure_shell()
st.title("4 · Backprop through time")
glossary.glossary_popover(st)
st.markdown("The lecture's **many-to-one** example: the sentence runs through the cell, only the last state "
            "h_T feeds the output ŷ = σ(h_T·w_o + b_o), and the loss is the binary cross-entropy. "
            "Backpropagation through time (BPTT) sends ∂L/∂h_T back through every step, so each weight's "
            "gradient is a **sum over time steps**: δ₁ + δ₂ + … + δ_T.")

view = session.model_or_stop()
present = session.present()

# ---- the label y and the gradient-descent controls
c1, c2, c3 = st.columns([1.2, 1, 1.4])
with c1:
    if view.label is None:
        y = float(st.radio("This sentence has no label: choose y", options=[1, 0], horizontal=True,
                           key=LABEL_KEY, format_func=lambda v: f"y = {v} ({SENTIMENT[v]})"))
        st.caption("Add one in the corpus as “sentence | 1” or “sentence | 0”.")
    else:
        y = float(view.label)
        st.markdown(f"**Label from the corpus:** y = {int(y)} ({SENTIMENT[int(y)]})")
    st.markdown(f"**Sentence:** {session.escape_md(' '.join(view.tokens))}")
with c2:
    session.widget(st.number_input, "lr", "Learning rate η", min_value=1e-4, max_value=10.0, step=0.1,
                   format="%g")
    lr = float(session.get("lr"))
n = int(st.session_state.get(STEPS_KEY, 0))
with c3:
    st.button("One gradient-descent step", on_click=take_step, key="bptt_step",
              disabled=n >= MAX_DESCENT_STEPS, width="stretch", type="primary")
    st.button("Back to the initial (seeded) weights", on_click=reset_steps, key="bptt_reset",
              disabled=n == 0, width="stretch")
    st.caption(f"w ← w − η·∂L/∂w. Steps taken: **{n}** (replayed from the seeded weights with η = {lr:g}, "
               "so the view is reproducible).")

key = model_key()
examples, cell, head = descent(key, y, lr, n, view)
ex = examples[-1]
before = examples[-2] if n >= 1 else None

# ---- forward and loss, with numbers
m = st.columns(4)
m[0].metric("prediction ŷ", f"{ex.yhat:.4f}", None if before is None else f"{ex.yhat - before.yhat:+.4f}",
            delta_color="off")
m[1].metric("loss L", f"{ex.loss:.4f}", None if before is None else f"{ex.loss - before.loss:+.4f}",
            delta_color="inverse")
m[2].metric("∂L/∂ŷ", f"{ex.head.dL_dyhat:.4f}")
m[3].metric("‖∂L/∂θ‖ (all weights)", f"{lab.total_grad_norm(ex):.4g}", help=glossary.help_text("‖∂L/∂θ‖"))
if before is not None:
    lower = ex.loss < before.loss
    (st.success if lower else st.warning)(
        f"Step {n}: the loss went from {before.loss:.4f} to {ex.loss:.4f} and ŷ from {before.yhat:.4f} to "
        f"{ex.yhat:.4f} (label y = {y:g}).",
        icon=":material/trending_down:" if lower else ":material/trending_up:")

# ---- the chain back through time, and each gradient as a sum over time
factors = lab.state_factor_norms(cell, ex.trace)
st.plotly_chart(fig_bptt.chain_figure(ex, factors, view.tokens, present=present, lstm=cell.has_cell_state),
                width="stretch", config=theme.PLOTLY_CONFIG, key="bptt_chain")
st.caption("Orange, on each link: ‖∂hₜ/∂hₜ₋₁‖, the most that one step back can stretch the gradient (the "
           "matrix's largest stretch factor, its spectral norm). Below 1 at every step, the gradient shrinks "
           "on its way back (vanishing); above 1 it can grow (exploding). Blue, under each hₜ: how big "
           "∂L/∂hₜ is when it arrives there.")
if cell.has_cell_state:
    st.caption("For an LSTM the state is the pair [h; c], so a step's factor is the (2H × 2H) Jacobian "
               "∂[hₜ; cₜ]/∂[hₜ₋₁; cₜ₋₁]: the table of how much each of the 2H numbers of [hₜ; cₜ] moves when "
               "one number of [hₜ₋₁; cₜ₋₁] is nudged. The gradient also reaches c through the forget gates.")

names = [n_ for n_ in ("W_hh", "W_xh") if n_ in ex.grads.params]
st.plotly_chart(fig_bptt.contributions_figure(ex, view.tokens, names, present=present), width="stretch",
                config=theme.PLOTLY_CONFIG, key="bptt_contributions")
gaps = {name: lab.sum_gap(ex, name) for name in ex.grads.params}
st.caption("Σₜ δₜ equals the BPTT gradient entry by entry: max |Σₜ δₜ − ∂L/∂W| = "
           + ", ".join(f"{v:.1e} ({k})" for k, v in gaps.items()) + ". With one-hot inputs, δₜ(W_xh) only "
           "touches the row of the word read at step t.")
st.caption("Why bars of the *sum of the entries*? Each δₜ is a whole matrix and a bar needs one number; the "
           "sum of the entries is the one summary that adds up (Σ entries of δ₁ + … + Σ entries of δ_T = Σ "
           "entries of ∂L/∂W), so the bars end exactly at the total. Norms don't add up; they are in the "
           "hover and in the table below.")
if "W_hh" in names and not np.any(ex.trace.h0):
    st.caption("δ₁(W_hh) = 0 exactly: W_hh multiplies hₜ₋₁, so step t's term is hₜ₋₁ᵀ·(…), and at t = 1 "
               "that is h₀ = 0 (the lecture's O₀, zeros). W_xh's δ₁ is not zero: it multiplies the first "
               "word's one-hot x₁.")

# ---- the same numbers, in the lecture's equations
st.markdown("##### The same numbers in the lecture's equations")
h_T = ex.trace.h[-1]
st.latex(rf"\hat y = \sigma(h_T w_o + b_o) = \sigma({ex.head.logit:.4f}) = {ex.yhat:.4f}")
st.latex(rf"L = -y\log\hat y - (1-y)\log(1-\hat y) = -{y:g}\log({ex.yhat:.4f}) "
         rf"- {1 - y:g}\log({1 - ex.yhat:.4f}) = {ex.loss:.4f}")
st.latex(rf"\frac{{\partial L}}{{\partial \hat y}} = -\frac{{y}}{{\hat y}} + \frac{{1-y}}{{1-\hat y}} = "
         rf"{ex.head.dL_dyhat:.4f}")
dwo = r",\ ".join(f"{v:.4f}" for v in ex.head.grads["w_o"][:SHOWN_UNITS])
more = r",\ \dots" if view.H > SHOWN_UNITS else ""
hT = r",\ ".join(f"{v:.3f}" for v in h_T[:SHOWN_UNITS])
st.latex(rf"\frac{{\partial L}}{{\partial w_o}} = \frac{{\partial L}}{{\partial \hat y}}"
         rf"\frac{{\partial \hat y}}{{\partial w_o}} = (\hat y - y)\,h_T = {ex.head.dL_dz:.4f}\cdot"
         rf"[{hT}{more}]")
st.latex(rf"\frac{{\partial L}}{{\partial w_o}} = [{dwo}{more}]")
st.latex(rf"\frac{{\partial L}}{{\partial W_{{hh}}}} = \sum_{{t=1}}^{{T}} "
         rf"\frac{{\partial L}}{{\partial \hat y}}\frac{{\partial \hat y}}{{\partial h_T}}"
         rf"\frac{{\partial h_T}}{{\partial h_t}}\frac{{\partial h_t}}{{\partial W_{{hh}}}} = "
         rf"\delta_1 + \dots + \delta_{{{view.T}}}")
if view.H > SHOWN_UNITS:
    st.caption(f"Vectors show their first {SHOWN_UNITS} of {view.H} units; the table below has all of them.")

with st.expander("Every step in numbers (the table behind both figures)", expanded=False):
    st.dataframe(pd.DataFrame(lab.per_step_rows(ex, factors, view.tokens, names)), hide_index=True,
                 width="stretch")
    for name, g in ex.grads.params.items():
        st.markdown(f"**∂L/∂{name}** ({'×'.join(map(str, g.shape))})")
        st.dataframe(pd.DataFrame(np.atleast_2d(g)), width="stretch")

if n >= 1:
    st.plotly_chart(fig_bptt.descent_figure(examples, present=present), width="stretch",
                    config=theme.PLOTLY_CONFIG, key="bptt_descent")

# ---- finite differences
st.subheader("Is the analytic gradient right? Finite differences")
st.markdown("Each number θ is nudged both ways and the loss recomputed: "
            "(L(θ + ε) − L(θ − ε)) / 2ε with ε = 10⁻⁶, beside the BPTT value.")
cost = lab.gradcheck_cost(cell, view.T)
# Automatic only at the seeded weights: after each descent step the weights are new, so every click
# recomputed it (a third of the server's CPU with 30 students in the load test); on request there.
run = (n == 0 and cost <= AUTO_CHECK_COST) or st.button(
    f"Run the finite-difference check ({cost:,} forward time steps)", key="bptt_run_check")
if run:
    rows = finite_differences(key, y, lr, n, cell, head, view)
    ok = all(r["agrees"].startswith("✓") for r in rows)
    verdict = eq.gradcheck_verdict(rows, lab.GRADCHECK_REL_TOL, lab.GRADCHECK_ABS_TOL)  # which test passed
    if ok:
        st.success(verdict, icon=":material/check_circle:")
    else:
        st.error(verdict if verdict.startswith("Some") else "Some derivatives disagree with finite "
                 "differences (see the table).", icon=":material/error:")
    table = pd.DataFrame(rows)
    st.dataframe(table.style.format({"‖analytic‖": "{:.3e}", "relative error": "{:.1e}",
                                     "max |analytic − numeric|": "{:.1e}"}), hide_index=True, width="stretch")
    st.caption("A relative error near 1 can appear for a gradient that is itself tiny (≈ 1e-9, e.g. h₀ after "
               "many steps — vanishing!): there the absolute error, at float noise, is what counts.")
