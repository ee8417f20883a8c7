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
from typing import Any

from keysmith.config import Settings
from keysmith.errors import KeysmithError
from keysmith.framework import Framework, load_framework


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


def _summary(report: dict[str, Any]) -> str:
    shift = report["weight_shift"]
    return f"pilot {shift['pilot_score']}, production {shift['production_score']} out of 100"


def _record(args: argparse.Namespace, settings: Settings, framework: Framework, answers: Any) -> str:
    from keysmith.diagnosis import full_report
    from keysmith.store import Store
    from keysmith.store.history import record_assessment, workspace_history
    from keysmith.store.lookup import resolve_workspace

    store = Store.from_settings(settings)
    try:
        ws = resolve_workspace(store, args.workspace)
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
