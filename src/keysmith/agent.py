"""The tool-calling agent: a small LangGraph graph built from a chat model instance and tools.

`build_agent` receives everything it uses (model, tools, system prompt); it reads no environment. The graph:

    model ──tool calls──▶ tools (ToolNode) ──▶ model ──no tool calls──▶ end
      └──malformed tool-call JSON──▶ repair (an error message per call) ──▶ model

- Bad tool arguments (schema validation, or a Keysmith input error such as an unknown variable id) come back
  to the model as a readable `ToolMessage` so it can correct them; any other tool error surfaces.
- After `max_tool_rounds` rounds of tool calls, the model is called once more without tools and told to
  answer with what it has; the stream then carries a `NoticeEvent` and `FinalEvent(capped=True)`.

- Tools are offered with `tool_choice="auto"`, sent explicitly: some servers drop the tools without it.
  `tool_calls=False` builds the grounded-text graph: one model call, no tools offered (for servers whose
  model cannot call tools; the caller hands it the tool results it needs up front).

`stream_agent` runs the graph and yields `TokenEvent` / `ToolStartEvent` / `ToolEndEvent` / `NoticeEvent`
and one `FinalEvent` with the raw final text (the guards and sanitising run in the caller). Provider failures
are raised as `ProviderError` (kind `empty_answer` when the model ends with no text); a stream that breaks
after some answer text raises `StreamCutError` carrying the partial text. Tokens streamed in a turn that
then calls tools are the model's preamble: a UI may clear them when the `ToolStartEvent` arrives.

- `grounding` messages (tool calls the caller already ran, and their results) follow the question, so the
  model starts from them; they do not count as one of its tool rounds.
- `deadline` (a `time.monotonic()` value) bounds the turn's wall-clock time: past it the model call is
  stopped (the HTTP stream is closed, the next model call refused) and `TurnBudgetExceeded` is raised with
  the answer text streamed so far. The graph runs in a worker thread, so the deadline holds even while a
  server sends nothing.
- An answer the server ended for length (`finish_reason="length"`, the `max_tokens` bound) comes with a
  `TruncatedNotice`.

`check_tool_calling(model)` is the capability check: one small request in which calling a tool is required.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NotRequired, TypedDict

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import BaseTool, StructuredTool, ToolException
from langgraph.graph import START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode
from langgraph.prebuilt.tool_node import ToolInvocationError
from langgraph.types import StreamMode

from keysmith.answer import Event, FinalEvent, NoticeEvent, TokenEvent, ToolEndEvent, ToolStartEvent
from keysmith.errors import (
    AssessmentError,
    FrameworkError,
    KeysmithError,
    ProviderError,
    ScoringInputError,
    StreamCutError,
)
from keysmith.prompts import render

# Keysmith errors a tool raises when its *arguments* are wrong: the model can fix those.
ARGUMENT_ERRORS: tuple[type[Exception], ...] = (
    ScoringInputError,
    AssessmentError,
    FrameworkError,
    ToolException,
)
History = Sequence[tuple[str, str] | BaseMessage]
# The id prefix of the grounding AIMessage: its tool calls are not one of the model's rounds.
GROUNDING_ID = "keysmith-grounding"


class TurnBudgetExceeded(ProviderError):
    """The turn ran past its wall-clock budget; `partial_text` is the answer text streamed until then."""

    def __init__(self, budget: float, partial_text: str = "") -> None:
        super().__init__(
            f"the turn took longer than its budget of {budget:g} seconds (KEYSMITH_TURN_BUDGET)",
            retryable=True,
            kind="budget",
        )
        self.partial_text = partial_text


@dataclass(frozen=True)
class TruncatedNotice(NoticeEvent):
    """The answer reached the `max_tokens` bound: it may stop mid-sentence."""


class AgentState(TypedDict):
    """The graph's state: the conversation so far (system prompt excluded; it is added per call)."""

    messages: Annotated[list[AnyMessage], add_messages]
    capped: NotRequired[bool]  # set by the model call made after the last allowed tool round


