"""5 · Train: train the network on the labelled sentences and watch the loss fall, see the lecture's fixes
for exploding gradients work, run the long-dependency experiment, and use trained weights on every page."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz import longdep
from rnnviz_app import export, glossary, session, state, theme
from rnnviz_app import fig_train as ft
from rnnviz_app import train_view as tv

JOB_KEY = "_train_job"  # the background job of this session (one at a time)
OUTCOME_KEY = "_train_outcome"  # the last training run of this session (kept when settings change)
CSV_NOTES_KEY = "_train_csv_notes"  # (file name, messages) of the last CSV upload
CSV_NONCE_KEY = "_train_csv_nonce"
ERROR_KEY = "_train_error"
LONGDEP = longdep.LongDepConfig()
FIX_LABEL = {"adam": "Adam", "sgd": "SGD"}


def store() -> tv.ResultStore:
    """Finished runs of every session on this server, keyed by their settings (shared with the lab)."""
    return session.result_store()


def chart(fig, key: str) -> None:
    st.plotly_chart(fig, width="stretch", config=theme.PLOTLY_CONFIG, key=key)


def running() -> tv.Job | None:
    job = st.session_state.get(JOB_KEY)
    return job if isinstance(job, tv.Job) else None


# --------------------------------------------------------------------------- callbacks


def load_data(key: str) -> None:
    session.set_value("corpus", tv.DATA_PRESETS[key][1])
    session.set_value("sentence", 1)


def table_changed(key: str, rows: list[dict]) -> None:
    """The table was edited: the edits become the corpus (the sidebar shows the same sentences)."""
    session.set_value("corpus", tv.rows_corpus(tv.apply_edits(rows, st.session_state[key])))


def csv_uploaded() -> None:
    file = st.session_state.get(csv_key())
    if file is None:
        return
    rows, problems = tv.parse_csv(file.getvalue())
    st.session_state[CSV_NOTES_KEY] = (file.name, problems, len(rows))
    if rows:
        session.set_value("corpus", tv.rows_corpus(rows))
        session.set_value("sentence", 1)
    st.session_state[CSV_NONCE_KEY] = st.session_state.get(CSV_NONCE_KEY, 0) + 1  # an empty uploader again


def csv_key() -> str:
    return f"train_csv_{st.session_state.get(CSV_NONCE_KEY, 0)}"


def start(kind: str, specs: tuple = (), config: longdep.LongDepConfig | None = None) -> None:
    if running() is not None:
        return
    st.session_state.pop(ERROR_KEY, None)
    job = tv.longdep_job(config, store()) if kind == "longdep" else tv.train_job(specs, store(), kind)
    st.session_state[JOB_KEY] = job.start()


def stop() -> None:
    job = running()
    if job is not None:
        job.stop()


def use_weights(outcome: tv.TrainOutcome) -> None:
    st.session_state[session.CUSTOM_KEY] = tv.custom_weights(outcome, outcome.spec.vocab)


def load_fix(fix: tv.Fix) -> None:
    spec = tv.fix_spec(fix)
    load_data(tv.FIX_DATA)
    for field, value in (("train_cell", spec.cell), ("train_act", spec.act), ("train_hidden", spec.hidden),
                         ("train_seed", spec.seed), ("train_opt", spec.optimizer), ("train_lr", spec.lr),
                         ("train_epochs", spec.epochs), ("train_batch", spec.batch),
                         ("train_clip", spec.clip)):
        session.set_value(field, value)


def collect() -> None:
    """A finished job: its result becomes the page's (every run shows on the next page run)."""
    job = running()
    if job is None or not job.done:
        return
    st.session_state.pop(JOB_KEY, None)
    if job.error is not None:
        st.session_state[ERROR_KEY] = f"{type(job.error).__name__}: {job.error}"
    elif job.kind == "train" and job.result:
        st.session_state[OUTCOME_KEY] = job.result[-1]


# --------------------------------------------------------------------------- live progress


