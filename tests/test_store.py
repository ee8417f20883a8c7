"""The store suite, run on SQLite (a temp file) and on a real PostgreSQL (tests/postgres.py starts one)."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postgres import postgres_server_url, postgres_url  # noqa: F401  (fixtures)
from sqlalchemy import inspect, text

from keysmith.config import Settings
from keysmith.errors import NotFoundError, StoreError
from keysmith.store import DEFAULT_WORKSPACE_NAME, Store

LC_SECRET = {"lc": 1, "type": "secret", "id": ["OPENAI_API_KEY"]}
CITATION = {
    "id": "governance-vacuum#oversight",
    "source": "knowledge/governance-vacuum.md",
    "heading": "G > O",
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'keysmith.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    opened = Store(url)
    yield opened
    opened.close()


@pytest.fixture
def ws(store: Store) -> str:
    return store.default_workspace().id


# -- workspaces -------------------------------------------------------------------------------------------


def test_default_workspace_is_created_once(store: Store) -> None:
    first, again = store.default_workspace(), store.default_workspace()
    assert first == again
    assert (first.name, first.is_default) == (DEFAULT_WORKSPACE_NAME, True)
    assert first.created.tzinfo is UTC
    assert len(first.id) == 32 and int(first.id, 16) >= 0


def test_workspaces_create_rename_list_delete(store: Store) -> None:
    default = store.default_workspace()
    beta, alpha = store.create_workspace("beta client"), store.create_workspace("  Alpha GmbH ")
    assert alpha.name == "Alpha GmbH"
    assert [w.name for w in store.list_workspaces()] == [DEFAULT_WORKSPACE_NAME, "Alpha GmbH", "beta client"]
    assert store.rename_workspace(beta.id, "Zeta").name == "Zeta"
    assert store.get_workspace(beta.id).name == "Zeta"
    store.delete_workspace(alpha.id)
    assert [w.id for w in store.list_workspaces()] == [default.id, beta.id]
    with pytest.raises(StoreError, match=f"workspace '{alpha.id}' not found"):
        store.get_workspace(alpha.id)


def test_default_workspace_cannot_be_deleted(store: Store, ws: str) -> None:
    with pytest.raises(StoreError, match="default workspace and cannot be deleted"):
        store.delete_workspace(ws)


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_bad_workspace_name_is_refused(store: Store, name: str) -> None:
    with pytest.raises(StoreError, match=r"workspace name: expected 1\.\.200 characters"):
        store.create_workspace(name)


def test_a_second_workspace_with_the_same_name_is_refused(store: Store) -> None:
    first = store.create_workspace("Northway Freight")
    for again in ("Northway Freight", "  northway freight ", "NORTHWAY  Freight"):
        with pytest.raises(StoreError, match='a workspace named "Northway Freight" already exists'):
            store.create_workspace(again)
    other = store.create_workspace("Northway Logistics")
    with pytest.raises(StoreError, match='a workspace named "Northway Freight" already exists'):
        store.rename_workspace(other.id, "northway freight")
    assert store.rename_workspace(first.id, "Northway freight").name == "Northway freight"  # its own name
    assert [w.name for w in store.list_workspaces() if w.name.startswith("Northway")] == [
        "Northway freight",
        "Northway Logistics",
    ]


def test_deleting_a_workspace_deletes_everything_in_it(store: Store, ws: str) -> None:
    client = store.create_workspace("client").id
    session = store.create_session(client, "coach", "kick-off")
    message = store.add_message(client, session.id, "assistant", "answer")
    store.add_feedback(client, session.id, message.id, "up")
    store.save_assessment(client, session.id, {"answers": {}})
    store.save_draft(client, "memo", "body")
    store.add_note(client, "note")
    store.add_document(client, "brief.pdf", 10, 2)
    store.delete_workspace(client)
    # NotFoundError, not any StoreError: `keysmith report` then tries the id as a workspace, and must not
    # do so when the database itself failed.
    with pytest.raises(NotFoundError, match="not found"):
        store.find_session(session.id)
    assert store.list_feedback() == []
    for lister in (store.list_sessions, store.list_assessments, store.list_drafts, store.list_notes):
        assert lister(client) == []
    assert store.list_documents(client) == []


# -- sessions and messages --------------------------------------------------------------------------------


def test_sessions_list_most_recently_active_first(store: Store, ws: str) -> None:
    older = store.create_session(ws, "diagnose", "older")
    newer = store.create_session(ws, "assessment", "newer")
    assert [s.id for s in store.list_sessions(ws)] == [newer.id, older.id]
    store.add_message(ws, older.id, "user", "back to this one")
    assert [s.id for s in store.list_sessions(ws)] == [older.id, newer.id]
    assert [s.id for s in store.list_sessions(ws, mode="assessment")] == [newer.id]
    assert store.get_session(ws, older.id).updated > older.updated


def test_session_rename_delete_and_find(store: Store, ws: str) -> None:
    session = store.create_session(ws, "diagnose")
    assert store.rename_session(ws, session.id, "Invoice AI").title == "Invoice AI"
    assert store.find_session(session.id).workspace_id == ws
    store.add_message(ws, session.id, "user", "q")
    store.delete_session(ws, session.id)
    assert store.list_sessions(ws) == []
    with pytest.raises(StoreError, match=f"session '{session.id}' not found"):
        store.list_messages(ws, session.id)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda s, w: s.create_session(w, "chat"),
            "mode: expected one of diagnose, assessment, coach, got 'chat'",
        ),
        (lambda s, w: s.create_session("nope", "diagnose"), "workspace 'nope' not found"),
        (lambda s, w: s.list_sessions(w, mode="x"), "mode: expected one of"),
    ],
)
def test_bad_session_values_name_the_value(store: Store, ws: str, call: Any, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        call(store, ws)


def test_messages_round_trip_in_order(store: Store, ws: str) -> None:
    session = store.create_session(ws, "diagnose", "q")
    store.add_message(ws, session.id, "user", "Why did it stall?")
    calls = [{"name": "score", "args": {"answers": {"governance": 2}}, "ok": True, "output": {"score": 41.5}}]
    answer = store.add_message(
        ws, session.id, "assistant", "Governance [1]", citations=[CITATION], tool_calls=calls, mode="offline"
    )
    partial = store.add_message(ws, session.id, "assistant", "half an answ", incomplete=True, mode="openai:x")
    listed = store.list_messages(ws, session.id)
    assert [m.id for m in listed][1:] == [answer.id, partial.id]
    assert [m.role for m in listed] == ["user", "assistant", "assistant"]
    assert listed[1].citations == [CITATION] and listed[1].tool_calls == calls and listed[1].mode == "offline"
    assert (listed[2].incomplete, listed[0].incomplete) == (True, False)
    assert listed[0].citations == [] and listed[0].tool_calls == []


def test_an_answers_notice_and_follow_ups_are_stored_with_it(store: Store, ws: str) -> None:
    session = store.create_session(ws, "diagnose", "q")
    follow_ups = ["Start the self-assessment", "Why do the weights change?"]
    notice = "Answered offline because the language model timed out."
    store.add_message(ws, session.id, "user", "Why?")
    store.add_message(ws, session.id, "assistant", "A [1]", notice=notice, follow_ups=follow_ups)
    user, answer = store.list_messages(ws, session.id)
    assert (answer.notice, answer.follow_ups) == (notice, tuple(follow_ups))
    assert (user.notice, user.follow_ups) == ("", ())
    with pytest.raises(StoreError, match="follow_ups: expected text, got int"):
        store.add_message(ws, session.id, "assistant", "B", follow_ups=[3])  # type: ignore[list-item]


def test_langchain_secret_shaped_json_stays_plain_data(store: Store, ws: str) -> None:
    session = store.create_session(ws, "diagnose")
    store.add_message(
        ws, session.id, "assistant", json.dumps(LC_SECRET), citations=[LC_SECRET], tool_calls=[LC_SECRET]
    )
    store.save_assessment(ws, session.id, {"answers": {}, "note": LC_SECRET}, {"x": LC_SECRET})
    reopened = Store(store_url(store))
    try:
        message = reopened.list_messages(ws, session.id)[0]
        assessment = reopened.session_assessment(ws, session.id)
    finally:
        reopened.close()
    assert message.citations == [LC_SECRET] and type(message.citations[0]) is dict
    assert message.tool_calls == [LC_SECRET]
    assert json.loads(message.content) == LC_SECRET
    assert (
        assessment is not None
        and assessment.state["note"] == LC_SECRET
        and assessment.report == {"x": LC_SECRET}
    )


def store_url(store: Store) -> str:
    """The store's URL with its password (tests only)."""
    return store._engine.url.render_as_string(hide_password=False)


