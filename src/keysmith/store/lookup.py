"""Finding a workspace by what a person types: its id, or its name (`keysmith ... --workspace WS`)."""

from __future__ import annotations

from keysmith.errors import NotFoundError, StoreError
from keysmith.store import Store
from keysmith.store.records import Workspace


def resolve_workspace(store: Store, ref: str) -> Workspace:
    """The workspace whose id is `ref`, else the one whose name is `ref` (case-insensitive).

    Raises `NotFoundError` naming `ref` when none matches; `StoreError` when `ref` is empty or several
    workspaces share that name (then the ids to use instead are listed).
    """
    wanted = " ".join(ref.split())
    if not wanted:
        raise StoreError(f"workspace: expected a name or id, got {ref!r}")
    spaces = store.list_workspaces()
    for space in spaces:
        if space.id == wanted:
            return space
    named = [s for s in spaces if s.name.casefold() == wanted.casefold()]
    if len(named) == 1:
        return named[0]
    if named:
        ids = ", ".join(s.id for s in named)
        raise StoreError(f"workspace {ref!r}: {len(named)} workspaces have this name; use an id ({ids})")
    raise NotFoundError(f"workspace {ref!r} not found (`keysmith workspace list` shows them)")
