"""Cited search over the knowledge index: vectors + BM25 fused by reciprocal rank, with an abstain rule.

`open_retriever(settings)` connects to Chroma (embedded under the data dir, or the server at CHROMA_HOST).
Importing this package does not import chromadb (about a second): the connection is made in a background
thread that `open_retriever` starts, so a caller (`keysmith ask`, the app) reads the story meanwhile; the
first search waits for it, and a connection failure is raised there as the same `RetrievalError`.
`Retriever.search(query, k, kind, workspace_id)` returns a `SearchResult`: the top passages, or
`abstained=True` and no passages when nothing in the knowledge is close enough to the question (so the
assistant says the framework does not cover it instead of citing something unrelated).

Scope: framework chunks (workspace_id "") are always searchable; a workspace's client documents only when
that workspace is asked for, never another workspace's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from keysmith.config import Settings
from keysmith.errors import FrameworkError, RetrievalError
from keysmith.framework.sources import SOURCES_FILE, Source, load_sources, resolve
from keysmith.retrieval.bm25 import BM25Index
from keysmith.retrieval.embeddings import collection_name
from keysmith.retrieval.vectorstore import guarded, open_client, open_collection, revision, scalar_metadata

if TYPE_CHECKING:  # chromadb is imported in the connecting thread (see the module docstring)
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import Documents, EmbeddingFunction

    Function = EmbeddingFunction[Documents]

EXCERPT_CHARS = 300
RRF_K = 60  # the usual reciprocal-rank-fusion constant: damps the difference between ranks 1 and 2
VECTOR_CANDIDATES = 20
QUERY_CACHE_SIZE = 256


@dataclass(frozen=True)
class AbstainPolicy:
    """Abstain when the best cosine similarity is below `min_similarity` AND the best BM25 hit covers less
    than `min_keyword` of the query's maximum possible BM25 score. Calibrated on evals/datasets/retrieval.yaml
    (see tests/test_retrieval.py); a clearly on-topic question also passes on similarity alone."""

    min_similarity: float = 0.25
    min_keyword: float = 0.40


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk; `source` is the file (`knowledge/x.md`) or `client document: <name>`.

    `score` is the reciprocal-rank-fusion score (higher is better; a chunk ranked first by both vectors and
    BM25 gets 2/61 ≈ 0.033); `get()` returns 0.0. Compare scores within one search, not across searches.
    `facts_from` are the sources (knowledge/sources.yaml) its page's facts come from; client documents have
    none."""

    id: str
    source: str
    heading: str
    title: str
    kind: str
    text: str
    excerpt: str
    score: float
    facts_from: tuple[Source, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "source": self.source,
            "heading": self.heading,
            "excerpt": self.excerpt,
            "score": self.score,
            "facts_from": [s.to_dict() for s in self.facts_from],
        }


@dataclass(frozen=True)
class SearchResult:
    """The passages for one query (best first), or `abstained=True` with none."""

    abstained: bool
    results: tuple[Passage, ...]

    def to_dict(self) -> dict[str, object]:
        return {"abstained": self.abstained, "results": [p.to_dict() for p in self.results]}


@dataclass(frozen=True)
class SearchSignals:
    """Why a query was (not) answered: used by the abstain rule, calibration and the bench."""

    best_similarity: float
    best_keyword: float


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The first ~`limit` characters, cut at a word boundary, with '…' when shortened."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",;:.-")
    return f"{cut}…"


def _where(kind: str | None, workspace_id: str | None) -> dict[str, Any]:
    scope: dict[str, Any] = (
        {"workspace_id": {"$in": ["", workspace_id]}} if workspace_id else {"workspace_id": ""}
    )
    return {"$and": [scope, {"kind": kind}]} if kind else scope


def _allowed(meta: dict[str, str], kind: str | None, workspace_id: str | None) -> bool:
    in_scope = meta.get("workspace_id", "") in ("", workspace_id or "")
    return in_scope and (kind is None or meta.get("kind") == kind)


def _fuse(rankings: list[list[str]]) -> dict[str, float]:
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, doc_id in enumerate(ranking, start=1):
            fused[doc_id] = fused.get(doc_id, 0.0) + 1.0 / (RRF_K + rank)
    return fused


@dataclass(frozen=True)
class _Corpus:
    """Every chunk's text and metadata at one collection revision, with its BM25 index."""

    revision: str
    texts: dict[str, str]
    metadata: dict[str, dict[str, str]]
    bm25: BM25Index


