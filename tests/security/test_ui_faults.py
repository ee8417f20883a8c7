"""The app when the Chroma server (`CHROMA_HOST`) goes away mid-conversation: nothing typed is lost.

A real `chroma run` server (the fixture from tests/test_chroma_server.py) holds the index; the app answers
one question, the server is stopped, and the next question must be stored, its answer stored as incomplete,
and the reason shown as the plain `RetrievalError` sentence rather than a traceback or a class name.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_chroma_server import chroma_server

from keysmith.config import Settings
from keysmith.ingest import index_knowledge
from keysmith.store import Store
from security.support import ROOT

pytestmark = pytest.mark.chroma_server
__all__ = ["chroma_server"]  # the fixture, imported so pytest finds it here

FIRST = "Who should own governance when the rollout scales?"
SECOND = "And what should the incident response look like?"


@pytest.fixture
def chroma_app_settings(
    tmp_path: Path, chroma_server: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    env = {
        "KEYSMITH_DATA_DIR": str(tmp_path / "data"),
        "KEYSMITH_KNOWLEDGE_DIR": str(ROOT / "knowledge"),
        "KEYSMITH_MODEL": "offline",
        "CHROMA_HOST": "127.0.0.1",
        "CHROMA_PORT": str(chroma_server.args[-1]),  # type: ignore[index]
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env(env)
    index_knowledge(settings)
    yield settings


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [w.value for w in at.warning]
    return "\n".join(str(p) for p in parts)


def test_chroma_going_away_keeps_the_question_and_says_why(
    chroma_app_settings: Settings, chroma_server: subprocess.Popen[bytes]
) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    at.chat_input[0].set_value(FIRST).run()
    assert not at.exception, at.exception
    chroma_server.terminate()
    chroma_server.wait(timeout=15)
    at.chat_input[0].set_value(SECOND).run()
    assert not at.exception, at.exception
    store = Store(chroma_app_settings.resolved_database_url)
    try:
        (session,) = [s for w in store.list_workspaces() for s in store.list_sessions(w.id, "diagnose")]
        stored = store.list_messages(session.workspace_id, session.id)
    finally:
        store.close()
    assert [(m.role, m.content) for m in stored if m.role == "user"] == [("user", FIRST), ("user", SECOND)]
    assert stored[-1].role == "assistant" and stored[-1].incomplete
    assert not stored[1].incomplete  # the first answer, before the outage, is complete
    shown = _texts(at)
    assert "Chroma server at 127.0.0.1" in shown and "Traceback" not in shown
