"""The guided self-assessment as a pure state machine (standard library and keysmith only).

States are IMMUTABLE: every operation returns a new `AssessmentState` (`answer()` returns it inside an
`AnswerResult`, as `result.state`), so a UI rerun, a retry or an undo can never half-apply a step, and an old
state stays valid for "back". Callers keep the latest state: `state = answer(state, vid, raw).state`.

- One question per variable, in `framework.variables` order; a recorded answer is 1..5 or None ("don't know").
- `answer()` accepts an int 1..5, a button value ("1".."5", "dont_know"), None (don't know) or free text read
  by `answer_parsing.parse_answer` ("about a 4", "not great", "no idea"). It records only what it understood;
  otherwise the state is unchanged and `message` says what to type. Text with no number or quality word is
  read by the level description it echoes (an unsure reading the caller confirms; see `parsing`).
- Answering the current question moves to the next unanswered one; amending another answer stays put.
- `back()` returns to the previously shown question (answers are kept, so it can be changed).
- Time is never read from the clock here: pass `now` (an ISO string or a datetime) to stamp a state.
- `to_dict()` / `AssessmentState.from_dict(data, framework)` round-trip through plain JSON; `from_dict`
  validates every field and raises `AssessmentError` naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from keysmith.assessment.codec import state_fields
from keysmith.assessment.parsing import ParsedAnswer, parse_answer
from keysmith.diagnosis import answer_label
from keysmith.errors import AssessmentError
from keysmith.framework import Framework

__all__ = [
    "AnswerResult",
    "AssessmentState",
    "ParsedAnswer",
    "Question",
    "answer",
    "answers",
    "back",
    "can_go_back",
    "current_question",
    "go_to",
    "is_complete",
    "parse_answer",
    "progress",
    "skip",
    "start",
]

STATE_VERSION = 1
MAX_NOTE_CHARS = 500
Now = str | datetime | None


@dataclass(frozen=True)
class AssessmentState:
    """Where an assessment stands. `index == len(order)` means past the last question (see `is_complete`)."""

    order: tuple[str, ...]
    recorded: Mapping[str, int | None]
    notes: Mapping[str, str]
    index: int
    history: tuple[int, ...]
    started_at: str | None
    updated_at: str | None
    framework: Framework = field(compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: answers in question order; null = "don't know"; an unanswered variable is absent."""
        return {
            "version": STATE_VERSION,
            "order": list(self.order),
            "answers": {v: self.recorded[v] for v in self.order if v in self.recorded},
            "notes": {v: self.notes[v] for v in self.order if v in self.notes},
            "index": self.index,
            "history": list(self.history),
            "started_at": self.started_at,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, data: object, framework: Framework) -> AssessmentState:
        """Rebuild a state saved by `to_dict()`; raises `AssessmentError("<field>: ...")` if invalid."""
        fields = state_fields(data, framework.variable_ids, STATE_VERSION)
        return cls(
            order=fields.order,
            recorded=MappingProxyType(fields.recorded),
            notes=MappingProxyType(fields.notes),
            index=fields.index,
            history=fields.history,
            started_at=fields.started_at,
            updated_at=fields.updated_at,
            framework=framework,
        )


@dataclass(frozen=True)
class Question:
    """The question to show: `position` is 1-based, of `total`; `current_answer` when revisiting one."""

    variable_id: str
    name: str
    question: str
    anchor_1: str
    anchor_5: str
    help: str
    position: int
    total: int
    answered: bool
    current_answer: int | None

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    @property
    def levels(self) -> dict[int, str]:
        """What each described level looks like (1 and 5), for reading an answer by its content."""
        return {1: self.anchor_1, 5: self.anchor_5}


@dataclass(frozen=True)
class AnswerResult:
    """The outcome of `answer()`: the new state (unchanged when not understood) and a message to show."""

    state: AssessmentState
    understood: bool
    message: str
    variable_id: str
    value: int | None = None
    dont_know: bool = False
    matched: str = ""


def _stamp(now: Now) -> str | None:
    return now.isoformat() if isinstance(now, datetime) else now


def start(framework: Framework, now: Now = None) -> AssessmentState:
    """A fresh assessment at the first question."""
    stamp = _stamp(now)
    empty: Mapping[str, Any] = MappingProxyType({})
    return AssessmentState(framework.variable_ids, empty, empty, 0, (), stamp, stamp, framework)


def current_question(state: AssessmentState) -> Question | None:
    """The question at the current position, or None when past the last one."""
    if state.index >= len(state.order):
        return None
    variable = state.framework.variable(state.order[state.index])
    return Question(
        variable_id=variable.id,
        name=variable.name,
        question=variable.question,
        anchor_1=variable.anchor_1,
        anchor_5=variable.anchor_5,
        help=variable.help,
        position=state.index + 1,
        total=len(state.order),
        answered=variable.id in state.recorded,
        current_answer=state.recorded.get(variable.id),
    )


