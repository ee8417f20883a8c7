"""Knowledge index and search: Keysmith against naive baselines measured in the same run.

- cold index build: `index_knowledge` into an empty store vs a naive full build (embed and add every chunk,
  no hashes) — both embed everything, so this shows the cost of the bookkeeping;
- re-index with nothing changed, and after one edited page: incremental (hash compare) vs the naive
  "rebuild everything at every start";
- query p50/p95: hybrid search (vectors + BM25 + abstain rule) vs vectors only (one Chroma query);
- recall@3 on evals/datasets/retrieval.yaml: hybrid vs vectors only (higher is better);
- peak memory (ru_maxrss) of a fresh process that opens the index and answers every labelled question, vs a
  process that re-embeds the knowledge into memory at start (the naive chain of bench/naive.py).

`python -m bench.bench_retrieval` prints the table; `run()` returns the dict (`bench/run.py` convention:
`comparisons` = [{name, unit, keysmith, baseline, baseline_name}]). No timing is asserted anywhere.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import comparison, percentiles_ms

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"
LABELLED = ROOT / "evals" / "datasets" / "retrieval.yaml"
EDITED_PAGE = "economics-shift.md"


def _settings(knowledge_dir: Path, data_dir: Path) -> Any:
    from keysmith.config import Settings

    return Settings(knowledge_dir=knowledge_dir, data_dir=data_dir, model="offline")


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def naive_build(settings: Any) -> None:
    """The baseline index: drop the collection and embed + add every chunk again (what a start without
    hashes does)."""
    from keysmith.framework import load_framework
    from keysmith.ingest.chunking import chunk_page, load_pages
    from keysmith.retrieval.embeddings import collection_name
    from keysmith.retrieval.functions import embedding_function
    from keysmith.retrieval.vectorstore import open_client, open_collection

    client = open_client(settings)
    if collection_name(settings) in [c.name for c in client.list_collections()]:
        client.delete_collection(collection_name(settings))
    collection = open_collection(client, settings)
    variable_ids = load_framework(settings.framework_dir).variable_ids
    chunks = [c for p in load_pages(settings.knowledge_dir, variable_ids) for c in chunk_page(p)]
    function = embedding_function(settings)
    for start in range(0, len(chunks), 16):
        batch = chunks[start : start + 16]
        collection.add(
            ids=[c.id for c in batch],
            embeddings=function([c.embed_text for c in batch]),
            documents=[c.text for c in batch],
            metadatas=[c.metadata() for c in batch],
        )


def indexing(work: Path) -> dict[str, dict[str, float]]:
    """Seconds for cold build, unchanged re-index and one-page re-index, Keysmith vs naive."""
    from keysmith.ingest import index_knowledge
    from keysmith.retrieval.embeddings import embed_texts

    embed_texts(["warm up"])  # load the model once, outside every measurement
    knowledge = work / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)  # with framework/: indexing reads the variable ids from it
    ours, naive = _settings(knowledge, work / "ours"), _settings(knowledge, work / "naive")
    result = {
        "cold": {
            "keysmith": _timed(lambda: index_knowledge(ours)),
            "baseline": _timed(lambda: naive_build(naive)),
        },
        "unchanged": {
            "keysmith": _timed(lambda: index_knowledge(ours)),
            "baseline": _timed(lambda: naive_build(naive)),
        },
    }
    page = knowledge / EDITED_PAGE
    page.write_text(page.read_text(encoding="utf-8").replace("forgiving", "generous"), encoding="utf-8")
    result["one_page_edited"] = {
        "keysmith": _timed(lambda: index_knowledge(ours)),
        "baseline": _timed(lambda: naive_build(naive)),
    }
    return result


def querying(data_dir: Path) -> dict[str, Any]:
    """Latency and recall@3 over the labelled questions: hybrid vs vectors only (same index, same model)."""
    from keysmith.retrieval import open_retriever
    from keysmith.retrieval.functions import embedding_function
    from keysmith.retrieval.quality import evaluate, load_labelled_set
    from keysmith.retrieval.vectorstore import open_client, open_collection

    settings = _settings(KNOWLEDGE, data_dir)
    labelled = load_labelled_set(LABELLED)
    questions = [q.question for q in labelled.queries + labelled.off_topic]
    retriever = open_retriever(settings)
    collection = open_collection(open_client(settings), settings)
    function = embedding_function(settings)

    def vectors_only(question: str) -> list[str]:
        found = collection.query(
            query_embeddings=function([question]), n_results=3, where={"workspace_id": ""}
        )
        return list(found["ids"][0])

    retriever.search("warm up")
    vectors_only("warm up")
    hybrid_s = [_timed(lambda q=q: retriever.search(q, k=3)) for q in questions]
    vector_s = [_timed(lambda q=q: vectors_only(q)) for q in questions]
    vector_hits = sum(any(i in q.relevant for i in vectors_only(q.question)) for q in labelled.queries)
    return {
        "hybrid_ms": percentiles_ms(hybrid_s),
        "vectors_ms": percentiles_ms(vector_s),
        "hybrid": evaluate(retriever, labelled, k=3).to_dict(),
        "vectors_recall_at_3": round(vector_hits / len(labelled.queries), 4),
    }


def child(side: str, data_dir: Path) -> dict[str, float]:
    """In a fresh process: open the index (or re-embed everything), answer every labelled question."""
    from keysmith.retrieval.quality import load_labelled_set

    labelled = load_labelled_set(LABELLED)
    questions = [q.question for q in labelled.queries + labelled.off_topic]
    if side == "keysmith":
        from keysmith.retrieval import open_retriever

        retriever = open_retriever(_settings(KNOWLEDGE, data_dir))
        for question in questions:
            retriever.search(question)
    else:
        from bench.naive import NaiveChain
        from keysmith.retrieval.embeddings import embed_texts

        chain = NaiveChain(KNOWLEDGE, embed_texts)
        for question in questions:
            chain.retrieve(question)
    return {"peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _child_memory(side: str, data_dir: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_retrieval", "--child", side, str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1])["peak_mib"])


def run() -> dict[str, Any]:
    """Measure everything in a temporary folder; return the comparisons and details (prints nothing)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        index = indexing(work)
        data_dir = work / "query-data"
        from keysmith.ingest import index_knowledge

        index_knowledge(_settings(KNOWLEDGE, data_dir))
        query = querying(data_dir)
        memory = {
            "keysmith": _child_memory("keysmith", data_dir),
            "baseline": _child_memory("naive", data_dir),
        }
    rebuild, vectors = "naive: rebuild (re-embed everything)", "vectors only (one Chroma query)"
    rows = [
        ("cold index build", "s", index["cold"], rebuild),
        ("re-index, nothing changed", "s", index["unchanged"], rebuild),
        ("re-index, one page edited", "s", index["one_page_edited"], rebuild),
        (
            "search p50",
            "ms",
            {"keysmith": query["hybrid_ms"]["p50"], "baseline": query["vectors_ms"]["p50"]},
            vectors,
        ),
        (
            "search p95",
            "ms",
            {"keysmith": query["hybrid_ms"]["p95"], "baseline": query["vectors_ms"]["p95"]},
            vectors,
        ),
        (
            "recall@3 (higher is better)",
            "share",
            {"keysmith": query["hybrid"]["recall@3"], "baseline": query["vectors_recall_at_3"]},
            "vectors only",
        ),
        ("peak memory, open + search", "MiB", memory, "naive: re-embed into memory at start"),
    ]
    comparisons = [
        comparison(name, unit, pair["keysmith"], pair["baseline"], base) for name, unit, pair, base in rows
    ]
    for c in comparisons:
        c["keysmith"], c["baseline"] = round(c["keysmith"], 4), round(c["baseline"], 4)
    return {"comparisons": comparisons, "retrieval_quality": query["hybrid"]}


def main() -> dict[str, Any]:
    """Run, print one line per comparison with its ratio, and return the dict."""
    result = run()
    for c in result["comparisons"]:
        ratio = c["keysmith"] / c["baseline"] if c["baseline"] else float("nan")
        print(f"{c['name']:<30} keysmith {c['keysmith']:>10} {c['unit']:<5} baseline {c['baseline']:>10}  "
              f"ratio {ratio:.2f}x  ({c['baseline_name']})")  # fmt: skip
    print(json.dumps(result["retrieval_quality"]))
    return result


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], Path(sys.argv[3]))))
    else:
        main()
