"""The agent graph with scripted models (passed in) and simple stub tools; and once over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fakes import CutStream, ScriptedChatModel, call_tool, calls_tools, say
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool, tool
from openai_server import Cut, ScriptedOpenAIServer, Text, ToolCalls
from pydantic import BaseModel, Field

from keysmith.agent import build_agent, stream_agent, to_messages
from keysmith.answer import Event, FinalEvent, NoticeEvent, TokenEvent, ToolEndEvent, ToolStartEvent
from keysmith.config import Settings
from keysmith.errors import KeysmithError, ProviderError, ScoringInputError
from keysmith.guards import check_citations, guard_numbers
from keysmith.models import StreamCutError, load_chat_model, provider_failure

PASSAGES = {
    1: "Governance Vacuum: at pilot scale informal oversight works; at scale policies are needed.",
    2: "Change Management Deficit: adoption stops at the enthusiast boundary.",
}


class SearchArgs(BaseModel):
    query: str = Field(min_length=2)


class ScoreArgs(BaseModel):
    governance: int = Field(ge=1, le=5)


@tool(args_schema=SearchArgs)
def search_framework(query: str) -> str:
    """Search the framework; passages come back fenced and numbered."""
    return "\n".join(f'<passage n="{n}">\n{text}\n</passage>' for n, text in PASSAGES.items())


@tool(args_schema=ScoreArgs)
def score_assessment(governance: int) -> str:
    """Score the assessment."""
    if governance == 3:
        raise ScoringInputError("governance: 3 is reserved in this stub, got 3")
    return json.dumps({"production_score": 41.5, "governance": governance})


@tool
def broken_tool(question: str) -> str:
    """A tool with a bug (not an argument problem)."""
    raise RuntimeError("index file is corrupt")


TOOLS: list[BaseTool] = [search_framework, score_assessment, broken_tool]


def _run(model: ScriptedChatModel, question: str = "Why did our rollout stall?", **kw: Any) -> list[Event]:
    graph = build_agent(model, TOOLS, "SYSTEM PROMPT", **kw)
    return list(stream_agent(graph, question, classify=provider_failure))


def _final(events: list[Event]) -> FinalEvent:
    assert isinstance(events[-1], FinalEvent)
    return events[-1]


def test_happy_path_tool_call_then_answer() -> None:
    model = ScriptedChatModel.of(
        call_tool("search_framework", {"query": "governance at scale"}),
        say("Oversight that worked in the pilot does not hold at scale [1]."),
    )
    events = _run(model)
    kinds = [type(e).__name__ for e in events]
    assert kinds[:2] == ["ToolStartEvent", "ToolEndEvent"]
    assert set(kinds[2:-1]) == {"TokenEvent"}
    start, end = events[0], events[1]
    assert isinstance(start, ToolStartEvent) and start.args == {"query": "governance at scale"}
    assert isinstance(end, ToolEndEvent) and end.ok and '<passage n="1">' in end.output
    assert start.call_id == end.call_id != ""
    text = "".join(e.text for e in events if isinstance(e, TokenEvent))
    assert text == _final(events).text == "Oversight that worked in the pilot does not hold at scale [1]."
    assert _final(events).capped is False
    # The model saw the system prompt first and the tool result in its second call.
    assert isinstance(model.seen[0][0], SystemMessage) and model.seen[0][0].content == "SYSTEM PROMPT"
    assert isinstance(model.seen[1][-1], ToolMessage) and "Governance Vacuum" in str(
        model.seen[1][-1].content
    )
    assert [t.name for t in model.bound_tools] == ["search_framework", "score_assessment", "broken_tool"]


def test_bad_tool_arguments_come_back_readable_and_the_model_corrects() -> None:
    model = ScriptedChatModel.of(
        call_tool("score_assessment", {"governance": 9}),
        call_tool("score_assessment", {"governance": 2}),
        say("Your production score is 41.5."),
    )
    events = _run(model)
    ends = [e for e in events if isinstance(e, ToolEndEvent)]
    assert [e.ok for e in ends] == [False, True]
    error = model.seen[1][-1]
    assert isinstance(error, ToolMessage) and error.status == "error"
    assert "governance" in str(error.content) and "less than or equal to 5" in str(error.content)
    assert "Call the tool again" in str(error.content)
    assert _final(events).text == "Your production score is 41.5."


def test_keysmith_argument_errors_are_shown_to_the_model() -> None:
    model = ScriptedChatModel.of(call_tool("score_assessment", {"governance": 3}), say("Fixed."))
    events = _run(model)
    end = next(e for e in events if isinstance(e, ToolEndEvent))
    assert not end.ok and "3 is reserved" in end.output


def test_other_tool_errors_surface() -> None:
    model = ScriptedChatModel.of(call_tool("broken_tool", {"question": "x"}), say("never reached"))
    with pytest.raises(RuntimeError, match="index file is corrupt"):
        _run(model)


def test_unknown_tool_is_reported_to_the_model() -> None:
    model = ScriptedChatModel.of(call_tool("delete_everything", {}), say("Sorry."))
    events = _run(model)
    end = next(e for e in events if isinstance(e, ToolEndEvent))
    assert not end.ok and "delete_everything" in end.output and "search_framework" in end.output


def test_malformed_tool_call_json_is_repaired_into_an_error_message() -> None:
    broken = AIMessage(
        content="",
        invalid_tool_calls=[
            {
                "name": "score_assessment",
                "args": "governance=four",
                "id": "bad1",
                "error": "bad JSON",
                "type": "invalid_tool_call",
            }
        ],
    )
    model = ScriptedChatModel.of(broken, call_tool("score_assessment", {"governance": 4}), say("Done."))
    events = _run(model)
    ends = [e for e in events if isinstance(e, ToolEndEvent)]
    assert [e.ok for e in ends] == [False, True]
    assert isinstance(model.seen[1][-1], ToolMessage) and model.seen[1][-1].tool_call_id == "bad1"
    assert "not valid JSON" in str(model.seen[1][-1].content)
    assert _final(events).text == "Done."


def test_a_tool_loop_hits_the_cap_and_the_model_answers_without_tools() -> None:
    looping = [call_tool("search_framework", {"query": f"try {n}"}) for n in range(3)]
    model = ScriptedChatModel.of(*looping, say("Here is what I found so far [1]."))
    events = _run(model, max_tool_rounds=3)
    assert len([e for e in events if isinstance(e, ToolStartEvent)]) == 3
    final = _final(events)
    assert final.capped and final.text == "Here is what I found so far [1]."
    assert any(isinstance(e, NoticeEvent) and "3 rounds" in e.text for e in events)
    last_prompt = model.seen[-1][-1]
    assert isinstance(last_prompt, HumanMessage) and "Do not call any more tools" in str(last_prompt.content)


def test_a_model_that_keeps_calling_tools_after_the_cap_is_stopped() -> None:
    looping = [call_tool("search_framework", {"query": f"try {n}"}) for n in range(5)]
    model = ScriptedChatModel.of(*looping)
    events: list[Event] = []
    with pytest.raises(ProviderError) as caught:  # it never wrote an answer: the caller falls back
        for event in stream_agent(
            build_agent(model, TOOLS, "S", max_tool_rounds=2), "why?", classify=provider_failure
        ):
            events.append(event)
    assert caught.value.kind == "empty_answer"
    assert len([e for e in events if isinstance(e, ToolEndEvent)]) == 2
    assert model.calls == 3
    assert len(model.script) == 2  # the capped call's tool request was not run, nor the model called again


def test_parallel_tool_calls_each_get_start_and_end_events() -> None:
    both = calls_tools(
        [("search_framework", {"query": "governance"}), ("score_assessment", {"governance": 2})]
    )
    events = _run(ScriptedChatModel.of(both, say("ok")))
    assert sorted(e.name for e in events if isinstance(e, ToolEndEvent)) == [
        "score_assessment",
        "search_framework",
    ]


def test_a_number_no_tool_produced_is_dropped_by_the_guard() -> None:
    question = "We have 12 regions. How ready are we?"
    model = ScriptedChatModel.of(
        call_tool("score_assessment", {"governance": 2}),
        say(
            "Your production readiness is 41.5 out of 100. That is 23 points below your pilot. "
            "All 12 regions wait."
        ),
    )
    graph = build_agent(model, TOOLS, "SYSTEM")
    events = list(stream_agent(graph, question, classify=provider_failure))
    sources = [question, *(e.output for e in events if isinstance(e, ToolEndEvent) and e.ok)]
    guarded = guard_numbers(_final(events).text, sources)
    assert guarded.dropped == ["That is 23 points below your pilot."]
    assert "41.5" in guarded.text and "12 regions" in guarded.text


def test_a_citation_to_a_passage_never_retrieved_is_dropped() -> None:
    model = ScriptedChatModel.of(
        call_tool("search_framework", {"query": "governance"}),
        say("Governance is missing [1]. The framework lists fourteen moves [7]."),
    )
    events = _run(model)
    retrieved = {1, 2}  # what the stub search handed out
    checked = check_citations(_final(events).text, retrieved)
    assert checked.dropped == ["[7]"]
    assert checked.text == "Governance is missing [1]. The framework lists fourteen moves."


def test_a_provider_failure_before_any_text_is_classified() -> None:
    request = httpx.Request("POST", "https://api.openai.com/v1/chat/completions")
    auth = openai.AuthenticationError("bad key", response=httpx.Response(401, request=request), body=None)
    with pytest.raises(ProviderError) as caught:
        _run(ScriptedChatModel.of(auth))
    assert caught.value.kind == "auth" and not isinstance(caught.value, StreamCutError)


def test_a_stream_cut_mid_answer_keeps_the_partial_text() -> None:
    model = ScriptedChatModel.of(
        call_tool("search_framework", {"query": "x"}),
        CutStream("The main reason is governance", httpx.RemoteProtocolError("peer closed connection")),
    )
    seen: list[Event] = []
    with pytest.raises(StreamCutError) as caught:
        for event in stream_agent(build_agent(model, TOOLS, "S"), "why?", classify=provider_failure):
            seen.append(event)
    assert caught.value.partial_text == "The main reason is governance"
    assert caught.value.kind == "stream_cut"
    assert "".join(e.text for e in seen if isinstance(e, TokenEvent)) == "The main reason is governance"


def test_an_empty_final_answer_is_a_provider_failure() -> None:
    model = ScriptedChatModel.of(call_tool("search_framework", {"query": "x"}), say(""))
    with pytest.raises(ProviderError) as caught:
        _run(model)
    assert caught.value.kind == "empty_answer"


def test_history_becomes_messages_and_bad_roles_are_named() -> None:
    messages = to_messages([("user", "hi"), ("assistant", "hello")], "next")
    assert [m.type for m in messages] == ["human", "ai", "human"]
    with pytest.raises(KeysmithError, match="'system'"):
        to_messages([("system", "x")], "q")
    model = ScriptedChatModel.of(say("Answer."))
    graph = build_agent(model, TOOLS, "S")
    list(stream_agent(graph, "now?", [("user", "before"), ("assistant", "ok")], classify=provider_failure))
    assert [m.type for m in model.seen[0]] == ["system", "human", "ai", "human"]


def test_the_agent_over_real_http(tmp_path: Path, openai_server: ScriptedOpenAIServer) -> None:
    openai_server.reply(
        ToolCalls([("score_assessment", {"governance": 2})]),
        Text("Your production score is 41.5."),
    )
    settings = Settings(
        knowledge_dir=tmp_path,
        data_dir=tmp_path,
        openai_api_key="sk-test",
        openai_base_url=openai_server.base_url,
    )
    model = load_chat_model("openai:gpt-test", settings)
    assert model is not None
    events = list(
        stream_agent(build_agent(model, TOOLS, "SYSTEM"), "How ready are we?", classify=provider_failure)
    )
    assert [type(e).__name__ for e in events[:2]] == ["ToolStartEvent", "ToolEndEvent"]
    assert len([e for e in events if isinstance(e, TokenEvent)]) > 3
    assert _final(events).text == "Your production score is 41.5."
    second = openai_server.chat_requests()[1].body
    assert second["messages"][0] == {"role": "system", "content": "SYSTEM"}
    tool_reply = second["messages"][-1]
    assert tool_reply["role"] == "tool" and "41.5" in tool_reply["content"]
    assert {t["function"]["name"] for t in second["tools"]} == {
        "search_framework",
        "score_assessment",
        "broken_tool",
    }


def test_a_cut_http_stream_raises_stream_cut(tmp_path: Path, openai_server: ScriptedOpenAIServer) -> None:
    openai_server.reply(Cut("Half an answer about governance"))
    settings = Settings(
        knowledge_dir=tmp_path,
        data_dir=tmp_path,
        openai_api_key="sk-test",
        openai_base_url=openai_server.base_url,
    )
    model = load_chat_model("openai:gpt-test", settings)
    assert model is not None
    with pytest.raises(StreamCutError) as caught:
        list(stream_agent(build_agent(model, TOOLS, "SYSTEM"), "why?", classify=provider_failure))
    assert caught.value.partial_text == "Half an answer about governance"
    assert len(openai_server.chat_requests()) == 1


# --- issue 15: grounding, grounded-text mode, the deadline, the capability check --------------------------


def _grounding() -> list[Any]:
    from keysmith.agent import GROUNDING_ID

    call = {
        "name": "search_framework",
        "args": {"query": "governance"},
        "id": "ground_1",
        "type": "tool_call",
    }
    return [
        AIMessage(content="", tool_calls=[call], id=f"{GROUNDING_ID}-1"),
        ToolMessage(content=search_framework.invoke({"query": "governance"}), tool_call_id="ground_1"),
    ]


def test_grounding_follows_the_question_and_is_not_one_of_the_models_rounds() -> None:
    looping = [call_tool("search_framework", {"query": f"try {n}"}) for n in range(2)]
    model = ScriptedChatModel.of(*looping, say("Found it [1]."))
    graph = build_agent(model, TOOLS, "S", max_tool_rounds=2)
    events = list(stream_agent(graph, "why?", classify=provider_failure, grounding=_grounding()))
    final = _final(events)
    assert final.capped and final.text == "Found it [1]."  # two rounds of its own, then the cap
    first = model.seen[0]
    assert [type(m).__name__ for m in first] == ["SystemMessage", "HumanMessage", "AIMessage", "ToolMessage"]


def test_grounded_text_mode_offers_no_tools_and_makes_one_call() -> None:
    model = ScriptedChatModel.of(say("From the passages: oversight breaks at scale [1]."))
    graph = build_agent(model, TOOLS, "S", tool_calls=False)
    events = list(stream_agent(graph, "why?", classify=provider_failure))
    assert _final(events).text == "From the passages: oversight breaks at scale [1]."
    assert model.bound_tools == [] and model.calls == 1


def test_the_deadline_stops_a_slow_model_and_keeps_what_arrived() -> None:
    import time

    from keysmith.agent import TurnBudgetExceeded

    class Slow(ScriptedChatModel):
        def _stream(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
            from langchain_core.messages import AIMessageChunk
            from langchain_core.outputs import ChatGenerationChunk

            self._next_turn(messages)
            for n in range(100):
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=f"w{n} ", id="slow"))
                if run_manager:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
                time.sleep(0.05)

    graph = build_agent(Slow.of("x"), TOOLS, "S")
    started = time.monotonic()
    with pytest.raises(TurnBudgetExceeded) as caught:
        list(
            stream_agent(
                graph, "why?", classify=provider_failure, deadline=time.monotonic() + 0.5, budget=0.5
            )
        )
    assert time.monotonic() - started < 2
    assert caught.value.kind == "budget" and caught.value.partial_text.startswith("w0 w1 ")
    assert "KEYSMITH_TURN_BUDGET" in str(caught.value)


@pytest.mark.parametrize(
    ("reply", "capable"),
    [(call_tool("keysmith_capability_check", {"word": "ready"}), True), (say("ready"), False)],
)
def test_the_capability_check_asks_for_a_required_tool(reply: AIMessage, capable: bool) -> None:
    from keysmith.agent import PROBE_TOOL, check_tool_calling

    model = ScriptedChatModel.of(reply)
    assert check_tool_calling(model) is capable
    assert [t.name for t in model.bound_tools] == [PROBE_TOOL] and model.calls == 1