UNICODE_CASES = [
    "\u202eevil\u202c \u200f\u05e9\u05dc\u05d5\u05dd\u200e",  # RTL override and marks, Hebrew
    "emoji 🧭🔑👩🏽‍💻 and flags 🇩🇪",
    "controls \x01\x07\x1b[31m\x7f tab\t newline\n cr\r",
    "combining e\u0301 and zero-width\u200b joiner\u200d",
    "𝕂𝕖𝕪𝕤𝕞𝕚𝕥𝕙 CJK 鍵匠",
]


@pytest.mark.parametrize("text", UNICODE_CASES)
def test_unicode_round_trips_unchanged(store: Store, ws: str, text: str) -> None:
    session = store.create_session(ws, "diagnose", text)
    store.add_message(ws, session.id, "user", text, citations=[{"heading": text, text: [text]}])
    message = store.list_messages(ws, session.id)[0]
    assert (message.content, message.citations) == (text, [{"heading": text, text: [text]}])
    assert store.get_session(ws, session.id).title == text


def test_nul_is_stripped_and_lone_surrogates_replaced_on_every_backend(store: Store, ws: str) -> None:
    session = store.create_session(ws, "diagnose", "a\x00b")
    store.add_message(ws, session.id, "user", "pasted\x00text \ud800!", citations=[{"k\x00": "v\x00\udfff"}])
    message = store.list_messages(ws, session.id)[0]
    assert message.content == "pastedtext \ufffd!"
    assert message.citations == [{"k": "v\ufffd"}]
    assert store.get_session(ws, session.id).title == "ab"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_any_text_round_trips_except_nul(store: Store, ws: str, text: str) -> None:
    session = store.create_session(ws, "diagnose")
    stored = store.add_message(ws, session.id, "user", text)
    assert store.list_messages(ws, session.id)[0].content == stored.content == text.replace("\x00", "")


