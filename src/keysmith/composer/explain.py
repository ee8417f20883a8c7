"""Composer answers that explain: a concept, a stall reason, the list of stall reasons or bridge steps.

Explanations are the retrieved passages' own opening sentences, each cited. Before explaining, the
question's subject is checked against the passages found: retrieval can match a question on its generic
words ("adoption") while its subject ("blockchain") is nowhere in the knowledge, and then the honest answer
is that the framework text does not cover it. No passage at all means the question is off topic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from keysmith.composer import frames
from keysmith.composer.frames import Draft
from keysmith.composer.routing import is_story
from keysmith.framework import Framework
from keysmith.ingest.chunking import KINDS
from keysmith.retrieval import Passage
from keysmith.tools import Toolbox

MAX_PASSAGES = 3  # in one explanation
MAX_PER_PAGE = 2  # sections taken from the best-matching page
_SUBJECT = (
    re.compile(r"\babout\s+(.+)$"),
    re.compile(r"^(?:what|who)(?:'s|\s+is|\s+are|\s+was|\s+were)\s+(.+)$"),
    re.compile(r"^(?:explain|define|describe)\s+(.+)$"),
)
# Words a question about the framework may use without the framework text containing them.
_GENERIC = frozenset({
    "framework", "instant", "competence", "keysmith", "book", "author", "drago", "dimitrov", "dimitrov's",
    "concept", "idea", "mean", "means", "meaning", "term", "terms", "called", "named", "this", "that",
    "these", "those", "what", "with", "from", "into", "their", "there", "about", "does",
})  # fmt: skip
_BRIDGE = re.compile(r"\bbridge steps?\b|\bsteps? from (?:a |the )?pilot to production\b|\bfour steps\b")
_OUTSIDE = "Questions outside the framework: topics unrelated to AI rollouts, not a source for them"


def _subject(question: str) -> str:
    """What a question asks about ("what does X say about blockchain?" -> "blockchain"), or ""."""
    text = " ".join(question.lower().split()).strip(" ?.!")
    for pattern in _SUBJECT:
        match = pattern.search(text)
        if match:
            return re.sub(r"^(?:the|a|an)\s+", "", match.group(1))
    return ""


def uncovered_subject(question: str, passages: Sequence[Passage]) -> str:
    """The question's subject if one of its words appears in none of `passages`, else ""."""
    subject = _subject(question)
    words = [w for w in re.findall(r"[a-z][a-z'-]{3,}", subject) if w not in _GENERIC]
    haystack = " ".join(f"{p.heading} {p.text}" for p in passages).lower()
    missing = [w for w in words if w[:5] not in haystack]
    return subject if missing else ""


def not_covered(subject: str, toolbox: Toolbox) -> Draft:
    """The framework has nothing on `subject`: say so plainly, cite Keysmith's limits, offer what it does."""
    limits = toolbox.call("search_framework", query=_OUTSIDE, kind="limits")
    cite = frames.cite(limits.data["markers"][:1]) if limits.ok else ""
    text = f'{frames.NOT_HELD} Nothing in it is about "{subject}"{cite}.\n\n{frames.CAN_DO}'
    return Draft(text, abstained=True, follow_ups=frames.off_topic().follow_ups)


def _title_first(markers: list[int], lowered_question: str, toolbox: Toolbox) -> list[int]:
    """Passages of a page the question names by its title come first, that page's opening section first."""

    def key(marker: int) -> tuple[int, int]:
        passage = toolbox.passages[marker]
        named = bool(passage.title) and passage.title.lower() in lowered_question
        opening = passage.id.endswith(("#overview", "#what-it-is"))
        return (0 if named else 1, 0 if named and opening else 1)

    return sorted(markers, key=key)


def _pick(markers: list[int], toolbox: Toolbox) -> list[int]:
    """Up to MAX_PER_PAGE sections of the best page, then one section from each further page."""
    top_page = toolbox.passages[markers[0]].id.split("#", 1)[0]
    chosen: list[int] = []
    pages: dict[str, int] = {}
    for marker in markers:
        page = toolbox.passages[marker].id.split("#", 1)[0]
        allowed = MAX_PER_PAGE if page == top_page else 1
        if pages.get(page, 0) < allowed and len(chosen) < MAX_PASSAGES:
            chosen.append(marker)
            pages[page] = pages.get(page, 0) + 1
    return chosen


def _topic(passage: Passage) -> str:
    """A page title usable mid-sentence ("The pilot illusion" -> "the pilot illusion")."""
    title = passage.title or frames.last_heading(passage.heading)
    return title[0].lower() + title[1:] if title.startswith(("The ", "A ")) else title


