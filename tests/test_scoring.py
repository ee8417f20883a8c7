"""The scoring engine: the formula by hand, validation, ranking rules, and properties over all answer sets."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keysmith.errors import ScoringInputError
from keysmith.framework import Framework, load_framework
from keysmith.scoring import (
    FORMULA_VERSION,
    parse_answers_document,
    score,
    validate_answers,
    value_of,
    what_if,
)

FRAMEWORK = load_framework(Path(__file__).resolve().parents[1] / "knowledge" / "framework")
IDS = FRAMEWORK.variable_ids
PILOT_CARRIERS = ("technology_fit", "team_capability")

STALLED = {
    "technology_fit": 5,
    "team_capability": 4,
    "data_infrastructure": 2,
    "process_integration": 1,
    "governance": None,
    "change_management": 2,
    "organizational_readiness": 3,
    "economics": 3,
}

answer_values = st.one_of(st.none(), st.integers(min_value=1, max_value=5))
answer_sets = st.fixed_dictionaries({vid: answer_values for vid in IDS})


def _json(answers: dict[str, int | None], framework: Framework = FRAMEWORK) -> str:
    return json.dumps(score(answers, framework).to_dict(), sort_keys=True)


# --- the formula, worked by hand ----------------------------------------------------------------------


def test_answer_values_map_one_to_five_onto_zero_to_one() -> None:
    assert [value_of(a) for a in range(1, 6)] == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_stalled_example_by_hand() -> None:
    report = score(STALLED, FRAMEWORK)
    # pilot: answered weight 0.95 (all but governance);
    # sum w*v = .3 + .1875 + .025 + 0 + .0125 + .05 + .05 = .625
    pilot = report.profiles["pilot"]
    assert pilot.coverage == pytest.approx(0.95)
    assert pilot.score == pytest.approx(100 * 0.625 / 0.95)
    # production: answered weight 0.85; sum w*v = .05 + .0375 + .05 + 0 + .0375 + .075 + .05 = .3
    production = report.profiles["production"]
    assert production.coverage == pytest.approx(0.85)
    assert production.score == pytest.approx(100 * 0.3 / 0.85)
    data = report.to_dict()
    assert data["formula_version"] == FORMULA_VERSION
    assert data["profiles"]["pilot"]["score"] == 65.79
    assert data["profiles"]["production"]["score"] == 35.29
    assert data["weight_shift"]["score_change"] == -30.5
    assert data["weight_shift"]["weight_moved"] == 0.45


def test_contribution_points_sum_to_the_score() -> None:
    production = score(STALLED, FRAMEWORK).profiles["production"]
    points = [c.points for c in production.contributions if c.points is not None]
    assert math.fsum(points) == pytest.approx(production.score)
    governance = production.contribution("governance")
    assert (governance.answer, governance.value, governance.points) == (None, None, None)
    assert governance.weight == 0.15


def test_nothing_answered_gives_no_score_and_lists_every_omission() -> None:
    report = score({}, FRAMEWORK)
    for profile in report.profiles.values():
        assert profile.score is None
        assert profile.coverage == 0
    assert report.levers == ()
    assert report.weight_shift.score_change is None
    assert [o.variable for o in report.omissions] == [
        "data_infrastructure",
        "change_management",
        "governance",
        "organizational_readiness",
        "process_integration",
        "economics",
        "team_capability",
        "technology_fit",
    ]
    assert "Omission Neglect" in report.omissions[0].reason
    assert "20%" in report.omissions[0].reason


def test_levers_rank_by_production_gain_then_id() -> None:
    report = score(STALLED, FRAMEWORK)
    assert [(lv.variable, lv.answer) for lv in report.levers] == [
        ("data_infrastructure", 2),  # 0.2 * 0.75 / 0.85 -> 17.65 (ties with process_integration; id decides)
        ("process_integration", 1),  # 0.15 * 1.0 / 0.85 -> 17.65
        ("change_management", 2),
        ("organizational_readiness", 3),
        ("economics", 3),
        ("team_capability", 4),
    ]
    assert "technology_fit" not in {lv.variable for lv in report.levers}  # already at 5
    first = report.levers[0]
    raised = score({**STALLED, "data_infrastructure": 5}, FRAMEWORK).profiles["production"].score
    current = report.profiles["production"].score
    assert raised is not None and current is not None
    assert first.production_score_after == pytest.approx(raised)
    assert first.gain == pytest.approx(raised - current)
    assert first.weight == 0.2


def test_weight_shift_lists_gainers_first() -> None:
    shift = score(STALLED, FRAMEWORK).weight_shift
    assert [v.variable for v in shift.variables][:4] == [
        "change_management",
        "data_infrastructure",
        "governance",
        "process_integration",
    ]
    assert [v.variable for v in shift.variables][-2:] == ["team_capability", "technology_fit"]
    tech = shift.variables[-1]
    assert (tech.pilot_weight, tech.production_weight) == (0.3, 0.05)
    assert tech.delta == pytest.approx(-0.25)
    assert tech.pilot_points is not None and tech.production_points is not None
    assert tech.pilot_points > tech.production_points


def test_what_if_applies_changes_and_reports_the_delta() -> None:
    original = dict(STALLED)
    report = what_if(original, {"governance": 1, "economics": 5}, FRAMEWORK)
    assert original == STALLED  # the caller's answers are not touched
    assert report.answers["governance"] == 1 and report.answers["economics"] == 5
    assert report.what_if is not None
    assert dict(report.what_if.changes) == {"governance": 1, "economics": 5}
    base = score(STALLED, FRAMEWORK)
    for pid, profile in report.profiles.items():
        before = base.profiles[pid].score
        assert report.what_if.baseline[pid] == before
        assert profile.score is not None and before is not None
        assert report.what_if.delta[pid] == pytest.approx(profile.score - before)
    assert report.omissions == ()
    assert report.to_dict()["what_if"]["changes"] == {"economics": 5, "governance": 1}
    assert score(STALLED, FRAMEWORK).to_dict()["what_if"] is None


# --- validation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0"),
        (6, "6"),
        (True, "true"),
        (False, "false"),
        (3.0, "3.0"),
        (2.5, "2.5"),
        ("4", '"4"'),
        ([3], "[3]"),
    ],
)
def test_invalid_values_name_the_variable_and_the_value(value: object, shown: str) -> None:
    with pytest.raises(ScoringInputError) as info:
        validate_answers({"governance": value}, FRAMEWORK)
    assert str(info.value) == f"governance: expected 1..5 or null, got {shown}"


def test_unknown_variable_and_wrong_shapes_are_rejected() -> None:
    with pytest.raises(ScoringInputError, match=r"^budget: unknown variable id 'budget'"):
        validate_answers({"budget": 3}, FRAMEWORK)
    with pytest.raises(ScoringInputError, match=r"^answers: expected an object.*got list"):
        validate_answers([3, 4], FRAMEWORK)
    with pytest.raises(ScoringInputError, match=r"^document: expected an object"):
        parse_answers_document("answers", FRAMEWORK)
    with pytest.raises(ScoringInputError, match=r"^answers: missing"):
        parse_answers_document({"answer": {}}, FRAMEWORK)
    with pytest.raises(ScoringInputError, match=r"^scores: unknown top-level field"):
        parse_answers_document({"answers": {}, "scores": {}}, FRAMEWORK)
    with pytest.raises(ScoringInputError, match=r"^budget: unknown variable id"):
        what_if(STALLED, {"budget": 2}, FRAMEWORK)


def test_document_form_fills_unanswered_variables_with_none() -> None:
    answers = parse_answers_document({"title": "t", "note": "n", "answers": {"governance": 2}}, FRAMEWORK)
    assert list(answers) == list(IDS)
    assert answers["governance"] == 2
    assert sum(v is None for v in answers.values()) == len(IDS) - 1


# --- properties -------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(answer_sets)
def test_scores_stay_in_range_and_points_add_up(answers: dict[str, int | None]) -> None:
    report = score(answers, FRAMEWORK)
    anything = any(v is not None for v in answers.values())
    for profile in report.profiles.values():
        if not anything:
            assert profile.score is None
            continue
        assert profile.score is not None
        assert 0.0 <= profile.score <= 100.0
        assert 0.0 < profile.coverage <= 1.0 + 1e-9
        assert math.fsum(c.points or 0.0 for c in profile.contributions) == pytest.approx(profile.score)


@settings(max_examples=100, deadline=None)
@given(st.sets(st.sampled_from(IDS), min_size=1), st.sampled_from([1, 5]))
def test_all_fives_give_100_and_all_ones_give_0(answered: set[str], level: int) -> None:
    report = score(dict.fromkeys(answered, level), FRAMEWORK)
    for profile in report.profiles.values():
        assert profile.score == pytest.approx(100.0 if level == 5 else 0.0)


@settings(max_examples=200, deadline=None)
@given(answer_sets, st.sampled_from(IDS))
def test_raising_one_answer_never_lowers_a_score(answers: dict[str, int | None], variable: str) -> None:
    current = answers[variable]
    if current is None or current == 5:
        current = 1
    before = score({**answers, variable: current}, FRAMEWORK)
    after = score({**answers, variable: current + 1}, FRAMEWORK)
    for pid, profile in after.profiles.items():
        old = before.profiles[pid].score
        assert profile.score is not None and old is not None
        assert profile.score >= old - 1e-9


@settings(max_examples=200, deadline=None)
@given(answer_sets, st.sampled_from(IDS))
def test_removing_an_answer_lowers_coverage(answers: dict[str, int | None], variable: str) -> None:
    answers = {**answers, variable: answers[variable] or 3}
    before = score(answers, FRAMEWORK)
    after = score({**answers, variable: None}, FRAMEWORK)
    for pid, profile in after.profiles.items():
        assert profile.coverage < before.profiles[pid].coverage


@settings(max_examples=100, deadline=None)
@given(answer_sets, st.randoms(use_true_random=False))
def test_output_is_deterministic_and_ignores_key_order(answers: dict[str, int | None], rnd: object) -> None:
    items = list(answers.items())
    rnd.shuffle(items)  # type: ignore[attr-defined]
    assert _json(answers) == _json(dict(items)) == _json(dict(answers))


@settings(max_examples=200, deadline=None)
@given(
    st.fixed_dictionaries({vid: st.integers(4, 5) for vid in PILOT_CARRIERS}),
    st.fixed_dictionaries({vid: st.integers(1, 2) for vid in IDS if vid not in PILOT_CARRIERS}),
)
def test_strong_pilot_weak_elsewhere_scores_far_higher_as_a_pilot(
    carriers: dict[str, int], rest: dict[str, int]
) -> None:
    profiles = score({**carriers, **rest}, FRAMEWORK).profiles
    pilot, production = profiles["pilot"].score, profiles["production"].score
    assert pilot is not None and production is not None
    assert pilot >= production + 20
    assert pilot >= 1.7 * production
