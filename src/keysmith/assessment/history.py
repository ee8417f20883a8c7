"""A client's assessments over time: the change per variable and per score (pure, standard library only).

`build_history(snapshots)` puts completed assessments in date order and, for each one, the change since the
previous assessment and since the first. A change is `later - earlier` and is `None` whenever either side is
missing (a "don't know" or no score): a change from "don't know" is not a number anyone measured, so it is
never shown as one. Numbers come from the stored scores and answers only (the model never does the maths);
changes are rounded to 2 places, like the scores they are taken from.

`change_lines(history, names)` is "what changed since last time" as plain sentences, each labelled `[score]`,
for the coach's advice draft and the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

PROFILES = ("pilot", "production")
_DIGITS = 2


@dataclass(frozen=True)
class Snapshot:
    """One completed assessment: when, its profile scores (None = no score) and its answers (None = don't
    know)."""

    id: str
    date: datetime
    scores: Mapping[str, float | None]
    answers: Mapping[str, int | None]


@dataclass(frozen=True)
class Changes:
    """Changes between two snapshots: per profile score and per variable (None where either side is
    missing)."""

    scores: Mapping[str, float | None]
    variables: Mapping[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        """`{"scores": {profile: change}, "variables": {variable: change}}`."""
        return {"scores": dict(self.scores), "variables": dict(self.variables)}


@dataclass(frozen=True)
class Entry:
    """A snapshot in history order (1-based `number`) with its changes; both are None for the first."""

    number: int
    snapshot: Snapshot
    since_previous: Changes | None
    since_first: Changes | None

    def to_dict(self) -> dict[str, Any]:
        """The `keysmith report WS --format json` `history` item: date, scores, answers, deltas."""
        return {
            "number": self.number,
            "id": self.snapshot.id,
            "date": self.snapshot.date.isoformat(),
            "scores": dict(self.snapshot.scores),
            "answers": dict(self.snapshot.answers),
            "deltas": {
                "since_previous": None if self.since_previous is None else self.since_previous.to_dict(),
                "since_first": None if self.since_first is None else self.since_first.to_dict(),
            },
        }


def _change(later: float | None, earlier: float | None) -> float | None:
    if later is None or earlier is None:
        return None
    return round(later - earlier, _DIGITS)


def compare(later: Snapshot, earlier: Snapshot) -> Changes:
    """The change from `earlier` to `later` for every profile and variable either of them holds."""
    profiles = list(dict.fromkeys([*earlier.scores, *later.scores]))
    variables = list(dict.fromkeys([*earlier.answers, *later.answers]))
    return Changes(
        scores={p: _change(later.scores.get(p), earlier.scores.get(p)) for p in profiles},
        variables={v: _change(later.answers.get(v), earlier.answers.get(v)) for v in variables},
    )


def build_history(snapshots: Sequence[Snapshot]) -> tuple[Entry, ...]:
    """The snapshots oldest first (ties by id, so the order is stable), each with its changes."""
    ordered = sorted(snapshots, key=lambda s: (s.date, s.id))
    entries: list[Entry] = []
    for index, snapshot in enumerate(ordered):
        previous = compare(snapshot, ordered[index - 1]) if index else None
        first = compare(snapshot, ordered[0]) if index else None
        entries.append(Entry(index + 1, snapshot, previous, first))
    return tuple(entries)


def _signed(value: float) -> str:
    return f"{value:+g}"


def _score_line(profile: str, entry: Entry, earlier: Snapshot) -> str | None:
    change = entry.since_previous.scores.get(profile) if entry.since_previous else None
    now, before = entry.snapshot.scores.get(profile), earlier.scores.get(profile)
    if change is None or now is None or before is None:
        return None
    label = "Pilot-stage readiness" if profile == "pilot" else "Production readiness"
    if change == 0:
        return f"{label} is unchanged at {now:g} out of 100. [score]"
    return f"{label} went from {before:g} to {now:g} out of 100 ({_signed(change)}). [score]"


def change_lines(history: Sequence[Entry], names: Mapping[str, str]) -> list[str]:
    """'What changed since last time': the latest assessment against the one before it, as sentences
    labelled `[score]` (scores first, then each variable whose answer moved, largest move first); empty
    when there are fewer than two assessments. `names` maps variable ids to display names."""
    if len(history) < 2:
        return []
    latest, earlier = history[-1], history[-2].snapshot
    lines = [line for p in PROFILES if (line := _score_line(p, latest, earlier)) is not None]
    moves = latest.since_previous.variables if latest.since_previous else {}
    moved = sorted(((v, c) for v, c in moves.items() if c), key=lambda vc: -abs(vc[1] or 0))
    for variable, change in moved:
        before, now = earlier.answers.get(variable), latest.snapshot.answers.get(variable)
        direction = "rose" if (change or 0) > 0 else "fell"
        name = names.get(variable, variable)
        lines.append(f"{name} {direction} from {before} to {now} (out of 5). [score]")
    if not moved:
        lines.append("No answer changed since the previous assessment. [score]")
    return lines


CHANGES_HEADING = "## What changed since last time"
_BEFORE = ("## Suggested next step", "Best regards,")


def with_changes(body: str, lines: Sequence[str]) -> str:
    """`body` (a Markdown advice draft) with a "What changed since last time" section of `lines` put before
    its suggested next step (else before the sign-off, else at the end); `body` unchanged when `lines` is
    empty or the section is already there."""
    if not lines or CHANGES_HEADING in body:
        return body
    section = "\n".join([CHANGES_HEADING, *(f"- {line}" for line in lines)]) + "\n\n"
    for marker in _BEFORE:
        at = body.find(marker)
        if at >= 0 and (at == 0 or body[at - 1] == "\n"):
            return body[:at] + section + body[at:]
    return body.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