def argument_error_message(error: Exception) -> str:
    """The `handle_tool_errors` hook: a readable message for argument errors; anything else re-raises."""
    if isinstance(error, ToolInvocationError):
        problems = [
            f"- {'.'.join(str(part) for part in item.get('loc', ())) or 'arguments'}: {item.get('msg')}"
            for item in error.filtered_errors or []
        ] or [f"- {error.source}"]
        return (
            f"Error: the arguments for {error.tool_name} were not valid:\n"
            + "\n".join(problems)
            + "\nCall the tool again with corrected arguments."
        )
    if isinstance(error, ARGUMENT_ERRORS):
        return f"Error: {error}\nCall the tool again with corrected arguments."
    raise error


def _rounds_this_turn(messages: Sequence[BaseMessage]) -> int:
    """Tool-calling model turns since the user's last message."""
    rounds = 0
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        if str(message.id or "").startswith(GROUNDING_ID):
            continue
        if isinstance(message, AIMessage) and (message.tool_calls or message.invalid_tool_calls):
            rounds += 1
    return rounds


def _unanswered_invalid_calls(state: AgentState) -> list[dict[str, Any]]:
    last_ai = next((m for m in reversed(state["messages"]) if isinstance(m, AIMessage)), None)
    return [dict(call) for call in last_ai.invalid_tool_calls] if last_ai is not None else []


