"""The Streamlit app's layer over the rnnviz core: state ↔ URL, model views, Plotly figure builders.

Only `session.py` imports streamlit; everything else is pure and tested without it.
"""
