"""`keysmith eval client_docs`: questions a coach asks about a client's own documents.

The documents in `evals/datasets/client_docs.yaml` are rendered deterministically in their format (DOCX with
heading styles, PDF with fpdf, Markdown), read back through `keysmith.ingest.extract` and indexed for one
eval workspace in the configured index (removed again afterwards, whatever happens). Each question is asked
in that workspace through the `Assistant` (offline unless a model spec is given). Metrics:

- `passage_cited`: the answer cites a passage whose text contains the case's `passage` phrase;
- `reason_named`: the answer names the stall reason that section supports (its framework name);
- `document_cited`: the answer cites any passage of the right document (diagnostic).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals import evaluators as ev
from evals.suites import SuiteResult, load_cases
from keysmith.config import Settings
from keysmith.framework import Framework
from keysmith.ingest import add_client_document, delete_workspace_documents
from keysmith.ingest.extract import extract_text
from keysmith.retrieval import Retriever

DATASET = "client_docs"
WORKSPACE = "eval-client-docs"


def render_document(doc: dict[str, Any]) -> bytes:
    """The document's bytes in its `format` (docx, pdf, md or txt); the same input gives the same text."""
    title, sections, kind = str(doc["title"]), list(doc["sections"]), str(doc["format"])
    if kind == "docx":
        return _docx(title, sections)
    if kind == "pdf":
        return _pdf(title, sections)
    if kind in ("md", "txt"):
        lines = [f"# {title}", ""]
        for section in sections:
            heading = f"## {section['heading']}" if kind == "md" else str(section["heading"])
            lines += [heading, "", " ".join(str(section["text"]).split()), ""]
        return "\n".join(lines).encode("utf-8")
    raise ValueError(f"{doc.get('name')!r}: format: expected docx, pdf, md or txt, got {kind!r}")


def _docx(title: str, sections: list[dict[str, Any]]) -> bytes:
    from docx import Document

    document = Document()
    document.add_heading(title, level=0)
    for section in sections:
        document.add_heading(str(section["heading"]), level=1)
        document.add_paragraph(" ".join(str(section["text"]).split()))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pdf(title: str, sections: list[dict[str, Any]]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))  # fixed: the same input gives the same bytes
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=15)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    for section in sections:
        pdf.ln(3)
        pdf.set_font("Helvetica", style="B", size=12)
        pdf.multi_cell(0, 7, str(section["heading"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, " ".join(str(section["text"]).split()), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def index_documents(settings: Settings, datasets: Path, workspace_id: str = WORKSPACE) -> list[str]:
    """Render and index every document of the set for `workspace_id`; returns their names."""
    names = []
    for doc in load_cases(datasets, DATASET, "documents"):
        name = str(doc["name"])
        text = extract_text(name, render_document(doc))
        add_client_document(settings, workspace_id, name, text)
        names.append(name)
    return names


def client_docs_suite(
    settings: Settings, framework: Framework, retriever: Retriever, spec: str, datasets: Path
) -> SuiteResult:
    """Ask every question in the eval workspace and grade it (see the module docstring)."""
    from keysmith.assistant import Assistant
    from keysmith.models import load_chat_model

    model = load_chat_model(spec, settings)
    assistant = Assistant(settings, framework, retriever, model=model, model_spec=spec)
    cases: list[dict[str, Any]] = []
    delete_workspace_documents(settings, WORKSPACE)
    try:
        index_documents(settings, datasets)
        for case in load_cases(datasets, DATASET, "questions"):
            answer = assistant.ask(str(case["question"]), workspace_id=WORKSPACE)
            cases.append(_grade(case, answer.answer, [c.id for c in answer.citations], retriever, framework))
    finally:
        delete_workspace_documents(settings, WORKSPACE)
    metrics = {
        "passage_cited": ev.mean([1.0 if c["passage_cited"] else 0.0 for c in cases]),
        "reason_named": ev.mean([1.0 if c["reason_named"] else 0.0 for c in cases]),
        "document_cited": ev.mean([1.0 if c["document_cited"] else 0.0 for c in cases]),
        "questions": len(cases),
        "documents": len(load_cases(datasets, DATASET, "documents")),
    }
    return SuiteResult(metrics, cases)


def _grade(
    case: dict[str, Any], text: str, cited: list[str], retriever: Retriever, framework: Framework
) -> dict[str, Any]:
    passages = [p for p in (retriever.get(i) for i in cited) if p is not None]
    phrase = " ".join(str(case["passage"]).split()).lower()
    hit = any(phrase in " ".join(p.text.split()).lower() for p in passages)
    own = any(p.source == f"client document: {case['document']}" for p in passages)
    reason = framework.stall_reason(str(case["reason"])).name
    named = reason.lower() in text.lower()
    return {
        "id": case["id"],
        "ok": hit and named,
        "passage_cited": hit,
        "reason_named": named,
        "document_cited": own,
        "expected_reason": case["reason"],
        "cited": cited,
    }
