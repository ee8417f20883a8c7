"""The coach's client file: documents as evidence in the workspace chat and in the advice draft (issue 12).

AppTests over the shared indexed data dir (offline), plus the pieces under them: idempotent uploads, the
quote that keeps its cause, and the advice draft's evidence, on a document from the eval set
(evals/datasets/client_docs.yaml, rendered as DOCX exactly as `keysmith eval client_docs` does).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from app_support import click, new_client, open_app
from cli_support import ROOT
from streamlit.testing.v1 import AppTest

from evals.client_docs import render_document
from keysmith.config import Settings
from keysmith.framework import Framework, load_framework
from keysmith.ingest.upload import add_document
from keysmith.retrieval import Passage, SearchResult, open_retriever
from keysmith.retrieval.quotes import quote_for
from keysmith.store import Store
from keysmith.ui.advice_draft import MAX_DOCUMENT_PASSAGES, compose, spread_passages

DOC_NAME = "northwind-status-report.docx"
OWNER_QUESTION = "Who owns the model now that the pilot lead has left?"
NOTE = "Nobody has picked up ownership of the invoice model since the pilot lead left."


def northwind_docx() -> bytes:
    data = yaml.safe_load((ROOT / "evals" / "datasets" / "client_docs.yaml").read_text(encoding="utf-8"))
    return render_document(next(d for d in data["documents"] if d["name"] == DOC_NAME))


def _upload(at: AppTest) -> AppTest:
    at.file_uploader[0].set_value((DOC_NAME, northwind_docx(), "application/octet-stream"))
    at.run()
    return click(at, "Index document")


def _texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


# --- the pieces --------------------------------------------------------------------------------------------


def test_a_quote_keeps_the_sentence_that_carries_the_cause() -> None:
    text = (
        "Usage of the assistant collapsed at Leeds and Porto in May. The AI cannot find the purchase orders "
        "there. That is because both sites still run a different ERP. The finance team is frustrated."
    )
    quote = quote_for(text, "Why can't the AI find the purchase orders at those two sites?")
    assert quote.startswith("The AI cannot find the purchase orders there.")
    assert quote.endswith("both sites still run a different ERP.")
    assert "frustrated" not in quote


def test_uploading_the_same_file_again_changes_nothing_and_says_so(app_env: Path) -> None:
    settings = Settings.from_env()
    store = Store.from_settings(settings)
    ws = store.create_workspace("Idempotent Co")
    first = add_document(settings, store, ws.id, DOC_NAME, northwind_docx())
    again = add_document(settings, store, ws.id, DOC_NAME, northwind_docx())
    renamed = add_document(settings, store, ws.id, "copy.docx", northwind_docx())
    assert not first.unchanged and first.indexed.chunks >= 3
    assert (
        again.unchanged and again.message.endswith("nothing changed.") and "already indexed" in again.message
    )
    assert renamed.unchanged and f"as {DOC_NAME!r}" in renamed.message
    assert [d.name for d in store.list_documents(ws.id)] == [DOC_NAME]
    add_document(settings, store, ws.id, "plan.md", b"# Plan\n\nThe rollout stalled in March.")
    changed = add_document(settings, store, ws.id, "plan.md", b"# Plan\n\nThe rollout restarts in June.")
    assert not changed.unchanged  # a new text under a name already held replaces that document
    assert sorted(d.name for d in store.list_documents(ws.id)) == [DOC_NAME, "plan.md"]


def test_the_advice_draft_names_the_reasons_the_client_file_supports(app_env: Path) -> None:
    settings = Settings.from_env()
    store = Store.from_settings(settings)
    ws = store.create_workspace("Evidence Co")
    add_document(settings, store, ws.id, DOC_NAME, northwind_docx())
    framework = load_framework(settings.framework_dir)
    retriever = open_retriever(settings)
    draft = compose("memo", ws.name, None, [NOTE], framework, retriever, ws.id)
    body = draft.body
    assert "## Why it is likely stalling" in body
    assert "Governance Vacuum" in body and "Input-Output Mismatch" in body
    assert "Economics Shift" not in body  # nothing in the file supports it
    document_claims = [line for line in body.splitlines() if "[client document]" in line]
    assert any("Nobody has owned the model" in line for line in document_claims), body
    for line in document_claims:
        (marker,) = re.findall(r"\[(\d+)\]", line)
        assert draft.sources[int(marker) - 1]["source"] == f"client document: {DOC_NAME}"
    assert f"Your note: “{NOTE}” [coach judgment]" in body


def test_client_passages_compete_with_framework_passages_on_merit(app_env: Path) -> None:
    from keysmith.assistant import Assistant

    settings = Settings.from_env()
    store = Store.from_settings(settings)
    ws = store.create_workspace("Merit Co")
    add_document(settings, store, ws.id, DOC_NAME, northwind_docx())
    assistant = Assistant(settings, load_framework(settings.framework_dir), open_retriever(settings))
    answered = assistant.ask(
        "Why can't the AI find the purchase orders at the Leeds and Porto sites?", workspace_id=ws.id
    )
    assert answered.citations[0].source == f"client document: {DOC_NAME}"
    # The quote runs on to the cause, and the reason named is the one that passage supports.
    assert "because both sites still run a different ERP" in answered.answer
    assert "Input-Output Mismatch" in answered.answer
    assert [r["id"] for r in answered.reasons] == ["input_output_mismatch"]
    # A question that points at the client's material is answered from it, even when a framework page
    # about the same subject ranks first.
    pointed = assistant.ask("What does the client document say about ownership?", workspace_id=ws.id)
    assert pointed.citations[0].source == f"client document: {DOC_NAME}"
    assert "Nobody has owned the model" in pointed.answer
    assert "Here is what the framework says" not in pointed.answer
    framework_question = assistant.ask("What is HD Vision?", workspace_id=ws.id)
    assert framework_question.citations
    assert all(c.source.startswith("knowledge/") for c in framework_question.citations)
    elsewhere = assistant.ask("Why can't the AI find the purchase orders at the Leeds and Porto sites?")
    assert all(c.source.startswith("knowledge/") for c in elsewhere.citations)


# --- the coach page ----------------------------------------------------------------------------------------


def test_the_coach_chat_cites_the_client_document(app_env: Path) -> None:
    at = new_client(open_app(), "Northwind Chat")
    uploader = at.file_uploader[0]
    assert uploader.proto.max_upload_size_mb == 10  # KEYSMITH_MAX_UPLOAD_BYTES' default, as the label says
    assert "up to 10.0 MB" in uploader.label
    _upload(at)
    assert any("passages indexed for Northwind Chat only" in s.value for s in at.success)
    click(at, "Index document")  # the same file again
    assert any("already indexed" in i.value and "nothing changed" in i.value for i in at.info)
    assert _texts(at).count(f"`{DOC_NAME}`") == 1
    at.chat_input[0].set_value(OWNER_QUESTION).run()
    assert not at.exception, at.exception
    labels = [e.label for e in at.expander]
    assert any(label.startswith("[1] ") and DOC_NAME in label for label in labels), labels
    answer = _texts(at)
    assert "Nobody has owned the model" in answer and "Governance Vacuum" in answer


def test_the_advice_draft_has_a_client_document_claim_and_approval_shows_at_once(app_env: Path) -> None:
    at = _upload(new_client(open_app(), "Northwind Advice"))
    next(t for t in at.text_area if t.label == "Add a note").set_value(NOTE)
    click(at, "Add note")
    click(at, "Draft advice")
    body = next(t for t in at.text_area if t.label == "Draft text").value
    claim = next(line for line in body.splitlines() if "[client document]" in line)
    assert "Nobody has owned the model" in claim
    assert "Governance Vacuum" in body and "Economics Shift" not in body
    assert any(e.label.endswith(f"client document: {DOC_NAME}") for e in at.expander)
    drafts = next(s for s in at.selectbox if s.label == "Drafts")
    assert drafts.options[0].endswith("· draft")
    click(at, "Approve")
    drafts = next(s for s in at.selectbox if s.label == "Drafts")
    assert drafts.options[0].endswith("· approved"), drafts.options  # no reload needed (issue 13, item 9)
    assert any(s.value.startswith("Approved ") for s in at.success)


def test_streamlits_upload_limit_matches_the_enforced_one(tmp_path: Path) -> None:
    """`server.maxUploadSize` follows KEYSMITH_MAX_UPLOAD_BYTES: in the checkout's config.toml (the
    default) and in the flags `keysmith app` passes (the configured value, in whole MB rounded up)."""
    import tomllib

    from keysmith.cli.app_cmd import command

    default = Settings(knowledge_dir=tmp_path, data_dir=tmp_path).max_upload_bytes
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * 1_048_576 == default
    argv = command("127.0.0.1", 8501)
    assert argv[argv.index("--server.maxUploadSize") + 1] == "10"
    argv = command("127.0.0.1", 8501, max_upload_bytes=3_500_000)
    assert argv[argv.index("--server.maxUploadSize") + 1] == "4"


def _passage(source: str, n: int, text: str) -> Passage:
    return Passage(
        f"{source}-{n}", f"client document: {source}", "", source, "client_document", text, text, 0.0
    )


class _ManyDocuments:
    """A retriever whose workspace holds 45 neutral passages in 'a-minutes' and one telling passage in
    'z-status' (sorted by title, so the telling one comes last); framework searches find nothing."""

    def workspace_passages(self, workspace_id: str) -> list[Passage]:
        filler = [_passage("a-minutes", n, f"Item {n}: the meeting room was booked.") for n in range(45)]
        return [*filler, _passage("z-status", 0, "Nobody has owned the model since the pilot lead left.")]

    def search(self, query: str, **scope: object) -> SearchResult:
        return SearchResult(abstained=True, results=())


def test_the_advice_draft_reads_every_document_and_says_what_it_left_out(framework: Framework) -> None:
    kept, left_out = spread_passages(_ManyDocuments().workspace_passages("ws"), MAX_DOCUMENT_PASSAGES)
    assert len(kept) == MAX_DOCUMENT_PASSAGES and left_out == 6
    assert [p.id for p in kept if p.source.endswith("z-status")] == ["z-status-0"]
    draft = compose("memo", "Many Docs", None, [], framework, _ManyDocuments(), "ws")  # type: ignore[arg-type]
    assert "z-status says: “Nobody has owned the model" in draft.body, draft.body
    assert "6 passages of the client's documents were not read for this draft" in draft.body


def test_a_question_using_report_as_a_verb_is_answered_from_the_framework(app_env: Path) -> None:
    from keysmith.assistant import Assistant
    from keysmith.composer.documents import points_at_documents

    for pointed in (
        "What does the client document say about ownership?",
        "What does the report say about Leeds?",
        "What is in the file about the ERP?",
        "Summarise the client's notes",
        "What did they say in the uploaded status report?",
    ):
        assert points_at_documents(pointed), pointed
    for general in ("What should I report to the board?", "How do I file a change request?", "Any notes?"):
        assert not points_at_documents(general), general
    settings = Settings.from_env()
    store = Store.from_settings(settings)
    ws = store.create_workspace("Board Co")
    add_document(settings, store, ws.id, DOC_NAME, northwind_docx())
    assistant = Assistant(settings, load_framework(settings.framework_dir), open_retriever(settings))
    answered = assistant.ask("What should I report to the board?", workspace_id=ws.id)
    assert "The client's document" not in answered.answer, answered.answer
    assert answered.citations and answered.citations[0].source.startswith("knowledge/")


# --- a bulleted Markdown document (issue: one run-on quote repeated under two reasons) ---------------------

BULLETED_NAME = "northway-status.md"
BULLETED = """# Northway Freight: rollout status

