"""The framework's data model: frozen dataclasses for variables, profiles, stall reasons, archetypes, steps.

Built by `keysmith.framework.load_framework` (which re-exports every name here); nothing in this module reads
files. Mappings are read-only (`MappingProxyType`) so a loaded framework cannot be changed by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from keysmith.errors import FrameworkError
from keysmith.framework.interview_bank import Question

_EMPTY: Mapping[str, tuple[str, ...]] = MappingProxyType({})
_T = TypeVar("_T")


@dataclass(frozen=True)
class Variable:
    """One weighted variable; `stall_reasons` is derived from the stall reasons' `signal_variables`."""

    id: str
    name: str
    question: str
    anchor_1: str
    anchor_5: str
    stall_reasons: tuple[str, ...]
    help: str


@dataclass(frozen=True)
class Profile:
    """A weight profile: `weights` covers every variable (assessment order) and sums to 1."""

    id: str
    name: str
    description: str
    weights: Mapping[str, float]
    rationale: Mapping[str, str]


@dataclass(frozen=True)
class StallReason:
    id: str
    name: str
    summary: str
    signal_variables: tuple[str, ...]
    knowledge_id: str


@dataclass(frozen=True)
class Archetype:
    id: str
    name: str
    source: str
    when_it_fits: str
    gap_variables: tuple[str, ...]
    first_moves: tuple[str, ...]
    knowledge_id: str


@dataclass(frozen=True)
class BridgeStep:
    number: int
    id: str
    name: str
    summary: str
    knowledge_id: str


@dataclass(frozen=True)
class ProcessStep:
    number: int
    id: str
    name: str
    summary: str
    knowledge_id: str


@dataclass(frozen=True)
class CueContext:
    """What must (`near`) and must not (`not_near`) stand close to a cue whose meaning depends on its subject.

    Named in signals.yaml under `contexts:` and attached to a cue as `"who owns @ai_matter"`: "owns" is
    governance when the model is owned, not when a client owns a business. Both are single words; an empty
    `near` means only `not_near` is checked.
    """

    near: tuple[str, ...] = ()
    not_near: tuple[str, ...] = ()


@dataclass(frozen=True)
class Framework:
    """The whole framework. Only what the sources name is held; `*_total` says how much exists in full."""

    variables: tuple[Variable, ...]
    profiles: Mapping[str, Profile]
    stall_reasons: tuple[StallReason, ...]
    archetypes: tuple[Archetype, ...]
    bridge_steps: tuple[BridgeStep, ...]
    process_steps: tuple[ProcessStep, ...]
    archetype_total: int = 14
    process_step_total: int = 7
    variable_cues: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _EMPTY)
    stall_reason_cues: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _EMPTY)
    cue_contexts: Mapping[str, CueContext] = field(default_factory=lambda: MappingProxyType({}))
    # The diagnosis interview's questions (interview.yaml); empty when the file is absent.
    questions: tuple[Question, ...] = ()

    @property
    def variable_ids(self) -> tuple[str, ...]:
        """Variable ids in assessment order."""
        return tuple(v.id for v in self.variables)

    @property
    def signals(self) -> Mapping[str, Mapping[str, tuple[str, ...]]]:
        """signals.yaml as loaded: `{"variables": variable_cues, "stall_reasons": stall_reason_cues}`."""
        return MappingProxyType({"variables": self.variable_cues, "stall_reasons": self.stall_reason_cues})

    def variable(self, variable_id: str) -> Variable:
        return _lookup("variable", variable_id, {v.id: v for v in self.variables})

    def profile(self, profile_id: str) -> Profile:
        return _lookup("profile", profile_id, self.profiles)

    def stall_reason(self, stall_reason_id: str) -> StallReason:
        return _lookup("stall reason", stall_reason_id, {s.id: s for s in self.stall_reasons})

    def archetype(self, archetype_id: str) -> Archetype:
        return _lookup("archetype", archetype_id, {a.id: a for a in self.archetypes})

    def to_dict(self) -> dict[str, Any]:
        """The `keysmith framework --json` shape: plain lists and dicts, in the data's own order."""
        return {
            "variables": [asdict(v) | {"stall_reasons": list(v.stall_reasons)} for v in self.variables],
            "profiles": {
                p.id: {
                    "id": p.id,
                    "name": p.name,
                    "description": p.description,
                    "weights": dict(p.weights),
                    "rationale": dict(p.rationale),
                }
                for p in self.profiles.values()
            },
            "stall_reasons": [
                asdict(s) | {"signal_variables": list(s.signal_variables)} for s in self.stall_reasons
            ],
            "archetypes": [
                asdict(a) | {"gap_variables": list(a.gap_variables), "first_moves": list(a.first_moves)}
                for a in self.archetypes
            ],
            "archetype_total": self.archetype_total,
            "bridge_steps": [asdict(b) for b in self.bridge_steps],
            "process_steps": [asdict(p) for p in self.process_steps],
            "process_step_total": self.process_step_total,
        }


def _lookup(kind: str, key: str, items: Mapping[str, _T]) -> _T:
    try:
        return items[key]
    except KeyError:
        raise FrameworkError(f"unknown {kind} id {key!r}; known: {', '.join(items)}") from None
