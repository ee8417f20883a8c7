"""The assessment report's content: a `full_report` dict (scoring + diagnosis) -> `ReportDoc`.

Every number shown comes from the report dict; this module only formats it for a reader: scores, points and
gains as whole numbers (a score of 65.79 shows as 66, a change of 21.43 as +21; full precision stays in the
dict, `--json` and stored data), a weight of 0.15 as 15%. The formula version is not shown (it is in the
JSON). Names come from the framework when one is given, else the
ids are shown. Unknown or missing parts of the dict are skipped with a plain line, never guessed.

How one value is shown is `report.values` (`num`, `whole`, `pct`, `answer_text`, `Names`); the Sources
section and its numbering are `report.sources`. Both are re-exported from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from keysmith.diagnosis.readout import archetype_why, join_names, report_answers, stall_readout
from keysmith.framework import Framework
from keysmith.report.doc import Bullets, ChartSpot, Paragraph, ReportDoc, Section, Table, plain
from keysmith.report.sources import source_numbers, sources_section
from keysmith.report.values import Names, answer_text, num, pct, whole

__all__ = [
    "PROFILE_ORDER",
    "Names",
    "answer_text",
    "assessment_doc",
    "evidence_lines",
    "num",
    "pct",
    "profile_ids",
    "source_numbers",
    "sources_section",
    "whole",
]

PROFILE_ORDER = ("pilot", "production")


def profile_ids(report: Mapping[str, Any]) -> list[str]:
    """Profiles in display order: pilot, production, then any others by id."""
    profiles = report.get("profiles") or {}
    return [p for p in PROFILE_ORDER if p in profiles] + sorted(p for p in profiles if p not in PROFILE_ORDER)


def _summary(report: Mapping[str, Any], names: Names) -> Section:
    lines: list[str] = []
    profiles = report.get("profiles") or {}
    for pid in profile_ids(report):
        data = profiles[pid]
        label = str(data.get("name") or names.profile(pid))
        if data.get("score") is None:
            lines.append(f"{label}: no score yet (no variable of this profile was answered).")
        else:
            lines.append(
                f"{label}: {whole(data['score'])} / 100, "
                f"resting on {pct(data.get('coverage'))} of its weight."
            )
    shift = report.get("weight_shift") or {}
    if shift.get("score_change") is not None:
        lines.append(
            "From pilot to production the score changes by "
            f"{whole(shift['score_change'], signed=True)} points; "
            f"{pct(shift.get('weight_moved'))} of the weight moves between variables."
        )
    levers = report.get("levers") or []
    if levers:
        top = levers[0]
        lines.append(
            f"Biggest lever: {names.variable(top['variable'])} — raising it from "
            f"{answer_text(top.get('answer'))} to 5 / 5 adds {whole(top.get('gain'))} production points."
        )
    omissions = report.get("omissions") or []
    if omissions:
        missing = ", ".join(names.variable(o["variable"]) for o in omissions)
        lines.append(f"Not answered ({len(omissions)}): {missing}.")
    return Section("Summary", (Bullets(tuple(lines)),))


def _scores(report: Mapping[str, Any], names: Names) -> Section:
    profiles = report.get("profiles") or {}
    pids = profile_ids(report)
    by_profile = {pid: {c["variable"]: c for c in profiles[pid].get("contributions", [])} for pid in pids}
    order = [c["variable"] for c in profiles[pids[0]].get("contributions", [])] if pids else []
    header = ["Variable", "Answer"]
    for pid in pids:
        label = str(profiles[pid].get("name") or names.profile(pid))
        header += [f"{label} weight", f"{label} points"]
    rows = []
    for vid in order:
        first = by_profile[pids[0]][vid]
        row = [names.variable(vid), answer_text(first.get("answer"))]
        for pid in pids:
            item = by_profile[pid].get(vid, {})
            row += [pct(item.get("weight")), whole(item.get("points"))]
        rows.append(tuple(row))
    totals = tuple(
        f"{profiles[p].get('name') or names.profile(p)}: score {whole(profiles[p].get('score'))} / 100, "
        f"coverage {pct(profiles[p].get('coverage'))}"
        for p in pids
    )
    blocks = (
        Bullets(totals),
        Table(tuple(header), tuple(rows)),
        ChartSpot("Pilot vs production: each variable's points"),
    )
    return Section("Scores by profile", blocks)


def _weight_shift(report: Mapping[str, Any], names: Names) -> Section:
    shift = report.get("weight_shift") or {}
    rows = tuple(
        (
            names.variable(v["variable"]),
            pct(v.get("pilot_weight")),
            pct(v.get("production_weight")),
            ("+" if (v.get("delta") or 0) > 0 else "") + pct(v.get("delta")),
        )
        for v in shift.get("variables", [])
    )
    intro = Paragraph(
        f"Weight that changes hands from pilot to production: {pct(shift.get('weight_moved'))}. "
        "The variables that carried the pilot are not the ones that decide the rollout."
    )
    return Section("Weight shift", (intro, Table(("Variable", "Pilot", "Production", "Change"), rows)))


def _levers(report: Mapping[str, Any], names: Names) -> Section:
    levers = report.get("levers") or []
    if not levers:
        return Section("Levers", (Paragraph("No lever: every answered variable is already at 5 / 5."),))
    rows = tuple(
        (
            str(rank),
            names.variable(lv["variable"]),
            answer_text(lv.get("answer")),
            whole(lv.get("gain")),
            whole(lv.get("production_score_after")),
        )
        for rank, lv in enumerate(levers, start=1)
    )
    header = ("#", "Variable", "Now", "Gain (production points)", "Production score after")
    note = Paragraph("Gain: how many production points the score rises if this variable alone goes to 5 / 5.")
    return Section("Levers, ranked by gain", (note, Table(header, rows)))


def _omissions(report: Mapping[str, Any], names: Names) -> Section:
    omissions = report.get("omissions") or []
    if not omissions:
        return Section("Omissions", (Paragraph("Every variable was answered."),))
    items = tuple(f"{names.variable(o['variable'])}: {plain(o.get('reason', ''))}" for o in omissions)
    return Section("Omissions (not answered)", (Bullets(items),))


def evidence_lines(evidence: object) -> tuple[str, ...]:
    """Evidence in whatever plain shape diagnosis gives it: text, a list of texts, or of small dicts."""
    if evidence is None or evidence == []:
        return ()
    items = evidence if isinstance(evidence, list | tuple) else [evidence]
    lines = []
    for item in items:
        if isinstance(item, Mapping):
            lines.append("; ".join(f"{k}: {v}" for k, v in item.items() if v not in (None, "")))
        else:
            lines.append(str(item))
    return tuple(plain(line) for line in lines if line)


def _reason_label(reason: Mapping[str, Any], names: Names) -> str:
    name = str(reason.get("name") or names.stall_reason(str(reason.get("id", ""))))
    details = [str(reason["level"])] if reason.get("level") else []
    if isinstance(reason.get("strength"), int | float):
        details.append(f"strength {num(reason['strength'])}")
    return f"{name} ({', '.join(details)})" if details else name


def _likely_reasons(
    report: Mapping[str, Any], framework: Framework, sources: Sequence[Mapping[str, Any] | str]
) -> Section:
    """Only reasons with an answer of 2 or lower, with those answers as evidence and the passage the page
    showed for each ([n] as numbered in the Sources section); then the reasons that could not be judged."""
    readout = stall_readout(report, framework)
    numbers = source_numbers(sources)
    cited = {
        str(s.get("reason")): s for s in sources if isinstance(s, Mapping) and s.get("reason") and s.get("id")
    }
    blocks: list[Paragraph | Bullets] = []
    if not readout.likely:
        blocks.append(Paragraph("No answer is 2 or lower, so no stall reason is signalled by these answers."))
    for item in readout.likely:
        blocks.append(Paragraph(item.name, emphasis=True))
        blocks.append(Paragraph(plain(framework.stall_reason(item.id).summary)))  # as the score card shows
        lines = ["Evidence: " + "; ".join(w.text for w in item.weak) + "."]
        if item.unanswered:
            lines.append(f"Not answered, so not counted: {join_names(item.unanswered)}.")
        source = cited.get(item.id)
        if source is not None:
            lines.append(
                f"Framework passage: {plain(source.get('heading', ''))} [{numbers[str(source['id'])]}]"
            )
        blocks.append(Bullets(tuple(lines)))
    if readout.unjudged:
        blocks.append(Paragraph(readout.unjudged_line()))
    return Section("Likely stall reasons, with evidence", tuple(blocks))


def _stall_reasons(report: Mapping[str, Any], names: Names) -> Section:
    """Without a framework (no signal variables to look up): diagnosis's reasons as they are."""
    reasons = report.get("stall_reasons") or []
    if not reasons:
        return Section("Stall reasons", (Paragraph("No stall reason stands out from these answers."),))
    blocks: list[Paragraph | Bullets] = []
    for reason in reasons:
        blocks.append(Paragraph(_reason_label(reason, names), emphasis=True))
        lines = list(evidence_lines(reason.get("evidence")))
        omitted = [names.variable(str(v)) for v in reason.get("omitted") or []]
        if omitted:
            lines.append(f"Not answered, so not counted: {', '.join(omitted)}")
        if lines:
            blocks.append(Bullets(tuple(lines)))
    return Section("Stall reasons, with evidence", tuple(blocks))


