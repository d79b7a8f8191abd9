"""1 · Text to numbers: tokens → vocabulary → integer ids → one-hot matrices → the padded batch Keras wants,
and a dense embedding beside the sparse one-hot vectors."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import rnnviz as rv
from rnnviz_app import equations as eq
from rnnviz_app import fig_encoding as fe
from rnnviz_app import glossary, session, state, theme


@st.cache_resource(max_entries=64, show_spinner=False)
def text_figures(key: tuple, present: bool, _view) -> dict:
    """The one-hot and padded-batch figures (they depend on the corpus, sentence and padding only)."""
    view = _view
    corpus = view.corpus
    pb = fe.padded_batch(corpus, view.settings["padding"], fe.batch_rows(len(corpus), view.index))
    return {"one_hot": fe.one_hot_figure(view.x, view.tokens, view.ids, corpus.vocab, present),
            "batch": fe.padded_batch_figure(pb, corpus, view.index, present), "rows": pb.rows}


@st.cache_resource(max_entries=64, show_spinner=False)
def embedding_figure(key: tuple, emb_dim: int, seed: int, present: bool, _view):
    E = rv.embedding_matrix(_view.V, emb_dim, seed=seed)
    return fe.embedding_figure(E, _view.ids, _view.tokens, _view.corpus.vocab, present)


session.ensure_shell()
present = session.present()
st.title("Text to numbers")
glossary.glossary_popover(st)
session.intro("A network only reads numbers. Here is every step from your sentences to the array a Keras "
              "`SimpleRNN` is fed — shape **(batch, timesteps, features)**.")
view = session.model_or_stop()
corpus = view.corpus
TEXT_KEYS = ("corpus", "sentence", "padding")
# an uploaded vocabulary (page 6) changes the ids of the same corpus: its digest is part of the key
text_key = (*(session.get(k) for k in TEXT_KEYS), getattr(session.custom_weights(), "digest", None))
figs = text_figures(text_key, present, view)

with session.folded("1–2 · Tokens, vocabulary and integer ids"):
    # --- 1. tokens
    st.subheader("1 · Split the sentence into tokens")
    st.caption("Lower-case words (letters and digits; “don't” stays one word). Punctuation and emoji "
               "separate words and are dropped.")
    st.markdown("**The sentence you typed:**")
    st.text(eq.shorten(corpus.sentences[view.index], 300))
    tokens_df = pd.DataFrame([list(view.tokens), [str(i) for i in view.ids]], index=["token", "id"],
                             columns=[f"t={t + 1}" for t in range(view.T)])
    st.dataframe(tokens_df, key="tokens_table")

    # --- 2. vocabulary and integer encoding
    st.subheader("2 · Vocabulary and integer encoding")
    st.markdown(f"Every **different** word of the corpus gets an id, in order of first appearance: "
                f"**V = {view.V}** words. A sentence becomes the list of its words' ids.")
    left, right = st.columns([2, 3])
    with left:
        st.markdown("**Vocabulary** (word → id → one-hot vector)")
        st.dataframe(fe.vocab_table(corpus.vocab), hide_index=True, key="vocab_table",
                     height=min(35 * (view.V + 1) + 3, 400))
    with right:
        st.markdown("**Integer-encoded sentences**")
        st.dataframe(fe.encoded_table(corpus), hide_index=True, key="encoded_table",
                     height=min(35 * (len(corpus) + 1) + 3, 400))

# --- 3. one-hot matrix of the sentence
st.subheader("3 · One-hot vectors: the sentence as a T × V matrix")
st.markdown(f"Each word becomes a row of V = {view.V} numbers: a single **1** in the column of its id, "
            f"zeros elsewhere. The sentence is a **{view.T} × {view.V}** matrix — the input x of the "
            "network, one row per time step.")
st.plotly_chart(figs["one_hot"], width="stretch", config=theme.PLOTLY_CONFIG, key="one_hot_chart")
note = fe.columns_note(view.V, fe.shown_columns(view.V, view.ids))
if note:
    st.caption(f"ℹ️ {note}")

# --- 4. padded batch
st.subheader("4 · Padding: one batch of equal-length sentences")
lengths = [len(t) for t in corpus.tokens]
B, T_max = len(corpus), corpus.t_max
st.markdown(f"Keras stacks the sentences into one array, so every sentence is padded with **all-zero rows** "
            f"to the longest one, T_max = {T_max}: shape **({B}, {T_max}, {view.V})** = (batch, timesteps, "
            "features). *post* adds the zeros after the words, *pre* before them.")
session.widget(st.radio, "padding", "Padding", options=list(state.PADDINGS), horizontal=True)
st.plotly_chart(figs["batch"], width="stretch", config=theme.PLOTLY_CONFIG, key="batch_chart")
shown = figs["rows"]
padding_rows = B * T_max - sum(lengths)
st.caption(f"Grey rows are padding (all zeros): {padding_rows} of the batch's {B * T_max} time steps. "
           + (f"Drawn: sentences {shown[0] + 1}–{shown[-1] + 1} of {B} (the one you inspect and its "
              "neighbours). " if len(shown) < B else "")
           + (fe.columns_note(view.V, fe.shown_columns(view.V, [j for i in shown for j in corpus.ids(i)]))
              or ""))

# --- 5. dense embedding
st.subheader("5 · Sparse one-hot vs dense embedding")
d = session.widget(st.slider, "emb_dim", "Embedding size d", min_value=1, max_value=16)
sparse, dense = st.columns(2)
with sparse:
    st.markdown(f"**One-hot (sparse):** V = {view.V} numbers per word, **{view.V - 1} of them zero** "
                f"({(view.V - 1) / view.V:.0%}). Grows with the vocabulary; says nothing about meaning: "
                "every two words are equally far apart.")
with dense:
    st.markdown(f"**Embedding (dense):** d = {d} numbers per word, **none of them zero**. Row *id* of a "
                f"matrix E ({view.V} × {d}) — x<sub>t</sub> = E[id], a table look-up. Trained, similar words "
                "get similar rows (word2vec, GloVe); here E is seeded random, as before training.",
                unsafe_allow_html=True)
st.plotly_chart(embedding_figure(text_key, d, session.get("seed"), present, view), width="stretch",
                config=theme.PLOTLY_CONFIG, key="embedding_chart")
st.caption("The other pages feed the network the one-hot rows (so that x_t · W_xh picks a row of W_xh); an "
           "Embedding layer would feed it these d-number rows instead.")
