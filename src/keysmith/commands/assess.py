"""`keysmith assess [--answers-out FILE] [--progress FILE] [--restart]`: the guided self-assessment.

One question per variable, answered with 1-5, words ("weak", "strong"), "don't know", "back" (the previous
question) or "quit" (stop; the progress file keeps every answer, and the next `keysmith assess` resumes).
Progress is saved after every answer, so an interrupted run loses nothing. At the end the score report
(pilot vs production, weight shift, levers, omissions, stall reasons, archetypes) is printed, the answers
are written to `--answers-out` in the `keysmith score` file format, and the progress file is removed.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from keysmith import assessment
from keysmith.assessment import AssessmentState
from keysmith.commands.score_text import render_report
from keysmith.config import Settings
from keysmith.diagnosis import full_report
from keysmith.errors import AssessmentError
from keysmith.framework import Framework, load_framework
from keysmith.scoring import validate_answers

PROGRESS_FILE = "assessment-progress.json"
_QUIT = {"quit", "q", "exit", "stop"}
_BACK = {"back", "b", "previous", "prev"}
HELP = (
    'Answer each question with 1 (weak) to 5 (strong), in words such as "weak" or "strong", or '
    '"don\'t know". Type "back" for the previous question, "quit" to stop and resume later.'
)


def register(sub: Any) -> None:
    """Add the `assess` subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "assess", help="run the guided self-assessment in the terminal and print the score report"
    )
    parser.add_argument(
        "--answers-out", metavar="FILE", help="write the answers here when done (score format)"
    )
    parser.add_argument(
        "--progress", metavar="FILE", help=f"progress file (default: <data dir>/{PROGRESS_FILE})"
    )
    parser.add_argument("--restart", action="store_true", help="ignore saved progress and start again")
    parser.set_defaults(handler=run)


def load_progress(path: Path, framework: Framework) -> AssessmentState | None:
    """The saved state, or None when there is none; a damaged file raises `AssessmentError` naming it."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return AssessmentState.from_dict(data, framework)
    except (json.JSONDecodeError, UnicodeDecodeError, AssessmentError) as exc:
        raise AssessmentError(f"{path}: cannot resume ({exc}); use --restart to start again") from None


def save_progress(path: Path, state: AssessmentState) -> None:
    """Write the state atomically (a crash mid-write never leaves a half file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state.to_dict(), indent=2), encoding="utf-8")
    temporary.replace(path)


def _show(question: assessment.Question) -> str:
    return (
        f"\n[{question.position}/{question.total}] {question.name}\n{question.question}\n"
        f"  1 looks like: {question.anchor_1}\n  5 looks like: {question.anchor_5}"
    )


def ask_all(
    state: AssessmentState, progress: Path, read: Callable[[str], str], write: Callable[[str], None]
) -> tuple[AssessmentState, bool]:
    """Ask until every question has an answer; returns the state and whether it is finished (False when
    the user quits or the input ends)."""
    while (question := assessment.current_question(state)) is not None:
        write(_show(question))
        try:
            raw = read("> ")
        except EOFError:
            return state, False
        command = raw.strip().lower()
        if command in _QUIT:
            return state, False
        if command in _BACK:
            try:
                state = assessment.back(state)
            except AssessmentError as exc:
                write(str(exc))
            continue
        if not command or command in ("help", "?"):
            write(HELP)
            continue
        result = assessment.answer(state, question.variable_id, raw)
        write(result.message)
        if result.understood:
            state = result.state
            save_progress(progress, state)
    return state, True


def run(
    args: argparse.Namespace, read: Callable[[str], str] = input, write: Callable[[str], None] = print
) -> int:
    """Run the assessment; print the report at the end."""
    settings = Settings.from_env()
    framework = load_framework(settings.framework_dir)
    progress = Path(args.progress) if args.progress else settings.data_dir / PROGRESS_FILE
    saved = None if args.restart else load_progress(progress, framework)
    state = saved or assessment.start(framework)
    answered, total = assessment.progress(state)
    write(f"Resuming: {answered} of {total} answered." if saved else HELP)
    finished, done = ask_all(state, progress, read, write)
    if not done:
        save_progress(progress, finished)
        write(f"\nProgress saved to {progress}. Run `keysmith assess` again to resume.")
        return 0
    answers = validate_answers(assessment.answers(finished), framework)
    write("\n" + render_report(full_report(answers, framework), framework))
    if args.answers_out:
        out = Path(args.answers_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"answers": answers}, indent=2) + "\n", encoding="utf-8")
        write(f"\nAnswers written to {out} (score them again with `keysmith score {out}`).")
    progress.unlink(missing_ok=True)
    return 0
