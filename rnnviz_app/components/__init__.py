"""Small browser-side helpers for the pages (Streamlit custom components, JavaScript shipped with the app:
nothing is fetched from the internet)."""

from .frame_stepper import frame_stepper

__all__ = ["frame_stepper"]
