"""Hybrid search over the real knowledge: ranking on the labelled set, abstention, filters, errors, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import run_cli
from processes import free_port
from retrieval_support import LABELLED, CountingFunction, settings_for, write_small_knowledge

from keysmith.errors import RetrievalError
from keysmith.ingest import index_client_document, index_knowledge
from keysmith.retrieval import Retriever, SearchResult, excerpt, open_retriever
from keysmith.retrieval.bm25 import BM25Index, tokenize
from keysmith.retrieval.quality import evaluate, load_labelled_set


def test_the_erp_question_finds_the_input_output_mismatch_first(retriever: Retriever) -> None:
    result = retriever.search("the ERP can't take the model's output")
    assert not result.abstained
    first = result.results[0]
    assert first.id.startswith("input-output-mismatch#")
    assert first.source == "knowledge/input-output-mismatch.md"
    assert first.heading.startswith("Input-Output Mismatch > ")


def test_labelled_queries_meet_the_recall_and_abstention_targets(retriever: Retriever) -> None:
    scores = evaluate(retriever, load_labelled_set(LABELLED), k=3)
    assert scores.recall_at_k >= 0.9, scores.to_dict()
    assert scores.abstention_accuracy >= 0.9, scores.to_dict()


def test_off_topic_questions_abstain_and_on_topic_ones_do_not(retriever: Retriever) -> None:
    labelled = load_labelled_set(LABELLED)
    assert len(labelled.queries) >= 40 and len(labelled.off_topic) >= 10
    abstained = [q.id for q in labelled.off_topic if retriever.search(q.question).abstained]
    assert len(abstained) / len(labelled.off_topic) >= 0.9, abstained
    pizza = retriever.search("best pizza in Naples?")
    assert pizza == SearchResult(abstained=True, results=())


def test_kind_filter_returns_only_that_kind(retriever: Retriever) -> None:
    result = retriever.search("what should we do before scaling?", k=5, kind="archetype")
    assert result.results and {p.kind for p in result.results} == {"archetype"}
    limits = retriever.search("which archetypes are you missing?", k=5, kind="limits")
    assert limits.results and {p.kind for p in limits.results} == {"limits"}
    # A filter can leave nothing close enough: then it abstains rather than citing a weak match.
    assert retriever.search("best pizza in Naples?", kind="archetype").abstained


def test_results_are_ordered_sized_and_serialisable(retriever: Retriever) -> None:
    result = retriever.search("nobody owns the AI after the pilot", k=2)
    assert len(result.results) == 2
    assert result.results[0].score >= result.results[1].score
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["abstained"] is False
    assert set(payload["results"][0]) == {"id", "source", "heading", "excerpt", "score", "facts_from"}


def test_get_returns_a_passage_by_id_or_none(retriever: Retriever) -> None:
    passage = retriever.get("governance-vacuum#what-helps")
    assert passage is not None and passage.kind == "stall_reason" and "owner" in passage.text
    assert passage.heading == "Governance Vacuum > What helps"
    assert retriever.get("governance-vacuum#no-such-section") is None


def test_empty_query_abstains(retriever: Retriever) -> None:
    assert retriever.search("   ").abstained


def test_excerpt_cuts_at_a_word_boundary() -> None:
    text = "word " * 100
    short = excerpt(text)
    assert short.endswith("…") and len(short) <= 301 and not short[:-1].endswith(" ")
    assert excerpt("short text\nhere") == "short text here"


def test_bm25_prefers_the_document_with_the_rare_term() -> None:
    index = BM25Index.build([("a", "the rollout stalled at the seams"), ("b", "the ERP rejects the output")])
    scores = index.scores("Why does the ERP reject it?")
    assert set(scores) == {"b"}
    assert 0 < scores["b"] <= index.max_possible("Why does the ERP reject it?")
    assert tokenize("The rollouts were scaling") == ["rollout", "scal"]


def test_a_long_lived_retriever_sees_new_documents(tmp_path: Path) -> None:
    settings = settings_for(write_small_knowledge(tmp_path / "k"), tmp_path / "data")
    counting = CountingFunction()
    index_knowledge(settings, function=counting)
    retriever = open_retriever(settings, function=counting)
    question = "Kowalczyk tender for forklift telematics"
    assert retriever.search(question, workspace_id="ws").abstained
    index_client_document(settings, "ws", "tender.txt", "The Kowalczyk tender covers forklift telematics.")
    assert retriever.search(question, workspace_id="ws").results[0].id.endswith("#part-1")


def test_an_empty_index_says_to_run_keysmith_index(tmp_path: Path) -> None:
    retriever = open_retriever(settings_for(tmp_path / "k", tmp_path / "data"))
    with pytest.raises(RetrievalError, match="run `keysmith index`"):
        retriever.search("anything")


def test_an_unreachable_chroma_server_is_a_plain_retrieval_error(tmp_path: Path) -> None:
    port = free_port()
    settings = settings_for(tmp_path / "k", tmp_path / "data", chroma_host="127.0.0.1", chroma_port=port)
    with pytest.raises(RetrievalError, match=f"Chroma server at 127.0.0.1:{port}") as caught:
        open_retriever(settings)
    assert "\n" not in str(caught.value)


def test_a_background_connection_raises_the_same_error_at_the_first_search(tmp_path: Path) -> None:
    port = free_port()
    settings = settings_for(tmp_path / "k", tmp_path / "data", chroma_host="127.0.0.1", chroma_port=port)
    retriever = open_retriever(settings, wait=False)  # returns at once: nothing raised yet
    with pytest.raises(
        RetrievalError, match=f"could not open the vector store: the Chroma server at 127.0.0.1:{port}"
    ):
        retriever.search("why did the rollout stall")
    with pytest.raises(RetrievalError, match=f"127.0.0.1:{port}"):  # and again, not a hang or a new error
        retriever.search("governance")


def test_cli_index_and_search(tmp_path: Path) -> None:
    knowledge = write_small_knowledge(tmp_path / "k")
    env = {"KEYSMITH_KNOWLEDGE_DIR": str(knowledge), "KEYSMITH_DATA_DIR": str(tmp_path / "data")}
    indexed = run_cli("index", cwd=tmp_path, env=env)
    assert indexed.returncode == 0, indexed.stderr
    assert indexed.stdout.startswith("indexed knowledge: 4 added, 0 updated, 0 removed, 0 unchanged in ")
    assert "4/4 sections" in indexed.stderr  # the progress bar
    found = run_cli(
        "search", "who owns the AI once the pilot team leaves?", "--json", "-k", "1", cwd=tmp_path, env=env
    )
    payload = json.loads(found.stdout)
    assert payload["abstained"] is False and payload["results"][0]["id"] == "governance-vacuum#what-it-is"
    human = run_cli("search", "best pizza in Naples?", cwd=tmp_path, env=env)
    assert human.returncode == 0 and "No passage" in human.stdout
    (knowledge / "economics-shift.md").write_text("no front matter\n", encoding="utf-8")
    broken = run_cli("index", cwd=tmp_path, env=env)
    assert broken.returncode == 2
    assert broken.stderr.strip().splitlines() == [
        "keysmith: knowledge/economics-shift.md: missing front matter (the file must start with a '---' line)"
    ]
