"""`keysmith report SESSION_ID|WS [--format md|pdf|json] [--out FILE]`: a stored assessment's report, or a
client workspace's.

Reads from the store (`DATABASE_URL`, else SQLite under `KEYSMITH_DATA_DIR`). SESSION_ID: the report of that
assessment session (md or pdf). WS, a workspace's id or name: the client file (`keysmith.report.history`):
`history` (per assessment: date, scores, deltas), what changed since last time, and `respondents` (per role:
answers; `gaps`: [{variable, min, max, roles}]; the combined score), as md, pdf or json. Markdown and JSON go
to stdout unless `--out` is given; a PDF goes to `--out`, or to `keysmith-report-<id>.pdf` in the current
folder. An unknown session or workspace is one line naming it (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keysmith.config import Settings
from keysmith.errors import KeysmithError, NotFoundError
from keysmith.framework import Framework, load_framework

if TYPE_CHECKING:
    from keysmith.store import Store

FORMATS = ("md", "pdf", "json")


def register(sub: Any) -> None:
    """Add the `report` subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "report", help="write the report of a stored assessment session or of a client workspace"
    )
    parser.add_argument(
        "session_id",
        metavar="SESSION_ID|WS",
        help="a session id (shown in the app), or a workspace name or id",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="md", help="md (default), pdf, or json (workspace reports)"
    )
    parser.add_argument(
        "--out", metavar="FILE", help="write here (default: Markdown to stdout, PDF to a file)"
    )
    parser.set_defaults(handler=run)


def _write(path: Path, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise KeysmithError(f"cannot write {str(path)!r}: {exc.strerror}") from None


def _workspace_report(store: Store, ref: str, fmt: str, framework: Framework) -> tuple[bytes, str]:
    """The client file of workspace `ref` as (content, suggested file name)."""
    from keysmith.report.history import workspace_data, workspace_markdown, workspace_pdf
    from keysmith.store.lookup import resolve_workspace

    try:
        ws = resolve_workspace(store, ref)
    except NotFoundError:
        raise NotFoundError(f"session or workspace {ref!r} not found") from None
    data = workspace_data(store, ws, framework)
    stem = f"keysmith-report-{ws.id[:8]}"
    if fmt == "json":
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"), f"{stem}.json"
    if fmt == "pdf":
        return workspace_pdf(data, framework), f"{stem}.pdf"
    return workspace_markdown(data, framework).encode("utf-8"), f"{stem}.md"


def run(args: argparse.Namespace) -> int:
    """Render the report and write it; exit 0, or a `KeysmithError` (exit 2) naming what is wrong."""
    # Imported here: SQLAlchemy, Altair and fpdf2 take ~2 s to import, which no other command should pay.
    from keysmith.report.session import session_report
    from keysmith.store import Store

    settings = Settings.from_env()
    store = Store.from_settings(settings)
    try:
        framework = load_framework(settings.framework_dir)
        try:
            session = store.find_session(args.session_id)
        except NotFoundError:
            session = None  # not a session: a workspace, by id or name
        if session is None:
            content, filename = _workspace_report(store, args.session_id, args.format, framework)
        elif args.format == "json":
            raise KeysmithError("--format json is for a workspace report; a session report is md or pdf")
        else:
            result = session_report(store, session.workspace_id, session.id, args.format, framework)
            content, filename = result.content, result.filename
    finally:
        store.close()
    if args.out is None and args.format != "pdf":
        sys.stdout.write(content.decode("utf-8"))
        return 0
    target = Path(args.out) if args.out else Path.cwd() / filename
    _write(target, content)
    print(f"wrote {target} ({len(content)} bytes)")
    return 0
