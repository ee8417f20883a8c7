"""Answers from a coach's client documents: the passage that answers, quoted and cited, read like a story.

In a workspace, a question is first searched across the framework and that workspace's documents together,
so client passages compete with framework passages on merit. When the best passage is a client document's
(or, for a question that points at the client's material, any of the best four),
the answer quotes the sentences of it that answer the question (`retrieval.quotes.quote_for`), cites it, and
runs the story reader (`read_story`, both readers) on the passage: the stall reasons it names are the ones
that passage supports, each explained with its own framework passage. Otherwise `document_answer` returns
None and the usual route answers.
"""

from __future__ import annotations

import re

from keysmith.composer import frames
from keysmith.composer.frames import Draft
from keysmith.composer.routing import is_story
from keysmith.composer.story import chosen_reasons, reason_records
from keysmith.framework import Framework
from keysmith.retrieval import Passage
from keysmith.retrieval.quotes import quote_for
from keysmith.tools import Toolbox

CLIENT_SOURCE = "client document: "
MAX_REASONS = 2
# A question that points at the client's material ("what does the client document say about ownership?")
# is answered from it when any of its passages is among the best matches, not only when one is first. Only
# phrases that name that material count: "report", "file" or "notes" alone are often verbs or general words
# ("what should I report to the board?").
_MATERIAL = r"(?:documents?|report|file|notes|memo|minutes)"
_CLIENTS = r"client(?:['’]s|s['’]?)?"
_POINTS_AT_DOCUMENTS = re.compile(
    rf"\buploaded\b|\b(?:the|this|that|their|its|our|{_CLIENTS})\s+(?:\w+\s+)?documents?\b"
    rf"|\b(?:{_CLIENTS}|their|this|that)\s+(?:\w+\s+)?{_MATERIAL}\b"
    rf"|\bthe\s+(?:\w+\s+)?{_MATERIAL}\s+(?:says?|said|mentions?|states?|shows?)\b"
    rf"|\b(?:does|did)\s+the\s+(?:\w+\s+)?{_MATERIAL}\s+(?:say|mention|state|show)\b"
    rf"|\b(?:in|from|according\s+to)\s+(?:the|their|this)\s+(?:\w+\s+)?{_MATERIAL}\b",
    re.IGNORECASE,
)


def points_at_documents(question: str) -> bool:
    """True when `question` names the client's material ("the document", "the report says", "in the file",
    "client's notes", "uploaded", ...), so a client passage among the best four answers it."""
    return _POINTS_AT_DOCUMENTS.search(question) is not None


def is_client(passage: Passage) -> bool:
    """True for a passage from a coach's uploaded document."""
    return passage.source.startswith(CLIENT_SOURCE)


def document_name(passage: Passage) -> str:
    """The uploaded file's name, as the citation shows it."""
    return passage.source.removeprefix(CLIENT_SOURCE)


def asks_a_question(question: str) -> bool:
    """A question about the client (not the user's own story, which the diagnosis reads)."""
    text = question.strip()
    return not is_story(text) and (text.endswith("?") or len(text) < 200)


def document_answer(question: str, toolbox: Toolbox, framework: Framework) -> Draft | None:
    """The answer from the client's document when one of its passages is the best match, else None."""
    if not toolbox.workspace_id or not asks_a_question(question):
        return None
    found = toolbox.call("search_framework", query=question[:400])
    markers: list[int] = found.data["markers"] if found.ok else []
    client = [m for m in markers if is_client(toolbox.passages[m])]
    if not client or (client[0] != markers[0] and not points_at_documents(question)):
        return None
    marker = client[0]
    passage = toolbox.passages[marker]
    quote = quote_for(passage.text, question)
    section = frames.last_heading(passage.heading)
    where = "" if section == passage.title else f" (section “{section}”)"
    parts = [f"The client's document **{document_name(passage)}**{where} answers this: “{quote}”[{marker}]"]
    reading = toolbox.call("read_story", text=passage.text[:4000])
    reasons = chosen_reasons(reading.data, framework)[:MAX_REASONS] if reading.ok else []
    for finding in reasons:
        reason = framework.stall_reason(finding.id)
        explained = toolbox.call("explain_stall_reason", stall_reason_id=reason.id)
        cite = frames.cite(explained.data["markers"][:1]) if explained.ok else ""
        parts.append(
            f"What the document describes fits **{reason.name}**, one of the framework's stall reasons: "
            f"{reason.summary}{cite}"
        )
    if not reasons:
        parts.append(
            "This passage does not clearly point to one of the framework's stall reasons; ask the client how "
            "it affects the rollout before drawing a conclusion."
        )
    follow_ups = [
        *(f"What is {framework.stall_reason(f.id).name}?" for f in reasons),
        "Start the self-assessment",
    ]
    records = reason_records(reasons, reading.data, framework) if reading.ok else []
    return Draft("\n\n".join(parts), follow_ups=follow_ups, reasons=records)
