"""What a score report's diagnosis says to a manager (standard library and keysmith only).

`diagnose` ranks every stall reason and keeps its full evidence, strong answers included: that is the
machine record (`keysmith score --json`). A person reads something narrower, built here from the same dict:

- `stall_readout(report, framework)`: the LIKELY stall reasons are those with at least one signal variable
  answered `WEAK_MAX` (2) or lower, and their evidence is those weak answers only; a strong answer is never
  evidence of a stall. A reason with no weak answer and an unanswered signal variable could not be judged
  (it is listed with the missing variables); one whose signal variables were all answered above `WEAK_MAX`
  is not signalled by these answers.
- `archetype_why(suggestion, answers, framework)`: why an archetype is suggested, in a manager's words
  ("Suggested because data infrastructure is weak (2 of 5).") instead of the rule that fired.

Both read the `full_report` dict (plain JSON), so a report saved by an older Keysmith reads the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from keysmith.diagnosis import WEAK_MAX, answer_label
from keysmith.errors import FrameworkError
from keysmith.framework import Framework
from keysmith.scoring import MAX_ANSWER


@dataclass(frozen=True)
class WeakAnswer:
    """A signal variable answered `WEAK_MAX` or lower: the evidence a person is shown."""

    variable_id: str
    name: str
    answer: int

    @property
    def text(self) -> str:
        """ "Data infrastructure is weak (2 of 5)"."""
        return f"{self.name} is {answer_label(self.answer)} ({self.answer} of {MAX_ANSWER})"


@dataclass(frozen=True)
class ReasonEvidence:
    """A stall reason with its weak answers and the signal variables nobody answered (names)."""

    id: str
    name: str
    weak: tuple[WeakAnswer, ...]
    unanswered: tuple[str, ...]


@dataclass(frozen=True)
class StallReadout:
    """Likely reasons (diagnosis's order), reasons that could not be judged, reasons not signalled."""

    likely: tuple[ReasonEvidence, ...]
    unjudged: tuple[ReasonEvidence, ...]
    clear: tuple[str, ...]

    def unjudged_line(self) -> str:
        """ "Could not be judged, because a question behind it was not answered: Governance Vacuum
        (Governance)." or "" when every reason could be judged."""
        if not self.unjudged:
            return ""
        items = [f"{r.name} ({join_names(r.unanswered)})" for r in self.unjudged]
        return "Could not be judged, because a question behind it was not answered: " + "; ".join(items) + "."


def report_answers(report: Mapping[str, Any]) -> dict[str, int | None]:
    """The answers a report rests on (`answers`, else each contribution's `answer`); unanswered absent."""
    raw = report.get("answers")
    if isinstance(raw, Mapping):
        return {str(k): v if isinstance(v, int) and not isinstance(v, bool) else None for k, v in raw.items()}
    found: dict[str, int | None] = {}
    for profile in (report.get("profiles") or {}).values():
        for item in profile.get("contributions") or []:
            answer = item.get("answer")
            found.setdefault(str(item.get("variable")), answer if isinstance(answer, int) else None)
    return found


def stall_readout(report: Mapping[str, Any], framework: Framework) -> StallReadout:
    """Split the report's stall reasons into likely / could not be judged / not signalled (module doc)."""
    answers = report_answers(report)
    likely: list[ReasonEvidence] = []
    unjudged: list[ReasonEvidence] = []
    clear: list[str] = []
    for finding in report.get("stall_reasons") or []:
        try:
            reason = framework.stall_reason(str(finding.get("id")))
        except FrameworkError:
            continue  # a reason this framework no longer has: nothing to say about it
        weak = tuple(
            WeakAnswer(v, framework.variable(v).name, a)
            for v in reason.signal_variables
            if (a := answers.get(v)) is not None and a <= WEAK_MAX
        )
        missing = tuple(framework.variable(v).name for v in reason.signal_variables if answers.get(v) is None)
        evidence = ReasonEvidence(reason.id, reason.name, weak, missing)
        if weak:
            likely.append(evidence)
        elif missing:
            unjudged.append(evidence)
        else:
            clear.append(reason.name)
    return StallReadout(tuple(likely), tuple(unjudged), tuple(clear))


def archetype_why(
    suggestion: Mapping[str, Any], answers: Mapping[str, int | None], framework: Framework
) -> str:
    """ "Suggested because governance is very weak (1 of 5) and data infrastructure is weak (2 of 5)."

    Built from the suggestion's `gap_variables` and the answers; a gap variable without a weak answer (a
    story's reading) is named as what the story points to.
    """
    parts: list[str] = []
    pointed: list[str] = []
    for vid in suggestion.get("gap_variables") or []:
        try:
            name = framework.variable(str(vid)).name
        except FrameworkError:
            continue
        answer = answers.get(str(vid))
        if answer is not None and answer <= WEAK_MAX:
            parts.append(_lower_first(WeakAnswer(str(vid), name, answer).text))
        else:
            pointed.append(_lower_first(name))
    if parts:
        return f"Suggested because {join_names(parts)}."
    if pointed:
        return f"Suggested because what you described points to weak {join_names(pointed)}."
    return "Suggested by the framework for these answers."


def join_names(names: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
