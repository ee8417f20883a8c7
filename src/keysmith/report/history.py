"""A client workspace's report: assessments over time and several respondents (JSON, Markdown, PDF).

`workspace_data(store, workspace, framework)` is the `keysmith report WS --format json` shape:
- `workspace`: `{id, name}`;
- `history`: per completed assessment, oldest first: `number, id, date, scores {pilot, production}, answers,
  deltas {since_previous, since_first}` (each `{scores, variables}` or null for the first);
- `what_changed`: "what changed since last time" as sentences labelled `[score]`;
- `respondents`: `roles` [{role, respondents, answers}], `spread` [{variable, min, max, roles_answered}],
  `gaps` [{variable, min, max, roles {role: answer}, finding, why}] strongest first, and `combined`
  {answers, scores, coverage, roles, per_variable} (coverage: the share of each profile's weight answered).
Every number comes from the stored scores or the pure `assessment.history` / `assessment.respondents`.
`workspace_markdown` / `workspace_pdf` render the same content; the PDF embeds the trend chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import altair as alt

from keysmith.assessment.history import PROFILES, change_lines
from keysmith.assessment.respondents import (
    combine,
    gap_finding,
    gaps,
    role_answers,
    spreads,
    why_it_matters,
)
from keysmith.framework import Framework
from keysmith.report.charts import ChartError, ChartRenderer, chart_png
from keysmith.report.doc import (
    Bullets,
    ChartSpot,
    Paragraph,
    ReportDoc,
    Section,
    Table,
    plain,
    render_markdown,
)
from keysmith.report.pdf import render_pdf
from keysmith.store import Store
from keysmith.store.history import respondent_responses, workspace_history
from keysmith.store.records import Workspace

_PROFILE_NAMES = {"pilot": "Pilot", "production": "Production"}


def _names(framework: Framework) -> dict[str, str]:
    return {v.id: v.name for v in framework.variables}


def respondents_data(store: Store, workspace_id: str, framework: Framework) -> dict[str, Any]:
    """The `respondents` part of the report (see the module doc)."""
    responses = respondent_responses(store, workspace_id)
    ids = list(framework.variable_ids)
    roles = role_answers(responses, ids)
    counts: dict[str, int] = {}
    for role in roles:
        counts[role] = sum(1 for r in responses if " ".join(r.role.split()).casefold() == role.casefold())
    names = _names(framework)
    found = [
        gap.to_dict()
        | {"finding": gap_finding(gap, names[gap.variable]), "why": why_it_matters(gap.variable, framework)}
        for gap in gaps(roles, ids)
    ]
    combined_data = None
    if responses:
        combined = combine(responses, framework)
        profiles = combined.report.to_dict()["profiles"]
        combined_data = {
            "answers": dict(combined.answers),
            "scores": {p: profiles[p]["score"] for p in PROFILES},
            "coverage": {p: profiles[p]["coverage"] for p in PROFILES},
        } | combined.coverage.to_dict()
    return {
        "roles": [{"role": r, "respondents": counts[r], "answers": a} for r, a in roles.items()],
        "spread": [
            {"variable": s.variable, "min": s.low, "max": s.high, "roles_answered": s.roles_answered}
            for s in spreads(roles, ids)
        ],
        "gaps": found,
        "combined": combined_data,
    }


def workspace_data(store: Store, workspace: Workspace, framework: Framework) -> dict[str, Any]:
    """The whole workspace report as plain JSON data (see the module doc)."""
    history = workspace_history(store, workspace.id)
    return {
        "workspace": {"id": workspace.id, "name": workspace.name},
        "history": [entry.to_dict() for entry in history],
        "what_changed": change_lines(history, _names(framework)),
        "respondents": respondents_data(store, workspace.id, framework),
    }


def trend_rows(history: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per (assessment, profile) with its score: the trend chart's data (also the PDF's fallback
    bars: `variable` is the assessment's label, `stage` the profile)."""
    rows = []
    for item in history:
        label = f"#{item['number']} {str(item['date'])[:10]}"
        for profile in PROFILES:
            rows.append(
                {
                    "variable": label,
                    "assessment": label,
                    "stage": _PROFILE_NAMES[profile],
                    "stage_id": profile,
                    "points": item["scores"].get(profile),
                }
            )
    return rows


