"""`keysmith workspace create NAME | list | add-doc WS FILE [--json]`: a coach's client workspaces.

`create` makes a client workspace and prints its id (a name another workspace has, ignoring case and
surrounding spaces, is refused); `list` prints every workspace (id, name, documents);
`add-doc` uploads a PDF, DOCX, Markdown or text file to workspace WS (its name or id) through the same path
as the app's coach page: the size limit (KEYSMITH_MAX_UPLOAD_BYTES), text extraction, indexing for that
workspace only, and the record in the store. Adding the same text again changes nothing and says so.
Errors (unknown workspace, file too large, unreadable) exit 2 with one line naming the value.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from keysmith.config import Settings
from keysmith.errors import InputError


def register(sub: Any) -> None:
    """Add the `workspace` subcommand and its actions."""
    parser: argparse.ArgumentParser = sub.add_parser("workspace", help="a coach's client workspaces")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a client workspace")
    create.add_argument("name", metavar="NAME", help="the client's name")
    listing = actions.add_parser("list", help="list the workspaces")
    add = actions.add_parser("add-doc", help="add a client document (PDF, DOCX, Markdown or text)")
    add.add_argument("workspace", metavar="WS", help="the workspace's name or id")
    add.add_argument("file", metavar="FILE", type=Path, help="the document to index")
    for action in (create, listing, add):
        action.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.set_defaults(handler=run)


def _read(path: Path, limit: int) -> bytes:
    """The file's bytes; a missing file or one over the limit is refused before it is read whole."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror})") from None
    if size > limit:  # the same check again inside add_document; this one spares reading a huge file
        from keysmith.limits import check_upload

        check_upload(path.name, size, limit)
    from keysmith.limits import read_capped

    try:  # regular files only, never past the limit: /dev/zero (size 0) or a FIFO would never end
        return read_capped(path, limit, "a client document")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror})") from None


def run(args: argparse.Namespace) -> int:
    """Run the chosen action and print its result."""
    settings = Settings.from_env()
    from keysmith.store import Store  # heavy imports only after the arguments parsed
    from keysmith.store.lookup import resolve_workspace

    store = Store.from_settings(settings)
    if args.action == "create":
        made = store.create_workspace(args.name)
        record: Any = {"id": made.id, "name": made.name}
        text = f"created workspace {made.name!r}: {made.id}"
    elif args.action == "list":
        record = [_listed(store, w.id, w.name, w.is_default) for w in store.list_workspaces()]
        text = "\n".join(f"{r['id']}  {r['name']}  ({r['documents']} documents)" for r in record)
    else:
        from keysmith.ingest.upload import add_document

        space = resolve_workspace(store, args.workspace)
        data = _read(args.file, settings.max_upload_bytes)
        done = add_document(settings, store, space.id, args.file.name, data)
        record = {
            "workspace_id": space.id,
            "name": args.file.name,
            "passages": done.indexed.chunks,
            "unchanged": done.unchanged,
            "message": done.message,
        }
        text = done.message
    print(json.dumps(record, indent=2, ensure_ascii=False) if args.json else text)
    return 0


def _listed(store: Any, workspace_id: str, name: str, is_default: bool) -> dict[str, Any]:
    documents = store.list_documents(workspace_id)
    return {
        "id": workspace_id,
        "name": name,
        "default": is_default,
        "documents": len(documents),
        "document_names": [d.name for d in documents],
    }