def explain_answer(question: str, toolbox: Toolbox, framework: Framework) -> Draft:
    """Explain what `question` asks about from the passages found (see the module docstring)."""
    lowered = question.lower()
    named = [r for r in framework.stall_reasons if r.name.lower() in lowered]
    if named:
        return stall_reason_answer(named[0].id, toolbox, framework)
    if "stall reasons" in lowered:
        return stall_reasons_answer(toolbox, framework)
    if _BRIDGE.search(lowered):
        return bridge_steps_answer(toolbox, framework)
    result = toolbox.call("search_framework", query=question[:400])
    found: list[int] = result.data["markers"] if result.ok else []
    # Keysmith's limits page answers "what is not held", not "what is X": keep it out of explanations.
    found = [m for m in found if toolbox.passages[m].kind != "limits"] or found
    if not found:
        return frames.off_topic(story=is_story(question))
    missing = uncovered_subject(question, [toolbox.passages[m] for m in found])
    if missing:
        return not_covered(missing, toolbox)
    parts = ["Here is what the framework says."]
    for marker in _pick(_title_first(found, lowered, toolbox), toolbox):
        passage = toolbox.passages[marker]
        summary = frames.lead_sentences(passage.text, limit=3)
        parts.append(f"**{frames.last_heading(passage.heading)}.** {summary}{frames.cite([marker])}")
    follow_ups = ["Our AI pilot worked but the rollout has stalled. Why?", "Start the self-assessment"]
    # Only a framework page has a topic to ask about: a client document's title is a file name
    # ("How does northwind-status.docx show up...?" is no question anyone would ask).
    pages = [toolbox.passages[m] for m in found if toolbox.passages[m].kind in KINDS]
    if pages:
        follow_ups.insert(0, f"How does {_topic(pages[0])} show up in a stalled AI rollout?")
    return Draft("\n\n".join(parts), follow_ups=follow_ups)


def stall_reasons_answer(toolbox: Toolbox, framework: Framework) -> Draft:
    """The five stall reasons, each in plain words and cited to its own page."""
    rows = []
    for reason in framework.stall_reasons:
        explained = toolbox.call("explain_stall_reason", stall_reason_id=reason.id)
        cite = frames.cite(explained.data["markers"][:1]) if explained.ok else ""
        rows.append(f"- **{reason.name}.** {reason.summary}{cite}")
    lead = (
        f"The framework names {frames.count_word(len(framework.stall_reasons))} reasons an AI rollout stalls "
        "after a successful pilot:"
    )
    follow_ups = ["Our AI pilot worked but the rollout has stalled. Why?", "Start the self-assessment"]
    return Draft("\n\n".join([lead, "\n".join(rows)]), follow_ups=follow_ups)


def bridge_steps_answer(toolbox: Toolbox, framework: Framework) -> Draft:
    """The framework's steps from pilot to production, in order, each cited to its own page."""
    rows = []
    for step in framework.bridge_steps:
        result = toolbox.call("search_framework", query=f"{step.name}: {step.summary}", kind="bridge_step")
        markers: list[int] = result.data["markers"] if result.ok else []
        own = [m for m in markers if toolbox.passages[m].id.startswith(f"{step.knowledge_id}#")]
        rows.append(f"{step.number}. **{step.name}.** {step.summary}{frames.cite((own or markers)[:1])}")
    lead = (
        f"The framework treats a pilot as reconnaissance for the real plan, and describes "
        f"{frames.count_word(len(rows))} steps from pilot to production:"
    )
    follow_ups = ["What is HD Vision?", "Our AI pilot worked but the rollout has stalled. Why?"]
    return Draft("\n\n".join([lead, "\n".join(rows)]), follow_ups=follow_ups)


def stall_reason_answer(stall_reason_id: str, toolbox: Toolbox, framework: Framework) -> Draft:
    """A stall reason in plain words, its signal variables, and the archetypes that address it."""
    explained = toolbox.call("explain_stall_reason", stall_reason_id=stall_reason_id)
    reason = framework.stall_reason(stall_reason_id)
    markers: list[int] = explained.data["markers"] if explained.ok else []
    total = frames.count_word(len(framework.stall_reasons))
    signals = frames.join_words([framework.variable(v).name.lower() for v in reason.signal_variables])
    parts = [
        f"**{reason.name}** is one of the {total} reasons the framework gives for an AI rollout stalling "
        f"after a successful pilot. {reason.summary}{frames.cite(markers[:1])}"
    ]
    for marker in markers[1:2]:
        parts.append(
            f"{frames.lead_sentences(toolbox.passages[marker].text, limit=3)}{frames.cite([marker])}"
        )
    parts.append(f"In a self-assessment it shows up as weak answers on {signals}.")
    fixes = [a for a in framework.archetypes if set(a.gap_variables) & set(reason.signal_variables)]
    follow_ups = [f"What is the {a.name} archetype?" for a in fixes[:2]]
    return Draft("\n\n".join(parts), follow_ups=[*follow_ups, "Start the self-assessment"])
