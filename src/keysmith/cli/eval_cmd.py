"""`keysmith eval [SUITE] [--model SPEC] [--json]`: measure answer quality on the eval datasets.

Runs the suites in `evals/` (a source checkout's folder beside `src/`): retrieval recall@3 and MRR,
abstention, stall-reason diagnosis (the development stories `scenarios`, `scenarios_dev2`, `scenarios_dev3`,
and the blind sets `blind_a`, `blind_b` with their controls, each reported apart; docs/evaluation.md),
assessment-answer parsing, numbers consistency and citation validity.
Prints a table (or the summary JSON with `--json`) and writes `summary.json` and `cases.json` to
`evals/results/<UTC timestamp>/` (or to `--out DIR`). `--model` runs the same suites against a model; by
default the configured model (offline when none is). `--data-dir` points the index somewhere else (it is
built there when missing). Exit code 0 when the run finished, 1 with `--check` when a metric fell below the
committed baseline.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from keysmith.config import Settings
from keysmith.errors import KeysmithError

_SUITES = (
    "all",
    "retrieval",
    "abstention",
    "scenarios",
    "scenarios_dev2",
    "scenarios_dev3",
    "blind_a",
    "blind_b",
    "blind_c",
    "assessment",
    "numbers",
    "citations",
    "interview",
    "client_docs",
)
_ROOT = Path(__file__).resolve().parents[3]


def register(sub: Any) -> None:
    """Add the `eval` subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "eval", help="measure answer quality on the eval datasets (offline by default)"
    )
    parser.add_argument("suite", nargs="?", default="all", choices=_SUITES, help="one suite (default: all)")
    parser.add_argument("--model", metavar="SPEC", help="model spec to evaluate, e.g. openai:gpt-4o-mini")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--judge", metavar="SPEC", help="also grade faithfulness with this model (never offline)"
    )
    parser.add_argument("--data-dir", type=Path, help="index location (default: the configured data dir)")
    parser.add_argument("--out", type=Path, help="write summary.json/cases.json here instead")
    parser.add_argument("--check", action="store_true", help="exit 1 when a metric is below the baseline")
    parser.set_defaults(handler=run)


def _runner() -> Any:
    """The `evals.run` module of this checkout (evals/ is not installed with the package)."""
    if not (_ROOT / "evals" / "run.py").is_file():
        raise KeysmithError(
            f"{_ROOT / 'evals'}: eval suites not found; run 'keysmith eval' from a source checkout"
        )
    if str(_ROOT) not in sys.path:
        sys.path.insert(0, str(_ROOT))
    return importlib.import_module("evals.run")


def run(args: argparse.Namespace) -> int:
    """Run the suites, print the table or JSON, write the results; see the module docstring."""
    runner = _runner()
    settings = Settings.from_env()
    if args.data_dir is not None:
        settings = dataclasses.replace(settings, data_dir=args.data_dir)
    suites = runner.SUITES if args.suite == "all" else (args.suite,)
    progress = None if args.json else (lambda line: print(line, file=sys.stderr))
    try:
        evaluation = runner.run_evals(
            settings, suites, model_spec=args.model, progress=progress, judge_spec=args.judge
        )
    except ValueError as exc:  # an unknown suite or an offline judge: the user's input, not a bug
        raise KeysmithError(str(exc)) from None
    written = runner.write_run(evaluation, out_dir=args.out)
    if args.json:
        print(json.dumps(evaluation.summary, indent=2, sort_keys=True))
    else:
        print(runner.format_table(evaluation.summary))
        print(f"results: {written}")
    if not args.check:
        return 0
    baseline = json.loads(runner.BASELINE.read_text(encoding="utf-8"))
    problems: list[str] = runner.regressions(evaluation.summary, baseline)
    for line in problems:
        print(f"regression: {line}", file=sys.stderr)
    return 1 if problems else 0
