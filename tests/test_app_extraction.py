"""Self-assessment with a language model: words the offline parser cannot read are read by the model,
shown back for confirmation, and recorded only on "Confirm" ("Change" puts the words back in the box).

Real components as in test_app.py (indexed knowledge in a temporary data dir, real SQLite), with the model
an openai-compatible spec pointed at the scripted OpenAI-protocol server, driven by the real openai SDK.
"""

from __future__ import annotations

from pathlib import Path

from app_support import click, new_client, open_app
from openai_server import ScriptedOpenAIServer, ToolCalls
from streamlit.testing.v1 import AppTest

from keysmith import assessment as machine
from keysmith.assessment import AssessmentState
from keysmith.config import Settings
from keysmith.extraction import TOOL_NAME
from keysmith.framework import load_framework
from keysmith.store import Store

WORDS = "The sponsor turns up once a quarter and nobody chases the numbers"
BOX = "Or answer in your own words"


def _assessment(name: str) -> AppTest:
    at = new_client(open_app(), name)
    at.segmented_control(key="mode").set_value("Self-assessment").run()
    assert not at.exception, at.exception
    return at


def _say(at: AppTest, words: str) -> None:
    next(t for t in at.text_input if t.label == BOX).set_value(words)
    click(at, "Answer")


def _reading(value: int, evidence: str) -> ToolCalls:
    return ToolCalls([(TOOL_NAME, {"value": value, "dont_know": False, "evidence": evidence})])


def test_the_models_reading_is_confirmed_before_it_is_recorded(
    model_app_env: Path, openai_server: ScriptedOpenAIServer
) -> None:
    framework = load_framework(Settings.from_env().framework_dir)
    openai_server.reply(_reading(3, "once a quarter"), _reading(2, "nobody chases the numbers"))
    at = _assessment("Extraction client")
    first = at.subheader[0].value
    _say(at, WORDS)
    assert [i.value for i in at.info] == [
        'I read that as 3 (partly there) because you said "once a quarter".'
    ]
    assert at.subheader[0].value == first and "0 answered" in at.get("progress")[0].proto.text
    store = Store(f"sqlite:///{model_app_env / 'keysmith.db'}")
    ws = next(w for w in store.list_workspaces() if w.name == "Extraction client")
    assert store.list_assessments(ws.id) == []  # nothing recorded before Confirm

    click(at, "Change")  # the words come back to edit, the reading is dropped
    assert next(t for t in at.text_input if t.label == BOX).value == WORDS
    assert not at.info
    _say(at, WORDS)
    click(at, "Confirm")
    assert at.subheader[0].value != first and "1 answered" in at.get("progress")[0].proto.text
    assert any("as 2 (weak)" in s.value for s in at.success)
    (saved,) = store.list_assessments(ws.id)
    state = AssessmentState.from_dict(saved.state, framework)
    assert machine.answers(state) == {framework.variables[0].id: 2}
    assert state.notes[framework.variables[0].id] == WORDS  # the user's words are kept as the note
    assert len(openai_server.chat_requests()) == 2


def test_words_the_offline_parser_reads_never_reach_the_model(
    model_app_env: Path, openai_server: ScriptedOpenAIServer
) -> None:
    at = _assessment("Offline words client")
    _say(at, "pretty weak")
    assert any("Recorded" in s.value for s in at.success)
    assert not at.info and openai_server.chat_requests() == []


def test_an_unusable_reading_is_not_recorded_and_says_why(
    model_app_env: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(_reading(7, "x"))
    at = _assessment("Bad reading client")
    first = at.subheader[0].value
    _say(at, WORDS)
    assert at.subheader[0].value == first and not at.info
    assert any("less than or equal to 5" in w.value for w in at.warning)


UNSURE = "it mostly works but the outputs need checking on about a third of cases"


def _first_variable_answers(data_dir: Path, workspace: str) -> dict[str, int | None] | None:
    """The saved answers of `workspace`'s assessment, or None when nothing was saved."""
    framework = load_framework(Settings.from_env().framework_dir)
    store = Store(f"sqlite:///{data_dir / 'keysmith.db'}")
    ws = next(w for w in store.list_workspaces() if w.name == workspace)
    saved = store.list_assessments(ws.id)
    return machine.answers(AssessmentState.from_dict(saved[0].state, framework)) if saved else None


def test_an_unsure_offline_reading_is_shown_back_and_recorded_only_on_confirm(app_env: Path) -> None:
    at = _assessment("Unsure words client")
    first = at.subheader[0].value
    _say(at, UNSURE)
    assert [i.value for i in at.info] == ['I read that as 4 (strong) because you said "mostly".']
    assert any("rests on a few words" in c.value for c in at.caption)
    assert at.subheader[0].value == first and "0 answered" in at.get("progress")[0].proto.text
    assert _first_variable_answers(app_env, "Unsure words client") is None  # nothing before Confirm

    click(at, "Change")  # the words come back to edit
    assert next(t for t in at.text_input if t.label == BOX).value == UNSURE
    _say(at, UNSURE)
    click(at, "Confirm")
    assert at.subheader[0].value != first and "1 answered" in at.get("progress")[0].proto.text
    framework = load_framework(Settings.from_env().framework_dir)
    assert _first_variable_answers(app_env, "Unsure words client") == {framework.variables[0].id: 4}


def test_a_sure_offline_reading_is_recorded_at_once_and_the_box_emptied(app_env: Path) -> None:
    at = _assessment("Sure words client")
    _say(at, "pretty weak")
    assert not at.info and any("Recorded" in s.value for s in at.success)
    assert next(t for t in at.text_input if t.label == BOX).value == ""


def test_words_nothing_can_read_stay_in_the_box_with_a_warning(app_env: Path) -> None:
    at = _assessment("Banana client")
    first = at.subheader[0].value
    _say(at, "banana")
    assert any("could not read that" in w.value for w in at.warning)
    assert at.subheader[0].value == first
    assert next(t for t in at.text_input if t.label == BOX).value == "banana"


def test_offline_a_descriptive_answer_is_shown_back_by_the_level_it_matches(app_env: Path) -> None:
    at = _assessment("Descriptive words client")
    first = at.subheader[0].value  # Technology fit: 1 looks like "...outputs are often wrong..."
    _say(at, "the outputs are often wrong and people redo them")
    (info,) = [i.value for i in at.info]
    assert info.startswith('I read that as 1 (very weak) because it matches "Even on the pilot')
    assert at.subheader[0].value == first  # nothing recorded before Confirm
    click(at, "Confirm")
    assert at.subheader[0].value != first and "1 answered" in at.get("progress")[0].proto.text
    _say(at, "banana")
    assert not at.info and any("could not read" in w.value for w in at.warning)
