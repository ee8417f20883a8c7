"""`extract_answer`: the model reads a free-text answer through one forced tool call, checked by us.

The scripted fake model is passed in for the edge cases; one extraction runs the real `openai` SDK over
real HTTP against the scripted OpenAI-protocol server; `keysmith assess` asks before recording a reading.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pytest
from fakes import ScriptedChatModel, call_tool, say
from openai_server import ScriptedOpenAIServer, ToolCalls

from keysmith import assessment as machine
from keysmith.assessment import Question
from keysmith.cli.assess import ask_all
from keysmith.cli.assess import run as assess_run
from keysmith.config import Settings
from keysmith.extraction import TOOL_NAME, extract_answer
from keysmith.framework import load_framework
from keysmith.models import load_chat_model

TEXT = "Honestly the sponsor shows up once a quarter and nobody chases the numbers."


@pytest.fixture(scope="module")
def question() -> Question:
    state = machine.start(load_framework(Settings.from_env({"KEYSMITH_MODEL": "offline"}).framework_dir))
    current = machine.current_question(state)
    assert current is not None
    return current


def test_a_good_reading_quotes_the_users_words(question: Question) -> None:
    model = ScriptedChatModel.of(
        call_tool(TOOL_NAME, {"value": 2, "dont_know": False, "evidence": "shows up once a quarter"})
    )
    result = extract_answer(model, question, TEXT)
    assert (result.value, result.dont_know, result.understood) == (2, False, True)
    assert result.quote == "shows up once a quarter"
    (prompt,) = [m.content for m in model.seen[0]]
    assert f"<answer>\n{TEXT}\n</answer>" in str(prompt)
    assert question.anchor_1 in str(prompt) and question.anchor_5 in str(prompt)
    assert [t.__name__ for t in model.bound_tools] == ["RecordReading"]


def test_evidence_the_user_never_wrote_is_replaced_by_their_text(question: Question) -> None:
    model = ScriptedChatModel.of(call_tool(TOOL_NAME, {"value": 2, "dont_know": False, "evidence": "weak"}))
    assert extract_answer(model, question, TEXT).quote == TEXT


def test_dont_know_is_read(question: Question) -> None:
    model = ScriptedChatModel.of(call_tool(TOOL_NAME, {"value": None, "dont_know": True, "evidence": "x"}))
    result = extract_answer(model, question, "I have never looked at that at all")
    assert (result.value, result.dont_know, result.understood) == (None, True, True)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ({"value": 7, "dont_know": False, "evidence": "x"}, "less than or equal to 5"),
        ({"value": "2", "dont_know": False, "evidence": "x"}, "valid integer"),
        ({"value": 3, "dont_know": True, "evidence": "x"}, "ambiguous"),
        ({"value": None, "dont_know": False, "evidence": ""}, "could not read a rating"),
        ({"value": 3, "dont_know": False, "evidence": "x", "score": 90}, "score"),
    ],
)
def test_unusable_readings_are_not_understood(
    question: Question, args: dict[str, object], reason: str
) -> None:
    result = extract_answer(ScriptedChatModel.of(call_tool(TOOL_NAME, args)), question, TEXT)
    assert not result.understood and result.value is None
    assert reason in result.message and "1 (very weak)" in result.message


def test_no_tool_call_is_not_understood(question: Question) -> None:
    result = extract_answer(ScriptedChatModel.of(say("I think it is a 2.")), question, TEXT)
    assert not result.understood
    assert f"did not call {TOOL_NAME}" in result.message


def test_a_provider_error_falls_back_to_the_offline_parser(question: Question) -> None:
    error = openai.APIConnectionError(request=httpx.Request("POST", "http://127.0.0.1:9/v1"))
    understood = extract_answer(ScriptedChatModel.of(error), question, "pretty weak")
    assert (understood.value, understood.understood) == (2, True)
    assert "read offline instead" in understood.message and "could not be reached" in understood.message
    unread = extract_answer(ScriptedChatModel.of(error), question, TEXT)
    assert not unread.understood and "read offline instead" in unread.message


def test_a_bug_is_not_hidden_as_a_provider_error(question: Question) -> None:
    with pytest.raises(KeyError):
        extract_answer(ScriptedChatModel.of(KeyError("bug")), question, TEXT)


def test_real_sdk_over_http_forces_the_tool(question: Question, openai_server: ScriptedOpenAIServer) -> None:
    openai_server.reply(
        ToolCalls([(TOOL_NAME, {"value": 4, "dont_know": False, "evidence": "nobody chases the numbers"})])
    )
    spec = f"openai-compatible:test-model@{openai_server.base_url}"
    settings = Settings.from_env({"KEYSMITH_MODEL": spec, "KEYSMITH_MAX_RETRIES": "0"})
    result = extract_answer(load_chat_model(spec, settings), question, TEXT, spec)
    assert (result.value, result.understood, result.quote) == (4, True, "nobody chases the numbers")
    (request,) = openai_server.chat_requests()
    body = request.body
    assert body["tool_choice"] == {"type": "function", "function": {"name": TOOL_NAME}}
    assert [t["function"]["name"] for t in body["tools"]] == [TOOL_NAME]


def _terminal(lines: list[str]) -> tuple[Callable[[str], str], list[str]]:
    """A `read` that plays `lines` (EOFError after them) and the list `write` appends to."""
    queue, out = list(lines), []

    def read(prompt: str) -> str:
        out.append(prompt)
        if not queue:
            raise EOFError
        return queue.pop(0)

    return read, out


def test_assess_records_the_models_reading_only_when_confirmed(tmp_path: Path) -> None:
    framework = load_framework(Settings.from_env({"KEYSMITH_MODEL": "offline"}).framework_dir)
    model = ScriptedChatModel.of(
        call_tool(TOOL_NAME, {"value": 2, "dont_know": False, "evidence": "once a quarter"}),
        call_tool(TOOL_NAME, {"value": 3, "dont_know": False, "evidence": "once a quarter"}),
    )
    read, out = _terminal([TEXT, "n", TEXT, "", "pretty weak"])
    state, done = ask_all(
        machine.start(framework),
        tmp_path / "progress.json",
        read,
        out.append,
        lambda question, text: extract_answer(model, question, text),
    )
    assert not done and model.calls == 2  # "pretty weak" is read offline, without the model
    assert 'I read that as 2 (weak) because you said "once a quarter". Record 2? [Y/n] ' in out
    assert "Not recorded: answer again." in out
    first, second = (v.id for v in framework.variables[:2])
    assert machine.answers(state) == {first: 3, second: 2}
    assert state.notes[first] == TEXT


def test_assess_with_model_reads_words_over_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(ToolCalls([(TOOL_NAME, {"value": 5, "dont_know": False, "evidence": "x"})]))
    monkeypatch.setenv("KEYSMITH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KEYSMITH_MODEL", "offline")
    monkeypatch.setenv("KEYSMITH_MAX_RETRIES", "0")
    spec = f"openai-compatible:test-model@{openai_server.base_url}"
    args = argparse.Namespace(progress=None, restart=False, answers_out=None, model=spec)
    read, out = _terminal([TEXT, "y"])
    assert assess_run(args, read, out.append) == 0
    assert f'I read that as 5 (very strong) because you said "{TEXT}". Record 5? [Y/n] ' in out
    assert any(line.startswith("Recorded ") and "as 5 (very strong)" in line for line in out)
    assert len(openai_server.chat_requests()) == 1


@pytest.mark.parametrize(
    ("text", "value", "certain"),
    [
        ("it mostly works but the outputs need checking on about a third of cases", 4, False),
        ("we have a pretty solid data platform these days", 4, False),
        ("good, though patchy in places", None, True),  # two readings: not understood at all
        ("pretty weak", 2, True),
        ("4, but only in two regions", 4, True),  # a number is the user's own rating
        ("no idea", None, True),
    ],
)
def test_the_offline_reader_says_when_its_reading_needs_confirming(
    text: str, value: int | None, certain: bool
) -> None:
    from keysmith.extraction import UNSURE_NOTICE, offline_reading

    parsed = machine.parse_answer(text)
    assert (parsed.value, parsed.certain) == (value, certain)
    reading = offline_reading(parsed)
    assert reading.value == value
    assert (reading.message == UNSURE_NOTICE) is (parsed.understood and not certain)


DEPOTS = "the depots each have their own data formats and someone cleans it by hand every morning"


def _levels(variable_id: str) -> dict[int, str]:
    variable = load_framework(Settings.from_env({"KEYSMITH_MODEL": "offline"}).framework_dir).variable(
        variable_id
    )
    return {1: variable.anchor_1, 5: variable.anchor_5}


@pytest.mark.parametrize(
    ("variable_id", "text", "value", "described"),
    [
        ("data_infrastructure", DEPOTS, 1, "The pilot's data was cleaned and prepared by hand"),
        ("data_infrastructure", "someone prepares the data by hand", 1, "prepared by hand"),
        ("data_infrastructure", "every site keeps its data in a different format", 1, "different formats"),
        ("data_infrastructure", "automated pipelines from every source, with quality checks", 5, "Automated"),
        ("governance", "no owner", 1, "No named owner"),
        ("governance", "there is a named owner and written rules", 5, "A named owner"),
        ("technology_fit", "the outputs are often wrong and people redo them", 1, "often wrong"),
    ],
)
def test_a_descriptive_answer_is_read_unsure_by_the_level_it_echoes(
    variable_id: str, text: str, value: int, described: str
) -> None:
    from keysmith.extraction import DESCRIBED_NOTICE, offline_reading, reading_text

    assert not machine.parse_answer(text).understood  # no number or quality word reads it
    parsed = machine.parse_answer(text, _levels(variable_id))
    assert (parsed.value, parsed.understood, parsed.certain) == (value, True, False)
    assert described in parsed.described
    reading = offline_reading(parsed)
    assert reading.message == DESCRIBED_NOTICE
    assert reading_text(reading).startswith(f"I read that as {value} (")
    assert f'because it matches "{parsed.described}".' in reading_text(reading)


@pytest.mark.parametrize(
    ("variable_id", "text"),
    [
        ("governance", "banana"),
        ("governance", "no banana"),
        ("governance", "owner"),
        ("data_infrastructure", "banana"),
        ("data_infrastructure", "we have data"),
        ("data_infrastructure", "data quality is a problem"),  # echoes 5's words but says the opposite
        ("technology_fit", "the canteen serves lunch at noon"),
    ],
)
def test_unrelated_text_is_not_read_by_the_level_descriptions(variable_id: str, text: str) -> None:
    parsed = machine.parse_answer(text, _levels(variable_id))
    assert (parsed.understood, parsed.value) == (False, None)
    assert "could not read" in parsed.message


def test_assess_offline_confirms_a_descriptive_answer_before_recording_it(tmp_path: Path) -> None:
    framework = load_framework(Settings.from_env({"KEYSMITH_MODEL": "offline"}).framework_dir)
    state = machine.go_to(machine.start(framework), "governance")
    read, out = _terminal(["no owner", "y", "banana"])
    state, done = ask_all(state, tmp_path / "progress.json", read, out.append)
    assert not done and machine.answers(state)["governance"] == 1
    assert 'I read that as 1 (very weak) because it matches "No named owner". Record 1? [Y/n] ' in out
    assert any("could not read" in line for line in out)  # "banana" on the next question
