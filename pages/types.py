"""8 · RNN types: one-to-one, one-to-many, many-to-one, many-to-many, encoder–decoder, bidirectional and deep,
each drawn unrolled on the user's sentence with a small network trained here, and the connectivity matrix."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rnnviz import toy
from rnnviz_app import fig_types as ft
from rnnviz_app import glossary, session, theme
from rnnviz_app import types_view as tv
from rnnviz_app.state import BI_SENTENCES, CELLS, RNN_TYPES


def chart(fig, key: str) -> None:
    st.plotly_chart(fig, width="stretch", config=theme.PLOTLY_CONFIG, key=key)


def trained_note(t: tv.Trained) -> None:
    st.caption(f"🏋️ {session.escape_md(t.recipe)}. Trained in {t.seconds:.1f} s the first time; cached after.")


def about(rtype: str) -> None:
    computes, used = tv.ABOUT[rtype]
    st.markdown(computes, unsafe_allow_html=True)
    st.markdown(f"**Used for:** {used}.")


def one_to_one() -> None:
    chart(ft.diagram(ft.spec_one_to_one(tokens[0], "class"), present), "types_diagram")
    about("one-to-one")
    st.caption("Nothing recurrent to train here: pick one of the next types to see an RNN at work.")


def many_to_one() -> None:
    chart(ft.diagram(ft.spec_many_to_one(tokens, f"{view.yhat:.2f}", box), present), "types_diagram")
    about("many-to-one")
    weights = ("your uploaded weights" if session.custom_weights() is not None
               else "the sidebar's network (seeded, untrained weights)")
    st.markdown(f"On your sentence, {weights} gives **ŷ = {view.yhat:.3f}**. This is the type the other "
                "pages build step by step:")
    st.page_link("pages/forward.py", label="Forward through time: every step of it", icon="➡️")
    st.page_link("pages/bptt.py", label="Backprop through time: how its gradients flow back", icon="⬅️")


def many_to_many() -> None:
    with st.spinner("Training the tagger (a few seconds, once)…"):
        t = tv.tagger(kind, act, 1, False, seed)
    pred = t.model.predict(tokens)
    chart(ft.diagram(ft.spec_many_to_many(tokens, pred.tags, box), present), "types_diagram")
    about("many-to-many")
    st.markdown("**A tagger trained here**, tagging your sentence word by word:")
    st.dataframe(ft.tag_table(pred.tokens, pred.tags, pred.probs, pred.known, toy.TAG_NAMES), hide_index=True,
                 key="types_tags")
    unknown = [w for w, k in zip(pred.tokens, pred.known, strict=True) if not k]
    if unknown:
        st.caption(f"Words it never saw ({session.escape_md(', '.join(unknown))}) are read as <unk>: their "
                   "tag comes from the words before them only — this tagger reads left to right.")
    trained_note(t)
    with st.expander("The tagged sentences it learned from"):
        st.dataframe(pd.DataFrame([(s, " ".join(tags)) for s, tags in toy.tagged_sentences()],
                                  columns=["sentence", "tags"]), hide_index=True, key="types_corpus")


def one_to_many() -> None:
    with st.spinner("Training the next-word generator on your corpus (a few seconds, once)…"):
        t = tv.generator(kind, act, tv.generator_sentences(view.corpus.tokens), seed)
    words = [w for w in t.model.vocab.tokens if w != toy.EOS]
    first = tokens[0] if tokens[0] in words else words[0]
    session.widget(st.selectbox, "types_first", "The one input: the first word",
                   options=tv.first_word_options(words),
                   format_func=lambda w: w or f"your sentence's first word ({first})")
    word = session.get("types_first") or first
    out = t.model.generate(word, max_len=12)
    chart(ft.diagram(ft.spec_one_to_many(word, out.words[1:], box), present), "types_diagram")
    about("one-to-many")
    ending = "" if out.finished else " (it stopped after 12 words without writing the end)"
    st.markdown(f"**Generated from “{session.escape_md(word)}”:** {session.escape_md(' '.join(out.words))}"
                f"{ending}")
    st.dataframe(ft.generation_table(out.words, out.probs, t.model.vocab.tokens), hide_index=True,
                 key="types_generation")
    st.caption("Greedy decoding: at every step the most likely next word is written and read back in. When "
               "two words are equally likely after the same words (your corpus decides), the first in the "
               "vocabulary wins.")
    trained_note(t)


def encoder_decoder() -> None:
    words = tv.reverser_words(tokens)
    with st.spinner("Training the encoder–decoder to reverse your words (a few seconds, once)…"):
        t = tv.reverser(kind, act, words, seed)
    out, dec = t.model.reverse(words)
    written = [t.model.target_tokens[i] for i in dec.ids]
    chart(ft.diagram(ft.spec_encoder_decoder(words, written, box), present), "types_diagram")
    about("encoder-decoder")
    if len(tokens) > len(words):
        st.caption(f"The reverser reads the first {len(words)} words of your sentence (one context vector "
                   "for a long sentence is exactly the bottleneck attention was invented for).")
    right = out == words[::-1]
    verdict = "✓ exactly backwards" if right else "✗ not exactly backwards"
    st.markdown(f"**Task:** write the sentence backwards. **Reads:** {session.escape_md(' '.join(words))} → "
                f"**writes:** {session.escape_md(' '.join(out))} — {verdict}.")
    c = dec.encoder_trace.c[-1] if dec.encoder_trace.c is not None else None
    chart(ft.context_figure(dec.context, c, present), "types_context")
    handed = " (an LSTM hands over its cell state c too)." if c is not None else "."
    st.caption("The encoder's last state is the decoder's h₀: everything the decoder knows about your "
               "sentence is in these numbers" + handed)
    trained_note(t)


def bidirectional() -> None:
    session.widget(st.radio, "types_bi", "Sentence", options=list(BI_SENTENCES),
                   format_func=tv.BI_LABELS.get, horizontal=True)
    toks = tv.bi_tokens(session.get("types_bi"), tokens)
    with st.spinner("Training a one-directional and a bidirectional tagger (a few seconds, once)…"):
        uni, bi = tv.tagger(kind, act, 1, False, seed), tv.tagger(kind, act, 1, True, seed)
    p_uni, p_bi = uni.model.predict(toks), bi.model.predict(toks)
    chart(ft.diagram(ft.spec_bidirectional(toks, p_bi.tags, box), present), "types_diagram")
    about("bidirectional")
    st.markdown("**Why it helps — the same tagger, with and without the backward direction:**")
    st.dataframe(ft.compare_tags(toks, p_uni.tags, p_bi.tags), hide_index=True, key="types_compare")
    st.caption("The → tagger's first output has read only the first word, so “watch” gets the same tag in "
               "“watch was new” and “watch movies with friends”; h← has read the sentence from its end, so "
               "the bidirectional tagger tells the noun from the verb.")
    tr = p_bi.trace
    chart(ft.states_figure([("h→ (forward, read 1…t)", tr.states(0, 0)),
                            ("h← (backward, read t…T)", tr.states(0, 1))], toks,
                           "The two directions' states, side by side: output_t = [h→_t ; h←_t]", present),
          "types_states")
    trained_note(uni)
    trained_note(bi)


def deep() -> None:
    session.widget(st.slider, "types_layers", "Stacked layers", min_value=1, max_value=3)
    L = session.get("types_layers")
    with st.spinner(f"Training a {L}-layer tagger (a few seconds, once)…"):
        t = tv.tagger(kind, act, L, False, seed)
    pred = t.model.predict(tokens)
    chart(ft.diagram(ft.spec_deep(tokens, pred.tags, box, L), present), "types_diagram")
    about("deep")
    tr = pred.trace
    chart(ft.states_figure([(f"layer {k + 1}", tr.states(k, 0)) for k in range(L)], tokens,
                           "Each layer's hidden states on your sentence", present), "types_states")
    net = t.model.net
    st.markdown("**Parameters — as Keras' model.summary() prints them:**")
    summary = ft.keras_summary(kind, net.layer_num_params(), False, net.hidden_size, len(tokens),
                               len(toy.TAG_NAMES))
    st.dataframe(summary, hide_index=True, key="types_summary")
    st.markdown(f"**Total params: {int(summary['Param #'].sum())}** — layer 1 reads the {net.input_size} "
                f"one-hot inputs, every layer above reads the {net.hidden_size} states of the layer below.")
    trained_note(t)


def uploaded_network(custom) -> None:
    """The whole multi-layer / bidirectional network of an uploaded file, on the sentence."""
    net = custom.stack
    bi = " bidirectional" if net.bidirectional else ""
    st.subheader(f"Your uploaded network, all of it: {net.num_layers}-layer{bi} {net.kind}")
    st.caption("The other pages unroll its first layer's forward direction; here every layer and direction "
               "reads your sentence.")
    trace = net.forward(view.x)
    names = ("→", "←")
    panels = [(f"layer {k + 1} {names[d]}" if net.bidirectional else f"layer {k + 1}", trace.states(k, d))
              for k in range(net.num_layers) for d in range(net.num_directions)]
    chart(ft.states_figure(panels, tokens, "Hidden states of every layer and direction", present),
          "types_upload_states")
    st.dataframe(ft.keras_summary(net.kind, net.layer_num_params(), net.bidirectional, net.hidden_size,
                                  len(tokens), None), hide_index=True, key="types_upload_summary")
    M = tv.stack_connectivity(custom.digest, tuple(view.ids), net, view.x)
    title = "Connectivity of your network: ‖∂output<sub>t</sub>/∂x<sub>s</sub>‖"
    chart(ft.connectivity_figure(M, tokens, title, present), "types_upload_connectivity")


def connectivity() -> None:
    st.subheader("Which words move which output: the connectivity matrix")
    c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
    with c1:
        session.widget(st.radio, "types_conn_cell", "Cell", options=list(CELLS), horizontal=True)
    with c2:
        session.widget(st.toggle, "types_conn_bi", "Bidirectional")
    ckind, cbi = session.get("types_conn_cell"), session.get("types_conn_bi")
    cact = act if ckind == "SimpleRNN" else "tanh"
    with st.spinner("Training the tagger for this cell (a few seconds, once)…"):
        M = tv.connectivity(ckind, cact, cbi, seed, tuple(tokens))
    what = f"{'bidirectional ' if cbi else ''}{ckind}"
    title = f"Connectivity of the trained {what} tagger: ‖∂output<sub>t</sub>/∂x<sub>s</sub>‖"
    chart(ft.connectivity_figure(M, tokens, title, present), "types_connectivity")
    st.caption("Row t: how strongly each input word xₛ moves the output at step t (the Frobenius norm of "
               "the exact Jacobian ∂outputₜ/∂xₛ). A one-directional network cannot look ahead: everything "
               "right of the diagonal is exactly 0. A bidirectional one fills both sides. How fast a row "
               "fades to the left is how far back the network remembers: compare SimpleRNN, LSTM and GRU.")


session.ensure_shell()
present = session.present()
st.title("RNN types")
glossary.glossary_popover(st)
st.markdown("What goes in and what comes out at each time step decides the type. Every diagram below is "
            "drawn on **your sentence** (the one picked in the sidebar), and every example is a small "
            "network trained here, on the spot.")
view = session.model_or_stop()
tokens = view.tokens
kind = view.cell.kind
act = getattr(view.cell, "activation", "tanh") if kind == "SimpleRNN" else "tanh"
box = act if kind == "SimpleRNN" else kind  # what a cell box says, as on the Forward page
seed = session.get("seed")
session.widget(st.radio, "types_type", "RNN type", options=list(RNN_TYPES), format_func=tv.TYPE_LABELS.get,
               horizontal=True)
if session.custom_weights() is not None:
    st.caption(f"These examples train their own small {kind} networks; your uploaded weights are used for "
               "the many-to-one output (and, for a multi-layer or bidirectional file, the section below).")
{"one-to-one": one_to_one, "one-to-many": one_to_many, "many-to-one": many_to_one,
 "many-to-many": many_to_many, "encoder-decoder": encoder_decoder, "bidirectional": bidirectional,
 "deep": deep}[session.get("types_type")]()
st.divider()
if session.custom_weights() is not None and session.custom_weights().stack is not None:
    uploaded_network(session.custom_weights())
    st.divider()
connectivity()
