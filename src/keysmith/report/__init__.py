"""Assessment reports and approved coach advice, as Markdown and as PDF.

- `assessment_markdown(report, answers, *, title, model_used, sources, created, framework=None) -> str`
- `assessment_pdf(..., chart_renderer=chart_png) -> bytes` — the same content, with the pilot-vs-production
  chart (an Altair spec rendered to PNG by vl-convert, offline; if that fails, bars drawn with fpdf2).
- `advice_markdown(draft, *, client, created=None)` / `advice_pdf(...)` — only for an approved draft;
  anything else raises `ReportError` (export is the coach's sign-off, so an unapproved draft never leaves).
`report` is the `keysmith.diagnosis.full_report` dict (`keysmith score --json` shape): every number shown
comes from it; `sources` are citations `{id, source, heading, ...}` from the session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from keysmith.errors import KeysmithError
from keysmith.framework import Framework
from keysmith.report.assessment import Names, assessment_doc, sources_section
from keysmith.report.charts import ChartError, ChartRenderer, chart_png, chart_rows, score_chart
from keysmith.report.doc import Markdown, Paragraph, ReportDoc, Section, plain, render_markdown
from keysmith.report.pdf import render_pdf
from keysmith.store.records import Draft

LABEL_NOTE = (
    "Each claim is labelled by where it comes from: [framework] a cited framework passage, "
    "[client document] a document the client shared, [score] Keysmith's deterministic scoring, "
    "[coach judgment] the coach's own view."
)


class ReportError(KeysmithError):
    """A report cannot be produced (for example: the advice draft is not approved)."""


def variable_names(report: Mapping[str, Any], framework: Framework | None) -> dict[str, str]:
    """Variable id -> display name for every variable in the report's profiles."""
    names = Names(framework)
    ids = {c["variable"] for p in (report.get("profiles") or {}).values() for c in p.get("contributions", [])}
    return {vid: names.variable(vid) for vid in sorted(ids)}


def assessment_markdown(
    report: Mapping[str, Any],
    answers: Mapping[str, int | None],
    *,
    title: str,
    model_used: str,
    sources: Sequence[Mapping[str, Any]],
    created: datetime,
    framework: Framework | None = None,
) -> str:
    """The assessment report as Markdown (summary, scores, weight shift, levers, omissions, stall reasons,
    archetypes, sources, appendix with the raw answers and the model used)."""
    doc = assessment_doc(
        report,
        answers,
        title=title,
        model_used=model_used,
        sources=sources,
        created=created,
        framework=framework,
    )
    return render_markdown(doc)


def assessment_pdf(
    report: Mapping[str, Any],
    answers: Mapping[str, int | None],
    *,
    title: str,
    model_used: str,
    sources: Sequence[Mapping[str, Any]],
    created: datetime,
    framework: Framework | None = None,
    chart_renderer: ChartRenderer | None = chart_png,
) -> bytes:
    """The assessment report as PDF bytes; the chart is a PNG from `chart_renderer` (None or a failure:
    bars drawn with fpdf2 instead)."""
    doc = assessment_doc(
        report,
        answers,
        title=title,
        model_used=model_used,
        sources=sources,
        created=created,
        framework=framework,
    )
    names = variable_names(report, framework)
    png: bytes | None = None
    if chart_renderer is not None:
        try:
            png = chart_renderer(score_chart(report, names).to_dict())
        except ChartError:
            png = None
    return render_pdf(doc, created=created, chart_png=png, chart_rows=chart_rows(report, names))


def _require_approved(draft: Draft) -> None:
    if not draft.approved or draft.approved_at is None:
        raise ReportError(f"draft {draft.id!r} is not approved: the coach must approve it before export")


def advice_doc(draft: Draft, *, client: str) -> ReportDoc:
    """The approved advice as a document: meta, the coach's text, the label key and the sources."""
    _require_approved(draft)
    approved = draft.approved_at.astimezone(UTC) if draft.approved_at else draft.updated
    meta = (
        ("Client", plain(client)),
        ("Kind", draft.kind),
        ("Approved", approved.strftime("%Y-%m-%d %H:%M UTC")),
    )
    heading = "Email" if draft.kind == "email" else "Memo"
    sections = (
        Section(heading, (Markdown(draft.body),)),
        Section("How to read the labels", (Paragraph(LABEL_NOTE),)),
        sources_section(draft.sources),
    )
    return ReportDoc(title=plain(draft.title or f"Advice for {client}"), meta=meta, sections=sections)


def advice_markdown(draft: Draft, *, client: str) -> str:
    """Approved advice as Markdown; `ReportError` if the draft is not approved."""
    return render_markdown(advice_doc(draft, client=client))


def advice_pdf(draft: Draft, *, client: str) -> bytes:
    """Approved advice as PDF bytes; `ReportError` if the draft is not approved."""
    doc = advice_doc(draft, client=client)
    return render_pdf(doc, created=draft.approved_at or draft.updated)
