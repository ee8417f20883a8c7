"""The chat clients Keysmith builds: LangChain's OpenAI clients, hardened against real servers' quirks.

Local OpenAI-compatible servers (llama.cpp, llama-cpp-python, Ollama, vLLM, LM Studio) differ from OpenAI in
small ways that used to surface as tracebacks or mangled tool calls. Each quirk is handled here, in the only
package that talks to providers, so the agent sees either a clean answer or a `ProviderError`:

- **Repeated tool-call deltas.** Some servers repeat `function.name` (and the call id) in every streamed
  chunk of a tool call; merged naively the name becomes `search_frameworksearch_framework…`. A repeat of the
  name (or id) already received for that call is dropped before the chunks are merged; a name that really
  arrives in fragments is still joined.
- **An empty answer.** An HTTP 200 whose stream carries no chunks (or only empty ones) raises
  `ProviderError(kind="empty_answer")` instead of LangChain's `ValueError: No generations found in stream`.
- **Streaming with tools.** A server that rejects a streamed request with tools (an error naming streaming),
  or answers it with an empty stream, gets the same request once more without streaming; the client then
  remembers to send its tool rounds unstreamed.
- **An assistant message with tool calls and no text.** LangChain sends its `content` as null, which
  llama-cpp-python's server refuses (a validation error, answered as HTTP 500): an OpenAI-compatible server
  gets an empty string instead. The turn's grounding round is such a message.
- **Long `maxLength` limits in tool schemas.** llama-cpp-python turns a tool's JSON schema into a grammar;
  a `maxLength` of thousands of characters (the story a `read_story` call carries) exceeds its grammar
  limits ("failed to parse grammar") and the server crashed with a segmentation fault. OpenAI-compatible
  servers get the tool schemas without `maxLength`: Keysmith's own argument validation (`tools.args`) still
  enforces every limit and tells the model when an argument is too long.
- **`max_tokens`.** Every request carries the answer-length bound. OpenAI and Azure take it as
  `max_completion_tokens`; OpenAI-compatible servers get the older `max_tokens`, which they all know.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import openai
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolCallChunk
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_openai import AzureChatOpenAI, ChatOpenAI
from pydantic import PrivateAttr

from keysmith.errors import ProviderError

EMPTY_STREAM = (
    "The language model server answered with an empty reply (HTTP 200 but no text and no tool call). "
    "A server whose context window is too small for the prompt often does this: start it with a larger "
    "context (e.g. llama.cpp --ctx-size 8192), or choose another model in KEYSMITH_MODEL."
)
_NOT_STREAMING_PROBLEMS = frozenset({401, 403, 404, 408, 429})

StreamFn = Callable[..., Iterator[ChatGenerationChunk]]
GenerateFn = Callable[..., ChatResult]


class ToolDeltaMerger:
    """Drops tool-call name and id repeats, per call index, so that merged chunks name the right tool."""

    def __init__(self) -> None:
        self._names: dict[int, str] = {}
        self._ids: dict[int, str] = {}

    def fix(self, chunk: ChatGenerationChunk) -> ChatGenerationChunk:
        """`chunk` with repeated names and ids removed from its tool-call deltas (unchanged otherwise)."""
        message = chunk.message
        if not isinstance(message, AIMessageChunk) or not message.tool_call_chunks:
            return chunk
        fixed: list[ToolCallChunk] = []
        for position, delta in enumerate(message.tool_call_chunks):
            index = delta.get("index")
            key = index if isinstance(index, int) else position
            name = delta.get("name")
            if name:
                seen = self._names.get(key)
                if seen is not None and name == seen:
                    name = None  # the whole name again, not a fragment of it
                else:
                    self._names[key] = (seen or "") + name
            call_id = delta.get("id")
            if call_id:
                if self._ids.get(key) == call_id:
                    call_id = None
                else:
                    self._ids[key] = call_id
            fixed.append(
                ToolCallChunk(
                    name=name, args=delta.get("args"), id=call_id, index=index, type="tool_call_chunk"
                )
            )
        # The raw OpenAI deltas in additional_kwargs would be merged with the same fault; the tool-call chunks
        # carry everything LangChain needs.
        extra = {k: v for k, v in message.additional_kwargs.items() if k != "tool_calls"}
        rebuilt = AIMessageChunk(
            content=message.content,
            additional_kwargs=extra,
            response_metadata=message.response_metadata,
            id=message.id,
            tool_call_chunks=fixed,
            usage_metadata=message.usage_metadata,
        )
        return ChatGenerationChunk(message=rebuilt, generation_info=chunk.generation_info)


def _has_output(chunk: ChatGenerationChunk) -> bool:
    message = chunk.message
    return bool(chunk.text) or bool(isinstance(message, AIMessageChunk) and message.tool_call_chunks)


def _rejects_streaming(error: openai.APIStatusError) -> bool:
    """A refusal that names streaming (e.g. "streaming is not supported with tools")."""
    if error.status_code in _NOT_STREAMING_PROBLEMS:
        return False
    return "stream" in f"{getattr(error, 'message', '')} {error.body}".lower()


UNREADABLE = (
    "The language model server answered HTTP 200 with a body that is not an OpenAI chat completion; check "
    "that the base URL in KEYSMITH_MODEL points at its OpenAI-compatible API (usually ending in /v1)."
)


def robust_generate(generate: GenerateFn, *args: Any, **kwargs: Any) -> ChatResult:
    """`generate(*args, **kwargs)`, with an empty or unreadable HTTP 200 body raised as a `ProviderError`."""
    try:
        return generate(*args, **kwargs)
    except json.JSONDecodeError as exc:
        if not exc.doc.strip():
            raise ProviderError(EMPTY_STREAM, retryable=True, kind="empty_answer") from exc
        raise ProviderError(UNREADABLE, retryable=True, kind="server") from exc


def _as_chunk(result: ChatResult) -> ChatGenerationChunk:
    """A non-streamed result as one chunk (tool calls as tool-call chunks), or ProviderError when empty."""
    generation = result.generations[0] if result.generations else None
    message = generation.message if generation is not None else None
    if not isinstance(message, AIMessage) or not (
        message.text.strip() or message.tool_calls or message.invalid_tool_calls
    ):
        raise ProviderError(EMPTY_STREAM, retryable=True, kind="empty_answer")
    calls: list[ToolCallChunk] = [
        ToolCallChunk(
            name=c["name"], args=json.dumps(c["args"]), id=c.get("id"), index=i, type="tool_call_chunk"
        )
        for i, c in enumerate(message.tool_calls)
    ]
    calls += [
        ToolCallChunk(
            name=c.get("name"),
            args=c.get("args"),
            id=c.get("id"),
            index=len(calls) + i,
            type="tool_call_chunk",
        )
        for i, c in enumerate(message.invalid_tool_calls)
    ]
    extra = {k: v for k, v in message.additional_kwargs.items() if k != "tool_calls"}
    chunk = AIMessageChunk(
        content=message.content,
        additional_kwargs=extra,
        response_metadata=message.response_metadata,
        id=message.id,
        tool_call_chunks=calls,
        usage_metadata=message.usage_metadata,
    )
    return ChatGenerationChunk(
        message=chunk, generation_info=generation.generation_info if generation else None
    )


class _Quirks:
    """Per-client state learned from the server (whether tool rounds must go unstreamed)."""

    def __init__(self) -> None:
        self.unstreamed_tools = False


def robust_stream(
    stream: StreamFn,
    generate: GenerateFn,
    quirks: _Quirks,
    messages: list[BaseMessage],
    stop: list[str] | None,
    run_manager: CallbackManagerForLLMRun | None,
    kwargs: dict[str, Any],
) -> Iterator[ChatGenerationChunk]:
    """`stream`'s chunks, the quirks of the module docstring handled (`generate`: the unstreamed call)."""
    with_tools = bool(kwargs.get("tools"))

    def emit(chunk: ChatGenerationChunk) -> ChatGenerationChunk:
        if run_manager is not None:
            run_manager.on_llm_new_token(chunk.text, chunk=chunk)
        return chunk

    def unstreamed() -> Iterator[ChatGenerationChunk]:
        quirks.unstreamed_tools = True
        plain = {k: v for k, v in kwargs.items() if k not in ("stream", "stream_options")}
        yield emit(_as_chunk(robust_generate(generate, messages, stop, None, stream=False, **plain)))

    if with_tools and quirks.unstreamed_tools:
        yield from unstreamed()
        return
    merger = ToolDeltaMerger()
    held: list[ChatGenerationChunk] = []  # chunks with no text and no tool call, until output arrives
    produced = False
    try:
        for raw in stream(messages, stop, None, **kwargs):
            chunk = merger.fix(raw)
            if not produced and not _has_output(chunk):
                held.append(chunk)
                continue
            if not produced:
                produced = True
                for early in held:
                    yield emit(early)
                held = []
            yield emit(chunk)
    except openai.APIStatusError as error:
        if with_tools and not produced and _rejects_streaming(error):
            yield from unstreamed()
            return
        raise
    if produced:
        return
    if with_tools:
        yield from unstreamed()  # some servers answer tools + stream with an empty 200
        return
    raise ProviderError(EMPTY_STREAM, retryable=True, kind="empty_answer")


