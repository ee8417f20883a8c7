"""Chunking, stable ids, incremental indexing, broken files and client documents (real Chroma, real model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from retrieval_support import KNOWLEDGE, CountingFunction, page, settings_for, write_small_knowledge

from keysmith.config import Settings
from keysmith.errors import IngestError, StoreError
from keysmith.framework import load_framework
from keysmith.ingest import (
    delete_client_document,
    delete_workspace_documents,
    index_client_document,
    index_knowledge,
    marker_path,
)
from keysmith.ingest.chunking import chunk_page, load_pages, parse_page, sections, split_long
from keysmith.ingest.upload import add_document
from keysmith.retrieval import open_retriever
from keysmith.retrieval.vectorstore import open_client, open_collection
from keysmith.store import Store
from keysmith.store.records import Document

VARIABLE_IDS = load_framework(KNOWLEDGE / "framework").variable_ids

AGREED_IDS = {
    "pilot-illusion": "concept",
    "weighted-variables": "concept",
    "omission-neglect": "concept",
    "zoom-levels": "concept",
    "problem-definition": "concept",
    "root-causes": "concept",
    "hd-vision": "process_step",
    "monitoring": "process_step",
    "master-keysmith": "concept",
    "limits": "limits",
    "zoom-level-problem": "stall_reason",
    "input-output-mismatch": "stall_reason",
    "governance-vacuum": "stall_reason",
    "change-management-deficit": "stall_reason",
    "economics-shift": "stall_reason",
    "archetype-standardization": "archetype",
    "archetype-education": "archetype",
    "archetype-process-reengineering": "archetype",
    "archetype-risk-management": "archetype",
    "bridge-production-eyes": "bridge_step",
    "bridge-map-the-system": "bridge_step",
    "bridge-build-the-bridge": "bridge_step",
    "bridge-monitor-the-right-variables": "bridge_step",
}


def _stored(settings: Settings, function: CountingFunction) -> dict[str, dict[str, object]]:
    collection = open_collection(open_client(settings), settings, function)
    found = collection.get(include=["metadatas"])
    return {i: dict(m or {}) for i, m in zip(found["ids"], found["metadatas"] or [], strict=True)}


# --- the knowledge pages themselves ---------------------------------------------------------------------


def test_knowledge_has_exactly_the_agreed_pages_with_file_name_equal_to_id() -> None:
    pages = load_pages(KNOWLEDGE, VARIABLE_IDS)
    assert {p.id: p.kind for p in pages} == AGREED_IDS
    assert all(p.path == f"knowledge/{p.id}.md" for p in pages)


def test_every_framework_knowledge_id_has_a_page() -> None:
    framework = load_framework(KNOWLEDGE / "framework")
    referenced = {s.knowledge_id for s in framework.stall_reasons} | {
        a.knowledge_id for a in framework.archetypes
    }
    referenced |= {b.knowledge_id for b in framework.bridge_steps} | {
        p.knowledge_id for p in framework.process_steps
    }
    assert referenced - set(AGREED_IDS) == set()


def test_stall_reason_pages_have_the_four_sections() -> None:
    for p in load_pages(KNOWLEDGE, VARIABLE_IDS):
        if p.kind == "stall_reason":
            headings = [path[0] for path, _ in sections(p.body) if path]
            assert headings == [
                "What it is",
                "What a manager would notice",
                "Related variables",
                "What helps",
            ]


def test_limits_page_names_what_keysmith_does_not_hold() -> None:
    text = (KNOWLEDGE / "limits.md").read_text(encoding="utf-8")
    for needle in ("14", "steps 1, 2, 4, 5 and 6", "Clarity Worksheet", "own choice", "over time"):
        assert needle in text


# --- chunking -------------------------------------------------------------------------------------------


def test_chunks_follow_headings_with_path_and_stable_ids() -> None:
    raw = page("demo", "Demo", {"First": "one", "Second": "two\n\n### Deeper\n\nthree"}, intro="intro text")
    chunks = chunk_page(parse_page(raw, "knowledge/demo.md", VARIABLE_IDS))
    assert [(c.id, c.heading, c.text) for c in chunks] == [
        ("demo#overview", "Demo", "intro text"),
        ("demo#first", "Demo > First", "one"),
        ("demo#second", "Demo > Second", "two"),
        ("demo#second--deeper", "Demo > Second > Deeper", "three"),
    ]
    meta = chunks[1].metadata()
    assert meta["source"] == "knowledge/demo.md" and meta["related_variables"] == "governance"
    assert meta["workspace_id"] == "" and meta["hash"] == chunks[1].hash


def test_editing_one_section_changes_only_its_hash_and_no_ids() -> None:
    before = chunk_page(
        parse_page(page("d", "D", {"A": "alpha", "B": "beta"}), "knowledge/d.md", VARIABLE_IDS)
    )
    after = chunk_page(
        parse_page(page("d", "D", {"A": "alpha, edited", "B": "beta"}), "knowledge/d.md", VARIABLE_IDS)
    )
    assert [c.id for c in before] == [c.id for c in after]
    assert before[0].hash != after[0].hash and before[1].hash == after[1].hash


def test_duplicate_headings_get_distinct_ids_and_long_sections_split() -> None:
    long_text = "\n\n".join(f"Paragraph {n} " + "word " * 60 for n in range(12))
    raw = page("d", "D", {"Same": "x", "Same ": "y"}) + f"\n## Long\n\n{long_text}\n"
    ids = [c.id for c in chunk_page(parse_page(raw, "knowledge/d.md", VARIABLE_IDS))]
    assert ids[:2] == ["d#same", "d#same-2"]
    assert ids[2:] == [f"d#long{'' if n == 1 else f'-{n}'}" for n in range(1, len(ids) - 1)]
    assert len(ids) > 3
    assert all(len(part) <= 1400 for part in split_long(long_text))


def test_one_huge_paragraph_is_split_at_sentences_and_words() -> None:
    sentences = " ".join(f"Sentence number {n} talks about the rollout." for n in range(200))
    no_punctuation = "word " * 1000
    for text in (sentences, no_punctuation):
        parts = split_long(text)
        assert len(parts) > 1 and all(len(p) <= 1400 for p in parts)
        assert " ".join(" ".join(parts).split()) == " ".join(text.split())  # nothing lost


def test_headings_inside_code_blocks_are_text() -> None:
    body = "## Real\n\n```\n## not a heading\n```\n"
    assert [p for p, _ in sections(body)] == [["Real"]]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("no front matter\n", "missing front matter"),
        ("---\nid: x\n", "not closed"),
        ("---\nid: [unclosed\n---\n", "not valid YAML"),
        ("---\n- a list\n---\n", "must be a mapping"),
        ("---\nid: x\ntitle: X\nkind: essay\nsource: framework\n---\n", "kind: expected one of"),
        ("---\nid: Bad Id\ntitle: X\nkind: concept\nsource: framework\n---\n", "id: expected"),
        ("---\nid: x\nkind: concept\nsource: framework\n---\n", "title: expected a non-empty string"),
        (
            "---\nid: x\ntitle: X\nkind: concept\nsource: framework\nrelated_variables: [luck]\n---\n",
            "unknown variable 'luck'",
        ),
    ],
)
def test_malformed_front_matter_names_the_file(raw: str, message: str) -> None:
    with pytest.raises(IngestError, match=message) as caught:
        parse_page(raw, "knowledge/broken.md", VARIABLE_IDS)
    assert str(caught.value).startswith("knowledge/broken.md: ")


def test_a_page_id_must_match_its_file_name(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(page("other", "A", {"S": "t"}), encoding="utf-8")
    with pytest.raises(
        IngestError, match=r"^knowledge/a\.md: front matter: id: expected 'a' \(the file name\)"
    ):
        load_pages(tmp_path, VARIABLE_IDS)


# --- incremental indexing -------------------------------------------------------------------------------


def test_collections_carry_our_embedding_function_and_telemetry_is_off(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "k", tmp_path / "data")
    client = open_client(settings)
    assert client.get_settings().anonymized_telemetry is False
    collection = open_collection(client, settings)
    function = collection.configuration["embedding_function"]
    assert function is not None and function.name() == "keysmith-minilm-int8"  # never Chroma's default
    assert collection.configuration["hnsw"]["space"] == "cosine"


def test_reindexing_unchanged_knowledge_embeds_nothing(tmp_path: Path) -> None:
    settings = settings_for(write_small_knowledge(tmp_path / "k"), tmp_path / "data")
    counting = CountingFunction()
    first = index_knowledge(settings, function=counting)
    assert (first.added, first.updated, first.removed, first.unchanged) == (4, 0, 0, 0)
    assert len(counting.texts) == 4
    second = index_knowledge(settings, function=counting)
    assert (second.added, second.updated, second.removed, second.unchanged) == (0, 0, 0, 4)
    assert len(counting.texts) == 4  # nothing embedded the second time
    marker = json.loads(marker_path(settings).read_text(encoding="utf-8"))
    assert marker["unchanged"] == 4


def test_an_edited_file_updates_only_its_changed_chunks(tmp_path: Path) -> None:
    knowledge = write_small_knowledge(tmp_path / "k")
    settings = settings_for(knowledge, tmp_path / "data")
    counting = CountingFunction()
    index_knowledge(settings, function=counting)
    before = _stored(settings, counting)
    path = knowledge / "economics-shift.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("full volume", "production volume"), encoding="utf-8"
    )
    counting.texts.clear()
    summary = index_knowledge(settings, function=counting)
    assert (summary.added, summary.updated, summary.unchanged) == (0, 1, 3)
    assert len(counting.texts) == 1 and "production volume" in counting.texts[0]
    after = _stored(settings, counting)
    changed = {i for i in after if after[i]["hash"] != before[i]["hash"]}
    assert changed == {"economics-shift#what-helps"}


def test_a_deleted_file_loses_its_chunks(tmp_path: Path) -> None:
    knowledge = write_small_knowledge(tmp_path / "k")
    settings = settings_for(knowledge, tmp_path / "data")
    counting = CountingFunction()
    index_knowledge(settings, function=counting)
    (knowledge / "economics-shift.md").unlink()
    summary = index_knowledge(settings, function=counting)
    assert (summary.removed, summary.unchanged) == (2, 2)
    assert set(_stored(settings, counting)) == {
        "governance-vacuum#what-it-is",
        "governance-vacuum#what-helps",
    }


def test_a_broken_file_leaves_the_index_untouched(tmp_path: Path) -> None:
    knowledge = write_small_knowledge(tmp_path / "k")
    settings = settings_for(knowledge, tmp_path / "data")
    counting = CountingFunction()
    index_knowledge(settings, function=counting)
    before = _stored(settings, counting)
    (knowledge / "economics-shift.md").write_text("edited, but\n", encoding="utf-8")  # no front matter
    (knowledge / "new-page.md").write_text(page("new-page", "New", {"S": "fresh text"}), encoding="utf-8")
    with pytest.raises(IngestError, match=r"^knowledge/economics-shift\.md: missing front matter"):
        index_knowledge(settings, function=counting)
    assert _stored(settings, counting) == before


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    knowledge = write_small_knowledge(tmp_path / "k")
    (knowledge / "latin1.md").write_bytes(b"---\nid: x\ntitle: caf\xe9\n---\n")
    with pytest.raises(IngestError, match=r"^knowledge/latin1\.md: cannot read the file"):
        index_knowledge(settings_for(knowledge, tmp_path / "data"), function=CountingFunction())


def test_a_missing_knowledge_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="knowledge folder not found"):
        index_knowledge(settings_for(tmp_path / "nowhere", tmp_path / "data"), function=CountingFunction())


# --- client documents -----------------------------------------------------------------------------------


def test_client_documents_are_scoped_to_their_workspace(tmp_path: Path) -> None:
    settings = settings_for(write_small_knowledge(tmp_path / "k"), tmp_path / "data")
    counting = CountingFunction()
    index_knowledge(settings, function=counting)
    text = "# Notes\n\nThe warehouse team in Rotterdam refuses the new picking robot schedule.\n"
    assert index_client_document(settings, "ws-a", "Rotterdam notes.docx", text, function=counting) == 1
    retriever = open_retriever(settings, function=counting)
    question = "Rotterdam warehouse picking robot schedule"
    own = retriever.search(question, workspace_id="ws-a")
    assert own.results[0].source == "client document: Rotterdam notes.docx"
    for scope in (None, "ws-b"):
        assert all(
            p.source.startswith("knowledge/") for p in retriever.search(question, workspace_id=scope).results
        )
    # Re-indexing the framework leaves client documents alone.
    assert index_knowledge(settings, function=counting).removed == 0
    assert retriever.search(question, workspace_id="ws-a").results[0].source.startswith("client document")
    assert delete_client_document(settings, "ws-a", "Rotterdam notes.docx", function=counting) == 1
    assert all(
        p.source.startswith("knowledge/") for p in retriever.search(question, workspace_id="ws-a").results
    )


def test_reuploading_a_document_replaces_it_and_workspace_delete_clears_all(tmp_path: Path) -> None:
    settings = settings_for(write_small_knowledge(tmp_path / "k"), tmp_path / "data")
    counting = CountingFunction()
    index_client_document(
        settings, "ws-a", "plan.md", "## One\n\nfirst\n\n## Two\n\nsecond", function=counting
    )
    index_client_document(settings, "ws-a", "plan.md", "only one section now", function=counting)
    index_client_document(settings, "ws-a", "other.md", "another text", function=counting)
    index_client_document(settings, "ws-b", "plan.md", "workspace b text", function=counting)
    stored = _stored(settings, counting)
    assert sorted(str(m["workspace_id"]) for m in stored.values()) == ["ws-a", "ws-a", "ws-b"]
    assert delete_workspace_documents(settings, "ws-a", function=counting) == 2
    assert [m["workspace_id"] for m in _stored(settings, counting).values()] == ["ws-b"]


def test_client_document_input_is_checked(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "k", tmp_path / "data")
    with pytest.raises(IngestError, match="workspace id is required"):
        index_client_document(settings, " ", "a.md", "text", function=CountingFunction())
    with pytest.raises(IngestError, match=r"'empty\.md': no text"):
        index_client_document(settings, "ws", "empty.md", "  \n", function=CountingFunction())


def test_the_same_document_text_is_indexed_once_under_any_name(tmp_path: Path) -> None:
    from keysmith.ingest import add_client_document

    settings = settings_for(write_small_knowledge(tmp_path / "k"), tmp_path / "data")
    counting = CountingFunction()
    text = "## Owner\n\nNobody owns the model since March.\n\n## Data\n\nThe Leeds ERP feeds no orders."
    first = add_client_document(settings, "ws-a", "status.docx", text, function=counting)
    embedded = len(counting.texts)
    # The same words re-extracted (other line breaks) are the same document: nothing is embedded again.
    again = add_client_document(
        settings, "ws-a", "status.docx", text.replace("\n\n", "\n\n\n"), function=counting
    )
    copy = add_client_document(settings, "ws-a", "status copy.docx", text, function=counting)
    assert (first.unchanged, first.chunks) == (False, 2) and embedded == 2
    assert (again.unchanged, again.same_as, again.chunks) == (True, "status.docx", 2)
    assert (copy.unchanged, copy.same_as) == (True, "status.docx")
    assert len(counting.texts) == embedded
    # Another workspace holding the same text is its own document.
    assert add_client_document(settings, "ws-b", "status.docx", text, function=counting).unchanged is False
    hashes = {str(m.get("document_hash")) for m in _stored(settings, counting).values() if m["workspace_id"]}
    assert len(hashes) == 1 and len(next(iter(hashes))) == 64


def test_client_documents_split_at_their_sections_and_docx_headings_count() -> None:
    import io

    from docx import Document

    from keysmith.ingest import CLIENT_CHUNK_CHARS, client_document_chunks
    from keysmith.ingest.extract import extract_text

    document = Document()
    document.add_heading("Status report", level=0)
    document.add_heading("Ownership", level=1)
    document.add_paragraph("Nobody owns the model since the pilot lead left.")
    document.add_heading("Sites", level=1)
    document.add_paragraph("Leeds runs another ERP. " * 60)
    buffer = io.BytesIO()
    document.save(buffer)
    text = extract_text("status.docx", buffer.getvalue())
    assert text.startswith("# Status report\n\n## Ownership\n\nNobody owns")
    chunks = client_document_chunks("ws", "status.docx", text)
    assert chunks[0].heading == "status.docx > Ownership" and chunks[0].text.startswith("Nobody owns")
    sites = [c for c in chunks if c.heading == "status.docx > Sites"]
    assert len(sites) >= 2 and all(len(c.text) <= CLIENT_CHUNK_CHARS for c in sites)


class _RecordFails(Store):
    """A store whose document record cannot be written (a busy database)."""

    def add_document(self, workspace_id: str, name: str, size: int, chunks: int) -> Document:
        raise StoreError("database is locked")


def test_an_upload_whose_record_fails_leaves_no_searchable_chunks(tmp_path: Path) -> None:
    settings = settings_for(write_small_knowledge(tmp_path / "k"), tmp_path / "data")
    counting = CountingFunction()
    good = Store(f"sqlite:///{tmp_path / 'k.db'}")
    ws = good.create_workspace("Upload order")
    first = b"The first plan: Leeds goes live in May."
    add_document(settings, good, ws.id, "plan.md", first, function=counting)
    good.close()
    failing = _RecordFails(f"sqlite:///{tmp_path / 'k.db'}")
    with pytest.raises(StoreError, match="database is locked"):
        add_document(settings, failing, ws.id, "plan.md", b"A new plan: Porto goes first.", function=counting)
    texts = [str(m.get("title")) for m in _stored(settings, counting).values() if m.get("workspace_id")]
    assert texts == ["plan.md"] and [d.chunks for d in failing.list_documents(ws.id)] == [1]
    retriever = open_retriever(settings, function=counting)
    assert "Leeds" in retriever.workspace_passages(ws.id)[0].text  # the old document, still recorded
    failing.close()


def test_an_upload_whose_index_swap_fails_removes_its_new_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keysmith.ingest.upload as upload

    def broken(*args: object, **kwargs: object) -> None:
        raise IngestError("index unavailable")

    settings = settings_for(write_small_knowledge(tmp_path / "k"), tmp_path / "data")
    store = Store(f"sqlite:///{tmp_path / 'k.db'}")
    ws = store.create_workspace("Swap fails")
    monkeypatch.setattr(upload, "add_client_document", broken)
    with pytest.raises(IngestError, match="index unavailable"):
        add_document(settings, store, ws.id, "plan.md", b"A plan.", function=CountingFunction())
    assert store.list_documents(ws.id) == []
    store.close()
