"""Start here: placeholder until the home page lands."""

import streamlit as st

from rnnviz_app import session

st.title("rnnviz")
view = session.model_or_stop()
st.write(f"Sentence: {' '.join(view.tokens)}; h_T = {view.trace.h[-1].round(3).tolist()}")
