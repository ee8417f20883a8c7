"""The guided-assessment state machine: flow, don't know, back, amend, resume through JSON, validation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from keysmith import assessment as a
from keysmith.diagnosis import full_report
from keysmith.errors import AssessmentError
from keysmith.framework import load_framework

FRAMEWORK = load_framework(Path(__file__).resolve().parents[1] / "knowledge" / "framework")
IDS = FRAMEWORK.variable_ids
T0, T1 = "2026-11-27T00:00:00+00:00", "2026-11-27T00:05:00+00:00"


def _current_id(state: a.AssessmentState) -> str:
    question = a.current_question(state)
    assert question is not None
    return question.variable_id


def test_start_asks_the_first_variable_with_its_anchors_and_position() -> None:
    state = a.start(FRAMEWORK, now=T0)
    question = a.current_question(state)
    first = FRAMEWORK.variables[0]
    assert question == a.Question(
        variable_id=first.id,
        name=first.name,
        question=first.question,
        anchor_1=first.anchor_1,
        anchor_5=first.anchor_5,
        help=first.help,
        position=1,
        total=len(IDS),
        answered=False,
        current_answer=None,
    )
    assert a.progress(state) == (0, len(IDS)) and not a.is_complete(state)
    assert state.started_at == state.updated_at == T0
    assert not a.can_go_back(state)


def test_a_full_run_in_order_completes_and_gives_the_scoring_input() -> None:
    state = a.start(FRAMEWORK)
    inputs: list[object] = [5, "4", "about a 3", "weak", None, "dont_know", "not great", "1/5"]
    for position, raw in enumerate(inputs, start=1):
        result = a.answer(state, _current_id(state), raw)
        assert result.understood, result.message
        state = result.state
        assert a.progress(state) == (position, len(IDS))
    assert a.is_complete(state) and a.current_question(state) is None
    expected = dict(zip(IDS, [5, 4, 3, 2, None, None, 2, 1], strict=True))
    assert a.answers(state) == expected
    assert list(a.answers(state)) == list(IDS)  # question order
    report = full_report(a.answers(state), FRAMEWORK)
    # equal production weights (0.15): ties are listed by id
    assert [o["variable"] for o in report["omissions"]] == ["change_management", "governance"]


def test_states_are_immutable_each_step_returns_a_new_state() -> None:
    state = a.start(FRAMEWORK)
    result = a.answer(state, IDS[0], 4)
    assert a.answers(state) == {} and state.index == 0  # the old state is untouched
    assert a.answers(result.state) == {IDS[0]: 4} and result.state.index == 1
    with pytest.raises(AttributeError):
        result.state.index = 5  # type: ignore[misc]


def test_confirmation_messages_say_what_was_recorded() -> None:
    state = a.start(FRAMEWORK)
    first = FRAMEWORK.variables[0].name
    assert a.answer(state, IDS[0], 2).message == f"Recorded {first} as 2 (weak)."
    assert a.answer(state, IDS[0], "weak").message == f"Recorded {first} as 2 (weak)."
    assert (
        a.answer(state, IDS[0], "pretty poor").message == f'Recorded {first} as 2 (weak, read from "poor").'
    )
    assert "don't know" in a.answer(state, IDS[0], "no idea").message
    assert "omission" in a.answer(state, IDS[0], None).message


@pytest.mark.parametrize("raw", ["banana", "3 or 4", 7, 0, True, 3.0, "", ["3"]])
def test_an_answer_that_is_not_understood_leaves_the_state_unchanged(raw: object) -> None:
    state = a.start(FRAMEWORK)
    result = a.answer(state, IDS[0], raw)
    assert not result.understood and result.state == state
    assert result.message.startswith(FRAMEWORK.variables[0].name)


def test_unknown_variable_ids_raise_naming_the_id() -> None:
    state = a.start(FRAMEWORK)
    with pytest.raises(AssessmentError, match="'cost'"):
        a.answer(state, "cost", 3)
    with pytest.raises(AssessmentError, match="'cost'"):
        a.go_to(state, "cost")


def test_back_returns_to_the_previous_question_with_its_answer_kept() -> None:
    state = a.start(FRAMEWORK)
    state = a.answer(state, IDS[0], 4).state
    state = a.answer(state, IDS[1], 2).state
    state = a.back(state, now=T1)
    question = a.current_question(state)
    assert question is not None and question.variable_id == IDS[1]
    assert question.answered and question.current_answer == 2 and question.position == 2
    assert state.updated_at == T1
    state = a.answer(state, IDS[1], 3).state  # change it; move on to the next unanswered question
    assert a.answers(state) == {IDS[0]: 4, IDS[1]: 3} and _current_id(state) == IDS[2]
    state = a.back(a.back(state))
    assert _current_id(state) == IDS[0]
    with pytest.raises(AssessmentError, match="back"):
        a.back(state)


def test_skip_records_dont_know_and_moves_on_until_the_end() -> None:
    state = a.start(FRAMEWORK)
    for _ in IDS:
        result = a.skip(state)
        assert result.dont_know and result.value is None
        state = result.state
    assert a.is_complete(state) and a.answers(state) == dict.fromkeys(IDS)
    with pytest.raises(AssessmentError, match="skip"):
        a.skip(state)


def test_amending_another_answer_keeps_the_current_question() -> None:
    state = a.start(FRAMEWORK)
    for value in (4, 4, 2):
        state = a.answer(state, _current_id(state), value).state
    assert _current_id(state) == IDS[3]
    state = a.answer(state, IDS[0], "excellent").state
    assert _current_id(state) == IDS[3] and a.answers(state)[IDS[0]] == 5


def test_go_to_jumps_and_answering_returns_to_the_first_unanswered_question() -> None:
    state = a.start(FRAMEWORK)
    state = a.go_to(state, IDS[5])
    assert _current_id(state) == IDS[5] and a.can_go_back(state)
    state = a.answer(state, IDS[5], 3).state
    assert _current_id(state) == IDS[6]
    state = a.answer(state, IDS[6], 3).state
    state = a.answer(state, IDS[7], 3).state
    assert _current_id(state) == IDS[0]  # wraps round to what is still unanswered


def test_free_text_and_explicit_notes_are_kept_per_answer() -> None:
    state = a.start(FRAMEWORK)
    state = a.answer(state, IDS[0], "pretty good on real invoices").state
    state = a.answer(state, IDS[1], 2, note="  only Sam can retrain it  ").state
    state = a.answer(state, IDS[2], "3").state  # a bare button value is not a note
    assert dict(state.notes) == {IDS[0]: "pretty good on real invoices", IDS[1]: "only Sam can retrain it"}


def test_resume_round_trips_through_plain_json() -> None:
    state = a.start(FRAMEWORK, now=datetime(2026, 11, 27, tzinfo=UTC))
    state = a.answer(state, IDS[0], 4, now=T1).state
    state = a.answer(state, IDS[1], "no idea").state
    state = a.back(state)
    saved = json.dumps(state.to_dict())
    restored = a.AssessmentState.from_dict(json.loads(saved), FRAMEWORK)
    assert restored == state
    assert restored.started_at == T0 and restored.updated_at == T1
    assert a.current_question(restored) == a.current_question(state)
    assert a.answers(a.answer(restored, IDS[1], 5).state) == {IDS[0]: 4, IDS[1]: 5}


def _saved(**changes: Any) -> dict[str, Any]:
    state = a.answer(a.start(FRAMEWORK), IDS[0], 4).state
    return state.to_dict() | changes


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([1, 2], "state"),
        (_saved(version=2), "version"),
        (_saved(extra=1), "extra"),
        (_saved(order=list(IDS[:-1])), "order"),
        (_saved(order=[*IDS[:-1], "cost"]), "order"),
        (_saved(answers={IDS[0]: 7}), f"answers.{IDS[0]}"),
        (_saved(answers={IDS[0]: True}), f"answers.{IDS[0]}"),
        (_saved(answers={"cost": 3}), "answers.cost"),
        (_saved(answers=[]), "answers"),
        (_saved(notes={IDS[0]: 3}), f"notes.{IDS[0]}"),
        (_saved(index=99), "index"),
        (_saved(index="1"), "index"),
        (_saved(history=[0, -1]), "history"),
        (_saved(started_at=5), "started_at"),
    ],
)
def test_from_dict_rejects_bad_fields_naming_them(data: object, field: str) -> None:
    with pytest.raises(AssessmentError) as caught:
        a.AssessmentState.from_dict(data, FRAMEWORK)
    assert str(caught.value).startswith(f"{field}:")
