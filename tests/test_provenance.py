"""Provenance (issue 14, item 6): every knowledge page names the sources its facts come from.

The registry is knowledge/sources.yaml; a page's `facts_from` must name ids in it (indexing refuses anything
else); the ids travel through the chunk metadata to the retrieved passage, to the citation in `ask --json`, to
`framework --json` and to the label of a cited source in the app.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from app_support import new_client, open_app
from retrieval_support import KNOWLEDGE, CountingFunction, settings_for, write_small_knowledge

from keysmith.config import Settings
from keysmith.errors import IngestError
from keysmith.framework import load_framework
from keysmith.framework.sources import load_sources
from keysmith.ingest import index_client_document, index_knowledge
from keysmith.ingest.chunking import chunk_page, load_pages, parse_page
from keysmith.retrieval import Retriever, open_retriever
from keysmith.retrieval.vectorstore import open_client, open_collection
from keysmith.ui.render import provenance

VARIABLE_IDS = load_framework(KNOWLEDGE / "framework").variable_ids
REGISTRY = load_sources(KNOWLEDGE / "sources.yaml")
PILOT_ARTICLE = "https://dragodimitrov.com/why-your-ai-pilot-succeeds-but-your-ai-transformation-stalls/"
KEYSMITH_OWN = {"limits"}  # pages Keysmith wrote about itself: no outside source


def _page(page_id: str, facts_from: str, text: str = "Some text.") -> str:
    return (
        f"---\nid: {page_id}\ntitle: {page_id.title()}\nkind: concept\nrelated_variables: [governance]\n"
        f"source: framework\nfacts_from: {facts_from}\n---\n\n## Section\n\n{text}\n"
    )


def _knowledge_with_registry(directory: Path) -> Path:
    """The two small test pages, the real framework data and the real source registry."""
    write_small_knowledge(directory)
    shutil.copy(KNOWLEDGE / "sources.yaml", directory / "sources.yaml")
    return directory


def _cli(
    *args: str, cwd: Path, data_dir: Path, knowledge: Path = KNOWLEDGE
) -> subprocess.CompletedProcess[str]:
    """`keysmith ARGS` in a subprocess, offline, over `knowledge` (cwd a tmp dir: no stray .env is read)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CHROMA_")}
    env |= {
        "KEYSMITH_KNOWLEDGE_DIR": str(knowledge),
        "KEYSMITH_DATA_DIR": str(data_dir),
        "KEYSMITH_MODEL": "offline",
    }
    return subprocess.run(
        [sys.executable, "-m", "keysmith.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- the registry and the pages -------------------------------------------------------------------------


def test_the_registry_lists_s1_to_s9_with_kinds_and_addresses() -> None:
    assert list(REGISTRY) == [f"S{n}" for n in range(1, 10)]
    kinds = {s.id: s.kind for s in REGISTRY.values()}
    assert kinds["S2"] == "article" and kinds["S9"] == "background"
    assert {kinds[f"S{n}"] for n in (1, 3, 4, 5, 6, 7, 8)} == {"site"}
    assert REGISTRY["S2"].url == PILOT_ARTICLE
    assert all(s.url.startswith("https://") and s.title for s in REGISTRY.values())
    site = [s.url for s in REGISTRY.values() if s.kind in ("article", "site")]
    assert all(url.startswith("https://dragodimitrov.com/") for url in site)


def test_every_knowledge_page_names_its_sources_except_keysmiths_own() -> None:
    pages = load_pages(KNOWLEDGE, VARIABLE_IDS)
    assert len(pages) == 23
    for page in pages:
        if page.id in KEYSMITH_OWN:
            assert page.facts_from == () and page.source == "keysmith", page.id
        else:
            assert page.facts_from, f"{page.path}: facts_from is empty"
            assert set(page.facts_from) <= set(REGISTRY), page.id
    used = {s for p in pages for s in p.facts_from}
    assert "S2" in used and {"S5", "S6", "S7", "S8"} <= used


def test_pages_built_on_the_authors_other_articles_say_so_in_their_text() -> None:
    for page in load_pages(KNOWLEDGE, VARIABLE_IDS):
        site_ids = [s for s in page.facts_from if REGISTRY[s].kind == "site"]
        if not site_ids:
            continue
        text = " ".join(page.body.split())
        for source_id in site_ids:
            assert f"({source_id})" in text, f"{page.path} does not name {source_id} in its text"
        assert re.search(r"draws on the author's public articles? on .*not on the AI-pilot article", text), (
            page.path
        )


def test_pages_built_only_on_other_articles_do_not_claim_the_pilot_article() -> None:
    pages = {p.id: p for p in load_pages(KNOWLEDGE, VARIABLE_IDS)}
    assert pages["root-causes"].facts_from == ("S6", "S7")
    assert pages["problem-definition"].facts_from == ("S4", "S5", "S6")
    assert pages["governance-vacuum"].facts_from == ("S2",)
    assert "S9" in pages["omission-neglect"].facts_from  # the Silver Blaze background


# --- validation -----------------------------------------------------------------------------------------


def test_an_unknown_source_id_is_refused_naming_file_field_and_value() -> None:
    with pytest.raises(IngestError) as caught:
        parse_page(_page("x", "[S2, S42]"), "knowledge/x.md", VARIABLE_IDS, tuple(REGISTRY))
    message = str(caught.value)
    assert message.startswith("knowledge/x.md: front matter: facts_from: unknown source 'S42'")
    assert "S2" not in message.split("unknown source")[1].split("(")[0]  # the known one is not blamed


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("S2", "expected a list of source ids, got 'S2'"),
        ("[2]", "expected a list of source ids, got [2]"),
        ("[S2, S2]", "duplicate source ids"),
    ],
)
def test_malformed_facts_from_is_refused(value: str, message: str) -> None:
    with pytest.raises(IngestError, match=re.escape(message)):
        parse_page(_page("x", value), "knowledge/x.md", VARIABLE_IDS, tuple(REGISTRY))


