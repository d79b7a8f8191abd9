"""Placeholder: this page is being built."""

import streamlit as st

st.title("lab")
st.info("This page is being built.")