@pytest.mark.parametrize("bad", [{1, 2}, {"x": float("nan")}, [object()]])
def test_non_json_values_are_refused(store: Store, ws: str, bad: Any) -> None:
    session = store.create_session(ws, "diagnose")
    with pytest.raises(StoreError, match="citations: expected plain JSON data"):
        store.add_message(ws, session.id, "assistant", "x", citations=bad)


# -- assessments, drafts, notes, documents ----------------------------------------------------------------


def test_assessment_is_one_per_session_and_updates_in_place(store: Store, ws: str) -> None:
    session = store.create_session(ws, "assessment")
    assert store.session_assessment(ws, session.id) is None
    first = store.save_assessment(ws, session.id, {"answers": {"governance": None}})
    report = {"formula_version": "1", "profiles": {"pilot": {"score": 72.5}}}
    second = store.save_assessment(
        ws, session.id, {"answers": {"governance": 2}}, report, model_used="offline"
    )
    assert second.id == first.id and second.created == first.created and second.updated > first.updated
    assert store.get_assessment(ws, first.id) == second
    assert (second.state, second.report, second.model_used) == (
        {"answers": {"governance": 2}},
        report,
        "offline",
    )
    other = store.create_session(ws, "assessment")
    newest = store.save_assessment(ws, other.id, {"answers": {}})
    assert [a.id for a in store.list_assessments(ws)] == [newest.id, first.id]