@st.fragment(run_every=0.5)
def live() -> None:
    """While a job runs: a progress bar, the loss so far (redrawn in place) and Stop. Only this fragment
    reruns every half second; when the job is done the whole page reruns to show the results."""
    job = running()
    if job is None or job.done:
        st.rerun()
    p = job.progress
    with st.container(border=True):
        if job.kind == "longdep":
            done, total = p.get("done", 0), len(LONGDEP.ks) * len(LONGDEP.kinds)
            st.progress(done / total, text=f"Long-dependency experiment: {done} of {total} networks trained "
                        f"· {job.seconds:.0f} s" + (" · stopping…" if job.stopping() else ""))
        elif p:
            spec = p["spec"]
            what = f"run {p['run'] + 1} of {p['runs']} · " if p["runs"] > 1 else ""
            st.progress(p["epoch"] / p["epochs"],
                        text=f"Training {what}{spec.label}: epoch {p['epoch']} of {p['epochs']} · loss "
                             f"{p['loss'][-1]:.4f} · {job.seconds:.1f} s"
                             + (" · stopping…" if job.stopping() else ""))
            chart(ft.loss_figure(p["loss"], p["accuracy"], epochs=p["epochs"], initial_loss=float("nan"),
                                 initial_accuracy=float("nan"), present=session.present(),
                                 title="Loss and accuracy so far"), "train_live_loss")
        else:
            st.progress(0.0, text="Starting…")
        st.button("Stop", key="train_stop", on_click=stop, icon="⏹️", disabled=job.stopping())


# --------------------------------------------------------------------------- sections


def data_section() -> None:
    st.subheader("The data: your labelled sentences")
    st.markdown("The table is the corpus of the sidebar (one row per sentence, label 1 or 0): edit it here "
                "or there. Sentences without a label are shown on the other pages but not used for training.")
    cols = st.columns(len(tv.DATA_PRESETS))
    for col, (key, (label, _)) in zip(cols, tv.DATA_PRESETS.items(), strict=True):
        col.button(label, key=f"train_data_{key}", on_click=load_data, args=(key,), width="stretch")
    rows = tv.corpus_rows(session.get("corpus"))
    digest = hashlib.sha256(session.get("corpus").encode()).hexdigest()[:10]
    key = f"train_table_{digest}"  # a new table whenever the corpus changes, here or in the sidebar
    frame = pd.DataFrame(rows, columns=["sentence", "label"])
    st.data_editor(frame, key=key, num_rows="dynamic", width="stretch", hide_index=True,
                   on_change=table_changed, args=(key, rows), height=min(38 + 35 * (len(rows) + 1), 320),
                   column_config={"sentence": st.column_config.TextColumn("sentence", width="large"),
                                  "label": st.column_config.SelectboxColumn("label", options=["1", "0"],
                                                                            width="small")})
    left, right = st.columns(2)
    with left:
        st.file_uploader("Upload a CSV (columns sentence, label)", type=["csv"], key=csv_key(),
                         on_change=csv_uploaded)
    with right:
        st.download_button("Download the table as CSV", data=tv.rows_csv(rows), file_name="rnnviz-data.csv",
                           mime="text/csv", key="train_csv_download", on_click="ignore")
    notes = st.session_state.get(CSV_NOTES_KEY)
    if notes:
        name, problems, kept = notes
        if problems:
            head = (f"**{session.escape_md(name)}**: {kept} row{'s' if kept != 1 else ''} loaded; "
                    f"{len(problems)} left out:")
            st.warning("\n".join([head, *[f"- {session.escape_md(p)}" for p in problems[:12]]])
                       + (f"\n- … and {len(problems) - 12} more" if len(problems) > 12 else ""), icon="📄")
        else:
            st.success(f"**{session.escape_md(name)}**: {kept} rows loaded.", icon="📄")
    for note in tv.row_problems(rows)[:8]:
        st.caption(f"ℹ️ {session.escape_md(note)}")


def controls(spec_words: int, n_sentences: int) -> None:
    st.subheader("The network and how it learns")
    c = st.columns([1.5, 1.1, 1.2, 1.0])
    with c[0]:
        session.widget(st.radio, "train_cell", options=list(state.CELLS), horizontal=True)
        if session.get("train_cell") == "SimpleRNN":
            session.widget(st.radio, "train_act", "Activation", options=list(state.ACTIVATIONS),
                           horizontal=True)
        st.caption("Lecture fixes: an **LSTM** or **GRU** instead of a SimpleRNN; a **different "
                   "activation**.")
    with c[1]:
        session.widget(st.slider, "train_hidden", min_value=1, max_value=state.MAX_HIDDEN)
        session.widget(st.number_input, "train_seed", min_value=0, max_value=state.MAX_SEED, step=1)
        st.caption("Initial weights: Keras' **initialisation** (Glorot, orthogonal W_hh) from the seed.")
    with c[2]:
        session.widget(st.radio, "train_opt", options=list(state.TRAIN_OPTIMIZERS), horizontal=True,
                       format_func=lambda o: {"sgd": "SGD: w ← w − η∂L/∂w", "adam": "Adam"}[o])
        session.widget(st.number_input, "train_lr", min_value=1e-4, max_value=10.0, step=0.01, format="%g")
        st.caption("Lecture fix: a **controlled learning rate** η.")
    with c[3]:
        session.widget(st.slider, "train_epochs", min_value=1, max_value=tv.epoch_cap(spec_words))
        session.widget(st.number_input, "train_batch", min_value=0, max_value=max(n_sentences, 1), step=1)
        session.widget(st.number_input, "train_clip", min_value=0.0, max_value=100.0, step=0.5, format="%g")
        st.caption("Lecture fix: **gradient clipping** g ← g·min(1, c/‖g‖).")
    st.caption(f"⏱️ {tv.limits_text(spec_words)}")


