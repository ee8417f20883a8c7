"""The Streamlit app through `AppTest`: every mode renders, the main flows work offline, errors are plain.

Real components throughout: the knowledge index is built once for this module into a temporary data dir
(real Chroma, the bundled embeddings), the store is real SQLite there, and the assistant is offline
(KEYSMITH_MODEL=offline) except in the provider-failure test, which points an openai-compatible model at a
local port nobody listens on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import APP, connect_model, new_client, open_app
from openai_server import Cut, ScriptedOpenAIServer, Text, ToolCalls
from processes import free_port
from streamlit.testing.v1 import AppTest

from keysmith import scoring
from keysmith.config import Settings
from keysmith.framework import load_framework
from keysmith.report.assessment import whole
from keysmith.store import Store

QUESTION = "Our invoice AI pilot was great, but the rollout to 12 regions has stalled for 6 months. Why?"


def _store(data_dir: Path) -> Store:
    return Store(f"sqlite:///{data_dir / 'keysmith.db'}")


def _mode(at: AppTest, label: str) -> AppTest:
    at.segmented_control(key="mode").set_value(label).run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [i.value for i in at.info]
    parts += [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


def test_every_mode_renders_with_the_model_badge(app_env: Path) -> None:
    at = open_app()
    assert "**Model:** `offline`" in "\n".join(m.value for m in at.sidebar.markdown)
    assert any("KEYSMITH_MODEL" in c.value for c in at.sidebar.caption)
    # Issue 13, item 10: a model the user named needs no "KEYSMITH_MODEL is set." (app_env names offline).
    assert not any("is set" in c.value for c in at.sidebar.caption), [c.value for c in at.sidebar.caption]
    # The mode switch is at the top of the page (reachable on a phone), not in the sidebar.
    assert not at.sidebar.radio
    assert at.segmented_control(key="mode").value == "Diagnose my pilot"
    assert not at.sidebar.get("button_group")
    for mode in ("Self-assessment", "Coach", "Diagnose my pilot"):
        _mode(at, mode)
        assert (
            at.header[0].value == mode
            if mode != "Self-assessment"
            else at.header[0].value == "Self-assessment"
        )


def test_diagnose_answers_offline_with_cited_sources_and_stores_both_turns(app_env: Path) -> None:
    at = new_client(open_app(), "Diagnose client")
    _mode(at, "Diagnose my pilot")
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception, at.exception
    sources = [e for e in at.expander if e.label.startswith("[1] ")]
    assert sources, [e.label for e in at.expander]
    assert any(m.value.startswith(">") for m in sources[0].markdown)  # the passage itself, quoted
    store = _store(app_env)
    ws = next(w for w in store.list_workspaces() if w.name == "Diagnose client")
    (session,) = store.list_sessions(ws.id, "diagnose")
    roles = [(m.role, m.content) for m in store.list_messages(ws.id, session.id)]
    assert roles[0] == ("user", QUESTION)
    assert roles[1][0] == "assistant" and "[1]" in roles[1][1]
    assert at.query_params["session"] == session.id


def test_sources_show_titles_and_whole_passages_and_steps_plain_names(app_env: Path) -> None:
    """Issue 13, item 3: a source is labelled by its page title and section (no file path), opens on the
    whole passage (not an excerpt cut off mid-sentence), and the steps box names steps in plain words."""
    at = new_client(open_app(), "Sources client")
    _mode(at, "Diagnose my pilot")
    at.chat_input[0].set_value("Nobody owns our AI model now that the pilot team has moved on. Why?").run()
    assert not at.exception, at.exception
    sources = [e for e in at.expander if e.label.startswith("[")]
    assert sources and all("knowledge/" not in e.label and ".md" not in e.label for e in sources)
    last = _store(app_env).list_messages(*_open_session(app_env, "Sources client"))[-1]
    for expander, citation in zip(sources, last.citations, strict=True):
        assert expander.label.startswith(
            f"[{sources.index(expander) + 1}] {citation['heading'].split(' > ')[0]}"
        )
        quoted = "\n".join(m.value for m in expander.markdown)
        assert quoted.rstrip().endswith((".", ")", "?", "!", ":")) and not quoted.rstrip().endswith("…")
        assert len(quoted) > len(citation["excerpt"]) or not citation["excerpt"].endswith("…")
    (steps,) = [e for e in at.expander if e.label.startswith("How this answer was made (")]
    shown = [t.value for t in steps.text]
    assert shown and not any("_" in line for line in shown), shown  # no tool ids
    assert any("Read your description" in line for line in shown), shown
    assert any(line.startswith("✓ Looked up a stall reason: ") for line in shown), shown
    assert {c["name"] for c in last.tool_calls} >= {"read_story", "explain_stall_reason"}  # ids kept


def test_a_question_sent_while_keysmith_is_loading_is_answered_once_it_has_loaded(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13, item 11: on a cold start the chat box is offered while the assistant loads in the
    background; a question sent meanwhile is kept and answered when loading ends (no second send)."""
    knowledge = Settings.from_env().knowledge_dir
    # The same pages under another spelling: a configuration this process has not loaded, so a cold start.
    monkeypatch.setenv("KEYSMITH_KNOWLEDGE_DIR", str(knowledge / ".." / knowledge.name))
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["pending_question"] = {"text": QUESTION, "retry": False}  # sent during the load
    at.run()
    assert not at.exception, at.exception
    said = [m for m in at.chat_message if m.name == "user"]
    assert [t.value for m in said for t in m.text] == [QUESTION]
    assert any(e.label.startswith("[1] ") for e in at.expander)  # answered, with its sources
    assert at.chat_input[0] is not None