def test_draft_approval_and_editing(store: Store, ws: str) -> None:
    draft = store.save_draft(ws, "memo", "Dear client", title="Advice", sources=[CITATION])
    assert (draft.status, draft.approved_at, draft.approved) == ("draft", None, False)
    approved = store.approve_draft(ws, draft.id)
    assert approved.approved and approved.approved_at is not None and approved.approved_at >= draft.created
    assert approved.approved_at.tzinfo is UTC
    same = store.save_draft(ws, "memo", "Dear client", draft_id=draft.id, title="Advice")
    assert same.approved and same.sources == [CITATION]
    edited = store.save_draft(ws, "email", "Dear client, edited", draft_id=draft.id)
    assert (edited.status, edited.approved_at, edited.kind) == ("draft", None, "email")
    assert store.get_draft(ws, draft.id) == edited
    later = store.save_draft(ws, "email", "second")
    assert [d.id for d in store.list_drafts(ws)] == [later.id, draft.id]
    store.delete_draft(ws, later.id)
    assert [d.id for d in store.list_drafts(ws)] == [draft.id]
    with pytest.raises(StoreError, match="kind: expected one of memo, email, got 'letter'"):
        store.save_draft(ws, "letter", "x")


def test_notes_and_documents(store: Store, ws: str) -> None:
    first, second = store.add_note(ws, "met the CFO"), store.add_note(ws, "data team is two people")
    assert [n.body for n in store.list_notes(ws)] == [first.body, second.body]
    store.delete_note(ws, first.id)
    assert store.list_notes(ws) == [second]
    doc = store.add_document(ws, "rollout plan.docx", 12345, 7)
    assert store.list_documents(ws) == [doc] and (doc.size, doc.chunks) == (12345, 7)
    assert store.delete_document(ws, doc.id) == doc
    assert store.list_documents(ws) == []


# -- feedback ---------------------------------------------------------------------------------------------


def _feedback_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_feedback_is_stored_and_exported_as_csv(store: Store, ws: str) -> None:
    session = store.create_session(ws, "diagnose")
    good = store.add_message(
        ws, session.id, "assistant", "Plain answer, with a comma\nand a line", mode="offline"
    )
    bad = store.add_message(ws, session.id, "assistant", '=HYPERLINK("http://x")', mode="openai:gpt-4o-mini")
    store.add_feedback(ws, session.id, good.id, "up")
    store.add_feedback(ws, session.id, bad.id, "down", "  +cmd|' /C calc'!A0 ")
    rows = _feedback_rows(store.export_feedback_csv())
    assert [r["rating"] for r in rows] == ["up", "down"]
    assert rows[0]["answer"] == "Plain answer, with a comma\nand a line" and rows[0]["reason"] == ""
    assert rows[1]["answer"] == '\'=HYPERLINK("http://x")'
    assert rows[1]["reason"] == "'+cmd|' /C calc'!A0"
    assert rows[1]["answer_mode"] == "openai:gpt-4o-mini" and rows[1]["message_id"] == bad.id
    assert datetime.fromisoformat(rows[0]["created"]).tzinfo is not None


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_guarded(store: Store, ws: str, start: str) -> None:
    session = store.create_session(ws, "diagnose")
    message = store.add_message(ws, session.id, "assistant", f"{start}1+1")
    store.add_feedback(ws, session.id, message.id, "down", f"{start}SUM(A1)")
    row = _feedback_rows(store.export_feedback_csv())[0]
    assert row["answer"] == f"'{start}1+1"
    # Reasons are stripped, so a leading tab/CR is gone; the visible formula starts are guarded.
    assert row["reason"] == (f"'{start}SUM(A1)" if start.strip() else "SUM(A1)")


def test_bad_feedback_is_refused(store: Store, ws: str) -> None:
    session, other = store.create_session(ws, "diagnose"), store.create_session(ws, "diagnose")
    message = store.add_message(ws, session.id, "assistant", "a")
    with pytest.raises(StoreError, match="rating: expected one of up, down, got 'meh'"):
        store.add_feedback(ws, session.id, message.id, "meh")
    with pytest.raises(StoreError, match=f"message '{message.id}' not found in session '{other.id}'"):
        store.add_feedback(ws, other.id, message.id, "up")


# -- isolation --------------------------------------------------------------------------------------------


