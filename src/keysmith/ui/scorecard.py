"""The score card: every number on it comes from `scoring` / `diagnosis` (the UI only lays it out).

Pilot vs production per variable and overall (Altair), the weight shift, the levers with their gain, what-if
sliders that re-score through `scoring.what_if`, omissions called out, and the likely stall reasons with the
passage that backs each. Only reasons with an answer of 2 or lower are "likely", and only those weak answers
are their evidence (`diagnosis.readout`); reasons whose questions were not answered are named as not judged.
Archetypes say why in a manager's words. The passages shown are returned, so the report downloads (built by
`keysmith.report`) cite the same ones. Scores, points and gains are shown as whole numbers
(`report.assessment.whole`); the report dict keeps full precision. Charts stretch to the container's width.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import altair as alt
import streamlit as st

from keysmith import scoring
from keysmith.diagnosis import full_report
from keysmith.diagnosis.readout import archetype_why, join_names, report_answers, stall_readout
from keysmith.errors import KeysmithError
from keysmith.report.assessment import whole
from keysmith.report.charts import STAGE_COLOURS, score_chart
from keysmith.ui import render
from keysmith.ui.state import Resources

_STAGES = {"pilot": "Pilot stage", "production": "Production rollout"}
_COLORS = alt.Scale(domain=list(_STAGES.values()), range=[STAGE_COLOURS[s] for s in _STAGES])
DONT_KNOW = "Don't know"


@dataclass(frozen=True)
class ScoreCard:
    """What the card showed: the report dict, and the framework passages shown beside the stall reasons
    (citation dicts `{id, source, heading, title, excerpt, reason}`, `reason` the stall reason's id)."""

    report: dict[str, Any]
    sources: tuple[dict[str, Any], ...]


def render_scorecard(res: Resources, answers: Mapping[str, int | None], key: str) -> ScoreCard:
    """Draw the score card for `answers` (`key` keeps widget keys apart)."""
    report = full_report(dict(answers), res.framework)
    _headline(report)
    _charts(res, report)
    _levers(res, report)
    _omissions(report)
    _what_if(res, answers, key)
    sources = _stall_reasons(res, report)
    _archetypes(res, report)
    return ScoreCard(report, sources)


def _name(res: Resources, variable_id: str) -> str:
    return res.framework.variable(variable_id).name


def _headline(report: Mapping[str, Any]) -> None:
    shift = report["weight_shift"]
    cols = st.columns(3)
    for col, profile_id in zip(cols, _STAGES, strict=False):
        profile = report["profiles"][profile_id]
        value = "n/a" if profile["score"] is None else whole(profile["score"])
        col.metric(f"{_STAGES[profile_id]} readiness", value, help=f"Coverage {profile['coverage']:.0%}")
    change = shift.get("score_change")
    cols[2].metric(
        "Change pilot → production", "n/a" if change is None else f"{whole(change, signed=True)} points"
    )
    st.caption(
        "Scores are 0–100 over the answered variables. "
        f"{shift['weight_moved']:.0%} of the weight moves between the two stages."
    )


def _charts(res: Resources, report: Mapping[str, Any]) -> None:
    rows = []
    for item in report["weight_shift"]["variables"]:
        name = _name(res, item["variable"])
        for stage, label in _STAGES.items():
            rows.append(
                {
                    "variable": name,
                    "stage": label,
                    "points": item[f"{stage}_points"] or 0.0,
                    "weight": item[f"{stage}_weight"],
                    "answer": item["answer"],
                }
            )
    order = [_name(res, v.id) for v in res.framework.variables]
    left, right = st.columns(2)
    with left:
        names = {v.id: v.name for v in res.framework.variables}
        st.altair_chart(score_chart(report, names).properties(width="container"), width="stretch")
    with right:
        st.altair_chart(_bars(rows, "weight", "Weight in the stage", order, percent=True), width="stretch")


def _bars(
    rows: list[dict[str, Any]], field: str, title: str, order: list[str], percent: bool = False
) -> alt.Chart:
    axis = alt.Axis(format="%") if percent else alt.Axis()
    chart: alt.Chart = (
        alt.Chart(alt.InlineData(values=rows), title="Weight shift: how much each variable counts")
        .mark_bar()
        .encode(
            x=alt.X(f"{field}:Q", title=title, axis=axis),
            y=alt.Y("variable:N", sort=order, title=None, axis=alt.Axis(labelLimit=0)),
            yOffset=alt.YOffset("stage:N"),
            color=alt.Color("stage:N", scale=_COLORS, title=None),
            tooltip=["variable:N", "stage:N", "answer:O", alt.Tooltip(f"{field}:Q", format=".0%")],
        )
        .properties(height=320, width="container")
    )
    return chart


def _levers(res: Resources, report: Mapping[str, Any]) -> None:
    st.subheader("Biggest levers")
    levers = report["levers"]
    if not levers:
        st.write("No lever: every answered variable is already at 5, or nothing was answered.")
        return
    for rank, lever in enumerate(levers[:5], start=1):
        st.markdown(
            f"{rank}. **{_name(res, lever['variable'])}** (now {lever['answer']}): raising it to 5 adds "
            f"**{whole(lever['gain'])}** production points (to {whole(lever['production_score_after'])})."
        )


def _omissions(report: Mapping[str, Any]) -> None:
    for omission in report["omissions"]:
        st.warning(omission["reason"], icon=":material/help:")


def _what_if(res: Resources, answers: Mapping[str, int | None], key: str) -> None:
    with st.expander("What if… (move an answer and see the score change)"):
        options: list[Any] = [DONT_KNOW, 1, 2, 3, 4, 5]
        changes: dict[str, int | None] = {}
        for variable in res.framework.variables:
            current = answers.get(variable.id)
            chosen = st.select_slider(
                variable.name,
                options=options,
                value=DONT_KNOW if current is None else current,
                key=f"whatif-{key}-{variable.id}",
            )
            value = None if chosen == DONT_KNOW else int(chosen)
            if value != current:
                changes[variable.id] = value
        if not changes:
            st.caption("Move a slider to compare.")
            return
        result = scoring.what_if(dict(answers), changes, res.framework).to_dict()
        cols = st.columns(len(_STAGES))
        for col, profile_id in zip(cols, _STAGES, strict=True):
            after = result["profiles"][profile_id]["score"]
            delta = result["what_if"]["delta"][profile_id]
            col.metric(
                f"{_STAGES[profile_id]} (what if)",
                "n/a" if after is None else whole(after),
                None if delta is None else f"{whole(delta, signed=True)} points",
            )


def _stall_reasons(res: Resources, report: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """The likely reasons, each with its weak answers and its passage; returns the passages shown."""
    st.subheader("Likely stall reasons")
    readout = stall_readout(report, res.framework)
    if not readout.likely:
        st.write("No answer is 2 or lower, so none of the known stall reasons is signalled by these answers.")
    shown: list[dict[str, Any]] = []
    for item in readout.likely:
        reason = res.framework.stall_reason(item.id)
        st.markdown(f"**{reason.name}**")
        st.write(reason.summary)
        st.caption("Evidence: " + "; ".join(w.text for w in item.weak) + ".")
        if item.unanswered:
            st.caption(f"Not answered, so not counted: {join_names(item.unanswered)}.")
        source = _passage_for(res, reason.name, reason.summary, reason.knowledge_id)
        if source is not None:
            shown.append({**source, "reason": reason.id})
    if readout.unjudged:
        st.caption(readout.unjudged_line())
    if readout.clear:
        st.caption(
            f"Not signalled (every question behind it answered 3 or higher): {join_names(readout.clear)}."
        )
    return tuple(shown)


def _archetypes(res: Resources, report: Mapping[str, Any]) -> None:
    archetypes = report.get("archetypes") or []
    if archetypes:
        st.subheader("Solution archetypes that fit")
        answers = report_answers(report)
        for item in archetypes:
            st.markdown(f"**{item['name']}** — {archetype_why(item, answers, res.framework)}")


def _passage_for(res: Resources, name: str, summary: str, knowledge_id: str) -> dict[str, Any] | None:
    """The framework passage behind a stall reason, shown as an expandable source under its title; returns
    it as a citation dict, or None when there is none."""
    try:
        found = res.retriever.search(f"{name}. {summary}", k=4, kind="stall_reason")
    except KeysmithError as exc:
        st.caption(f"Source passage unavailable: {exc}")
        return None
    passages = [p for p in found.results if p.id.split("#")[0] == knowledge_id] or list(found.results[:1])
    if not passages:
        return None
    passage = passages[0]
    with st.expander(f"Source: {passage.heading}"):
        render.quote(passage.text)
    return {
        "id": passage.id,
        "source": passage.source,
        "heading": passage.heading,
        "title": passage.title,
        "excerpt": passage.excerpt,
    }
