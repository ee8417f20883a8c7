"""The diagnosis interview in the app (issue 11): quick replies under the question, typed replies, the final
diagnosis saying what decided it, and "Start the self-assessment" carrying the replies over.

Offline throughout (the `app_env` fixture: the shared indexed data dir, real Chroma and SQLite, no model);
each test works in its own client workspace. The story is one whose reading is unsure, so the offline
diagnosis asks about governance first (`app_support.interview_story`); how many questions follow depends on
the reader's calibration, so the tests answer whatever further questions come.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from app_support import click, interview_story, new_client, open_app
from streamlit.testing.v1 import AppTest

from keysmith.config import Settings
from keysmith.framework import load_framework
from keysmith.store import Store
from keysmith.store.records import Message, Workspace
from keysmith.ui import interview

QUICK = ["Yes", "Partly", "No", "Not sure", interview.SKIP_LABEL]


@pytest.fixture(scope="module")
def story(app_data_dir: Path) -> str:
    """A story whose reading is unsure, so the offline diagnosis asks about governance first."""
    return interview_story(app_data_dir)


def _store(data_dir: Path) -> Store:
    return Store(f"sqlite:///{data_dir / 'keysmith.db'}")


def _workspace(store: Store, name: str) -> Workspace:
    return next(w for w in store.list_workspaces() if w.name == name)


def _messages(data_dir: Path, name: str) -> list[Message]:
    store = _store(data_dir)
    ws = _workspace(store, name)
    (session,) = store.list_sessions(ws.id, "diagnose")
    return store.list_messages(ws.id, session.id)


def _saved(message: Message) -> dict[str, Any]:
    assert message.role == "assistant" and message.diagnosis is not None, message
    return message.diagnosis


def _quick_replies(at: AppTest) -> list[str]:
    return [b.label for b in at.button if b.key and b.key.startswith("reply-")]


def _last_answer(at: AppTest) -> str:
    last = [m for m in at.chat_message if m.name == "assistant"][-1]
    return "\n".join(m.value for m in last.markdown)


def _diagnose(name: str, story: str) -> AppTest:
    """A fresh client workspace in Diagnose mode with the story posted and its first question waiting."""
    at = new_client(open_app(), name)
    at.segmented_control(key="mode").set_value("Diagnose my pilot").run()
    at.chat_input[0].set_value(story).run()
    assert not at.exception, at.exception
    assert "A quick question to narrow it down (first of up to three)" in _last_answer(at)
    return at


def test_the_quick_replies_lead_to_a_diagnosis_that_says_what_decided_it(app_env: Path, story: str) -> None:
    at = _diagnose("Interview client", story)
    assert "made responsible for the AI" in _last_answer(at)
    assert _quick_replies(at) == QUICK
    asked = _saved(_messages(app_env, "Interview client")[-1])
    assert asked["question"]["variable"] == "governance" and asked["story"] == story
    assert asked["interview"]["pending"] == asked["question"]["id"]

    # A restart: only the URL and the database remain, and the question is still waiting with its buttons.
    again = open_app(session=at.query_params["session"])
    assert again.segmented_control(key="mode").value == "Diagnose my pilot"
    assert _quick_replies(again) == QUICK
    click(again, "No")
    replies = 1
    while _quick_replies(again):  # any further question (at most three in all)
        assert "Noted: governance recorded as 2 of 5." in _last_answer(again) or replies > 1
        click(again, "Yes")
        replies += 1
    assert replies <= 3
    final = _last_answer(again)
    assert "**Governance Vacuum.**" in final
    assert "**What decided it**" in final
    assert 'You answered "No" to: Since the pilot, has someone been clearly made responsible' in final
    assert "(recorded as governance 2 of 5)" in final
    follow_ups = [b.label for b in again.button if b.key and b.key.startswith("follow-")]
    assert interview.START_ASSESSMENT in follow_ups

    stored = _messages(app_env, "Interview client")
    assert [m.content for m in stored if m.role == "user"] == [story, "No"] + ["Yes"] * (replies - 1)
    done = _saved(stored[-1])
    assert done["question"] is None and done["interview"]["pending"] is None
    assert [r["id"] for r in done["reasons"]][:1] == ["governance_vacuum"]
    assert done["interview"]["replies"][0] | {"value": 2} == done["interview"]["replies"][0]


def _typed(app_env: Path, name: str, story: str, words: str) -> dict[str, Any]:
    """Type `words` while the first question waits; returns what was saved with the answer."""
    at = _diagnose(name, story)
    at.chat_input[0].set_value(words).run()
    assert not at.exception, at.exception
    stored = _messages(app_env, name)
    assert [m.content for m in stored if m.role == "user"] == [story, words]
    return _saved(stored[-1])


def test_typed_replies_answer_the_waiting_question(app_env: Path, story: str) -> None:
    no = _typed(app_env, "Typed no", story, "no")["interview"]
    assert no["replies"][0] | {"option_id": "no", "value": 2} == no["replies"][0]
    unsure = _typed(app_env, "Typed not sure", story, "Not sure.")["interview"]
    assert unsure["replies"][0] | {"option_id": "not_sure", "value": None} == unsure["replies"][0]
    skipped = _typed(app_env, "Typed skip", story, "skip")
    assert skipped["question"] is None and skipped["interview"]["skipped"] is True
    assert skipped["reasons"][0]["id"] == "governance_vacuum"


def test_other_words_while_a_question_waits_are_a_new_question(app_env: Path, story: str) -> None:
    at = _diagnose("New question client", story)
    at.chat_input[0].set_value("What is a governance vacuum?").run()
    assert not at.exception, at.exception
    assert "Noted:" not in _last_answer(at) and "Governance Vacuum" in _last_answer(at)
    assert not _quick_replies(at)  # the old question is history now
    stored = _messages(app_env, "New question client")
    assert [m.role for m in stored] == ["user", "assistant", "user", "assistant"]
    assert stored[-1].diagnosis is None or stored[-1].diagnosis.get("question") is None


def test_start_the_self_assessment_carries_the_interviews_answers_over(app_env: Path, story: str) -> None:
    at = _diagnose("Handover client", story)
    click(at, "No")  # governance 2
    labels = iter(["Partly", "Not sure"])  # any further questions: a reading of 3, then nothing recorded
    while _quick_replies(at):
        click(at, next(labels))
    replies = _saved(_messages(app_env, "Handover client")[-1])["interview"]["replies"]
    expected = {r["variable"]: r["value"] for r in replies if r["value"] is not None}
    assert expected["governance"] == 2

    click(at, interview.START_ASSESSMENT)
    assert at.segmented_control(key="mode").value == "Self-assessment"
    assert at.header[0].value == "Self-assessment"
    progress = at.get("progress")[0].proto.text
    assert f"{len(expected)} answered" in progress, progress
    (note,) = [i.value for i in at.info if "diagnosis chat" in i.value]
    assert "from your replies in the diagnosis chat" in note and "not asked again" in note
    assert "Governance (2)" in note
    store = _store(app_env)
    (saved,) = store.list_assessments(_workspace(store, "Handover client").id)
    assert saved.state["answers"] == expected
    assert saved.state["notes"]["governance"].startswith('From the diagnosis chat: you answered "No"')
    assert at.query_params["session"] == saved.session_id
    assert _messages(app_env, "Handover client")[-1].role == "assistant"  # nothing was posted to the chat

    # The rest of the assessment never asks the chat's questions again.
    names = {v.id: v.name for v in load_framework(Settings.from_env().framework_dir).variables}
    asked = []
    while at.get("progress"):
        asked.append(at.subheader[0].value)
        at.button(key=f"answer-{_current(at)}-3").click().run()
        assert not at.exception, at.exception
    assert not {names[v] for v in expected} & set(asked)
    assert len(asked) == len(names) - len(expected)
    assert any("Assessment complete" in s.value for s in at.success)


def _current(at: AppTest) -> str:
    key = next(b.key for b in at.button if b.key and b.key.startswith("answer-") and b.key.endswith("-3"))
    return key.removeprefix("answer-").removesuffix("-3")


def test_typed_words_map_to_the_questions_options() -> None:
    options = [
        {"id": "yes", "label": "Yes", "value": 4},
        {"id": "partly", "label": "Partly", "value": 3},
        {"id": "no", "label": "No", "value": 2},
        {"id": "not_sure", "label": "Not sure", "value": None},
    ]
    waiting = interview.Pending("m1", "A story.", {"pending": "q_governance"}, {"options": options})
    said = {
        "no": "no",
        "No.": "no",
        "nope": "no",
        "partly": "partly",
        "Partially": "partly",
        "not sure": "not_sure",
        "I don't know": "not_sure",
        "Not_sure": "not_sure",
        "yes!": "yes",
        "skip": "skip",
        "Skip — give me the best reading": "skip",
    }
    assert {text: interview.typed_option(text, waiting) for text in said} == said
    others = ("", "no one owns the budget and compliance keeps blocking it", "What is a governance vacuum?")
    for other in others:
        assert interview.typed_option(other, waiting) is None
    assert interview.starts_assessment("Start the self-assessment")
    assert interview.starts_assessment("start the self assessment.")
    assert not interview.starts_assessment("How does the self-assessment work?")


def _in_order(node: Any) -> list[Any]:
    """The elements under `node`, depth first, in the order the page shows them."""
    found = []
    for child in getattr(node, "children", {}).values():
        found.append(child)
        found += _in_order(child)
    return found


def test_the_quick_replies_sit_under_the_question_above_the_sources(app_env: Path, story: str) -> None:
    """Found in a browser trial: below eight sources, the buttons showed before the question they answer
    once the chat scrolled to the bottom."""
    at = _diagnose("Order client", story)
    last = [m for m in at.chat_message if m.name == "assistant"][-1]
    kinds = [
        "reply" if getattr(e, "key", None) and str(e.key).startswith("reply-") else e.type
        for e in _in_order(last)
    ]
    assert "reply" in kinds and "expander" in kinds, sorted(set(kinds))
    assert kinds.index("reply") < kinds.index("expander")
    # The chat box's hint fits a 390 px phone (about 40 characters; a longer one was cut mid-sentence).
    assert at.chat_input[0].proto.placeholder == "Reply Yes, Partly, No, Not sure or skip…"
