"""Strict argument schemas for the assistant's tools (pydantic, `extra="forbid"`, ranges and enums).

The schemas are built per framework, so the JSON schema a model sees lists the real variable ids, stall
reason ids and answer ranges; the same models validate the composer's calls, so both paths are equally strict.
`describe_validation_error` turns a pydantic error into the one-paragraph message the model reads and
corrects.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from keysmith.framework import Framework

STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)
MAX_QUERY_CHARS = 400
MAX_STORY_CHARS = 8000
MAX_NOTE_CHARS = 500

AnswerValue = Annotated[int, Field(ge=1, le=5)]


def _literal(values: tuple[str, ...]) -> Any:
    """`Literal[values]` built at run time (the values come from the framework data)."""
    return cast(Any, Literal)[values]


def _optional(kind: Any) -> Any:
    """`kind | None`, typed loosely: the type is built at run time."""
    return kind | None


class NoArgs(BaseModel):
    """A tool that takes no arguments."""

    model_config = STRICT


class ReadStoryArgs(BaseModel):
    model_config = STRICT
    text: str = Field(
        min_length=1,
        max_length=MAX_STORY_CHARS,
        description="The user's own description of their pilot and rollout, word for word.",
    )


class DescribeArchetypeArgs(BaseModel):
    model_config = STRICT
    archetype_id: str = Field(
        min_length=1,
        max_length=80,
        description="The archetype's id or name, e.g. 'risk_management' or 'Risk Management'.",
    )


def answers_model(framework: Framework) -> type[BaseModel]:
    """An object with one optional field per variable: 1..5, or null for "don't know"."""
    fields: dict[str, Any] = {
        v.id: (AnswerValue | None, Field(default=None, description=f"{v.name}: {v.question}"))
        for v in framework.variables
    }
    return create_model("AssessmentAnswers", __config__=STRICT, **fields)


def search_args(kinds: tuple[str, ...]) -> type[BaseModel]:
    """Arguments of `search_framework`; `kind` is limited to the kinds the knowledge base has."""
    kind_type = _literal(kinds) if kinds else str
    return create_model(
        "SearchFrameworkArgs",
        __config__=STRICT,
        query=(
            str,
            Field(
                min_length=2,
                max_length=MAX_QUERY_CHARS,
                description="What to look up, in plain words (a concept, a stall reason, a symptom).",
            ),
        ),
        kind=(
            _optional(kind_type),
            Field(default=None, description="Only passages of this kind; omit to search everything."),
        ),
    )


def score_args(framework: Framework) -> type[BaseModel]:
    answers = answers_model(framework)
    return create_model(
        "ScoreAssessmentArgs",
        __config__=STRICT,
        answers=(
            _optional(answers),
            Field(
                default=None,
                description="Answers by variable id; omit to score the answers recorded so far.",
            ),
        ),
    )


def what_if_args(framework: Framework) -> type[BaseModel]:
    answers = answers_model(framework)
    return create_model(
        "WhatIfArgs",
        __config__=STRICT,
        answers=(
            _optional(answers),
            Field(default=None, description="The answers as given; omit to use the recorded answers."),
        ),
        changes=(answers, Field(description="Only the variables to change, with their hypothetical values.")),
    )


def stall_reason_args(framework: Framework) -> type[BaseModel]:
    ids = tuple(s.id for s in framework.stall_reasons)
    return create_model(
        "ExplainStallReasonArgs",
        __config__=STRICT,
        stall_reason_id=(_literal(ids), Field(description=f"One of: {', '.join(ids)}.")),
    )


def record_answer_args(framework: Framework) -> type[BaseModel]:
    ids = framework.variable_ids
    return create_model(
        "RecordAssessmentAnswerArgs",
        __config__=STRICT,
        variable_id=(_literal(ids), Field(description="The variable the user just answered.")),
        value=(
            AnswerValue | None,
            Field(default=None, description="The user's answer on the 1..5 scale; omit with dont_know."),
        ),
        dont_know=(bool, Field(default=False, description="True when the user says they do not know.")),
        note=(
            str | None,
            Field(
                default=None, max_length=MAX_NOTE_CHARS, description="The user's words, if they explained."
            ),
        ),
    )


def describe_validation_error(tool: str, error: ValidationError) -> str:
    """A readable message naming each bad argument and the value given, ending with how to recover."""
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item.get("loc", ())) or "arguments"
        given = item.get("input")
        shown = repr(given) if not isinstance(given, dict) else "an object"
        if item.get("type") == "extra_forbidden":
            problems.append(f"{where}: unknown name, not accepted by {tool}")
        elif item.get("type") == "missing":
            problems.append(f"{where}: required")
        else:
            problems.append(f"{where}: {item.get('msg', 'invalid')} (got {shown})")
    return (
        f"Error: invalid arguments for {tool}: "
        + "; ".join(problems)
        + ". Correct the arguments and call the tool again."
    )
