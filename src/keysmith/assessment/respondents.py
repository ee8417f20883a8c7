"""Several respondents on one pilot: the spread per variable, perception gaps and a combined score (pure).

Each respondent answers the eight questions for a role (sponsor, pilot team, front line, IT, ...). Roles are
compared, not people: respondents sharing a role (compared case-insensitively, shown as first spelled) are
averaged into that role's answer, so five front-line people weigh as one view against one sponsor.

- `role_answers(responses, ids)`: role -> variable -> mean answer (None when nobody in the role knew).
- `spreads(...)`: per variable, the lowest and highest role answer and how many roles answered.
- `gaps(...)`: the perception gaps, variables where roles differ by `GAP_POINTS` (2) or more, strongest first
  (ties in variable order), each with every role's answer, highest first.
- `combined_answers(...)`: per variable the mean of the role answers, rounded half up to a whole answer (the
  scoring accepts whole answers only), None when no role answered; `combine(...)` scores them and says how
  much of the picture they rest on (`RoleCoverage`).
The model never does these numbers; they are rounded to 2 places.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from keysmith.framework import Framework
from keysmith.scoring import ScoreReport, score

GAP_POINTS = 2.0
_DIGITS = 2


@dataclass(frozen=True)
class Response:
    """One respondent's answers (1..5, None = don't know) under a role."""

    role: str
    answers: Mapping[str, int | None]
    name: str = ""


@dataclass(frozen=True)
class Spread:
    """One variable across roles: lowest and highest role answer (None if no role answered)."""

    variable: str
    low: float | None
    high: float | None
    roles_answered: int

    @property
    def width(self) -> float | None:
        """`high - low`, or None when no role answered."""
        return None if self.low is None or self.high is None else round(self.high - self.low, _DIGITS)


@dataclass(frozen=True)
class Gap:
    """A perception gap: roles differ by at least `GAP_POINTS` on `variable`; `roles` highest first."""

    variable: str
    low: float
    high: float
    roles: tuple[tuple[str, float], ...]

    @property
    def points(self) -> float:
        """How far apart the highest and lowest role are."""
        return round(self.high - self.low, _DIGITS)

    def to_dict(self) -> dict[str, Any]:
        """`{variable, min, max, roles: {role: answer}}` (the report's `respondents.gaps` item)."""
        return {"variable": self.variable, "min": self.low, "max": self.high, "roles": dict(self.roles)}


@dataclass(frozen=True)
class RoleCoverage:
    """How many roles gave an answer per variable, out of `roles` roles."""

    roles: int
    per_variable: Mapping[str, int]

    def to_dict(self) -> dict[str, Any]:
        """`{roles, per_variable}`."""
        return {"roles": self.roles, "per_variable": dict(self.per_variable)}


@dataclass(frozen=True)
class Combined:
    """The combined answers, their score report and the role coverage behind them."""

    answers: Mapping[str, int | None]
    report: ScoreReport
    coverage: RoleCoverage


def _mean(values: Sequence[int]) -> float | None:
    return round(sum(values) / len(values), _DIGITS) if values else None


def role_answers(
    responses: Sequence[Response], variable_ids: Sequence[str]
) -> dict[str, dict[str, float | None]]:
    """Role (as first spelled) -> variable -> the mean answer of that role's respondents."""
    spelled: dict[str, str] = {}
    collected: dict[str, dict[str, list[int]]] = {}
    for response in responses:
        key = " ".join(response.role.split()).casefold()
        label = spelled.setdefault(key, " ".join(response.role.split()))
        per_variable = collected.setdefault(label, {v: [] for v in variable_ids})
        for variable in variable_ids:
            value = response.answers.get(variable)
            if value is not None:
                per_variable[variable].append(value)
    return {role: {v: _mean(values[v]) for v in variable_ids} for role, values in collected.items()}


def spreads(roles: Mapping[str, Mapping[str, float | None]], variable_ids: Sequence[str]) -> list[Spread]:
    """Per variable (in `variable_ids` order): the lowest and highest role answer."""
    result = []
    for variable in variable_ids:
        known = [a for answers in roles.values() if (a := answers.get(variable)) is not None]
        low, high = (min(known), max(known)) if known else (None, None)
        result.append(Spread(variable, low, high, len(known)))
    return result


def gaps(
    roles: Mapping[str, Mapping[str, float | None]],
    variable_ids: Sequence[str],
    threshold: float = GAP_POINTS,
) -> list[Gap]:
    """The variables where the roles' answers differ by `threshold` or more, widest first."""
    found = []
    for position, variable in enumerate(variable_ids):
        known = [(r, a) for r, answers in roles.items() if (a := answers.get(variable)) is not None]
        if len(known) < 2:
            continue
        ordered = tuple(sorted(known, key=lambda ra: -ra[1]))
        gap = Gap(variable, ordered[-1][1], ordered[0][1], ordered)
        if gap.points >= threshold:
            found.append((position, gap))
    return [gap for _, gap in sorted(found, key=lambda pg: (-pg[1].points, pg[0]))]


def _half_up(value: float) -> int:
    return min(5, max(1, math.floor(value + 0.5)))


def combined_answers(
    roles: Mapping[str, Mapping[str, float | None]], variable_ids: Sequence[str]
) -> dict[str, int | None]:
    """Per variable the mean of the role answers rounded half up (None when no role answered)."""
    combined: dict[str, int | None] = {}
    for variable in variable_ids:
        known = [a for answers in roles.values() if (a := answers.get(variable)) is not None]
        combined[variable] = _half_up(sum(known) / len(known)) if known else None
    return combined


def combine(responses: Sequence[Response], framework: Framework) -> Combined:
    """The combined answers of all roles, scored, with how many roles each variable rests on."""
    ids = list(framework.variable_ids)
    roles = role_answers(responses, ids)
    answers = combined_answers(roles, ids)
    per_variable = {s.variable: s.roles_answered for s in spreads(roles, ids)}
    return Combined(answers, score(answers, framework), RoleCoverage(len(roles), per_variable))


def gap_finding(gap: Gap, name: str) -> str:
    """The gap as one plain sentence naming the roles and their answers."""
    roles = ", ".join(f"{role} {answer:g}" for role, answer in gap.roles)
    return (
        f"Perception gap on {name}: the roles see it {gap.points:g} points apart ({roles}, out of 5), "
        "so they are not describing the same rollout."
    )


def why_it_matters(variable_id: str, framework: Framework) -> dict[str, str]:
    """What the framework data says about why the gap's variable matters: the variable's own `help` text
    and the first stall reason it signals, with that reason's knowledge page (`source`), so a gap is read
    against a framework passage rather than as a bare number. `FrameworkError` for an unknown variable."""
    variable = framework.variable(variable_id)
    why = {"variable": variable.id, "name": variable.name, "help": variable.help}
    if variable.stall_reasons:
        reason = framework.stall_reason(variable.stall_reasons[0])
        why |= {
            "stall_reason": reason.id,
            "stall_reason_name": reason.name,
            "summary": reason.summary,
            "source": f"knowledge/{reason.knowledge_id}.md",
        }
    return why
