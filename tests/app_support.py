"""What the AppTest modules share: the app path, opening it, creating a client, connecting a model.

The indexed data dir itself is the session fixture `app_data_dir` (conftest.py): the knowledge is embedded
once for all app tests, and each test works in its own, uniquely named workspace.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openai_server import ScriptedOpenAIServer
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_app(timeout: float = 180, **query: str) -> AppTest:
    """Run the app once with `query` as its URL parameters; fails the test on an exception."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    """Click the (first) button labelled `label` and rerun; fails the test on an exception."""
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def new_client(at: AppTest, name: str) -> AppTest:
    """Coach mode: create a client workspace named `name` (it becomes the tab's workspace)."""
    at.sidebar.radio(key="mode").set_value("Coach").run()
    next(t for t in at.text_input if t.label == "New client workspace").set_value(name)
    return click(at, "Create workspace")


def connect_model(monkeypatch: pytest.MonkeyPatch, server: ScriptedOpenAIServer) -> str:
    """Point the app at the scripted OpenAI-protocol server (no retries, short timeout); returns the spec."""
    spec = f"openai-compatible:test-model@{server.base_url}"
    monkeypatch.setenv("KEYSMITH_MODEL", spec)
    monkeypatch.setenv("KEYSMITH_MAX_RETRIES", "0")
    monkeypatch.setenv("KEYSMITH_TIMEOUT", "10")
    return spec