def results(outcome: tv.TrainOutcome, spec: tv.TrainSpec | None) -> None:
    h = outcome.history
    present = session.present()
    st.subheader("What training did")
    if spec is not None and outcome.spec != spec:
        st.info("These are the results of your last run; the settings or data have changed since. Press "
                "**Train** to train with the current ones.", icon="🔁")
    if h.diverged_at is not None:
        st.error(tv.divergence_text(outcome), icon="💥")
    else:
        acc = h.accuracy[-1]
        st.success(f"{tv.STOP_TEXT[outcome.stop].capitalize()} after {h.epochs_run} of {outcome.spec.epochs} "
                   f"epochs ({outcome.seconds:.1f} s): loss {h.initial_loss:.4f} → {h.loss[-1]:.4f}, "
                   f"training accuracy {h.initial_accuracy:.0%} → {acc:.0%}.", icon="✅")
    st.caption(f"Run: {session.escape_md(outcome.spec.label)} on {len(outcome.spec.sentences)} labelled "
               "sentences.")
    chart(ft.loss_figure(h.loss, h.accuracy, epochs=outcome.spec.epochs, initial_loss=h.initial_loss,
                         initial_accuracy=h.initial_accuracy, diverged_at=h.diverged_at, present=present),
          "train_loss")
    left, right = (st.container(), st.container()) if present else st.columns([1.1, 1])
    with left:
        st.markdown("**Predictions after training** (ŷ ≥ 0.5 means label 1)")
        st.dataframe(pd.DataFrame(outcome.predictions()), hide_index=True, width="stretch",
                     column_config={"ŷ": st.column_config.NumberColumn(format="%.3f")}, key="train_preds")
    with right:
        chart(ft.grad_norm_figure(h.grad_norm, h.clipped, outcome.spec.clip, diverged_at=h.diverged_at,
                                  present=present), "train_gradnorm")
        clipped = int(h.clipped.sum())
        if outcome.spec.clip > 0:
            st.caption(f"Clipping acted in {clipped} of {h.epochs_run} epochs: their gradient was scaled "
                       f"down to norm {outcome.spec.clip:g} before the step.")
    weights_and_states(outcome)
    c1, c2 = st.columns(2)
    c1.button("Use these trained weights on every page", type="primary", key="train_use_weights",
              on_click=use_weights, args=(outcome,), icon="📦", width="stretch")
    c2.download_button("Download them (.npz, loads on page 7)", width="stretch",
                       data=lambda: export.weights_to_npz(outcome.result.cell, outcome.result.head,
                                                          outcome.spec.vocab),
                       file_name=f"rnnviz-trained-{outcome.spec.key()}.npz", mime="application/octet-stream",
                       key="train_npz", on_click="ignore")
    custom = session.custom_weights()
    if custom is not None and custom.digest == tv.custom_weights(outcome, outcome.spec.vocab).digest:
        st.success("Every page now runs on these trained weights (see the badge in the sidebar; its Reset "
                   "button goes back to the seeded, untrained network).", icon="📦")


