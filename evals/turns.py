"""Asking Keysmith a question the way a user does, and keeping what the graders need from that turn.

`Turn` holds the `Answer` plus what the answer may draw on: the user's words, the outputs of the turn's
tool calls and the passages handed out (marker -> passage id). `Answer.tool_calls` lists each call's name,
arguments and status but not its output, so the outputs are recovered by replaying the successful calls on a
fresh `Toolbox`: the tools are deterministic over one index, so the replay hands out the same outputs and
numbers the passages the same way. This works for the offline composer and for any model alike.

With a model, the ask function streams the turn (`ask_counting`) and returns a `Reply`: the answer and how
many tool calls the model itself made (the deterministic grounding steps Keysmith runs before the model
speaks are not the model's). An exception escaping the ask is the traceback a user would have seen: the turn
keeps it as `error` (an empty answer), so one bad case is counted instead of ending the run.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from keysmith.answer import Answer, FinalEvent, ToolStartEvent
from keysmith.framework import Framework
from keysmith.retrieval import Retriever

if TYPE_CHECKING:  # imported when a turn is replayed, so the retrieval-only suites need no agent modules
    from keysmith.assistant import Assistant
    from keysmith.tools import Toolbox

# The call ids `Assistant.ground` gives its steps (`ground_1`, ...): calls with them are Keysmith's, not the
# model's.
GROUNDING_CALL_PREFIX = "ground_"
ERROR_MODE = "error"


@dataclass(frozen=True)
class Reply:
    """An answer and the number of tool calls the model itself made for it (None: no model, or unknown)."""

    answer: Answer
    model_tool_calls: int | None = None


AskFn = Callable[[str], "Answer | Reply"]


@dataclass(frozen=True)
class Turn:
    """One question and its answer, with the sources the answer may draw on."""

    case_id: str
    question: str
    answer: Answer
    sources: list[str] = field(default_factory=list)  # the user's words, tool outputs, passage texts
    passages: dict[int, str] = field(
        default_factory=dict
    )  # marker -> passage id, as the toolbox numbered them
    seconds: float = 0.0
    model_tool_calls: int | None = None  # see `Reply`
    error: str | None = None  # the exception that escaped the ask (its last line), if any

    def citations(self) -> list[dict[str, Any]]:
        """The answer's citations with their markers (the `[n]` numbers used in the text)."""
        return [{"id": c.id, "marker": c.marker} for c in self.answer.citations]


def replay(framework: Framework, retriever: Retriever, tool_calls: list[dict[str, Any]]) -> Toolbox:
    """A fresh toolbox that has run the successful calls of `tool_calls` in order (see module docstring)."""
    from keysmith.tools import Toolbox

    toolbox = Toolbox(framework, retriever)
    for call in tool_calls:
        if call.get("ok", True):
            toolbox.call(str(call["name"]), **dict(call.get("args") or {}))
    return toolbox


def ask_counting(assistant: Assistant) -> AskFn:
    """`assistant`'s answers as `Reply`s counting the model's own tool calls (the `ToolStartEvent`s that are
    not grounding steps)."""

    def ask(question: str) -> Reply:
        calls, answer = 0, None
        for event in assistant.stream(question):
            if isinstance(event, ToolStartEvent) and not event.call_id.startswith(GROUNDING_CALL_PREFIX):
                calls += 1
            elif isinstance(event, FinalEvent) and event.answer is not None:
                answer = event.answer
        if answer is None:  # pragma: no cover - Assistant.stream always ends with a final answer
            raise AssertionError("the turn ended without a final answer")
        return Reply(answer, calls)

    return ask


def ask_once(ask: AskFn, question: str) -> tuple[Reply, float, str | None]:
    """Ask, timed; an exception becomes an empty error answer and its traceback (see module docstring)."""
    started = time.perf_counter()
    try:
        got = ask(question)
    except Exception as exc:  # counted as a traceback the user would have seen, not fatal to the run
        text = "".join(traceback.format_exception(exc)).strip()
        return Reply(Answer(answer="", mode=ERROR_MODE)), time.perf_counter() - started, text
    reply = got if isinstance(got, Reply) else Reply(got)
    return reply, time.perf_counter() - started, None


def build_turn(
    case_id: str,
    question: str,
    reply: Reply,
    framework: Framework,
    retriever: Retriever,
    seconds: float = 0.0,
    error: str | None = None,
) -> Turn:
    """The turn for an answer already given: its sources rebuilt by replaying its tool calls."""
    answer = reply.answer
    toolbox = replay(framework, retriever, answer.tool_calls)
    cited = [p.text for c in answer.citations if (p := retriever.get(c.id)) is not None]
    return Turn(
        case_id=case_id,
        question=question,
        answer=answer,
        sources=[question, *toolbox.allowed_number_sources(), *cited],
        passages={marker: passage.id for marker, passage in toolbox.passages.items()},
        seconds=seconds,
        model_tool_calls=reply.model_tool_calls,
        error=error.strip().splitlines()[-1] if error else None,
    )


def take_turn(case_id: str, question: str, ask: AskFn, framework: Framework, retriever: Retriever) -> Turn:
    """Ask `question`, time it, and rebuild the turn's sources by replaying its tool calls."""
    reply, seconds, error = ask_once(ask, question)
    return build_turn(case_id, question, reply, framework, retriever, seconds, error)
