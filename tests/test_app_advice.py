"""Coach mode with a language model: "Draft advice" puts the model's checked, labelled draft in the editor.

Real components as in test_app.py (indexed knowledge in a temporary data dir, real SQLite), with the model
an openai-compatible spec pointed at the scripted OpenAI-protocol server, driven by the real openai SDK.
"""

from __future__ import annotations

from pathlib import Path

from app_support import click, new_client, open_app
from openai_server import ScriptedOpenAIServer, Status, Text
from streamlit.testing.v1 import AppTest

from keysmith.store import Store

NOTE = "Regional leads say nobody owns the model since the pilot team left."
MODEL_DRAFT = """# Rollout review: Advice client

## What I heard
- Nobody has owned the model since the pilot team left. [coach judgment]
- A rollout stalls when no one owns the AI after the pilot. [framework] [1]
- Fixing ownership lifts production readiness by 37 points. [score]

## Next step
- Name one owner in operations this month. [coach judgment]
"""


def _coach_with_note(name: str) -> AppTest:
    at = new_client(open_app(), name)
    next(t for t in at.text_area if t.label == "Add a note").set_value(NOTE)
    return click(at, "Add note")


def test_the_models_labelled_draft_is_checked_edited_and_approved(
    model_app_env: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(Text(MODEL_DRAFT))
    at = _coach_with_note("Advice client")
    click(at, "Draft advice")
    body = next(t for t in at.text_area if t.label == "Draft text").value
    assert "- Nobody has owned the model since the pilot team left. [coach judgment]" in body
    assert "after the pilot. [framework] [1]" in body
    assert "37 points" not in body  # a number no score, note or passage contains
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith("Drafted by the language model (openai-compatible:test-model@")
    assert "1 sentence stating a number no score, note or passage contains" in warning
    assert any(e.label.startswith("[1] ") and "knowledge/" in e.label for e in at.expander)
    (request,) = openai_server.chat_requests()
    assert NOTE in request.body["messages"][0]["content"].split("<coach_notes>")[1]
    click(at, "Approve")
    store = Store(f"sqlite:///{model_app_env / 'keysmith.db'}")
    ws = next(w for w in store.list_workspaces() if w.name == "Advice client")
    (draft,) = store.list_drafts(ws.id)
    assert draft.approved and draft.body.strip() == body.strip()
    assert [b.label for b in at.main.get("download_button")] == ["Download PDF", "Download Markdown"]


def test_a_provider_failure_gives_the_offline_draft_and_says_why(
    model_app_env: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(Status(500))
    at = _coach_with_note("Outage client")
    click(at, "Draft advice")
    body = next(t for t in at.text_area if t.label == "Draft text").value
    assert body.startswith("# Rollout review: Outage client") and "[coach judgment]" in body
    (warning,) = [w.value for w in at.warning]
    assert warning == (
        "Drafted offline because the language model failed: The provider had a server error (500); "
        "try again shortly."
    )
