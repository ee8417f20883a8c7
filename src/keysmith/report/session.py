"""Build a stored session's assessment report: the one path used by `keysmith report` and the UI's download.

`session_report(store, workspace_id, session_id, fmt, framework=None) -> SessionReport` reads the session's
assessment, its score report (or scores the stored answers when the report was not saved yet), the passages
cited in the session's messages, and the model used, then renders Markdown or PDF through `keysmith.report`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from keysmith.diagnosis import full_report
from keysmith.errors import KeysmithError
from keysmith.framework import Framework
from keysmith.report import assessment_markdown, assessment_pdf
from keysmith.store import Store
from keysmith.store.records import Assessment, Message

ReportFormat = Literal["md", "pdf"]
FORMATS: tuple[str, ...] = ("md", "pdf")


@dataclass(frozen=True)
class SessionReport:
    """The rendered report, its suggested file name and its MIME type."""

    content: bytes
    filename: str
    mime: str


def _answers(assessment: Assessment) -> dict[str, int | None]:
    report_answers = (assessment.report or {}).get("answers")
    raw = report_answers if isinstance(report_answers, dict) else assessment.state.get("answers")
    if not isinstance(raw, dict) or not raw:
        raise KeysmithError(f"session {assessment.session_id!r} has no answers yet: answer a question first")
    return {str(k): v for k, v in raw.items()}


def _sources(messages: list[Message]) -> list[dict[str, Any]]:
    """Every passage cited in the session, first citation first."""
    return [c for m in messages for c in m.citations if isinstance(c, dict) and c.get("id")]


def _model_used(assessment: Assessment, messages: list[Message]) -> str:
    if assessment.model_used:
        return assessment.model_used
    modes = [m.mode for m in messages if m.role == "assistant" and m.mode]
    return modes[-1] if modes else "offline"


def session_report(
    store: Store, workspace_id: str, session_id: str, fmt: str, framework: Framework | None = None
) -> SessionReport:
    """The session's assessment report as `fmt` (`md` | `pdf`); `KeysmithError` naming what is missing."""
    if fmt not in FORMATS:
        raise KeysmithError(f"format: expected md or pdf, got {fmt!r}")
    session = store.get_session(workspace_id, session_id)
    assessment = store.session_assessment(workspace_id, session_id)
    if assessment is None:
        raise KeysmithError(
            f"session {session_id!r} has no assessment: only assessment sessions have a report"
        )
    answers = _answers(assessment)
    if assessment.report is not None:
        report = assessment.report
    elif framework is not None:
        report = full_report(answers, framework)
    else:
        raise KeysmithError(f"session {session_id!r} has no score report yet")
    messages = store.list_messages(workspace_id, session_id)
    inputs: dict[str, Any] = {
        "title": session.title or "Self-assessment",
        "model_used": _model_used(assessment, messages),
        "sources": _sources(messages),
        "created": assessment.updated,
        "framework": framework,
    }
    stem = f"keysmith-report-{session_id[:8]}"
    if fmt == "pdf":
        return SessionReport(assessment_pdf(report, answers, **inputs), f"{stem}.pdf", "application/pdf")
    text = assessment_markdown(report, answers, **inputs)
    return SessionReport(text.encode("utf-8"), f"{stem}.md", "text/markdown")
