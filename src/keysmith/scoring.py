"""Deterministic weighted-variable scoring (standard library and keysmith only; the model never does maths).

The formula (version `FORMULA_VERSION`):
- an answer `a` in 1..5 becomes the value `v = (a - 1) / 4` (1 -> 0, 3 -> 0.5, 5 -> 1); null = "don't know";
- a profile's score is `100 * sum(w_i * v_i) / sum(w_i)` over the ANSWERED variables only, so "don't know"
  neither helps nor hurts; it is `None` when nothing is answered (there is no honest number to give);
- coverage is `sum(w_i)` over the answered variables: the share of the profile's weight the score rests on;
- a variable's points are `100 * w_i * v_i / sum(w_answered)`; the points of a profile sum to its score.
Answers must be integers 1..5 or None: `bool` is rejected, and so are floats, even `3.0` (an answer is a
choice on a five-point scale, not a measurement; accepting 3.0 would invite 3.5). Numbers are rounded once, in
`to_dict()`; ranking uses values rounded to 9 places so float noise never reorders equal gains.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from keysmith.errors import ScoringInputError
from keysmith.framework import Framework

FORMULA_VERSION = "weighted-mean/1"
MIN_ANSWER, MAX_ANSWER = 1, 5
BASE, TARGET = "pilot", "production"
SCORE_DIGITS, WEIGHT_DIGITS = 2, 4
_RANK_DIGITS = 9

Answers = Mapping[str, int | None]


@dataclass(frozen=True)
class Contribution:
    """One variable under one profile; `value` and `points` are None when it was not answered."""

    variable: str
    answer: int | None
    weight: float
    value: float | None
    points: float | None


@dataclass(frozen=True)
class ProfileScore:
    id: str
    name: str
    score: float | None
    coverage: float
    contributions: tuple[Contribution, ...]

    def contribution(self, variable_id: str) -> Contribution:
        return next(c for c in self.contributions if c.variable == variable_id)


@dataclass(frozen=True)
class VariableShift:
    """How one variable's weight and points change from the pilot profile to the production profile."""

    variable: str
    answer: int | None
    pilot_weight: float
    production_weight: float
    delta: float
    pilot_points: float | None
    production_points: float | None


@dataclass(frozen=True)
class WeightShift:
    """`weight_moved` = total weight that changed hands (sum of the positive deltas); variables by delta."""

    pilot_score: float | None
    production_score: float | None
    score_change: float | None
    weight_moved: float
    variables: tuple[VariableShift, ...]


@dataclass(frozen=True)
class Lever:
    """Raising `variable` from `answer` to 5 adds `gain` production points (and `pilot_gain` pilot points)."""

    variable: str
    answer: int
    weight: float
    gain: float
    pilot_gain: float
    production_score_after: float


@dataclass(frozen=True)
class Omission:
    """An unanswered variable; `reason` says why it matters (Omission Neglect)."""

    variable: str
    name: str
    production_weight: float
    pilot_weight: float
    reason: str


@dataclass(frozen=True)
class WhatIf:
    """The changes applied and how each profile's score moved against the answers as given."""

    changes: Mapping[str, int | None]
    baseline: Mapping[str, float | None]
    delta: Mapping[str, float | None]


@dataclass(frozen=True)
class ScoreReport:
    formula_version: str
    answers: Mapping[str, int | None]
    profiles: Mapping[str, ProfileScore]
    weight_shift: WeightShift
    levers: tuple[Lever, ...]
    omissions: tuple[Omission, ...]
    what_if: WhatIf | None = None

    def to_dict(self) -> dict[str, Any]:
        """The `keysmith score --json` core: plain JSON types, numbers rounded here and only here."""
        return {
            "formula_version": self.formula_version,
            "answers": dict(self.answers),
            "profiles": {pid: _profile_dict(p) for pid, p in self.profiles.items()},
            "weight_shift": _shift_dict(self.weight_shift),
            "levers": [_rounded(lever) for lever in self.levers],
            "omissions": [_rounded(omission) for omission in self.omissions],
            "what_if": None if self.what_if is None else _what_if_dict(self.what_if),
        }


def _r(value: float | None, digits: int = SCORE_DIGITS) -> float | None:
    """Round once for output; `+ 0.0` turns -0.0 into 0.0 so equal inputs give equal bytes."""
    return None if value is None else round(value, digits) + 0.0