def test_indexing_refuses_a_page_with_an_unknown_source_and_writes_nothing(tmp_path: Path) -> None:
    knowledge = _knowledge_with_registry(tmp_path / "k")
    (knowledge / "made-up.md").write_text(_page("made-up", "[S2, S99]"), encoding="utf-8")
    settings = settings_for(knowledge, tmp_path / "data")
    with pytest.raises(
        IngestError, match=r"^knowledge/made-up\.md: front matter: facts_from: unknown source 'S99'"
    ):
        index_knowledge(settings, function=CountingFunction())
    collection = open_collection(open_client(settings), settings, CountingFunction())
    assert collection.count() == 0


def test_without_a_registry_every_source_id_is_unknown(tmp_path: Path) -> None:
    knowledge = write_small_knowledge(tmp_path / "k")  # no sources.yaml
    (knowledge / "p.md").write_text(_page("p", "[S2]"), encoding="utf-8")
    with pytest.raises(IngestError, match=r"^knowledge/p\.md: .*unknown source 'S2'.*sources\.yaml missing"):
        load_pages(knowledge, VARIABLE_IDS)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "  - {id: S1, title: T, url: 'https://a.example/', kind: blog}",
            r"sources\[0\]\.kind: expected one of",
        ),
        ("  - {id: X1, title: T, url: 'https://a.example/', kind: site}", r"sources\[0\]\.id: expected S"),
        ("  - {id: S1, title: T, url: 'a.example', kind: site}", r"sources\[0\]\.url: expected an http"),
        ("  - {id: S1, title: T, kind: site}", r"sources\[0\]\.url: missing required field"),
    ],
)
def test_a_broken_registry_is_refused_naming_the_file_and_field(
    tmp_path: Path, entry: str, message: str
) -> None:
    knowledge = write_small_knowledge(tmp_path / "k")
    (knowledge / "sources.yaml").write_text(f"sources:\n{entry}\n", encoding="utf-8")
    with pytest.raises(IngestError, match=rf"sources\.yaml: {message}"):
        load_pages(knowledge, VARIABLE_IDS)


# --- chunks, the index and retrieval --------------------------------------------------------------------


def test_chunk_metadata_joins_the_ids_and_client_documents_have_none(tmp_path: Path) -> None:
    chunks = chunk_page(parse_page(_page("x", "[S6, S7]"), "knowledge/x.md", VARIABLE_IDS, tuple(REGISTRY)))
    assert {c.metadata()["facts_from"] for c in chunks} == {"S6,S7"}
    settings = settings_for(_knowledge_with_registry(tmp_path / "k"), tmp_path / "data")
    counting = CountingFunction()
    index_client_document(settings, "ws", "notes.md", "Our rollout notes.", function=counting)
    collection = open_collection(open_client(settings), settings, counting)
    (meta,) = collection.get(include=["metadatas"])["metadatas"] or []
    assert meta["facts_from"] == ""


def test_changing_facts_from_alone_updates_the_stored_chunks(tmp_path: Path) -> None:
    knowledge = _knowledge_with_registry(tmp_path / "k")
    page = knowledge / "economics-shift.md"
    page.write_text(
        page.read_text(encoding="utf-8").replace("source: framework", "source: framework\nfacts_from: [S2]"),
        encoding="utf-8",
    )
    settings = settings_for(knowledge, tmp_path / "data")
    counting = CountingFunction()
    index_knowledge(settings, function=counting)
    page.write_text(page.read_text(encoding="utf-8").replace("[S2]", "[S2, S4]"), encoding="utf-8")
    summary = index_knowledge(settings, function=counting)
    assert (summary.updated, summary.unchanged) == (2, 2)  # the page's two chunks, nothing else
    passage = open_retriever(settings, function=counting).get("economics-shift#what-it-is")
    assert passage is not None and [s.id for s in passage.facts_from] == ["S2", "S4"]