The invoice-matching pilot in Bristol went well; the rollout to the other depots began in March.

- Two sites run a different ERP from the one the pilot was connected to, so invoices arrive without the order
  data the model needs and its matches come back unusable.
- Nobody owns the model since Priya left; no one reviews its accuracy and incidents sit in a shared inbox.
- The depot managers meet every month.
"""


class _BulletedDocument:
    """A retriever whose workspace holds the bulleted document as one passage; framework searches find
    nothing."""

    def workspace_passages(self, workspace_id: str) -> list[Passage]:
        return [_passage(BULLETED_NAME, 0, BULLETED)]

    def search(self, query: str, **scope: object) -> SearchResult:
        return SearchResult(abstained=True, results=())


def test_list_items_and_line_breaks_end_a_quoted_sentence() -> None:
    quote = quote_for(BULLETED, "Who owns the model now that Priya has left?")
    assert quote == (
        "Nobody owns the model since Priya left; no one reviews its accuracy and incidents sit in a shared"
        " inbox."
    )
    erp = quote_for(BULLETED, "Which sites run a different ERP?")
    assert erp.startswith("Two sites run a different ERP") and erp.endswith("come back unusable.")
    assert " - " not in erp and "#" not in erp and "Nobody" not in erp  # the wrapped item is joined, no more


def test_each_reason_quotes_its_own_sentence_once(framework: Framework) -> None:
    draft = compose("memo", "Northway", None, [], framework, _BulletedDocument(), "ws")  # type: ignore[arg-type]
    claims = [line for line in draft.body.splitlines() if "[client document]" in line]
    quotes = [re.search(r"“(.*)”", line).group(1) for line in claims]  # type: ignore[union-attr]
    assert len(quotes) == len(set(quotes)) == 2, draft.body
    assert all(len(q) <= 300 and " - " not in q for q in quotes), quotes
    by_reason = dict(zip(re.findall(r"^- ([^:\n]+):", draft.body, flags=re.MULTILINE), quotes, strict=True))
    assert "different ERP" in by_reason["Input-Output Mismatch"], draft.body
    assert by_reason["Governance Vacuum"].startswith("Nobody owns the model"), draft.body


def test_the_chat_quotes_one_bullet_of_a_markdown_document(app_env: Path) -> None:
    from keysmith.assistant import Assistant

    settings = Settings.from_env()
    store = Store.from_settings(settings)
    ws = store.create_workspace("Bulleted Co")
    add_document(settings, store, ws.id, BULLETED_NAME, BULLETED.encode())
    assistant = Assistant(settings, load_framework(settings.framework_dir), open_retriever(settings))
    answered = assistant.ask(
        "What does the client document say about who owns the model?", workspace_id=ws.id
    )
    assert answered.citations[0].source == f"client document: {BULLETED_NAME}"
    quote = re.search(r"answers this: “(.*?)”", answered.answer).group(1)  # type: ignore[union-attr]
    assert quote.startswith("Nobody owns the model since Priya left"), answered.answer
    assert "ERP" not in quote and " - " not in quote and len(quote) <= 300
