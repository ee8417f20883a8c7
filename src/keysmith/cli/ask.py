"""`keysmith ask "QUESTION" [--json] [--model SPEC]`, and `keysmith ask --session ID --reply OPTION`.

Prints the answer with its numbered sources, or with `--json` the `Answer.to_dict()` shape: `answer`,
`citations` [{id, source, heading, excerpt}], `tool_calls`, `abstained`, `mode` (`offline`, the model spec,
or `offline (fallback: <reason>)`), `incomplete`, `notice`, `follow_ups`, and for a story `session_id`,
`reasons` [{id, strength, evidence}] and `question` (null, or the interview's question with its `options`).
`--workspace WS` (a workspace's name or id) asks in a coach's client workspace: its documents are searched
beside the framework, and a citation of one carries `source: "client document: <file name>"`.
Every turn is saved as a session in the store; `--session ID --reply OPTION` answers that session's pending
question (`--reply skip` ends the interview with the best reading). Without `--json`, a pending question is
asked on the terminal with its options as numbered choices, until the interview ends.
The question is checked before anything is loaded: empty or over KEYSMITH_MAX_QUESTION_CHARS exits 2 with a
message naming the limit.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import TYPE_CHECKING, Any

from keysmith.answer import Answer
from keysmith.config import Settings
from keysmith.errors import InputError
from keysmith.limits import check_question

if TYPE_CHECKING:
    from keysmith.store import Store


def register(sub: Any) -> None:
    """Add the `ask` subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "ask", help="ask about a stalled AI rollout; prints a cited answer"
    )
    parser.add_argument(
        "question", metavar="QUESTION", nargs="?", help="your question or your rollout's story, quoted"
    )
    parser.add_argument("--session", metavar="ID", help="continue this session (with --reply)")
    parser.add_argument("--reply", metavar="OPTION", help="answer the session's pending question (or 'skip')")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument(
        "--workspace", metavar="WS", help="ask in this client workspace (name or id): its documents are cited"
    )
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


def _print(answer: Answer, as_json: bool) -> None:
    print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False) if as_json else render_text(answer))
    sys.stdout.flush()


def _save(store: Store, workspace_id: str, session_id: str, said: str, answer: Answer, story: str) -> None:
    """The turn as two messages; the diagnosis (reasons, question, interview state, story) rides along."""
    store.add_message(workspace_id, session_id, "user", said)
    diagnosis = None
    if answer.reasons or answer.question or answer.interview:
        diagnosis = {
            "reasons": answer.reasons,
            "question": answer.question,
            "interview": answer.interview,
            "story": story,
        }
    store.add_message(
        workspace_id,
        session_id,
        "assistant",
        answer.answer,
        citations=[c.to_dict() for c in answer.citations],
        tool_calls=answer.tool_calls,
        mode=answer.mode,
        incomplete=answer.incomplete,
        notice=answer.notice or "",
        follow_ups=answer.follow_ups,
        diagnosis=diagnosis,
    )
    answer.session_id = session_id


def _pending(store: Store, session_id: str) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """(workspace id, story, interview state, question) of the session's pending interview question."""
    session = store.find_session(session_id)
    messages = store.list_messages(session.workspace_id, session.id)
    last = next((m for m in reversed(messages) if m.role == "assistant"), None)
    saved = last.diagnosis if last is not None else None
    if not saved or not saved.get("question") or not saved.get("interview"):
        raise InputError(f"--session {session_id}: this session has no question waiting for a reply")
    return session.workspace_id, str(saved["story"]), dict(saved["interview"]), dict(saved["question"])


def _ask_on_terminal(question: dict[str, Any]) -> str:
    """The option the user picks at the terminal (a number, an option id, or 'skip')."""
    options = question["options"]
    print(
        "\nChoices: "
        + "  ".join(f"[{i}] {o['label']}" for i, o in enumerate(options, start=1))
        + "  [s] skip"
    )
    while True:
        raw = input("Your reply: ").strip().lower()
        if raw in ("s", "skip", ""):
            return "skip"
        if raw.isdigit() and 1 <= int(raw) <= len(options):
            return str(options[int(raw) - 1]["id"])
        ids = {str(o["id"]).lower(): str(o["id"]) for o in options} | {
            str(o["label"]).lower(): str(o["id"]) for o in options
        }
        if raw in ids:
            return ids[raw]
        print(f"Please answer 1-{len(options)} or s.")


def run(args: argparse.Namespace) -> int:
    """Answer the question (or the reply), save the turn, and print it."""
    settings = Settings.from_env()
    if args.model is not None:
        settings = dataclasses.replace(settings, model=args.model.strip())
    if args.reply is not None and not args.session:
        raise InputError("--reply needs --session ID (the session_id of the answer that asked the question)")
    if args.session and args.reply is None:
        raise InputError("--session needs --reply OPTION (one of the question's option ids, or 'skip')")
    question = None if args.session else check_question(args.question or "", settings.max_question_chars)
    from keysmith.assistant import Assistant  # heavy imports only after the input passed its checks
    from keysmith.store import Store
    from keysmith.store.lookup import resolve_workspace

    store = Store.from_settings(settings)
    assistant = Assistant.from_settings(settings, connect_in_background=True)
    if question is not None:
        workspace = resolve_workspace(store, args.workspace) if args.workspace else store.default_workspace()
        scope = workspace.id if args.workspace else None  # the default workspace keeps its old behaviour
        session = store.create_session(workspace.id, "diagnose", title=question[:80])
        answer = assistant.ask(question, workspace_id=scope)
        _save(store, workspace.id, session.id, question, answer, question)
        workspace_id, session_id, story = workspace.id, session.id, question
    else:
        workspace_id, story, state, _ = _pending(store, args.session)
        session_id = args.session
        answer = assistant.reply(story, state, args.reply, workspace_id=workspace_id)
        _save(store, workspace_id, session_id, f"(reply) {args.reply}", answer, story)
    _print(answer, args.json)
    # On a terminal (not --json), the interview goes on as numbered choices until it ends.
    while not args.json and answer.question is not None and sys.stdin.isatty():
        option = _ask_on_terminal(answer.question)
        answer = assistant.reply(story, answer.interview or {}, option)
        _save(store, workspace_id, session_id, f"(reply) {option}", answer, story)
        print()
        _print(answer, False)
    return 0
