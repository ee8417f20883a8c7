"""Turn raw answer text into the `Answer` a user sees: guarded, renumbered, cited and sanitised.

Both answerers end here. Order matters: citation markers pointing at no passage are dropped first, then
every sentence stating a number no tool, passage or user message contains, then (for a model's text, when
`names` is given) every sentence naming an archetype, step or stall reason neither the framework nor the
turn's tool results hold; then the markers are renumbered 1..k in order of first use (the `citations` list
is in that order, so a citation's position is its marker), and last the Markdown is cleaned for display.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from keysmith.answer import Answer, Citation
from keysmith.guards import KnownNames, check_citations, guard_names, guard_numbers
from keysmith.guards.sanitize import clean_markdown
from keysmith.text.citations import MARKER_GROUP as _MARKERS
from keysmith.tools import Toolbox


def renumber(text: str) -> tuple[str, list[int]]:
    """Rewrite markers as 1..k in order of first use; returns the text and the old markers in new order."""
    order: list[int] = []

    def replace(match: re.Match[str]) -> str:
        new: list[int] = []
        for raw in re.split(r"\s*,\s*", match.group(1)):
            old = int(raw)
            if old not in order:
                order.append(old)
            position = order.index(old) + 1
            if position not in new:
                new.append(position)
        return f"[{', '.join(str(n) for n in new)}]"

    return _MARKERS.sub(replace, text), order


def _sentences(count: int) -> str:
    return (
        f"{count} sentence{'s were' if count > 1 else ' was'} removed because {'they' if count > 1 else 'it'}"
    )


def _notice(dropped_sentences: int, dropped_markers: int, dropped_names: int = 0) -> str | None:
    parts = []
    if dropped_sentences:
        parts.append(f"{_sentences(dropped_sentences)} stated a number no Keysmith tool produced")
    if dropped_names:
        parts.append(
            f"{_sentences(dropped_names)} named an archetype, step or stall reason the framework material "
            "does not hold"
        )
    if dropped_markers:
        plural = "s" if dropped_markers > 1 else ""
        parts.append(f"{dropped_markers} citation{plural} to a passage that was never retrieved removed")
    return ("Checked: " + "; ".join(parts) + ".") if parts else None


def finish(
    text: str,
    toolbox: Toolbox,
    user_texts: Sequence[str],
    *,
    mode: str,
    abstained: bool = False,
    follow_ups: Sequence[str] = (),
    notice: str | None = None,
    incomplete: bool = False,
    names: KnownNames | None = None,
) -> Answer:
    """Guard, renumber and sanitise `text`; attach the citations it uses and the tool calls made.

    `names` (the framework's, `KnownNames.from_framework`) turns on the names guard: a model's text needs
    it, the composer's is built from the framework data."""
    cited = check_citations(text, set(toolbox.passages))
    sources = toolbox.allowed_number_sources()
    guarded = guard_numbers(cited.text, [*sources, *user_texts])
    named = guard_names(guarded.text, names, sources, user_texts) if names is not None else guarded
    dropped_names = len(named.dropped) if names is not None else 0
    numbered, order = renumber(named.text)
    citations = []
    for position, old in enumerate(order, start=1):
        passage = toolbox.passages[old]
        citations.append(
            Citation(
                passage.id,
                passage.source,
                passage.heading,
                passage.excerpt,
                marker=position,
                facts_from=passage.facts_from,
            )
        )
    guard_notice = _notice(len(guarded.dropped), len(cited.dropped), dropped_names)
    notices = [n for n in (notice, guard_notice) if n]
    return Answer(
        answer=clean_markdown(numbered),
        citations=citations,
        tool_calls=toolbox.call_summaries(),
        abstained=abstained,
        mode=mode,
        incomplete=incomplete,
        notice=" ".join(notices) or None,
        follow_ups=list(follow_ups),
    )
