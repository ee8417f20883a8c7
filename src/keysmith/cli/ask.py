"""`keysmith ask "QUESTION" [--json] [--model SPEC]`: one question, one grounded answer.

Prints the answer with its numbered sources, or with `--json` the `Answer.to_dict()` shape: `answer`,
`citations` [{id, source, heading, excerpt}], `tool_calls`, `abstained`, `mode` (`offline`, the model spec,
or `offline (fallback: <reason>)`), plus `incomplete`, `notice` and `follow_ups`. The question is checked
before anything is loaded: empty or over KEYSMITH_MAX_QUESTION_CHARS exits 2 with a message naming the limit.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from keysmith.answer import Answer
from keysmith.config import Settings
from keysmith.limits import check_question


def register(sub: Any) -> None:
    """Add the `ask` subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "ask", help="ask about a stalled AI rollout; prints a cited answer"
    )
    parser.add_argument("question", metavar="QUESTION", help="your question or your rollout's story, quoted")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument(
        "--model",
        metavar="SPEC",
        default=None,
        help="override KEYSMITH_MODEL: offline, openai:<model>, azure:<deployment>, "
        "openai-compatible:<model>@<base_url>",
    )
    parser.set_defaults(handler=run)


def render_text(answer: Answer) -> str:
    """The answer as terminal text: notice, answer, numbered sources, mode."""
    lines = []
    if answer.notice:
        lines += [f"Note: {answer.notice}", ""]
    lines.append(answer.answer)
    if answer.citations:
        lines += ["", "Sources:"]
        lines += [f"[{n}] {c.heading} ({c.source})" for n, c in enumerate(answer.citations, start=1)]
    if answer.follow_ups:
        lines += ["", "You could ask next:"] + [f"- {f}" for f in answer.follow_ups]
    lines += ["", f"({answer.mode}{', incomplete' if answer.incomplete else ''})"]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Answer the question and print it."""
    settings = Settings.from_env()
    if args.model is not None:
        settings = dataclasses.replace(settings, model=args.model.strip())
    question = check_question(args.question, settings.max_question_chars)
    from keysmith.assistant import Assistant  # heavy imports only after the input passed its checks

    answer = Assistant.from_settings(settings).ask(question)
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(render_text(answer))
    sys.stdout.flush()
    return 0