class Retriever:
    """Hybrid search over one Chroma collection. Thread-safe; the BM25 index is rebuilt only after a write."""

    def __init__(
        self,
        settings: Settings,
        connection: Future[tuple[ClientAPI, Function]],
        policy: AbstainPolicy | None = None,
    ) -> None:
        """`connection` resolves to the Chroma client and the embedding function (see `open_retriever`)."""
        self._settings = settings
        self._connection = connection
        self.policy = policy or AbstainPolicy()
        self._lock = threading.Lock()
        self._corpus: _Corpus | None = None
        self._sources: tuple[int, Mapping[str, Source]] = (-1, {})  # (file mtime_ns, registry)
        # A turn often searches the same words more than once (composer, tools, UI): embed them once.
        self._vectors: OrderedDict[str, Any] = OrderedDict()

    def _query_vector(self, query: str) -> Any:
        with self._lock:
            if query in self._vectors:
                self._vectors.move_to_end(query)
                return self._vectors[query]
        vector = self.connection()[1]([query])[0]
        with self._lock:
            self._vectors[query] = vector
            if len(self._vectors) > QUERY_CACHE_SIZE:
                self._vectors.popitem(last=False)
        return vector

    def _registry(self) -> Mapping[str, Source]:
        """knowledge/sources.yaml, re-read when the file changes. Missing or broken: {} (a passage then
        carries its source ids, each as its own title; `keysmith index` reports a broken registry)."""
        path = self._settings.knowledge_dir / SOURCES_FILE
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return {}
        with self._lock:
            if self._sources[0] == stamp:
                return self._sources[1]
        try:
            registry = load_sources(path)
        except FrameworkError:
            registry = {}
        with self._lock:
            self._sources = (stamp, registry)
        return registry

    def connection(self) -> tuple[ClientAPI, Function]:
        """The Chroma client and embedding function, waiting for the connecting thread (raises its error)."""
        return self._connection.result()

    def _collection(self) -> Collection:
        # Fetched fresh each time: its metadata carries the revision another process may have bumped.
        client, function = self.connection()
        return open_collection(client, self._settings, function)

    def _load_corpus(self, collection: Collection) -> _Corpus:
        with self._lock:
            current = revision(collection)
            if self._corpus is not None and self._corpus.revision == current:
                return self._corpus
            found = guarded(
                self._settings,
                "read the knowledge index",
                lambda: collection.get(include=["documents", "metadatas"]),
            )
            texts = {i: d or "" for i, d in zip(found["ids"], found.get("documents") or [], strict=False)}
            metas = {
                i: scalar_metadata(m)
                for i, m in zip(found["ids"], found.get("metadatas") or [], strict=False)
            }
            bm25 = BM25Index.build((i, f"{metas[i].get('heading', '')}\n{t}") for i, t in texts.items())
            self._corpus = _Corpus(revision=current, texts=texts, metadata=metas, bm25=bm25)
            return self._corpus

    def _vector_ranking(
        self, collection: Collection, query: str, where: dict[str, Any], size: int
    ) -> tuple[list[str], float]:
        """Ids by cosine similarity (best first) and the best similarity."""
        vector = self._query_vector(query)
        found = guarded(
            self._settings,
            "search the knowledge index",
            lambda: collection.query(
                query_embeddings=[vector], n_results=size, where=where, include=["distances"]
            ),
        )
        ids = found["ids"][0] if found["ids"] else []
        distances = (found.get("distances") or [[]])[0]
        best = 1.0 - float(distances[0]) if distances else 0.0
        return list(ids), best

    def signals_and_ranking(
        self, query: str, kind: str | None = None, workspace_id: str | None = None
    ) -> tuple[SearchSignals, dict[str, float], _Corpus]:
        """The fused scores of the candidates and the evidence the abstain rule looks at."""
        collection = self._collection()
        corpus = self._load_corpus(collection)
        if not corpus.texts:
            raise RetrievalError(
                f"the knowledge index in {collection_name(self._settings)} is empty: run `keysmith index`"
            )
        allowed = [i for i, m in corpus.metadata.items() if _allowed(m, kind, workspace_id)]
        if not allowed:
            return SearchSignals(0.0, 0.0), {}, corpus
        size = min(VECTOR_CANDIDATES, len(allowed))
        vector_ids, best_similarity = self._vector_ranking(
            collection, query, _where(kind, workspace_id), size
        )
        keyword = corpus.bm25.scores(query)
        in_scope = set(allowed)
        keyword_ids = sorted((i for i in keyword if i in in_scope), key=lambda i: -keyword[i])
        keyword_ids = keyword_ids[:VECTOR_CANDIDATES]
        ceiling = corpus.bm25.max_possible(query)
        best_keyword = keyword[keyword_ids[0]] / ceiling if keyword_ids and ceiling > 0 else 0.0
        # A chunk written after the corpus snapshot can come back from Chroma: skip it until the next search.
        vector_ids = [i for i in vector_ids if i in corpus.texts]
        return SearchSignals(best_similarity, best_keyword), _fuse([vector_ids, keyword_ids]), corpus

    def abstains(self, signals: SearchSignals) -> bool:
        """The abstain rule (see `AbstainPolicy`)."""
        return (
            signals.best_similarity < self.policy.min_similarity
            and signals.best_keyword < self.policy.min_keyword
        )

    def search(
        self, query: str, k: int = 4, kind: str | None = None, workspace_id: str | None = None
    ) -> SearchResult:
        """Up to `k` passages for `query`, best first, or an abstention (see module docstring)."""
        if not query.strip() or k < 1:
            return SearchResult(abstained=True, results=())
        signals, fused, corpus = self.signals_and_ranking(query, kind, workspace_id)
        if not fused or self.abstains(signals):
            return SearchResult(abstained=True, results=())
        best = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        registry = self._registry()
        passages = tuple(_passage(i, corpus.texts[i], corpus.metadata[i], fused[i], registry) for i in best)
        return SearchResult(abstained=False, results=passages)

    def workspace_passages(self, workspace_id: str) -> list[Passage]:
        """Every client-document passage of one workspace, in document and reading order (score 0.0).

        Used to read a client's documents as evidence (the advice draft); never another workspace's."""
        if not workspace_id:
            return []
        corpus = self._load_corpus(self._collection())
        registry = self._registry()
        own = [i for i, m in corpus.metadata.items() if m.get("workspace_id") == workspace_id]
        own.sort(key=lambda i: (corpus.metadata[i].get("title", ""), _part_number(i), i))
        return [_passage(i, corpus.texts[i], corpus.metadata[i], 0.0, registry) for i in own]

    def get(self, passage_id: str) -> Passage | None:
        """The passage with this id, or None (score 0.0: it was not searched for)."""
        collection = self._collection()
        found = guarded(
            self._settings,
            "read the knowledge index",
            lambda: collection.get(ids=[passage_id], include=["documents", "metadatas"]),
        )
        if not found["ids"]:
            return None
        text = (found.get("documents") or [""])[0] or ""
        meta = scalar_metadata((found.get("metadatas") or [{}])[0])
        return _passage(passage_id, text, meta, 0.0, self._registry())