def trend_chart(history: Sequence[Mapping[str, Any]]) -> alt.Chart:
    """Pilot and production readiness (0-100) per assessment, oldest left: a line with points."""
    rows = trend_rows(history)
    order = list(dict.fromkeys(r["assessment"] for r in rows))
    chart: alt.Chart = (
        alt.Chart(alt.InlineData(values=rows), title="Readiness over time (0-100)")
        .mark_line(point=True)
        .encode(
            x=alt.X("assessment:N", sort=order, title="assessment", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("points:Q", title="score", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("stage:N", title=None),
            tooltip=["assessment:N", "stage:N", "points:Q"],
        )
        .properties(width=460)
    )
    return chart


def _fmt(value: object, signed: bool = False) -> str:
    if value is None:
        return "–"
    if isinstance(value, int | float):
        return f"{value:+g}" if signed and value else f"{value:g}"
    return plain(value)


def history_table(history: Sequence[Mapping[str, Any]]) -> Table:
    """Per assessment: date, both scores, and their change since the previous and since the first."""
    rows = []
    for item in history:
        deltas = item["deltas"]
        previous, first = deltas["since_previous"] or {}, deltas["since_first"] or {}
        rows.append(
            (
                f"#{item['number']}",
                str(item["date"])[:10],
                *(_fmt(item["scores"].get(p)) for p in PROFILES),
                *(_fmt((previous.get("scores") or {}).get(p), True) for p in PROFILES),
                *(_fmt((first.get("scores") or {}).get(p), True) for p in PROFILES),
            )
        )
    header = ("#", "date", "pilot", "production", "Δ pilot (prev.)", "Δ prod. (prev.)", "Δ pilot (first)")
    return Table((*header, "Δ prod. (first)"), tuple(rows))


def variable_table(history: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> Table:
    """Per variable: its answer in each assessment, then the latest change since the previous and first."""
    latest = history[-1]["deltas"] if history else {}
    previous = (latest.get("since_previous") or {}).get("variables") or {}
    first = (latest.get("since_first") or {}).get("variables") or {}
    rows = tuple(
        (
            names.get(variable, variable),
            *(_fmt(item["answers"].get(variable)) for item in history),
            _fmt(previous.get(variable), True),
            _fmt(first.get(variable), True),
        )
        for variable in names
    )
    header = ("variable", *(f"#{item['number']}" for item in history), "Δ since previous", "Δ since first")
    return Table(header, rows)


def _gap_items(gap_list: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    items = []
    for gap in gap_list:
        why = gap["why"]
        text = f"{gap['finding']} Why it matters: {why['help']}"
        if why.get("stall_reason_name"):
            text += f" A gap here can hide {why['stall_reason_name']}: {why['summary']} ({why['source']})"
        items.append(text)
    return tuple(items)


def _respondents_section(data: Mapping[str, Any], names: Mapping[str, str]) -> Section:
    roles = data["roles"]
    if not roles:
        return Section("Respondents", (Paragraph("No respondent has answered yet."),))
    header = ("variable", *(f"{r['role']} ({r['respondents']})" for r in roles))
    rows = tuple((names.get(v, v), *(_fmt(r["answers"].get(v)) for r in roles)) for v in names)
    blocks: list[Any] = [Table(header, rows)]
    if data["gaps"]:
        blocks += [
            Paragraph("Perception gaps, strongest first:", emphasis=True),
            Bullets(_gap_items(data["gaps"])),
        ]
    else:
        blocks.append(
            Paragraph("No perception gap: no variable where the roles differ by two points or more.")
        )
    combined = data["combined"]
    if combined:
        scores = ", ".join(
            f"{p} {_fmt(combined['scores'][p])} (coverage {combined['coverage'][p]:.0%})" for p in PROFILES
        )
        blocks.append(Paragraph(f"Combined score of {combined['roles']} roles: {scores}. [score]"))
    return Section("Respondents", tuple(blocks))


def workspace_doc(data: Mapping[str, Any], framework: Framework, created: datetime) -> ReportDoc:
    """The workspace report as a document: history, what changed, respondents."""
    names = _names(framework)
    history = data["history"]
    blocks: list[Any] = [Paragraph("No completed assessment yet.")]
    if history:
        blocks = [history_table(history), ChartSpot("Readiness over time"), variable_table(history, names)]
    changed = data["what_changed"]
    sections = (
        Section("Assessments over time", tuple(blocks)),
        Section(
            "What changed since last time",
            (Bullets(tuple(changed)),) if changed else (Paragraph("Fewer than two assessments so far."),),
        ),
        _respondents_section(data["respondents"], names),
    )
    meta = (("Client", plain(data["workspace"]["name"])), ("Created", created.strftime("%Y-%m-%d %H:%M UTC")))
    return ReportDoc(title=f"Client file: {plain(data['workspace']['name'])}", meta=meta, sections=sections)


def workspace_markdown(data: Mapping[str, Any], framework: Framework, created: datetime | None = None) -> str:
    """The workspace report as Markdown."""
    return render_markdown(workspace_doc(data, framework, created or datetime.now(UTC)))


def workspace_pdf(
    data: Mapping[str, Any],
    framework: Framework,
    created: datetime | None = None,
    chart_renderer: ChartRenderer | None = chart_png,
) -> bytes:
    """The workspace report as PDF bytes, with the trend chart (fpdf2 bars if it cannot be rendered)."""
    when = created or datetime.now(UTC)
    png: bytes | None = None
    if chart_renderer is not None and data["history"]:
        try:
            png = chart_renderer(trend_chart(data["history"]).to_dict())
        except ChartError:
            png = None
    doc = workspace_doc(data, framework, when)
    return render_pdf(doc, created=when, chart_png=png, chart_rows=trend_rows(data["history"]))
