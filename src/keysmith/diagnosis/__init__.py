"""Diagnosis (standard library and keysmith only): score report or story -> stall reasons and archetypes.

- `diagnose(report, framework)`: every stall reason, ranked. A reason's `strength` (0..1) is the weighted
  weakness of its signal variables under the production profile, over the ANSWERED ones only:
  `sum(w_v * (5 - a_v) / 4) / sum(w_v)`. An unanswered signal variable is an omission (the framework's
  Omission Neglect): it is named in the evidence and in `omitted`, and lowers `coverage`, never the strength.
  Ranking: strength, then coverage, then the framework's order. Archetypes fire on a simple, stated rule: a
  gap variable of the archetype answered WEAK_MAX or lower.
- `read_story(text, framework)`: the deterministic story reading of `story_reading` (re-exported here).
- `full_report(answers, framework)`: the `keysmith score --json` dict; `report_with_diagnosis(report, ...)`
  the same for a report already computed (e.g. a what-if).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keysmith.diagnosis.findings import (
    ArchetypeSuggestion,
    Diagnosis,
    StallReasonFinding,
    StorySignals,
    VariableSignal,
)
from keysmith.diagnosis.story import read_story
from keysmith.framework import Framework, StallReason
from keysmith.scoring import BASE, MAX_ANSWER, MIN_ANSWER, TARGET, Answers, ScoreReport, score

__all__ = [
    "WEAK_MAX",
    "ArchetypeSuggestion",
    "Diagnosis",
    "StallReasonFinding",
    "StorySignals",
    "VariableSignal",
    "answer_label",
    "diagnose",
    "full_report",
    "read_story",
    "report_with_diagnosis",
]

WEAK_MAX = 2
_LABELS = {1: "very weak", 2: "weak", 3: "partly there", 4: "strong", 5: "very strong"}


def answer_label(answer: int) -> str:
    """Plain words for a 1..5 answer (1 "very weak" ... 5 "very strong")."""
    return _LABELS[answer]


def _weakness(answer: int) -> float:
    return (MAX_ANSWER - answer) / (MAX_ANSWER - MIN_ANSWER)


def diagnose(report: ScoreReport, framework: Framework) -> Diagnosis:
    """Stall reasons ranked with evidence, archetype suggestions with the rule that fired, omissions."""
    answers = report.answers
    findings = [
        (order, _finding(reason, answers, framework)) for order, reason in enumerate(framework.stall_reasons)
    ]
    findings.sort(key=lambda item: (-item[1].strength, -(item[1].coverage or 0.0), item[0]))
    return Diagnosis(
        stall_reasons=tuple(f for _, f in findings),
        archetypes=_archetypes(answers, framework),
        omissions=tuple(o.variable for o in report.omissions),
    )


def _finding(
    reason: StallReason, answers: Mapping[str, int | None], framework: Framework
) -> StallReasonFinding:
    production, pilot = framework.profile(TARGET).weights, framework.profile(BASE).weights
    evidence: list[str] = []
    answered_weight = weighted_weakness = 0.0
    omitted: list[str] = []
    for vid in reason.signal_variables:
        name, answer = framework.variable(vid).name, answers.get(vid)
        shift = f"production weight {production[vid]:.2f} vs pilot {pilot[vid]:.2f}"
        if answer is None:
            omitted.append(vid)
            evidence.append(f"{name} not answered: an omission (Omission Neglect), not a low score; {shift}")
            continue
        answered_weight += production[vid]
        weighted_weakness += production[vid] * _weakness(answer)
        evidence.append(f"{name} answered {answer} of {MAX_ANSWER} ({answer_label(answer)}); {shift}")
    total_weight = sum(production[v] for v in reason.signal_variables)
    if answered_weight == 0:
        evidence.append("No signal variable answered: the strength of this reason is unknown, not low.")
    # Rounded to 9 places so float noise (0.7500000000000001) never reorders equal strengths.
    strength = round(weighted_weakness / answered_weight, 9) if answered_weight else 0.0
    coverage = round(answered_weight / total_weight, 9) if total_weight else 0.0
    return StallReasonFinding(reason.id, reason.name, strength, tuple(evidence), coverage, tuple(omitted))


def _archetypes(answers: Mapping[str, int | None], framework: Framework) -> tuple[ArchetypeSuggestion, ...]:
    """Archetypes with at least one gap variable answered WEAK_MAX or lower, the weightiest gap first."""
    production = framework.profile(TARGET).weights
    ranked: list[tuple[float, int, ArchetypeSuggestion]] = []
    for order, archetype in enumerate(framework.archetypes):
        weak = [v for v in archetype.gap_variables if (a := answers.get(v)) is not None and a <= WEAK_MAX]
        if not weak:
            continue
        fired = "; ".join(f"{framework.variable(v).name} answered {answers[v]} of {MAX_ANSWER}" for v in weak)
        reason = f"Rule: a gap variable of this archetype answered {WEAK_MAX} or lower. Fired by: {fired}."
        gap = sum(production[v] * _weakness(answers[v] or MAX_ANSWER) for v in weak)
        ranked.append((gap, order, ArchetypeSuggestion(archetype.id, archetype.name, reason, tuple(weak))))
    ranked.sort(key=lambda item: (-round(item[0], 9), item[1]))
    return tuple(a for _, _, a in ranked)


def full_report(answers: Answers, framework: Framework) -> dict[str, Any]:
    """`scoring.score(answers).to_dict()` plus `stall_reasons` and `archetypes` (`keysmith score --json`).

    Raises `ScoringInputError` (from scoring) on invalid answers, naming the variable and the value.
    """
    report = score(answers, framework)
    return report_with_diagnosis(report, framework)


def report_with_diagnosis(report: ScoreReport, framework: Framework) -> dict[str, Any]:
    """A score report's dict plus its diagnosis (for callers that already hold a report, e.g. what-if)."""
    data = report.to_dict()
    diagnosis = diagnose(report, framework)
    data["stall_reasons"] = [f.to_dict() for f in diagnosis.stall_reasons]
    data["archetypes"] = [a.to_dict() for a in diagnosis.archetypes]
    return data
