"""Knowledge pages and client documents -> the vector store, incrementally.

`index_knowledge` reads every page in `settings.knowledge_dir` and validates all of them before writing
anything: a broken file raises `IngestError` naming it and leaves the index as it was. It then embeds only
chunks that are new or whose content hash changed, deletes chunks whose text is gone, and writes the marker
file `<data dir>/index/.keysmith-index` that `make run` checks. It only ever touches framework chunks
(`workspace_id == ""`); coaches' client documents are added and removed by the `*_client_document` functions.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from keysmith.config import Settings
from keysmith.errors import IngestError
from keysmith.framework import load_framework
from keysmith.ingest.chunking import Chunk, chunk_page, load_pages, sections, slugify, split_long
from keysmith.retrieval.embeddings import collection_name
from keysmith.retrieval.vectorstore import bump_revision, guarded, open_client, open_collection

if TYPE_CHECKING:  # chromadb itself loads when the index is opened (`open_client`), not on import
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import Documents, EmbeddingFunction

    Function = EmbeddingFunction[Documents]

MARKER_NAME = ".keysmith-index"
CLIENT_KIND = "client_document"
BATCH = 16
# A client passage is cited as evidence, and the story reader reads it: short enough to carry one point.
CLIENT_CHUNK_CHARS = 700
Progress = Callable[[int, int], None]  # (chunks embedded so far, chunks to embed)


@dataclass(frozen=True)
class IndexSummary:
    """What one `index_knowledge` run changed (counts of chunks) and how long it took."""

    added: int
    updated: int
    removed: int
    unchanged: int
    seconds: float

    def line(self) -> str:
        """The one-line summary the CLI prints."""
        return (
            f"indexed knowledge: {self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged in {self.seconds:.1f} s"
        )


def marker_path(settings: Settings) -> Path:
    """The file written after a successful build (the Makefile indexes only when it is missing)."""
    return settings.index_dir / MARKER_NAME


def _collection(settings: Settings, function: Function | None) -> tuple[Collection, Function]:
    from keysmith.retrieval.functions import embedding_function

    chosen = function if function is not None else embedding_function(settings)
    return open_collection(open_client(settings), settings, chosen), chosen


def _write(
    settings: Settings,
    collection: Collection,
    chunks: Sequence[Chunk],
    function: Function,
    progress: Progress | None,
) -> None:
    """Embed and upsert `chunks` in small batches, reporting progress after each."""
    for start in range(0, len(chunks), BATCH):
        batch = chunks[start : start + BATCH]
        vectors = function([c.embed_text for c in batch])
        guarded(
            settings,
            "write to the knowledge index",
            lambda b=batch, v=vectors: collection.upsert(
                ids=[c.id for c in b],
                embeddings=v,
                documents=[c.text for c in b],
                metadatas=[c.metadata() for c in b],  # type: ignore[misc]
            ),
        )
        if progress is not None:
            progress(min(start + BATCH, len(chunks)), len(chunks))


def _stored_hashes(settings: Settings, collection: Collection, where: dict[str, object]) -> dict[str, str]:
    found = guarded(
        settings,
        "read the knowledge index",
        lambda: collection.get(where=where, include=["metadatas"]),  # type: ignore[arg-type]
    )
    metadatas = found.get("metadatas") or []
    return {i: str((m or {}).get("hash", "")) for i, m in zip(found["ids"], metadatas, strict=False)}


def index_knowledge(
    settings: Settings, progress: Progress | None = None, *, function: Function | None = None
) -> IndexSummary:
    """Bring the framework chunks in the index in line with `settings.knowledge_dir` (see module docstring).

    `function` replaces the configured embedding function (tests pass a counting one).
    """
    started = time.perf_counter()
    if not settings.knowledge_dir.is_dir():
        raise IngestError(
            f"{settings.knowledge_dir}: knowledge folder not found (set KEYSMITH_KNOWLEDGE_DIR)"
        )
    variable_ids = load_framework(settings.framework_dir).variable_ids
    chunks = [c for page in load_pages(settings.knowledge_dir, variable_ids) for c in chunk_page(page)]
    if not chunks:
        raise IngestError(f"{settings.knowledge_dir}: no knowledge pages (*.md with front matter) found")
    collection, chosen = _collection(settings, function)
    stored = _stored_hashes(settings, collection, {"workspace_id": ""})
    changed = [c for c in chunks if stored.get(c.id) != c.hash]
    wanted = {c.id for c in chunks}
    removed = sorted(set(stored) - wanted)
    _write(settings, collection, changed, chosen, progress)
    if removed:
        guarded(settings, "delete from the knowledge index", lambda: collection.delete(ids=removed))
    if changed or removed:
        guarded(settings, "update the knowledge index", lambda: bump_revision(collection))
    added = sum(1 for c in changed if c.id not in stored)
    summary = IndexSummary(
        added=added,
        updated=len(changed) - added,
        removed=len(removed),
        unchanged=len(chunks) - len(changed),
        seconds=round(time.perf_counter() - started, 3),
    )
    _write_marker(settings, summary)
    return summary


def _write_marker(settings: Settings, summary: IndexSummary) -> None:
    record = {"collection": collection_name(settings), "built_at": time.time(), **asdict(summary)}
    marker = marker_path(settings)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _document_page_id(workspace_id: str, name: str) -> str:
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"client:{workspace_id}:{slugify(name)[:60]}-{digest}"


def _check_names(workspace_id: str, name: str) -> None:
    if not workspace_id.strip():
        raise IngestError(f"client document {name!r}: a workspace id is required, got {workspace_id!r}")
    if not name.strip():
        raise IngestError(f"client document: a name is required, got {name!r}")


def document_hash(text: str) -> str:
    """sha256 of a document's text with whitespace normalised (the same file extracted twice matches)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DocumentIndexed:
    """What `add_client_document` did: `unchanged` when the same text was already indexed in the workspace
    (then `same_as` names the document that holds it and nothing was written)."""

    name: str
    chunks: int
    unchanged: bool
    same_as: str = ""


