"""`--limit N`: a deterministic sample of an eval suite's questions, stratified by the suite's label.

A model run over every question takes long (a small local server answers a suite of 112 questions in about 20
minutes), so `keysmith eval --limit N` asks a sample. The sample keeps the suite's mix: the questions are
grouped by their label (abstention: `kind`, i.e. off topic / not held / on-topic control; a story set: the
first expected stall reason, and `control` for its controls), each group gets its share of N by largest
remainder (every group at least one while N allows), and within a group the questions are taken in the order
of a hash of their id. So the same N over the same datasets always gives the same sample.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    """One question a suite asks: its dataset (the suite that owns the file), case id, text and label."""

    dataset: str
    case_id: str
    text: str
    label: str


def _order(case_id: str) -> str:
    """A fixed pseudo-random order within a group: independent of file order, stable across runs."""
    return hashlib.sha256(case_id.encode("utf-8")).hexdigest()


def shares(sizes: dict[str, int], limit: int) -> dict[str, int]:
    """How many of each group to take: one each first (while `limit` allows, largest groups first), then
    one at a time to the group furthest below its proportional share, never more than a group holds."""
    total = sum(sizes.values())
    if limit >= total:
        return dict(sizes)
    groups = sorted(sizes, key=lambda g: (-sizes[g], g))
    taken = {g: 1 if i < limit else 0 for i, g in enumerate(groups)}
    wanted = {g: sizes[g] * limit / total for g in groups}
    for _seat in range(limit - sum(taken.values())):
        open_groups = [g for g in groups if taken[g] < sizes[g]]
        neediest = max(open_groups, key=lambda g: (wanted[g] - taken[g], sizes[g]))
        taken[neediest] += 1
    return taken


def stratified(questions: Sequence[Question], limit: int | None) -> list[Question]:
    """At most `limit` of `questions`, stratified by label (see the module docstring), in their given order.

    `limit` None keeps them all; a limit below 1 is refused (ValueError naming it)."""
    if limit is None:
        return list(questions)
    if limit < 1:
        raise ValueError(f"--limit must be at least 1, not {limit}")
    groups: dict[str, list[Question]] = {}
    for question in questions:
        groups.setdefault(question.label, []).append(question)
    taken = shares({label: len(items) for label, items in groups.items()}, limit)
    chosen: set[tuple[str, str]] = set()
    for label, items in groups.items():
        for question in sorted(items, key=lambda q: _order(q.case_id))[: taken[label]]:
            chosen.add((question.dataset, question.case_id))
    return [q for q in questions if (q.dataset, q.case_id) in chosen]
