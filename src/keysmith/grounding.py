"""Grounding a model turn in the framework: the steps before the model speaks, what its answer owes after.

- `ground(question, route, toolbox, framework) -> Grounding` runs the deterministic steps the question needs
  (the composer's route decides: the story reading and its reasons' passages for a story, a framework
  search for a framework question, the archetype list or description, scoring when the assessment has
  answers) through the turn's `Toolbox`.
- `Grounding` hands those steps on: as tool events the user sees (`events`), as the model's first tool
  round (`messages`), or inside the user's message for a model that cannot call tools (`as_text`).
- `needs_citation(route, toolbox, text, names)` says why a model's answer must cite one of the turn's
  passages ("" when it need not); `why_not_shown(answer, route, toolbox, names)` why a finished model answer
  is replaced by the composer's (the guards emptied it, or it cites no passage where it must).
- `attach_diagnosis(answer, toolbox, framework)`: a model's answer to a story gets the story reading's
  deterministic reasons, and the interview's first question when the reading is unsure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from keysmith import assessment
from keysmith.answer import Answer, Event, ToolEndEvent, ToolStartEvent
from keysmith.composer.routing import Route
from keysmith.composer.story import chosen_reasons, diagnosis_extras, question_block
from keysmith.framework import Framework
from keysmith.guards import KnownNames
from keysmith.tools import Toolbox
from keysmith.tools.impl import ToolResult

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

MAX_QUERY = 400  # characters of the question used as the grounding search
MAX_GROUNDED_REASONS = 2
# Questions about what the framework holds: their answer must cite a passage when the turn found one.
FRAMEWORK_INTENTS = frozenset(
    {"known_step", "unknown_step", "steps", "archetype", "unknown_archetype", "archetypes", "limits"}
)
# Tools whose results ground an answer without a passage (scores, the assessment's own questions).
ASSESSMENT_TOOLS = frozenset(
    {"score_assessment", "what_if", "record_assessment_answer", "next_assessment_question"}
)
_FRAMEWORK_WORDS = re.compile(
    r"\b(?:framework|archetypes?|stall[- ]reasons?|instant competence)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Grounding:
    """The deterministic steps run before the model speaks: (tool name, arguments, result) in order."""

    steps: tuple[tuple[str, dict[str, Any], ToolResult], ...]

    def events(self) -> Iterator[Event]:
        """The steps as tool events (the user sees them like the model's own)."""
        for number, (name, args, result) in enumerate(self.steps, start=1):
            call_id = f"ground_{number}"
            yield ToolStartEvent(name, dict(args), call_id=call_id)
            yield ToolEndEvent(name, result.text, ok=result.ok, call_id=call_id)

    def messages(self) -> list[BaseMessage]:
        """The steps as the first tool round of the conversation: one AIMessage and its ToolMessages."""
        # LangChain and the agent load only when a model is used: offline answers start sooner.
        from langchain_core.messages import AIMessage, ToolMessage

        from keysmith.agent import GROUNDING_ID

        if not self.steps:
            return []
        calls = [
            {"name": name, "args": dict(args), "id": f"ground_{n}", "type": "tool_call"}
            for n, (name, args, _) in enumerate(self.steps, start=1)
        ]
        results: list[BaseMessage] = [
            ToolMessage(
                content=result.text,
                name=name,
                tool_call_id=f"ground_{n}",
                status="success" if result.ok else "error",
            )
            for n, (name, _, result) in enumerate(self.steps, start=1)
        ]
        return [AIMessage(content="", tool_calls=calls, id=f"{GROUNDING_ID}-1"), *results]

    def as_text(self, question: str) -> str:
        """The question with the steps' results after it, for a model that cannot call tools."""
        from keysmith.prompts import render

        if not self.steps:
            return question
        results = "\n\n".join(f"Result of {name}:\n{result.text}" for name, _, result in self.steps)
        return render("grounded_turn", question=question, results=results)


def ground(question: str, route: Route, toolbox: Toolbox, framework: Framework) -> Grounding:
    """Run the deterministic steps `question` needs (see the module docstring) through `toolbox`."""
    steps: list[tuple[str, dict[str, Any], ToolResult]] = []

    def run(name: str, **args: Any) -> ToolResult:
        result = toolbox.call(name, **args)
        steps.append((name, args, result))
        return result

    intent, query = route.intent, question[:MAX_QUERY]
    if intent == "diagnose":
        story = run("read_story", text=question[:8000])
        reasons = chosen_reasons(story.data, framework) if story.ok else []
        for reason in reasons[:MAX_GROUNDED_REASONS]:
            run("explain_stall_reason", stall_reason_id=reason.id)
        if not reasons:
            run("search_framework", query=query)
    elif intent in ("archetype", "unknown_archetype") and route.detail:
        run("describe_archetype", archetype_id=route.detail)
    elif intent == "archetypes":
        run("list_archetypes")
        run("search_framework", query=query)
    elif intent == "assessment" and toolbox.assessment_state is None:
        run("next_assessment_question")
        run("search_framework", query=query)
    elif len(query.strip()) >= 2:
        run("search_framework", query=query)
    state = toolbox.assessment_state
    if state is not None and any(v is not None for v in assessment.answers(state).values()):
        run("score_assessment")
    return Grounding(tuple(steps))


def needs_citation(route: Route, toolbox: Toolbox, text: str, names: KnownNames) -> str:
    """Why an answer `text` must cite one of the turn's passages ("" when it need not): the question is
    about the framework's steps, archetypes or limits; or it tells a stall story in which the reading
    names a reason (whatever the answer says); or the answer makes framework claims (it names
    the framework, a stall reason, archetype, step or variable, or the topic of a passage the turn
    found) that no scoring or assessment tool grounds. Nothing is needed when the turn found no passage
    (an off-topic question is rightly answered without one)."""
    if not toolbox.passages:
        return ""
    if route.intent in FRAMEWORK_INTENTS:
        return "framework"
    if any(call.ok and call.name in ASSESSMENT_TOOLS for call in toolbox.calls):
        return ""
    story = toolbox.story
    if route.intent == "diagnose" and story is not None and story.on_topic and story.named:
        # Keysmith's own reading names a reason, with its passage: whatever the model says must rest on
        # it. A small model's reply can name nothing and still be no answer ("You can use only the
        # features that are provided", seen with SmolLM2 after its tool rounds). Without a reading, a
        # decline ("a TV pilot is outside what Keysmith covers") needs no citation.
        return "diagnosis"
    lowered = text.lower()
    topics = [*names.every_name(), *(p.title for p in toolbox.passages.values() if p.title)]
    claims = _FRAMEWORK_WORDS.search(text) or any(
        re.search(rf"\b{re.escape(topic.lower())}\b", lowered) for topic in topics if len(topic) > 3
    )
    return "framework" if claims else ""


def why_not_shown(answer: Answer, route: Route, toolbox: Toolbox, names: KnownNames) -> str:
    """Why a model's finished `answer` is not shown as its own ("" when it is): the guards removed every
    sentence, or it cites none of the turn's passages where `needs_citation` says it must."""
    if not answer.answer.strip():
        checked = f" ({answer.notice})" if answer.notice else ""
        return f"Keysmith's checks removed every sentence of the model's answer{checked}"
    if not answer.citations and (kind := needs_citation(route, toolbox, answer.answer, names)):
        question_kind = "your story" if kind == "diagnosis" else "this framework question"
        return f"the model's answer to {question_kind} cited none of the framework passages Keysmith found"
    return ""


def attach_diagnosis(answer: Answer, toolbox: Toolbox, framework: Framework) -> None:
    """A model's answer to a story gets the deterministic reasons, and the interview's first question
    when the reading is unsure (appended to the text, so the user sees what the buttons answer)."""
    signals = toolbox.story
    if signals is None or not signals.on_topic:
        return
    answer.reasons, state = diagnosis_extras(signals, framework)
    if state is not None and state.pending is not None:
        block, answer.question = question_block(state, framework)
        answer.interview = state.to_dict()
        answer.answer = f"{answer.answer.rstrip()}\n\n{block}"
