"""Scripted fakes passed into the code under test (never patched in).

`ScriptedChatModel` is a `GenericFakeChatModel` that plays back a script of turns, one per model call:
- an `AIMessage` (text and/or `tool_calls`; build them with `say` and `call_tool`),
- a plain string (an answer with no tool calls),
- an exception instance (the call raises it before any output: a provider failure),
- `CutStream(text, error)` (streams `text` token by token, then raises `error`: a stream broken mid-answer).

Its `bind_tools` returns itself, so agents built with `model.bind_tools(tools)` use the script, and it
records every message list it was called with in `seen`, so tests can check what the model was shown
(for example the readable tool error after bad arguments). Unlike the upstream fake it also streams
tool calls (as tool-call chunks), which LangGraph's `messages` stream mode relies on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import count
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

_ids = count(1)


@dataclass(frozen=True)
class CutStream:
    """A turn that streams `text` and then fails with `error` (the connection dropped mid-answer)."""

    text: str
    error: BaseException


def say(text: str) -> AIMessage:
    """A final answer turn."""
    return AIMessage(content=text)


def call_tool(
    name: str, args: dict[str, Any] | None = None, *, text: str = "", call_id: str = ""
) -> AIMessage:
    """A turn in which the model asks for one tool."""
    return calls_tools([(name, args or {})], text=text, call_ids=[call_id] if call_id else None)


def calls_tools(
    calls: Sequence[tuple[str, dict[str, Any]]], *, text: str = "", call_ids: Sequence[str] | None = None
) -> AIMessage:
    """A turn in which the model asks for several tools at once."""
    ids = list(call_ids) if call_ids else [f"call_{next(_ids)}" for _ in calls]
    return AIMessage(
        content=text,
        tool_calls=[
            {"name": name, "args": args, "id": call_id, "type": "tool_call"}
            for (name, args), call_id in zip(calls, ids, strict=True)
        ],
    )


class ScriptedChatModel(GenericFakeChatModel):
    """A chat model that answers from a script (see the module docstring)."""

    messages: Iterator[AIMessage | str] = Field(default_factory=lambda: iter(()))
    script: list[Any] = Field(default_factory=list)
    seen: list[list[BaseMessage]] = Field(default_factory=list)
    bound_tools: list[Any] = Field(default_factory=list)

    @classmethod
    def of(cls, *turns: AIMessage | str | BaseException | CutStream) -> ScriptedChatModel:
        """Build a model that plays `turns` in order; running past the end fails the test loudly."""
        return cls(script=list(turns))

    @property
    def calls(self) -> int:
        """How many times the model was called."""
        return len(self.seen)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:  # type: ignore[override]
        self.bound_tools = list(tools)
        return self

    def _next_turn(self, messages: list[BaseMessage]) -> AIMessage | BaseException | CutStream:
        self.seen.append(list(messages))
        if not self.script:
            raise AssertionError(f"ScriptedChatModel ran out of turns after {len(self.seen) - 1} calls")
        turn = self.script.pop(0)
        if isinstance(turn, str):
            return AIMessage(content=turn)
        if isinstance(turn, AIMessage | BaseException | CutStream):
            return turn
        raise TypeError(f"unsupported scripted turn: {turn!r}")

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        turn = self._next_turn(messages)
        if isinstance(turn, BaseException):
            raise turn
        if isinstance(turn, CutStream):
            raise turn.error
        return ChatResult(generations=[ChatGeneration(message=turn)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        turn = self._next_turn(messages)
        if isinstance(turn, BaseException):
            raise turn
        text = turn.text if isinstance(turn, CutStream) else str(turn.content)
        message_id = f"fake-{len(self.seen)}"
        for token in (t for t in re.split(r"(\s)", text) if t):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token, id=message_id))
            if run_manager:
                run_manager.on_llm_new_token(token, chunk=chunk)
            yield chunk
        if isinstance(turn, CutStream):
            raise turn.error
        # Valid calls stream their JSON arguments; invalid ones stream their broken argument text, which
        # the chunk merger turns back into `invalid_tool_calls`, as it would for a real provider.
        calls = [(c["name"], json.dumps(c["args"]), c["id"]) for c in turn.tool_calls]
        calls += [(c.get("name"), c.get("args"), c.get("id")) for c in turn.invalid_tool_calls]
        for index, (name, args, call_id) in enumerate(calls):
            chunk = ChatGenerationChunk(
                message=AIMessageChunk(
                    content="",
                    id=message_id,
                    tool_call_chunks=[
                        {"name": name, "args": args, "id": call_id, "index": index, "type": "tool_call_chunk"}
                    ],
                )
            )
            if run_manager:
                run_manager.on_llm_new_token("", chunk=chunk)
            yield chunk
        if not text and not calls:
            yield ChatGenerationChunk(message=AIMessageChunk(content="", id=message_id))
