"""Reading a free-text assessment answer with a language model, through one forced tool call.

`extract_answer(model, question, text)` shows the model the question, its 1 and 5 anchors and the user's
text (fenced as data in `prompts/extract_answer.md`), binds the single tool `record_reading` with
`tool_choice` forcing it, and checks the call's arguments itself: a value outside 1..5, a non-integer, a
missing call or unknown fields give `understood=False` with a message saying why. The model only reads the
answer; scores are computed elsewhere, and the caller confirms the reading with the user before recording it.
A provider failure falls back to the offline parser (`keysmith.assessment.parsing`), and the message says so.
This module imports no provider SDK and no UI: the chat model is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from keysmith.assessment.parsing import HELP, MAX_ANSWER_CHARS, ParsedAnswer, parse_answer
from keysmith.diagnosis import answer_label
from keysmith.prompts import render

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from keysmith.assessment import Question

TOOL_NAME = "record_reading"
MAX_QUOTE_CHARS = 200


class RecordReading(BaseModel):
    """Record the rating the user's answer gives (1..5), or that they do not know."""

    model_config = ConfigDict(extra="forbid", strict=True, title=TOOL_NAME)

    value: int | None = Field(description="The rating from 1 to 5, or null when none is given.", ge=1, le=5)
    dont_know: bool = Field(description="True when the user says they do not know or cannot say.")
    evidence: str = Field(description="The user's own words that decide the reading, copied exactly.")


@dataclass(frozen=True)
class Extraction:
    """The model's reading: `value` 1..5 or `dont_know`; `understood` False when neither could be read.

    `quote` is the user's words the reading rests on (to confirm back); `message` explains a failure or a
    fallback to the offline parser; `described` is the level description the offline parser matched the
    answer's content to (then the confirmation quotes it instead of the user's words).
    """

    value: int | None
    dont_know: bool
    understood: bool
    quote: str = ""
    message: str = ""
    described: str = ""


def reading_text(reading: Extraction) -> str:
    """How the reading is confirmed back: 'I read that as 2 (weak) because you said "…".', or '… because it
    matches "…"' (the level description) for a reading from the answer's content."""
    said = f' because you said "{reading.quote}"' if reading.quote else ""
    if reading.described:
        said = f' because it matches "{reading.described}"'
    if reading.dont_know or reading.value is None:
        return f"I read that as don't know{said}."
    return f"I read that as {reading.value} ({answer_label(reading.value)}){said}."


UNSURE_NOTICE = (
    "This reading rests on a few words of a longer answer. Confirm it, or change your words or pick a number."
)
DESCRIBED_NOTICE = (
    "Your words match what this level looks like for this question. Confirm it, or change your words or pick "
    "a number."
)


def offline_reading(parsed: ParsedAnswer) -> Extraction:
    """An offline parser's reading (one it is not certain of) in the shape the caller confirms back."""
    notice = parsed.message if parsed.certain else DESCRIBED_NOTICE if parsed.described else UNSURE_NOTICE
    return Extraction(
        parsed.value, parsed.dont_know, parsed.understood, parsed.matched, notice, parsed.described
    )


def _prompt(question: Question, text: str) -> str:
    return render(
        "extract_answer",
        variable_name=question.name,
        question=question.question,
        anchor_1=question.anchor_1,
        anchor_5=question.anchor_5,
        answer=text[:MAX_ANSWER_CHARS].replace("</answer>", "< /answer>"),
    )


def _failed(reason: str) -> Extraction:
    return Extraction(None, False, False, "", f"{reason} {HELP}")


def _quote(evidence: str, text: str) -> str:
    """The evidence when it is really the user's words; otherwise the user's (shortened) text."""
    evidence = " ".join(evidence.split())
    if evidence and evidence.casefold() in " ".join(text.split()).casefold():
        return evidence[:MAX_QUOTE_CHARS]
    return " ".join(text.split())[:MAX_QUOTE_CHARS]


def check_call(args: Any, text: str) -> Extraction:
    """Validate the tool call's arguments (never trusting the model's types or range)."""
    try:
        reading = RecordReading.model_validate(args)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'args'}: {e['msg']}" for e in exc.errors())
        return _failed(f"The model's reading was not usable ({problems}).")
    if reading.value is not None and reading.dont_know:
        return _failed('The model read both a rating and "don\'t know", so the answer is ambiguous.')
    if reading.value is None and not reading.dont_know:
        return _failed("The model could not read a rating in that answer.")
    return Extraction(reading.value, reading.dont_know, True, _quote(reading.evidence, text))


def _offline(question: Question, text: str, notice: str) -> Extraction:
    parsed = parse_answer(text, question.levels)
    if parsed.understood:
        return Extraction(parsed.value, parsed.dont_know, True, parsed.matched, notice, parsed.described)
    return Extraction(None, False, False, "", f"{notice} {parsed.message}")


def extract_answer(model: BaseChatModel, question: Question, text: str, spec: str = "") -> Extraction:
    """Read `text` as an answer to `question` with `model` (see the module docstring); never raises for
    provider failures (offline fallback) or bad model output (`understood=False`)."""
    from langchain_core.messages import HumanMessage

    from keysmith.models import classify_provider_error, is_provider_error

    bound = model.bind_tools([RecordReading], tool_choice=TOOL_NAME)
    try:
        reply = bound.invoke([HumanMessage(_prompt(question, text))])
    except Exception as exc:
        if not is_provider_error(exc):
            raise
        error = classify_provider_error(exc, spec)
        return _offline(
            question, text, f"The language model could not read the answer ({error}); read offline instead."
        )
    calls = [c for c in getattr(reply, "tool_calls", []) if c.get("name") == TOOL_NAME]
    if len(calls) != 1:
        return _failed(f"The model did not call {TOOL_NAME} once (got {len(calls)} calls).")
    return check_call(calls[0].get("args"), text)
