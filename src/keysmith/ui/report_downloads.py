"""Download buttons for the assessment report and approved advice (the files are built by `keysmith.report`).

The data is passed as a callable, so the PDF (chart rendering included) is only built when the user clicks,
not on every rerun of the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from keysmith import report as reports
from keysmith.store.records import Draft
from keysmith.ui.state import Resources


def slug(text: str) -> str:
    """`My workspace!` -> `my-workspace` (file-name safe, at most 40 characters)."""
    cleaned = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in cleaned.split("-") if part)[:40] or "keysmith"


def assessment(
    res: Resources,
    report: Mapping[str, Any],
    answers: Mapping[str, int | None],
    *,
    key: str,
    title: str,
    sources: Sequence[Mapping[str, Any]] = (),
    created: datetime | None = None,
    file_stem: str | None = None,
) -> None:
    """Markdown and PDF buttons for one assessment report, named `<file_stem>.pdf` / `.md` (default:
    `keysmith-assessment-<slug of title>`); `sources` are the passages the page showed, cited in the file."""
    when = created or datetime.now(UTC)
    options: dict[str, Any] = {
        "title": title,
        "model_used": res.assistant.mode,
        "sources": list(sources),
        "created": when,
        "framework": res.framework,
    }
    name = file_stem or f"keysmith-assessment-{slug(title)}"

    def markdown() -> str:
        return reports.assessment_markdown(report, answers, **options)

    def pdf() -> bytes:
        return reports.assessment_pdf(report, answers, **options)

    _buttons(markdown, pdf, name, key)


def advice(draft: Draft, client: str, key: str) -> None:
    """Markdown and PDF buttons for an approved draft (`keysmith.report` refuses unapproved ones)."""

    def markdown() -> str:
        return reports.advice_markdown(draft, client=client)

    def pdf() -> bytes:
        return reports.advice_pdf(draft, client=client)

    _buttons(markdown, pdf, f"keysmith-{draft.kind}-{slug(client)}", key)


def _buttons(markdown: Callable[[], str], pdf: Callable[[], bytes], name: str, key: str) -> None:
    left, right = st.columns(2)
    left.download_button(
        "Download PDF",
        pdf,
        file_name=f"{name}.pdf",
        mime="application/pdf",
        key=f"pdf-{key}",
        on_click="ignore",
        icon=":material/picture_as_pdf:",
    )
    right.download_button(
        "Download Markdown",
        markdown,
        file_name=f"{name}.md",
        mime="text/markdown",
        key=f"md-{key}",
        on_click="ignore",
        icon=":material/description:",
    )