def test_the_start_the_self_assessment_follow_up_starts_it(app_env: Path) -> None:
    """Issue 13, item 1: the follow-up opens the self-assessment on its first question; it does not post a
    description of the assessment to the chat and offer itself again."""
    at = new_client(open_app(), "Follow-up client")
    _mode(at, "Diagnose my pilot")
    at.chat_input[0].set_value("What are the five stall reasons?").run()
    assert not at.exception, at.exception
    follow = [b for b in at.button if b.label == "Start the self-assessment"]
    assert follow, [b.label for b in at.button]
    follow[0].click().run()
    assert not at.exception, at.exception
    assert at.segmented_control(key="mode").value == "Self-assessment"
    assert at.header[0].value == "Self-assessment"
    assert at.get("progress"), "the assessment's first question is shown"
    assert not [b for b in at.button if b.label == "Start the self-assessment"]
    ws_id, session_id = _open_session(app_env, "Follow-up client")
    assert [m.role for m in _store(app_env).list_messages(ws_id, session_id)] == ["user", "assistant"]


def _open_session(data_dir: Path, name: str) -> tuple[str, str]:
    store = _store(data_dir)
    ws = next(w for w in store.list_workspaces() if w.name == name)
    (session,) = store.list_sessions(ws.id, "diagnose")
    return ws.id, session.id


def test_feedback_with_a_reason_is_stored_once(app_env: Path) -> None:
    at = new_client(open_app(), "Feedback client")
    _mode(at, "Diagnose my pilot")
    at.chat_input[0].set_value("Why do pilots succeed when rollouts stall?").run()
    at.feedback[0].set_value(0)
    next(t for t in at.text_input if t.label == "Reason (optional)").set_value("too generic")
    next(b for b in at.button if b.label == "Send feedback").click().run()
    assert not at.exception, at.exception
    store = _store(app_env)
    ws = next(w for w in store.list_workspaces() if w.name == "Feedback client")
    rows = store.list_feedback(ws.id)
    assert [(f.rating, f.reason) for f, _ in rows] == [("down", "too generic")]
    assert "Feedback recorded :material/thumb_down:" in _texts(at)
    assert [b.label for b in at.sidebar.get("download_button")] == ["Download feedback (CSV)"]
    assert "too generic" in store.export_feedback_csv(ws.id)


def test_history_survives_a_restart_through_the_url(app_env: Path) -> None:
    first = new_client(open_app(), "Restart client")
    _mode(first, "Diagnose my pilot")
    first.chat_input[0].set_value(QUESTION).run()
    session_id = first.query_params["session"]
    again = open_app(session=session_id)  # a new tab/process state: only the URL carries over
    assert again.segmented_control(key="mode").value == "Diagnose my pilot"
    users = [m for m in again.chat_message if m.name == "user"]
    assert [u.text[0].value for u in users] == [QUESTION]
    assert any(e.label.startswith("[1] ") for e in again.expander)