def weights_and_states(outcome: tv.TrainOutcome) -> None:
    h, present = outcome.history, session.present()
    epochs = outcome.snapshot_epochs()
    if not epochs:
        return
    run_id = (outcome.spec, h.epochs_run, outcome.stop)
    stale = st.session_state.get("train_epoch_view") not in epochs
    if stale or st.session_state.get("_train_view_run") != run_id:
        st.session_state["train_epoch_view"] = epochs[-1]  # a new run (or a stale value): its last epoch
        st.session_state["_train_view_run"] = run_id
    epoch = st.select_slider("Weights at epoch", options=epochs, key="train_epoch_view")
    snaps = h.snapshots
    zmax = max(float(np.max(np.abs(snaps[e][k]))) for e in epochs for k in ("W_xh", "W_hh", "w_o"))
    chart(ft.weights_figure(snaps[epoch], outcome.start_cell, outcome.spec.vocab, epoch, zmax, present),
          "train_weights")
    sentences = [" ".join(s) for s in outcome.spec.sentences]
    if st.session_state.get("train_sentence") not in range(len(sentences)):
        st.session_state["train_sentence"] = 0
    i = st.selectbox("Sentence for the hidden states", options=range(len(sentences)), key="train_sentence",
                     format_func=lambda j: f"{j + 1}. {sentences[j][:60]}")
    x = outcome.spec.inputs()[i]
    last = epochs[-1]
    before = outcome.start_cell.forward(x)
    after = outcome.snapshot_cell(last)[0].forward(x)
    chart(ft.hidden_figure(before, after, outcome.spec.sentences[i], last, present), "train_hidden_states")


def fixes_section() -> None:
    st.subheader("The lecture's fixes for exploding gradients, shown working")
    base = tv.FIX_BASE
    st.markdown(f"The same data (the {len(tv.fix_spec(tv.FIXES[0]).sentences)} generated reviews) and the "
                f"same network — a SimpleRNN with ReLU, H = {base['hidden']}, {FIX_LABEL[base['optimizer']]} "
                f"with η = {base['lr']:g}, {base['epochs']} epochs — then one change at a time:")
    specs = tuple(tv.fix_spec(f) for f in tv.FIXES)
    outcomes = [store().get(s) for s in specs]
    rows = []
    for fix, outcome in zip(tv.FIXES, outcomes, strict=True):
        result = "not run yet"
        if outcome is not None:
            h = outcome.history
            result = (f"diverged at epoch {h.diverged_at} (‖∂L/∂θ‖ = ∞)" if h.diverged_at else
                      f"loss {h.loss[-1]:.3f} · {h.accuracy[-1]:.0%} right · ‖∂L/∂θ‖ ≤ "
                      f"{np.max(h.grad_norm):.3g}")
        rows.append({"run": fix.short, "in the lecture": fix.lecture, "result": result})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="train_fixes_table",
                 column_config={"run": st.column_config.TextColumn(width="small"),
                                "in the lecture": st.column_config.TextColumn(width="medium"),
                                "result": st.column_config.TextColumn(width="large")})
    if all(o is not None for o in outcomes):
        chart(ft.fixes_figure([(f.short, o.history) for f, o in zip(tv.FIXES, outcomes, strict=True)],
                              session.present()), "train_fixes")
        st.caption("ReLU is not bounded, so with η = 5 the weights and the gradient grow until they overflow "
                   "(the lecture's exploding gradient). Clipping caps every step and the same run converges; "
                   "so does a smaller η. tanh is bounded, so its gradient cannot explode — but η = 5 is too "
                   "large for it to learn well. An LSTM's gates keep the gradient in range.")
    else:
        st.button("Run the five experiments", key="train_run_fixes", on_click=start, args=("fixes", specs),
                  disabled=running() is not None, icon="🧪")
    cols = st.columns(len(tv.FIXES))
    for col, fix in zip(cols, tv.FIXES, strict=True):
        col.button(f"Load: {fix.short}", key=f"train_load_{fix.key}", on_click=load_fix,
                   args=(fix,), width="stretch",
                   help="Put this run's data and settings into the controls above")


