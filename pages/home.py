"""Start here: what rnnviz is, a guided tour of the pages, and the lecture's "why not an ANN?" argument
computed live for the corpus in the sidebar."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rnnviz_app import equations as eq
from rnnviz_app import fig_encoding as fe
from rnnviz_app import glossary, session, theme

TOUR = (
    ("pages/encoding.py", "1 · Text to numbers", "🔤",
     "your sentences become a vocabulary, integer ids, one-hot vectors and the padded (batch, timesteps, "
     "features) array; a dense embedding beside them."),
    ("pages/forward.py", "2 · Forward through time", "➡️",
     "the network unrolled over your sentence: step or play word by word, every equation with its real "
     "numbers, the hidden states and the parameter count."),
    ("pages/gates.py", "3 · Gates", "🚪",
     "how an LSTM or GRU decides, with gates between 0 and 1, what to forget, what to write and what to "
     "show."),
    ("pages/bptt.py", "4 · Backprop through time", "⬅️",
     "the loss flows back through the same steps: every gradient term, and one training step."),
    ("pages/train.py", "5 · Train", "🏋️",
     "train the network on your labelled sentences, watch the loss fall, see the lecture's fixes work and "
     "the long-dependency experiment; then use the trained weights on every page."),
    ("pages/lab.py", "6 · Gradient lab", "🧪",
     "slide the recurrent weight w_h and watch gradients vanish or explode over many steps."),
    ("pages/weights.py", "7 · Your own weights", "📦",
     "upload a layer you trained in PyTorch or Keras and every page runs on it."),
    ("pages/types.py", "8 · RNN types", "🔀",
     "one-to-many, many-to-many, encoder–decoder, bidirectional and deep networks, drawn on your sentence."),
)

session.ensure_shell()
present = session.present()
st.title("rnnviz")
glossary.glossary_popover(st)  # the notes' O_t, w_i, w_h ↔ h_t, W_xh, W_hh
st.markdown("#### Watch a recurrent neural network read a sentence, one word at a time.")
session.intro("Type sentences in the sidebar and follow them all the way: words → numbers → an RNN, LSTM or "
            "GRU unrolled over time → a prediction, and back again with the gradients. **Every number on "
            "every page is computed by a real network** (NumPy), for exactly what you typed — nothing is "
              "drawn by hand. The sidebar settings are shared by all pages, and the address bar always holds "
              "a link to exactly what is on screen.")

with session.folded("A guided tour of the pages", icon="🧭"):
    st.subheader("A guided tour")
    for row in (TOUR[:4], TOUR[4:]):
        for col, (path, title, icon, what) in zip(st.columns(4), row, strict=True):
            with col.container(border=True, height="stretch"):
                st.page_link(path, label=title, icon=icon)
                st.markdown(what)

view = session.model_or_stop()
corpus = view.corpus
lengths = [len(t) for t in corpus.tokens]
cmp = eq.ann_vs_rnn(lengths, view.V, view.H, view.cell.kind, view.cell.num_params())

# ---- the lecture's opening: which network for which data, why order matters, what RNNs cost
with session.folded("Which network for which data, and what RNNs cost", icon="🧩"):
    st.subheader("Sequences need a network that reads in order")
    kinds = st.columns(3)
    kinds[0].markdown("**ANN** (feed-forward) → **tabular data**: rows of features (IQ, marks, gender → "
                      "placement) whose column order means nothing.")
    kinds[1].markdown("**CNN** → **images**: pixels on a grid, neighbours matter.")
    kinds[2].markdown("**RNN** → **sequences**, where order is meaning: text, time series (prices, "
                      "temperatures), speech, DNA.")
    st.markdown("**Why a feed-forward net ignores order:** it takes all its inputs at once. Flattened, word "
                "1 and word 2 are just two different input slots with separate weights; nothing in the "
                "network says one came before the other, and what it learns about a word in slot 2 does not "
                "carry over to slot 3. A bag of words (the one-hot rows added up) loses the order "
                "completely. An RNN reads one word per step with the **same** weights and carries what it "
                "has read in its state.")
    if view.T >= 2 and list(view.tokens) != list(view.tokens)[::-1]:
        demo = eq.order_demo(view.cell, view.head, view.x, view.h0, view.c0)
        backwards = session.escape_md(" ".join(reversed(view.tokens)))
        st.markdown(f"Live, with this {view.cell.kind}: *{session.escape_md(' '.join(view.tokens))}* → ŷ = "
                    f"**{demo.yhat:.4f}**; the same words backwards, *{backwards}* → ŷ = "
                    f"**{demo.yhat_reversed:.4f}**. Same bag of words, different prediction: the order "
                    "reached the state.")
    st.markdown("**What RNNs cost** (the lecture's list): **slow**, one word after the other: step t waits "
                "for step t − 1, so the steps of a sentence cannot run in parallel on a GPU; **hard to "
                "train**: gradients vanish or explode over many steps (see the Gradient lab), so long-range "
                "memory is weak (the Train page's long-dependency experiment). LSTM and GRU fix the "
                "memory, not the one-step-at-a-time slowness.")

st.subheader("Why not an ordinary neural network (ANN)?")
chart_slot = st.container()  # on a projector the chart comes first, the numbers after it
st.markdown(f"Your corpus has **{cmp.B} sentence{'s' if cmp.B != 1 else ''}** of "
            f"{', '.join(str(n) for n in lengths[:12])}{' …' if len(lengths) > 12 else ''} words and a "
            f"vocabulary of **V = {cmp.V}** words. A feed-forward network (ANN) needs **one fixed-size "
            f"input**, so every sentence is padded with zero rows to the longest one (T_max = {cmp.T_max}) "
            "and flattened.")
m = st.columns(4)
m[0].metric("Longest sentence T_max", f"{cmp.T_max} words")
m[1].metric("ANN input size T_max·V", f"{cmp.padded_input:,}", help=f"{cmp.T_max} · {cmp.V}")
m[2].metric("Padding (all-zero rows)", f"{cmp.padding_share:.0%}",
            help=f"{cmp.padding_rows} of the batch's {cmp.rows} time steps are padding")
m[3].metric("Zeros in the padded input", f"{cmp.zero_share:.0%}",
            help="padding rows plus the zeros of every one-hot vector")

kind = view.cell.kind
split = eq.param_split(view.cell, view.head)
ann_matrix = cmp.ann_weights - cmp.H  # T_max·V·H weights; the other H are biases
weights = pd.DataFrame([
    ("ANN on the padded, flattened one-hot input", f"T_max·V·H + H: {ann_matrix} weights + {cmp.H} biases",
     cmp.ann_weights, "only sentences of at most T_max words"),
    (f"{kind} (the same parameters at every step)",
     f"{cmp.rnn_formula}: {split.cell_weights} weights + {split.cell_bias_total} biases", cmp.rnn_weights,
     "any length: one step per word"),
], columns=[f"first layer (V = {cmp.V}, H = {cmp.H})", "parameters = weights + biases", "count", "takes"])
st.dataframe(weights, hide_index=True, key="ann_vs_rnn_table")
st.caption(f"Both then need the same output layer ŷ = σ(h·w_o + b_o): H + 1 = {cmp.head_weights} more "
           f"parameters ({split.w_o} weights w_o + {split.b_o} bias b_o). Parameters = weights (they "
           "multiply) + biases (they are added).")
with chart_slot if present else st.container():
    st.plotly_chart(fe.ann_vs_rnn_figure(cmp, kind, present), width="stretch", config=theme.PLOTLY_CONFIG,
                    key="ann_chart")
longer = cmp.T_max + 1
st.markdown(
    f"**A longer sentence arrives** ({longer} words): flattened it is {longer}·{cmp.V} = "
    f"{longer * cmp.V:,} numbers, but the ANN has weights for exactly {cmp.padded_input:,} inputs — **it "
    f"cannot take it** (cut the sentence, or build and train a bigger network with "
    f"{cmp.ann_weights_for(longer):,} parameters). The {kind} simply runs one more step with the **same "
    f"{cmp.rnn_weights}** parameters. And the ANN sees all words at once, with no notion of which came "
    "first; the RNN reads them in order and carries what it has read in its hidden state.")

# ---- 27 + 4 = 31: the lecture notes' split (weights | biases) beside Keras' (per layer)
st.subheader(f"{split.cell_total} + {split.head_total} = {split.total}: two ways to count the same "
             "parameters")
notes_split, keras_split = fe.param_split_tables(split)
left, right = st.columns(2)
with left:
    st.markdown("**The lecture notes:** weights, then biases")
    st.table(notes_split, hide_index=True)  # a static table: every column on screen, text wraps
with right:
    st.markdown("**Keras' `model.summary()`:** one row per layer, biases included")
    st.table(keras_split, hide_index=True)
st.markdown(eq.param_split_note(split))
st.page_link("pages/forward.py", label="See it: the network unrolled over your sentence", icon="➡️")
