"""diagnosis.readout: what the score card, the report and `keysmith score` tell a manager (issue 13, 6-7)."""

from __future__ import annotations

import pytest
from cli_support import ROOT

from keysmith.diagnosis import full_report
from keysmith.diagnosis.readout import archetype_why, report_answers, stall_readout
from keysmith.framework import Framework, load_framework


@pytest.fixture(scope="module")
def framework() -> Framework:
    return load_framework(ROOT / "knowledge" / "framework")


def test_only_reasons_with_an_answer_of_2_or_lower_are_likely(framework: Framework) -> None:
    answers = {v.id: 4 for v in framework.variables} | {"economics": 5, "governance": 2}
    readout = stall_readout(full_report(answers, framework), framework)
    assert [(r.id, [w.text for w in r.weak]) for r in readout.likely] == [
        ("governance_vacuum", ["Governance is weak (2 of 5)"])
    ]
    assert not readout.unjudged and "Economics Shift" in readout.clear


def test_unanswered_questions_make_a_reason_unjudged_not_unlikely(framework: Framework) -> None:
    answers = {"data_infrastructure": 1, "process_integration": None, "economics": 4}
    readout = stall_readout(full_report(answers, framework), framework)
    mismatch = next(r for r in readout.likely if r.id == "input_output_mismatch")
    assert [w.text for w in mismatch.weak] == ["Data infrastructure is very weak (1 of 5)"]
    assert mismatch.unanswered == ("Process integration",)
    assert [r.id for r in readout.unjudged] == ["governance_vacuum", "change_management_deficit"]
    assert readout.unjudged_line() == (
        "Could not be judged, because a question behind it was not answered: Governance Vacuum (Governance); "
        "Change Management Deficit (Change management and Organisational readiness)."
    )
    assert readout.clear == ("Economics Shift",)


def test_archetypes_are_explained_in_a_managers_words(framework: Framework) -> None:
    report = full_report({"governance": 1, "change_management": 2, "team_capability": 2}, framework)
    answers = report_answers(report)
    why = {a["id"]: archetype_why(a, answers, framework) for a in report["archetypes"]}
    assert why["risk_management"] == "Suggested because governance is very weak (1 of 5)."
    assert why["education"] == (
        "Suggested because change management is weak (2 of 5) and team capability is weak (2 of 5)."
    )
    story = {"gap_variables": ["data_infrastructure"]}  # a story's suggestion: no answers behind it
    assert archetype_why(story, {}, framework) == (
        "Suggested because what you described points to weak data infrastructure."
    )
