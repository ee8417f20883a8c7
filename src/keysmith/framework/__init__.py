"""The Instant Competence framework as data: `knowledge/framework/*.yaml` -> typed, validated dataclasses.

`load_framework(directory)` reads `variables.yaml`, `profiles.yaml`, `stall_reasons.yaml`, `archetypes.yaml`,
`steps.yaml` (all required) and `signals.yaml` (optional; missing = no cues). Every problem raises
`FrameworkError("<file>: <field>: <what is wrong>")`, so a broken data file never surfaces as a traceback.
The dataclasses live in `keysmith.framework.model` and are re-exported here: import them from this module.
Only the standard library, keysmith and a YAML parser are imported here (tests/test_layering.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from keysmith.errors import FrameworkError
from keysmith.framework.interview_bank import load_question_bank
from keysmith.framework.model import (
    Archetype,
    BridgeStep,
    CueContext,
    Framework,
    ProcessStep,
    Profile,
    StallReason,
    Variable,
)
from keysmith.framework.reading import Record, read_yaml

__all__ = [
    "Archetype",
    "BridgeStep",
    "CueContext",
    "Framework",
    "ProcessStep",
    "Profile",
    "StallReason",
    "Variable",
    "load_framework",
]

REQUIRED_PROFILES = ("pilot", "production")
WEIGHT_SUM_TOLERANCE = 1e-9
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_EMPTY: Mapping[str, tuple[str, ...]] = MappingProxyType({})


def load_framework(directory: Path) -> Framework:
    """Load and validate the framework from `directory` (usually `Settings.framework_dir`)."""
    stall_reasons = _load_stall_reasons(directory / "stall_reasons.yaml")
    variables = _load_variables(directory / "variables.yaml", stall_reasons)
    known = tuple(v.id for v in variables)
    _check_signal_variables(directory / "stall_reasons.yaml", stall_reasons, known)
    profiles = _load_profiles(directory / "profiles.yaml", known)
    archetypes, archetype_total = _load_archetypes(directory / "archetypes.yaml", known)
    bridge_steps, process_steps, process_total = _load_steps(directory / "steps.yaml")
    variable_cues, stall_cues, contexts = _load_signals(
        directory / "signals.yaml", known, tuple(stall_reasons)
    )
    bank_file = directory / "interview.yaml"
    questions = load_question_bank(bank_file, known, tuple(stall_reasons)) if bank_file.is_file() else ()
    return Framework(
        questions=questions,
        variables=variables,
        profiles=MappingProxyType(profiles),
        stall_reasons=tuple(stall_reasons.values()),
        archetypes=archetypes,
        bridge_steps=bridge_steps,
        process_steps=process_steps,
        archetype_total=archetype_total,
        process_step_total=process_total,
        variable_cues=variable_cues,
        stall_reason_cues=stall_cues,
        cue_contexts=contexts,
    )


def _root(path: Path, fields: set[str]) -> Record:
    """The top-level mapping of a required file, which may hold only `fields`."""
    root = Record.root(path, read_yaml(path))
    root.only(fields)
    return root


def _records(root: Record, key: str) -> list[Record]:
    """The non-empty list under `key`, one `Record` per item; ids checked well-formed and unique."""
    items = root.records(key)
    if not items:
        root.fail(key, "expected at least one entry, got an empty list")
    seen: set[str] = set()
    for item in items:
        item_id = item.text("id")
        if not _ID.match(item_id):
            item.fail("id", f"expected lower_snake_case, got {item_id!r}")
        if item_id in seen:
            item.fail("id", f"duplicate id {item_id!r}")
        seen.add(item_id)
    return items


def _load_stall_reasons(path: Path) -> dict[str, StallReason]:
    reasons: dict[str, StallReason] = {}
    for r in _records(_root(path, {"stall_reasons"}), "stall_reasons"):
        r.only({"id", "name", "summary", "signal_variables", "knowledge_id"})
        reason = StallReason(
            id=r.text("id"),
            name=r.text("name"),
            summary=r.text("summary"),
            signal_variables=r.texts("signal_variables", non_empty=True),
            knowledge_id=r.text("knowledge_id"),
        )
        reasons[reason.id] = reason
    return reasons


def _check_signal_variables(path: Path, reasons: Mapping[str, StallReason], known: tuple[str, ...]) -> None:
    for index, reason in enumerate(reasons.values()):
        for name in reason.signal_variables:
            if name not in known:
                raise FrameworkError(
                    f"{path}: stall_reasons[{index}].signal_variables: unknown variable {name!r}"
                )


def _load_variables(path: Path, reasons: Mapping[str, StallReason]) -> tuple[Variable, ...]:
    variables = []
    for r in _records(_root(path, {"variables"}), "variables"):
        r.only({"id", "name", "question", "anchor_1", "anchor_5", "help"})
        variable_id = r.text("id")
        variables.append(
            Variable(
                id=variable_id,
                name=r.text("name"),
                question=r.text("question"),
                anchor_1=r.text("anchor_1"),
                anchor_5=r.text("anchor_5"),
                stall_reasons=tuple(s.id for s in reasons.values() if variable_id in s.signal_variables),
                help=r.text("help"),
            )
        )
    return tuple(variables)


def _load_profiles(path: Path, known: tuple[str, ...]) -> dict[str, Profile]:
    profiles: dict[str, Profile] = {}
    for r in _records(_root(path, {"profiles"}), "profiles"):
        r.only({"id", "name", "description", "weights"})
        weights_record = r.record("weights")
        unknown = [name for name in weights_record.field_names() if name not in known]
        if unknown:
            weights_record.fail(unknown[0], f"unknown variable {unknown[0]!r}")
        missing = [name for name in known if name not in weights_record.field_names()]
        if missing:
            weights_record.fail(missing[0], "missing: every profile must weigh every variable")
        weights: dict[str, float] = {}
        rationale: dict[str, str] = {}
        for name in known:
            entry = weights_record.record(name)
            entry.only({"weight", "rationale"})
            weights[name] = entry.number("weight", minimum=0.0)
            rationale[name] = entry.text("rationale")
        total = math.fsum(weights.values())
        if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
            weights_record.fail("<sum>", f"weights must sum to 1, got {total!r}")
        profile = Profile(
            id=r.text("id"),
            name=r.text("name"),
            description=r.text("description"),
            weights=MappingProxyType(weights),
            rationale=MappingProxyType(rationale),
        )
        profiles[profile.id] = profile
    for required in REQUIRED_PROFILES:
        if required not in profiles:
            raise FrameworkError(f"{path}: profiles: missing required profile {required!r}")
    return profiles


def _load_archetypes(path: Path, known: tuple[str, ...]) -> tuple[tuple[Archetype, ...], int]:
    root = _root(path, {"total", "archetypes"})
    total = root.integer("total", minimum=1)
    archetypes = []
    for r in _records(root, "archetypes"):
        r.only({"id", "name", "source", "when_it_fits", "gap_variables", "first_moves", "knowledge_id"})
        gaps = r.texts("gap_variables", non_empty=True)
        for name in gaps:
            if name not in known:
                r.fail("gap_variables", f"unknown variable {name!r}")
        archetypes.append(
            Archetype(
                id=r.text("id"),
                name=r.text("name"),
                source=r.text("source"),
                when_it_fits=r.text("when_it_fits"),
                gap_variables=gaps,
                first_moves=r.texts("first_moves", non_empty=True),
                knowledge_id=r.text("knowledge_id"),
            )
        )
    if len(archetypes) > total:
        root.fail("total", f"{len(archetypes)} archetypes listed but total is {total}")
    return tuple(archetypes), total


def _load_steps(path: Path) -> tuple[tuple[BridgeStep, ...], tuple[ProcessStep, ...], int]:
    root = _root(path, {"bridge_steps", "process_steps"})
    bridge = tuple(BridgeStep(**fields) for fields in _step_fields(root.records("bridge_steps"), None))
    process_root = root.record("process_steps")
    process_root.only({"total", "known"})
    total = process_root.integer("total", minimum=1)
    process = tuple(ProcessStep(**fields) for fields in _step_fields(process_root.records("known"), total))
    return bridge, process, total


def _step_fields(records: list[Record], total: int | None) -> list[dict[str, Any]]:
    """Validated step fields; numbers unique, ascending, in 1..total (bridge steps: exactly 1..n)."""
    steps: list[dict[str, Any]] = []
    ids: set[str] = set()
    for position, r in enumerate(records, start=1):
        r.only({"number", "id", "name", "summary", "knowledge_id"})
        number = r.integer("number", minimum=1)
        expected_ok = number == position if total is None else number <= total
        if not expected_ok or (steps and number <= steps[-1]["number"]):
            r.fail("number", f"out of order or out of range: {number!r}")
        step_id = r.text("id")
        if step_id in ids or not _ID.match(step_id):
            r.fail("id", f"duplicate or malformed id {step_id!r}")
        ids.add(step_id)
        steps.append(
            {
                "number": number,
                "id": step_id,
                "name": r.text("name"),
                "summary": r.text("summary"),
                "knowledge_id": r.text("knowledge_id"),
            }
        )
    return steps


_Cues = Mapping[str, tuple[str, ...]]
# A cue may name a context after " @" ("who owns @ai_matter"); see `CueContext`.
CONTEXT_MARK = " @"


def _load_signals(
    path: Path, variables: tuple[str, ...], stall_reasons: tuple[str, ...]
) -> tuple[_Cues, _Cues, Mapping[str, CueContext]]:
    """signals.yaml -> (variable cues, stall reason cues, cue contexts); a missing file means no cues at all.

    Every context a cue names must be defined under `contexts:`, so a typo fails loudly at load time.
    """
    if not path.is_file():
        return _EMPTY, _EMPTY, MappingProxyType({})
    root = _root(path, {"variables", "stall_reasons", "contexts"})
    contexts = _load_contexts(root.record("contexts", required=False))
    result: list[_Cues] = []
    for key, known in (("variables", variables), ("stall_reasons", stall_reasons)):
        section = root.record(key, required=False)
        cues: dict[str, tuple[str, ...]] = {}
        for name in section.field_names():
            if name not in known:
                section.fail(name, f"unknown id {name!r}")
            cues[name] = section.texts(name)
            for cue in cues[name]:
                context = cue.partition(CONTEXT_MARK)[2]
                if CONTEXT_MARK in cue and context not in contexts:
                    section.fail(name, f"cue {cue!r} names an unknown context {context!r}")
        result.append(MappingProxyType(cues))
    return result[0], result[1], MappingProxyType(contexts)


def _load_contexts(section: Record) -> dict[str, CueContext]:
    """`contexts:` -> name -> CueContext(near, not_near); each is a list of single words."""
    contexts: dict[str, CueContext] = {}
    for name in section.field_names():
        record = section.record(name)
        record.only({"near", "not_near"})
        lists = {k: record.texts(k) if k in record.field_names() else () for k in ("near", "not_near")}
        for word in (w for words in lists.values() for w in words):
            if " " in word:
                record.fail(name, f"expected single words, got {word!r}")
        if not lists["near"] and not lists["not_near"]:
            section.fail(name, "expected `near` or `not_near` words")
        contexts[name] = CueContext(near=lists["near"], not_near=lists["not_near"])
    return contexts
