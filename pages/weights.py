"""6 · Your own weights: upload a trained layer (.npz) and every page runs on it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rnnviz_app import fig_weights, glossary, session, theme, weights_io
from rnnviz_app.model import EmptyCorpus, WeightsMismatch

ERROR_KEY = "_weights_error"
CHOICES = {
    "Read it from the shapes": (None, "tanh"),
    "SimpleRNN (tanh)": ("SimpleRNN", "tanh"),
    "SimpleRNN (relu)": ("SimpleRNN", "relu"),
    "LSTM": ("LSTM", "tanh"),
    "GRU": ("GRU", "tanh"),
}

PYTORCH_SNIPPET = """import numpy as np
# model.rnn: your one-layer nn.RNN / nn.LSTM / nn.GRU, trained on one-hot words
np.savez("rnn.npz", **{k: v.cpu().numpy() for k, v in model.rnn.state_dict().items()})"""

KERAS_SNIPPET = """import numpy as np
k, rk, b = layer.get_weights()   # layer: your SimpleRNN / LSTM / GRU layer
np.savez("rnn.npz", kernel=k, recurrent_kernel=rk, bias=b)"""

EXTRAS_SNIPPET = """# optional: the output head ŷ = σ(h_T·w_o + b_o) and the words in id order
np.savez("rnn.npz", ..., w_o=w_o, b_o=b_o, vocab=np.array(words))"""


def uploader_key() -> str:
    return f"w_upload_{st.session_state.get(session.UPLOAD_NONCE, 0)}"


def load_upload() -> None:
    """Callback of the uploader and the cell-type picker: parse the file; on error keep what was loaded."""
    uploaded = st.session_state.get(uploader_key())
    if uploaded is None:
        st.session_state.pop(ERROR_KEY, None)
        return
    kind, activation = CHOICES.get(st.session_state.get("w_weights_kind"), (None, "tanh"))
    try:
        custom = weights_io.load_weights(uploaded.getvalue(), kind=kind, activation=activation,
                                         file_name=uploaded.name)
    except weights_io.WeightsError as exc:
        st.session_state[ERROR_KEY] = (uploaded.name, str(exc))
        return
    st.session_state[session.CUSTOM_KEY] = custom
    st.session_state.pop(ERROR_KEY, None)


session.ensure_shell()
present = session.present()
st.title("Your own weights")
glossary.glossary_popover(st)
session.intro(
    "Trained a small recurrent layer in PyTorch or Keras on one-hot words? Save its weights in an `.npz` "
    "file with three lines, upload it here, and **every page runs on your weights**: the forward pass, "
    "the gates, backpropagation through time."
)
on_screen = st.container()  # the weights' picture: first on a projector, after the upload otherwise
with session.folded("How to save your weights — PyTorch and Keras", icon="💾"):
    left, right = st.columns(2)
    with left:
        st.markdown("**PyTorch**")
        st.code(PYTORCH_SNIPPET, language="python")
    with right:
        st.markdown("**Keras**")
        st.code(KERAS_SNIPPET, language="python")
    st.code(EXTRAS_SNIPPET, language="python")
with st.expander("What the file must contain"):
    st.markdown(
        "- **PyTorch names** `weight_ih_l0` (G·H, D), `weight_hh_l0` (G·H, H), `bias_ih_l0`, `bias_hh_l0` "
        "(G·H,) — or **Keras names** `kernel` (D, G·H), `recurrent_kernel` (H, G·H), `bias` (G·H,); a Keras "
        "GRU (reset_after=True) has a (2, 3·H) bias.\n"
        "- G = 1 for a SimpleRNN, 4 for an LSTM, 3 for a GRU: rnnviz reads it from the shapes. A SimpleRNN's "
        "activation is not in the file: pick relu below if you trained with relu.\n"
        "- D = the number of words: inputs are one-hot. Add `vocab` (the words in id order) and the corpus "
        "is encoded with your ids; without it, the corpus needs exactly D different words.\n"
        "- Optional head `w_o` (H,) or (H, 1) and `b_o` (one number) for the output ŷ.\n"
        "- Several layers or both directions (PyTorch's `_l1`, `_reverse` keys) are read too: the pages "
        "unroll layer 1's forward direction (the badge says so), the RNN types page runs the whole network. "
        "At most "
        f"{weights_io.MAX_UPLOAD_HIDDEN} hidden units and {weights_io.MAX_BYTES // 2**20} MB.\n"
        "- Trained with an embedding layer E (V, d)? Fold it in, the result is exact for one-hot inputs: "
        "Keras `kernel = E @ kernel`, PyTorch `weight_ih_l0 = weight_ih_l0 @ E.T`."
    )

st.subheader("Upload")
st.radio("Cell type", options=list(CHOICES), horizontal=True, key="w_weights_kind",
                      on_change=load_upload)
st.file_uploader("Weights file (.npz)", type=["npz"], key=uploader_key(), on_change=load_upload,
                 help=f"Up to {weights_io.MAX_BYTES // 2**20} MB. Read with NumPy, never unpickled.")

error = st.session_state.get(ERROR_KEY)
custom = session.custom_weights()
if error is not None:
    name, message = error
    st.error(f"**{session.escape_md(name)}** could not be used: {session.escape_md(message)}",
             icon="🚫")
    if custom is not None:
        st.caption(f"Still using your earlier weights ({custom.summary}); nothing else changed.")
    else:
        st.caption("The app keeps running on its built-in weights; nothing else changed.")

if custom is None:
    st.info("No weights uploaded: the app uses its built-in cell, set in the sidebar (type, size, seed). "
            "To try the round trip, download the current weights below and upload that file.", icon="📦")
else:
    source = f" (file {session.escape_md(custom.file_name)})" if custom.file_name else ""
    st.success(f"Using your weights: {custom.summary}{source}", icon="📦")
    for note in custom.notes:
        st.caption(f"ℹ️ {session.escape_md(note)}")
    params = [(name, "×".join(map(str, a.shape)), a.size, float(a.min()), float(a.max()))
              for name, a in custom.cell.params.items()]
    if custom.head is not None:
        params += [("w_o", str(custom.head.w_o.size), custom.head.w_o.size, float(custom.head.w_o.min()),
                    float(custom.head.w_o.max())), ("b_o", "1", 1, custom.head.b_o, custom.head.b_o)]
    st.dataframe(pd.DataFrame(params, columns=["parameter", "shape", "numbers", "min", "max"]),
                 hide_index=True)
    if custom.vocab is not None:
        st.caption(f"Vocabulary from the file ({len(custom.vocab)} words, in id order):")
        st.text(", ".join(custom.vocab[:200]) + (" …" if len(custom.vocab) > 200 else ""))
    else:
        st.caption("No vocabulary in the file: the corpus' words are numbered in order of appearance.")
    st.button("Reset to built-in weights", on_click=session.reset_custom_weights, key="reset_weights_page")

with on_screen if present else st.container():
    st.subheader("The weights on screen")
    try:
        view = session.cached_model(session.settings())
    except EmptyCorpus as exc:
        st.info(str(exc), icon="✍️")
        st.stop()
    except WeightsMismatch as exc:
        st.error(session.escape_md(str(exc)), icon="📦")
        st.stop()
    fig = fig_weights.weight_heatmaps(view.cell, view.corpus.vocab.tokens, present=present)
    st.plotly_chart(fig, width="stretch", config=theme.PLOTLY_CONFIG)
    st.markdown(f"On sentence {view.index + 1} ({len(view.tokens)} words) the output is "
                f"ŷ = **{view.yhat:.4f}**.")
    session.download_buttons(view, {"weights": fig}, key="weights")
