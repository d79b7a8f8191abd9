"""rnnviz Streamlit entry point (placeholder: one page for now)."""

import streamlit as st

page = st.navigation([st.Page("pages/home.py", title="Home", icon="🏠")])
page.run()
