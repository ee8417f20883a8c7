"""The offline answerer: deterministic routing, the same tools as the agent, fixed sentence frames.

`Composer(framework, retriever).answer(question, toolbox) -> Answer` routes the question (routing.py), calls
the tools through `toolbox.call` (so every call is validated and recorded like the agent's), and assembles
the answer from tool results, cited passages and the user's own words. The result goes through the same
guards and sanitiser as a model's answer (finish.py); by construction they should find nothing to remove.

Routes: diagnose (composer_story.py); framework facts Keysmith holds only in part — steps, archetypes,
limits (composer_framework.py); and here: explain a concept, the assessment, off-topic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from keysmith import frames
from keysmith.answer import Answer
from keysmith.composer_framework import archetype_answer, limits_answer, step_answer
from keysmith.composer_story import diagnose_answer
from keysmith.finish import finish
from keysmith.frames import Draft
from keysmith.framework import Framework
from keysmith.retrieval import Passage, Retriever
from keysmith.routing import Route, is_story, route
from keysmith.tools import Toolbox

OFFLINE = "offline"
_EXPLAIN_PASSAGES = 3

Handler = Callable[[str, Route, Toolbox], Draft]


class Composer:
    """Answers without a language model (see the module docstring)."""

    def __init__(self, framework: Framework, retriever: Retriever) -> None:
        self.framework = framework
        self.retriever = retriever

    def route(self, question: str) -> Route:
        """The route `question` takes (exposed for the UI and the evals)."""
        return route(question, self.framework)

    def answer(self, question: str, toolbox: Toolbox, user_texts: Sequence[str] = ()) -> Answer:
        """Answer `question` offline; `user_texts` are earlier user messages (their numbers are allowed)."""
        return self.finish(self.draft(question, toolbox), question, toolbox, user_texts)

    def draft(self, question: str, toolbox: Toolbox) -> Draft:
        """The answer before the guards (the assistant appends it to a model's partial answer)."""
        chosen = self.route(question)
        handlers: dict[str, Handler] = {
            "diagnose": lambda q, r, t: diagnose_answer(q, t, self.framework),
            "assessment": lambda q, r, t: self._assessment(t),
            "explain": lambda q, r, t: self._explain(q, t),
            "limits": lambda q, r, t: limits_answer(q, t),
        }
        if chosen.intent in handlers:
            return handlers[chosen.intent](question, chosen, toolbox)
        if chosen.intent.endswith("step") or chosen.intent == "steps":
            return step_answer(chosen, toolbox, self.framework)
        return archetype_answer(chosen, toolbox, self.framework)

    def finish(self, draft: Draft, question: str, toolbox: Toolbox, user_texts: Sequence[str]) -> Answer:
        """Run the guards and the sanitiser on a draft."""
        return finish(
            draft.text,
            toolbox,
            [question, *user_texts],
            mode=OFFLINE,
            abstained=draft.abstained,
            follow_ups=draft.follow_ups,
        )

    def _explain(self, question: str, toolbox: Toolbox) -> Draft:
        """Summarise the top passages for a concept question, each in its own words and cited."""
        lowered = question.lower()
        named = [r for r in self.framework.stall_reasons if r.name.lower() in lowered]
        if named:
            return self._stall_reason(named[0].id, toolbox)
        if "stall reasons" in lowered:
            return self._stall_reasons(toolbox)
        result = toolbox.call("search_framework", query=question[:400])
        found = result.data["markers"] if result.ok else []
        # Keysmith's limits page answers "what is not held", not "what is X": keep it out of explanations.
        found = [m for m in found if toolbox.passages[m].kind != "limits"] or found
        markers = _title_first(found, lowered, toolbox)
        if not markers:
            return frames.off_topic(story=is_story(question))
        missing = uncovered_subject(question, [toolbox.passages[m] for m in markers])
        if missing:
            return not_covered(question, missing, toolbox)
        parts = ["Here is what the framework says."]
        seen_pages: set[str] = set()
        for marker in markers:
            passage = toolbox.passages[marker]
            page = passage.id.split("#", 1)[0]
            if page in seen_pages or len(seen_pages) >= _EXPLAIN_PASSAGES:
                continue
            seen_pages.add(page)
            summary = frames.lead_sentences(passage.text, limit=3)
            parts.append(f"**{frames.last_heading(passage.heading)}.** {summary}{frames.cite([marker])}")
        first = toolbox.passages[markers[0]]
        return Draft(
            "\n\n".join(parts),
            follow_ups=[
                f"How does {first.title or frames.last_heading(first.heading)} show up in a stalled "
                "AI rollout?",
                "Our AI pilot worked but the rollout has stalled. Why?",
                "Start the self-assessment",
            ],
        )

    def _stall_reasons(self, toolbox: Toolbox) -> Draft:
        """The five stall reasons, each in plain words and cited to its own page."""
        reasons = self.framework.stall_reasons
        rows = []
        for reason in reasons:
            explained = toolbox.call("explain_stall_reason", stall_reason_id=reason.id)
            cite = frames.cite(explained.data["markers"][:1]) if explained.ok else ""
            rows.append(f"- **{reason.name}.** {reason.summary}{cite}")
        lead = (
            f"The framework names {frames.count_word(len(reasons))} reasons an AI rollout stalls after a "
            "successful pilot:"
        )
        follow_ups = ["Our AI pilot worked but the rollout has stalled. Why?", "Start the self-assessment"]
        return Draft("\n\n".join([lead, "\n".join(rows)]), follow_ups=follow_ups)

    def _stall_reason(self, stall_reason_id: str, toolbox: Toolbox) -> Draft:
        """A stall reason in plain words, its signal variables, and the archetypes that address it."""
        explained = toolbox.call("explain_stall_reason", stall_reason_id=stall_reason_id)
        reason = self.framework.stall_reason(stall_reason_id)
        markers: list[int] = explained.data["markers"] if explained.ok else []
        total = frames.count_word(len(self.framework.stall_reasons))
        signals = frames.join_words(
            [self.framework.variable(v).name.lower() for v in reason.signal_variables]
        )
        parts = [
            f"**{reason.name}** is one of the {total} reasons the framework gives for an AI rollout stalling "
            f"after a successful pilot. {reason.summary}{frames.cite(markers[:1])}"
        ]
        for marker in markers[1:2]:
            parts.append(
                f"{frames.lead_sentences(toolbox.passages[marker].text, limit=3)}{frames.cite([marker])}"
            )
        parts.append(f"In a self-assessment it shows up as weak answers on {signals}.")
        fixes = [a for a in self.framework.archetypes if set(a.gap_variables) & set(reason.signal_variables)]
        follow_ups = [f"What is the {a.name} archetype?" for a in fixes[:2]]
        return Draft("\n\n".join(parts), follow_ups=[*follow_ups, "Start the self-assessment"])

    def _assessment(self, toolbox: Toolbox) -> Draft:
        first = toolbox.call("next_assessment_question").data
        why = toolbox.call("search_framework", query="weights shift from pilot to production variables")
        cite = frames.cite(why.data["markers"][:1]) if why.ok else ""
        total = int(first.get("total", len(self.framework.variables)))
        lines = [
            f"The guided self-assessment asks {frames.count_word(total)} questions, one for each variable of "
            "Keysmith's weighted-variable model. It scores the same answers twice, with pilot weights and "
            "with "
            "production weights, because the variables that carry a pilot are not the ones that decide a "
            f"rollout{cite}. At the end you see where the weight moved, your biggest levers and what is "
            "missing.",
        ]
        if not first.get("complete"):
            lines.append(
                f"The first question, on **{first['name']}**: {first['question']}\n"
                f"- A weak answer looks like this: {first['what_1_looks_like']}\n"
                f"- A strong answer looks like this: {first['what_5_looks_like']}"
            )
        lines.append(frames.ASSESS_HOW)
        return Draft(
            "\n\n".join(lines), follow_ups=["Start the self-assessment", "Why do the weights change?"]
        )


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


def _subject(question: str) -> str:
    """What a question asks about ("what does X say about blockchain?" -> "blockchain"), or ""."""
    text = " ".join(question.lower().split()).strip(" ?.!")
    for pattern in _SUBJECT:
        match = pattern.search(text)
        if match:
            return re.sub(r"^(?:the|a|an)\s+", "", match.group(1))
    return ""


def uncovered_subject(question: str, passages: Sequence[Passage]) -> str:
    """The question's subject if one of its words appears in none of the passages found, else "".

    Retrieval can match a question on its generic words ("adoption") while its subject ("blockchain") is
    nowhere in the knowledge; then the honest answer is that the framework text does not cover it.
    """
    subject = _subject(question)
    words = [w for w in re.findall(r"[a-z][a-z'-]{3,}", subject) if w not in _GENERIC]
    haystack = " ".join(f"{p.heading} {p.text}" for p in passages).lower()
    missing = [w for w in words if w[:5] not in haystack]
    return subject if missing else ""


_OUTSIDE = "Questions outside the framework: topics unrelated to AI rollouts, not a source for them"


def not_covered(question: str, subject: str, toolbox: Toolbox) -> Draft:
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


__all__ = ["OFFLINE", "Composer", "Handler"]
