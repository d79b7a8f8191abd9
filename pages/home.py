"""Home page (placeholder)."""

import streamlit as st

st.title("rnnviz")
st.write("Interactive visualizations of recurrent neural networks, computed step by step with NumPy.")
