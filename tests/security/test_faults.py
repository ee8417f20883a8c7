"""Faults: a vector store, a database or a model that fails mid-use gives a plain message and loses nothing.

- The Chroma server (`CHROMA_HOST`) is down: a one-line `RetrievalError` naming the server, and through the
  CLI a one-line error with exit code 2, never a traceback.
- The database is locked by another connection or unreachable: a plain `StoreError` (the password never
  in it); what was saved before is still there once the lock is gone.
- A model stream is cut mid-answer (scripted model, and the real SDK over HTTP): the partial text is kept, the
  answer is marked incomplete, the conversation is stored with the question and an incomplete answer.
- A model timeout: a plain notice and the offline answer.
- Secrets: a canary API key rejected with 401 never appears in the answer, the notice, the logs or the CLI's
  output.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest
from cli_support import run_cli
from fakes import CutStream, ScriptedChatModel, call_tool
from openai_server import Cut, ScriptedOpenAIServer, Stall, Status
from processes import free_port

from keysmith.assistant import Assistant
from keysmith.config import Settings
from keysmith.errors import RetrievalError, StoreError
from keysmith.framework import Framework
from keysmith.retrieval import Retriever, open_retriever
from keysmith.store import Store
from security.support import ROOT

KEY_CANARY = "sk-KSCANARY-secret-0123456789abcdef"
REJECTED = Status(401, {"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}})


def _one_plain_line(message: str) -> None:
    assert message and "\n" not in message.strip() and "Traceback" not in message


# --- the vector store -----------------------------------------------------------------------------


def test_chroma_server_down_is_one_plain_retrieval_error(private_settings: Settings) -> None:
    down = dataclasses.replace(private_settings, chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(RetrievalError) as raised:
        open_retriever(down).search("governance owner")
    _one_plain_line(str(raised.value))
    assert f"127.0.0.1:{down.chroma_port}" in str(raised.value) and "chroma run" in str(raised.value)


def test_cli_with_chroma_down_says_so_in_one_line(private_settings: Settings) -> None:
    done = run_cli(
        "ask",
        "Who should own governance?",
        cwd=ROOT,
        env={
            "KEYSMITH_KNOWLEDGE_DIR": str(private_settings.knowledge_dir),
            "KEYSMITH_DATA_DIR": str(private_settings.data_dir),
            "KEYSMITH_MODEL": "offline",
            "CHROMA_HOST": "127.0.0.1",
            "CHROMA_PORT": str(free_port()),
        },
    )
    assert done.returncode == 2, done.stderr
    _one_plain_line(done.stderr)
    assert "Chroma server" in done.stderr


# --- the database ---------------------------------------------------------------------------------


def test_a_locked_sqlite_database_is_a_plain_error_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    store = Store(f"sqlite:///{path}", sqlite_busy_seconds=0.2)
    ws = store.default_workspace().id
    session = store.create_session(ws, "diagnose", "before the lock")
    store.add_message(ws, session.id, "user", "my question, typed before the lock")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as raised:
            store.add_message(ws, session.id, "user", "typed while locked")
        _one_plain_line(str(raised.value))
        assert "busy" in str(raised.value) or "locked" in str(raised.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    store.add_message(ws, session.id, "user", "typed after the lock")
    contents = [m.content for m in store.list_messages(ws, session.id)]
    assert contents == ["my question, typed before the lock", "typed after the lock"]
    store.close()


def test_an_unreachable_postgresql_is_a_plain_error_without_the_password() -> None:
    url = f"postgresql+psycopg://keysmith:pw-KSCANARY-db@127.0.0.1:{free_port()}/keysmith?connect_timeout=3"
    with pytest.raises(StoreError) as raised:
        Store(url)
    _one_plain_line(str(raised.value))
    assert "pw-KSCANARY-db" not in str(raised.value) and "127.0.0.1" in str(raised.value)


# --- the model ------------------------------------------------------------------------------------


def test_a_cut_stream_keeps_the_partial_answer_and_is_stored_incomplete(
    private_settings: Settings, framework: Framework, retriever: Retriever, tmp_path: Path
) -> None:
    model = ScriptedChatModel.of(
        call_tool("search_framework", {"query": "governance owner"}),
        CutStream(
            "Name one owner for governance before the next wave", httpx.RemoteProtocolError("peer closed")
        ),
    )
    assistant = Assistant(private_settings, framework, retriever, model=model, model_spec="openai:scripted")
    store = Store(f"sqlite:///{tmp_path / 'turns.db'}")
    ws = store.default_workspace().id
    session = store.create_session(ws, "diagnose", "owners")
    question = "Who should own governance when we scale?"
    # The UI's order: the question is stored before the model is called, the answer with its flag after.
    store.add_message(ws, session.id, "user", question)
    answer = assistant.ask(question)
    store.add_message(
        ws, session.id, "assistant", answer.answer, mode=answer.mode, incomplete=answer.incomplete
    )
    assert answer.incomplete and answer.mode == "offline (fallback: stream_cut)"
    assert answer.answer.startswith("Name one owner for governance before the next wave")
    assert answer.notice is not None and "cut off" in answer.notice
    stored = store.list_messages(ws, session.id)
    assert [(m.role, m.incomplete) for m in stored] == [("user", False), ("assistant", True)]
    assert stored[0].content == question
    store.close()


def _http_settings(private_settings: Settings, server: ScriptedOpenAIServer, **changes: object) -> Settings:
    return dataclasses.replace(
        private_settings,
        model="openai:gpt-test",
        openai_api_key=KEY_CANARY,
        openai_base_url=server.base_url,
        max_retries=0,
        **changes,  # type: ignore[arg-type]
    )


def test_a_connection_dropped_mid_body_is_marked_incomplete(
    private_settings: Settings, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(Cut("Governance needs a named owner and"))
    assistant = Assistant.from_settings(_http_settings(private_settings, openai_server))
    answer = assistant.ask("Who owns governance?")
    assert answer.incomplete and answer.answer.startswith("Governance needs a named owner and")


def test_a_model_timeout_gives_a_plain_notice_and_the_offline_answer(
    private_settings: Settings, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(Stall(3.0))
    settings = _http_settings(private_settings, openai_server, request_timeout=0.5)
    answer = Assistant.from_settings(settings).ask("What is the governance vacuum?")
    assert answer.mode == "offline (fallback: timeout)" and not answer.incomplete
    assert answer.notice is not None
    _one_plain_line(answer.notice)
    assert answer.citations  # the offline composer answered


# --- secrets --------------------------------------------------------------------------------------


def test_a_rejected_key_is_never_printed_or_logged(
    private_settings: Settings, openai_server: ScriptedOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    openai_server.reply(REJECTED)
    with caplog.at_level(logging.DEBUG):
        assistant = Assistant.from_settings(_http_settings(private_settings, openai_server))
        answer = assistant.ask("What is HD Vision?")
    assert answer.mode == "offline (fallback: auth)"
    assert KEY_CANARY not in repr(answer.to_dict())
    assert KEY_CANARY not in caplog.text
    # The key did reach the server (so the test exercised it), only as the bearer token.
    assert any(KEY_CANARY in str(r.headers) for r in openai_server.chat_requests())


def test_the_cli_never_prints_the_key(
    private_settings: Settings, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(REJECTED)
    done = run_cli(
        "ask",
        "What is HD Vision?",
        "--json",
        cwd=ROOT,
        env={
            "KEYSMITH_KNOWLEDGE_DIR": str(private_settings.knowledge_dir),
            "KEYSMITH_DATA_DIR": str(private_settings.data_dir),
            "KEYSMITH_MODEL": "openai:gpt-test",
            "KEYSMITH_MAX_RETRIES": "0",
            "OPENAI_API_KEY": KEY_CANARY,
            "OPENAI_BASE_URL": openai_server.base_url,
        },
    )
    assert done.returncode == 0, done.stderr
    assert KEY_CANARY not in done.stdout + done.stderr
    assert "OPENAI_API_KEY" in done.stdout  # the notice names the variable to fix, not its value


def test_settings_repr_hides_secrets() -> None:
    settings = Settings(
        knowledge_dir=Path("k"),
        data_dir=Path("d"),
        openai_api_key=KEY_CANARY,
        azure_api_key=KEY_CANARY,
        database_url="postgresql://u:pw-KSCANARY@h/db",
    )
    assert KEY_CANARY not in repr(settings) and "pw-KSCANARY" not in repr(settings)


def test_secret_files_are_ignored_by_git() -> None:
    done = subprocess.run(
        ["git", "check-ignore", ".env", ".streamlit/secrets.toml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.split() == [".env", ".streamlit/secrets.toml"]
