"""What the AppTest modules share: the app path, opening it, creating a client, connecting a model.

The indexed data dir itself is the session fixture `app_data_dir` (conftest.py): the knowledge is embedded
once for all app tests, and each test works in its own, uniquely named workspace.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import offline_app_env
from openai_server import ScriptedOpenAIServer
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")

# Stories about a rollout no one will sign off, told with more or less certainty. Whether a story's reading
# is unsure enough for the diagnosis to interview depends on the reader's calibration
# (reader/calibration.json, tuned by other work), so the interview tests take the first that interviews.
INTERVIEW_STORIES = (
    "Our legal team loved the contract-review AI in the pilot. When we tried to roll it out, procurement, "
    "compliance and IT each said someone else had to approve it, and it has sat in limbo for four months.",
    "Our legal team loved the contract-review AI in the pilot. When we tried to roll it out, procurement, "
    "compliance and IT each said someone else had to approve it and nobody owns it, and it has sat in limbo "
    "for four months.",
    "The pilot of our support-ticket AI was a success. Since the pilot team moved on, nobody is really in "
    "charge of it, and the rollout has stalled.",
    "The claims triage AI worked well in the pilot. Since then the rollout has stalled: risk, compliance and "
    "IT keep passing the approval back and forth and nobody owns the decision.",
)


def open_app(timeout: float = 180, **query: str) -> AppTest:
    """Run the app once with `query` as its URL parameters; fails the test on an exception."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def interview_story(data_dir: Path) -> str:
    """The first of `INTERVIEW_STORIES` whose offline diagnosis (over the index in `data_dir`) interviews,
    asking about governance first; fails the test, saying why, when none does."""
    from keysmith.assistant import Assistant
    from keysmith.config import Settings

    assistant = Assistant.from_settings(Settings.from_env(offline_app_env(data_dir)))
    for story in INTERVIEW_STORIES:
        question = assistant.ask(story).question
        if question is not None and question["variable"] == "governance":
            return story
    pytest.fail(
        "none of app_support.INTERVIEW_STORIES opens the diagnosis interview with the governance question "
        "any more (the reader's calibration changed?): add a story whose reading is unsure"
    )


def click(at: AppTest, label: str) -> AppTest:
    """Click the (first) button labelled `label` and rerun; fails the test on an exception."""
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def new_client(at: AppTest, name: str) -> AppTest:
    """Coach mode: create a client workspace named `name` (it becomes the tab's workspace)."""
    at.segmented_control(key="mode").set_value("Coach").run()
    next(t for t in at.text_input if t.label == "New client workspace").set_value(name)
    return click(at, "Create workspace")


def connect_model(monkeypatch: pytest.MonkeyPatch, server: ScriptedOpenAIServer) -> str:
    """Point the app at the scripted OpenAI-protocol server (no retries, short timeout); returns the spec."""
    spec = f"openai-compatible:test-model@{server.base_url}"
    monkeypatch.setenv("KEYSMITH_MODEL", spec)
    monkeypatch.setenv("KEYSMITH_MAX_RETRIES", "0")
    monkeypatch.setenv("KEYSMITH_TIMEOUT", "10")
    return spec