def _fill(store: Store, workspace_id: str, canary: str) -> dict[str, str]:
    session = store.create_session(workspace_id, "coach", f"{canary} session")
    message = store.add_message(
        workspace_id, session.id, "assistant", canary, citations=[{"excerpt": canary}]
    )
    feedback = store.add_feedback(workspace_id, session.id, message.id, "down", canary)
    assessment = store.save_assessment(workspace_id, session.id, {"canary": canary}, {"canary": canary})
    draft = store.save_draft(workspace_id, "memo", canary, sources=[canary])
    note = store.add_note(workspace_id, canary)
    document = store.add_document(workspace_id, f"{canary}.pdf", 1, 1)
    return {
        "session": session.id,
        "message": message.id,
        "feedback": feedback.id,
        "assessment": assessment.id,
        "draft": draft.id,
        "note": note.id,
        "document": document.id,
    }


def _everything_visible_to(store: Store, workspace_id: str, ids: dict[str, str]) -> str:
    seen: list[Any] = [
        store.list_sessions(workspace_id),
        store.list_assessments(workspace_id),
        store.list_drafts(workspace_id),
        store.list_notes(workspace_id),
        store.list_documents(workspace_id),
        store.list_feedback(workspace_id),
        store.export_feedback_csv(workspace_id),
    ]
    for session in store.list_sessions(workspace_id):
        seen.append(store.list_messages(workspace_id, session.id))
        seen.append(store.session_assessment(workspace_id, session.id))
    return repr(seen)


def test_two_workspaces_never_see_each_others_records(store: Store) -> None:
    a, b = store.create_workspace("Client A").id, store.create_workspace("Client B").id
    ids_a, ids_b = _fill(store, a, "CANARY-AAA"), _fill(store, b, "CANARY-BBB")
    seen_by_b, seen_by_a = _everything_visible_to(store, b, ids_b), _everything_visible_to(store, a, ids_a)
    assert "CANARY-BBB" in seen_by_b and "CANARY-AAA" in seen_by_a  # the probe does see its own data
    assert "CANARY-AAA" not in seen_by_b and not any(v in seen_by_b for v in ids_a.values())
    assert "CANARY-BBB" not in seen_by_a and not any(v in seen_by_a for v in ids_b.values())


def test_another_workspaces_ids_are_not_found(store: Store) -> None:
    a, b = store.create_workspace("Client A").id, store.create_workspace("Client B").id
    ids = _fill(store, a, "CANARY-AAA")
    attempts = [
        lambda: store.get_session(b, ids["session"]),
        lambda: store.list_messages(b, ids["session"]),
        lambda: store.add_message(b, ids["session"], "user", "sneak"),
        lambda: store.session_assessment(b, ids["session"]),
        lambda: store.save_assessment(b, ids["session"], {}),
        lambda: store.get_assessment(b, ids["assessment"]),
        lambda: store.get_draft(b, ids["draft"]),
        lambda: store.approve_draft(b, ids["draft"]),
        lambda: store.save_draft(b, "memo", "overwrite", draft_id=ids["draft"]),
        lambda: store.add_feedback(b, ids["session"], ids["message"], "up"),
        lambda: store.rename_session(b, ids["session"], "x"),
        lambda: store.delete_session(b, ids["session"]),
        lambda: store.delete_draft(b, ids["draft"]),
        lambda: store.delete_note(b, ids["note"]),
        lambda: store.delete_document(b, ids["document"]),
    ]
    for attempt in attempts:
        with pytest.raises(StoreError, match="not found"):
            attempt()
    assert _everything_visible_to(store, a, ids).count("sneak") == 0
    assert store.get_draft(a, ids["draft"]).body == "CANARY-AAA"
    assert len(store.list_notes(a)) == len(store.list_documents(a)) == len(store.list_sessions(a)) == 1


# -- durability, concurrency and failures -----------------------------------------------------------------


def test_data_survives_a_restart(store: Store, ws: str) -> None:
    session = store.create_session(ws, "diagnose", "before restart")
    store.add_message(ws, session.id, "user", "still here?")
    store.close()
    reopened = Store(store_url(store))
    try:
        assert reopened.default_workspace().id == ws
        assert [m.content for m in reopened.list_messages(ws, session.id)] == ["still here?"]
    finally:
        reopened.close()


