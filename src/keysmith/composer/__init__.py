"""The offline answerer: deterministic routing, the same tools as the agent, fixed sentence frames.

`Composer(framework, retriever).answer(question, toolbox) -> Answer` routes the question (routing.py), calls
the tools through `toolbox.call` (so every call is validated and recorded like the agent's), and assembles
the answer from tool results, cited passages and the user's own words. The result goes through the same
guards and sanitiser as a model's answer (finish.py); by construction they should find nothing to remove.

Routes: diagnose (composer_story.py); explain a concept, or decline when the framework does not cover it
(composer_explain.py); framework facts Keysmith holds only in part — steps, archetypes, limits
(composer_framework.py); and here: the assessment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from keysmith.answer import Answer
from keysmith.composer import frames
from keysmith.composer.briefing import asks_for_a_briefing, briefing_answer
from keysmith.composer.documents import document_answer
from keysmith.composer.explain import explain_answer
from keysmith.composer.frames import Draft
from keysmith.composer.framework_answers import archetype_answer, limits_answer, step_answer
from keysmith.composer.interview import reply_draft
from keysmith.composer.routing import Route, route
from keysmith.composer.story import diagnose_answer
from keysmith.framework import Framework
from keysmith.guards.finish import finish
from keysmith.retrieval import Retriever
from keysmith.tools import Toolbox

OFFLINE = "offline"

Handler = Callable[[str, Route, Toolbox], Draft]


# The manager asks what to say ("what do I tell", "how should we explain"); "what does the memo say" does not.
_ASKS_ME = re.compile(
    r"\b(?:what|how)\s+(?:do|should|can|would|shall)\s+(?:i|we)\s+"
    r"(?:tell|say|explain|answer|report|present|brief|update|pitch|justify)\b"
)


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
        return self.finish(self.draft(question, toolbox, user_texts), question, toolbox, user_texts)

    def draft(self, question: str, toolbox: Toolbox, earlier: Sequence[str] = ()) -> Draft:
        """The answer before the guards (the assistant appends it to a model's partial answer).

        `earlier` are the user's earlier messages, oldest first: "what do I tell my board?" after a story is
        answered with the framing and that story's diagnosis, alone with the framing only."""
        chosen = self.route(question)
        if chosen.intent != "diagnose" and self._board_request(question):
            story = next((t for t in reversed(earlier) if self.route(t).intent == "diagnose"), None)
            if story is None:
                return briefing_answer(toolbox, self.framework, question)
            return diagnose_answer(f"{story}\n\n{question}", toolbox, self.framework)
        if chosen.intent in ("explain", "diagnose", "limits"):  # a client's document may answer it best
            from_document = document_answer(question, toolbox, self.framework)
            if from_document is not None:
                return from_document
        handlers: dict[str, Handler] = {
            "diagnose": lambda q, r, t: diagnose_answer(q, t, self.framework),
            "assessment": lambda q, r, t: self._assessment(t),
            "explain": lambda q, r, t: explain_answer(q, t, self.framework),
            "limits": lambda q, r, t: limits_answer(q, t),
            "bare_reply": lambda q, r, t: frames.no_question_waiting(),
        }
        if chosen.intent in handlers:
            return handlers[chosen.intent](question, chosen, toolbox)
        if chosen.intent.endswith("step") or chosen.intent == "steps":
            return step_answer(chosen, toolbox, self.framework)
        return archetype_answer(chosen, toolbox, self.framework)

    def _board_request(self, question: str) -> bool:
        """ "What do I tell my board?": a request for words for the board, a boss or leadership that names no
        framework concept ("how do i explain the Zoom Level Problem to my CEO?" is about the framework)."""
        lowered = question.lower()
        concepts = [r.name for r in self.framework.stall_reasons] + [
            a.name for a in self.framework.archetypes
        ]
        named = any(name.lower() in lowered for name in concepts) or any(
            word in lowered for word in ("weight", "variable", "archetype", "step", "formula", "score")
        )
        return asks_for_a_briefing(question) and bool(_ASKS_ME.search(lowered)) and not named

    def finish(self, draft: Draft, question: str, toolbox: Toolbox, user_texts: Sequence[str]) -> Answer:
        """Run the guards and the sanitiser on a draft."""
        answer = finish(
            draft.text,
            toolbox,
            [question, *user_texts],
            mode=OFFLINE,
            abstained=draft.abstained,
            follow_ups=draft.follow_ups,
        )
        answer.reasons, answer.question, answer.interview = draft.reasons, draft.question, draft.interview
        return answer

    def reply(self, story: str, interview: Mapping[str, Any], option_id: str, toolbox: Toolbox) -> Answer:
        """The interview's next turn: `option_id` (or `skip`) answers the pending question of `interview`
        (the state saved with the previous answer) about `story` (the user's original words)."""
        return self.finish(reply_draft(story, interview, option_id, toolbox), story, toolbox, ())

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


__all__ = ["OFFLINE", "Composer", "Handler"]
