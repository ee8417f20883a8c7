"""Issue 15: whatever the model does, a turn stays grounded, bounded and honest.

Scripted fake models (passed in) and the scripted OpenAI-protocol server on 127.0.0.1, over the real index:
the turn budget and the length bound; real servers' quirks handled as provider failures; the names guard and
the rule that an ungrounded answer is replaced by the composer's; the grounding steps run before the model
speaks; the tool-calling check and grounded-text mode.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import KNOWLEDGE, run_cli
from fakes import ScriptedChatModel, say
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGenerationChunk
from openai_server import Empty, ScriptedOpenAIServer, Stall, Status, Text, ToolCalls, error_body

from keysmith import assessment
from keysmith.answer import Answer, Event, FinalEvent, NoticeEvent, TokenEvent, ToolEndEvent, ToolStartEvent
from keysmith.assistant import Assistant
from keysmith.config import Settings
from keysmith.framework import Framework
from keysmith.retrieval import Retriever
from keysmith.tools import Toolbox

SPEC = "openai:scripted"


class SlowChatModel(ScriptedChatModel):
    """Streams each scripted answer one word every `delay` seconds, after `first_delay` seconds."""

    delay: float = 0.05
    first_delay: float = 0.0

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        turn = self._next_turn(messages)
        assert isinstance(turn, AIMessage)
        time.sleep(self.first_delay)
        for word in str(turn.content).split(" "):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=word + " ", id="slow"))
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
            time.sleep(self.delay)


def assistant_with(
    settings: Settings, framework: Framework, retriever: Retriever, model: ScriptedChatModel, **kw: Any
) -> Assistant:
    return Assistant(settings, framework, retriever, model=model, model_spec=SPEC, **kw)


def final(events: list[Event]) -> Answer:
    last = events[-1]
    assert isinstance(last, FinalEvent) and last.answer is not None
    return last.answer


def http_assistant(settings: Settings, server: ScriptedOpenAIServer, spec: str = "", **env: Any) -> Assistant:
    values: dict[str, Any] = {
        "model": spec or f"openai-compatible:local-model@{server.base_url}",
        "max_retries": 0,
        "request_timeout": 10.0,
        **env,
    }
    return Assistant.from_settings(dataclasses.replace(settings, **values))


# --- 1. bounds ---------------------------------------------------------------------------------------------


def test_past_the_turn_budget_the_partial_answer_is_kept_and_the_composer_follows(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    long_answer = " ".join(["Oversight that worked in the pilot does not hold at scale."] * 40)
    model = SlowChatModel.of(say(long_answer))
    settings = dataclasses.replace(indexed_settings, turn_budget=1.0)
    started = time.monotonic()
    events = list(assistant_with(settings, framework, retriever, model).stream("What is HD Vision?"))
    elapsed = time.monotonic() - started
    answer = final(events)
    tokens = "".join(e.text for e in events if isinstance(e, TokenEvent))
    assert 0 < len(tokens) < len(long_answer)
    assert elapsed < 5, elapsed  # the model would have streamed for about 25 s
    assert answer.incomplete and answer.mode == "offline (fallback: budget)"
    assert answer.answer.startswith("Oversight that worked in the pilot")
    assert "**Keysmith's offline answer:**" in answer.answer and answer.citations
    assert answer.notice is not None and "\n" not in answer.notice
    assert "KEYSMITH_TURN_BUDGET" in answer.notice and "part that arrived is kept" in answer.notice


def test_a_turn_whose_model_says_nothing_ends_within_its_budget(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    model = SlowChatModel(script=[say("Too late.")], first_delay=4.0)
    settings = dataclasses.replace(indexed_settings, turn_budget=0.8)
    started = time.monotonic()
    answer = assistant_with(settings, framework, retriever, model).ask("What is HD Vision?")
    assert time.monotonic() - started < 3
    assert answer.mode == "offline (fallback: budget)" and not answer.incomplete
    assert answer.notice is not None and answer.notice.startswith(
        "Answered offline because the language model"
    )
    assert "KEYSMITH_TURN_BUDGET" in answer.notice
    assert answer.citations[0].id.startswith("hd-vision#")


def test_over_http_a_silent_server_cannot_hold_the_turn_past_its_budget(
    indexed_settings: Settings, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(Stall(8))
    assistant = http_assistant(indexed_settings, openai_server, turn_budget=1.0)
    started = time.monotonic()
    answer = assistant.ask("What is HD Vision?")
    assert time.monotonic() - started < 4  # not the 8 s stall, nor the 10 s request timeout
    assert answer.mode == "offline (fallback: budget)" and answer.answer


def test_a_slow_capability_check_counts_against_the_first_turns_budget(
    indexed_settings: Settings, openai_server: ScriptedOpenAIServer
) -> None:
    # Seen with llama-cpp-python's server under load: the check took longer than the whole turn's budget.
    openai_server.probe_reply = Stall(8)
    assistant = http_assistant(indexed_settings, openai_server, turn_budget=1.0)
    started = time.monotonic()
    answer = assistant.ask("What is HD Vision?")
    assert time.monotonic() - started < 4  # not the 8 s stall, nor the 10 s request timeout
    assert answer.mode == "offline (fallback: budget)" and answer.answer and answer.citations
    # The next turn waits for the same check: a slow server is not sent one more check per turn.
    again = assistant.ask("What is the Zoom Level Problem?")
    assert again.mode == "offline (fallback: budget)" and again.answer
    assert len(openai_server.probe_requests()) == 1


def test_an_answer_cut_by_max_tokens_is_marked_incomplete(
    indexed_settings: Settings, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(Text("HD Vision means seeing every variable [1]. Then the", finish="length"))
    answer = http_assistant(indexed_settings, openai_server, max_tokens=64).ask("What is HD Vision?")
    assert answer.mode.startswith("openai-compatible:") and answer.incomplete
    assert answer.notice is not None and "KEYSMITH_MAX_TOKENS" in answer.notice
    (request,) = openai_server.chat_requests()
    assert request.body["max_tokens"] == 64


# --- 2. real servers' quirks -------------------------------------------------------------------------------


def test_repeated_tool_names_in_stream_deltas_reach_the_right_tool(
    indexed_settings: Settings, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(
        ToolCalls([("search_framework", {"query": "HD Vision"})], repeat_name=True, repeat_id=True),
        Text("HD Vision means mapping every variable before scaling [1]."),
    )
    answer = http_assistant(indexed_settings, openai_server).ask("What is HD Vision?")
    assert answer.mode.startswith("openai-compatible:"), answer.notice
    assert answer.tool_calls[-1] == {"name": "search_framework", "args": {"query": "HD Vision"}, "ok": True}
    assert answer.citations


@pytest.mark.parametrize(
    ("replies", "kind", "says"),
    [
        ((Empty(), Empty()), "empty_answer", "empty reply"),
        (
            (Status(400, error_body("Requested tokens (2100) exceed context window of 512")),),
            "context_window",
            "context window is too small for Keysmith",
        ),
    ],
)
def test_empty_replies_and_small_context_windows_fall_back_with_a_plain_notice(
    indexed_settings: Settings,
    openai_server: ScriptedOpenAIServer,
    replies: tuple[Any, ...],
    kind: str,
    says: str,
) -> None:
    openai_server.reply(*replies)
    answer = http_assistant(indexed_settings, openai_server).ask("What is HD Vision?")
    assert answer.mode == f"offline (fallback: {kind})"
    assert answer.notice is not None and says in answer.notice and "\n" not in answer.notice
    assert answer.citations[0].id.startswith("hd-vision#")


def test_ask_json_with_an_empty_200_gives_the_fallback_not_a_traceback(
    indexed_settings: Settings, openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    openai_server.reply(Empty(), Empty())
    env = {
        "KEYSMITH_KNOWLEDGE_DIR": str(KNOWLEDGE),
        "KEYSMITH_DATA_DIR": str(indexed_settings.data_dir),
        "KEYSMITH_MODEL": f"openai-compatible:local-model@{openai_server.base_url}",
        "KEYSMITH_MAX_RETRIES": "0",
    }
    result = run_cli("ask", "What is HD Vision?", "--json", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    assert data["mode"] == "offline (fallback: empty_answer)" and data["answer"] and data["citations"]
    assert data["capabilities"] == {
        "tool_calls": True,
        "grounded_text": False,
        "checked": "checked once with a required tool call",
    }


# --- 3. the names guard, and answers that are not grounded -------------------------------------------------


def test_an_invented_archetype_never_reaches_the_user(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    model = ScriptedChatModel.of(
        "The archetypes are Standardization [1], Education and Referral. Risk Management fits governance "
        "gaps [1]. The Referral archetype hands the work to a partner."
    )
    answer = assistant_with(indexed_settings, framework, retriever, model).ask(
        "What are all 14 solution archetypes?"
    )
    assert "Referral" not in answer.answer
    assert answer.answer == "Risk Management fits governance gaps [1]."
    assert answer.mode == SPEC
    assert answer.notice is not None
    assert "2 sentences were removed because they named an archetype, step or stall reason" in answer.notice


def test_an_answer_the_guards_empty_is_replaced_by_the_composer(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    model = ScriptedChatModel.of("Step 1 is called Discovery. Step 2 is called Design.")
    events = list(
        assistant_with(indexed_settings, framework, retriever, model).stream(
            "What is step 1 of the 7-step process called?"
        )
    )
    answer = final(events)
    assert "Discovery" not in answer.answer and answer.answer.strip()
    assert answer.mode == "offline (fallback: guarded_empty)"
    assert answer.notice is not None and "\n" not in answer.notice
    assert answer.notice.startswith("Answered offline because Keysmith's checks removed every sentence")
    assert any(isinstance(e, NoticeEvent) and e.text == answer.notice for e in events)


def test_an_uncited_answer_to_a_framework_question_is_replaced_by_the_composer(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    model = ScriptedChatModel.of("The framework has seven steps and HD Vision is one of them.")
    answer = assistant_with(indexed_settings, framework, retriever, model).ask(
        "What are the seven steps of the framework?"
    )
    assert answer.mode == "offline (fallback: uncited)"
    assert answer.notice == (
        "Answered offline because the model's answer to this framework question cited none of the "
        "framework passages Keysmith found."
    )
    assert answer.citations


_OWNERLESS = (
    "Our invoice AI pilot was great, but the rollout to 12 regions has stalled for six months: nobody owns "
    "the model after the pilot team left, and no one signs off on changes."
)


@pytest.mark.parametrize(
    "reply",
    [
        "This is clearly a Governance Vacuum.",
        # Seen with SmolLM2 on llama-cpp-python's server: after its tool rounds it wrote a sentence about
        # its instructions, naming nothing, and that was shown as the answer to the manager's story.
        "You can use only the features that are provided to support answers.",
    ],
)
def test_an_uncited_reply_to_a_story_is_replaced_and_keeps_the_reasons(
    indexed_settings: Settings, framework: Framework, retriever: Retriever, reply: str
) -> None:
    model = ScriptedChatModel.of(reply)
    answer = assistant_with(indexed_settings, framework, retriever, model).ask(_OWNERLESS)
    assert answer.mode == "offline (fallback: uncited)"
    assert answer.notice is not None and "your story" in answer.notice
    assert answer.reasons and answer.citations and reply not in answer.answer


def test_an_off_topic_answer_needs_no_citation(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    model = ScriptedChatModel.of("Pizza is outside what Keysmith helps with; ask me about AI rollouts.")
    answer = assistant_with(indexed_settings, framework, retriever, model).ask("Best pizza in Naples?")
    assert answer.mode == SPEC and answer.notice is None
    assert answer.answer.startswith("Pizza is outside")


# --- 4. grounding before the model speaks ------------------------------------------------------------------


def test_a_model_that_never_calls_a_tool_still_answers_from_the_passages(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    model = ScriptedChatModel.of(say("Omission Neglect is overlooking what is missing [1]."))
    events = list(
        assistant_with(indexed_settings, framework, retriever, model).stream("What is Omission Neglect?")
    )
    assert [type(e) for e in events[:2]] == [ToolStartEvent, ToolEndEvent]
    start = events[0]
    assert isinstance(start, ToolStartEvent) and start.name == "search_framework"
    answer = final(events)
    assert answer.mode == SPEC and answer.notice is None
    assert answer.citations[0].id.startswith("omission-neglect#")
    # The model was shown the grounding as its first tool round: question, tool calls, fenced results.
    seen = model.seen[0]
    assert isinstance(seen[1], HumanMessage)
    assert isinstance(seen[2], AIMessage) and seen[2].tool_calls[0]["name"] == "search_framework"
    assert isinstance(seen[3], ToolMessage) and '<passage n="1"' in str(seen[3].content)


def test_a_story_is_read_and_its_reasons_passages_handed_over_first(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    story = (
        "Our AI pilot worked in one team, but the rollout to the other regions has stalled: nobody owns the "
        "model and the other teams refuse to use it."
    )
    model = ScriptedChatModel.of(say("Nobody owns the AI after the pilot [1]."))
    answer = assistant_with(indexed_settings, framework, retriever, model).ask(story)
    names = [call["name"] for call in answer.tool_calls]
    assert names[0] == "read_story" and "explain_stall_reason" in names
    assert answer.mode == SPEC and answer.reasons
    assert answer.tool_calls[0]["args"] == {"text": story}


def test_recorded_answers_are_scored_before_the_model_speaks(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    from keysmith.diagnosis import full_report

    state = assessment.start(framework)
    for variable, value in (("technology_fit", 5), ("governance", 1)):
        state = assessment.answer(state, variable, value).state
    score = full_report(assessment.answers(state), framework)["profiles"]["production"]["score"]
    model = ScriptedChatModel.of(f"Your production readiness is {score} out of 100.")
    toolbox = Toolbox(framework, retriever, state)
    answer = assistant_with(indexed_settings, framework, retriever, model).ask(
        "How ready are we for production?", toolbox=toolbox
    )
    assert "score_assessment" in [call["name"] for call in answer.tool_calls]
    assert f"{score} out of 100" in answer.answer and answer.notice is None


# --- 5. what the server can do -----------------------------------------------------------------------------


def test_a_server_whose_model_cannot_call_a_required_tool_is_used_in_grounded_text_mode(
    indexed_settings: Settings, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.probe_reply = Text("Sure! The word is ready.")
    openai_server.reply(Text("HD Vision means seeing every variable of the system [1]."))
    assistant = http_assistant(indexed_settings, openai_server)
    answer = assistant.ask("What is HD Vision?")
    assert answer.mode == assistant.mode and answer.citations
    assert answer.capabilities == {
        "tool_calls": False,
        "grounded_text": True,
        "checked": "checked once with a required tool call",
    }
    assert "grounded-text mode" in assistant.mode_reason
    (probe,) = openai_server.probe_requests()
    # The tool is named (llama-cpp-python's server answers tool_choice "required" with an HTTP 500).
    named = {"type": "function", "function": {"name": "keysmith_capability_check"}}
    assert probe.body["tool_choice"] == named
    (turn,) = openai_server.chat_requests()
    assert "tools" not in turn.body  # no tool rounds
    roles = [m["role"] for m in turn.body["messages"]]
    assert roles == ["system", "user"]  # the grounding travels in the user's message, not as tool messages
    assert '<passage n="1"' in turn.body["messages"][-1]["content"]
    # A second turn (and a second assistant for the same model) is not checked again.
    openai_server.reply(Text("HD Vision maps the system [1]."))
    http_assistant(indexed_settings, openai_server).ask("What is HD Vision?")
    assert len(openai_server.probe_requests()) == 1


@pytest.mark.parametrize("refusal", [True, False])
def test_a_server_that_calls_the_required_tool_or_refuses_it(
    indexed_settings: Settings, openai_server: ScriptedOpenAIServer, refusal: bool
) -> None:
    if refusal:
        openai_server.probe_reply = Status(400, error_body("tool_choice 'required' is not supported"))
    openai_server.reply(Text("HD Vision means seeing every variable [1]."))
    answer = http_assistant(indexed_settings, openai_server).ask("What is HD Vision?")
    assert answer.capabilities is not None and answer.capabilities["tool_calls"] is (not refusal)
    (turn,) = openai_server.chat_requests()
    assert ("tools" in turn.body) is (not refusal)
    if not refusal:
        assert turn.body["tool_choice"] == "auto"
        # The grounding round's assistant message (tool calls, no text) carries "" as its content:
        # llama-cpp-python's server refuses null content with an HTTP 500.
        grounding = [m for m in turn.body["messages"] if m["role"] == "assistant" and m.get("tool_calls")]
        assert grounding and all(m["content"] == "" for m in grounding)
        # No maxLength in the tool schemas: llama-cpp-python's grammar for read_story's 8000 crashed it.
        names = {tool["function"]["name"] for tool in turn.body["tools"]}
        assert "read_story" in names and "maxLength" not in json.dumps(turn.body["tools"])


def test_tool_calls_off_skips_the_check_and_the_tools(
    indexed_settings: Settings, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(Text("HD Vision means seeing every variable [1]."))
    spec = "openai:gpt-test"
    answer = http_assistant(
        indexed_settings,
        openai_server,
        spec,
        tool_calls="off",
        openai_api_key="sk-test",
        openai_base_url=openai_server.base_url,
    ).ask("What is HD Vision?")
    assert answer.capabilities == {
        "tool_calls": False,
        "grounded_text": True,
        "checked": "KEYSMITH_TOOL_CALLS=off",
    }
    assert not openai_server.probe_requests()
    assert "tools" not in openai_server.chat_requests()[0].body
