"""Page set-up and mode switch (placeholder page until the app issue lands)."""

from __future__ import annotations

import streamlit as st


def main() -> None:
    """Render the app."""
    st.set_page_config(page_title="Keysmith", page_icon="🔑", layout="wide")
    st.title("Keysmith")
    st.write("Why did your AI pilot work and your rollout stall? The chat, assessment and coach modes are coming.")