def _part_number(passage_id: str) -> int:
    """`...#part-12` -> 12 (client chunks are numbered in reading order); 0 when there is no number."""
    tail = passage_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _passage(
    passage_id: str, text: str, meta: dict[str, str], score: float, registry: Mapping[str, Source]
) -> Passage:
    return Passage(
        id=passage_id,
        source=meta.get("source", ""),
        heading=meta.get("heading", ""),
        title=meta.get("title", ""),
        kind=meta.get("kind", ""),
        text=text,
        excerpt=excerpt(text),
        score=round(score, 4),
        facts_from=resolve(meta.get("facts_from", ""), registry),
    )


def open_retriever(
    settings: Settings,
    function: Function | None = None,
    policy: AbstainPolicy | None = None,
    *,
    wait: bool = True,
) -> Retriever:
    """A retriever over the configured store, connected in a background thread.

    `wait=True` (the default) returns once connected and raises `RetrievalError` when Chroma cannot be
    reached; `wait=False` returns at once, and the first search waits and raises instead.
    """
    connection: Future[tuple[ClientAPI, Function]] = Future()

    def connect() -> None:
        try:
            from keysmith.retrieval.functions import embedding_function

            chosen = function if function is not None else embedding_function(settings)
            connection.set_result((open_client(settings), chosen))
        except BaseException as exc:  # handed to whoever waits: the caller's error, in the caller's thread
            connection.set_exception(exc)

    threading.Thread(target=connect, name="keysmith-chroma-connect", daemon=True).start()
    retriever = Retriever(settings, connection, policy)
    if wait:
        retriever.connection()
    return retriever