def _archetypes(report: Mapping[str, Any], names: Names, framework: Framework | None) -> Section:
    archetypes = report.get("archetypes") or []
    if not archetypes:
        return Section("Solution archetypes", (Paragraph("No archetype was suggested for these answers."),))
    answers = report_answers(report)

    def why(item: Mapping[str, Any]) -> str:
        return archetype_why(item, answers, framework) if framework else plain(item.get("reason", ""))

    items = tuple(
        f"{a.get('name') or names.archetype(str(a.get('id', '')))}: {why(a)}".rstrip(": ") for a in archetypes
    )
    return Section("Solution archetypes", (Bullets(items),))


def _appendix(
    report: Mapping[str, Any], answers: Mapping[str, int | None], names: Names, model: str
) -> Section:
    rows = tuple((vid, names.variable(vid), answer_text(value)) for vid, value in answers.items())
    facts = Bullets(
        (
            f"Model used: {model or 'offline'}",
            "Every number above was computed by Keysmith's deterministic scoring, not by a language model.",
        )
    )
    return Section("Appendix: raw answers", (Table(("Variable id", "Variable", "Answer"), rows), facts))


def assessment_doc(
    report: Mapping[str, Any],
    answers: Mapping[str, int | None],
    *,
    title: str,
    model_used: str,
    sources: Sequence[Mapping[str, Any]],
    created: datetime,
    framework: Framework | None = None,
) -> ReportDoc:
    """The assessment report as a document (see the module doc)."""
    names = Names(framework)
    meta = (
        ("Created", created.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("Model used", model_used or "offline"),
    )
    sections = (
        _summary(report, names),
        _scores(report, names),
        _weight_shift(report, names),
        _levers(report, names),
        _omissions(report, names),
        _likely_reasons(report, framework, sources) if framework else _stall_reasons(report, names),
        _archetypes(report, names, framework),
        sources_section(sources),
        _appendix(report, answers, names, model_used),
    )
    return ReportDoc(title=plain(title), meta=meta, sections=sections)
