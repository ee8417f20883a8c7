"""Validation of a saved assessment state (`AssessmentState.to_dict()` output) — standard library only.

`state_fields(data, variable_ids, version)` checks every field of the plain-JSON form and returns them typed;
any problem raises `AssessmentError("<field>: expected ..., got <value>")`, so a corrupted or hand-edited
saved state is reported in one line instead of failing later inside the state machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from keysmith.errors import AssessmentError

_FIELDS = ("version", "order", "answers", "notes", "index", "history", "started_at", "updated_at")


@dataclass(frozen=True)
class StateFields:
    order: tuple[str, ...]
    recorded: dict[str, int | None]
    notes: dict[str, str]
    index: int
    history: tuple[int, ...]
    started_at: str | None
    updated_at: str | None


def _fail(name: str, expected: str, value: object) -> AssessmentError:
    shown = repr(value)
    return AssessmentError(f"{name}: expected {expected}, got {shown[:80]}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def state_fields(data: object, variable_ids: tuple[str, ...], version: int) -> StateFields:
    """The validated fields of a saved state, against the framework's `variable_ids`."""
    if not isinstance(data, dict):
        raise _fail("state", "an object", type(data).__name__)
    unknown = [k for k in data if k not in _FIELDS]
    if unknown:
        raise _fail(str(unknown[0]), f"no such field (known: {', '.join(_FIELDS)})", unknown[0])
    if data.get("version") != version:
        raise _fail("version", str(version), data.get("version"))
    order = _order(data.get("order"), variable_ids)
    size = len(order)
    index = data.get("index")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= size:
        raise _fail("index", f"an integer 0..{size}", index)
    history = data.get("history")
    if not isinstance(history, list) or not all(_is_int(h) and 0 <= h <= size for h in history):
        raise _fail("history", f"a list of integers 0..{size}", history)
    return StateFields(
        order=order,
        recorded=_answers(data.get("answers"), order),
        notes=_notes(data.get("notes", {}), order),
        index=index,
        history=tuple(history),
        started_at=_stamp("started_at", data.get("started_at")),
        updated_at=_stamp("updated_at", data.get("updated_at")),
    )


def _order(value: object, variable_ids: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail("order", "a list of variable ids", value)
    if sorted(value) != sorted(variable_ids):
        missing = [v for v in variable_ids if v not in value]
        extra = [v for v in value if v not in variable_ids or value.count(v) > 1]
        detail = f"missing {missing}" if missing else f"unknown or repeated {extra}"
        raise AssessmentError(f"order: does not match the framework's variables ({detail})")
    return tuple(value)


def _answers(value: object, order: tuple[str, ...]) -> dict[str, int | None]:
    if not isinstance(value, dict):
        raise _fail("answers", "an object of variable id -> 1..5 or null", value)
    recorded: dict[str, int | None] = {}
    for key, answer in value.items():
        if key not in order:
            raise _fail(f"answers.{key}", f"a variable id ({', '.join(order)})", key)
        if answer is not None and not (_is_int(answer) and 1 <= answer <= 5):
            raise _fail(f"answers.{key}", "1..5 or null", answer)
        recorded[key] = answer
    return recorded


def _notes(value: object, order: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _fail("notes", "an object of variable id -> text", value)
    for key, note in value.items():
        if key not in order:
            raise _fail(f"notes.{key}", "a variable id", key)
        if not isinstance(note, str):
            raise _fail(f"notes.{key}", "text", note)
    return dict(value)


def _stamp(name: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise _fail(name, "an ISO timestamp string or null", value)
    return value