def longdep_section() -> None:
    st.subheader("The long-dependency experiment")
    cfg = LONGDEP
    st.markdown(
        f"The lecture's “**Maharashtra** is a beautiful place. I went there last year, but I could not enjoy "
        f"because I do not understand … [**Marathi**]”: the answer depends on the **first** word. Here the "
        f"first word is a place (maharashtra, mumbai, pune → label 1; punjab, kerala, gujarat → 0) and **k** "
        f"words of the lecture's sentence follow at random. A SimpleRNN, an LSTM and a GRU are trained on "
        f"the same {cfg.n_train} sentences with the same hidden size ({cfg.hidden}) and budget (Adam η = "
        f"{cfg.lr:g}, {cfg.epochs} epochs; the GRU's update gate, like the LSTM's forget gate, starts at "
        f"bias 1), for k = {', '.join(map(str, cfg.ks))}, and tested on {cfg.n_test} new sentences.")
    sweep = tv.stored_sweep(cfg, store())
    seconds = store().get(("longdep seconds", cfg))
    if sweep is None:
        st.button(f"Run the experiment ({len(cfg.ks) * len(cfg.kinds)} trainings, about 10–30 s the first "
                  "time; cached after)", key="train_run_longdep", on_click=start, args=("longdep",),
                  kwargs={"config": cfg}, disabled=running() is not None, icon="🧪")
        return
    present = session.present()
    chart(ft.longdep_accuracy_figure(sweep, present), "train_longdep_acc")
    acc = {kind: sweep.accuracy[i, -1] for i, kind in enumerate(sweep.kinds)}
    k_max = max(cfg.ks)
    st.markdown(f"At k = {k_max}: SimpleRNN **{acc['SimpleRNN']:.0%}** right (chance is 50%), LSTM "
                f"**{acc['LSTM']:.0%}**, GRU **{acc['GRU']:.0%}**."
                + (f" The experiment took {seconds:.0f} s on this server the first time." if seconds else ""))
    k = session.widget(st.select_slider, "train_k", "k for the gradients below", options=list(cfg.ks))
    ids, y = longdep.make_task(k, 1, cfg.seed + 2000)
    words = longdep.vocabulary().tokens
    tokens = [words[i] for i in ids[0]]
    flows = [longdep.gradient_flow(sweep.run(kind, k), tokens, float(y[0])) for kind in cfg.kinds]
    chart(ft.flow_figure(flows, present), "train_longdep_flow")
    ratio = ", ".join(f"{f.kind} {f.reaching_first:.1e}" for f in flows)
    st.caption(f"Exact BPTT of each trained model on a new sentence (label {int(y[0])}). ‖∂L/∂h₁‖ / "
               f"‖∂L/∂h_T‖: {ratio}. A trained model that is sure of its answer has a small loss and small "
               "gradients everywhere; what decides whether it learned is the accuracy above.")
    lecture = longdep.MAHARASHTRA_TEXT
    other = lecture.replace("Maharashtra", "Punjab")
    rows = []
    for kind in cfg.kinds:
        p = longdep.predictions(sweep.run(kind, k), [lecture, other])
        rows.append({f"network (trained with k = {k})": kind, "ŷ “Maharashtra …” (label 1)": float(p[0]),
                     "ŷ “Punjab …” (label 0)": float(p[1]),
                     "both right?": "✓" if p[0] >= 0.5 > p[1] else "✗"})
    st.markdown("**The lecture's sentence** (19 words after the place):")
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="train_longdep_lecture",
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in list(rows[0])[1:3]})


# --------------------------------------------------------------------------- the page

session.ensure_shell()
collect()
st.title("5 · Train")
glossary.glossary_popover(st)
session.intro("Until now every page ran a network with **seeded random (untrained) weights**. Here it "
              "learns: every epoch runs the exact BPTT of page 4 on every labelled sentence and takes a step "
              "w ← w − η ∂L/∂w (SGD, as in the lecture) or an Adam step. Then use the trained weights on "
              "every page.")
job = running()
first = st.container()  # on a projector: Train, its progress and its results come first
with session.folded("The data: your labelled sentences", icon="📋"):
    data_section()
spec, corpus = tv.spec_from(session.settings(), session.get("corpus"))
labelled = len(spec.sentences) if spec is not None else 0
controls(spec.words if spec is not None else 1, labelled)
with first if session.present() else st.container():
    if spec is None:
        st.info("Training needs at least two sentences with a label (1 or 0): add them to the table, or "
                "load one of the data sets.", icon="✍️")
    cached = store().get(spec) if spec is not None else None
    b1, b2 = st.columns([1, 3])
    b1.button("Train", type="primary", key="train_start", on_click=start, args=("train", (spec,)),
              disabled=spec is None or job is not None, icon="🏋️", width="stretch")
    last = st.session_state.get(OUTCOME_KEY)
    if cached is not None and job is None and (last is None or last.spec != spec):
        b2.caption("These settings were trained before on this server: the result is shown at once "
                   "(cached).")
    if st.session_state.get(ERROR_KEY):
        st.error(f"Training failed: {session.escape_md(st.session_state[ERROR_KEY])}", icon="🧯")
    if job is not None:
        live()
    outcome = st.session_state.get(OUTCOME_KEY)
    if cached is not None and (outcome is None or outcome.spec != spec):
        outcome = cached
    if isinstance(outcome, tv.TrainOutcome):
        results(outcome, spec)
st.divider()
fixes_section()
st.divider()
longdep_section()
