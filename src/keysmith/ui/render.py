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


# Tool ids are for `ask --json` and the logs; a reader sees what the step did (ids unknown here: as-is).
STEP_NAMES = {
    "read_story": "Read your description",
    "search_framework": "Searched the framework",
    "explain_stall_reason": "Looked up a stall reason",
    "list_archetypes": "Listed the solution archetypes",
    "describe_archetype": "Looked up a solution archetype",
    "score_assessment": "Scored the assessment",
    "what_if": "Tried a what-if on the scores",
    "next_assessment_question": "Found the next assessment question",
    "record_assessment_answer": "Recorded an assessment answer",
}


def step_name(
    name: str, args: Mapping[str, Any] | None = None, names: Mapping[str, str] | None = None
) -> str:
    """A plain name for a tool step: "Looked up a stall reason: Governance Vacuum" for
    `explain_stall_reason(stall_reason_id="governance_vacuum")` when `names` maps ids to names."""
    plain = STEP_NAMES.get(name, name.replace("_", " ").capitalize())
    args = args or {}
    subject = args.get("stall_reason_id") or args.get("archetype_id")
    if isinstance(subject, str) and names and subject in names:
        return f"{plain}: {names[subject]}"
    return plain


def source_label(number: int, citation: Mapping[str, Any]) -> str:
    """`[1] Governance Vacuum — What it is — from: <source title> (article)`: the page title and section
    (never the file path); a client document is named as one."""
    parts = [p.strip() for p in str(citation.get("heading", "")).split(" > ")]
    source = str(citation.get("source", ""))
    if source.startswith("client document"):  # its heading starts with the file name: say what it is once
        name = source.removeprefix("client document:").strip() or parts[0]
        return " — ".join([f"[{number}] {name} (client document)", *parts[1:]])
    return f"[{number}] {' — '.join(parts)}" + provenance(citation)