def test_concurrent_writers_all_land(store: Store, ws: str) -> None:
    session = store.create_session(ws, "diagnose")

    def write(worker: int) -> None:
        for n in range(10):
            store.add_message(ws, session.id, "user", f"{worker}-{n}")

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    contents = [m.content for m in store.list_messages(ws, session.id)]
    assert sorted(contents) == sorted(f"{w}-{n}" for w in range(4) for n in range(10))
    for worker in range(4):  # each writer's messages keep their order
        assert [c for c in contents if c.startswith(f"{worker}-")] == [f"{worker}-{n}" for n in range(10)]


def test_locked_sqlite_is_a_plain_store_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    store = Store(f"sqlite:///{path}", sqlite_busy_seconds=0.05)
    workspace = store.default_workspace().id
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="is busy \\(locked by another process\\); try again"):
            store.create_session(workspace, "diagnose")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.create_session(workspace, "diagnose").mode == "diagnose"
    store.close()


def test_unreachable_postgres_is_a_plain_store_error_without_the_password() -> None:
    with pytest.raises(
        StoreError, match="cannot use the database at postgresql\\+psycopg://kim:\\*\\*\\*@"
    ) as caught:
        Store("postgresql://kim:s3cret-pw@127.0.0.1:1/keysmith")
    assert "s3cret-pw" not in str(caught.value)


def test_unusable_sqlite_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the database folder"):
        Store(f"sqlite:///{blocker / 'sub' / 'keysmith.db'}")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot use the database at sqlite"):
        Store(f"sqlite:///{garbage}")


def test_from_settings_uses_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings.from_env({"KEYSMITH_DATA_DIR": str(tmp_path / "data")}, dotenv=tmp_path / "none")
    store = Store.from_settings(settings)
    store.default_workspace()
    store.close()
    assert store.backend == "sqlite" and (tmp_path / "data" / "keysmith.db").is_file()


# -- the PostgreSQL fixture itself: a missing server skips with a hint, or fails where it is required -------

_PROBE = """
from postgres import postgres_server_url  # noqa: F401


def test_probe(postgres_server_url):
    assert postgres_server_url
"""


@pytest.mark.parametrize(("required", "outcome"), [("", "1 skipped"), ("1", "1 error")])
def test_missing_postgres_skips_with_a_hint_or_fails_when_required(
    tmp_path: Path, required: str, outcome: str
) -> None:
    (tmp_path / "test_probe.py").write_text(_PROBE)
    env = {
        **os.environ,
        "KEYSMITH_PG_BIN": str(tmp_path / "no-postgres-here"),
        "KEYSMITH_REQUIRE_POSTGRES": required,
        "KEYSMITH_TEST_DATABASE_URL": "",
        "PYTHONPATH": str(Path(__file__).resolve().parent),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert outcome in result.stdout, result.stdout
    assert (result.returncode != 0) == (required == "1")
    assert "apt-get install postgresql" in result.stdout


def test_a_database_from_before_the_extras_column_is_upgraded_in_place(url: str) -> None:
    old = Store(url)
    ws = old.default_workspace().id
    session = old.create_session(ws, "diagnose", "old session")
    old.add_message(ws, session.id, "user", "asked before the upgrade")
    engine = old._engine
    with engine.begin() as db:  # what an older Keysmith created: no `extras` column
        db.execute(text("ALTER TABLE messages DROP COLUMN extras"))
    old.close()
    upgraded = Store(url)
    try:
        (kept,) = upgraded.list_messages(ws, session.id)
        assert (kept.content, kept.notice, kept.follow_ups) == ("asked before the upgrade", "", ())
        upgraded.add_message(ws, session.id, "assistant", "new", follow_ups=["Next?"])
        assert upgraded.list_messages(ws, session.id)[1].follow_ups == ("Next?",)
        columns = {c["name"] for c in inspect(upgraded._engine).get_columns("messages")}
        assert "extras" in columns
    finally:
        upgraded.close()