_WEIGHT_FIELDS = {"weight", "pilot_weight", "production_weight", "delta", "value", "coverage", "weight_moved"}


def _rounded(item: object) -> dict[str, Any]:
    """A flat dataclass as a dict: weights to WEIGHT_DIGITS, other floats (points, scores) to SCORE_DIGITS."""
    out: dict[str, Any] = {}
    for key, value in vars(item).items():
        if isinstance(value, float):
            value = _r(value, WEIGHT_DIGITS if key in _WEIGHT_FIELDS else SCORE_DIGITS)
        out[key] = value
    return out


def _profile_dict(profile: ProfileScore) -> dict[str, Any]:
    return {
        "name": profile.name,
        "score": _r(profile.score),
        "coverage": _r(profile.coverage, WEIGHT_DIGITS),
        "contributions": [_rounded(c) for c in profile.contributions],
    }


def _shift_dict(shift: WeightShift) -> dict[str, Any]:
    return {
        "from": BASE,
        "to": TARGET,
        "pilot_score": _r(shift.pilot_score),
        "production_score": _r(shift.production_score),
        "score_change": _r(shift.score_change),
        "weight_moved": _r(shift.weight_moved, WEIGHT_DIGITS),
        "variables": [_rounded(v) for v in shift.variables],
    }


def _what_if_dict(info: WhatIf) -> dict[str, Any]:
    return {
        "changes": dict(info.changes),
        "baseline": {pid: _r(v) for pid, v in info.baseline.items()},
        "delta": {pid: _r(v) for pid, v in info.delta.items()},
    }


def validate_answers(raw: object, framework: Framework) -> dict[str, int | None]:
    """Check `raw` (variable id -> 1..5 or None); return all variables in assessment order (absent: None)."""
    if not isinstance(raw, Mapping):
        raise ScoringInputError(
            f"answers: expected an object of variable id -> 1..5 or null, got {type(raw).__name__}"
        )
    known = framework.variable_ids
    for key in raw:
        if not isinstance(key, str) or key not in known:
            raise ScoringInputError(f"{key}: unknown variable id {key!r} (known: {', '.join(known)})")
    return {vid: _check_value(vid, raw.get(vid)) for vid in known}