def client_document_chunks(workspace_id: str, name: str, text: str) -> list[Chunk]:
    """Chunks of a coach's uploaded document (headings respected when it has any), cited by its name."""
    _check_names(workspace_id, name)
    page_id = _document_page_id(workspace_id, name)
    digest = document_hash(text)
    chunks: list[Chunk] = []
    for path, body in sections(text):
        for part in split_long(body, CLIENT_CHUNK_CHARS):
            chunks.append(
                Chunk(
                    id=f"{page_id}#part-{len(chunks) + 1}",
                    page_id=page_id,
                    source=f"client document: {name}",
                    title=name,
                    heading=" > ".join([name, *path]),
                    kind=CLIENT_KIND,
                    related_variables=(),
                    text=part,
                    workspace_id=workspace_id,
                    document_hash=digest,
                )
            )
    if not chunks:
        raise IngestError(f"client document {name!r}: no text to index")
    return chunks


def index_client_document(
    settings: Settings, workspace_id: str, name: str, text: str, *, function: Function | None = None
) -> int:
    """Index (or re-index, replacing the old version) one workspace's document; returns its chunk count.

    Idempotent: the same text already indexed in the workspace is left as it is (see `add_client_document`).
    """
    return add_client_document(settings, workspace_id, name, text, function=function).chunks


def add_client_document(
    settings: Settings, workspace_id: str, name: str, text: str, *, function: Function | None = None
) -> DocumentIndexed:
    """Index one workspace document unless its text (by `document_hash`) is already indexed there.

    A new text under a name already indexed replaces that document's chunks. Nothing is embedded or
    written for a text the workspace already holds, under any name.
    """
    chunks = client_document_chunks(workspace_id, name, text)
    collection, chosen = _collection(settings, function)
    where = {"$and": [{"workspace_id": workspace_id}, {"document_hash": chunks[0].document_hash}]}
    found = guarded(
        settings,
        "read the knowledge index",
        lambda: collection.get(where=where, include=["metadatas"]),  # type: ignore[arg-type]
    )
    if found["ids"]:
        holder = str(((found.get("metadatas") or [{}])[0] or {}).get("title", name))
        held = sum(1 for m in found.get("metadatas") or [] if (m or {}).get("title") == holder)
        return DocumentIndexed(name=name, chunks=held, unchanged=True, same_as=holder)
    _delete_where(
        settings, collection, {"$and": [{"workspace_id": workspace_id}, {"page_id": chunks[0].page_id}]}
    )
    _write(settings, collection, chunks, chosen, None)
    guarded(settings, "update the knowledge index", lambda: bump_revision(collection))
    return DocumentIndexed(name=name, chunks=len(chunks), unchanged=False)


def _delete_where(settings: Settings, collection: Collection, where: dict[str, object]) -> int:
    ids = list(_stored_hashes(settings, collection, where))
    if ids:
        guarded(settings, "delete from the knowledge index", lambda: collection.delete(ids=ids))
        guarded(settings, "update the knowledge index", lambda: bump_revision(collection))
    return len(ids)


def delete_client_document(
    settings: Settings, workspace_id: str, name: str, *, function: Function | None = None
) -> int:
    """Remove one workspace document's chunks; returns how many were removed (0 if it was not indexed)."""
    _check_names(workspace_id, name)
    collection, _ = _collection(settings, function)
    page_id = _document_page_id(workspace_id, name)
    return _delete_where(
        settings, collection, {"$and": [{"workspace_id": workspace_id}, {"page_id": page_id}]}
    )


def delete_workspace_documents(
    settings: Settings, workspace_id: str, *, function: Function | None = None
) -> int:
    """Remove every document chunk of one workspace (framework chunks are never touched)."""
    _check_names(workspace_id, "(all documents)")
    collection, _ = _collection(settings, function)
    return _delete_where(settings, collection, {"workspace_id": workspace_id})