def _drop_length_limits(schema: Any) -> None:
    """Remove every `maxLength` from a tool's JSON schema, in place (see the module docstring)."""
    if isinstance(schema, dict):
        schema.pop("maxLength", None)
        for value in schema.values():
            _drop_length_limits(value)
    elif isinstance(schema, list):
        for value in schema:
            _drop_length_limits(value)


class KeysmithChatOpenAI(ChatOpenAI):
    """`ChatOpenAI` with the quirk handling of the module docstring.

    `legacy_max_tokens` sends the bound as `max_tokens` (OpenAI-compatible servers) instead of
    `max_completion_tokens` (OpenAI itself).
    """

    legacy_max_tokens: bool = False
    _quirks: _Quirks = PrivateAttr(default_factory=_Quirks)

    def _get_request_payload(
        self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        payload: dict[str, Any] = super()._get_request_payload(input_, stop=stop, **kwargs)
        if self.legacy_max_tokens and "max_completion_tokens" in payload:
            payload["max_tokens"] = payload.pop("max_completion_tokens")
        if self.legacy_max_tokens:  # an OpenAI-compatible server
            for message in payload.get("messages", []):
                if message.get("role") == "assistant" and message.get("content") is None:
                    message["content"] = ""  # see the module docstring: null content is refused
            for tool in payload.get("tools", []):
                _drop_length_limits(tool)
        return payload

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        return robust_stream(
            super()._stream, super()._generate, self._quirks, messages, stop, run_manager, kwargs
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return robust_generate(super()._generate, messages, stop, run_manager, **kwargs)


class KeysmithAzureChatOpenAI(AzureChatOpenAI):
    """`AzureChatOpenAI` with the quirk handling of the module docstring."""

    _quirks: _Quirks = PrivateAttr(default_factory=_Quirks)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        return robust_stream(
            super()._stream, super()._generate, self._quirks, messages, stop, run_manager, kwargs
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return robust_generate(super()._generate, messages, stop, run_manager, **kwargs)