def test_follow_ups_and_a_fallback_notice_survive_a_restart(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = f"openai-compatible:test-model@http://127.0.0.1:{free_port()}/v1"
    monkeypatch.setenv("KEYSMITH_MODEL", spec)
    monkeypatch.setenv("KEYSMITH_MAX_RETRIES", "0")
    first = open_app()
    first.chat_input[0].set_value("Why do pilots succeed when rollouts stall?").run()
    assert not first.exception, first.exception
    follow_ups = [b.label for b in first.button if b.key and b.key.startswith("follow-")]
    notices = [w.value for w in first.warning if "Answered offline because" in w.value]
    assert follow_ups and notices, (follow_ups, [w.value for w in first.warning])
    again = open_app(session=first.query_params["session"])  # a restart: only the URL and the database remain
    assert [b.label for b in again.button if b.key and b.key.startswith("follow-")] == follow_ups
    assert [w.value for w in again.warning if "Answered offline because" in w.value] == notices


def _answer_all(at: AppTest, value: str) -> AppTest:
    framework = load_framework(Settings.from_env().framework_dir)
    for variable in framework.variables:
        at.button(key=f"answer-{variable.id}-{value}").click().run()
        assert not at.exception, at.exception
    return at


def test_assessment_with_buttons_ends_in_a_score_card_with_chart_and_downloads(app_env: Path) -> None:
    at = new_client(open_app(), "Assessment client")
    _mode(at, "Self-assessment")
    assert at.get("progress")
    _answer_all(at, "3")
    text = _texts(at)
    assert "Assessment complete" in text
    assert len(at.get("vega_lite_chart")) == 2
    labels = [b.label for b in at.main.get("download_button")]
    assert labels == ["Download PDF", "Download Markdown"]
    store = _store(app_env)
    ws = next(w for w in store.list_workspaces() if w.name == "Assessment client")
    (saved,) = store.list_assessments(ws.id)
    assert saved.report is not None
    assert saved.report["profiles"]["production"]["score"] == 50.0
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Production rollout readiness"] == "50"  # whole numbers on the page


def test_what_if_sliders_show_the_scoring_engines_numbers(app_env: Path) -> None:
    at = new_client(open_app(), "What-if client")
    _mode(at, "Self-assessment")
    _answer_all(at, "3")
    slider = next(s for s in at.select_slider if s.label == "Governance")
    slider.set_value(5).run()
    assert not at.exception, at.exception
    framework = load_framework(Settings.from_env().framework_dir)
    answers = {v.id: 3 for v in framework.variables}
    expected = scoring.what_if(answers, {"governance": 5}, framework).to_dict()
    metrics = {m.label: m for m in at.metric}
    after = metrics["Production rollout (what if)"]
    assert after.value == whole(expected["profiles"]["production"]["score"])
    assert after.proto.body == whole(expected["profiles"]["production"]["score"])


def test_assessment_free_text_dont_know_and_back(app_env: Path) -> None:
    at = new_client(open_app(), "Words client")
    _mode(at, "Self-assessment")
    first = at.subheader[0].value
    next(t for t in at.text_input if t.label == "Or answer in your own words").set_value("pretty weak")
    next(b for b in at.button if b.label == "Answer").click().run()
    assert "Recorded" in _texts(at)
    second = at.subheader[0].value
    assert second != first
    next(t for t in at.text_input if t.label == "Or answer in your own words").set_value("purple elephants")
    next(b for b in at.button if b.label == "Answer").click().run()
    assert at.subheader[0].value == second  # not understood: still on the same question, and told so
    assert at.warning
    next(b for b in at.button if b.label == "Don't know").click().run()
    next(b for b in at.button if b.label == "← Back").click().run()
    assert at.subheader[0].value == second
    assert "2 answered" in at.get("progress")[0].proto.text


def test_coach_notes_document_draft_edit_approve_export(app_env: Path, tmp_path: Path) -> None:
    at = new_client(open_app(), "Northwind")
    assert "Client: Northwind" in [s.value for s in at.subheader]
    note = next(t for t in at.text_area if t.label == "Add a note")
    note.set_value("Regional leads say nobody owns the model since the pilot team left.")
    next(b for b in at.button if b.label == "Add note").click().run()
    assert "nobody owns the model" in "\n".join(t.value for t in at.text)
    upload = at.file_uploader[0]
    upload.set_value(
        (
            "northwind-status.md",
            b"# Status\n\nThe invoice model has no owner in operations.\n",
            "text/markdown",
        )
    )
    at.run()
    next(b for b in at.button if b.label == "Index document").click().run()
    assert not at.exception, at.exception
    assert "passages indexed for Northwind only" in _texts(at)
    next(b for b in at.button if b.label == "Draft advice").click().run()
    assert not at.exception, at.exception
    body = next(t for t in at.text_area if t.label == "Draft text")
    assert "[coach judgment]" in body.value
    body.set_value(body.value + "\nI will call you on Monday. [coach judgment]\n")
    next(b for b in at.button if b.label == "Approve").click().run()
    assert not at.exception, at.exception
    store = _store(app_env)
    ws = next(w for w in store.list_workspaces() if w.name == "Northwind")
    (draft,) = store.list_drafts(ws.id)
    assert draft.approved and "call you on Monday" in draft.body
    assert [b.label for b in at.main.get("download_button")] == ["Download PDF", "Download Markdown"]


def test_upload_over_the_limit_is_refused_plainly(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYSMITH_MAX_UPLOAD_BYTES", "100")
    at = new_client(open_app(), "Big files")
    at.file_uploader[0].set_value(("big.txt", b"x" * 500, "text/plain"))
    at.run()
    next(b for b in at.button if b.label == "Index document").click().run()
    assert any("the limit is" in e.value and "KEYSMITH_MAX_UPLOAD_BYTES" in e.value for e in at.error)


def test_provider_failure_is_shown_plainly_with_retry(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = f"openai-compatible:test-model@http://127.0.0.1:{free_port()}/v1"
    monkeypatch.setenv("KEYSMITH_MODEL", spec)
    monkeypatch.setenv("KEYSMITH_MAX_RETRIES", "0")
    at = open_app()
    assert f"`{spec}`" in "\n".join(m.value for m in at.sidebar.markdown)
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception, at.exception
    warnings = [w.value for w in at.warning]
    assert any("Answered offline because the language model" in w for w in warnings), warnings
    assert any(b.label == "Retry" for b in at.button)
    assert any(e.label.startswith("[1] ") for e in at.expander)  # the composer's cited answer still arrives


def test_bad_configuration_is_one_plain_sentence(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYSMITH_TIMEOUT", "soon")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Keysmith could not start: KEYSMITH_TIMEOUT: expected a number, got 'soon'"
    ]


def test_a_start_that_fails_while_the_chat_box_waits_is_one_plain_sentence(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The chat box is drawn first and loading starts after it: a load that fails must end in the plain
    # error (not a page that reruns for ever waiting for it), and the next load is tried afresh.
    port = free_port()
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(port))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    assert errors[0].startswith("Keysmith could not start: could not open the vector store")
    assert f"127.0.0.1:{port}" in errors[0]
    again = AppTest.from_file(APP, default_timeout=120).run()  # a reload tries again, and says it again
    assert [e.value for e in again.error] == errors


def test_a_second_client_with_the_same_name_is_refused(app_env: Path) -> None:
    at = new_client(open_app(), "Northway Freight")
    first = at.session_state["workspace_id"]
    new_client(at, " northway freight ")
    assert any('a workspace named "Northway Freight" already exists' in e.value for e in at.error), at.error
    assert at.session_state["workspace_id"] == first  # the tab stays on the workspace it had
    picker = next(s for s in at.selectbox if s.label == "Workspace")
    assert [o.casefold() for o in picker.options].count("northway freight") == 1, picker.options


def test_the_coach_page_has_its_own_client_picker_in_sync_with_the_sidebar(app_env: Path) -> None:
    """On a phone the sidebar is collapsed, so the coach page itself switches client."""
    at = new_client(new_client(open_app(), "Picker One"), "Picker Two")
    on_page = at.main.selectbox(key="workspace-picker-coach")
    assert on_page.label == "Client workspace"
    assert at.sidebar.selectbox(key="workspace-picker-sidebar").value == on_page.value
    assert at.subheader[0].value == "Client: Picker Two"
    on_page.select_index(on_page.options.index("Picker One")).run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "Client: Picker One"
    one = at.session_state["workspace_id"]
    assert at.main.selectbox(key="workspace-picker-coach").value == one
    assert at.sidebar.selectbox(key="workspace-picker-sidebar").value == one
    assert at.query_params["ws"] == one
    # ... and the sidebar's pick shows on the page.
    in_sidebar = at.sidebar.selectbox(key="workspace-picker-sidebar")
    in_sidebar.select_index(in_sidebar.options.index("Picker Two")).run()
    assert at.subheader[0].value == "Client: Picker Two"
    two = at.session_state["workspace_id"]
    assert two != one and at.main.selectbox(key="workspace-picker-coach").value == two


def test_coach_mode_and_workspace_survive_a_refresh(app_env: Path) -> None:
    first = new_client(open_app(), "Refresh client")
    assert first.query_params["mode"] == "coach"
    again = open_app(ws=first.query_params["ws"], mode="coach")
    assert again.segmented_control(key="mode").value == "Coach"
    assert "Client: Refresh client" in [s.value for s in again.subheader]


def test_an_over_long_question_is_refused_and_kept_on_screen(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEYSMITH_MAX_QUESTION_CHARS", "40")
    at = open_app()
    at.chat_input[0].set_value(QUESTION).run()
    assert any("the limit is 40" in e.value for e in at.error)
    assert [t.value for t in at.text_area] == [QUESTION]


def test_a_client_document_is_cited_only_in_its_own_workspace(app_env: Path) -> None:
    question = "What does the Fabrikam status report say about the invoice model owner?"
    at = new_client(open_app(), "Fabrikam")
    text = b"# Fabrikam status\n\nThe invoice model has had no owner in operations since March.\n"
    at.file_uploader[0].set_value(("fabrikam-status.md", text, "text/markdown"))
    at.run()
    next(b for b in at.button if b.label == "Index document").click().run()
    _mode(at, "Diagnose my pilot")
    at.chat_input[0].set_value(question).run()
    assert any("client document" in e.label for e in at.expander), [e.label for e in at.expander]
    other = new_client(open_app(), "Contoso")
    _mode(other, "Diagnose my pilot")
    other.chat_input[0].set_value(question).run()
    assert not any("client document" in e.label for e in other.expander)
    assert "no owner in operations" not in _texts(other)


LABELS = ("[framework]", "[client document]", "[score]", "[coach judgment]")


def test_advice_draft_labels_every_claim_and_cites_real_passages(app_env: Path) -> None:
    import re

    from keysmith.diagnosis import full_report
    from keysmith.retrieval import open_retriever
    from keysmith.ui.advice_draft import compose

    settings = Settings.from_env()
    framework = load_framework(settings.framework_dir)
    retriever = open_retriever(settings)
    answers = {v.id: 2 for v in framework.variables} | {"technology_fit": 5, "governance": None}
    report = full_report(answers, framework)
    notes = ["Nobody owns the model since the pilot team moved on."]
    draft = compose("memo", "Tailspin", report, notes, framework, retriever, "no-such-workspace")
    claims = [line for line in draft.body.splitlines() if line.strip().startswith("- ")]
    assert claims
    assert all(any(label in line for label in LABELS) for line in claims), claims
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", draft.body)}
    assert markers == set(range(1, len(draft.sources) + 1))
    assert all(retriever.get(source["id"]) is not None for source in draft.sources)
    score_numbers = {n for line in claims if "[score]" in line for n in re.findall(r"\d+\.\d+", line)}
    assert str(report["weight_shift"]["production_score"]) in score_numbers
    assert score_numbers <= {str(x) for x in _numbers(report)}


def _numbers(value: object) -> list[object]:
    """Every number anywhere in a JSON-like value (the score claims may only quote these)."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [value] if isinstance(value, int | float) and not isinstance(value, bool) else []


def test_with_a_model_the_answer_streams_with_its_tool_steps_and_sources(
    app_env: Path, monkeypatch: pytest.MonkeyPatch, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.reply(
        ToolCalls([("search_framework", {"query": "governance vacuum at scale"})]),
        Text("Nobody owns the AI once it leaves the pilot [1]."),
    )
    spec = connect_model(monkeypatch, openai_server)
    at = open_app()
    assert f"`{spec}`" in "\n".join(m.value for m in at.sidebar.markdown)
    at.chat_input[0].set_value("Why does nobody own our AI after the pilot?").run()
    assert not at.exception, at.exception
    assert any("Nobody owns the AI once it leaves the pilot" in m.value for m in at.markdown)
    # The grounding steps (the story reading, its reasons' passages) run first, then the model's own search.
    labels = [e.label for e in at.expander if e.label.startswith("How this answer was made (")]
    assert labels and "(1 tool step)" not in labels[0]
    assert any(e.label.startswith("[1] Governance Vacuum") for e in at.expander)
    assert not at.warning


def test_a_stream_cut_keeps_the_partial_answer_marked_incomplete_and_retry_works(
    app_env: Path, monkeypatch: pytest.MonkeyPatch, openai_server: ScriptedOpenAIServer
) -> None:
    # The retried answer cites a passage of its turn: a reply to a story that cites none is not shown.
    openai_server.reply(
        Cut("The rollout stalls because the pilot"), Text("Here is the full answer: nobody owns the AI [1].")
    )
    connect_model(monkeypatch, openai_server)
    at = new_client(open_app(), "Cut client")
    _mode(at, "Diagnose my pilot")
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception, at.exception
    store = _store(app_env)
    ws = next(w for w in store.list_workspaces() if w.name == "Cut client")
    (session,) = store.list_sessions(ws.id, "diagnose")
    stored = store.list_messages(ws.id, session.id)
    assert [(m.role, m.incomplete) for m in stored] == [("user", False), ("assistant", True)]
    assert "The rollout stalls because the pilot" in stored[1].content
    assert any("stopped before it finished" in w.value for w in at.warning)
    next(b for b in at.button if b.label == "Retry").click().run()
    assert not at.exception, at.exception
    after = store.list_messages(ws.id, session.id)
    assert [m.role for m in after] == ["user", "assistant", "assistant"]  # the question is not repeated
    # The story's deterministic reading (here the interview's first question) follows the model's text.
    assert after[2].content.startswith("Here is the full answer: nobody owns the AI [1].")
    assert not after[2].incomplete


def test_keysmith_app_serves_the_packaged_script_on_localhost(capsys: pytest.CaptureFixture[str]) -> None:
    import keysmith.ui
    from keysmith.cli import main
    from keysmith.cli.app_cmd import command

    argv = command("127.0.0.1", 8501)
    packaged = Path(keysmith.ui.__file__).resolve().parent / "streamlit_app.py"  # shipped in the wheel
    assert argv[1:4] == ["-m", "streamlit", "run"] and argv[4] == str(packaged)
    for script in (packaged, Path(APP)):  # the checkout's app.py runs the same app
        text = script.read_text(encoding="utf-8")
        assert "from keysmith.ui.main import main" in text and text.rstrip().endswith("main()"), script
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    assert argv[argv.index("--server.port") + 1] == "8501"
    assert main(["app", "--port", "70000"]) == 2
    assert capsys.readouterr().err.strip() == "keysmith: --port: expected 1..65535, got 70000"


def test_the_toolbar_is_in_viewer_mode_for_make_run_and_keysmith_app() -> None:
    """Issue 13, item 10: no "Deploy" button for users: the checkout's .streamlit/config.toml (read by
    `make run` / `streamlit run app.py`) and the flags of `keysmith app` (an installed wheel) agree."""
    import tomllib

    from keysmith.cli.app_cmd import command

    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["toolbarMode"] == "viewer"
    argv = command("127.0.0.1", 8501)
    assert argv[argv.index("--client.toolbarMode") + 1] == "viewer"
    assert argv[argv.index("--server.headless") + 1] == str(config["server"]["headless"]).lower()


def test_uploads_are_read_from_pdf_docx_and_text_and_bad_files_named(tmp_path: Path) -> None:
    import io

    from docx import Document
    from fpdf import FPDF

    from keysmith.errors import IngestError
    from keysmith.ui.extract import extract_text

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Operations owns no part of the invoice model.")
    docx = Document()
    docx.add_paragraph("The regional rollout paused in March.")
    buffer = io.BytesIO()
    docx.save(buffer)
    assert "Operations owns no part" in extract_text("status.pdf", bytes(pdf.output()))
    assert extract_text("notes.DOCX", buffer.getvalue()).strip() == "The regional rollout paused in March."
    assert extract_text("plan.md", b"# Plan\n\nStart in Q3.") == "# Plan\n\nStart in Q3."
    with pytest.raises(IngestError, match=r"upload 'deck\.pptx': expected one of pdf, docx, md, txt"):
        extract_text("deck.pptx", b"x")
    with pytest.raises(IngestError, match=r"upload 'broken\.pdf': could not read it as PDF"):
        extract_text("broken.pdf", b"not a pdf at all")
    with pytest.raises(IngestError, match=r"upload 'empty\.txt': no text found"):
        extract_text("empty.txt", b"   \n")
