"""The Assistant with scripted fake models (passed in) over the real index: guards, fallback, stream cuts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from fakes import CutStream, ScriptedChatModel, call_tool, say
from langchain_core.messages import ToolMessage
from openai_server import Cut, ScriptedOpenAIServer, Status, Text, ToolCalls

from keysmith import assessment
from keysmith.answer import Answer, Event, FinalEvent, NoticeEvent, TokenEvent, ToolEndEvent, ToolStartEvent
from keysmith.assistant import Assistant
from keysmith.config import Settings
from keysmith.errors import InputLimitError, ProviderError
from keysmith.framework import Framework
from keysmith.retrieval import Retriever
from keysmith.tools import Toolbox

SPEC = "openai:scripted"
SEARCH = call_tool("search_framework", {"query": "governance vacuum at scale"})


def assistant_with(
    settings: Settings, framework: Framework, retriever: Retriever, model: ScriptedChatModel | None
) -> Assistant:
    return Assistant(settings, framework, retriever, model=model, model_spec=SPEC if model else "offline")


def final(events: list[Event]) -> Answer:
    last = events[-1]
    assert isinstance(last, FinalEvent) and last.answer is not None
    return last.answer


def test_offline_assistant_uses_the_composer(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    assistant = assistant_with(indexed_settings, framework, retriever, None)
    assert assistant.mode == "offline" and "offline" in assistant.mode_reason
    answer = assistant.ask("What is Omission Neglect?")
    assert answer.mode == "offline" and not answer.abstained
    assert answer.citations[0].id.startswith("omission-neglect#")


def test_happy_path_streams_tools_and_cites(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    model = ScriptedChatModel.of(SEARCH, say("Informal oversight stops working once the AI spreads [1]."))
    assistant = assistant_with(indexed_settings, framework, retriever, model)
    events = list(assistant.stream("What is the Governance Vacuum?"))
    kinds = [type(e) for e in events]
    # The grounding search runs first, as a step; then the model's own search.
    assert kinds[:4] == [ToolStartEvent, ToolEndEvent, ToolStartEvent, ToolEndEvent]
    assert TokenEvent in kinds
    answer = final(events)
    assert answer.mode == SPEC
    assert answer.answer == "Informal oversight stops working once the AI spreads [1]."
    assert len(answer.citations) == 1 and answer.citations[0].id.startswith("governance-vacuum#")
    assert answer.tool_calls == [
        {"name": "search_framework", "args": {"query": "What is the Governance Vacuum?"}, "ok": True},
        {"name": "search_framework", "args": {"query": "governance vacuum at scale"}, "ok": True},
    ]
    assert answer.notice is None
    assert answer.capabilities == {
        "tool_calls": True,
        "grounded_text": False,
        "checked": "assumed: the provider's chat models call tools",
    }
    # The model saw the fenced, numbered passages as the tool's output.
    tool_messages = [m for m in model.seen[-1] if isinstance(m, ToolMessage)]
    assert '<passage n="1"' in str(tool_messages[0].content)


def test_numbers_and_citations_no_tool_produced_are_removed(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    model = ScriptedChatModel.of(
        SEARCH,
        say("Governance has no owner at scale [1]. Your production score is 87 out of 100. See also [7]."),
    )
    answer = assistant_with(indexed_settings, framework, retriever, model).ask("Is governance our problem?")
    assert "87" not in answer.answer
    assert "[7]" not in answer.answer
    assert answer.answer.startswith("Governance has no owner at scale [1].")
    assert answer.notice is not None
    assert "1 sentence was removed" in answer.notice and "citation" in answer.notice


def test_numbers_from_a_tool_survive(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    answers = {"governance": 1, "data_infrastructure": 2, "technology_fit": 5}
    model = ScriptedChatModel.of(call_tool("score_assessment", {"answers": answers}), "PLACEHOLDER")
    assistant = assistant_with(indexed_settings, framework, retriever, model)
    # Score first with the same tool to learn the number the tool will produce, then script the answer.
    from keysmith.diagnosis import full_report

    production = full_report(answers, framework)["profiles"]["production"]["score"]
    model.script[-1] = say(f"Your production readiness is {production} out of 100.")
    answer = assistant.ask("Score us: governance 1, data 2, technology 5.")
    assert f"{production} out of 100" in answer.answer
    assert answer.notice is None


def test_bad_tool_arguments_reach_the_model_as_readable_errors(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    model = ScriptedChatModel.of(
        call_tool("explain_stall_reason", {"stall_reason_id": "bad_luck"}),
        call_tool("explain_stall_reason", {"stall_reason_id": "governance_vacuum"}),
        say("Nobody owns the AI after the pilot [1]."),
    )
    toolbox = Toolbox(framework, retriever)
    answer = assistant_with(indexed_settings, framework, retriever, model).ask(
        "Explain the governance gap", toolbox=toolbox
    )
    shown = [m for m in model.seen[1] if isinstance(m, ToolMessage)]
    assert shown[-1].status == "error" and "stall_reason_id" in str(shown[-1].content)
    assert [c["ok"] for c in answer.tool_calls][-2:] == [False, True]  # corrected on the second try
    assert answer.citations and answer.citations[0].id == toolbox.passages[1].id


@pytest.mark.parametrize("kind", ["rate_limit", "timeout", "connection", "server", "quota"])
def test_outage_falls_back_to_the_composer(
    indexed_settings: Settings, framework: Framework, retriever: Retriever, kind: str
) -> None:
    error = ProviderError(f"The provider failed ({kind}).", retryable=kind != "quota", kind=kind)
    model = ScriptedChatModel.of(error)
    events = list(assistant_with(indexed_settings, framework, retriever, model).stream("What is HD Vision?"))
    notices = [e for e in events if isinstance(e, NoticeEvent)]
    answer = final(events)
    assert answer.mode == f"offline (fallback: {kind})"
    assert answer.notice == notices[0].text
    assert answer.notice.startswith(f"Answered offline because the language model ({SPEC}) failed")
    assert "\n" not in answer.notice
    assert answer.citations[0].id.startswith("hd-vision#")


@pytest.mark.parametrize(
    ("kind", "variable"),
    [("auth", "OPENAI_API_KEY"), ("not_found", "KEYSMITH_MODEL"), ("bad_request", "KEYSMITH_MODEL")],
)
def test_configuration_errors_name_the_variable(
    indexed_settings: Settings, framework: Framework, retriever: Retriever, kind: str, variable: str
) -> None:
    model = ScriptedChatModel.of(ProviderError("The provider refused the request (401).", kind=kind))
    answer = assistant_with(indexed_settings, framework, retriever, model).ask("What is HD Vision?")
    assert answer.mode == f"offline (fallback: {kind})"
    assert answer.notice is not None and f"check {variable}" in answer.notice
    assert answer.answer  # the user still gets an answer


def test_stream_cut_keeps_the_partial_text(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    model = ScriptedChatModel.of(
        CutStream("The rollout stalls because the pilot", ConnectionError("reset by peer"))
    )
    events = list(assistant_with(indexed_settings, framework, retriever, model).stream("What is HD Vision?"))
    tokens = "".join(e.text for e in events if isinstance(e, TokenEvent))
    assert tokens == "The rollout stalls because the pilot"
    answer = final(events)
    assert answer.incomplete
    assert answer.mode == "offline (fallback: stream_cut)"
    assert answer.answer.startswith("The rollout stalls because the pilot …")
    assert "**Keysmith's offline answer:**" in answer.answer
    assert answer.notice is not None and "cut off" in answer.notice
    assert answer.citations  # the composer's part is cited


def test_the_caller_can_keep_the_assessment_state(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    model = ScriptedChatModel.of(
        call_tool("record_assessment_answer", {"variable_id": "technology_fit", "value": 4}),
        say("Recorded technology fit as 4. Next: can your own people run it?"),
    )
    toolbox = Toolbox(framework, retriever)
    answer = assistant_with(indexed_settings, framework, retriever, model).ask(
        "It works well, a 4.", toolbox=toolbox
    )
    assert answer.notice is None
    assert toolbox.assessment_state is not None
    assert assessment.answers(toolbox.assessment_state) == {"technology_fit": 4}


def test_other_errors_surface(indexed_settings: Settings, framework: Framework, retriever: Retriever) -> None:
    model = ScriptedChatModel.of(ValueError("a bug, not a provider failure"))
    with pytest.raises(ValueError, match="a bug"):
        assistant_with(indexed_settings, framework, retriever, model).ask("What is HD Vision?")


def test_input_limits(indexed_settings: Settings, framework: Framework, retriever: Retriever) -> None:
    small = dataclasses.replace(indexed_settings, max_question_chars=40)
    assistant = assistant_with(small, framework, retriever, None)
    with pytest.raises(InputLimitError, match="empty"):
        assistant.ask("   ")
    with pytest.raises(InputLimitError, match="the limit is 40"):
        assistant.ask("x" * 41)


def test_history_numbers_are_the_users_own(
    indexed_settings: Settings, framework: Framework, retriever: Retriever
) -> None:
    model = ScriptedChatModel.of("You said 12 regions, and only two are live.")
    history = [("user", "We run in 12 regions."), ("assistant", "Noted.")]
    answer = assistant_with(indexed_settings, framework, retriever, model).ask("What now?", history)
    assert "12 regions" in answer.answer and answer.notice is None


def test_from_settings_indexes_when_missing_and_degrades_to_offline(tmp_path: Path) -> None:
    settings = Settings(
        knowledge_dir=Path(__file__).resolve().parents[1] / "knowledge",
        data_dir=tmp_path,
        model="openai:gpt-4o-mini",  # no OPENAI_API_KEY: cannot be set up
    )
    assistant = Assistant.from_settings(settings)
    assert assistant.mode == "offline"
    assert "OPENAI_API_KEY" in assistant.mode_reason
    answer = assistant.ask("What is the Zoom Level Problem?")
    assert answer.notice is not None and "OPENAI_API_KEY" in answer.notice
    assert answer.citations


# --- the real openai SDK over real HTTP, against the scripted OpenAI-protocol server -----------------------


def http_assistant(indexed_settings: Settings, server: ScriptedOpenAIServer) -> Assistant:
    settings = dataclasses.replace(
        indexed_settings,
        model="openai:gpt-test",
        openai_api_key="sk-test",
        openai_base_url=server.base_url,
        max_retries=0,
        request_timeout=10.0,
    )
    return Assistant.from_settings(settings)


def test_over_http_the_agent_calls_tools_and_the_guards_run(
    indexed_settings: Settings, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(
        ToolCalls([("search_framework", {"query": "governance vacuum at scale"})]),
        Text("Nobody owns the AI once it leaves the pilot [1]. Your governance score is 99 out of 100."),
    )
    assistant = http_assistant(indexed_settings, openai_server)
    assert assistant.mode == "openai:gpt-test"
    answer = assistant.ask("Why does nobody own our AI after the pilot?")
    # The story's deterministic reading rides along (here: the interview's first question after the text).
    assert answer.answer.startswith("Nobody owns the AI once it leaves the pilot [1].")
    assert "99" not in answer.answer
    assert answer.citations[0].id.startswith("governance-vacuum#")
    assert answer.notice is not None and "1 sentence was removed" in answer.notice
    first, second = (r.body for r in openai_server.chat_requests())
    assert first["tool_choice"] == "auto" and first["max_completion_tokens"] == indexed_settings.max_tokens
    # The grounding (the story reading and its reasons' passages) is the first tool round the model sees.
    grounding = first["messages"][2]
    assert grounding["role"] == "assistant" and grounding["tool_calls"][0]["function"]["name"] == "read_story"
    assert [m["role"] for m in first["messages"][3:]] == ["tool"] * len(grounding["tool_calls"])
    assert not openai_server.probe_requests()  # OpenAI itself is not checked
    assert {t["function"]["name"] for t in second["tools"]} == {
        "search_framework",
        "read_story",
        "explain_stall_reason",
        "list_archetypes",
        "describe_archetype",
        "score_assessment",
        "what_if",
        "next_assessment_question",
        "record_assessment_answer",
    }
    assert second["messages"][0]["role"] == "system"
    assert second["messages"][-1]["role"] == "tool" and '<passage n="1"' in second["messages"][-1]["content"]


@pytest.mark.parametrize(
    ("reply", "mode", "says"),
    [
        (Status(500, {"error": {"message": "boom"}}), "offline (fallback: server)", "failed"),
        (
            Status(401, {"error": {"message": "bad key", "code": "invalid_api_key"}}),
            "offline (fallback: auth)",
            "check OPENAI_API_KEY",
        ),
        (
            Status(404, {"error": {"message": "no such model", "code": "model_not_found"}}),
            "offline (fallback: not_found)",
            "check KEYSMITH_MODEL",
        ),
    ],
)
def test_over_http_a_failing_server_falls_back(
    indexed_settings: Settings, openai_server: ScriptedOpenAIServer, reply: Status, mode: str, says: str
) -> None:
    openai_server.reply(reply)
    answer = http_assistant(indexed_settings, openai_server).ask("What is HD Vision?")
    assert answer.mode == mode
    assert answer.notice is not None and says in answer.notice
    assert answer.citations and answer.citations[0].id.startswith("hd-vision#")


def test_over_http_a_cut_stream_is_marked_incomplete(
    indexed_settings: Settings, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(Cut("HD Vision means mapping every variable"))
    answer = http_assistant(indexed_settings, openai_server).ask("What is HD Vision?")
    assert answer.incomplete and answer.mode == "offline (fallback: stream_cut)"
    assert answer.answer.startswith("HD Vision means mapping every variable …")