def _check_known(state: AssessmentState, variable_id: str) -> None:
    if variable_id not in state.order:
        known = ", ".join(state.order)
        raise AssessmentError(f"variable_id: unknown variable {variable_id!r}; expected one of {known}")


def _read(raw: object, levels: Mapping[int, str]) -> ParsedAnswer:
    """int 1..5, None (don't know), or text (read with the variable's `levels`); anything else is not
    understood (never raises)."""
    if raw is None:
        return ParsedAnswer(None, True, True, "don't know")
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return ParsedAnswer(None, False, False, "", f'Expected 1..5 or "don\'t know", got {raw!r}.')
    if isinstance(raw, int):
        if 1 <= raw <= 5:
            return ParsedAnswer(raw, False, True, str(raw))
        return ParsedAnswer(None, False, False, "", f"Answers go from 1 to 5, got {raw}.")
    return parse_answer(raw, levels)


def _confirmation(name: str, parsed: ParsedAnswer, raw: object) -> str:
    if parsed.dont_know:
        return f"Recorded {name} as don't know: it is listed as an omission, not scored as low."
    value = parsed.value or 0
    source = (
        f', read from "{parsed.matched}"' if isinstance(raw, str) and parsed.matched != raw.strip() else ""
    )
    return f"Recorded {name} as {value} ({answer_label(value)}{source})."


def answer(
    state: AssessmentState, variable_id: str, raw: object, *, note: str | None = None, now: Now = None
) -> AnswerResult:
    """Record `raw` for `variable_id` if understood (see the module docstring); unknown ids raise."""
    _check_known(state, variable_id)
    variable = state.framework.variable(variable_id)
    parsed = _read(raw, {1: variable.anchor_1, 5: variable.anchor_5})
    name = variable.name
    if not parsed.understood:
        return AnswerResult(state, False, f"{name}: {parsed.message}", variable_id)
    notes = dict(state.notes)
    text = note if note is not None else (raw if isinstance(raw, str) and len(raw.split()) > 1 else None)
    if text is not None and text.strip():
        notes[variable_id] = text.strip()[:MAX_NOTE_CHARS]
    new = replace(
        state,
        recorded=MappingProxyType({**state.recorded, variable_id: parsed.value}),
        notes=MappingProxyType(notes),
        updated_at=_stamp(now) or state.updated_at,
    )
    if state.index < len(state.order) and state.order[state.index] == variable_id:
        new = _move(new, _next_unanswered(new, state.index))
    message = _confirmation(name, parsed, raw)
    return AnswerResult(new, True, message, variable_id, parsed.value, parsed.dont_know, parsed.matched)


def _next_unanswered(state: AssessmentState, after: int) -> int:
    """The first unanswered position after `after`, wrapping round; len(order) when all are answered."""
    size = len(state.order)
    for step in range(1, size + 1):
        position = (after + step) % size
        if state.order[position] not in state.recorded:
            return position
    return size


def _move(state: AssessmentState, index: int) -> AssessmentState:
    if index == state.index:
        return state
    return replace(state, index=index, history=(*state.history, state.index))


def skip(state: AssessmentState, now: Now = None) -> AnswerResult:
    """Answer the current question with "don't know"; raises `AssessmentError` when past the last question."""
    question = current_question(state)
    if question is None:
        raise AssessmentError("skip: the assessment has no current question (all questions were shown)")
    return answer(state, question.variable_id, None, now=now)


def can_go_back(state: AssessmentState) -> bool:
    return bool(state.history)


def back(state: AssessmentState, now: Now = None) -> AssessmentState:
    """The previously shown question (its answer kept); raises `AssessmentError` at the first one."""
    if not state.history:
        raise AssessmentError("back: already at the first question shown; there is nothing to go back to")
    return replace(
        state, index=state.history[-1], history=state.history[:-1], updated_at=_stamp(now) or state.updated_at
    )


def go_to(state: AssessmentState, variable_id: str, now: Now = None) -> AssessmentState:
    """Jump to `variable_id`'s question (e.g. to change an answer); `back()` returns from it."""
    _check_known(state, variable_id)
    moved = _move(state, state.order.index(variable_id))
    return replace(moved, updated_at=_stamp(now) or state.updated_at)


def progress(state: AssessmentState) -> tuple[int, int]:
    """(questions with a recorded answer, don't-know included; total questions)."""
    return len(state.recorded), len(state.order)


def is_complete(state: AssessmentState) -> bool:
    """Every question has a recorded answer (a number or don't know)."""
    return all(v in state.recorded for v in state.order)


def answers(state: AssessmentState) -> dict[str, int | None]:
    """The scoring input: answered variables in question order (None = don't know; unanswered absent)."""
    return {v: state.recorded[v] for v in state.order if v in state.recorded}
