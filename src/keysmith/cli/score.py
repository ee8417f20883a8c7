"""`keysmith score FILE [--json] [--what-if VARIABLE=N ...]`: score an answers file deterministically.

FILE holds `{"answers": {"<variable_id>": 1..5 | null}}`. `--json` prints the full report (scoring's
`ScoreReport.to_dict()` plus diagnosis's `stall_reasons` and `archetypes`) with sorted keys, so the same
input gives the same bytes. Without it, a readable table. Bad input raises `ScoringInputError` naming the
field and the value; the dispatcher prints it as one line and exits 2.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from keysmith.cli.score_text import render_report
from keysmith.config import Settings
from keysmith.diagnosis import report_with_diagnosis
from keysmith.errors import InputLimitError, ScoringInputError
from keysmith.framework import Framework, load_framework
from keysmith.limits import MAX_ANSWERS_FILE_BYTES, read_capped
from keysmith.scoring import ScoreReport, parse_answers_document, score, validate_answers, what_if

_WHAT_IF = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(-?\d+|null|none|\?)\s*$", re.IGNORECASE)


def register(sub: Any) -> None:
    """Add the `score` subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "score", help="score an answers file: pilot vs production readiness, levers, omissions"
    )
    parser.add_argument("file", metavar="FILE", help='JSON: {"answers": {"<variable_id>": 1..5 or null}}')
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument(
        "--what-if",
        metavar="VARIABLE=N",
        action="append",
        default=[],
        help="score as if VARIABLE were answered N (1..5, or null); repeatable",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Score FILE (with any --what-if changes) and print the report."""
    framework = load_framework(Settings.from_env().framework_dir)
    answers = read_answers_file(Path(args.file), framework)
    changes = parse_what_if(args.what_if, framework)
    report = what_if(answers, changes, framework) if changes else score(answers, framework)
    data = report_data(report, framework)
    if args.json:
        print(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        print(render_report(data, framework))
    return 0


def report_data(report: ScoreReport, framework: Framework) -> dict[str, Any]:
    """The `keysmith score --json` dict: the score report plus stall reasons and archetypes from diagnosis.

    Equals `diagnosis.full_report(answers)` for plain answers, and keeps a what-if report's `what_if` part.
    """
    return report_with_diagnosis(report, framework)


def read_answers_file(path: Path, framework: Framework) -> dict[str, int | None]:
    """Read and validate an answers file; every failure is one `ScoringInputError` naming the file.

    The file must be a regular file of at most `MAX_ANSWERS_FILE_BYTES` (see `limits.read_capped`)."""
    try:
        text = read_capped(path, MAX_ANSWERS_FILE_BYTES, "an answers file").decode("utf-8")
    except InputLimitError as exc:  # /dev/zero, a FIFO, a huge file: refused before it fills memory
        raise ScoringInputError(str(exc)) from None
    except FileNotFoundError:
        raise ScoringInputError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise ScoringInputError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ScoringInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise ScoringInputError(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except ScoringInputError as exc:
        raise ScoringInputError(f"{path}: {exc}") from None
    try:
        return parse_answers_document(doc, framework)
    except ScoringInputError as exc:
        raise ScoringInputError(f"{path}: {exc}") from None


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON objects must not repeat a key (json.loads would silently keep the last value)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ScoringInputError(f"{key}: duplicate key {key!r}")
        result[key] = value
    return result


def parse_what_if(items: list[str], framework: Framework) -> dict[str, int | None]:
    """`["governance=4", "economics=null"]` -> validated changes; a bad item names itself."""
    raw: dict[str, int | None] = {}
    for item in items:
        match = _WHAT_IF.match(item)
        if not match:
            raise ScoringInputError(f"--what-if: expected VARIABLE=N with N in 1..5 or null, got {item!r}")
        name, value = match.group(1), match.group(2)
        if name in raw:
            raise ScoringInputError(f"--what-if: {name} given twice, got {item!r}")
        raw[name] = None if value.lower() in ("null", "none", "?") else int(value)
    try:
        clean = validate_answers(raw, framework)
    except ScoringInputError as exc:
        raise ScoringInputError(f"--what-if: {exc}") from None
    return {name: clean[name] for name in raw}
