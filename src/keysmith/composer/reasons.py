"""Which stall reasons a story's diagnosis names, and the user's own words behind each.

- `top_reasons(signals, framework)`: the cue reader's choice, the strongest reason plus a second one with
  enough evidence of its own; `chosen_reasons` uses the learned-and-cue decision when the learned reader
  took part.
- `reason_lines(reasons, signals, toolbox, story)`: one numbered line a reason, its summary cited to its
  framework page and the user's words that point to it; `reason_records`: the same reasons as the
  `reasons` of `keysmith ask --json`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from keysmith.composer import frames
from keysmith.composer.briefing import is_a_request_for_words
from keysmith.diagnosis import StallReasonFinding, StorySignals
from keysmith.framework import Framework
from keysmith.tools import Toolbox

# Measured on evals/datasets/scenarios.yaml (34 stories, with the subject-aware cue reading): naming the top
# reason only gives recall 0.83 at precision 1.0; adding a second one when it has at least 0.4 of the top
# one's strength gives recall 0.97 at precision 0.85, and asking the second for evidence of its own (see
# `top_reasons`) gives recall 0.95 at precision 0.90. Strength is score / (score + 1), so 0.4 of it is a
# generous floor: a second reason the story names in its own words is passed on, one stray single-word cue
# beside a strong first reason is not. A third reason, even one nearly as strong as the first, added no
# recall and cost precision.
MAX_REASONS = 2
# A further stall reason is named only if the story supports it at least this much relative to the top one.
RELATIVE_STRENGTH = 0.4
_STORY_SAYS = re.compile(r'the story says "([^"]+)"')


def top_reasons(signals: StorySignals, framework: Framework) -> list[StallReasonFinding]:
    """The stall reasons worth naming: the strongest, plus the next one if the story supports it enough.

    A further reason needs RELATIVE_STRENGTH of the top one's strength AND evidence of its own: a cue of
    its own, or a weak signal variable the top reason does not share. Zoom level shares data and process
    with input-output mismatch, so a story about hand-offs alone would otherwise always name both; naming a
    second reason that adds no evidence of its own tells the reader nothing new.
    """
    ranked = [f for f in signals.stall_reasons if f.strength > 0]
    if not ranked:
        return []
    top, floor = ranked[0], ranked[0].strength * RELATIVE_STRENGTH
    more = [f for f in ranked[1:] if f.strength >= floor and _own_evidence(f, top, signals, framework)]
    return [top, *more][:MAX_REASONS]


def _own_evidence(
    finding: StallReasonFinding, top: StallReasonFinding, signals: StorySignals, framework: Framework
) -> bool:
    """Whether the story points at `finding` by more than the signal variables it shares with `top`."""
    if any(_STORY_SAYS.search(e) for e in finding.evidence):
        return True
    shared = set(framework.stall_reason(top.id).signal_variables)
    own = set(framework.stall_reason(finding.id).signal_variables) - shared
    return any(v.id in own for v in signals.variables)


def chosen_reasons(signals: StorySignals, framework: Framework) -> list[StallReasonFinding]:
    """The reasons to name: the learned-and-cue decision when the learned reader took part, else the cue
    reader's `top_reasons`."""
    if not signals.learned:
        return top_reasons(signals, framework)
    by_id = {f.id: f for f in signals.stall_reasons}
    return [by_id[rid] for rid in signals.named if rid in by_id]


def _quotes(finding: StallReasonFinding, signals: StorySignals, framework: Framework) -> list[str]:
    """The user's own words behind a finding: the clauses that signal it when the readers found them, else
    the cue reader's direct descriptions, then weak signal variables."""
    if finding.clauses:
        return [_trimmed(c) for c in finding.clauses]
    signal_variables = framework.stall_reason(finding.id).signal_variables
    quotes = [m.group(1) for e in finding.evidence for m in _STORY_SAYS.finditer(e)]
    quotes += [q for v in signals.variables if v.id in signal_variables for q in v.quotes]
    return quotes


_QUOTE_SAFE = str.maketrans({'"': "'", "[": "(", "]": ")"})
MAX_CLAUSE_WORDS = 45  # the segmenter's own cap: a clause is quoted whole


def _trimmed(clause: str) -> str:
    """A clause of at most MAX_CLAUSE_WORDS words (cut with an ellipsis): enough to carry the meaning."""
    words = clause.split()
    return clause if len(words) <= MAX_CLAUSE_WORDS else " ".join(words[:MAX_CLAUSE_WORDS]) + " …"


def _evidence(clauses: Sequence[str]) -> list[str]:
    """The clauses worth quoting as evidence: not the user's request for words ("what do I tell them")."""
    return [c for c in clauses if not is_a_request_for_words(c)]


def reason_lines(
    reasons: list[StallReasonFinding], signals: StorySignals, toolbox: Toolbox, story: str
) -> list[str]:
    """One numbered line a reason: its summary cited to its framework page, then the user's words that
    point to it (their whole clauses when the readers found them, else the cue reader's phrases)."""
    framework = toolbox.framework
    lines = []
    used: set[str] = set()
    for position, finding in enumerate(reasons, start=1):
        explained = toolbox.call("explain_stall_reason", stall_reason_id=finding.id)
        reason = framework.stall_reason(finding.id)
        markers = explained.data["markers"] if explained.ok else []
        line = f"{position}. **{reason.name}.** {reason.summary}{frames.cite(markers[:1])}"
        if finding.clauses:  # the user's whole clause (the readers' evidence), not a cue's few words
            # Brackets become parentheses: a user's "[2]" must not pass for a citation marker.
            plain = [_trimmed(c).translate(_QUOTE_SAFE) for c in _evidence(finding.clauses)]
            quoted = ", ".join(f'"{c.strip(" .,;:")}"' for c in plain[:2])
        else:
            quoted = frames.quote_phrases(_quotes(finding, signals, framework), story=story, used=used)
        if quoted:
            line += f"\n   In your words: {quoted}."
        lines.append(line)
    return lines


def reason_records(
    reasons: list[StallReasonFinding], signals: StorySignals, framework: Framework
) -> list[dict[str, Any]]:
    """The `reasons` of `keysmith ask --json`: id, strength and the user's own clauses as evidence."""
    records = []
    for finding in reasons:
        # The readers' clauses when they found some (less the user's request for words, which is no
        # evidence), else the cue reader's descriptions.
        evidence = _evidence(finding.clauses) if finding.clauses else _quotes(finding, signals, framework)
        records.append(
            {"id": finding.id, "strength": round(finding.strength, 3) + 0.0, "evidence": evidence[:3]}
        )
    return records
