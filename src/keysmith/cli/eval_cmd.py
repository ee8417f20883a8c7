"""`keysmith eval [SUITE ...] [--model SPEC] [--limit N] [--json]`: measure answer quality on the evals.

Runs the suites in `evals/` (a source checkout's folder beside `src/`): retrieval recall@3 and MRR,
abstention, stall-reason diagnosis (the development stories `scenarios`, `scenarios_dev2`, `scenarios_dev3`,
and the blind sets `blind_a`, `blind_b` with their controls, each reported apart; docs/evaluation.md),
assessment-answer parsing, numbers consistency and citation validity.
Prints a table (or the summary JSON with `--json`) and writes `summary.json` and `cases.json` to
`evals/results/<UTC timestamp>/` (or to `--out DIR`). `--model` runs the same suites against a model; by
default the configured model (offline when none is). `--data-dir` points the index somewhere else (it is
built there when missing). Exit code 0 when the run finished, 1 with `--check` when a metric fell below the
committed baseline.

With a model, every answer is written as it is given to `<out>/answers/<suite>.jsonl`: the same command
with the same `--out` resumes an interrupted run (answers kept for the same model, suite and dataset are not
asked again), and `--kept-only` grades what was kept without asking. `--limit N` asks a deterministic
sample of at most N questions per suite, stratified by the suite's label (evals/sample.py).
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

_ROOT = Path(__file__).resolve().parents[3]


def register(sub: Any) -> None:
    """Add the `eval` subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "eval", help="measure answer quality on the eval datasets (offline by default)"
    )
    parser.add_argument(
        # Checked in `run` (argparse refuses an empty list when `choices` is given with nargs="*").
        "suite",
        nargs="*",
        metavar="SUITE",
        help="one or more suites, e.g. abstention numbers (default: all)",
    )
    parser.add_argument("--model", metavar="SPEC", help="model spec to evaluate, e.g. openai:gpt-4o-mini")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--judge", metavar="SPEC", help="also grade faithfulness with this model (never offline)"
    )
    parser.add_argument("--data-dir", type=Path, help="index location (default: the configured data dir)")
    parser.add_argument("--out", type=Path, help="write summary.json/cases.json here instead")
    parser.add_argument("--check", action="store_true", help="exit 1 when a metric is below the baseline")
    parser.add_argument(
        "--limit", type=_positive, metavar="N", help="ask a stratified sample of N questions per suite"
    )
    parser.add_argument(
        "--kept-only", action="store_true", help="ask nothing: grade the answers kept in --out's answers/"
    )
    parser.set_defaults(handler=run)


def _positive(text: str) -> int:
    """`--limit`'s value: a whole number of at least 1 (argparse shows the message, naming the value)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--limit must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--limit must be at least 1, not {value}")
    return value


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
    chosen = args.suite or ["all"]
    known = ("all", *runner.SUITES)
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise KeysmithError(f"unknown suite {unknown[0]!r}; choose from {', '.join(known)}")
    suites = runner.SUITES if "all" in chosen else tuple(dict.fromkeys(chosen))
    progress = None if args.json else (lambda line: print(line, file=sys.stderr))
    target = args.out or runner.new_run_dir()
    if args.kept_only and args.out is None:
        raise KeysmithError("--kept-only needs --out DIR: the run whose kept answers to grade")
    # Answers are kept (and reused by a run started again) only for a model, whose answers are slow and
    # cost money; offline ones take seconds, and reusing them after a code change would grade old code.
    with_model = args.model is not None and args.model.strip() != runner.OFFLINE
    if args.kept_only and not with_model:
        raise KeysmithError("--kept-only grades a model's kept answers: give the --model SPEC they came from")
    try:
        evaluation = runner.run_evals(
            settings, suites, model_spec=args.model, progress=progress, judge_spec=args.judge,
            limit=args.limit, answers_dir=target / "answers" if with_model else None,
            kept_only=args.kept_only,
        )  # fmt: skip
    except ValueError as exc:  # an unknown suite or an offline judge: the user's input, not a bug
        raise KeysmithError(str(exc)) from None
    written = runner.write_run(evaluation, out_dir=target)
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
