"""`keysmith assess [--answers-out FILE] [--progress FILE] [--restart] [--model SPEC]`: the guided
self-assessment.

One question per variable, answered with 1-5, words ("weak", "strong"), "don't know", "back" (the previous
question) or "quit" (stop; the progress file keeps every answer, and the next `keysmith assess` resumes).
Progress is saved after every answer, so an interrupted run loses nothing. At the end the score report
(pilot vs production, weight shift, levers, omissions, stall reasons, archetypes) is printed, the answers
are written to `--answers-out` in the `keysmith score` file format, and the progress file is removed.

Words the offline parser is sure of are recorded at once. A reading it is not sure of ("it mostly works
but ..." read from "mostly") is shown back and recorded only when the user confirms it ("Record 4? [Y/n]").
With a model (`--model SPEC`, or KEYSMITH_MODEL set to one), words the parser cannot read or is unsure of
are read by the model (`keysmith.extraction`) and confirmed the same way.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keysmith import assessment
from keysmith.assessment import AssessmentState
from keysmith.cli import assess_workspace
from keysmith.cli.score_text import render_report
from keysmith.config import Settings
from keysmith.diagnosis import full_report
from keysmith.errors import AssessmentError, InputLimitError
from keysmith.framework import Framework, load_framework
from keysmith.limits import MAX_ANSWERS_FILE_BYTES, read_capped
from keysmith.scoring import validate_answers

if TYPE_CHECKING:
    from keysmith.extraction import Extraction

Reader = Callable[[assessment.Question, str], "Extraction"]

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
    parser.add_argument(
        "--model",
        metavar="SPEC",
        default=None,
        help="a model to read answers in your own words (overrides KEYSMITH_MODEL), e.g. openai:gpt-4o-mini",
    )
    assess_workspace.add_arguments(parser)  # --workspace WS [--respondent ROLE] --answers FILE
    parser.set_defaults(handler=run)


def load_progress(path: Path, framework: Framework) -> AssessmentState | None:
    """The saved state, or None when there is none; a damaged file raises `AssessmentError` naming it."""
    if not path.exists():
        return None
    try:
        data = json.loads(read_capped(path, MAX_ANSWERS_FILE_BYTES, "a progress file").decode("utf-8"))
        return AssessmentState.from_dict(data, framework)
    except (json.JSONDecodeError, UnicodeDecodeError, AssessmentError, InputLimitError, OSError) as exc:
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


def _confirmed(
    state: AssessmentState,
    question: assessment.Question,
    raw: str,
    reader: Reader | None,
    io: tuple[Callable[[str], str], Callable[[str], None]],
) -> assessment.AnswerResult | None:
    """Read an answer the offline parser could not read or is unsure of (the model's reading when there is
    a `reader`, else the parser's own), and record it only if the user says yes; None (nothing recorded)
    otherwise. Raises EOFError when the input ends at the prompt."""
    from keysmith.extraction import offline_reading, reading_text

    read, write = io
    reading = (
        reader(question, raw) if reader else offline_reading(assessment.parse_answer(raw, question.levels))
    )
    if not reading.understood:
        write(f"{question.name}: {reading.message}")
        return None
    if reading.message:
        write(reading.message)
    shown = "don't know" if reading.dont_know else str(reading.value)
    reply = read(f"{reading_text(reading)} Record {shown}? [Y/n] ").strip().lower()
    if reply not in ("", "y", "yes"):
        write("Not recorded: answer again.")
        return None
    value = None if reading.dont_know else reading.value
    return assessment.answer(state, question.variable_id, value, note=raw)


def ask_all(
    state: AssessmentState,
    progress: Path,
    read: Callable[[str], str],
    write: Callable[[str], None],
    reader: Reader | None = None,
) -> tuple[AssessmentState, bool]:
    """Ask until every question has an answer; returns the state and whether it is finished (False when
    the user quits or the input ends). `reader` (a model's reading) is asked only about words the offline
    parser cannot read, and its reading is recorded only once the user confirms it."""
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
        result: assessment.AnswerResult | None = assessment.answer(state, question.variable_id, raw)
        unsure = (
            result is not None
            and result.understood
            and not assessment.parse_answer(raw, question.levels).certain
        )
        if result is not None and (unsure or (not result.understood and reader is not None)):
            try:
                result = _confirmed(state, question, raw, reader, (read, write))
            except EOFError:
                return state, False
        if result is None:
            continue
        write(result.message)
        if result.understood:
            state = result.state
            save_progress(progress, state)
    return state, True


def _model_reader(settings: Settings, override: str | None) -> Reader | None:
    """A model reader when `--model` or KEYSMITH_MODEL names a live model (no auto-detection here: the
    terminal assessment stays offline unless asked); a bad spec raises `ConfigError`."""
    spec = (override or settings.model).strip()
    if not spec or spec == "offline":
        return None
    from keysmith.extraction import extract_answer
    from keysmith.models import load_chat_model

    model = load_chat_model(spec, settings)
    if model is None:
        return None
    return lambda question, text: extract_answer(model, question, text, spec)


def run(
    args: argparse.Namespace, read: Callable[[str], str] = input, write: Callable[[str], None] = print
) -> int:
    """Run the assessment; print the report at the end."""
    if assess_workspace.wanted(args):
        return assess_workspace.run(args)
    settings = Settings.from_env()
    framework = load_framework(settings.framework_dir)
    progress = Path(args.progress) if args.progress else settings.data_dir / PROGRESS_FILE
    saved = None if args.restart else load_progress(progress, framework)
    state = saved or assessment.start(framework)
    answered, total = assessment.progress(state)
    write(f"Resuming: {answered} of {total} answered." if saved else HELP)
    finished, done = ask_all(
        state, progress, read, write, _model_reader(settings, getattr(args, "model", None))
    )
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
