"""The result types of diagnosis (standard library only): stall-reason findings, archetype suggestions,
the diagnosis of a score report and the signals read from a free-text story.

Every type is frozen and has `to_dict()` returning plain JSON types; numbers are rounded there and only
there, so the same input always gives the same JSON bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STRENGTH_DIGITS = 3
STRONG_SIGNAL, MODERATE_SIGNAL = 0.6, 0.35


@dataclass(frozen=True)
class StallReasonFinding:
    """One stall reason with how strongly the evidence points to it (0..1) and why, in plain words.

    `coverage` is the share of the reason's signal weight that rests on answers (None for story readings);
    `omitted` lists signal variables that were not answered: an omission, never counted as a low score.
    """

    id: str
    name: str
    strength: float
    evidence: tuple[str, ...]
    coverage: float | None = None
    omitted: tuple[str, ...] = ()
    clauses: tuple[str, ...] = ()  # the user's own clauses that signal it (story readings only)

    @property
    def level(self) -> str:
        """ "strong", "moderate", "weak", "none", or "unknown" when no signal variable was answered."""
        if self.coverage == 0.0:
            return "unknown"
        if self.strength >= STRONG_SIGNAL:
            return "strong"
        if self.strength >= MODERATE_SIGNAL:
            return "moderate"
        return "weak" if self.strength > 0 else "none"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "strength": round(self.strength, STRENGTH_DIGITS) + 0.0,
            "level": self.level,
            "coverage": None if self.coverage is None else round(self.coverage, STRENGTH_DIGITS) + 0.0,
            "evidence": list(self.evidence),
            "omitted": list(self.omitted),
            "clauses": list(self.clauses),
        }


@dataclass(frozen=True)
class ArchetypeSuggestion:
    """A solution archetype the evidence points to; `reason` states the rule that fired and on what."""

    id: str
    name: str
    reason: str
    gap_variables: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "reason": self.reason,
            "gap_variables": list(self.gap_variables),
        }


@dataclass(frozen=True)
class Diagnosis:
    """Stall reasons ranked (strongest first) and archetype suggestions, from a score report."""

    stall_reasons: tuple[StallReasonFinding, ...]
    archetypes: tuple[ArchetypeSuggestion, ...]
    omissions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "stall_reasons": [f.to_dict() for f in self.stall_reasons],
            "archetypes": [a.to_dict() for a in self.archetypes],
            "omissions": list(self.omissions),
        }


@dataclass(frozen=True)
class VariableSignal:
    """A variable the story signals as weak: the cue phrases that matched and the story's own words."""

    id: str
    name: str
    phrases: tuple[str, ...]
    quotes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "phrases": list(self.phrases), "quotes": list(self.quotes)}


@dataclass(frozen=True)
class StorySignals:
    """What a deterministic reading of a story found.

    `on_topic` says whether the text is about an AI pilot or rollout at all (see `story_reading`);
    `denied` holds cue phrases the story explicitly denies ("data is not a problem"), which count for nothing.
    """

    on_topic: bool
    variables: tuple[VariableSignal, ...]
    stall_reasons: tuple[StallReasonFinding, ...]
    archetypes: tuple[ArchetypeSuggestion, ...]
    denied: tuple[str, ...]
    topic_terms: tuple[str, ...]
    # The decision (see `diagnosis.fusion.decide`): reasons worth naming, whether to interview, and the
    # reasons an interview would separate. `learned` says whether the learned reader took part.
    named: tuple[str, ...] = ()
    unsure: bool = False
    candidates: tuple[str, ...] = ()
    learned: bool = False
    policy: Any = None  # the FusionPolicy that decided (diagnosis.fusion); not part of to_dict()

    def to_dict(self) -> dict[str, Any]:
        return {
            "on_topic": self.on_topic,
            "named": list(self.named),
            "unsure": self.unsure,
            "candidates": list(self.candidates),
            "learned": self.learned,
            "variables": [v.to_dict() for v in self.variables],
            "stall_reasons": [f.to_dict() for f in self.stall_reasons],
            "archetypes": [a.to_dict() for a in self.archetypes],
            "denied": list(self.denied),
            "topic_terms": list(self.topic_terms),
        }
