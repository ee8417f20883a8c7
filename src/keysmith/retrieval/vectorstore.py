"""The Chroma connection shared by ingestion and retrieval.

Embedded `PersistentClient` under `settings.index_dir` by default; `HttpClient` to `CHROMA_HOST:CHROMA_PORT`
when a host is set. Telemetry is always off. The collection is always opened with our embedding function, so
Chroma never attaches its default one (which would try to download a model).

Importing this module does not import chromadb (about a second): `open_client` does, so a caller can
connect in a background thread while it reads the story (see `keysmith.retrieval.open_retriever`).

Every write bumps a `revision` value in the collection's metadata, so a long-lived retriever can tell cheaply
when its keyword (BM25) index is stale.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from keysmith.config import Settings
from keysmith.errors import RetrievalError
from keysmith.retrieval.embeddings import collection_name

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import Documents, EmbeddingFunction

REVISION_KEY = "keysmith_revision"
_T = TypeVar("_T")


def describe(settings: Settings) -> str:
    """Where the index lives, in words for an error message."""
    if settings.chroma_host:
        return f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
    return f"the local index at {settings.index_dir}"


@contextmanager
def chroma_errors(settings: Settings, action: str) -> Iterator[None]:
    """Turn Chroma/transport failures into one plain `RetrievalError` naming the store and the action."""
    import httpx
    from chromadb.errors import ChromaError

    try:
        yield
    except (ValueError, httpx.HTTPError, ChromaError, OSError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = " (is it running? start it with `chroma run`)" if settings.chroma_host else ""
        raise RetrievalError(f"could not {action}: {describe(settings)}{hint}: {detail}") from None


def open_client(settings: Settings) -> ClientAPI:
    """A Chroma client for `settings` (raises `RetrievalError` when the server cannot be reached)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    with chroma_errors(settings, "open the vector store"):
        if settings.chroma_host:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)


def open_collection(
    client: ClientAPI, settings: Settings, function: EmbeddingFunction[Documents] | None = None
) -> Collection:
    """Get or create this embedding model's collection (cosine space), always with our embedding function."""
    from keysmith.retrieval.functions import embedding_function

    # chromadb types its parameter over documents *and* images; ours embeds documents only.
    chosen: Any = function if function is not None else embedding_function(settings)
    with chroma_errors(settings, "open the knowledge collection"):
        return client.get_or_create_collection(
            collection_name(settings),
            configuration={"hnsw": {"space": "cosine"}},
            metadata={REVISION_KEY: "empty"},
            embedding_function=chosen,
        )


def revision(collection: Collection) -> str:
    """The collection's current revision stamp (changes on every write through `bump_revision`)."""
    return str((collection.metadata or {}).get(REVISION_KEY, ""))


def bump_revision(collection: Collection) -> None:
    """Record that the collection's contents changed."""
    collection.modify(metadata={REVISION_KEY: uuid.uuid4().hex})


def guarded(settings: Settings, action: str, call: Callable[[], _T]) -> _T:
    """Run `call` with Chroma failures turned into `RetrievalError`."""
    with chroma_errors(settings, action):
        return call()


def scalar_metadata(raw: Any) -> dict[str, str]:
    """Chroma metadata as plain strings (missing values become '')."""
    return {str(k): "" if v is None else str(v) for k, v in dict(raw or {}).items()}