def test_a_retrieved_passage_carries_its_pages_sources(retriever: Retriever) -> None:
    result = retriever.search("the CEO replaced his business analysts three times", k=3)
    top = result.results[0]
    assert top.source == "knowledge/root-causes.md"
    assert [(s.id, s.kind, s.url) for s in top.facts_from] == [
        ("S6", "site", REGISTRY["S6"].url),
        ("S7", "site", REGISTRY["S7"].url),
    ]
    assert top.to_dict()["facts_from"] == [REGISTRY["S6"].to_dict(), REGISTRY["S7"].to_dict()]
    limits = retriever.get("limits#solution-archetypes-only-4-of-14")
    assert limits is not None and limits.facts_from == ()


# --- the CLI and the app --------------------------------------------------------------------------------


def test_ask_json_citations_carry_their_sources(indexed_settings: Settings, tmp_path: Path) -> None:
    # A plain governance story (the facts_from of the governance page are checked below). The earlier one
    # added "now that the rollout reaches other regions", which the retrained reader of 2026-12-03 reads
    # as the Zoom Level Problem first, asking about governance instead of citing it.
    story = "Our AI pilot worked, but nobody owns the model and nobody decides who may change it."
    result = _cli("ask", story, "--json", cwd=tmp_path, data_dir=indexed_settings.data_dir)
    assert result.returncode == 0, result.stderr
    citations = json.loads(result.stdout)["citations"]
    assert citations
    for citation in citations:
        page_id = citation["id"].split("#")[0]
        assert citation["facts_from"], citation["id"]
        for source in citation["facts_from"]:
            assert source == REGISTRY[source["id"]].to_dict()
        page = parse_page(
            (KNOWLEDGE / f"{page_id}.md").read_text(encoding="utf-8"),
            f"knowledge/{page_id}.md",
            VARIABLE_IDS,
            tuple(REGISTRY),
        )
        assert [s["id"] for s in citation["facts_from"]] == list(page.facts_from)
    vacuum = [c for c in citations if c["id"].startswith("governance-vacuum#")]
    assert vacuum and vacuum[0]["facts_from"][0]["url"] == PILOT_ARTICLE


def test_framework_json_lists_the_sources_and_every_page_with_its_sources(tmp_path: Path) -> None:
    result = _cli("framework", "--json", cwd=tmp_path, data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["sources"] == [s.to_dict() for s in REGISTRY.values()]
    pages = {p["id"]: p for p in data["knowledge_pages"]}
    assert set(pages) == {f.stem for f in KNOWLEDGE.glob("*.md")}
    assert pages["root-causes"] == {
        "id": "root-causes",
        "title": "Root causes versus symptoms",
        "facts_from": ["S6", "S7"],
    }
    assert pages["limits"]["facts_from"] == []
    assert "variables" in data and data["archetype_total"] == 14  # the framework data is still there


def test_framework_json_refuses_a_page_with_an_unknown_source(tmp_path: Path) -> None:
    knowledge = _knowledge_with_registry(tmp_path / "knowledge")
    (knowledge / "made-up.md").write_text(_page("made-up", "[S77]"), encoding="utf-8")
    result = _cli("framework", "--json", cwd=tmp_path, data_dir=tmp_path / "d", knowledge=knowledge)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(
        "keysmith: knowledge/made-up.md: front matter: facts_from: unknown source 'S77'"
    )


def test_the_citation_label_names_the_source_after_the_passage() -> None:
    article = REGISTRY["S2"].to_dict()
    assert (
        provenance({"facts_from": [article]}) == " — from: Why Your AI Pilot Succeeds But Your AI… (article)"
    )
    two = provenance({"facts_from": [REGISTRY["S6"].to_dict(), REGISTRY["S7"].to_dict()]})
    assert two.startswith(" — from: The author's article on root cause") and two.count("(site)") == 2
    assert provenance({"source": "client document: notes.md", "facts_from": []}) == ""
    assert provenance({"source": "knowledge/x.md"}) == ""  # an answer stored before provenance existed


@pytest.fixture
def offline_app(app_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app over the session's shared indexed data dir (real knowledge), with the offline model."""
    monkeypatch.setenv("KEYSMITH_DATA_DIR", str(app_data_dir))
    monkeypatch.setenv("KEYSMITH_MODEL", "offline")
    monkeypatch.delenv("KEYSMITH_KNOWLEDGE_DIR", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return app_data_dir


def test_the_app_shows_the_source_title_on_a_cited_passage(offline_app: Path) -> None:
    at = new_client(open_app(), "Provenance client")
    at.segmented_control(key="mode").set_value("Diagnose my pilot").run()
    at.chat_input[0].set_value("Nobody owns our AI model now that the pilot team has moved on. Why?").run()
    assert not at.exception, at.exception
    labels = [e.label for e in at.expander if e.label.startswith("[")]
    assert labels, [e.label for e in at.expander]
    assert any(
        "Governance Vacuum" in label and "— from: Why Your AI Pilot Succeeds" in label for label in labels
    ), labels
