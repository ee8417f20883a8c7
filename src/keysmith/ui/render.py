"""The one render path for assistant-produced text in the app.

Every string that came from the assistant, the composer, a retrieved passage or a client document goes
through `keysmith.guards.sanitize.clean_markdown` and then `st.markdown` — never `unsafe_allow_html` — so raw
HTML, scripts and off-list images can never reach the page, whatever a model or an uploaded file contains.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from keysmith.guards.sanitize import clean_markdown


def markdown(text: str) -> None:
    """Render untrusted Markdown safely (sanitised first; HTML stays escaped)."""
    st.markdown(clean_markdown(text))


def quote(text: str) -> None:
    """Render a passage excerpt as a block quote, sanitised like any other assistant text."""
    lines = clean_markdown(text).splitlines() or [""]
    st.markdown("\n".join(f"> {line}" for line in lines))


SOURCE_TITLE_CHARS = 40


def _short(title: str, limit: int = SOURCE_TITLE_CHARS) -> str:
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0].rstrip(",;:.-") + "…"


def provenance(citation: Mapping[str, Any]) -> str:
    """The label suffix ` — from: <source title> (<kind>)` for a cited knowledge passage (several joined by
    "; "); "" when it names none (a client document, or an answer stored before sources were recorded)."""
    sources = [s for s in citation.get("facts_from") or [] if isinstance(s, Mapping)]
    parts = [
        _short(str(s.get("title") or s.get("id", ""))) + (f" ({s['kind']})" if s.get("kind") else "")
        for s in sources
    ]
    return f" — from: {'; '.join(parts)}" if parts else ""
