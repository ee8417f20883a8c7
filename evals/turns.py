"""Asking Keysmith a question the way a user does, and keeping what the graders need from that turn.

`Turn` holds the `Answer` plus what the answer may draw on: the user's words, the outputs of the turn's
tool calls and the passages handed out (marker -> passage id). `Answer.tool_calls` lists each call's name,
arguments and status but not its output, so the outputs are recovered by replaying the successful calls on a
fresh `Toolbox`: the tools are deterministic over one index, so the replay hands out the same outputs and
numbers the passages the same way. This works for the offline composer and for any model alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from keysmith.answer import Answer
from keysmith.framework import Framework
from keysmith.retrieval import Retriever

if TYPE_CHECKING:  # imported when a turn is replayed, so the retrieval-only suites need no agent modules
    from keysmith.tools import Toolbox

AskFn = Callable[[str], Answer]


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


def take_turn(case_id: str, question: str, ask: AskFn, framework: Framework, retriever: Retriever) -> Turn:
    """Ask `question`, time it, and rebuild the turn's sources by replaying its tool calls."""
    started = time.perf_counter()
    answer = ask(question)
    seconds = time.perf_counter() - started
    toolbox = replay(framework, retriever, answer.tool_calls)
    cited = [p.text for c in answer.citations if (p := retriever.get(c.id)) is not None]
    return Turn(
        case_id=case_id,
        question=question,
        answer=answer,
        sources=[question, *toolbox.allowed_number_sources(), *cited],
        passages={marker: passage.id for marker, passage in toolbox.passages.items()},
        seconds=seconds,
    )
