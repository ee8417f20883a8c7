"""`keysmith report SESSION_ID [--format md|pdf] [--out FILE]`: a stored assessment's report.

Reads the assessment of SESSION_ID from the store (`DATABASE_URL`, else SQLite under `KEYSMITH_DATA_DIR`)
and writes the report. Markdown goes to stdout unless `--out` is given; a PDF goes to `--out`, or to
`keysmith-report-<id>.pdf` in the current folder. An unknown session is one line naming the id (exit 2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from keysmith.config import Settings
from keysmith.errors import KeysmithError
from keysmith.framework import load_framework

FORMATS = ("md", "pdf")


def register(sub: Any) -> None:
    """Add the `report` subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "report", help="write the report of a stored assessment session (Markdown or PDF)"
    )
    parser.add_argument("session_id", metavar="SESSION_ID", help="the session id (shown in the app)")
    parser.add_argument("--format", choices=FORMATS, default="md", help="md (default) or pdf")
    parser.add_argument(
        "--out", metavar="FILE", help="write here (default: Markdown to stdout, PDF to a file)"
    )
    parser.set_defaults(handler=run)


def _write(path: Path, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise KeysmithError(f"cannot write {str(path)!r}: {exc.strerror}") from None


def run(args: argparse.Namespace) -> int:
    """Render the report and write it; exit 0, or a `KeysmithError` (exit 2) naming what is wrong."""
    # Imported here: SQLAlchemy, Altair and fpdf2 take ~2 s to import, which no other command should pay.
    from keysmith.report.session import session_report
    from keysmith.store import Store

    settings = Settings.from_env()
    store = Store.from_settings(settings)
    try:
        session = store.find_session(args.session_id)
        framework = load_framework(settings.framework_dir)
        result = session_report(store, session.workspace_id, session.id, args.format, framework)
    finally:
        store.close()
    if args.out is None and args.format == "md":
        sys.stdout.write(result.content.decode("utf-8"))
        return 0
    target = Path(args.out) if args.out else Path.cwd() / result.filename
    _write(target, result.content)
    print(f"wrote {target} ({len(result.content)} bytes)")
    return 0
