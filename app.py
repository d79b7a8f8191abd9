"""rnnviz — an interactive, exact visualizer of unrolled recurrent neural networks.

Run with `python3 tasks.py run` (or `streamlit run app.py`). The pages live in pages/; the shared state,
sidebar and URL sync in rnnviz_app/session.py; all math in the rnnviz package.
"""

import streamlit as st

from rnnviz_app import session

st.set_page_config(page_title="rnnviz — unrolled RNNs", page_icon="🔁", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Start here", icon="🏠", default=True),
    st.Page("pages/encoding.py", title="1 · Text to numbers", icon="🔤"),
    st.Page("pages/forward.py", title="2 · Forward through time", icon="➡️"),
    st.Page("pages/gates.py", title="3 · Gates", icon="🚪"),
    st.Page("pages/bptt.py", title="4 · Backprop through time", icon="⬅️"),
    st.Page("pages/train.py", title="5 · Train", icon="🏋️"),
    st.Page("pages/lab.py", title="6 · Gradient lab", icon="🧪"),
    st.Page("pages/weights.py", title="7 · Your own weights", icon="📦"),
    st.Page("pages/types.py", title="8 · RNN types", icon="🔀"),
]

session.init()
st.set_page_config(initial_sidebar_state="collapsed" if session.present() else "auto")
page = st.navigation(PAGES)
session.guard(session.sidebar, where="sidebar")
session.presentation_css()
session.fit_equations()
session.show_link_notes()
session.guard(page.run)
session.sync_url()
