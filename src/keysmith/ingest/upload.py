"""One path from an uploaded file to an indexed, recorded client document (the coach page and the CLI).

`add_document(settings, store, workspace_id, name, data)` checks the size against
`KEYSMITH_MAX_UPLOAD_BYTES`, extracts the text, indexes it for the workspace only, and records it in the
store. Uploading the same text again does nothing and says so (idempotent by content hash); a new text
under a name already held replaces that document, so the workspace never lists one name twice.

Order: the new store record is written first, then the index is swapped, then the old record of that name is
dropped. A failed record leaves the index untouched; a failed swap removes the new record again; so a chunk
is never searchable without a record of its document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from keysmith.config import Settings
from keysmith.ingest import DocumentIndexed, add_client_document, client_document_chunks
from keysmith.ingest.extract import extract_text
from keysmith.limits import check_upload
from keysmith.store import Store

if TYPE_CHECKING:
    from keysmith.ingest import Function


@dataclass(frozen=True)
class Uploaded:
    """What happened to one upload; `message` is the sentence to show the coach."""

    indexed: DocumentIndexed
    message: str

    @property
    def unchanged(self) -> bool:
        """True when nothing was written (the workspace already held this text)."""
        return self.indexed.unchanged


def add_document(
    settings: Settings,
    store: Store,
    workspace_id: str,
    name: str,
    data: bytes,
    *,
    function: Function | None = None,
) -> Uploaded:
    """Check, extract, index and record one upload (see the module docstring).

    Raises `InputLimitError` (size), `IngestError` (type, unreadable, no text), `StoreError`.
    """
    check_upload(name, len(data), settings.max_upload_bytes)
    space = store.get_workspace(workspace_id)  # a workspace that does not exist gets no chunks
    text = extract_text(name, data)
    held = [d.id for d in store.list_documents(workspace_id) if d.name == name]
    record = store.add_document(
        workspace_id, name, len(data), len(client_document_chunks(workspace_id, name, text))
    )
    try:
        done = add_client_document(settings, workspace_id, name, text, function=function)
    except Exception:
        store.delete_document(workspace_id, record.id)
        raise
    if done.unchanged:
        store.delete_document(workspace_id, record.id)
        same = "" if done.same_as == name else f" as {done.same_as!r}"
        return Uploaded(done, f"{name}: already indexed{same} ({done.chunks} passages); nothing changed.")
    for old_id in held:
        store.delete_document(workspace_id, old_id)
    return Uploaded(done, f"{name}: {done.chunks} passages indexed for {space.name} only.")
