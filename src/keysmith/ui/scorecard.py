"""The score card: every number on it comes from `scoring` / `diagnosis` (the UI only lays it out).

Pilot vs production per variable and overall (Altair), the weight shift, the levers with their gain, what-if
sliders that re-score through `scoring.what_if`, omissions called out, and stall reasons with the passage that
backs each. The report downloads (Markdown, PDF) are built by `keysmith.report`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import streamlit as st

from keysmith import scoring
from keysmith.diagnosis import full_report
from keysmith.errors import KeysmithError
from keysmith.report.charts import STAGE_COLOURS, score_chart
from keysmith.ui import render
from keysmith.ui.state import Resources

_STAGES = {"pilot": "Pilot stage", "production": "Production rollout"}
_COLORS = alt.Scale(domain=list(_STAGES.values()), range=[STAGE_COLOURS[s] for s in _STAGES])
DONT_KNOW = "Don't know"


def render_scorecard(res: Resources, answers: Mapping[str, int | None], key: str) -> dict[str, Any]:
    """Draw the score card for `answers` (`key` keeps widget keys apart); returns the report dict."""
    report = full_report(dict(answers), res.framework)
    _headline(report)
    _charts(res, report)
    _levers(res, report)
    _omissions(report)
    _what_if(res, answers, key)
    _stall_reasons(res, report)
    return report


def _name(res: Resources, variable_id: str) -> str:
    return res.framework.variable(variable_id).name


def _headline(report: Mapping[str, Any]) -> None:
    shift = report["weight_shift"]
    cols = st.columns(3)
    for col, profile_id in zip(cols, _STAGES, strict=False):
        profile = report["profiles"][profile_id]
        value = "n/a" if profile["score"] is None else f"{profile['score']}"
        col.metric(f"{_STAGES[profile_id]} readiness", value, help=f"Coverage {profile['coverage']:.0%}")
    change = shift.get("score_change")
    cols[2].metric("Change pilot → production", "n/a" if change is None else f"{change:+}")
    st.caption(
        f"Scores are 0–100 over the answered variables (formula {report['formula_version']}). "
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
        st.altair_chart(score_chart(report, names), width="stretch")
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
            y=alt.Y("variable:N", sort=order, title=None),
            yOffset=alt.YOffset("stage:N"),
            color=alt.Color("stage:N", scale=_COLORS, title=None),
            tooltip=["variable:N", "stage:N", "answer:O", alt.Tooltip(f"{field}:Q", format=".2f")],
        )
        .properties(height=320)
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
            f"**{lever['gain']}** production points (to {lever['production_score_after']})."
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
                "n/a" if after is None else after,
                None if delta is None else f"{delta:+}",
            )


def _stall_reasons(res: Resources, report: Mapping[str, Any]) -> None:
    st.subheader("Likely stall reasons")
    findings = [f for f in report.get("stall_reasons") or [] if f.get("level") not in ("none", "unknown")]
    if not findings:
        st.write("None of the known stall reasons is signalled by these answers.")
    for finding in findings:
        reason = res.framework.stall_reason(finding["id"])
        st.markdown(f"**{reason.name}** — {finding.get('level', '')} signal")
        st.write(reason.summary)
        for line in finding.get("evidence") or []:
            st.caption(f"• {line}")
        _passage_for(res, reason.name, reason.summary, reason.knowledge_id)
    unknown = [f["name"] for f in report.get("stall_reasons") or [] if f.get("level") == "unknown"]
    if unknown:
        st.caption("Not enough answers to judge: " + ", ".join(unknown) + ".")
    archetypes = report.get("archetypes") or []
    if archetypes:
        st.subheader("Solution archetypes that fit")
        for item in archetypes:
            st.markdown(f"**{item['name']}** — {item['reason']}")


def _passage_for(res: Resources, name: str, summary: str, knowledge_id: str) -> None:
    """The framework passage behind a stall reason, shown as an expandable source."""
    try:
        found = res.retriever.search(f"{name}. {summary}", k=4, kind="stall_reason")
    except KeysmithError as exc:
        st.caption(f"Source passage unavailable: {exc}")
        return
    passages = [p for p in found.results if p.id.split("#")[0] == knowledge_id] or list(found.results[:1])
    if passages:
        passage = passages[0]
        with st.expander(f"Source: {passage.heading} — {passage.source}"):
            render.quote(passage.text)