def build_agent(
    model: BaseChatModel,
    tools: Sequence[BaseTool],
    system_prompt: str,
    max_tool_rounds: int = 6,
    *,
    tool_calls: bool = True,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compile the agent graph for `model` with `tools` (see the module docstring)."""
    bound = model.bind_tools(list(tools), tool_choice="auto") if tool_calls and tools else model
    cap_note = render("tool_cap", rounds=max_tool_rounds)

    def call_model(state: AgentState) -> dict[str, Any]:
        prompt: list[BaseMessage] = [SystemMessage(system_prompt), *state["messages"]]
        if not tool_calls:
            return {"messages": [model.invoke(prompt)], "capped": False}
        if _rounds_this_turn(state["messages"]) >= max_tool_rounds:
            # A user-role note, not a second system message: some local servers' chat templates refuse a
            # system message anywhere but first. It is sent, not stored in the conversation.
            return {"messages": [model.invoke([*prompt, HumanMessage(cap_note)])], "capped": True}
        return {"messages": [bound.invoke(prompt)], "capped": False}

    def after_model(state: AgentState) -> Literal["tools", "repair", "__end__"]:
        last = state["messages"][-1]
        if not tool_calls or not isinstance(last, AIMessage):
            return "__end__"
        if _rounds_this_turn(state["messages"]) > max_tool_rounds:
            return "__end__"
        if last.tool_calls:
            return "tools"
        return "repair" if last.invalid_tool_calls else "__end__"

    def after_tools(state: AgentState) -> Literal["repair", "model"]:
        return "repair" if _unanswered_invalid_calls(state) else "model"

    def repair(state: AgentState) -> dict[str, list[BaseMessage]]:
        # Malformed tool-call JSON: every call id must still get an answer, or the next request is refused.
        return {
            "messages": [
                ToolMessage(
                    content=f"Error: the arguments for {call.get('name')} were not valid JSON "
                    f"({call.get('error') or 'could not be parsed'}). Call it again with a JSON object.",
                    name=str(call.get("name") or "unknown"),
                    tool_call_id=str(call.get("id") or "invalid"),
                    status="error",
                )
                for call in _unanswered_invalid_calls(state)
            ]
        }

    graph = StateGraph(AgentState)
    graph.add_node("model", call_model)
    graph.add_node("tools", ToolNode(list(tools), handle_tool_errors=argument_error_message))
    graph.add_node("repair", repair)
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", after_model)
    graph.add_conditional_edges("tools", after_tools)
    graph.add_edge("repair", "model")
    return graph.compile()


def to_messages(history: History, question: str, grounding: Sequence[BaseMessage] = ()) -> list[BaseMessage]:
    """The conversation as LangChain messages: `(role, text)` pairs (user/human, assistant/ai) or messages."""
    messages: list[BaseMessage] = []
    for item in history:
        if isinstance(item, BaseMessage):
            messages.append(item)
            continue
        role, text = item
        if role in ("user", "human"):
            messages.append(HumanMessage(text))
        elif role in ("assistant", "ai"):
            messages.append(AIMessage(text))
        else:
            raise KeysmithError(f"history: expected role user or assistant, got {role!r}")
    messages.append(HumanMessage(question))
    messages.extend(grounding)
    return messages


class _StreamTracker:
    """Turns graph stream items into events and remembers what a failure needs (partial text, cap)."""

    def __init__(self) -> None:
        self.turn_text: list[str] = []
        self.final_text = ""
        self.rounds = 0
        self.capped = False
        self.truncated = False

    def on_message(self, chunk: Any, metadata: dict[str, Any]) -> Iterator[Event]:
        if metadata.get("langgraph_node") != "model" or not isinstance(chunk, AIMessageChunk):
            return
        text = chunk.text
        if text:
            self.turn_text.append(text)
            yield TokenEvent(text)

    def on_update(self, update: dict[str, Any]) -> Iterator[Event]:
        for node, change in update.items():
            messages = (change or {}).get("messages", [])
            if node == "model":
                self.capped = bool((change or {}).get("capped"))
                yield from self._model_done(messages)
            elif node in ("tools", "repair"):
                for message in messages:
                    if isinstance(message, ToolMessage):
                        yield ToolEndEvent(
                            str(message.name or ""),
                            str(message.content),
                            ok=message.status != "error",
                            call_id=message.tool_call_id,
                        )

    def _model_done(self, messages: Sequence[BaseMessage]) -> Iterator[Event]:
        self.turn_text = []
        for message in messages:
            if not isinstance(message, AIMessage):
                continue
            self.final_text = message.text
            self.truncated = message.response_metadata.get("finish_reason") == "length"
            if self.capped:
                return  # the capped call still asked for tools: they will not run
            if message.tool_calls or message.invalid_tool_calls:
                self.rounds += 1
            for call in message.tool_calls:
                yield ToolStartEvent(call["name"], dict(call["args"]), call_id=str(call.get("id") or ""))
            for bad in message.invalid_tool_calls:
                yield ToolStartEvent(str(bad.get("name") or "unknown"), {}, call_id=str(bad.get("id") or ""))


# Turns a provider/network exception into a ProviderError; None for anything else.
Classifier = Callable[[BaseException, str], ProviderError | None]


class _Deadline(BaseCallbackHandler):
    """Stops a model call once the turn is past its deadline (or cancelled): before it starts, or at its
    next streamed token, which closes the HTTP stream."""

    raise_error = True

    def __init__(self, deadline: float, budget: float, cancelled: threading.Event) -> None:
        self.deadline = deadline
        self.budget = budget
        self.cancelled = cancelled

    def _check(self) -> None:
        if self.cancelled.is_set() or time.monotonic() > self.deadline:
            raise TurnBudgetExceeded(self.budget)

    def on_chat_model_start(self, serialized: dict[str, Any], messages: Any, **kwargs: Any) -> None:
        self._check()

    def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
        self._check()


class _QuietDeadline(logging.Filter):
    """LangChain logs every exception a callback raises; the deadline's is expected, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.args, tuple) and _Deadline.__name__ in record.args)


logging.getLogger("langchain_core.callbacks.manager").addFilter(_QuietDeadline())

_DONE = object()


def _graph_items(
    graph: CompiledStateGraph[Any, Any, Any, Any],
    inputs: dict[str, Any],
    deadline: float | None,
    budget: float,
) -> Iterator[Any]:
    """The graph's stream items; with a deadline, read from a worker thread until the deadline passes."""
    config: Any = {"recursion_limit": 100}  # the tool-round cap ends a turn long before this
    modes: list[StreamMode] = ["messages", "updates"]
    if deadline is None:
        yield from graph.stream(inputs, config=config, stream_mode=modes)
        return
    cancelled = threading.Event()
    config["callbacks"] = [_Deadline(deadline, budget, cancelled)]
    items: queue.Queue[Any] = queue.Queue()

    def work() -> None:
        try:
            for item in graph.stream(inputs, config=config, stream_mode=modes):
                if cancelled.is_set():
                    return
                items.put(item)
        except BaseException as exc:  # handed to the reading thread, which raises it
            items.put(exc)
        else:
            items.put(_DONE)

    threading.Thread(target=work, name="keysmith-turn", daemon=True).start()
    try:
        while True:
            try:
                item = items.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TurnBudgetExceeded(budget) from None
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        cancelled.set()  # the worker's next model call or token stops it


def stream_agent(
    graph: CompiledStateGraph[Any, Any, Any, Any],
    question: str,
    history: History = (),
    *,
    classify: Classifier,
    spec: str = "",
    grounding: Sequence[BaseMessage] = (),
    deadline: float | None = None,
    budget: float = 0.0,
) -> Iterator[Event]:
    """Run `graph` on `question` after `history`, yielding events and finally one `FinalEvent(text)`.

    `classify(exc, spec)` turns a provider or network failure into a `ProviderError` and returns None for
    anything else (the caller passes `keysmith.models.provider_failure`; the agent never imports provider
    code). `spec` (the KEYSMITH_MODEL value) lets error messages name the right variable. `grounding` are
    messages placed after the question (tool calls already made, with their results). `deadline` is a
    `time.monotonic()` time by which the turn must end (`budget`, its length in seconds, is named in the
    error). Raises `ProviderError` (or `StreamCutError` with `partial_text` when answer text had already
    streamed, `TurnBudgetExceeded` with the text so far past the deadline, or kind `empty_answer` when the
    model ended with no text); other errors propagate unchanged.
    """
    tracker = _StreamTracker()
    inputs = {"messages": to_messages(history, question, grounding)}
    try:
        for mode, item in _graph_items(graph, inputs, deadline, budget):
            if mode == "messages":
                yield from tracker.on_message(*item)
            elif isinstance(item, dict):
                yield from tracker.on_update(item)
    except TurnBudgetExceeded as exc:
        raise TurnBudgetExceeded(budget, "".join(tracker.turn_text)) from exc
    except ProviderError:
        raise
    except Exception as exc:
        error = classify(exc, spec)
        if error is None:
            raise
        partial = "".join(tracker.turn_text)
        if partial and error.kind in ("connection", "timeout", "server", "unknown"):
            raise StreamCutError(f"The answer was cut off mid-stream: {error}", partial) from exc
        raise error from exc
    if not tracker.final_text.strip():
        # Small local models sometimes end with no text at all; the caller's fallback beats an empty reply.
        raise ProviderError(
            "The language model returned an empty answer.", retryable=True, kind="empty_answer"
        )
    if tracker.capped:
        yield NoticeEvent(
            f"I stopped looking things up after {tracker.rounds} rounds of tool calls; "
            "this answer uses what was found so far."
        )
    if tracker.truncated:
        yield TruncatedNotice(
            "The model's answer reached its length limit (KEYSMITH_MAX_TOKENS) and may stop mid-sentence."
        )
    yield FinalEvent(tracker.final_text, capped=tracker.capped)


PROBE_TOOL = "keysmith_capability_check"


def _probe(word: str) -> str:
    """Echo the word (never run: only the model's call to it is looked at)."""
    return word


def check_tool_calling(model: BaseChatModel) -> bool:
    """Whether `model` calls a tool when one is required: one small request (a tool named `PROBE_TOOL`,
    `tool_choice` naming that tool, a user message asking for it). Provider errors propagate; a refusal of
    the request as such (400) counts as "cannot" for the caller to decide. The tool is named rather than
    `tool_choice="required"`: llama-cpp-python's server answers "required" with an HTTP 500 (its
    chatml-function-calling handler accepts only "auto", "none" or a named function)."""
    tool = StructuredTool.from_function(
        _probe, name=PROBE_TOOL, description="Confirm that Keysmith can call tools: pass the word 'ready'."
    )
    bound = model.bind_tools([tool], tool_choice=PROBE_TOOL)
    reply = bound.invoke(
        [
            SystemMessage("You are being checked for tool use. Answer only by calling the tool."),
            HumanMessage(f"Call the {PROBE_TOOL} tool with word='ready'."),
        ]
    )
    return isinstance(reply, AIMessage) and any(call["name"] == PROBE_TOOL for call in reply.tool_calls)
