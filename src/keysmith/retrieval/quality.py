"""Retrieval quality on a labelled set (evals/datasets/retrieval.yaml): recall@k, MRR, abstention accuracy.

Shared by tests/test_retrieval.py, the bench and `keysmith eval retrieval`, so all three compute the metrics
the same way. The file's schema is documented at its top.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from keysmith.errors import KeysmithError
from keysmith.retrieval import Retriever

MRR_DEPTH = 10  # MRR looks at the top 10; recall@k at the top k


@dataclass(frozen=True)
class LabelledQuery:
    id: str
    question: str
    relevant: tuple[str, ...]  # empty for an off-topic question


@dataclass(frozen=True)
class LabelledSet:
    queries: tuple[LabelledQuery, ...]
    off_topic: tuple[LabelledQuery, ...]


@dataclass(frozen=True)
class RetrievalScores:
    """The metrics plus the ids of the questions that missed (for a readable failure message)."""

    recall_at_k: float
    mrr: float
    abstention_accuracy: float
    k: int
    missed: tuple[str, ...] = field(default=())
    wrong_abstentions: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            f"recall@{self.k}": round(self.recall_at_k, 4),
            "mrr": round(self.mrr, 4),
            "abstention_accuracy": round(self.abstention_accuracy, 4),
            "missed": list(self.missed),
            "wrong_abstentions": list(self.wrong_abstentions),
        }


def _entries(raw: object, key: str, path: Path, labelled: bool) -> tuple[LabelledQuery, ...]:
    if not isinstance(raw, list):
        raise KeysmithError(f"{path}: {key}: expected a list, got {type(raw).__name__}")
    entries = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            raise KeysmithError(
                f"{path}: {key}[{number}]: expected {{id, question{', relevant' * labelled}}}"
            )
        relevant = item.get("relevant", []) if labelled else []
        if labelled and (not isinstance(relevant, list) or not relevant):
            raise KeysmithError(f"{path}: {key}[{number}]: relevant: expected a non-empty list of chunk ids")
        entries.append(
            LabelledQuery(str(item.get("id", number)), item["question"], tuple(map(str, relevant)))
        )
    return tuple(entries)


def load_labelled_set(path: Path) -> LabelledSet:
    """Read and check the labelled set; a malformed file raises `KeysmithError` naming the entry."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KeysmithError(f"{path}: cannot read the labelled set: {exc}") from None
    if not isinstance(doc, dict):
        raise KeysmithError(f"{path}: expected a mapping with 'queries' and 'off_topic'")
    return LabelledSet(
        queries=_entries(doc.get("queries"), "queries", path, labelled=True),
        off_topic=_entries(doc.get("off_topic"), "off_topic", path, labelled=False),
    )


def evaluate(retriever: Retriever, labelled: LabelledSet, k: int = 3) -> RetrievalScores:
    """Run every question through `retriever.search(question, k=k)` and score the results."""
    hits, reciprocal, correct = 0, 0.0, 0
    missed, wrong = [], []
    for query in labelled.queries:
        result = retriever.search(query.question, k=max(k, MRR_DEPTH))
        ids = [p.id for p in result.results]
        rank = next((n for n, i in enumerate(ids, start=1) if i in query.relevant), 0)
        hits += 0 < rank <= k
        reciprocal += 1.0 / rank if rank else 0.0
        correct += not result.abstained
        if not 0 < rank <= k:
            missed.append(query.id)
        if result.abstained:
            wrong.append(query.id)
    for query in labelled.off_topic:
        abstained = retriever.search(query.question, k=k).abstained
        correct += abstained
        if not abstained:
            wrong.append(query.id)
    total = len(labelled.queries) + len(labelled.off_topic)
    count = max(len(labelled.queries), 1)
    return RetrievalScores(
        recall_at_k=hits / count,
        mrr=reciprocal / count,
        abstention_accuracy=correct / max(total, 1),
        k=k,
        missed=tuple(missed),
        wrong_abstentions=tuple(wrong),
    )
