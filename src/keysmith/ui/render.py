"""The one render path for assistant-produced text in the app.

Every string that came from the assistant, the composer, a retrieved passage or a client document goes
through `keysmith.guards.sanitize.clean_markdown` and then `st.markdown` — never `unsafe_allow_html` — so raw
HTML, scripts and off-list images can never reach the page, whatever a model or an uploaded file contains.
"""

from __future__ import annotations

import streamlit as st

from keysmith.guards.sanitize import clean_markdown


def markdown(text: str) -> None:
    """Render untrusted Markdown safely (sanitised first; HTML stays escaped)."""
    st.markdown(clean_markdown(text))


def quote(text: str) -> None:
    """Render a passage excerpt as a block quote, sanitised like any other assistant text."""
    lines = clean_markdown(text).splitlines() or [""]
    st.markdown("\n".join(f"> {line}" for line in lines))