def _check_value(variable_id: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_ANSWER <= value <= MAX_ANSWER:
        raise ScoringInputError(
            f"{variable_id}: expected {MIN_ANSWER}..{MAX_ANSWER} or null, got {shown(value)}"
        )
    return value


def shown(value: object) -> str:
    """A value as the user wrote it: JSON spelling when it has one (true, "4", 3.0), else repr."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def parse_answers_document(doc: object, framework: Framework) -> dict[str, int | None]:
    """The answers file form: `{"answers": {...}}` (optional text fields `title` and `note` are ignored)."""
    if not isinstance(doc, Mapping):
        raise ScoringInputError(f'document: expected an object with "answers", got {type(doc).__name__}')
    if "answers" not in doc:
        raise ScoringInputError(f"answers: missing; the document has keys {sorted(map(str, doc))!r}")
    extra = sorted(str(k) for k in doc if k not in ("answers", "title", "note"))
    if extra:
        raise ScoringInputError(f"{extra[0]}: unknown top-level field {extra[0]!r} (expected answers)")
    return validate_answers(doc["answers"], framework)


def value_of(answer: int) -> float:
    """The 0..1 value of a 1..5 answer."""
    return (answer - MIN_ANSWER) / (MAX_ANSWER - MIN_ANSWER)


def profile_score(answers: Mapping[str, int | None], framework: Framework, profile_id: str) -> ProfileScore:
    """Score validated `answers` under one profile."""
    profile = framework.profile(profile_id)
    # fsum: exact sums, so all-5s gives exactly sum(w)/sum(w) = 1.0, never 100.00000000000001.
    answered = math.fsum(profile.weights[v] for v in framework.variable_ids if answers.get(v) is not None)
    contributions = []
    for vid in framework.variable_ids:
        answer, weight = answers.get(vid), profile.weights[vid]
        value = None if answer is None else value_of(answer)
        points = None if value is None or answered == 0 else 100 * weight * value / answered
        contributions.append(Contribution(vid, answer, weight, value, points))
    weighted = math.fsum(c.weight * c.value for c in contributions if c.value is not None)
    total = None if answered == 0 else min(100.0, max(0.0, 100 * weighted / answered))
    return ProfileScore(profile.id, profile.name, total, answered, tuple(contributions))


def score(answers: Answers, framework: Framework) -> ScoreReport:
    """The full report for `answers` (validated here, so a caller cannot skip validation)."""
    clean = validate_answers(answers, framework)
    profiles = {pid: profile_score(clean, framework, pid) for pid in framework.profiles}
    return ScoreReport(
        formula_version=FORMULA_VERSION,
        answers=MappingProxyType(clean),
        profiles=MappingProxyType(profiles),
        weight_shift=_weight_shift(clean, framework, profiles),
        levers=_levers(clean, framework, profiles),
        omissions=_omissions(clean, framework),
    )


def what_if(answers: Answers, changes: Answers, framework: Framework) -> ScoreReport:
    """Score `answers` with `changes` applied on top; `report.what_if` compares with the unchanged answers."""
    base = score(answers, framework)
    clean_changes = validate_answers(changes, framework)
    applied = {k: clean_changes[k] for k in framework.variable_ids if k in changes}
    changed = score({**base.answers, **applied}, framework)
    baseline = {pid: p.score for pid, p in base.profiles.items()}
    delta = {pid: _diff(p.score, baseline[pid]) for pid, p in changed.profiles.items()}
    info = WhatIf(MappingProxyType(applied), MappingProxyType(baseline), MappingProxyType(delta))
    return replace(changed, what_if=info)


def _diff(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


def _weight_shift(
    answers: Mapping[str, int | None], framework: Framework, profiles: Mapping[str, ProfileScore]
) -> WeightShift:
    base, target = profiles[BASE], profiles[TARGET]
    shifts = []
    for vid in framework.variable_ids:
        b, t = base.contribution(vid), target.contribution(vid)
        shifts.append(
            VariableShift(vid, answers[vid], b.weight, t.weight, t.weight - b.weight, b.points, t.points)
        )
    shifts.sort(key=lambda s: (-round(s.delta, _RANK_DIGITS), s.variable))
    moved = sum(s.delta for s in shifts if s.delta > 0)
    return WeightShift(base.score, target.score, _diff(target.score, base.score), moved, tuple(shifts))


def _levers(
    answers: Mapping[str, int | None], framework: Framework, profiles: Mapping[str, ProfileScore]
) -> tuple[Lever, ...]:
    """Answered variables below 5, by production points gained if raised to 5 (best first, ties by id)."""
    levers = []
    for vid, answer in answers.items():
        if answer is None or answer == MAX_ANSWER:
            continue
        raised = {**answers, vid: MAX_ANSWER}
        after = {pid: profile_score(raised, framework, pid).score for pid in (BASE, TARGET)}
        gain = _diff(after[TARGET], profiles[TARGET].score) or 0.0
        pilot_gain = _diff(after[BASE], profiles[BASE].score) or 0.0
        weight = framework.profile(TARGET).weights[vid]
        levers.append(Lever(vid, answer, weight, gain, pilot_gain, after[TARGET] or 0.0))
    levers.sort(key=lambda lv: (-round(lv.gain, _RANK_DIGITS), lv.variable))
    return tuple(lv for lv in levers if round(lv.gain, _RANK_DIGITS) > 0)


def _omissions(answers: Mapping[str, int | None], framework: Framework) -> tuple[Omission, ...]:
    """Unanswered variables, heaviest production weight first (ties by id)."""
    target, base = framework.profile(TARGET), framework.profile(BASE)
    missing = [vid for vid, answer in answers.items() if answer is None]
    missing.sort(key=lambda vid: (-round(target.weights[vid], _RANK_DIGITS), vid))
    omissions = []
    for vid in missing:
        name, weight = framework.variable(vid).name, target.weights[vid]
        reason = (
            f"{name} was not answered, and it carries {weight:.0%} of the production weight. "
            "Omission Neglect: what is missing from the picture matters most where its weight is highest."
        )
        omissions.append(Omission(vid, name, weight, base.weights[vid], reason))
    return tuple(omissions)
