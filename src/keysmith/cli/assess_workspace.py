"""`keysmith assess --workspace WS [--respondent ROLE [--name NAME]] --answers FILE`: record answers in a
client workspace without the interactive questions.

WS is a workspace's name or id. Without `--respondent` the answers become the workspace's next assessment
(its history then shows the change since the previous one); with it they are one respondent's answers under
ROLE (sponsor, pilot team, front line, IT, ...), compared with the other roles in `keysmith report WS`. The
file is the `keysmith score` format (`{"answers": {...}}`), read with the same size cap and checks.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keysmith.config import Settings
from keysmith.errors import KeysmithError, StoreError
from keysmith.framework import Framework, load_framework

if TYPE_CHECKING:
    from keysmith.store import Store
    from keysmith.store.records import Workspace


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The workspace options of `keysmith assess`."""
    parser.add_argument("--workspace", metavar="WS", help="record in this client workspace (name or id)")
    parser.add_argument(
        "--respondent",
        metavar="ROLE",
        help="record as one respondent's answers under ROLE (needs --workspace)",
    )
    parser.add_argument("--name", default="", help="the respondent's name (optional, with --respondent)")
    parser.add_argument(
        "--answers", metavar="FILE", help="the answers file (score format; needs --workspace)"
    )


def wanted(args: argparse.Namespace) -> bool:
    """True when the workspace options were given (then `run` handles the command)."""
    return any(getattr(args, name, None) for name in ("workspace", "respondent", "answers"))


def find_workspace(store: Store, ref: str) -> Workspace:
    """The workspace whose id is `ref`, else the one named `ref` (case-insensitive); `StoreError` naming
    `ref` when none or several match."""
    wanted = " ".join(ref.split())
    spaces = store.list_workspaces()
    for space in spaces:
        if space.id == wanted:
            return space
    named = [s for s in spaces if s.name.casefold() == wanted.casefold()]
    if len(named) == 1:
        return named[0]
    if named:
        raise StoreError(f"workspace {ref!r}: {len(named)} workspaces have this name; use an id")
    raise StoreError(f"workspace {ref!r} not found")


def _summary(report: dict[str, Any]) -> str:
    shift = report["weight_shift"]
    return f"pilot {shift['pilot_score']}, production {shift['production_score']} out of 100"


def _record(args: argparse.Namespace, settings: Settings, framework: Framework, answers: Any) -> str:
    from keysmith.diagnosis import full_report
    from keysmith.store import Store
    from keysmith.store.history import record_assessment, workspace_history

    store = Store.from_settings(settings)
    try:
        ws = find_workspace(store, args.workspace)
        if args.respondent:
            made = store.add_respondent_answers(ws.id, args.respondent, answers, name=args.name)
            scored = _summary(full_report(answers, framework))
            return f"Recorded {made.role}'s answers in {ws.name} ({scored} for this respondent alone)."
        record_assessment(store, ws.id, answers, framework)
        history = workspace_history(store, ws.id)
    finally:
        store.close()
    latest = history[-1]
    line = f"Recorded assessment #{latest.number} in {ws.name}: " + ", ".join(
        f"{p} {s:g}" for p, s in latest.snapshot.scores.items() if s is not None
    )
    changes = latest.since_previous.scores if latest.since_previous else {}
    moved = ", ".join(f"{p} {c:+g}" for p, c in changes.items() if c is not None)
    return line + (f" (since the previous: {moved})." if moved else ".")


def run(args: argparse.Namespace) -> int:
    """Validate the options and the file, record, print one line; `KeysmithError` (exit 2) naming what is
    wrong."""
    from keysmith.cli.score import read_answers_file

    if not args.workspace:
        raise KeysmithError("--respondent and --answers need --workspace WS (a workspace name or id)")
    if not args.answers:
        raise KeysmithError("--workspace needs --answers FILE (the interactive assessment is not stored)")
    settings = Settings.from_env()
    framework = load_framework(settings.framework_dir)
    answers = read_answers_file(Path(args.answers), framework)
    print(_record(args, settings, framework, answers))
    return 0
